package market_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

func TestSignInCodeSMS(t *testing.T) {
	text := market.SignInCodeSMS("042917")
	if want := "Your Delivery marketplace sign-in code is 042917. It expires in 10 minutes."; text != want {
		t.Errorf("SignInCodeSMS = %q, want %q", text, want)
	}
	if n, ok := market.GSM7Length(text); !ok || n > market.MaxSMSLength {
		t.Errorf("GSM7Length(%q) = %d, %v; want one GSM-7 SMS", text, n, ok)
	}
}

// memSignIn is a market.SignInStore of one known carrier, enough to read
// what RequestCode stores.
type memSignIn struct {
	codes []market.SignInCode
}

func (m *memSignIn) SignInSubject(_ context.Context, _ market.SignInKind, phone string) (market.SignInSubject, error) {
	if phone == "+351910000001" {
		return market.SignInSubject{ID: 1, Name: "Rita"}, nil
	}
	return market.SignInSubject{}, market.Errorf(market.CodeNotFound, "no")
}

func (m *memSignIn) AddCode(_ context.Context, c market.SignInCode, _ time.Time) (int64, []time.Time, error) {
	c.ID = int64(len(m.codes) + 1)
	m.codes = append(m.codes, c)
	return c.ID, nil, nil
}

func (m *memSignIn) RemoveCode(context.Context, int64) error { return nil }

func (m *memSignIn) PruneCodes(context.Context, time.Time, int) error { return nil }

func (m *memSignIn) NewestCode(context.Context, market.SignInKind, string, time.Time) (market.SignInCode, error) {
	return m.codes[len(m.codes)-1], nil
}

func (m *memSignIn) CountAttempt(context.Context, int64, int, time.Time) (bool, error) {
	return true, nil
}

func (m *memSignIn) UseCode(context.Context, int64, time.Time) (bool, error) { return true, nil }

type lastText struct{ phone, text string }

func (l *lastText) SendText(_ context.Context, phone, text string) error {
	l.phone, l.text = phone, text
	return nil
}

// TestSignInCodesAreRandomAndHashed: the SMS holds a fresh 6-digit code
// that the store never sees in the clear.
func TestSignInCodesAreRandomAndHashed(t *testing.T) {
	store, sms := &memSignIn{}, &lastText{}
	flow := market.SignIn{Kind: market.SignInCarrier, Store: store, Texts: sms}
	phone := "+351910000001"
	codes := map[string]bool{}
	salts := map[string]bool{}
	for range 20 {
		if err := flow.RequestCode(context.Background(), market.CodeRequest{Phone: &phone}); err != nil {
			t.Fatal(err)
		}
		code := regexp.MustCompile(`[0-9]{6}`).FindString(sms.text)
		c := store.codes[len(store.codes)-1]
		if c.Hash == nil || c.Salt == nil || len(*c.Hash) != 64 || len(*c.Salt) != 32 || *c.Hash == code {
			t.Fatalf("stored %+v; want a hash and a salt", c)
		}
		if !c.ExpiresAt.Equal(c.CreatedAt.Add(market.SignInCodeTTL)) {
			t.Errorf("expires %v, want created %v + 10 min", c.ExpiresAt, c.CreatedAt)
		}
		codes[code], salts[*c.Salt] = true, true
		if _, err := flow.Redeem(context.Background(), market.SessionRequest{Phone: &phone, Code: &code}); err != nil {
			t.Errorf("Redeem(the code sent) = %v", err)
		}
	}
	if len(codes) < 15 || len(salts) != 20 {
		t.Errorf("%d distinct codes and %d distinct salts in 20 requests; want them random", len(codes), len(salts))
	}
}

// slowTexts takes as long to send as SNS might.
type slowTexts struct{ delay time.Duration }

func (s slowTexts) SendText(context.Context, string, string) error {
	time.Sleep(s.delay)
	return nil
}

// TestSignInAnswerTakesTheFloor: a known phone (whose SMS is sent) and an
// unknown one (nothing sent) both answer after MinAnswer, not sooner. Only
// lower bounds are asserted: the machine may be slow, never fast.
func TestSignInAnswerTakesTheFloor(t *testing.T) {
	const floor = 50 * time.Millisecond
	flow := market.SignIn{Kind: market.SignInCarrier, Store: &memSignIn{}, Texts: slowTexts{10 * time.Millisecond}, MinAnswer: floor}
	for _, phone := range []string{"+351910000001", "+351910000099"} {
		start := time.Now()
		if err := flow.RequestCode(context.Background(), market.CodeRequest{Phone: &phone}); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < floor {
			t.Errorf("RequestCode(%s) answered after %s, before the %s floor", phone, took, floor)
		}
	}
}
