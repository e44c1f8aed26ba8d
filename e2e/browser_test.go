package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// tabTimeout bounds one flow; the whole suite should stay well under a
// minute on a small machine.
const tabTimeout = 120 * time.Second

// pollTimeout bounds one wait for the page; generous, because CI runs the
// browser beside every other package's tests (with -race) on two cores.
const pollTimeout = 30 * time.Second

// chromiumPath finds Debian's Chromium, or reports why the tests skip.
func chromiumPath() (string, error) {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("no Chromium at /usr/bin/chromium or on PATH (apt-get install chromium)")
}

// browser is one headless Chromium for the whole suite; each flow gets a
// tab in a browser context of its own, so storage never leaks between
// flows.
type browser struct {
	ctx context.Context
}

// shared is the suite's one Chromium, started by the first test that asks
// for it and stopped by TestMain: starting one per test cost seconds each.
var shared struct {
	once    sync.Once
	browser *browser
	err     error
	stop    func()
}

// flowsAtOnce is how many flows run side by side unless -test.parallel
// says otherwise: they spend most of their time waiting on the pages' own
// polling, so go test's default of one per core leaves the cores idle.
const flowsAtOnce = 4

func TestMain(m *testing.M) {
	flag.Parse()
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		if err := flag.Set("test.parallel", strconv.Itoa(max(flowsAtOnce, goruntime.GOMAXPROCS(0)))); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: -test.parallel:", err)
			os.Exit(2)
		}
	}
	code := m.Run()
	if shared.stop != nil {
		shared.stop()
	}
	os.Exit(code)
}

// startBrowser returns the suite's Chromium, starting it on first use, or
// skips the test, saying why, where there is none.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	path, err := chromiumPath()
	if err != nil {
		t.Skipf("skipping the browser tests: %v", err)
	}
	shared.once.Do(func() { shared.browser, shared.stop, shared.err = launch(path) })
	if shared.err != nil {
		t.Fatalf("start Chromium (%s): %v", path, shared.err)
	}
	return shared.browser
}

// launch starts Chromium with a fresh profile; stop ends it and removes
// the profile.
func launch(path string) (*browser, func(), error) {
	profile, err := os.MkdirTemp("", "delivery-e2e-chromium-")
	if err != nil {
		return nil, nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(profile),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	stop := func() {
		cancel()
		cancelAlloc()
		os.RemoveAll(profile)
	}
	if err := chromedp.Do(ctx); err != nil {
		stop()
		return nil, nil, err
	}
	return &browser{ctx: ctx}, stop, nil
}

// tab is a page in a fresh browser context that fails the test on any
// console error, uncaught exception or JavaScript dialog.
type tab struct {
	t   testing.TB
	ctx context.Context

	failures string // the folder a failed wait's screenshot is kept in; empty: DELIVERY_SCREENSHOTS or a new one

	mu       sync.Mutex
	problems []string
	console  []string    // the last consoleLines messages, for a failed wait
	lose     atomic.Bool // fail the next POST /api/orders after the server answered
}

func (b *browser) tab(t testing.TB) *tab {
	t.Helper()
	return b.tabFor(t, tabTimeout)
}

// tabFor is a tab for a flow that may take up to timeout.
func (b *browser) tabFor(t testing.TB, timeout time.Duration) *tab {
	t.Helper()
	tb := &tab{t: t}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(tb.listen))
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	tb.ctx = ctx
	t.Cleanup(func() {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, p := range tb.problems {
			t.Errorf("browser: %s", p)
		}
	})
	t.Cleanup(cancel)
	t.Cleanup(cancelTimeout)
	// Reduced motion turns off the site's smooth scrolling: a click is
	// aimed at where an element is, and an element still gliding into
	// place (as the console's editor does) would make it miss.
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
	}); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	return tb
}

// consoleLines is how many of the browser console's latest messages a
// tab keeps to show when a wait fails.
const consoleLines = 40

// logConsole keeps a console message, dropping the oldest past consoleLines.
func (tb *tab) logConsole(format string, args ...any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if len(tb.console) == consoleLines {
		tb.console = slices.Delete(tb.console, 0, 1)
	}
	tb.console = append(tb.console, fmt.Sprintf(format, args...))
}

func (tb *tab) problem(format string, args ...any) {
	tb.mu.Lock()
	tb.problems = append(tb.problems, fmt.Sprintf(format, args...))
	tb.mu.Unlock()
}

// listen runs in chromedp's event loop: it records and returns at once.
func (tb *tab) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		tb.logConsole("console.%s(%s)", ev.Type, remoteArgs(ev.Args))
		if ev.Type == runtime.ConsoleAPICalledTypeError {
			tb.problem("console.error(%s)", remoteArgs(ev.Args))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text = d.Exception.Description
		}
		tb.logConsole("uncaught exception at %s:%d: %s", d.URL, d.LineNumber, text)
		tb.problem("uncaught exception at %s:%d: %s", d.URL, d.LineNumber, text)
	case *log.EventEntryAdded:
		tb.logConsole("[%s %s] %s %s", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL)
		// Failed requests (an expected 422, say) are the network's;
		// anything else at error level (a CSP violation) is a bug.
		if ev.Entry.Level == log.EntryLevelError && ev.Entry.Source != log.EntrySourceNetwork {
			tb.problem("console [%s] %s", ev.Entry.Source, ev.Entry.Text)
		}
	case *fetch.EventRequestPaused:
		go tb.paused(ev)
	case *page.EventJavascriptDialogOpening:
		tb.problem("a JavaScript %s dialog opened: %q", ev.Type, ev.Message)
		go func() { // dismiss it, or the page hangs; not from the event loop
			_ = chromedp.Do(tb.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
				_, err := cdp.Call(ctx, t, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
				return err
			}))
		}()
	}
}

func remoteArgs(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		switch {
		case a.Description != "":
			parts = append(parts, a.Description)
		case len(a.Value) > 0:
			parts = append(parts, string(a.Value))
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return strings.Join(parts, ", ")
}

// do runs actions and fails the test at the first error, naming step.
func (tb *tab) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %v", step, err)
	}
}

// eval returns the value of a JavaScript expression.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor waits until expr is truthy, failing with what after pollTimeout.
func (tb *tab) waitFor(what, expr string) {
	tb.t.Helper()
	tb.waitWithin(pollTimeout, what, expr)
}

// waitWithin waits until expr is truthy, failing with what after timeout:
// for a page that polls the API with a backoff of its own.
//
// An expression that throws counts as not yet: pages replace what they
// show (an order is "Loading" for a moment while it is asked for again),
// and chromedp's poll never settles once its predicate has thrown, so an
// unguarded wait would hang until the tab's own deadline. The last error
// thrown is kept for the failure message, and the wait is also bounded
// from Go, in case the page itself stops answering.
func (tb *tab) waitWithin(timeout time.Duration, what, expr string) {
	tb.t.Helper()
	guarded := fmt.Sprintf(`(() => { try { return (%s); } catch (e) { window.__waitError = String(e); return false; } })()`, expr)
	ctx, cancel := context.WithTimeout(tb.ctx, timeout+pollGrace)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[any](guarded,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		tb.failWait(fmt.Sprintf("wait for %s (%s): %v", what, expr, err))
	}
}

// pollGrace is how much longer than its own timeout a wait may take
// before Go gives up on the browser's answer.
const pollGrace = 5 * time.Second

// failWait fails the test with what the page shows and says: its text,
// the last error a wait's expression threw, the browser console, and a
// screenshot kept where the message says.
func (tb *tab) failWait(msg string) {
	tb.t.Helper()
	// The tab may be past its own deadline: look at it within a few
	// seconds of a context of its own.
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	var b strings.Builder
	b.WriteString(msg)
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText.slice(0, 1500)`))
	if err != nil {
		text = "(unreadable: " + err.Error() + ")"
	}
	fmt.Fprintf(&b, "\npage:\n%s", text)
	if thrown, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.__waitError || ""`)); err == nil && thrown != "" {
		fmt.Fprintf(&b, "\nthe expression last threw: %s", thrown)
	}
	tb.mu.Lock()
	console := slices.Clone(tb.console)
	tb.mu.Unlock()
	if len(console) == 0 {
		b.WriteString("\nbrowser console: (empty)")
	} else {
		fmt.Fprintf(&b, "\nbrowser console (last %d):\n  %s", len(console), strings.Join(console, "\n  "))
	}
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err != nil {
		fmt.Fprintf(&b, "\nno screenshot: %v", err)
	} else if path, err := keepFailureScreenshot(tb.failures, tb.t.Name(), png); err != nil {
		fmt.Fprintf(&b, "\nno screenshot: %v", err)
	} else {
		fmt.Fprintf(&b, "\nscreenshot: %s", path)
	}
	tb.t.Fatal(b.String())
}

// keepFailureScreenshot writes png under dir, DELIVERY_SCREENSHOTS or a
// temporary folder that outlives the test (a failure's picture is wanted
// after the run), and returns its path.
func keepFailureScreenshot(dir, test string, png []byte) (string, error) {
	if dir == "" {
		dir = os.Getenv("DELIVERY_SCREENSHOTS")
	}
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "delivery-e2e-failure-"); err != nil {
			return "", err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "FAILED-"+strings.NewReplacer("/", "-", " ", "_").Replace(test)+".png")
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return path, os.WriteFile(path, png, 0o644)
}

func (tb *tab) click(css string) {
	tb.t.Helper()
	// Centre it first, as a person scrolls to what they tap: the phone
	// layout's fixed cart bar covers the bottom of the screen.
	tb.do("click "+css, script(`document.querySelector(%s).scrollIntoView({block: "center", behavior: "instant"})`, css),
		chromedp.Click(chromedp.CSS(css)))
}

// typeInto replaces the value of a field by typing, as a person would.
func (tb *tab) typeInto(css, text string) {
	tb.t.Helper()
	tb.do("type into "+css, chromeSetValue(css, ""), chromedp.SendKeys(chromedp.CSS(css), text))
}

func (tb *tab) navigate(url string) {
	tb.t.Helper()
	tb.do("open "+url, chromedp.Navigate(url))
}

// viewport emulates a phone (mobile, touch) or a desktop window.
func (tb *tab) viewport(v viewportSize) {
	tb.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if v.phone {
		opts = append(opts, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	tb.do("viewport "+v.name, chromedp.EmulateViewport(v.width, v.height, opts...))
}

type viewportSize struct {
	name          string
	width, height int64
	phone         bool
}

var (
	phone   = viewportSize{name: "phone", width: 390, height: 844, phone: true}
	desktop = viewportSize{name: "desktop", width: 1280, height: 800}
)

// screenshot writes what the tab shows to dir/name.png.
func (tb *tab) screenshot(dir, name string) {
	tb.t.Helper()
	png, err := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// screenshotDir is DELIVERY_SCREENSHOTS, or a temporary folder.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("DELIVERY_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// call calls the API from Go, as a second client would, and decodes the
// JSON answer into out (when not nil); it returns the status.
func (s *stack) call(t testing.TB, method, path, token string, headers map[string]string, body, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}
