package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// fatalRecorder is a testing.TB whose Fatal ends only the goroutine that
// calls it, keeping the message, so a test can check how a helper fails.
type fatalRecorder struct {
	testing.TB
	mu    sync.Mutex
	fatal []string
}

func (r *fatalRecorder) Fatal(args ...any) { r.stop(fmt.Sprint(args...)) }
func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.stop(fmt.Sprintf(format, args...))
}

func (r *fatalRecorder) stop(msg string) {
	r.mu.Lock()
	r.fatal = append(r.fatal, msg)
	r.mu.Unlock()
	runtime.Goexit()
}

// A wait whose expression starts throwing (the element it reads is
// replaced, as an order is while it is asked for again) fails at its own
// poll timeout, not at the tab's deadline, and says what the page showed,
// what the expression threw, what the console said and where the
// screenshot is.
func TestFailedWaitSaysWhy(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the browser tests in -short mode")
	}
	t.Parallel()
	b := startBrowser(t)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>wait</title><p id="order-status" data-status="placed">Placed</p>
<script>console.log("tracking the order"); setTimeout(() => document.getElementById("order-status").remove(), 300);</script>`)
	}))
	defer page.Close()

	rec := &fatalRecorder{TB: t}
	// A tab deadline far past the wait's own: reaching it would mean the
	// wait hung.
	tb := b.tabFor(rec, 5*time.Minute)
	shots := t.TempDir()
	tb.failures = shots
	tb.navigate(page.URL)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tb.waitWithin(3*time.Second, "a status that never comes", `document.getElementById("order-status").dataset.status === "cancelled"`)
	}()
	<-done

	if len(rec.fatal) != 1 {
		t.Fatalf("the wait failed %d times (%q), want once", len(rec.fatal), rec.fatal)
	}
	msg := rec.fatal[0]
	for _, want := range []string{
		"wait for a status that never comes",
		chromedp.ErrPollingTimeout.Error(),
		"page:\n" + page.URL,
		"the expression last threw: TypeError",
		`console.log("tracking the order")`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the failure says\n%s\nwant it to hold %q", msg, want)
		}
	}
	shot := regexp.MustCompile(`screenshot: (\S+\.png)`).FindStringSubmatch(msg)
	if shot == nil {
		t.Fatalf("the failure names no screenshot:\n%s", msg)
	}
	if info, err := os.Stat(shot[1]); err != nil || info.Size() == 0 || !strings.HasPrefix(shot[1], shots) {
		t.Errorf("the screenshot %s: %v (want a PNG under %s)", shot[1], err, shots)
	}
}
