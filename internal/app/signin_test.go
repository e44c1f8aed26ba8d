package app_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/localrun"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/notify"
)

// The sign-in tests' own phones, apart from the demo data's.
const (
	testCarrierPhone = "+351939990001"
	testCompanyPhone = "+351939990002"
	nobodysPhone     = "+351939990009"
)

// signInAPI is the whole marketplace behind the local gateway, with a
// carrier and a company of the test's own, and the SMS outbox.
type signInAPI struct {
	*companyAPI
	outbox  *notify.Outbox
	carrier int64
	company int64
}

func newSignInAPI(t *testing.T) *signInAPI {
	t.Helper()
	ctx := context.Background()
	db := dbtest.MustOpenDB(t)
	if _, err := demo.SeedIfEmpty(ctx, db); err != nil {
		t.Fatal(err)
	}
	carrier, err := mysql.NewCarrierStore(db).AddCarrier(ctx, market.Carrier{Name: "Tess Tester", Phone: testCarrierPhone})
	if err != nil {
		t.Fatal(err)
	}
	company, err := mysql.NewCompanyStore(db).Ensure(ctx, "Tested Bakery")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE companies SET phone = ? WHERE id = ?`, testCompanyPhone, company); err != nil {
		t.Fatal(err)
	}
	keyring := newKeyring(t)
	m, err := localrun.New(localrun.Config{DB: db, Currency: "USD", Logger: slog.New(slog.DiscardHandler), Keyring: keyring})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.Handler)
	t.Cleanup(m.Wait)
	t.Cleanup(srv.Close)
	return &signInAPI{
		companyAPI: &companyAPI{url: srv.URL, db: db, keyring: keyring},
		outbox:     m.Outbox, carrier: carrier.ID, company: company,
	}
}

var codeInSMS = regexp.MustCompile(`\b[0-9]{6}\b`)

// codeFor returns the code of the newest SMS to phone.
func (s *signInAPI) codeFor(t *testing.T, phone string) string {
	t.Helper()
	msgs := s.outbox.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].PhoneNumber == phone {
			return codeInSMS.FindString(msgs[i].Message)
		}
	}
	t.Fatalf("no SMS to %s in %+v", phone, msgs)
	return ""
}

func (s *signInAPI) textsTo(phone string) int {
	n := 0
	for _, m := range s.outbox.Messages() {
		if m.PhoneNumber == phone {
			n++
		}
	}
	return n
}

func phoneBody(phone string) string { return `{"phone":"` + phone + `"}` }

func sessionBody(phone, code string) string {
	return `{"phone":"` + phone + `","code":"` + code + `"}`
}

// TestSignInOverHTTP walks each kind's sign-in through the local gateway
// and uses the token: on its own routes it opens, on the other kind's it
// is refused by the gateway (403), whichever route it was first used on.
func TestSignInOverHTTP(t *testing.T) {
	s := newSignInAPI(t)
	tests := []struct {
		kind, phone       string
		wantID            int64
		wantName          string
		ownRoute, foreign string
	}{
		{"carrier", testCarrierPhone, s.carrier, "Tess Tester", "/api/carrier/orders?view=available", "/api/company/products"},
		{"company", testCompanyPhone, s.company, "Tested Bakery", "/api/company/products", "/api/carrier/orders?view=available"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			r := s.do(t, http.MethodPost, "/api/"+tt.kind+"/session/code", "", nil, phoneBody(tt.phone))
			if r.status != http.StatusAccepted || r.body["message"] != market.SignInCodeSent || len(r.body) != 1 {
				t.Fatalf("POST session/code = %d %s; want 202 with the one message", r.status, r.rawBody)
			}
			sms := s.outbox.Messages()
			last := sms[len(sms)-1]
			code := s.codeFor(t, tt.phone)
			if last.PhoneNumber != tt.phone || last.TopicARN != "" || last.Message != market.SignInCodeSMS(code) {
				t.Errorf("SMS %+v; want the code's text to %s alone", last, tt.phone)
			}

			before := time.Now().Truncate(time.Second)
			r = s.do(t, http.MethodPost, "/api/"+tt.kind+"/session", "", nil, sessionBody(tt.phone, code))
			if r.status != http.StatusOK || !slices.Equal(slices.Sorted(maps.Keys(r.body)), slices.Sorted(slices.Values([]string{"expiresAt", tt.kind, "token"}))) {
				t.Fatalf("POST session = %d %s; want 200 {token, expiresAt, %s}", r.status, r.rawBody, tt.kind)
			}
			who, _ := r.body[tt.kind].(map[string]any)
			if who["id"] != float64(tt.wantID) || who["name"] != tt.wantName || len(who) != 2 {
				t.Errorf("%s = %v; want {id: %d, name: %s}", tt.kind, who, tt.wantID, tt.wantName)
			}
			exp, err := time.Parse(time.RFC3339, r.body["expiresAt"].(string))
			if err != nil || exp.Before(before.Add(auth.SessionTTL)) || exp.After(time.Now().Add(auth.SessionTTL)) {
				t.Errorf("expiresAt = %v (%v); want 12 h from now", r.body["expiresAt"], err)
			}
			token := r.body["token"].(string)

			if r := s.do(t, http.MethodGet, tt.ownRoute, token, nil, ""); r.status != http.StatusOK {
				t.Errorf("GET %s with the %s token = %d %s; want 200", tt.ownRoute, tt.kind, r.status, r.rawBody)
			}
			if r := s.do(t, http.MethodGet, tt.foreign, token, nil, ""); r.status != http.StatusForbidden {
				t.Errorf("GET %s with the %s token = %d %s; want 403", tt.foreign, tt.kind, r.status, r.rawBody)
			}
			// Again the other way round with a fresh token: the policy
			// the gateway caches for the first route decides the second.
			r = s.do(t, http.MethodPost, "/api/"+tt.kind+"/session/code", "", nil, phoneBody(tt.phone))
			if r.status != http.StatusAccepted {
				t.Fatalf("second code = %d", r.status)
			}
			r = s.do(t, http.MethodPost, "/api/"+tt.kind+"/session", "", nil, sessionBody(tt.phone, s.codeFor(t, tt.phone)))
			fresh, _ := r.body["token"].(string)
			if r := s.do(t, http.MethodGet, tt.foreign, fresh, nil, ""); r.status != http.StatusForbidden {
				t.Errorf("GET %s first with a fresh %s token = %d; want 403", tt.foreign, tt.kind, r.status)
			}
			if r := s.do(t, http.MethodGet, tt.ownRoute, fresh, nil, ""); r.status != http.StatusOK {
				t.Errorf("GET %s after a refusal = %d %s; want 200", tt.ownRoute, r.status, r.rawBody)
			}
		})
	}
}

// TestMintedTokensNeverCross: tokens minted by hand (`token -carrier`,
// `token -company`) are refused on the other kind's routes too.
func TestMintedTokensNeverCross(t *testing.T) {
	s := newSignInAPI(t)
	carrier, err := s.keyring.MintCarrier(s.carrier, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	company := s.token(t, s.company)
	tests := []struct {
		name, method, path, token string
		want                      int
	}{
		{"carrier token, company products", http.MethodGet, "/api/company/products", carrier, http.StatusForbidden},
		{"carrier token, company orders", http.MethodGet, "/api/company/orders", carrier, http.StatusForbidden},
		{"carrier token, create a product", http.MethodPost, "/api/company/products", carrier, http.StatusForbidden},
		{"carrier token, company profile", http.MethodGet, "/api/company/profile", carrier, http.StatusForbidden},
		{"carrier token, carrier orders", http.MethodGet, "/api/carrier/orders?view=mine", carrier, http.StatusOK},
		{"company token, carrier orders", http.MethodGet, "/api/carrier/orders?view=mine", company, http.StatusForbidden},
		{"company token, claim", http.MethodPost, "/api/carrier/orders/abc/claim", company, http.StatusForbidden},
		{"company token, company products", http.MethodGet, "/api/company/products", company, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := s.do(t, tt.method, tt.path, tt.token, nil, ""); r.status != tt.want {
				t.Errorf("%s %s = %d %s; want %d", tt.method, tt.path, r.status, r.rawBody, tt.want)
			}
		})
	}
	// A carrier the operator removed is refused with its next token.
	if _, err := mysql.NewCarrierStore(s.db).SetCarrierActive(context.Background(), testCarrierPhone, false); err != nil {
		t.Fatal(err)
	}
	again, err := s.keyring.MintCarrier(s.carrier, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.do(t, http.MethodGet, "/api/carrier/orders?view=mine", again, nil, ""); r.status != http.StatusUnauthorized {
		t.Errorf("inactive carrier's token = %d; want 401", r.status)
	}
}

// TestSignInNoEnumeration: a known and an unknown phone get the same
// answers, the unknown one no SMS, and the same bound, past which the
// answer is still the same and nothing is sent.
func TestSignInNoEnumeration(t *testing.T) {
	for _, kind := range []string{"carrier", "company"} {
		t.Run(kind, func(t *testing.T) {
			// Each answer waits out the sign-in's minimum answer time:
			// the two kinds wait side by side.
			t.Parallel()
			s := newSignInAPI(t)
			known := testCarrierPhone
			if kind == "company" {
				known = testCompanyPhone
			}
			path := "/api/" + kind + "/session/code"
			for i := range market.SignInMaxCodes {
				k := s.do(t, http.MethodPost, path, "", nil, phoneBody(known))
				u := s.do(t, http.MethodPost, path, "", nil, phoneBody(nobodysPhone))
				if k.status != http.StatusAccepted || u.status != k.status || u.rawBody != k.rawBody {
					t.Fatalf("request %d: known %d %s, unknown %d %s; want the same 202", i+1, k.status, k.rawBody, u.status, u.rawBody)
				}
			}
			if n := s.textsTo(known); n != market.SignInMaxCodes {
				t.Errorf("%d SMS to the known phone; want %d", n, market.SignInMaxCodes)
			}
			if n := s.textsTo(nobodysPhone); n != 0 {
				t.Errorf("%d SMS to a phone of nobody; want none", n)
			}
			k := s.do(t, http.MethodPost, path, "", nil, phoneBody(known))
			u := s.do(t, http.MethodPost, path, "", nil, phoneBody(nobodysPhone))
			if k.status != http.StatusAccepted || u.status != k.status || u.rawBody != k.rawBody || k.header.Get("Retry-After") != "" {
				t.Errorf("request over the bound: known %d %s, unknown %d %s; want the same 202", k.status, k.rawBody, u.status, u.rawBody)
			}
			if n := s.textsTo(known); n != market.SignInMaxCodes {
				t.Errorf("%d SMS to the known phone after a request over the bound; want still %d", n, market.SignInMaxCodes)
			}
			// Wrong codes: the same 401 for both phones.
			sessionPath := "/api/" + kind + "/session"
			k = s.do(t, http.MethodPost, sessionPath, "", nil, sessionBody(known, wrongOf(s.codeFor(t, known))))
			u = s.do(t, http.MethodPost, sessionPath, "", nil, sessionBody(nobodysPhone, "123456"))
			if k.status != http.StatusUnauthorized || k.errorCode() != "unauthorized" || u.status != k.status || u.rawBody != k.rawBody {
				t.Errorf("wrong code: known %d %s, unknown %d %s; want the same 401", k.status, k.rawBody, u.status, u.rawBody)
			}
		})
	}
}

// signInEvent is a sign-in request as API Gateway hands it to the signin
// function, from the client at sourceIP.
func signInEvent(path, sourceIP, body string) events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{
		Resource: path, Path: path, HTTPMethod: http.MethodPost,
		Headers: map[string]string{"Content-Type": "application/json"},
		Body:    body,
		RequestContext: events.APIGatewayProxyRequestContext{
			ResourcePath: path, HTTPMethod: http.MethodPost,
			Identity: events.APIGatewayRequestIdentity{SourceIP: sourceIP},
		},
	}
}

// TestSignInFunctionLimitsClients: the signin function takes its limits
// from Deps and counts them in the database, per client address over
// every phone and both kinds: 429 with Retry-After past a client's bound,
// which another client does not share.
func TestSignInFunctionLimitsClients(t *testing.T) {
	tests := []struct {
		name   string
		limits market.Limits
		max    int
		// body is the n-th request's, to path.
		path func(n int) string
		body func(n int) string
		// served is what a request within the bound answers.
		served int
	}{
		{
			name:   "code requests",
			limits: market.Limits{SignInCodesPerClient: market.Limit{Max: 2, Window: time.Hour}},
			max:    2,
			path:   func(n int) string { return []string{"/api/carrier/session/code", "/api/company/session/code"}[n%2] },
			body:   func(n int) string { return phoneBody(fmt.Sprintf("+3519399900%02d", 10+n)) },
			served: http.StatusAccepted,
		},
		{
			name:   "code checks",
			limits: market.Limits{SignInChecksPerClient: market.Limit{Max: 5, Window: time.Hour}},
			max:    5,
			path:   func(n int) string { return []string{"/api/carrier/session", "/api/company/session"}[n%2] },
			body:   func(n int) string { return sessionBody(fmt.Sprintf("+3519399900%02d", 10+n), "123456") },
			served: http.StatusUnauthorized,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := dbtest.MustOpenDB(t)
			keyring := newKeyring(t)
			fn := app.SignIn(app.Deps{DB: db, Logger: slog.New(slog.DiscardHandler), Texts: notify.NewOutbox(nil), Limits: tt.limits,
				Signer: func(context.Context) (auth.Keyring, error) { return keyring, nil }})
			call := func(n int, client string) events.APIGatewayProxyResponse {
				t.Helper()
				resp, err := fn.Handle(context.Background(), signInEvent(tt.path(n), client, tt.body(n)))
				if err != nil {
					t.Fatal(err)
				}
				return resp
			}
			for n := range tt.max {
				if resp := call(n, "203.0.113.66"); resp.StatusCode != tt.served {
					t.Fatalf("request %d = %d %s; want %d", n+1, resp.StatusCode, resp.Body, tt.served)
				}
			}
			resp := call(tt.max, "203.0.113.66")
			seconds, err := strconv.Atoi(resp.Headers["Retry-After"])
			if resp.StatusCode != http.StatusTooManyRequests || err != nil || seconds < 1 || !strings.Contains(resp.Body, "this address") {
				t.Errorf("request over the client's bound = %d %s Retry-After %q; want 429 about the address, with the seconds to wait", resp.StatusCode, resp.Body, resp.Headers["Retry-After"])
			}
			if resp := call(tt.max, "192.0.2.1"); resp.StatusCode != tt.served {
				t.Errorf("another client = %d %s; want %d", resp.StatusCode, resp.Body, tt.served)
			}
		})
	}
}

func wrongOf(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func TestSignInBadInputOverHTTP(t *testing.T) {
	s := newSignInAPI(t)
	tests := []struct {
		name, path, body string
		contentType      string
		want             int
	}{
		{"code: no body", "/api/carrier/session/code", "", "", http.StatusBadRequest},
		{"code: not JSON", "/api/carrier/session/code", `{"phone":`, "", http.StatusBadRequest},
		{"code: unknown field", "/api/company/session/code", `{"phone":"` + testCompanyPhone + `","name":"x"}`, "", http.StatusBadRequest},
		{"code: phone a number", "/api/carrier/session/code", `{"phone":351939990001}`, "", http.StatusBadRequest},
		{"code: phone not E.164", "/api/carrier/session/code", `{"phone":"939990001"}`, "", http.StatusBadRequest},
		{"code: no phone", "/api/company/session/code", `{}`, "", http.StatusBadRequest},
		{"code: two objects", "/api/carrier/session/code", phoneBody(testCarrierPhone) + phoneBody(testCarrierPhone), "", http.StatusBadRequest},
		{"code: not JSON content", "/api/carrier/session/code", phoneBody(testCarrierPhone), "text/plain", http.StatusUnsupportedMediaType},
		{"session: no code", "/api/carrier/session", phoneBody(testCarrierPhone), "", http.StatusBadRequest},
		{"session: code a number", "/api/carrier/session", `{"phone":"` + testCarrierPhone + `","code":123456}`, "", http.StatusBadRequest},
		{"session: short code", "/api/company/session", sessionBody(testCompanyPhone, "12345"), "", http.StatusBadRequest},
		{"session: bad phone", "/api/company/session", sessionBody("+0", "123456"), "", http.StatusBadRequest},
		{"session: unknown field", "/api/carrier/session", `{"phone":"` + testCarrierPhone + `","code":"123456","ttl":"90d"}`, "", http.StatusBadRequest},
		// The client's address is the gateway's to say, never the body's.
		{"code: client in the body", "/api/carrier/session/code", `{"phone":"` + testCarrierPhone + `","Client":"192.0.2.1"}`, "", http.StatusBadRequest},
		{"session: client in the body", "/api/company/session", `{"phone":"` + testCompanyPhone + `","code":"123456","client":"192.0.2.1"}`, "", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var headers map[string]string
			if tt.contentType != "" {
				headers = map[string]string{"Content-Type": tt.contentType}
			}
			r := s.do(t, http.MethodPost, tt.path, "", headers, tt.body)
			if r.status != tt.want || r.errorCode() == "" {
				t.Errorf("POST %s %s = %d %s; want %d with an error", tt.path, tt.body, r.status, r.rawBody, tt.want)
			}
		})
	}
	var rows int
	if err := s.db.GetContext(context.Background(), &rows, `SELECT COUNT(*) FROM sign_in_codes`); err != nil {
		t.Fatal(err)
	}
	if rows != 0 || len(s.outbox.Messages()) != 0 {
		t.Errorf("bad requests left %d codes and %d SMS; want none", rows, len(s.outbox.Messages()))
	}
}

func TestReadSigningEnv(t *testing.T) {
	full := map[string]string{"JWT_PRIVATE_KEY_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:jwt", "JWT_ISSUER": "iss", "JWT_AUDIENCE": "aud"}
	got, err := app.ReadSigningEnv(env(full))
	if err != nil || got != (app.SigningEnv{PrivateKeySecretARN: full["JWT_PRIVATE_KEY_SECRET_ARN"], Issuer: "iss", Audience: "aud"}) {
		t.Errorf("ReadSigningEnv(full) = %+v, %v", got, err)
	}
	for name := range full {
		t.Run("without "+name, func(t *testing.T) {
			partial := map[string]string{}
			for k, v := range full {
				if k != name {
					partial[k] = v
				}
			}
			if _, err := app.ReadSigningEnv(env(partial)); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("ReadSigningEnv without %s = %v; want an error naming it", name, err)
			}
		})
	}
}

func TestCachedSignerLoadsOnceItWorks(t *testing.T) {
	calls := 0
	keyring := newKeyring(t)
	signer := app.CachedSigner(func(context.Context) (auth.Keyring, error) {
		calls++
		if calls == 1 {
			return auth.Keyring{}, errors.New("secrets manager unreachable")
		}
		return keyring, nil
	})
	if _, err := signer(context.Background()); err == nil {
		t.Fatal("first load failed, but the signer did not say")
	}
	for range 3 {
		if k, err := signer(context.Background()); err != nil || k.Private != keyring.Private {
			t.Fatalf("signer = %v; want the loaded key", err)
		}
	}
	if calls != 2 {
		t.Errorf("load called %d times; want twice (one failure, then cached)", calls)
	}
}
