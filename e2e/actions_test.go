package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// script runs JavaScript as an action; args are JSON-encoded into it.
func script(format string, args ...any) chromedp.Action[chromedp.Void] {
	quoted := make([]any, len(args))
	for i, a := range args {
		b, _ := json.Marshal(a)
		quoted[i] = string(b)
	}
	expr := fmt.Sprintf(format, quoted...)
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](expr)(ctx, t)
		return err
	})
}

// chromeSelect picks the option labelled label, as a person choosing from
// the list does (a change event follows).
func chromeSelect(css, label string) chromedp.Action[chromedp.Void] {
	return script(`(() => { const s = document.querySelector(%s);
		s.value = [...s.options].find(o => o.textContent === %s).value;
		s.dispatchEvent(new Event("change", {bubbles: true})); })()`, css, label)
}

// chromeSetValue pastes text into a field at once (a token is long to type).
func chromeSetValue(css, text string) chromedp.Action[chromedp.Void] {
	return script(`(() => { const e = document.querySelector(%s); e.focus(); e.value = %s;
		e.dispatchEvent(new Event("input", {bubbles: true})); })()`, css, text)
}

func chromeScrollTop() chromedp.Action[chromedp.Void] {
	return script(`window.scrollTo({top: 0, behavior: "instant"}); document.querySelector(".cart")?.scrollTo({top: 0, behavior: "instant"})`)
}

// chromeDoubleClick double-clicks with the mouse: two clicks in a row.
func chromeDoubleClick(css string) chromedp.Action[chromedp.Void] {
	return chromedp.DoubleClick(chromedp.CSS(css))
}

// loseNextOrderResponse lets the next POST /api/orders reach the server
// and then breaks the connection before the page reads the answer: the
// order is placed, but the shopper sees a network error.
func loseNextOrderResponse(tb *tab) chromedp.Action[chromedp.Void] {
	tb.lose.Store(true)
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{
			{URLPattern: "*/api/orders", RequestStage: fetch.RequestStageResponse},
		}})
		return err
	})
}

// paused answers a request paused by loseNextOrderResponse; it runs in a
// goroutine of its own (never in the event loop).
func (tb *tab) paused(ev *fetch.EventRequestPaused) {
	_ = chromedp.Do(tb.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if ev.Request.Method == http.MethodPost && tb.lose.CompareAndSwap(true, false) {
			if _, err := cdp.Call(ctx, t, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonConnectionReset}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, t, fetch.Disable, cdp.Empty{})
			return err
		}
		_, err := cdp.Call(ctx, t, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
		return err
	}))
}
