package mysql_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// texts records the SMS a sign-in sends.
type texts struct {
	mu   sync.Mutex
	sent []sentText
	err  error
}

type sentText struct{ phone, text string }

func (s *texts) SendText(_ context.Context, phone, text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, sentText{phone, text})
	return s.err
}

func (s *texts) all() []sentText {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sentText(nil), s.sent...)
}

// clock is a settable time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

var signInStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	carrierPhone = "+351910000001"
	companyPhone = "+351910000002"
	unknownPhone = "+351910000009"
	retiredPhone = "+351910000003"
)

// signInFixture is a database with one active carrier, one inactive
// carrier and one company with a phone.
type signInFixture struct {
	db      *sqlx.DB
	clock   *clock
	texts   *texts
	carrier int64
	company int64
}

func newSignInFixture(t *testing.T) *signInFixture {
	t.Helper()
	db := dbtest.MustOpenDB(t)
	ctx := context.Background()
	carriers := mysql.NewCarrierStore(db)
	c, err := carriers.AddCarrier(ctx, market.Carrier{Name: "Rita Rider", Phone: carrierPhone})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := carriers.AddCarrier(ctx, market.Carrier{Name: "Old Rider", Phone: retiredPhone}); err != nil {
		t.Fatal(err)
	}
	if _, err := carriers.SetCarrierActive(ctx, retiredPhone, false); err != nil {
		t.Fatal(err)
	}
	company := insertCompany(t, db, "Padaria Sol")
	if _, err := db.ExecContext(ctx, `UPDATE companies SET phone = ? WHERE id = ?`, companyPhone, company); err != nil {
		t.Fatal(err)
	}
	return &signInFixture{db: db, clock: &clock{now: signInStart}, texts: &texts{}, carrier: c.ID, company: company}
}

func (f *signInFixture) flow(kind market.SignInKind) market.SignIn {
	return market.SignIn{Kind: kind, Store: mysql.NewSignInStore(f.db), Texts: f.texts, Now: f.clock.Now}
}

var sixDigits = regexp.MustCompile(`\b[0-9]{6}\b`)

// request asks for a code and returns the code the SMS carried, if any.
func (f *signInFixture) request(t *testing.T, kind market.SignInKind, phone string) (string, error) {
	t.Helper()
	before := len(f.texts.all())
	err := f.flow(kind).RequestCode(context.Background(), market.CodeRequest{Phone: &phone})
	sent := f.texts.all()[before:]
	switch len(sent) {
	case 0:
		return "", err
	case 1:
		return sixDigits.FindString(sent[0].text), err
	}
	t.Fatalf("one request sent %d SMS", len(sent))
	return "", nil
}

func (f *signInFixture) redeem(kind market.SignInKind, phone, code string) (market.SignInSubject, error) {
	return f.flow(kind).Redeem(context.Background(), market.SessionRequest{Phone: &phone, Code: &code})
}

func (f *signInFixture) rows(t *testing.T, phone string) int {
	t.Helper()
	var n int
	if err := f.db.GetContext(context.Background(), &n, `SELECT COUNT(*) FROM sign_in_codes WHERE phone = ?`, phone); err != nil {
		t.Fatal(err)
	}
	return n
}

func wantCode(t *testing.T, err error, code market.Code) {
	t.Helper()
	if market.ErrorCode(err) != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

// wrongCode returns a code that is not code.
func wrongCode(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func TestSignInByCode(t *testing.T) {
	for _, kind := range []market.SignInKind{market.SignInCarrier, market.SignInCompany} {
		t.Run(string(kind), func(t *testing.T) {
			f := newSignInFixture(t)
			phone, wantSubject := carrierPhone, market.SignInSubject{ID: f.carrier, Name: "Rita Rider"}
			if kind == market.SignInCompany {
				phone, wantSubject = companyPhone, market.SignInSubject{ID: f.company, Name: "Padaria Sol"}
			}
			// Spaces and dashes are part of how people type numbers.
			code, err := f.request(t, kind, strings.ReplaceAll(phone, "0000", " 00-00 "))
			if err != nil {
				t.Fatalf("RequestCode = %v", err)
			}
			sent := f.texts.all()
			if len(sent) != 1 || sent[0].phone != phone || sent[0].text != market.SignInCodeSMS(code) || code == "" {
				t.Fatalf("sent %+v; want one SMS to %s with the code's text", sent, phone)
			}

			var stored struct {
				Hash    string `db:"code_hash"`
				Salt    string `db:"salt"`
				Subject int64  `db:"subject_id"`
			}
			if err := f.db.GetContext(context.Background(), &stored, `SELECT code_hash, salt, subject_id FROM sign_in_codes WHERE phone = ?`, phone); err != nil {
				t.Fatal(err)
			}
			if len(stored.Hash) != 64 || len(stored.Salt) != 32 || strings.Contains(stored.Hash, code) || strings.Contains(stored.Salt, code) || stored.Subject != wantSubject.ID {
				t.Errorf("stored %+v; want a 64-hex hash and 32-hex salt that do not hold the code %s", stored, code)
			}

			other := market.SignInCompany
			if kind == market.SignInCompany {
				other = market.SignInCarrier
			}
			_, err = f.redeem(other, phone, code)
			wantCode(t, err, market.CodeUnauthorized)

			subject, err := f.redeem(kind, phone, code)
			if err != nil || subject != wantSubject {
				t.Fatalf("Redeem = %+v, %v; want %+v", subject, err, wantSubject)
			}
			_, err = f.redeem(kind, phone, code)
			wantCode(t, err, market.CodeUnauthorized) // one use
		})
	}
}

// TestSignInUnknownPhone: an unknown or inactive phone is answered as a
// known one, gets no SMS, and counts against the same bound, past which
// the answer is still the same.
func TestSignInUnknownPhone(t *testing.T) {
	tests := []struct {
		name  string
		kind  market.SignInKind
		phone string
	}{
		{"unknown carrier", market.SignInCarrier, unknownPhone},
		{"inactive carrier", market.SignInCarrier, retiredPhone},
		{"unknown company", market.SignInCompany, unknownPhone},
		{"a carrier's phone as a company", market.SignInCompany, carrierPhone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSignInFixture(t)
			for i := range market.SignInMaxCodes {
				if _, err := f.request(t, tt.kind, tt.phone); err != nil {
					t.Fatalf("request %d = %v, want nil", i+1, err)
				}
			}
			if sent := f.texts.all(); len(sent) != 0 {
				t.Errorf("sent %+v to a phone of nobody", sent)
			}
			if _, err := f.request(t, tt.kind, tt.phone); err != nil {
				t.Fatalf("request over the bound = %v, want nil", err)
			}
			var nulls int
			if err := f.db.GetContext(context.Background(), &nulls, `SELECT COUNT(*) FROM sign_in_codes
				WHERE phone = ? AND subject_id IS NULL AND code_hash IS NULL AND salt IS NULL`, tt.phone); err != nil {
				t.Fatal(err)
			}
			if nulls != market.SignInMaxCodes {
				t.Errorf("%d rows without subject or code; want one per accepted request", nulls)
			}
			for _, code := range []string{"000000", "123456", "999999"} {
				_, err := f.redeem(tt.kind, tt.phone, code)
				wantCode(t, err, market.CodeUnauthorized)
			}
		})
	}
}

// TestSignInPhoneBound: past SignInMaxCodes within the window a request
// is answered as any other, sends nothing and leaves nothing; the codes
// sent are still live for the owner until a new one may be sent.
func TestSignInPhoneBound(t *testing.T) {
	f := newSignInFixture(t)
	var sent []string
	for i := range market.SignInMaxCodes {
		f.clock.set(signInStart.Add(time.Duration(i) * time.Minute))
		code, err := f.request(t, market.SignInCarrier, carrierPhone)
		if err != nil || code == "" {
			t.Fatalf("request %d = %q, %v", i+1, code, err)
		}
		sent = append(sent, code)
	}
	for _, at := range []time.Duration{3*time.Minute + 500*time.Millisecond, market.SignInWindow - time.Second} {
		f.clock.set(signInStart.Add(at))
		code, err := f.request(t, market.SignInCarrier, carrierPhone)
		if err != nil || code != "" {
			t.Fatalf("request over the bound at +%s = %q, %v; want nil and no SMS", at, code, err)
		}
	}
	if n := f.rows(t, carrierPhone); n != market.SignInMaxCodes {
		t.Errorf("%d rows after requests over the bound; they must not count", n)
	}
	// The bound is per kind and per phone.
	if _, err := f.request(t, market.SignInCompany, carrierPhone); err != nil {
		t.Errorf("company code for the carrier's phone = %v, want nil", err)
	}
	if _, err := f.request(t, market.SignInCarrier, unknownPhone); err != nil {
		t.Errorf("code for another phone = %v, want nil", err)
	}
	if sent := len(f.texts.all()); sent != market.SignInMaxCodes {
		t.Errorf("%d SMS sent; want %d", sent, market.SignInMaxCodes)
	}
	// The last moment no new code may be sent: the first is still live.
	f.clock.set(signInStart.Add(market.SignInWindow - time.Second))
	if _, err := f.redeem(market.SignInCarrier, carrierPhone, sent[0]); err != nil {
		t.Errorf("Redeem(first code) while no new one may be sent = %v", err)
	}
	f.clock.set(signInStart.Add(market.SignInWindow))
	code, err := f.request(t, market.SignInCarrier, carrierPhone)
	if err != nil || code == "" {
		t.Fatalf("request once the first left the window = %q, %v; want a code", code, err)
	}
	if _, err := f.redeem(market.SignInCarrier, carrierPhone, code); err != nil {
		t.Errorf("Redeem = %v", err)
	}
}

func TestSignInAttempts(t *testing.T) {
	tests := []struct {
		name   string
		wrong  int
		wantOK bool
	}{
		{"right at the last attempt", market.SignInMaxAttempts - 1, true},
		{"dead after every attempt", market.SignInMaxAttempts, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSignInFixture(t)
			code, err := f.request(t, market.SignInCarrier, carrierPhone)
			if err != nil {
				t.Fatal(err)
			}
			for range tt.wrong {
				_, err := f.redeem(market.SignInCarrier, carrierPhone, wrongCode(code))
				wantCode(t, err, market.CodeUnauthorized)
			}
			_, err = f.redeem(market.SignInCarrier, carrierPhone, code)
			if ok := err == nil; ok != tt.wantOK {
				t.Errorf("Redeem(right code) = %v; want success %v", err, tt.wantOK)
			}
			if !tt.wantOK {
				wantCode(t, err, market.CodeUnauthorized)
			}
		})
	}
}

func TestSignInExpiry(t *testing.T) {
	tests := []struct {
		name   string
		after  time.Duration
		wantOK bool
	}{
		{"a second before expiry", market.SignInCodeTTL - time.Second, true},
		{"at expiry", market.SignInCodeTTL, false},
		{"an hour later", time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSignInFixture(t)
			code, err := f.request(t, market.SignInCompany, companyPhone)
			if err != nil {
				t.Fatal(err)
			}
			f.clock.set(signInStart.Add(tt.after))
			_, err = f.redeem(market.SignInCompany, companyPhone, code)
			if ok := err == nil; ok != tt.wantOK {
				t.Fatalf("Redeem after %s = %v; want success %v", tt.after, err, tt.wantOK)
			}
			if !tt.wantOK {
				wantCode(t, err, market.CodeUnauthorized)
			}
		})
	}
}

// TestSignInAnyLiveCode: each live code of the phone signs in, whoever
// asked for it; a sign-in retires the others.
func TestSignInAnyLiveCode(t *testing.T) {
	for use := range market.SignInMaxCodes {
		t.Run(fmt.Sprintf("code %d", use+1), func(t *testing.T) {
			f := newSignInFixture(t)
			var codes []string
			for i := range market.SignInMaxCodes {
				f.clock.set(signInStart.Add(time.Duration(i) * time.Second))
				code, err := f.request(t, market.SignInCarrier, carrierPhone)
				if err != nil {
					t.Fatal(err)
				}
				codes = append(codes, code)
			}
			if _, err := f.redeem(market.SignInCarrier, carrierPhone, codes[use]); err != nil {
				t.Fatalf("Redeem(code %d) = %v", use+1, err)
			}
			var unused int
			if err := f.db.GetContext(context.Background(), &unused, `SELECT COUNT(*) FROM sign_in_codes WHERE phone = ? AND used_at IS NULL`, carrierPhone); err != nil {
				t.Fatal(err)
			}
			if unused != 0 {
				t.Errorf("%d codes unused after a sign-in; want the others retired", unused)
			}
		})
	}
}

func TestSignInRefusesARemovedCarrier(t *testing.T) {
	f := newSignInFixture(t)
	code, err := f.request(t, market.SignInCarrier, carrierPhone)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mysql.NewCarrierStore(f.db).SetCarrierActive(context.Background(), carrierPhone, false); err != nil {
		t.Fatal(err)
	}
	_, err = f.redeem(market.SignInCarrier, carrierPhone, code)
	wantCode(t, err, market.CodeUnauthorized)
}

func TestSignInBadInputChangesNothing(t *testing.T) {
	str := func(s string) *string { return &s }
	tests := []struct {
		name  string
		phone *string
		code  *string
		field string
	}{
		{"no phone", nil, str("123456"), "phone"},
		{"phone not E.164", str("910000001"), str("123456"), "phone"},
		{"phone with letters", str("+35191000000a"), str("123456"), "phone"},
		{"no code", str(carrierPhone), nil, "code"},
		{"code too short", str(carrierPhone), str("12345"), "code"},
		{"code too long", str(carrierPhone), str("1234567"), "code"},
		{"code with letters", str(carrierPhone), str("12345a"), "code"},
		{"code in other digits", str(carrierPhone), str("١٢٣٤٥٦"), "code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSignInFixture(t)
			if _, err := f.request(t, market.SignInCarrier, carrierPhone); err != nil {
				t.Fatal(err)
			}
			_, err := f.flow(market.SignInCarrier).Redeem(context.Background(), market.SessionRequest{Phone: tt.phone, Code: tt.code})
			var me *market.Error
			if !errors.As(err, &me) || me.Code != market.CodeInvalid || me.Details.(map[string]string)["field"] != tt.field {
				t.Fatalf("Redeem = %v; want invalid_request on %s", err, tt.field)
			}
			var attempts int
			if err := f.db.GetContext(context.Background(), &attempts, `SELECT SUM(attempts) FROM sign_in_codes`); err != nil {
				t.Fatal(err)
			}
			if attempts != 0 {
				t.Errorf("bad input counted %d attempts; want none", attempts)
			}
			if tt.field == "phone" {
				err := f.flow(market.SignInCarrier).RequestCode(context.Background(), market.CodeRequest{Phone: tt.phone})
				wantCode(t, err, market.CodeInvalid)
				if n := f.rows(t, carrierPhone); n != 1 {
					t.Errorf("%d codes after a bad request; want the one before", n)
				}
			}
		})
	}
}

// TestSignInSendFailureLooksTheSame: a failing SMS gateway must not tell
// known phones from unknown ones.
func TestSignInSendFailureLooksTheSame(t *testing.T) {
	f := newSignInFixture(t)
	f.texts.err = errors.New("sns: throttled sending to " + carrierPhone)
	if _, err := f.request(t, market.SignInCarrier, carrierPhone); err != nil {
		t.Errorf("RequestCode with SMS failing = %v; want nil, as for an unknown phone", err)
	}
}

// TestSignInConcurrentGuesses: many guesses at once still get only
// SignInMaxAttempts comparisons, and a right code signs in once.
func TestSignInConcurrentGuesses(t *testing.T) {
	f := newSignInFixture(t)
	code, err := f.request(t, market.SignInCarrier, carrierPhone)
	if err != nil {
		t.Fatal(err)
	}
	const guessers = 20
	var wg sync.WaitGroup
	errs := make(chan error, guessers)
	for range guessers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.redeem(market.SignInCarrier, carrierPhone, wrongCode(code))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if market.ErrorCode(err) != market.CodeUnauthorized {
			t.Errorf("concurrent wrong guess = %v, want unauthorized", err)
		}
	}
	var attempts int
	if err := f.db.GetContext(context.Background(), &attempts, `SELECT attempts FROM sign_in_codes WHERE phone = ?`, carrierPhone); err != nil {
		t.Fatal(err)
	}
	if attempts != market.SignInMaxAttempts {
		t.Errorf("attempts = %d after %d concurrent guesses; want exactly %d", attempts, guessers, market.SignInMaxAttempts)
	}
	_, err = f.redeem(market.SignInCarrier, carrierPhone, code)
	wantCode(t, err, market.CodeUnauthorized)
}

// TestSignInConcurrentGuessesAcrossCodes: with every code the bound
// allows live, many concurrent wrong guesses compare each code exactly
// SignInMaxAttempts times, never more, and then none signs in.
func TestSignInConcurrentGuessesAcrossCodes(t *testing.T) {
	f := newSignInFixture(t)
	var codes []string
	for i := range market.SignInMaxCodes {
		f.clock.set(signInStart.Add(time.Duration(i) * time.Second))
		code, err := f.request(t, market.SignInCompany, companyPhone)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, code)
	}
	guess := "000000"
	for i := 0; slices.Contains(codes, guess); i++ {
		guess = fmt.Sprintf("%06d", i+1)
	}
	const guessers = 30
	var wg sync.WaitGroup
	for range guessers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.redeem(market.SignInCompany, companyPhone, guess); market.ErrorCode(err) != market.CodeUnauthorized {
				t.Errorf("concurrent wrong guess = %v, want unauthorized", err)
			}
		}()
	}
	wg.Wait()
	var attempts []int
	if err := f.db.SelectContext(context.Background(), &attempts, `SELECT attempts FROM sign_in_codes WHERE phone = ? ORDER BY id`, companyPhone); err != nil {
		t.Fatal(err)
	}
	if len(attempts) != market.SignInMaxCodes {
		t.Fatalf("%d codes; want %d", len(attempts), market.SignInMaxCodes)
	}
	for i, n := range attempts {
		if n != market.SignInMaxAttempts {
			t.Errorf("code %d: %d attempts after %d concurrent guesses; want exactly %d", i+1, n, guessers, market.SignInMaxAttempts)
		}
	}
	for i, code := range codes {
		_, err := f.redeem(market.SignInCompany, companyPhone, code)
		if market.ErrorCode(err) != market.CodeUnauthorized {
			t.Errorf("Redeem(code %d) after every attempt = %v, want unauthorized", i+1, err)
		}
	}
}

// TestSignInClientLimitsInTheDatabase: checks from one client spread over
// many phones, concurrently, are allowed exactly up to the client's bound
// and answered 429 past it, while another client is served.
func TestSignInClientLimitsInTheDatabase(t *testing.T) {
	f := newSignInFixture(t)
	const max = 8
	flow := f.flow(market.SignInCarrier)
	flow.Limits = market.Limits{SignInChecksPerClient: market.Limit{Max: max, Window: time.Hour}}
	flow.Limiter = &market.RateLimiter{Store: mysql.NewRateStore(f.db), Now: f.clock.Now}
	check := func(client, phone string) error {
		code := "123456"
		_, err := flow.Redeem(context.Background(), market.SessionRequest{Phone: &phone, Code: &code, Client: client})
		return err
	}
	const calls = 3 * max
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[market.Code]int{}
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := check("203.0.113.66", fmt.Sprintf("+3519300%05d", i))
			mu.Lock()
			defer mu.Unlock()
			got[market.ErrorCode(err)]++
		}()
	}
	wg.Wait()
	if got[market.CodeUnauthorized] != max || got[market.CodeThrottled] != calls-max {
		t.Errorf("%d concurrent checks: %v; want %d unauthorized and the rest throttled", calls, got, max)
	}
	if err := check("192.0.2.1", carrierPhone); market.ErrorCode(err) != market.CodeUnauthorized {
		t.Errorf("another client's check = %v; want it served (unauthorized: a wrong code)", err)
	}
}

func TestSignInConcurrentRightCodeSignsInOnce(t *testing.T) {
	f := newSignInFixture(t)
	code, err := f.request(t, market.SignInCompany, companyPhone)
	if err != nil {
		t.Fatal(err)
	}
	const callers = market.SignInMaxAttempts
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.redeem(market.SignInCompany, companyPhone, code)
			if err != nil && market.ErrorCode(err) != market.CodeUnauthorized {
				t.Errorf("Redeem = %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				won++
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d of %d concurrent redeems of one code signed in; want exactly 1", won, callers)
	}
}

// TestSignInConcurrentRequestsStayUnderTheLimit: requests racing for the
// last places never send more than SignInMaxCodes codes.
func TestSignInConcurrentRequestsStayUnderTheLimit(t *testing.T) {
	f := newSignInFixture(t)
	const requests = 10
	var wg sync.WaitGroup
	for range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			phone := carrierPhone
			err := f.flow(market.SignInCarrier).RequestCode(context.Background(), market.CodeRequest{Phone: &phone})
			if err != nil {
				t.Errorf("RequestCode = %v", err)
			}
		}()
	}
	wg.Wait()
	sent, rows := len(f.texts.all()), f.rows(t, carrierPhone)
	if sent > market.SignInMaxCodes || rows != sent {
		t.Errorf("%d concurrent requests sent %d SMS and left %d codes; want at most %d, one code per SMS", requests, sent, rows, market.SignInMaxCodes)
	}
}

// TestSignInCodesArePruned: each request forgets a few rows older than
// market.SignInRetention, so requests for numbers nobody has (which are
// stored too, for the throttle) cannot pile up.
func TestSignInCodesArePruned(t *testing.T) {
	f := newSignInFixture(t)
	for i := range 12 {
		if _, err := f.request(t, market.SignInCarrier, fmt.Sprintf("+3519300000%02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.set(signInStart.Add(market.SignInRetention + time.Minute))
	if _, err := f.request(t, market.SignInCarrier, carrierPhone); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := f.db.Get(&left, `SELECT COUNT(*) FROM sign_in_codes`); err != nil {
		t.Fatal(err)
	}
	if left != 12-10+1 {
		t.Errorf("%d rows after one request a day later, want 3 (10 of the 12 old ones forgotten)", left)
	}
	if f.rows(t, carrierPhone) != 1 {
		t.Error("the new request's row was pruned")
	}
}
