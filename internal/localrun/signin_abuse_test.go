package localrun_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/localrun"
	"github.com/deliverymarket/delivery/internal/market"
)

// These tests treat the runner as a stranger on the network would: over
// HTTP only, each client its own loopback address, with the limits the
// runner has by default. What a phone received is read from the outbox,
// as its owner would read their SMS.

// client is one address speaking HTTP to the runner.
type client struct {
	r    runner
	addr string
	http *http.Client
}

// clientAt returns a client whose connections come from addr, a loopback
// address, so that the runner tells it from the others.
func clientAt(t *testing.T, r runner, addr string) client {
	t.Helper()
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(addr)}}
	probe, err := dialer.Dial("tcp", strings.TrimPrefix(r.url, "http://"))
	if err != nil {
		t.Skipf("cannot connect from %s (only Linux answers on all of 127.0.0.0/8): %v", addr, err)
	}
	probe.Close()
	transport := &http.Transport{DialContext: dialer.DialContext}
	t.Cleanup(transport.CloseIdleConnections)
	return client{r: r, addr: addr, http: &http.Client{Transport: transport}}
}

// answer is one response: status, Retry-After and body.
type answer struct {
	status     int
	retryAfter string
	body       string
}

func (c client) post(t *testing.T, path, body string) answer {
	t.Helper()
	resp, err := c.http.Post(c.r.url+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: string(b)}
}

func (c client) askCode(t *testing.T, kind, phone string) answer {
	t.Helper()
	return c.post(t, "/api/"+kind+"/session/code", fmt.Sprintf(`{"phone":%q}`, phone))
}

func (c client) signIn(t *testing.T, kind, phone, code string) answer {
	t.Helper()
	return c.post(t, "/api/"+kind+"/session", fmt.Sprintf(`{"phone":%q,"code":%q}`, phone, code))
}

// wantThrottled fails unless a is a 429 with the seconds to wait.
func wantThrottled(t *testing.T, what string, a answer) {
	t.Helper()
	seconds, err := strconv.Atoi(a.retryAfter)
	if a.status != http.StatusTooManyRequests || err != nil || seconds < 1 || !strings.Contains(a.body, `"throttled"`) {
		t.Errorf("%s = %d %s, Retry-After %q; want 429 throttled with the seconds to wait", what, a.status, a.body, a.retryAfter)
	}
}

var smsCode = regexp.MustCompile(`\b[0-9]{6}\b`)

// codesTo returns the codes the outbox holds for phone, oldest first.
func codesTo(m *localrun.Marketplace, phone string) []string {
	var codes []string
	for _, msg := range m.Outbox.Messages() {
		if msg.PhoneNumber == phone {
			codes = append(codes, smsCode.FindString(msg.Message))
		}
	}
	return codes
}

func newLimitedRunner(t *testing.T) runner {
	t.Helper()
	db, keyring := newDemoDB(t)
	return startRunnerWith(t, localrun.Config{DB: db, Currency: "USD", Logger: slog.New(slog.DiscardHandler), Keyring: keyring, Limits: app.DefaultLimits})
}

// TestStrangerCannotKeepTheOwnerOut: a stranger asks for codes for a
// carrier's phone until no more are sent, and on; the carrier asks too,
// is answered alike, and signs in with a code their phone received, one
// the stranger's request caused.
func TestStrangerCannotKeepTheOwnerOut(t *testing.T) {
	t.Parallel()
	r := newLimitedRunner(t)
	stranger, owner := clientAt(t, r, "127.0.0.2"), clientAt(t, r, "127.0.0.3")
	phone := demo.Carriers[0].Phone

	first := stranger.askCode(t, "carrier", phone)
	if first.status != http.StatusAccepted {
		t.Fatalf("stranger's first request = %d %s; want 202", first.status, first.body)
	}
	for i := range market.SignInMaxCodes + 1 {
		if a := stranger.askCode(t, "carrier", phone); a != first {
			t.Fatalf("stranger's request %d = %+v; want the first answer, %+v", i+2, a, first)
		}
	}
	if a := owner.askCode(t, "carrier", phone); a != first {
		t.Fatalf("owner's request past the bound = %+v; want the same answer as a sent code, %+v", a, first)
	}
	received := codesTo(r.m, phone)
	if len(received) != market.SignInMaxCodes {
		t.Fatalf("the phone received %d codes; want %d, the bound", len(received), market.SignInMaxCodes)
	}
	// The first code the phone got, from the stranger's first request.
	a := owner.signIn(t, "carrier", phone, received[0])
	var session struct {
		Token   string `json:"token"`
		Carrier struct {
			Name string `json:"name"`
		} `json:"carrier"`
	}
	if a.status != http.StatusOK || json.Unmarshal([]byte(a.body), &session) != nil || session.Token == "" || session.Carrier.Name != demo.Carriers[0].Name {
		t.Fatalf("owner's sign-in with a code the phone received = %d %s; want 200 with a token", a.status, a.body)
	}
	resp, _ := r.do(t, http.MethodGet, "/api/carrier/orders?view=mine", map[string]string{"Authorization": "Bearer " + session.Token}, "")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the owner's token on their orders = %d; want 200", resp.StatusCode)
	}
}

// TestGuessingAcrossPhonesIsThrottled: one client trying codes over many
// phones, known or not, is refused with 429 past its bound; another
// client is still answered.
func TestGuessingAcrossPhonesIsThrottled(t *testing.T) {
	t.Parallel()
	r := newLimitedRunner(t)
	guesser, other := clientAt(t, r, "127.0.0.4"), clientAt(t, r, "127.0.0.5")
	bound := app.DefaultLimits.SignInChecksPerClient.Max
	kinds := []string{"carrier", "company"}
	for i := range bound {
		phone := fmt.Sprintf("+3519300%05d", i)
		if i < len(demo.Carriers) {
			phone = demo.Carriers[i].Phone
		}
		if a := guesser.signIn(t, kinds[i%2], phone, "123456"); a.status != http.StatusUnauthorized {
			t.Fatalf("guess %d = %d %s; want 401", i+1, a.status, a.body)
		}
	}
	wantThrottled(t, "a guess past the client's bound", guesser.signIn(t, "carrier", demo.Carriers[1].Phone, "123456"))
	wantThrottled(t, "a company guess past the client's bound", guesser.signIn(t, "company", "+351939990099", "123456"))
	if a := other.signIn(t, "carrier", demo.Carriers[1].Phone, "123456"); a.status != http.StatusUnauthorized {
		t.Errorf("another client's guess = %d %s; want 401, answered", a.status, a.body)
	}
}

// TestCodeRequestsPerClient: a client past its bound on code requests,
// over many phones, gets 429 and causes no SMS; another client is served.
func TestCodeRequestsPerClient(t *testing.T) {
	t.Parallel()
	r := newLimitedRunner(t)
	asker, other := clientAt(t, r, "127.0.0.6"), clientAt(t, r, "127.0.0.7")
	bound := app.DefaultLimits.SignInCodesPerClient.Max
	// Concurrently: each request waits out the sign-in's minimum answer
	// time, and the bound holds under concurrency.
	var wg sync.WaitGroup
	answers := make([]answer, bound)
	for i := range bound {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = asker.askCode(t, []string{"carrier", "company"}[i%2], fmt.Sprintf("+3519300%05d", i))
		}()
	}
	wg.Wait()
	for i, a := range answers {
		if a.status != http.StatusAccepted {
			t.Fatalf("request %d = %d %s; want 202", i+1, a.status, a.body)
		}
	}
	phone := demo.Carriers[0].Phone
	wantThrottled(t, "a code request past the client's bound", asker.askCode(t, "carrier", phone))
	if n := len(codesTo(r.m, phone)); n != 0 {
		t.Errorf("a refused request sent %d codes", n)
	}
	if a := other.askCode(t, "carrier", phone); a.status != http.StatusAccepted || len(codesTo(r.m, phone)) != 1 {
		t.Errorf("another client's request = %d %s, %d codes sent; want 202 and one code", a.status, a.body, len(codesTo(r.m, phone)))
	}
}
