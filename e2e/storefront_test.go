package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// quote is the API's bill, decoded without floats: money stays a string.
type quote struct {
	Currency  string `json:"currency"`
	ItemCount int    `json:"itemCount"`
	Total     string `json:"total"`
	Lines     []struct {
		ProductID int64  `json:"productId"`
		LineTotal string `json:"lineTotal"`
	} `json:"lines"`
}

type order struct {
	OrderID   string `json:"orderId"`
	Reference string `json:"reference"`
	Status    string `json:"status"`
	Total     string `json:"total"`
}

type product struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Price   string `json:"price"`
	Version int64  `json:"version"`
}

type item struct {
	ProductID int64 `json:"productId"`
	Quantity  int   `json:"quantity"`
}

// The demo catalog's ids (internal/demo): 1-8 Padaria Sol, 9-16 Green
// Basket Grocers, 17-24 Casa Nonna Kitchen.
const (
	sourdough = 1  // 6.50
	paoQueijo = 2  // 4.20
	croissant = 3  // 2.75; the console test edits it
	cinnamon  = 4  // 3.10
	bananas   = 9  // 2.19
	avocados  = 10 // 4.49
	tomatoes  = 11 // 3.29
	lasagna   = 17 // 18.50
	tiramisu  = 21 // on the second page of 20
)

// TestStorefront runs the shopper's and the company's flows in headless
// Chromium, each in a browser context of its own and on a marketplace of
// its own (they count orders and change prices), side by side.
func TestStorefront(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the browser tests in -short mode")
	}
	t.Parallel()
	b := startBrowser(t)
	for _, flow := range []struct {
		name string
		run  func(*testing.T, *browser, *stack)
	}{
		{"browse, filter and the bill equals the quote", testBill},
		{"checkout shows the order and texts the carriers", testCheckout},
		{"a double-clicked Place order makes one order", testDoubleClick},
		{"a lost answer retried with the same key makes one order", testRetry},
		{"names are text and unavailable products leave the cart", testHostileName},
		{"the console edits a price and the storefront shows it", testConsole},
		{"screenshots", testScreenshots},
	} {
		t.Run(flow.name, func(t *testing.T) {
			t.Parallel()
			flow.run(t, b, startStack(t))
		})
	}
}

// openShop opens the storefront and waits for the first page of products.
func openShop(tb *tab, s *stack) {
	tb.t.Helper()
	tb.navigate(s.URL + "/")
	tb.waitFor("the first page of products", `document.querySelectorAll("#products li").length >= 20`)
}

func addToCart(tb *tab, ids ...int64) {
	tb.t.Helper()
	for _, id := range ids {
		tb.click(fmt.Sprintf(`[data-key="add:%d"]`, id))
		tb.waitFor("the stepper", fmt.Sprintf(`document.querySelector('[data-key="inc:%d"]')`, id))
	}
}

// waitForBill waits until the bill shows a fresh quote for lines lines.
func waitForBill(tb *tab, lines int) {
	tb.t.Helper()
	tb.waitFor("the bill", fmt.Sprintf(`document.querySelectorAll("#cart-lines li").length === %d && document.getElementById("bill-total").dataset.amount !== "" && !document.querySelector("#cart-lines .stale")`, lines))
}

// fillCheckout fills the checkout's details and types where to deliver
// (inside the demo delivery area), waiting for the delivery's quote.
func fillCheckout(tb *tab, name, phone, address string) {
	tb.t.Helper()
	fillDetails(tb, name, phone, address)
	typeLocation(tb, inLisbon)
	waitForDelivery(tb)
}

func fillDetails(tb *tab, name, phone, address string) {
	tb.t.Helper()
	tb.typeInto("#name", name)
	tb.typeInto("#phone", phone)
	tb.typeInto("#address", address)
}

func countOrders(t *testing.T, s *stack) int {
	t.Helper()
	var n int
	if err := s.DB.Get(&n, `SELECT COUNT(*) FROM orders`); err != nil {
		t.Fatalf("count orders: %v", err)
	}
	return n
}

func orderIDFromHash(tb *tab) string {
	tb.t.Helper()
	tb.waitFor("the confirmation", `location.hash.startsWith("#order/") && document.getElementById("order-reference")`)
	return strings.TrimPrefix(eval[string](tb, `location.hash`), "#order/")
}

func testBill(t *testing.T, b *browser, s *stack) {
	tb := b.tab(t)
	tb.viewport(desktop)
	openShop(tb, s)

	// The filters run on the server, over the whole catalog: with only the
	// first page loaded (20 of the 24 products), a search finds a product
	// of the second page and a shop shows all of its products.
	const shown = `[...document.querySelectorAll("#products li")]`
	const firstPage = `document.querySelectorAll("#products li").length === 20 && !document.getElementById("more").hidden`
	const unfiltered = firstPage + ` && document.getElementById("catalog-status").textContent === "20 products; more below."`
	tb.waitFor("the shops from GET /api/companies", `[...document.querySelectorAll("#company option")].map(o => o.textContent).join() ===
		"All shops,Casa Nonna Kitchen,Green Basket Grocers,Padaria Sol"`)
	if eval[bool](tb, fmt.Sprintf(`Boolean(document.querySelector('#products [data-product-id="%d"]'))`, tiramisu)) {
		t.Fatal("Tiramisu is on the first page; the test needs a product of the second")
	}
	tb.typeInto("#q", "TIRAMISU")
	tb.waitFor("the search", shown+`.map(e => e.dataset.productId).join() === "`+strconv.Itoa(tiramisu)+`" && document.getElementById("more").hidden &&
		document.getElementById("catalog-status").textContent === "1 matching product."`)
	tb.typeInto("#q", "")
	tb.waitFor("the whole catalog again", firstPage)
	tb.do("choose a shop", chromeSelect("#company", "Casa Nonna Kitchen"))
	tb.waitFor("the shop's 8 products", `(() => { const cards = `+shown+`;
		return cards.length === 8 && cards.every(e => e.querySelector(".company").textContent === "Casa Nonna Kitchen") &&
			document.getElementById("more").hidden; })()`)
	tb.typeInto("#q", "pizza")
	tb.waitFor("the search in the shop", shown+`.map(e => e.querySelector(".name").textContent).join() === "Margherita pizza"`)
	tb.typeInto("#q", "xyzzy")
	tb.waitFor("no match", `document.querySelectorAll("#products li").length === 0 && document.getElementById("catalog-status").textContent.startsWith("Nothing matches")`)
	tb.typeInto("#q", "")
	tb.do("all shops", chromeSelect("#company", "All shops"))
	tb.waitFor("no filter", firstPage)

	// "Load more" goes on with the same search: the API would refuse the
	// cursor with other filters. No demo word is in 20 products, so the
	// search gets 22 of its own for the while.
	gelatos := addProducts(t, s, 3, "Gelato scoop", 22)
	tb.typeInto("#q", "gel")
	tb.waitFor("the first page of the search", `document.querySelectorAll("#products li").length === 20 && !document.getElementById("more").hidden &&
		document.getElementById("catalog-status").textContent.includes("matching")`)
	tb.click("#more")
	tb.waitFor("the second page of the search", `document.querySelectorAll("#products li").length === 22 && document.getElementById("more").hidden &&
		document.getElementById("catalog-error").hidden`)
	archiveProducts(t, s, 3, gelatos)
	tb.typeInto("#q", "")
	// The search's own first page also shows 20 products: wait for the
	// unfiltered list itself, or "Load more" races the debounced reload.
	tb.waitFor("no filter", unfiltered)

	// Pagination: the demo catalog's 24 products take two pages of 20.
	tb.click("#more")
	tb.waitFor("the second page", `document.querySelectorAll("#products li").length === 24 && document.getElementById("more").hidden`)

	// Three products, one of them twice.
	addToCart(tb, sourdough, avocados, lasagna)
	tb.click(fmt.Sprintf(`[data-key="inc:%d"]`, sourdough))
	waitForBill(tb, 3)
	tb.waitFor("the quantity", fmt.Sprintf(`document.querySelector('#cart-lines [data-product-id="%d"] .qty').textContent === "2"`, sourdough))

	var want quote
	items := []item{{sourdough, 2}, {avocados, 1}, {lasagna, 1}}
	if status := s.call(t, http.MethodPost, "/api/orders/quote", "", nil, map[string]any{"items": items}, &want); status != http.StatusOK {
		t.Fatalf("POST /api/orders/quote = %d, want 200", status)
	}
	checkBill(tb, want)

	// The cart survives a reload (localStorage), and is priced again.
	tb.navigate(s.URL + "/")
	waitForBill(tb, 3)
	checkBill(tb, want)
}

// checkBill compares the bill on the page with the server's quote, string
// for string, and the formatted total with what en-US shows.
func checkBill(tb *tab, want quote) {
	tb.t.Helper()
	if got := eval[string](tb, `document.getElementById("bill-total").dataset.amount`); got != want.Total {
		tb.t.Errorf("bill total = %q, want the quote's %q", got, want.Total)
	}
	if got, wantText := eval[string](tb, `document.getElementById("bill-total").textContent`), "$"+want.Total; got != wantText {
		tb.t.Errorf("bill total shows %q, want %q", got, wantText)
	}
	for _, l := range want.Lines {
		got := eval[string](tb, fmt.Sprintf(`document.querySelector('#cart-lines [data-product-id="%d"] .line-total').dataset.amount`, l.ProductID))
		if got != l.LineTotal {
			tb.t.Errorf("line of product %d = %q, want the quote's %q", l.ProductID, got, l.LineTotal)
		}
	}
}

func testCheckout(t *testing.T, b *browser, s *stack) {
	tb := b.tab(t)
	tb.viewport(phone)
	openShop(tb, s)
	addToCart(tb, paoQueijo, bananas)
	tb.click("#cart-bar")
	tb.waitFor("the cart view", `document.body.dataset.view === "cart" && !document.getElementById("checkout").hidden`)
	waitForBill(tb, 2)

	// A phone number without its country code is refused next to the field.
	fillCheckout(tb, "Ana Silva", "912 345 678", "Rua Augusta 100, 1100-053 Lisboa")
	tb.typeInto("#note", "Ring twice")
	tb.click("#place")
	tb.waitFor("the phone error", `document.getElementById("phone").getAttribute("aria-invalid") === "true" &&
		document.getElementById("phone-error").textContent.includes("country code") &&
		document.getElementById("phone").getAttribute("aria-describedby").includes("phone-error") &&
		document.activeElement.id === "phone"`)

	tb.typeInto("#phone", "+351 912 345 678")
	tb.click("#place")
	id := orderIDFromHash(tb)

	var got order
	if status := s.call(t, http.MethodGet, "/api/orders/"+id, "", nil, nil, &got); status != http.StatusOK {
		t.Fatalf("GET /api/orders/%s = %d, want 200", id, status)
	}
	if shown := eval[string](tb, `document.getElementById("order-reference").textContent`); shown != got.Reference {
		t.Errorf("confirmation shows reference %q, want %q", shown, got.Reference)
	}
	if shown := eval[string](tb, `document.getElementById("order-status").dataset.status`); shown != got.Status || got.Status != "placed" {
		t.Errorf("confirmation shows status %q, API says %q, want placed", shown, got.Status)
	}
	if shown := eval[string](tb, `document.getElementById("order-total").dataset.amount`); shown != got.Total {
		t.Errorf("confirmation shows total %q, want %q", shown, got.Total)
	}
	if cart := eval[string](tb, `localStorage.getItem("delivery.cart.v1")`); cart != "[]" {
		t.Errorf("cart after the order = %s, want []", cart)
	}
	// The page follows the courier SMS until it is sent.
	tb.waitFor("the SMS status", `document.getElementById("order-notification")?.dataset.status === "notified"`)

	// And carriers got it: listed at /_local/sms.
	var sms struct {
		Messages []struct {
			OrderID string `json:"orderId"`
			Message string `json:"message"`
		} `json:"messages"`
	}
	if status := s.call(t, http.MethodGet, "/_local/sms", "", nil, nil, &sms); status != http.StatusOK {
		t.Fatalf("GET /_local/sms = %d", status)
	}
	found := 0
	for _, m := range sms.Messages {
		if m.OrderID == id {
			found++
			if !strings.Contains(m.Message, got.Reference) {
				t.Errorf("SMS %q does not name the reference %s", m.Message, got.Reference)
			}
		}
	}
	if found != 1 {
		t.Errorf("SMS for order %s: %d, want 1 (outbox %+v)", id, found, sms.Messages)
	}
}

func testDoubleClick(t *testing.T, b *browser, s *stack) {
	tb := b.tab(t)
	tb.viewport(desktop)
	openShop(tb, s)
	addToCart(tb, cinnamon)
	waitForBill(tb, 1)
	fillCheckout(tb, "Bea", "+5511987654321", "Rua Oscar Freire 10, Sao Paulo")
	tb.waitFor("Place order", `!document.getElementById("place").disabled`)

	before := countOrders(t, s)
	tb.do("double-click Place order", chromeDoubleClick("#place"))
	id := orderIDFromHash(tb)
	// Let any second request land before counting.
	time.Sleep(300 * time.Millisecond)
	if after := countOrders(t, s); after != before+1 {
		t.Errorf("orders after a double click = %d, want %d", after, before+1)
	}
	if id == "" {
		t.Error("no order id in the confirmation")
	}
}

func testRetry(t *testing.T, b *browser, s *stack) {
	tb := b.tab(t)
	tb.viewport(desktop)
	openShop(tb, s)
	addToCart(tb, bananas)
	waitForBill(tb, 1)
	fillCheckout(tb, "Caio", "+5511912345678", "Rua Harmonia 5, Sao Paulo")
	tb.waitFor("Place order", `!document.getElementById("place").disabled`)

	// The first POST reaches the server, which places the order, but its
	// answer is lost on the way back.
	before := countOrders(t, s)
	tb.do("lose the next answer to POST /api/orders", loseNextOrderResponse(tb))
	tb.click("#place")
	tb.waitFor("the network error", `!document.getElementById("checkout-error").hidden && document.getElementById("checkout-error").textContent.includes("safe")`)
	if after := countOrders(t, s); after != before+1 {
		t.Fatalf("orders after the lost answer = %d, want %d", after, before+1)
	}
	// Trying again sends the same Idempotency-Key: the same order comes
	// back, not a second one.
	tb.click("#place")
	orderIDFromHash(tb)
	if after := countOrders(t, s); after != before+1 {
		t.Errorf("orders after the retry = %d, want %d", after, before+1)
	}
}

// addProducts creates n products of company named "<name> 1".."<name> n"
// through the API, and returns their ids.
func addProducts(t *testing.T, s *stack, company int64, name string, n int) []int64 {
	t.Helper()
	token := s.token(t, company)
	ids := make([]int64, n)
	for i := range ids {
		var p product
		body := map[string]any{"name": fmt.Sprintf("%s %d", name, i+1), "price": "2.00"}
		if status := s.call(t, http.MethodPost, "/api/company/products", token, nil, body, &p); status != http.StatusCreated {
			t.Fatalf("POST /api/company/products = %d, want 201", status)
		}
		ids[i] = p.ID
	}
	return ids
}

// archiveProducts takes products that addProducts made out of the catalog.
func archiveProducts(t *testing.T, s *stack, company int64, ids []int64) {
	t.Helper()
	token := s.token(t, company)
	for _, id := range ids {
		if status := s.call(t, http.MethodDelete, fmt.Sprintf("/api/products/%d", id), token, map[string]string{"If-Match": `"1"`}, nil, nil); status != http.StatusOK {
			t.Fatalf("DELETE /api/products/%d = %d, want 200", id, status)
		}
	}
}

func testHostileName(t *testing.T, b *browser, s *stack) {
	const hostile = `<img src=x onerror=alert(1)>`
	token := s.token(t, 2)
	var p product
	body := map[string]any{"name": hostile, "description": `<script>alert(2)</script>`, "price": "1.00"}
	if status := s.call(t, http.MethodPost, "/api/company/products", token, nil, body, &p); status != http.StatusCreated {
		t.Fatalf("POST /api/company/products = %d, want 201", status)
	}

	tb := b.tab(t)
	tb.viewport(desktop)
	openShop(tb, s)
	tb.click("#more")
	card := fmt.Sprintf(`#products [data-product-id="%d"]`, p.ID)
	tb.waitFor("the product", fmt.Sprintf(`document.querySelector('%s')`, card))
	if got := eval[string](tb, fmt.Sprintf(`document.querySelector('%s .name').textContent`, card)); got != hostile {
		t.Errorf("product name shows %q, want the literal %q", got, hostile)
	}
	noImages(tb)

	addToCart(tb, p.ID, tomatoes)
	waitForBill(tb, 2)
	if got := eval[string](tb, fmt.Sprintf(`document.querySelector('#cart-lines [data-product-id="%d"] .name').textContent`, p.ID)); got != hostile {
		t.Errorf("cart line shows %q, want %q", got, hostile)
	}
	noImages(tb)

	// The company archives it while it sits in the cart: the next price
	// check (422 naming it) takes it out and says why.
	if status := s.call(t, http.MethodDelete, fmt.Sprintf("/api/products/%d", p.ID), token, nil, nil, nil); status != http.StatusOK {
		t.Fatalf("DELETE /api/products/%d = %d, want 200", p.ID, status)
	}
	tb.click(fmt.Sprintf(`[data-key="cinc:%d"]`, tomatoes))
	tb.waitFor("the unavailable notice", `!document.getElementById("cart-notice").hidden && document.getElementById("cart-notice").textContent.includes("no longer available")`)
	waitForBill(tb, 1)
	if got := eval[string](tb, `document.getElementById("cart-notice").textContent`); !strings.Contains(got, hostile) {
		t.Errorf("notice %q does not name the product as text", got)
	}
	var want quote
	s.call(t, http.MethodPost, "/api/orders/quote", "", nil, map[string]any{"items": []item{{tomatoes, 2}}}, &want)
	checkBill(tb, want)
	noImages(tb)

	// The company console shows it as text too.
	openConsole(tb, s, token)
	row := fmt.Sprintf(`#admin-products [data-product-id="%d"]`, p.ID)
	tb.waitFor("the product in the console", fmt.Sprintf(`document.querySelector('%s')`, row))
	if got := eval[string](tb, fmt.Sprintf(`document.querySelector('%s .name').textContent`, row)); got != hostile {
		t.Errorf("console shows %q, want %q", got, hostile)
	}
	noImages(tb)
}

func noImages(tb *tab) {
	tb.t.Helper()
	if n := eval[int](tb, `document.querySelectorAll("img, script:not([src])").length`); n != 0 {
		tb.t.Errorf("the page holds %d <img> or inline <script> elements, want 0", n)
	}
}

// openConsole opens the company console's products and signs in with
// token, the API clients' way (the sign-in by phone code is the primary).
func openConsole(tb *tab, s *stack, token string) {
	tb.t.Helper()
	tb.navigate(s.URL + "/company.html#products")
	pasteToken(tb, token)
	tb.waitFor("the product list", `!document.getElementById("console").hidden && document.querySelectorAll("#admin-products li").length > 0`)
}

// pasteToken signs in to the console with a token, behind "Sign in with
// an API token instead".
func pasteToken(tb *tab, token string) {
	tb.t.Helper()
	if !eval[bool](tb, `document.getElementById("token-details").open`) {
		tb.click("#token-details summary")
	}
	tb.do("paste the token", chromeSetValue("#token", token))
	tb.click(`#token-form button[type="submit"]`)
}

func testConsole(t *testing.T, b *browser, s *stack) {
	tb := b.tab(t)
	tb.viewport(phone)

	// A token the API refuses is explained, and the form asks again.
	tb.navigate(s.URL + "/company.html")
	pasteToken(tb, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl")
	tb.waitFor("the 401 explanation", `document.getElementById("notice").textContent.includes("not accepted") && !document.getElementById("signin").hidden`)

	token := s.token(t, 1)
	openConsole(tb, s, token)
	if stored := eval[string](tb, `sessionStorage.getItem("delivery.companyToken") || ""`); !strings.Contains(stored, token) {
		t.Error("the token is not in sessionStorage")
	}
	if stored := eval[bool](tb, `Object.keys(localStorage).some(k => (localStorage.getItem(k) || "").includes("eyJ"))`); stored {
		t.Error("the token leaked into localStorage")
	}

	row := fmt.Sprintf(`#admin-products [data-product-id="%d"]`, croissant)
	tb.click(row + ` [data-action="edit"]`)
	tb.waitFor("the editor", `document.getElementById("p-price").value === "2.75"`)
	tb.typeInto("#p-price", "3.15")
	tb.click("#save")
	tb.waitFor("the saved price", fmt.Sprintf(`document.querySelector('%s .price')?.dataset.amount === "3.15"`, row))

	// The storefront shows the new price.
	openShop(tb, s)
	card := fmt.Sprintf(`#products [data-product-id="%d"] .price`, croissant)
	if got := eval[string](tb, fmt.Sprintf(`document.querySelector('%s').textContent`, card)); got != "$3.15" {
		t.Errorf("storefront shows %q for the croissant, want $3.15", got)
	}

	// Someone else changes it while the console has it open: 412, explained,
	// and a reload shows their version.
	tb.navigate(s.URL + "/company.html#products") // the token is still in this tab's sessionStorage
	tb.waitFor("the product list", `document.querySelectorAll("#admin-products li").length > 0`)
	tb.click(row + ` [data-action="edit"]`)
	tb.waitFor("the editor", `document.getElementById("p-price").value === "3.15"`)
	current := findProduct(t, s, token, croissant)
	other := map[string]any{"name": current.Name, "description": "Changed by a colleague.", "price": "3.25", "active": true}
	if status := s.call(t, http.MethodPut, fmt.Sprintf("/api/products/%d", croissant), token,
		map[string]string{"If-Match": strconv.Quote(strconv.FormatInt(current.Version, 10))}, other, nil); status != http.StatusOK {
		t.Fatalf("PUT by a colleague = %d, want 200", status)
	}
	tb.typeInto("#p-price", "3.35")
	tb.click("#save")
	tb.waitFor("the 412 explanation", `!document.getElementById("editor-error").hidden && document.getElementById("editor-error").textContent.includes("Someone else changed")`)
	tb.click("#editor-error button")
	tb.waitFor("the colleague's version", `document.getElementById("p-price").value === "3.25" && document.getElementById("p-description").value === "Changed by a colleague."`)
}

func findProduct(t *testing.T, s *stack, token string, id int64) product {
	t.Helper()
	var page struct {
		Products []product `json:"products"`
	}
	s.call(t, http.MethodGet, "/api/company/products?limit=100", token, nil, nil, &page)
	for _, p := range page.Products {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("product %d not in the company's list", id)
	return product{}
}

func testScreenshots(t *testing.T, b *browser, s *stack) {
	dir := screenshotDir(t)
	token := s.token(t, 3)
	for _, v := range []viewportSize{phone, desktop} {
		tb := b.tab(t)
		tb.viewport(v)
		openShop(tb, s)
		addToCart(tb, lasagna, tomatoes)
		tb.click(fmt.Sprintf(`[data-key="inc:%d"]`, tomatoes))
		waitForBill(tb, 2)
		tb.do("scroll to the top", chromeScrollTop())
		tb.screenshot(dir, v.name+"-1-catalog")

		tb.navigate(s.URL + "/#cart")
		waitForBill(tb, 2)
		fillCheckout(tb, "Dora", "+351912345678", "Rua do Ouro 12, 1100-060 Lisboa")
		tb.do("scroll to the top", chromeScrollTop())
		tb.screenshot(dir, v.name+"-2-cart")

		tb.click("#place")
		orderIDFromHash(tb)
		tb.waitFor("the SMS status", `document.getElementById("order-notification")?.dataset.status === "notified"`)
		tb.screenshot(dir, v.name+"-3-order")

		openConsole(tb, s, token)
		tb.screenshot(dir, v.name+"-4-console")
	}
}
