package market_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

func TestSignInCodeSMS(t *testing.T) {
	text := market.SignInCodeSMS("042917")
	if want := "Your Delivery marketplace sign-in code is 042917. It expires in 15 minutes."; text != want {
		t.Errorf("SignInCodeSMS = %q, want %q", text, want)
	}
	if n, ok := market.GSM7Length(text); !ok || n > market.MaxSMSLength {
		t.Errorf("GSM7Length(%q) = %d, %v; want one GSM-7 SMS", text, n, ok)
	}
}

// TestSignInRulesKeepACodeLive: whenever the per-phone bound sends no new
// code, the codes it counted are still live, and the answer says how long
// a code lives.
func TestSignInRulesKeepACodeLive(t *testing.T) {
	if market.SignInCodeTTL < market.SignInWindow {
		t.Errorf("SignInCodeTTL = %s, shorter than SignInWindow %s: a refused phone could be left with no live code", market.SignInCodeTTL, market.SignInWindow)
	}
	if want := fmt.Sprintf("valid for %d minutes", int(market.SignInCodeTTL/time.Minute)); !regexp.MustCompile(want).MatchString(market.SignInCodeSent) {
		t.Errorf("SignInCodeSent = %q; want it to say %q", market.SignInCodeSent, want)
	}
}

const (
	ownerPhone  = "+351910000001"
	nobodyPhone = "+351910000099"
)

// memSignIn is a market.SignInStore in memory, of one known carrier
// (ownerPhone), that keeps the rules the MySQL store keeps.
type memSignIn struct {
	mu    sync.Mutex
	codes []memCode
	// compared counts the attempts counted per code id.
	compared map[int64]int
}

type memCode struct {
	market.SignInCode
	used bool
}

func (m *memSignIn) SignInSubject(_ context.Context, _ market.SignInKind, phone string) (market.SignInSubject, error) {
	if phone == ownerPhone {
		return market.SignInSubject{ID: 1, Name: "Rita"}, nil
	}
	return market.SignInSubject{}, market.Errorf(market.CodeNotFound, "no")
}

func (m *memSignIn) AddCode(_ context.Context, c market.SignInCode, since time.Time) (int64, []time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c.ID = int64(len(m.codes) + 1)
	others := []time.Time{}
	for _, o := range m.codes {
		if o.Kind == c.Kind && o.Phone == c.Phone && o.CreatedAt.After(since) && o.ID != 0 {
			others = append(others, o.CreatedAt)
		}
	}
	m.codes = append(m.codes, memCode{SignInCode: c})
	return c.ID, others, nil
}

// RemoveCode leaves the row but forgets its id, so that ids stay indexes.
func (m *memSignIn) RemoveCode(_ context.Context, id int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.codes[id-1].ID = 0
	return nil
}

func (m *memSignIn) PruneCodes(context.Context, time.Time, int) error { return nil }

func (m *memSignIn) live(kind market.SignInKind, phone string, now time.Time) []market.SignInCode {
	var live []market.SignInCode
	for _, c := range m.codes {
		if c.ID != 0 && c.Kind == kind && c.Phone == phone && !c.used && c.ExpiresAt.After(now) {
			live = append(live, c.SignInCode)
		}
	}
	return live
}

func (m *memSignIn) NewestCode(_ context.Context, kind market.SignInKind, phone string, now time.Time) (market.SignInCode, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	live := m.live(kind, phone, now)
	if len(live) == 0 {
		return market.SignInCode{}, market.Errorf(market.CodeNotFound, "no live code")
	}
	return live[len(live)-1], nil
}

func (m *memSignIn) LiveCodes(_ context.Context, kind market.SignInKind, phone string, now time.Time, limit int) ([]market.SignInCode, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	live := m.live(kind, phone, now)
	return live[:min(limit, len(live))], nil
}

func (m *memSignIn) CountAttempt(_ context.Context, id int64, max int, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := &m.codes[id-1]
	if c.ID == 0 || c.used || !c.ExpiresAt.After(now) || c.Attempts >= max {
		return false, nil
	}
	c.Attempts++
	if m.compared == nil {
		m.compared = map[int64]int{}
	}
	m.compared[id]++
	return true, nil
}

func (m *memSignIn) UseCode(_ context.Context, id int64, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := &m.codes[id-1]
	if c.ID == 0 || c.used || !c.ExpiresAt.After(now) {
		return false, nil
	}
	c.used = true
	return true, nil
}

// memRates is a market.RateStore in memory.
type memRates struct {
	mu     sync.Mutex
	counts map[string]int
}

func (m *memRates) Count(_ context.Context, key string, window time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[key+window.String()], nil
}

func (m *memRates) Add(_ context.Context, key string, window time.Time, capacity int, _ time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[string]int{}
	}
	if m.counts[key+window.String()] >= capacity {
		return false, nil
	}
	m.counts[key+window.String()]++
	return true, nil
}

// outbox records every SMS.
type outbox struct {
	mu   sync.Mutex
	sent []sentSMS
}

type sentSMS struct{ phone, text string }

func (o *outbox) SendText(_ context.Context, phone, text string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, sentSMS{phone, text})
	return nil
}

var sixDigits = regexp.MustCompile(`[0-9]{6}`)

// codes returns the codes sent to phone, oldest first.
func (o *outbox) codes(phone string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var codes []string
	for _, s := range o.sent {
		if s.phone == phone {
			codes = append(codes, sixDigits.FindString(s.text))
		}
	}
	return codes
}

// signInKit is a carrier sign-in on memory stores with a settable clock.
type signInKit struct {
	store *memSignIn
	sms   *outbox
	now   time.Time
	flow  market.SignIn
}

var kitStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newSignInKit(t *testing.T, limits market.Limits) *signInKit {
	t.Helper()
	k := &signInKit{store: &memSignIn{}, sms: &outbox{}, now: kitStart}
	clock := func() time.Time { return k.now }
	k.flow = market.SignIn{Kind: market.SignInCarrier, Store: k.store, Texts: k.sms, Now: clock,
		Limits: limits, Limiter: &market.RateLimiter{Store: &memRates{}, Now: clock}}
	return k
}

func (k *signInKit) request(client, phone string) error {
	return k.flow.RequestCode(context.Background(), market.CodeRequest{Phone: &phone, Client: client})
}

func (k *signInKit) redeem(client, phone, code string) (market.SignInSubject, error) {
	return k.flow.Redeem(context.Background(), market.SessionRequest{Phone: &phone, Code: &code, Client: client})
}

// wrong returns a code that none of codes is.
func wrong(codes ...string) string {
	taken := map[string]bool{}
	for _, c := range codes {
		taken[c] = true
	}
	for i := 0; ; i++ {
		if c := fmt.Sprintf("%06d", i); !taken[c] {
			return c
		}
	}
}

// TestSignInCodesAreRandomAndHashed: the SMS holds a fresh 6-digit code
// that the store never sees in the clear.
func TestSignInCodesAreRandomAndHashed(t *testing.T) {
	k := newSignInKit(t, market.Limits{})
	codes := map[string]bool{}
	salts := map[string]bool{}
	for i := range 20 {
		// Each in a window of its own, so that the per-phone bound
		// never holds one back.
		k.now = kitStart.Add(time.Duration(i) * market.SignInWindow)
		if err := k.request("192.0.2.1", ownerPhone); err != nil {
			t.Fatal(err)
		}
		sent := k.sms.codes(ownerPhone)
		code := sent[len(sent)-1]
		c := k.store.codes[len(k.store.codes)-1]
		if c.Hash == nil || c.Salt == nil || len(*c.Hash) != 64 || len(*c.Salt) != 32 || *c.Hash == code {
			t.Fatalf("stored %+v; want a hash and a salt", c)
		}
		if !c.ExpiresAt.Equal(c.CreatedAt.Add(market.SignInCodeTTL)) {
			t.Errorf("expires %v, want created %v + %s", c.ExpiresAt, c.CreatedAt, market.SignInCodeTTL)
		}
		codes[code], salts[*c.Salt] = true, true
		if _, err := k.redeem("192.0.2.1", ownerPhone, code); err != nil {
			t.Errorf("Redeem(the code sent) = %v", err)
		}
	}
	if len(codes) < 15 || len(salts) != 20 {
		t.Errorf("%d distinct codes and %d distinct salts in 20 requests; want them random", len(codes), len(salts))
	}
}

// TestRequestCodeOverThePhoneBound: past SignInMaxCodes within the window
// a request is answered as any other and sends nothing, known phone or
// not; once the oldest code leaves the window, one more is sent.
func TestRequestCodeOverThePhoneBound(t *testing.T) {
	tests := []struct {
		name     string
		phone    string
		wantSent int
	}{
		{"the owner's phone", ownerPhone, market.SignInMaxCodes},
		{"nobody's phone", nobodyPhone, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newSignInKit(t, market.Limits{})
			for i := range market.SignInMaxCodes + 3 {
				k.now = kitStart.Add(time.Duration(i) * time.Minute)
				if err := k.request(fmt.Sprintf("198.51.100.%d", i), tt.phone); err != nil {
					t.Fatalf("request %d = %v; want nil, as for any request", i+1, err)
				}
			}
			if got := len(k.sms.codes(tt.phone)); got != tt.wantSent {
				t.Errorf("%d SMS to %s after %d requests; want %d", got, tt.phone, market.SignInMaxCodes+3, tt.wantSent)
			}
			k.now = kitStart.Add(market.SignInWindow)
			if err := k.request("198.51.100.99", tt.phone); err != nil {
				t.Fatalf("request once the first left the window = %v", err)
			}
			if tt.phone == ownerPhone && len(k.sms.codes(tt.phone)) != tt.wantSent+1 {
				t.Errorf("no code sent once the first request left the window")
			}
		})
	}
}

// TestRedeemAnyLiveCode: a stranger asks for codes for the owner's phone
// until no more are sent; the owner asks too, is answered alike, and signs
// in with whichever code their phone got. The sign-in retires the others.
func TestRedeemAnyLiveCode(t *testing.T) {
	for use := range market.SignInMaxCodes {
		t.Run(fmt.Sprintf("code %d of %d", use+1, market.SignInMaxCodes), func(t *testing.T) {
			k := newSignInKit(t, market.Limits{})
			for i := range market.SignInMaxCodes {
				k.now = kitStart.Add(time.Duration(i) * time.Minute)
				if err := k.request("203.0.113.66", ownerPhone); err != nil {
					t.Fatal(err)
				}
			}
			// The owner's own request, the last moment no new code may
			// be sent: the stranger's first code is still live.
			k.now = kitStart.Add(market.SignInWindow - time.Second)
			if err := k.request("192.0.2.1", ownerPhone); err != nil {
				t.Fatalf("owner's request = %v; want the answer of a sent code", err)
			}
			got := k.sms.codes(ownerPhone)
			if len(got) != market.SignInMaxCodes {
				t.Fatalf("%d codes sent; want %d", len(got), market.SignInMaxCodes)
			}
			subject, err := k.redeem("192.0.2.1", ownerPhone, got[use])
			if err != nil || subject.ID != 1 {
				t.Fatalf("Redeem(code %d) = %+v, %v; want the owner signed in", use+1, subject, err)
			}
			for i, code := range got {
				if _, err := k.redeem("192.0.2.1", ownerPhone, code); market.ErrorCode(err) != market.CodeUnauthorized {
					t.Errorf("Redeem(code %d) after the sign-in = %v; want unauthorized, every code retired", i+1, err)
				}
			}
		})
	}
}

// TestRedeemCountsEachLiveCode: a wrong guess counts against every live
// code; so a phone's codes allow SignInMaxAttempts comparisons each, and
// no more, however the guesses come.
func TestRedeemCountsEachLiveCode(t *testing.T) {
	tests := []struct {
		name  string
		codes int
		wrong int
	}{
		{"one code, every attempt", 1, market.SignInMaxAttempts},
		{"every code, every attempt", market.SignInMaxCodes, market.SignInMaxAttempts},
		{"every code, many more guesses", market.SignInMaxCodes, 4 * market.SignInMaxAttempts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newSignInKit(t, market.Limits{})
			for i := range tt.codes {
				k.now = kitStart.Add(time.Duration(i) * time.Second)
				if err := k.request("203.0.113.66", ownerPhone); err != nil {
					t.Fatal(err)
				}
			}
			sent := k.sms.codes(ownerPhone)
			for range tt.wrong {
				if _, err := k.redeem("203.0.113.66", ownerPhone, wrong(sent...)); market.ErrorCode(err) != market.CodeUnauthorized {
					t.Fatalf("wrong guess = %v; want unauthorized", err)
				}
			}
			for id, n := range k.store.compared {
				if n != market.SignInMaxAttempts {
					t.Errorf("code %d compared %d times; want %d", id, n, market.SignInMaxAttempts)
				}
			}
			if len(k.store.compared) != tt.codes {
				t.Errorf("%d codes compared; want all %d", len(k.store.compared), tt.codes)
			}
			// Spent: even the right code no longer signs in.
			if _, err := k.redeem("192.0.2.1", ownerPhone, sent[0]); market.ErrorCode(err) != market.CodeUnauthorized {
				t.Errorf("Redeem(right code) after every attempt = %v; want unauthorized", err)
			}
		})
	}
}

// TestRedeemSkipsACodeNeverSent: a request over the bound holds a row of
// its own until it removes it; Redeem tries the oldest SignInMaxCodes
// only, the codes that were sent.
func TestRedeemSkipsACodeNeverSent(t *testing.T) {
	k := newSignInKit(t, market.Limits{})
	for i := range market.SignInMaxCodes {
		k.now = kitStart.Add(time.Duration(i) * time.Second)
		if err := k.request("203.0.113.66", ownerPhone); err != nil {
			t.Fatal(err)
		}
	}
	// A row as a concurrent request over the bound leaves it for a moment.
	salt, hash := "00", "00"
	if _, _, err := k.store.AddCode(context.Background(), market.SignInCode{Kind: market.SignInCarrier, Phone: ownerPhone,
		Salt: &salt, Hash: &hash, CreatedAt: k.now, ExpiresAt: k.now.Add(market.SignInCodeTTL)}, kitStart); err != nil {
		t.Fatal(err)
	}
	if _, err := k.redeem("203.0.113.66", ownerPhone, "123456"); market.ErrorCode(err) != market.CodeUnauthorized {
		t.Fatalf("Redeem = %v", err)
	}
	if n := k.store.compared[int64(market.SignInMaxCodes+1)]; n != 0 {
		t.Errorf("the code never sent was compared %d times; want none", n)
	}
}

// TestSignInClientLimits: the per-client and total bounds answer 429 with
// a Retry-After, alike for every phone, and one client's bound leaves
// another client served.
func TestSignInClientLimits(t *testing.T) {
	hour := time.Hour
	tests := []struct {
		name   string
		limits market.Limits
		// step is the n-th call (0-based) of a client to a phone.
		step func(k *signInKit, client, phone string) error
		max  int
		// shared: the bound is everyone's, so another client is refused too.
		shared bool
	}{
		{
			name:   "code requests per client",
			limits: market.Limits{SignInCodesPerClient: market.Limit{Max: 4, Window: hour}},
			step:   func(k *signInKit, client, phone string) error { return k.request(client, phone) },
			max:    4,
		},
		{
			name:   "code requests in total",
			limits: market.Limits{SignInCodesTotal: market.Limit{Max: 5, Window: hour}},
			step:   func(k *signInKit, client, phone string) error { return k.request(client, phone) },
			max:    5, shared: true,
		},
		{
			name:   "code checks per client",
			limits: market.Limits{SignInChecksPerClient: market.Limit{Max: 6, Window: hour}},
			step: func(k *signInKit, client, phone string) error {
				_, err := k.redeem(client, phone, "123456")
				if market.ErrorCode(err) == market.CodeUnauthorized {
					return nil
				}
				return err
			},
			max: 6,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newSignInKit(t, tt.limits)
			// Spread over many phones, known and not: the bound is the
			// client's, not a phone's.
			phone := func(i int) string { return fmt.Sprintf("+3519300%05d", i) }
			for i := range tt.max {
				if err := tt.step(k, "203.0.113.66", phone(i)); err != nil {
					t.Fatalf("call %d = %v; want it allowed", i+1, err)
				}
			}
			for _, p := range []string{ownerPhone, nobodyPhone} {
				err := tt.step(k, "203.0.113.66", p)
				var me *market.Error
				if !errors.As(err, &me) || me.Code != market.CodeThrottled {
					t.Fatalf("call over the bound for %s = %v; want throttled", p, err)
				}
				if ra, ok := me.Details.(market.RetryAfter); !ok || ra.Seconds < 1 || ra.Seconds > int(2*hour/time.Second) {
					t.Errorf("throttled details = %#v; want the seconds to wait, within two windows", me.Details)
				}
			}
			err := tt.step(k, "192.0.2.1", ownerPhone)
			if tt.shared {
				if market.ErrorCode(err) != market.CodeThrottled {
					t.Errorf("another client under a shared bound = %v; want throttled", err)
				}
			} else if err != nil {
				t.Errorf("another client = %v; want it served", err)
			}
			// An IPv6 client is limited by its /64.
			if !tt.shared {
				k := newSignInKit(t, tt.limits)
				for i := range tt.max {
					if err := tt.step(k, fmt.Sprintf("2001:db8::%x", i+1), phone(i)); err != nil {
						t.Fatalf("IPv6 call %d = %v", i+1, err)
					}
				}
				if err := tt.step(k, "2001:db8::ffff", ownerPhone); market.ErrorCode(err) != market.CodeThrottled {
					t.Errorf("another address of the same /64 = %v; want throttled", err)
				}
			}
		})
	}
}

// TestSignInClientBoundsBeforeThePhone: a throttled client's request is
// not looked up, stored or sent: nothing about the phone happens.
func TestSignInClientBoundsBeforeThePhone(t *testing.T) {
	k := newSignInKit(t, market.Limits{SignInCodesPerClient: market.Limit{Max: 1, Window: time.Hour}})
	if err := k.request("203.0.113.66", nobodyPhone); err != nil {
		t.Fatal(err)
	}
	if err := k.request("203.0.113.66", ownerPhone); market.ErrorCode(err) != market.CodeThrottled {
		t.Fatalf("second request = %v; want throttled", err)
	}
	if n := len(k.sms.codes(ownerPhone)); n != 0 || len(k.store.codes) != 1 {
		t.Errorf("a throttled request sent %d SMS and stored %d rows; want nothing", n, len(k.store.codes)-1)
	}
}

// slowTexts takes as long to send as SNS might.
type slowTexts struct{ delay time.Duration }

func (s slowTexts) SendText(context.Context, string, string) error {
	time.Sleep(s.delay)
	return nil
}

// TestSignInAnswerTakesTheFloor: a known phone (whose SMS is sent), an
// unknown one and a known one over its bound (nothing sent) all answer
// after MinAnswer, not sooner. Only lower bounds are asserted: the
// machine may be slow, never fast.
func TestSignInAnswerTakesTheFloor(t *testing.T) {
	const floor = 50 * time.Millisecond
	store := &memSignIn{}
	flow := market.SignIn{Kind: market.SignInCarrier, Store: store, Texts: slowTexts{10 * time.Millisecond}, MinAnswer: floor}
	phones := []string{nobodyPhone}
	for range market.SignInMaxCodes + 1 {
		phones = append(phones, ownerPhone)
	}
	for i, phone := range phones {
		start := time.Now()
		if err := flow.RequestCode(context.Background(), market.CodeRequest{Phone: &phone}); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < floor {
			t.Errorf("request %d answered after %s, before the %s floor", i+1, took, floor)
		}
	}
}

// TestSignInOddsFollowTheRules: the per-phone odds docs/orders.md states
// follow from the rules.
func TestSignInOddsFollowTheRules(t *testing.T) {
	windowsPerDay := int(24 * time.Hour / market.SignInWindow)
	perPhone := windowsPerDay * market.SignInMaxCodes * market.SignInMaxAttempts
	if perPhone != 1440 {
		t.Errorf("comparisons per phone per day = %d; docs/orders.md says 1440 (0.144 %%)", perPhone)
	}
}
