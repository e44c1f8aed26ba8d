package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// demoCarrier is the first of the demo carriers (internal/demo).
const demoCarrier = "+351910000001"

// loopTimeout bounds the whole loop, in each of its three tabs.
const loopTimeout = 5 * time.Minute

// trackingTimeout bounds a wait on the shopper's tracking view, which
// polls with a backoff of up to 30 s of its own.
const trackingTimeout = 90 * time.Second

type outboxMessage struct {
	TopicARN    string `json:"topicArn"`
	PhoneNumber string `json:"phoneNumber"`
	Message     string `json:"message"`
	OrderID     string `json:"orderId"`
}

// outbox lists the SMS sent so far, as GET /_local/sms shows them.
func (s *stack) outbox(t testing.TB) []outboxMessage {
	t.Helper()
	var out struct {
		Messages []outboxMessage `json:"messages"`
	}
	if status := s.call(t, http.MethodGet, "/_local/sms", "", nil, nil, &out); status != http.StatusOK {
		t.Fatalf("GET /_local/sms = %d", status)
	}
	return out.Messages
}

// waitForSMS waits until the outbox holds more than after messages and
// one of the new ones matches; the SMS goes out from a goroutine of its
// own, after the API has answered.
func (s *stack) waitForSMS(t testing.TB, what string, after int, match func(outboxMessage) bool) outboxMessage {
	t.Helper()
	deadline := time.Now().Add(pollTimeout)
	for {
		messages := s.outbox(t)
		for _, m := range messages[min(after, len(messages)):] {
			if match(m) {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no SMS %s in the outbox: %+v", what, messages)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// signInByCode signs in on a page with the #si-* forms (the carrier page,
// the console) with the code the outbox shows for phone.
func signInByCode(tb *tab, s *stack, phone string) {
	tb.t.Helper()
	tb.waitFor("the sign-in", `!document.getElementById("si-phone-form").hidden`)
	before := len(s.outbox(tb.t))
	tb.typeInto("#si-phone", phone)
	tb.click(`#si-phone-form [type="submit"]`)
	tb.waitFor("the code form", `!document.getElementById("si-code-form").hidden && document.activeElement.id === "si-code"`)
	sms := s.waitForSMS(tb.t, "with the code for "+phone, before, func(m outboxMessage) bool { return m.PhoneNumber == phone })
	code := sixDigits.FindString(sms.Message)
	if code == "" {
		tb.t.Fatalf("no 6-digit code in the SMS %q", sms.Message)
	}
	tb.typeInto("#si-code", code)
	tb.click(`#si-code-form [type="submit"]`)
}

// TestFulfilment walks the whole loop in three tabs against one
// marketplace: a shopper orders from two shops; the carrier SMS links to
// the carrier page, where a carrier signs in with the code from the
// outbox and claims the order; each shop sees it appear in its console
// without a reload and marks its part ready; the carrier picks it up and
// delivers it; and the shopper's tracking view follows every step by
// itself.
func TestFulfilment(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the browser tests in -short mode")
	}
	// A marketplace of its own: only the browser is shared with the
	// other flows, which run beside it while it waits on its pages.
	t.Parallel()
	b := startBrowser(t)
	s := startStack(t)
	dir := screenshotDir(t)
	var companyPhone, carrierName string
	if err := s.DB.Get(&companyPhone, `SELECT phone FROM companies WHERE id = 1`); err != nil {
		t.Fatalf("the demo company's phone: %v", err)
	}
	if err := s.DB.Get(&carrierName, `SELECT name FROM carriers WHERE phone = ?`, demoCarrier); err != nil {
		t.Fatalf("the demo carrier %s: %v", demoCarrier, err)
	}

	// Padaria Sol signs in to its console by phone before anyone orders:
	// the order has to appear by itself.
	shop := b.tabFor(t, loopTimeout)
	shop.viewport(desktop)
	shop.navigate(s.URL + "/company.html")
	signInByCode(shop, s, companyPhone)
	shop.waitFor("the empty Orders tab", `!document.getElementById("orders-tab").hidden &&
		document.getElementById("orders-status").textContent.startsWith("No orders")`)

	// A shopper orders from two shops.
	shopper := b.tabFor(t, loopTimeout)
	shopper.viewport(phone)
	openShop(shopper, s)
	addToCart(shopper, sourdough, bananas)
	shopper.click("#cart-bar")
	waitForBill(shopper, 2)
	const name, address, customerPhone = "Rita Sousa", "Rua da Prata 80, 1100-415 Lisboa", "+351913333444"
	fillCheckout(shopper, name, customerPhone, address)
	shopper.typeInto("#note", "Third floor, no lift")
	shopper.click("#place")
	orderID := orderIDFromHash(shopper)
	delivery := market.DeliveryID(orderID)
	ref := eval[string](shopper, `document.getElementById("order-reference").textContent`)
	shopper.waitFor("the tracking view", `document.getElementById("order-status").dataset.status === "placed" &&
		document.querySelector('#timeline [data-step="placed"]') && document.getElementById("cancel-order")`)

	// The carriers' SMS links to the order on the carrier page, and says
	// nothing about the customer.
	sms := s.waitForSMS(t, "to the carriers", 0, func(m outboxMessage) bool { return m.TopicARN != "" && m.OrderID == orderID })
	link := regexp.MustCompile(`https?://\S+`).FindString(sms.Message)
	if want := s.URL + "/carrier.html#d=" + delivery; link != want {
		t.Fatalf("the carrier SMS %q links to %q, want %q", sms.Message, link, want)
	}
	// The link is checked above; its random hex may hold any digits, so
	// the phone's digits are looked for in the rest of the text only.
	text := strings.Replace(sms.Message, link, "", 1)
	for _, private := range []string{name, "Rua da Prata", customerPhone, "913"} {
		if strings.Contains(text, private) {
			t.Errorf("the carrier SMS %q holds %q", sms.Message, private)
		}
	}

	// Padaria Sol sees the order appear, with only its own line to prepare.
	row := fmt.Sprintf(`#company-orders [data-delivery-id="%s"]`, delivery)
	shop.waitFor("the new order in the console", fmt.Sprintf(`document.querySelector('%s') && document.getElementById("new-count").textContent === "1 new"`, row))
	if got := eval[string](shop, fmt.Sprintf(`document.querySelector('%s ul').textContent`, row)); got != "1 × Sourdough loaf" {
		t.Errorf("the console shows the lines %q, want only the shop's own", got)
	}
	if text := eval[string](shop, `document.body.innerText`); strings.Contains(text, name) || strings.Contains(text, "Rua da Prata") {
		t.Error("the console shows the customer's name or address")
	}
	shop.screenshot(dir, "fulfilment-1-console-orders")

	// The carrier follows the link, signs in and comes back to the order.
	carrier := b.tabFor(t, loopTimeout)
	carrier.viewport(phone)
	carrier.navigate(link)
	carrier.waitFor("the sign-in, keeping the link", `document.getElementById("signin-next").textContent.includes("this delivery")`)
	carrier.screenshot(dir, "fulfilment-2-carrier-signin")
	signInByCode(carrier, s, demoCarrier)
	carrier.waitFor("the delivery", fmt.Sprintf(`location.hash === "#d=%s" && document.getElementById("order-title").textContent.includes(%q) &&
		document.querySelector('[data-action="claim"]')`, delivery, ref))
	if eval[bool](carrier, `Boolean(document.getElementById("customer"))`) {
		t.Error("the customer's details show before the claim")
	}
	carrier.click(`[data-action="claim"]`)
	carrier.waitFor("the details after the claim", fmt.Sprintf(`(() => {
		const c = document.getElementById("customer");
		return c && c.textContent.includes(%q) && c.textContent.includes("Third floor") &&
			c.querySelector('a[href="tel:%s"]') &&
			c.querySelector("a.maps").href === "https://maps.google.com/?q=" + encodeURIComponent(%q) &&
			document.querySelectorAll(".pickup a.tel").length === 2 &&
			document.querySelector('[data-action="pickup"]').disabled &&
			document.getElementById("pickup-why").textContent.includes("Padaria Sol"); })()`, name, customerPhone, address))
	carrier.screenshot(dir, "fulfilment-3-carrier-claimed")

	// The shopper sees who is bringing it, and can no longer cancel.
	shopper.waitWithin(trackingTimeout, "the carrier's name", fmt.Sprintf(`document.getElementById("order-status").dataset.status === "accepted" &&
		document.getElementById("order-courier")?.textContent === %q && !document.getElementById("cancel-order")`, carrierName))

	// Both shops mark their parts ready: Padaria Sol signed in by phone,
	// Green Basket with an API token. The console first shows the claim
	// (its next poll replaces the row): a click aimed at the row it
	// replaces would find no button.
	shop.waitFor("the claim in the console", fmt.Sprintf(`document.querySelector('%s').textContent.includes("Carrier on the way")`, row))
	shop.click(row + ` [data-action="ready"]`)
	shop.waitFor("ready", fmt.Sprintf(`!document.querySelector('%s [data-action="ready"]') && document.getElementById("new-count").hidden`, row))
	shop.click("#signout")
	pasteToken(shop, s.token(t, 2))
	shop.waitFor("Green Basket's order", fmt.Sprintf(`document.querySelector('%s [data-action="ready"]')`, row))
	if got := eval[string](shop, fmt.Sprintf(`document.querySelector('%s ul').textContent`, row)); got != "1 × Organic bananas (1 kg)" {
		t.Errorf("the second shop's console shows the lines %q, want only its own", got)
	}
	shop.click(row + ` [data-action="ready"]`)
	shop.waitFor("ready", fmt.Sprintf(`!document.querySelector('%s [data-action="ready"]')`, row))

	// The carrier's page notices, picks up and delivers.
	carrier.waitFor("every shop ready", `!document.querySelector('[data-action="pickup"]').disabled`)
	carrier.click(`[data-action="pickup"]`)
	carrier.waitFor("picked up", `document.querySelector('[data-action="deliver"]')`)
	carrier.click(`[data-action="deliver"]`)
	carrier.waitFor("delivered", `document.getElementById("order-status").dataset.status === "delivered"`)
	carrier.navigate(s.URL + "/carrier.html#mine")
	carrier.waitFor("nothing under way", `document.getElementById("list-status").textContent.startsWith("Nothing under way")`)

	// The shopper's tracking view shows every step, without a reload.
	shopper.waitWithin(trackingTimeout, "delivered", `document.getElementById("order-status").dataset.status === "delivered"`)
	steps := eval[string](shopper, `[...document.querySelectorAll("#timeline li")].map(e => e.dataset.step).join()`)
	if want := "placed,accepted,ready,ready,picked_up,delivered"; steps != want {
		t.Errorf("the timeline shows %s, want %s", steps, want)
	}
	shopper.screenshot(dir, "fulfilment-4-shopper-delivered")

	// Another carrier is quicker to the next order: "already taken".
	second := placeOrder(t, s, "2a1c7c5e-2222-4222-8222-222222222222")
	carrier.navigate(s.URL + "/carrier.html#d=" + market.DeliveryID(second))
	carrier.waitFor("the next delivery", `document.querySelector('[data-action="claim"]')`)
	var other int64
	if err := s.DB.Get(&other, `SELECT id FROM carriers WHERE phone <> ? AND active ORDER BY id LIMIT 1`, demoCarrier); err != nil {
		t.Fatalf("a second demo carrier: %v", err)
	}
	otherToken, err := s.Keyring.MintCarrier(other, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if status := s.call(t, http.MethodPost, "/api/carrier/orders/"+market.DeliveryID(second)+"/claim", otherToken, nil, nil, nil); status != http.StatusOK {
		t.Fatalf("the other carrier's claim = %d, want 200", status)
	}
	carrier.click(`[data-action="claim"]`)
	carrier.waitFor("already taken", `document.getElementById("order-gone")?.textContent.startsWith("Already taken")`)

	// The shopper cancels a third order while no carrier has it.
	third := placeOrder(t, s, "3a1c7c5e-3333-4333-8333-333333333333")
	shopper.navigate(s.URL + "/#order/" + third)
	shopper.waitFor("the third order", `document.getElementById("cancel-order")`)
	shopper.click("#cancel-order")
	shopper.click("#cancel-yes")
	shopper.waitFor("cancelled", `document.getElementById("order-status").dataset.status === "cancelled" && !document.getElementById("cancel-order") &&
		document.querySelector('#timeline [data-step="cancelled"]')`)
}

// placeOrder places an order for a croissant through the API, as another
// shopper would, and returns its id.
func placeOrder(t *testing.T, s *stack, key string) string {
	t.Helper()
	var o order
	body := map[string]any{"items": []item{{croissant, 1}}, "customer": map[string]any{"name": "Ana", "phone": "+351914444555", "address": "Rua Augusta 1, Lisboa", "location": inLisbon}}
	if status := s.call(t, http.MethodPost, "/api/orders", "", map[string]string{"Idempotency-Key": key}, body, &o); status != http.StatusCreated {
		t.Fatalf("POST /api/orders = %d, want 201", status)
	}
	return o.OrderID
}
