package localrun_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/admin"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// These tests play a company whose token was stolen, and the operator,
// over HTTP against the runner. The local gateway caches the authorizer's
// answer per Authorization header for apigw.AuthorizerCacheTTL, as API
// Gateway does: a token whose answer is cached is still let through to
// the routes that trust it until then, so each test says which header
// spelling it uses. "bearer" in lower case is the same token to the
// authorizer and another cache key to the gateway: what any request sees
// once the cache's TTL has passed.

// signInCompany signs a demo company in with a code sent to phone and
// returns its token.
func signInCompany(t *testing.T, r runner, kind, phone string) string {
	t.Helper()
	resp, body := r.do(t, http.MethodPost, "/api/"+kind+"/session/code", nil, fmt.Sprintf(`{"phone":%q}`, phone))
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("code for %s = %d %s", kind, resp.StatusCode, body)
	}
	codes := codesTo(r.m, phone)
	resp, body = r.do(t, http.MethodPost, "/api/"+kind+"/session", nil,
		fmt.Sprintf(`{"phone":%q,"code":%q}`, phone, codes[len(codes)-1]))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in as %s = %d %s", kind, resp.StatusCode, body)
	}
	var session struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(body), &session); err != nil || session.Token == "" {
		t.Fatalf("sign-in answer %s: %v", body, err)
	}
	return session.Token
}

// bearer is the header API Gateway has a cached answer for once used;
// uncached is the same token under another cache key.
func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}
func uncached(token string) map[string]string {
	return map[string]string{"Authorization": "bearer " + token}
}

// lastCode is the newest code the outbox holds for phone.
func lastCode(t *testing.T, r runner, phone string) string {
	t.Helper()
	codes := codesTo(r.m, phone)
	if len(codes) == 0 {
		t.Fatalf("no code reached %s", phone)
	}
	return codes[len(codes)-1]
}

func wantStatus(t *testing.T, what string, resp *http.Response, body string, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s = %d %s; want %d", what, resp.StatusCode, body, want)
	}
}

func TestStolenCompanyTokenCannotTakeOver(t *testing.T) {
	t.Parallel()
	r := newRunner(t)
	owner := demo.Companies[0]
	const thiefPhone, newPhone = "+351939999001", "+351939999002"
	stolen := signInCompany(t, r, "company", owner.Phone)
	// A copy the thief has not used yet: no answer of the gateway is
	// cached for it when the owner acts.
	unused := signInCompany(t, r, "company", owner.Phone)

	// The thief with the token alone.
	resp, body := r.do(t, http.MethodPut, "/api/company/profile", bearer(stolen),
		fmt.Sprintf(`{"address":"Rua 1","phone":%q,"version":1}`, thiefPhone))
	wantStatus(t, "PUT profile with another phone", resp, body, http.StatusBadRequest)
	if !strings.Contains(body, "/api/company/phone/code") {
		t.Errorf("the refusal %s does not point to the phone change", body)
	}
	resp, body = r.do(t, http.MethodPost, "/api/company/phone/code", bearer(stolen), fmt.Sprintf(`{"phone":%q}`, thiefPhone))
	wantStatus(t, "thief's code request", resp, body, http.StatusAccepted)
	thiefCode := lastCode(t, r, thiefPhone)
	ownerCode := lastCode(t, r, owner.Phone)
	resp, body = r.do(t, http.MethodPost, "/api/company/phone", bearer(stolen),
		fmt.Sprintf(`{"phone":%q,"newCode":%q}`, thiefPhone, thiefCode))
	wantStatus(t, "change without the current phone's code", resp, body, http.StatusBadRequest)
	guess := "000000"
	if ownerCode == guess {
		guess = "000001"
	}
	resp, body = r.do(t, http.MethodPost, "/api/company/phone", bearer(stolen),
		fmt.Sprintf(`{"phone":%q,"currentCode":%q,"newCode":%q}`, thiefPhone, guess, thiefCode))
	wantStatus(t, "change with a guessed current code", resp, body, http.StatusUnauthorized)

	// The owner moves the account to a new phone of theirs.
	resp, body = r.do(t, http.MethodPost, "/api/company/phone/code", bearer(stolen), fmt.Sprintf(`{"phone":%q}`, newPhone))
	wantStatus(t, "owner's code request", resp, body, http.StatusAccepted)
	before := len(r.m.Outbox.Messages())
	resp, body = r.do(t, http.MethodPost, "/api/company/phone", bearer(stolen),
		fmt.Sprintf(`{"phone":%q,"currentCode":%q,"newCode":%q}`, newPhone, lastCode(t, r, owner.Phone), lastCode(t, r, newPhone)))
	wantStatus(t, "change with both codes", resp, body, http.StatusOK)
	var changed struct {
		Token   string `json:"token"`
		Profile struct {
			Phone string `json:"phone"`
		} `json:"profile"`
	}
	if err := json.Unmarshal([]byte(body), &changed); err != nil || changed.Token == "" || changed.Profile.Phone != newPhone {
		t.Fatalf("change answer %s: %v; want a token and the new phone", body, err)
	}
	notices := r.m.Outbox.Messages()[before:]
	if len(notices) != 1 || notices[0].PhoneNumber != owner.Phone || notices[0].Message != market.PhoneChangedSMS {
		t.Errorf("SMS after the change = %+v; want the notice to the old number only", notices)
	}

	// Every older token is refused: at once where the gateway has no
	// answer cached, and on the phone change routes, which check the
	// company themselves, even where it has.
	tests := []struct {
		name, method, path string
		headers            map[string]string
		body               string
		want               int
	}{
		{"unused copy of the old token", http.MethodGet, "/api/company/profile", bearer(unused), "", http.StatusUnauthorized},
		{"old token, past the gateway's cache", http.MethodGet, "/api/company/orders", uncached(stolen), "", http.StatusUnauthorized},
		{"old token asking for codes again", http.MethodPost, "/api/company/phone/code", bearer(stolen), fmt.Sprintf(`{"phone":%q}`, thiefPhone), http.StatusUnauthorized},
		{"the new token", http.MethodGet, "/api/company/profile", bearer(changed.Token), "", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := r.do(t, tt.method, tt.path, tt.headers, tt.body)
			wantStatus(t, tt.name, resp, body, tt.want)
		})
	}
	if token := signInCompany(t, r, "company", newPhone); token == "" {
		t.Error("the new phone does not sign in")
	}
	toOldPhone := len(codesTo(r.m, owner.Phone))
	resp, body = r.do(t, http.MethodPost, "/api/company/session/code", nil, fmt.Sprintf(`{"phone":%q}`, owner.Phone))
	wantStatus(t, "sign-in code for the old phone", resp, body, http.StatusAccepted)
	if len(codesTo(r.m, owner.Phone)) != toOldPhone {
		t.Error("the old phone still gets the company's sign-in codes")
	}
}

// TestPhoneCodeRequestTellsNothing: asking for the codes of a change to
// another company's sign-in phone is answered as for a free number.
func TestPhoneCodeRequestTellsNothing(t *testing.T) {
	t.Parallel()
	r := newRunner(t)
	token := signInCompany(t, r, "company", demo.Companies[0].Phone)
	answer := func(phone string) (int, string, string) {
		resp, body := r.do(t, http.MethodPost, "/api/company/phone/code", bearer(token), fmt.Sprintf(`{"phone":%q}`, phone))
		return resp.StatusCode, resp.Header.Get("Content-Type"), body
	}
	takenStatus, takenType, takenBody := answer(demo.Companies[1].Phone)
	freeStatus, freeType, freeBody := answer("+351939999003")
	if takenStatus != http.StatusAccepted || takenStatus != freeStatus || takenType != freeType || takenBody != freeBody {
		t.Errorf("another company's phone: %d %s %s; a free number: %d %s %s; want the same 202",
			takenStatus, takenType, takenBody, freeStatus, freeType, freeBody)
	}
}

func TestSignOutRevokes(t *testing.T) {
	t.Parallel()
	r := newRunner(t)
	tests := []struct {
		kind, phone, path string
	}{
		{"company", demo.Companies[0].Phone, "/api/company/orders"},
		{"carrier", demo.Carriers[0].Phone, "/api/carrier/orders"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			token := signInCompany(t, r, tt.kind, tt.phone)
			resp, body := r.do(t, http.MethodGet, tt.path, bearer(token), "")
			wantStatus(t, "before sign-out", resp, body, http.StatusOK)
			resp, body = r.do(t, http.MethodDelete, "/api/"+tt.kind+"/session", bearer(token), "")
			wantStatus(t, "sign-out", resp, body, http.StatusNoContent)
			resp, body = r.do(t, http.MethodGet, tt.path, uncached(token), "")
			wantStatus(t, "the signed-out token past the gateway's cache", resp, body, http.StatusUnauthorized)
			again := signInCompany(t, r, tt.kind, tt.phone)
			resp, body = r.do(t, http.MethodGet, tt.path, bearer(again), "")
			wantStatus(t, "a new sign-in", resp, body, http.StatusOK)
		})
	}
}

func TestDisabledAndSuspendedAreRefused(t *testing.T) {
	t.Parallel()
	db, keyring := newDemoDB(t)
	r := startRunner(t, db, keyring, "")
	ctx := context.Background()
	company := signInCompany(t, r, "company", demo.Companies[0].Phone)
	carrier := signInCompany(t, r, "carrier", demo.Carriers[0].Phone)
	companyID, carrierID := int64(1), int64(0)
	if c, err := mysql.NewCarrierStore(db).CarrierByPhone(ctx, demo.Carriers[0].Phone); err == nil {
		carrierID = c.ID
	} else {
		t.Fatal(err)
	}
	access := mysql.NewAccessStore(db)
	if err := admin.SetCompanyEnabled(ctx, access, companyID, false, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := admin.SetCarrierSuspended(ctx, access, mysql.NewCarrierStore(db), market.Fulfilment{Store: mysql.NewFulfilmentStore(db)}, carrierID, true, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, body := r.do(t, http.MethodGet, "/api/company/orders", bearer(company), "")
	wantStatus(t, "disabled company's token", resp, body, http.StatusUnauthorized)
	resp, body = r.do(t, http.MethodGet, "/api/carrier/orders", bearer(carrier), "")
	wantStatus(t, "suspended carrier's token", resp, body, http.StatusUnauthorized)
	before := len(r.m.Outbox.Messages())
	for _, kind := range []struct{ kind, phone string }{{"company", demo.Companies[0].Phone}, {"carrier", demo.Carriers[0].Phone}} {
		resp, body := r.do(t, http.MethodPost, "/api/"+kind.kind+"/session/code", nil, fmt.Sprintf(`{"phone":%q}`, kind.phone))
		wantStatus(t, kind.kind+" code request", resp, body, http.StatusAccepted)
	}
	if sent := r.m.Outbox.Messages()[before:]; len(sent) != 0 {
		t.Errorf("a disabled company or suspended carrier was sent %d sign-in SMS", len(sent))
	}
}
