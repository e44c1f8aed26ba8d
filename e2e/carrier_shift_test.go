package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// carrierShift is GET /api/carrier/shift's answer.
type carrierShift struct {
	OnShift  bool `json:"onShift"`
	Position *struct {
		Lat      float64 `json:"lat"`
		Lng      float64 `json:"lng"`
		Accuracy *int    `json:"accuracy"`
	} `json:"position"`
}

// openCarrierPage opens the carrier page signed in as the demo carrier, as
// the page keeps a sign-in, and returns the carrier's token and id.
func openCarrierPage(tb *tab, s *stack) (string, int64) {
	tb.t.Helper()
	var carrier struct {
		ID   int64  `db:"id"`
		Name string `db:"name"`
	}
	if err := s.DB.Get(&carrier, `SELECT id, name FROM carriers WHERE phone = ?`, demoCarrier); err != nil {
		tb.t.Fatalf("the demo carrier: %v", err)
	}
	token, err := s.Keyring.MintCarrier(carrier.ID, time.Hour)
	if err != nil {
		tb.t.Fatal(err)
	}
	tb.navigate(s.URL + "/carrier.html")
	tb.do("keep the sign-in", script(`localStorage.setItem("delivery.carrier.v1", JSON.stringify({token: %s, expiresAt: %s, name: %s}))`,
		token, time.Now().Add(time.Hour).Format(time.RFC3339), carrier.Name))
	tb.do("reload", chromedp.Reload())
	return token, carrier.ID
}

// incognitoPush is what Chromium logs when a page of a fresh browser
// context (every tab here) subscribes to push: the browser's notice, not
// the page's error.
const incognitoPush = "does not support the Push API in incognito mode"

// forgive drops the problems holding text the browser logged of its own.
func (tb *tab) forgive(text string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.problems = slices.DeleteFunc(tb.problems, func(p string) bool { return strings.Contains(p, text) })
}

// TestCarrierShift turns on notifications in a browser without a push
// service and starts a shift with the position blocked, which the page
// says plainly; then starts one with the device's position emulated, sees
// the position reach the API, ends the shift and sees the position gone.
func TestCarrierShift(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the browser tests in -short mode")
	}
	t.Parallel()
	b := startBrowser(t)
	s := startStack(t)
	tb := b.tab(t)
	// Runs before the tab's check of its problems, long after the notice.
	t.Cleanup(func() { tb.forgive(incognitoPush) })
	tb.viewport(phone)
	here := point{38.7211, -9.1488}
	tb.geolocate(s.URL, false, here)
	token, carrierID := openCarrierPage(tb, s)
	shift := func() carrierShift {
		t.Helper()
		var sh carrierShift
		if status := s.call(t, http.MethodGet, "/api/carrier/shift", token, nil, nil, &sh); status != http.StatusOK {
			t.Fatalf("GET /api/carrier/shift = %d, want 200", status)
		}
		return sh
	}
	const offShift = `document.getElementById("shift-status").textContent === "Off shift." &&
		document.getElementById("shift-toggle").textContent === "Start shift" && !document.getElementById("shift-toggle").disabled &&
		document.getElementById("where").textContent === ""`

	// Every tab is a fresh browser context, where Chromium has the Push
	// API but no push service: the toggle stays off, offers come by SMS.
	tb.waitFor("the notifications toggle", `!document.getElementById("push").hidden && document.getElementById("push-toggle").textContent === "Turn on notifications"`)
	tb.click("#push-toggle")
	tb.waitFor("no notifications", `document.getElementById("push-status").textContent.includes("by SMS") &&
		document.getElementById("push-toggle").textContent === "Turn on notifications" && !document.getElementById("push-toggle").disabled`)

	tb.waitFor("off shift", offShift)
	tb.click("#shift-toggle")
	tb.waitFor("no position", `document.getElementById("shift-status").textContent.startsWith("On shift since ") &&
		document.getElementById("where").textContent.includes("blocked") && document.getElementById("where").textContent.includes("Without your position")`)
	tb.click("#shift-toggle")
	tb.waitFor("off shift", offShift)

	tb.geolocate(s.URL, true, here)
	tb.click("#shift-toggle")
	// The page says the position is shared once the API has taken it.
	tb.waitFor("the position shared", `document.getElementById("shift-status").textContent.startsWith("On shift since ") &&
		document.getElementById("shift-toggle").textContent === "End shift" &&
		document.getElementById("where").textContent === "Your position is shared."`)
	if sh := shift(); !sh.OnShift || sh.Position == nil || sh.Position.Lat != here.Lat || sh.Position.Lng != here.Lng || sh.Position.Accuracy == nil {
		t.Fatalf("the shift after the page shared the position = %+v, want on shift at %v with an accuracy", sh, here)
	}

	tb.click("#shift-toggle")
	tb.waitFor("off shift again", offShift)
	if sh := shift(); sh.OnShift || sh.Position != nil {
		t.Errorf("the shift after it ended = %+v, want none", sh)
	}
	var kept int
	if err := s.DB.Get(&kept, `SELECT COUNT(*) FROM carrier_shifts WHERE carrier_id = ?`, carrierID); err != nil || kept != 0 {
		t.Errorf("carrier_shifts keeps %d rows of the carrier after the shift (%v), want none", kept, err)
	}
}
