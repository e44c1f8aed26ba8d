package e2e

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the marketplace's clock, whatever the machine has

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/deliverymarket/delivery/internal/market"
)

// point is a location as the API writes it.
type point struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// inLisbon is inside the demo delivery area, among the demo shops;
// inMadrid is far outside it.
var (
	inLisbon = point{38.7169, -9.1399}
	inMadrid = point{40.4168, -3.7038}
)

// deliveryQuote is the API's quote with a location, money as strings.
type deliveryQuote struct {
	Subtotal string `json:"subtotal"`
	Total    string `json:"total"`
	Lines    []struct {
		ProductID int64 `json:"productId"`
	} `json:"lines"`
	Delivery *struct {
		Fee        string  `json:"fee"`
		DistanceKm float64 `json:"distanceKm"`
		ETA        struct {
			Earliest time.Time `json:"earliest"`
			Latest   time.Time `json:"latest"`
		} `json:"eta"`
	} `json:"delivery"`
}

type profile struct {
	Address      string                         `json:"address"`
	Version      int64                          `json:"version"`
	Location     *point                         `json:"location"`
	PrepMinutes  int                            `json:"prepMinutes"`
	OpeningHours map[string][]map[string]string `json:"openingHours"`
	Paused       bool                           `json:"paused"`
	Timezone     string                         `json:"timezone"`
}

// typeLocation types where to deliver, the fallback to the device's
// location, and asks for the delivery's quote.
func typeLocation(tb *tab, p point) {
	tb.t.Helper()
	if !eval[bool](tb, `document.getElementById("typed").open`) {
		tb.click("#typed summary")
	}
	tb.typeInto("#lat", strconv.FormatFloat(p.Lat, 'f', -1, 64))
	tb.typeInto("#lng", strconv.FormatFloat(p.Lng, 'f', -1, 64))
	tb.click("#use-coords")
}

// waitForDelivery waits until the bill shows a delivery fee and an
// arrival time, and Place order can be pressed.
func waitForDelivery(tb *tab) {
	tb.t.Helper()
	tb.waitFor("the delivery's quote", `document.getElementById("bill-fee").dataset.amount !== "" &&
		document.getElementById("bill-eta").textContent.startsWith("Arrives ") && !document.getElementById("place").disabled`)
}

// geolocate sets where the tab's device is, and whether its pages on
// origin may ask (as a person allowing or blocking the prompt would).
func (tb *tab) geolocate(origin string, allow bool, p point) {
	tb.t.Helper()
	setting := cdpbrowser.PermissionSettingDenied
	if allow {
		setting = cdpbrowser.PermissionSettingGranted
	}
	c := chromedp.FromContext(tb.ctx)
	accuracy := 10.0
	tb.do("geolocation", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, c.Browser, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: "geolocation"}, Setting: setting, Origin: origin, BrowserContextID: c.BrowserContextID,
		}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &p.Lat, Longitude: &p.Lng, Accuracy: &accuracy})
		return err
	}))
}

// changeProfile changes a company's profile through the API, as its
// console would, and returns the new one.
func changeProfile(t *testing.T, s *stack, company int64, change map[string]any) profile {
	t.Helper()
	token := s.token(t, company)
	var p profile
	if status := s.call(t, http.MethodGet, "/api/company/profile", token, nil, nil, &p); status != http.StatusOK {
		t.Fatalf("GET /api/company/profile = %d", status)
	}
	body := map[string]any{"address": p.Address}
	for k, v := range change {
		body[k] = v
	}
	if status := s.call(t, http.MethodPut, "/api/company/profile", token, map[string]string{"If-Match": fmt.Sprintf(`"%d"`, p.Version)}, body, &p); status != http.StatusOK {
		t.Fatalf("PUT /api/company/profile %v = %d, want 200", change, status)
	}
	return p
}

// TestDelivery runs the flows of where everyone is: checkout with the
// device's location, closed shops, the console's hours and the carrier's
// distances, each on a marketplace of its own.
func TestDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the browser tests in -short mode")
	}
	t.Parallel()
	b := startBrowser(t)
	for _, flow := range []struct {
		name string
		run  func(*testing.T, *browser, *stack)
	}{
		{"checkout with the device's location shows the fee and the arrival", testDeliverTo},
		{"a closed shop shows closed and stays out of the order", testClosedShop},
		{"the console saves location, hours and pause", testConsoleHours},
		{"the carrier page shows fees and distances", testCarrierDistances},
	} {
		t.Run(flow.name, func(t *testing.T) {
			t.Parallel()
			flow.run(t, b, startStack(t))
		})
	}
}

var arrivesText = regexp.MustCompile(`^Arrives \d{1,2}:\d\d( [AP]M)?–\d{1,2}:\d\d( [AP]M)?( \(approx\.\))?$`)

func testDeliverTo(t *testing.T, b *browser, s *stack) {
	tb := b.tab(t)
	tb.viewport(phone)
	tb.geolocate(s.URL, false, inLisbon)
	openShop(tb, s)
	addToCart(tb, sourdough, bananas)
	tb.click("#cart-bar")
	waitForBill(tb, 2)
	if fee := eval[string](tb, `document.getElementById("bill-fee").dataset.amount`); fee != "" {
		t.Errorf("the bill shows a delivery fee %q before a location is chosen", fee)
	}

	// Blocked: the page says so and offers the coordinates.
	tb.click("#locate")
	tb.waitFor("the refusal", `document.getElementById("deliver-status").textContent.includes("blocked") && document.getElementById("typed").open`)
	// A place outside the area (and too far) is refused with how far.
	typeLocation(tb, inMadrid)
	tb.waitFor("outside the area", `/outside the area|too far/.test(document.getElementById("deliver-status").textContent) &&
		/\d km/.test(document.getElementById("deliver-status").textContent) && document.getElementById("place").disabled`)

	tb.geolocate(s.URL, true, inLisbon)
	tb.click("#locate")
	waitForDelivery(tb)
	if got := eval[string](tb, `document.getElementById("lat").value + "," + document.getElementById("lng").value`); got != "38.7169,-9.1399" {
		t.Errorf("the coordinates show %s, want the device's 38.7169,-9.1399", got)
	}
	var want deliveryQuote
	body := map[string]any{"items": []item{{sourdough, 1}, {bananas, 1}}, "deliverTo": inLisbon}
	if status := s.call(t, http.MethodPost, "/api/orders/quote", "", nil, body, &want); status != http.StatusOK || want.Delivery == nil {
		t.Fatalf("POST /api/orders/quote with deliverTo = %d %+v, want 200 with a delivery", status, want)
	}
	for id, amount := range map[string]string{"bill-subtotal": want.Subtotal, "bill-fee": want.Delivery.Fee, "bill-total": want.Total} {
		if got := eval[string](tb, `document.getElementById("`+id+`").dataset.amount`); got != amount {
			t.Errorf("#%s = %q, want the quote's %q", id, got, amount)
		}
	}
	if got := eval[string](tb, `document.getElementById("bill-eta").textContent`); !arrivesText.MatchString(got) {
		t.Errorf("the bill's arrival reads %q", got)
	}
	if got := eval[string](tb, `document.getElementById("bill-distance").textContent`); !strings.Contains(got, "km") {
		t.Errorf("the bill's distance reads %q", got)
	}

	fillDetails(tb, "Ana Silva", "+351912345678", "Rua Augusta 100, 1100-053 Lisboa")
	tb.click("#place")
	id := orderIDFromHash(tb)
	var got struct {
		Subtotal    string `json:"subtotal"`
		DeliveryFee string `json:"deliveryFee"`
		Total       string `json:"total"`
		ETA         *struct {
			Earliest time.Time `json:"earliest"`
		} `json:"eta"`
	}
	if status := s.call(t, http.MethodGet, "/api/orders/"+id, "", nil, nil, &got); status != http.StatusOK || got.ETA == nil {
		t.Fatalf("GET /api/orders/%s = %d %+v, want 200 with an ETA", id, status, got)
	}
	if got.DeliveryFee != want.Delivery.Fee {
		t.Errorf("the order's fee = %s, want the quote's %s", got.DeliveryFee, want.Delivery.Fee)
	}
	tb.waitFor("the arrival in tracking", `/^\d{1,2}:\d\d( [AP]M)?–\d{1,2}:\d\d/.test(document.getElementById("order-eta")?.textContent)`)
	for id, amount := range map[string]string{"order-subtotal": got.Subtotal, "order-fee": got.DeliveryFee, "order-total": got.Total} {
		if shown := eval[string](tb, `document.getElementById("`+id+`").dataset.amount`); shown != amount {
			t.Errorf("tracking #%s = %q, want %q", id, shown, amount)
		}
	}
	var to struct {
		Lat string `db:"delivery_lat"`
		Lng string `db:"delivery_lng"`
	}
	if err := s.DB.Get(&to, `SELECT delivery_lat, delivery_lng FROM orders`); err != nil {
		t.Fatalf("the order's location: %v", err)
	}
	if !strings.HasPrefix(to.Lat, "38.7169") || !strings.HasPrefix(to.Lng, "-9.1399") {
		t.Errorf("the order was placed to %s,%s, want the device's 38.7169,-9.1399", to.Lat, to.Lng)
	}
}

func testClosedShop(t *testing.T, b *browser, s *stack) {
	tb := b.tab(t)
	tb.viewport(desktop)
	openShop(tb, s)
	addToCart(tb, sourdough, bananas)
	waitForBill(tb, 2)

	// Padaria Sol pauses; Casa Nonna opens tomorrow only, at 09:00 on the
	// marketplace's clock.
	changeProfile(t, s, 1, map[string]any{"paused": true})
	p := changeProfile(t, s, 3, nil)
	zone, err := time.LoadLocation(p.Timezone)
	if err != nil {
		t.Fatalf("the profile's timezone %q: %v", p.Timezone, err)
	}
	tomorrow := time.Now().In(zone).AddDate(0, 0, 1)
	day := strings.ToLower(tomorrow.Weekday().String()[:3])
	changeProfile(t, s, 3, map[string]any{"openingHours": map[string]any{day: []map[string]string{{"open": "09:00", "close": "10:00"}}}})

	tb.navigate(s.URL + "/")
	tb.waitFor("Padaria Sol paused", fmt.Sprintf(`document.getElementById("shut-%d")?.textContent === "Paused" &&
		document.querySelector('[data-key="inc:%d"]').disabled`, sourdough, sourdough))
	tb.waitFor("Casa Nonna closed", fmt.Sprintf(`document.getElementById("shut-%d")?.textContent === %q &&
		document.querySelector('[data-key="add:%d"]').disabled`, lasagna, "Closed · opens "+tomorrow.Weekday().String()[:3]+" 09:00", lasagna))
	if got := eval[string](tb, fmt.Sprintf(`document.getElementById("shut-%d").textContent`, bananas)); got != "" {
		t.Errorf("Green Basket shows %q, want it open", got)
	}
	if !eval[bool](tb, `[...document.querySelectorAll("#company option")].some(o => o.textContent === "Padaria Sol (closed)")`) {
		t.Error("the shop filter does not say Padaria Sol is closed")
	}
	tb.click(fmt.Sprintf(`[data-key="add:%d"]`, avocados))

	// The paused shop's loaf stays in the cart, flagged, out of the bill.
	var want quote
	s.call(t, http.MethodPost, "/api/orders/quote", "", nil, map[string]any{"items": []item{{bananas, 1}, {avocados, 1}}}, &want)
	tb.waitFor("the bill without the loaf", fmt.Sprintf(`document.getElementById("bill-subtotal").dataset.amount === %q &&
		document.querySelector('#cart-lines [data-product-id="%d"]').textContent.includes("not in this order") &&
		document.getElementById("closed-note").textContent.includes("Padaria Sol")`, want.Total, sourdough))
	fillCheckout(tb, "Bea", "+351912345679", "Rua do Ouro 1, Lisboa")
	tb.click("#place")
	id := orderIDFromHash(tb)
	var o struct {
		Lines []struct {
			ProductID int64 `json:"productId"`
		} `json:"lines"`
	}
	s.call(t, http.MethodGet, "/api/orders/"+id, "", nil, nil, &o)
	if len(o.Lines) != 2 {
		t.Errorf("the order holds %+v, want the bananas and the avocados only", o.Lines)
	}
	if cart := eval[string](tb, `localStorage.getItem("delivery.cart.v1")`); cart != "[]" {
		t.Logf("the cart after the order: %s", cart)
	}
}

func testConsoleHours(t *testing.T, b *browser, s *stack) {
	tb := b.tab(t)
	tb.viewport(phone)
	tb.geolocate(s.URL, true, point{38.7105, -9.1365})
	token := s.token(t, 2)
	tb.navigate(s.URL + "/company.html#profile")
	pasteToken(tb, token)
	tb.waitFor("the profile", `document.getElementById("pr-prep").value !== "" && !document.getElementById("pr-pause").hidden &&
		document.getElementById("pr-tz").textContent.includes("/")`)

	tb.click("#pr-locate")
	tb.waitFor("the device's location", `document.getElementById("pr-lat").value === "38.7105" && document.getElementById("pr-lng").value === "-9.1365"`)
	tb.typeInto("#pr-prep", "20")
	tb.typeInto("#pr-h-mon", "09:00-13:00, 15:00-19:00")
	tb.typeInto("#pr-h-tue", "9-13")
	tb.typeInto("#pr-h-sat", "22:00-02:00")
	tb.typeInto("#pr-h-sun", "closed")

	// Words the page cannot read are refused next to the day; ranges that
	// overlap, by the server, next to the day too.
	tb.typeInto("#pr-h-wed", "mornings")
	tb.click("#profile-save")
	tb.waitFor("the typing error", `document.getElementById("pr-h-wed").getAttribute("aria-invalid") === "true"`)
	tb.typeInto("#pr-h-wed", "09:00-13:00, 12:00-14:00")
	tb.click("#profile-save")
	tb.waitFor("the server's error", `document.getElementById("pr-h-wed").getAttribute("aria-invalid") === "true" &&
		document.getElementById("pr-h-wed-error").textContent.includes("overlap")`)
	tb.typeInto("#pr-h-wed", "closed")
	tb.click("#profile-save")
	tb.waitFor("saved", `document.getElementById("profile-status").textContent.startsWith("Saved")`)

	var p profile
	s.call(t, http.MethodGet, "/api/company/profile", token, nil, nil, &p)
	if p.Location == nil || *p.Location != (point{38.7105, -9.1365}) || p.PrepMinutes != 20 {
		t.Errorf("saved location %+v, prep %d; want 38.7105,-9.1365 and 20", p.Location, p.PrepMinutes)
	}
	hours := func(day string) string {
		var parts []string
		for _, r := range p.OpeningHours[day] {
			parts = append(parts, r["open"]+"-"+r["close"])
		}
		return strings.Join(parts, ", ")
	}
	for day, want := range map[string]string{"mon": "09:00-13:00, 15:00-19:00", "tue": "09:00-13:00", "wed": "", "sat": "22:00-02:00", "sun": ""} {
		if got := hours(day); got != want {
			t.Errorf("saved %s = %q, want %q", day, got, want)
		}
	}
	if got := eval[string](tb, `document.getElementById("pr-h-tue").value + "|" + document.getElementById("pr-h-sun").value`); got != "09:00-13:00|closed" {
		t.Errorf("the form shows back %q, want 09:00-13:00|closed", got)
	}

	tb.click("#pr-pause")
	tb.waitFor("paused", `document.getElementById("pause-state").textContent.startsWith("Paused") && document.getElementById("pr-pause").textContent === "Resume orders"`)
	s.call(t, http.MethodGet, "/api/company/profile", token, nil, nil, &p)
	if !p.Paused {
		t.Error("the profile is not paused after Pause orders")
	}
	tb.click("#pr-pause")
	tb.waitFor("resumed", `document.getElementById("pr-pause").textContent === "Pause orders"`)
	s.call(t, http.MethodGet, "/api/company/profile", token, nil, nil, &p)
	if p.Paused {
		t.Error("the profile is still paused after Resume orders")
	}
}

func testCarrierDistances(t *testing.T, b *browser, s *stack) {
	id := placeOrder(t, s, "4a1c7c5e-4444-4444-8444-444444444444")
	delivery := market.DeliveryID(id)
	var carrier struct {
		ID   int64  `db:"id"`
		Name string `db:"name"`
	}
	if err := s.DB.Get(&carrier, `SELECT id, name FROM carriers WHERE phone = ?`, demoCarrier); err != nil {
		t.Fatalf("the demo carrier: %v", err)
	}
	token, err := s.Keyring.MintCarrier(carrier.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		DeliveryFee string   `json:"deliveryFee"`
		DistanceKm  *float64 `json:"distanceKm"`
	}
	if status := s.call(t, http.MethodGet, "/api/carrier/orders/"+delivery, token, nil, nil, &want); status != http.StatusOK || want.DistanceKm == nil {
		t.Fatalf("GET /api/carrier/orders/%s = %d %+v, want 200 with a route", delivery, status, want)
	}

	tb := b.tab(t)
	tb.viewport(phone)
	tb.geolocate(s.URL, true, point{38.7200, -9.1500})
	// Signed in as the page keeps a sign-in.
	tb.navigate(s.URL + "/carrier.html")
	tb.do("keep the sign-in", script(`localStorage.setItem("delivery.carrier.v1", JSON.stringify({token: %s, expiresAt: %s, name: %s}))`,
		token, time.Now().Add(time.Hour).Format(time.RFC3339), carrier.Name))
	tb.do("reload", chromedp.Reload())
	card := fmt.Sprintf(`#orders [data-delivery-id="%s"]`, delivery)
	tb.waitFor("the fee and route", fmt.Sprintf(`document.querySelector('%s .earn')?.textContent.includes("km route") &&
		!document.querySelector('%s .earn').textContent.includes("to pickup")`, card, card))
	tb.click("#distances")
	tb.waitFor("the distance to the pickup", fmt.Sprintf(`document.querySelector('%s .earn')?.textContent.includes("km to pickup")`, card))

	tb.click(card + " a")
	tb.waitFor("the delivery", fmt.Sprintf(`document.getElementById("order-fee")?.dataset.amount === %q && document.getElementById("order-pickup-km")`, want.DeliveryFee))
	tb.click(`[data-action="claim"]`)
	tb.waitFor("the customer's spot", fmt.Sprintf(`[...document.querySelectorAll("#customer a.maps")].some(a => a.href.startsWith("https://www.openstreetmap.org/?mlat=%v&mlon=%v"))`, inLisbon.Lat, inLisbon.Lng))
}
