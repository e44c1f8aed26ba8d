package mysql_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

func TestAccessRevokeAndDisable(t *testing.T) {
	t.Parallel()
	f := newSignInFixture(t)
	ctx := context.Background()
	store := mysql.NewAccessStore(f.db)
	later := signInStart.Add(time.Hour)
	tests := []struct {
		name string
		kind market.PrincipalKind
		id   int64
	}{
		{"company", market.PrincipalCompany, f.company},
		{"carrier", market.PrincipalCarrier, f.carrier},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := func(enabled bool, from time.Time) {
				t.Helper()
				a, err := store.Access(ctx, tt.kind, tt.id)
				if err != nil || a.Enabled != enabled || a.TokensValidFrom != from.UnixMilli() {
					t.Fatalf("Access = %+v, %v; want enabled %v, tokens valid from %d", a, err, enabled, from.UnixMilli())
				}
			}
			want(true, time.Unix(0, 0))
			if err := store.RevokeTokens(ctx, tt.kind, tt.id, later); err != nil {
				t.Fatal(err)
			}
			want(true, later)
			// A cutoff never moves back: an older revocation that lands late
			// must not revive the tokens a newer one refused.
			if err := store.RevokeTokens(ctx, tt.kind, tt.id, signInStart); err != nil {
				t.Fatal(err)
			}
			want(true, later)
			if err := store.SetEnabled(ctx, tt.kind, tt.id, false, later.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			want(false, later.Add(time.Minute))
			// Enabled again, the tokens issued before the disabling stay refused.
			if err := store.SetEnabled(ctx, tt.kind, tt.id, true, time.Time{}); err != nil {
				t.Fatal(err)
			}
			want(true, later.Add(time.Minute))
			wantCode(t, store.RevokeTokens(ctx, tt.kind, 999, later), market.CodeNotFound)
			wantCode(t, store.SetEnabled(ctx, tt.kind, 999, false, later), market.CodeNotFound)
		})
	}
}

func TestDisabledCompanyCannotSignIn(t *testing.T) {
	t.Parallel()
	f := newSignInFixture(t)
	ctx := context.Background()
	access := mysql.NewAccessStore(f.db)
	flow := f.flow(market.SignInCompany)
	flow.Store = market.EnabledSignIn(mysql.NewSignInStore(f.db), access)
	phone := companyPhone
	before := len(f.texts.all())
	if err := access.SetEnabled(ctx, market.PrincipalCompany, f.company, false, signInStart); err != nil {
		t.Fatal(err)
	}
	if err := flow.RequestCode(ctx, market.CodeRequest{Phone: &phone}); err != nil {
		t.Fatalf("RequestCode for a disabled company = %v; want the answer of any phone", err)
	}
	if sent := f.texts.all()[before:]; len(sent) != 0 {
		t.Fatalf("a disabled company was sent %d SMS", len(sent))
	}
	if err := access.SetEnabled(ctx, market.PrincipalCompany, f.company, true, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := flow.RequestCode(ctx, market.CodeRequest{Phone: &phone}); err != nil {
		t.Fatal(err)
	}
	if sent := f.texts.all()[before:]; len(sent) != 1 {
		t.Fatalf("an enabled company was sent %d SMS; want its code", len(sent))
	}
}

const (
	newPhone   = "+351910000077"
	otherPhone = "+351910000088" // another company's sign-in phone
)

// phoneFixture is a sign-in fixture with a second company, whose phone is
// otherPhone, and a phone change flow over it.
type phoneFixture struct {
	*signInFixture
	change market.PhoneChange
	other  int64
	issued time.Time // when the company's token in hand was issued
}

func newPhoneFixture(t *testing.T) *phoneFixture {
	t.Helper()
	f := newSignInFixture(t)
	other := insertCompany(t, f.db, "Casa Nonna")
	if _, err := f.db.ExecContext(context.Background(), `UPDATE companies SET phone = ? WHERE id = ?`, otherPhone, other); err != nil {
		t.Fatal(err)
	}
	sessions := market.Sessions{Store: mysql.NewAccessStore(f.db), Now: f.clock.Now}
	change := market.PhoneChange{Codes: mysql.NewSignInStore(f.db), Phones: mysql.NewProfileStore(f.db), Sessions: sessions, Texts: f.texts, Now: f.clock.Now}
	return &phoneFixture{signInFixture: f, change: change, other: other, issued: signInStart.Add(-time.Hour)}
}

// codes asks for the codes of a change to phone and returns what the
// current phone and the new number received.
func (f *phoneFixture) codes(t *testing.T, phone string) (current, next string) {
	t.Helper()
	before := len(f.texts.all())
	if err := f.change.RequestCodes(context.Background(), f.company, f.issued, market.PhoneChangeRequest{Phone: &phone}); err != nil {
		t.Fatalf("RequestCodes(%s) = %v", phone, err)
	}
	for _, s := range f.texts.all()[before:] {
		switch s.phone {
		case companyPhone:
			current = sixDigits.FindString(s.text)
		case phone:
			next = sixDigits.FindString(s.text)
		}
	}
	return current, next
}

func (f *phoneFixture) confirm(phone, current, next string) (market.CompanyProfile, time.Time, error) {
	req := market.PhoneChangeConfirm{Phone: &phone, NewCode: &next}
	if current != "" {
		req.CurrentCode = &current
	}
	return f.change.Confirm(context.Background(), f.company, f.issued, req)
}

func TestPhoneChange(t *testing.T) {
	t.Parallel()
	f := newPhoneFixture(t)
	ctx := context.Background()
	current, next := f.codes(t, newPhone)
	if current == "" || next == "" {
		t.Fatalf("codes = %q to the current phone, %q to the new; want one each", current, next)
	}
	// A stolen token alone: the thief has the new number's code only.
	_, _, err := f.confirm(newPhone, "", next)
	wantCode(t, err, market.CodeInvalid)
	_, _, err = f.confirm(newPhone, wrongCode(current), next)
	wantCode(t, err, market.CodeUnauthorized)
	if p, _ := mysql.NewProfileStore(f.db).Profile(ctx, f.company); p.Phone != companyPhone {
		t.Fatalf("after refused changes the phone is %s", p.Phone)
	}
	// Sign-in codes are not phone-change codes.
	signInCode, err := f.request(t, market.SignInCompany, companyPhone)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = f.confirm(newPhone, signInCode, next)
	wantCode(t, err, market.CodeUnauthorized)

	before := len(f.texts.all())
	f.clock.set(signInStart.Add(time.Minute))
	p, from, err := f.confirm(newPhone, current, next)
	if err != nil {
		t.Fatalf("Confirm with both codes = %v", err)
	}
	if p.Phone != newPhone || from.Before(signInStart.Add(time.Minute)) {
		t.Errorf("Confirm = %+v from %v; want the new phone, tokens from the change on", p, from)
	}
	notices := f.texts.all()[before:]
	if len(notices) != 1 || notices[0].phone != companyPhone || notices[0].text != market.PhoneChangedSMS {
		t.Errorf("SMS after the change = %+v; want the notice to the old phone only", notices)
	}
	if strings.Contains(notices[0].text, newPhone) || strings.Contains(notices[0].text, "Padaria") {
		t.Errorf("the notice %q tells more than that the phone changed", notices[0].text)
	}
	a, err := mysql.NewAccessStore(f.db).Access(ctx, market.PrincipalCompany, f.company)
	if err != nil || a.Refusal(market.PrincipalCompany, f.company, f.issued) == "" {
		t.Errorf("Access after the change = %+v, %v; want the token in hand refused", a, err)
	}
	if _, err := f.redeem(market.SignInCompany, companyPhone, signInCode); market.ErrorCode(err) != market.CodeUnauthorized {
		t.Errorf("sign-in with the old phone's code after the change = %v; want refused", err)
	}
	code, err := f.request(t, market.SignInCompany, newPhone)
	if err != nil || code == "" {
		t.Fatalf("code to the new phone = %q, %v", code, err)
	}
	if s, err := f.redeem(market.SignInCompany, newPhone, code); err != nil || s.ID != f.company {
		t.Errorf("sign-in with the new phone = %+v, %v; want the company", s, err)
	}
	// The codes are used up: a replay changes nothing.
	_, _, err = f.confirm(newPhone, current, next)
	wantCode(t, err, market.CodeUnauthorized)
}

// TestPhoneChangeTellsNothingOfOthers: a request for another company's
// phone is answered and texted as one for a free number; only once both
// codes are proven is the number said to be unavailable.
func TestPhoneChangeTellsNothingOfOthers(t *testing.T) {
	t.Parallel()
	f := newPhoneFixture(t)
	ctx := context.Background()
	tests := []struct {
		name, phone string
		want        market.Code
	}{
		{"another company's phone", otherPhone, market.CodeConflict},
		{"a free number", newPhone, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			current, next := f.codes(t, tt.phone)
			if current == "" || next == "" {
				t.Fatalf("codes for %s = %q, %q; want both sent, as for any number", tt.phone, current, next)
			}
			_, _, err := f.confirm(tt.phone, current, next)
			if codeOf(err) != tt.want {
				t.Fatalf("Confirm = %v; want %q", err, tt.want)
			}
		})
	}
	if p, _ := mysql.NewProfileStore(f.db).Profile(ctx, f.other); p.Phone != otherPhone {
		t.Errorf("the other company's phone is now %s", p.Phone)
	}
}

func TestProfileEditKeepsThePhone(t *testing.T) {
	t.Parallel()
	f := newSignInFixture(t)
	ctx := context.Background()
	store := mysql.NewProfileStore(f.db)
	tests := []struct {
		name  string
		phone string
		want  market.Code
	}{
		{"another phone", newPhone, market.CodeInvalid},
		{"the same phone", companyPhone, ""},
		{"no phone", "", ""},
	}
	version := int64(1)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := store.ReplaceProfile(ctx, f.company, version, market.ProfileDraft{Address: "Rua 2", Phone: tt.phone})
			if codeOf(err) != tt.want {
				t.Fatalf("ReplaceProfile = %v; want %q", err, tt.want)
			}
			if err == nil {
				version = p.Version
			}
			if p, _ := store.Profile(ctx, f.company); p.Phone != companyPhone {
				t.Errorf("phone = %s; want it unchanged", p.Phone)
			}
		})
	}
}

// codeOf is err's code, "" for no error.
func codeOf(err error) market.Code {
	if err == nil {
		return ""
	}
	return market.ErrorCode(err)
}
