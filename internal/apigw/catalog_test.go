package apigw_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/market"
)

var twoDecimals = regexp.MustCompile(`^-?[0-9]+\.[0-9]{2}$`)

func TestListProducts(t *testing.T) {
	null := "null"
	tests := []struct {
		name       string
		query      map[string]string
		wantStatus int
		wantIDs    []int64
		wantNext   string // "null" for the last page; a cursor otherwise
		wantField  string // for a 400
	}{
		{name: "defaults: all active products", wantStatus: 200, wantIDs: []int64{1, 2, 3, 5, 6}, wantNext: null},
		{name: "first page", query: map[string]string{"limit": "2"}, wantStatus: 200, wantIDs: []int64{1, 2}, wantNext: market.EncodeCursor(2)},
		{
			name:       "second page skips the inactive product",
			query:      map[string]string{"limit": "2", "cursor": market.EncodeCursor(2)},
			wantStatus: 200, wantIDs: []int64{3, 5}, wantNext: market.EncodeCursor(5),
		},
		{name: "last page", query: map[string]string{"limit": "2", "cursor": market.EncodeCursor(5)}, wantStatus: 200, wantIDs: []int64{6}, wantNext: null},
		{name: "page that fits exactly has no next", query: map[string]string{"limit": "5"}, wantStatus: 200, wantIDs: []int64{1, 2, 3, 5, 6}, wantNext: null},
		{name: "past the end", query: map[string]string{"cursor": market.EncodeCursor(6)}, wantStatus: 200, wantIDs: []int64{}, wantNext: null},
		{name: "empty limit is the default", query: map[string]string{"limit": ""}, wantStatus: 200, wantIDs: []int64{1, 2, 3, 5, 6}, wantNext: null},
		{name: "limit 0", query: map[string]string{"limit": "0"}, wantStatus: 400, wantField: "limit"},
		{name: "limit 101", query: map[string]string{"limit": "101"}, wantStatus: 400, wantField: "limit"},
		{name: "limit abc", query: map[string]string{"limit": "abc"}, wantStatus: 400, wantField: "limit"},
		{name: "bad cursor", query: map[string]string{"cursor": "bm90LWEtY3Vyc29y"}, wantStatus: 400, wantField: "cursor"},
		{name: "cursor with leading zeros", query: map[string]string{"cursor": "cDE6MDI"}, wantStatus: 400, wantField: "cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			event := loadEvent(t, "list-products.json")
			setQuery(&event, tt.query)
			resp := h.handle(t, event)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("GET /api/products?%v status = %d, want %d (body %s)", tt.query, resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if tt.wantStatus != http.StatusOK {
				e := errorOf(t, resp)
				if e.Code != market.CodeInvalid || !strings.Contains(string(e.Details), `"field":"`+tt.wantField+`"`) {
					t.Errorf("GET /api/products?%v error = %+v (details %s), want invalid_request on %s", tt.query, e, e.Details, tt.wantField)
				}
				if len(h.store.pages) != 0 {
					t.Errorf("the store was queried for a bad request: %v", h.store.pages)
				}
				return
			}
			var body struct {
				Products []struct {
					ID int64 `json:"id"`
				} `json:"products"`
				NextCursor json.RawMessage `json:"nextCursor"`
			}
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
				t.Fatalf("body %s: %v", resp.Body, err)
			}
			if body.Products == nil {
				t.Errorf("products = null, want [] (body %s)", resp.Body)
			}
			ids := []int64{}
			for _, p := range body.Products {
				ids = append(ids, p.ID)
			}
			if !slices.Equal(ids, tt.wantIDs) {
				t.Errorf("GET /api/products?%v ids = %v, want %v", tt.query, ids, tt.wantIDs)
			}
			wantNext := tt.wantNext
			if wantNext != null {
				wantNext = `"` + wantNext + `"`
			}
			if string(body.NextCursor) != wantNext {
				t.Errorf("GET /api/products?%v nextCursor = %s, want %s", tt.query, body.NextCursor, wantNext)
			}
			if len(h.store.pages) != 1 {
				t.Errorf("ListActive calls = %d, want 1", len(h.store.pages))
			}
		})
	}
}

// Following nextCursor from the first page visits every active product
// once, in id order.
func TestListProductsFollowCursor(t *testing.T) {
	h := newHarness(t, nil)
	var ids []int64
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatalf("no end after %d pages: %v", pages, ids)
		}
		event := loadEvent(t, "list-products.json")
		setQuery(&event, map[string]string{"limit": "1", "cursor": cursor})
		resp := h.handle(t, event)
		var body struct {
			Products   []market.Product `json:"products"`
			NextCursor *string          `json:"nextCursor"`
		}
		if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || resp.StatusCode != 200 {
			t.Fatalf("page %d: %d %s: %v", pages, resp.StatusCode, resp.Body, err)
		}
		for _, p := range body.Products {
			ids = append(ids, p.ID)
		}
		if body.NextCursor == nil {
			break
		}
		cursor = *body.NextCursor
	}
	if want := []int64{1, 2, 3, 5, 6}; !slices.Equal(ids, want) {
		t.Errorf("ids over all pages = %v, want %v", ids, want)
	}
}

func TestListProductsShape(t *testing.T) {
	h := newHarness(t, nil)
	// limit=2, cursor after product 2.
	resp := h.handle(t, loadEvent(t, "list-products-page.json"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %s)", resp.StatusCode, resp.Body)
	}
	if ct := resp.Headers["Content-Type"]; ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q, want application/json; charset=utf-8", ct)
	}
	body := decodeJSON(t, resp.Body)
	if got, want := keys(body), []string{"nextCursor", "products"}; !slices.Equal(got, want) {
		t.Errorf("body keys = %v, want %v", got, want)
	}
	if next, ok := body["nextCursor"].(string); !ok || next != market.EncodeCursor(5) {
		t.Errorf("nextCursor = %#v, want %q", body["nextCursor"], market.EncodeCursor(5))
	}
	products, ok := body["products"].([]any)
	if !ok || len(products) != 2 {
		t.Fatalf("products = %#v, want 2 of them", body["products"])
	}
	want := []map[string]any{
		{
			"id": json.Number("3"), "companyId": json.Number("20"), "companyName": "Green Basket Grocers",
			"name": "Lemons (4)", "description": "About Lemons (4).", "price": "0.10", "currency": "USD", "version": json.Number("3"),
			"image": nil,
		},
		{
			"id": json.Number("5"), "companyId": json.Number("30"), "companyName": "Casa Nonna Kitchen",
			"name": "Lasagna for two", "description": "About Lasagna for two.", "price": "18.50", "currency": "USD", "version": json.Number("5"),
			"image": nil,
		},
	}
	for i, p := range products {
		if !reflect.DeepEqual(p, want[i]) {
			t.Errorf("products[%d] = %#v, want %#v", i, p, want[i])
		}
	}
}

func TestListProductsPriceRendering(t *testing.T) {
	h := newHarness(t, nil)
	resp := h.handle(t, loadEvent(t, "list-products.json"))
	var body struct {
		Products []map[string]any `json:"products"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatal(err)
	}
	want := map[float64]string{1: "4.50", 2: "2.75", 3: "0.10", 5: "18.50", 6: "9999999999.99"}
	for _, p := range body.Products {
		price, ok := p["price"].(string)
		if !ok || !twoDecimals.MatchString(price) || price != want[p["id"].(float64)] {
			t.Errorf("product %v price = %#v, want the string %q", p["id"], p["price"], want[p["id"].(float64)])
		}
	}
}

func TestQuote(t *testing.T) {
	const ok = `{"items": [{"productId": 1, "quantity": 2}, {"productId": 3, "quantity": 1}]}`
	big := func(n int) string { return ok + strings.Repeat(" ", n-len(ok)) }
	tests := []struct {
		name        string
		body        string
		base64      bool
		contentType string // "" keeps the event's application/json; "-" removes it
		wantStatus  int
		wantCode    market.Code
		wantDetails string // JSON, compared exactly when set
		wantTotal   string
	}{
		{name: "priced", body: ok, wantStatus: 200, wantTotal: "9.10"},
		{name: "repeated ids merge", body: `{"items":[{"productId":3,"quantity":1},{"productId":3,"quantity":2}]}`, wantStatus: 200, wantTotal: "0.30"},
		{name: "largest price × 999", body: `{"items":[{"productId":6,"quantity":999}]}`, wantStatus: 200, wantTotal: "9989999999990.01"},
		{name: "base64 body", body: base64.StdEncoding.EncodeToString([]byte(ok)), base64: true, wantStatus: 200, wantTotal: "9.10"},
		{name: "no content type", body: ok, contentType: "-", wantStatus: 200, wantTotal: "9.10"},
		{name: "content type with charset", body: ok, contentType: "application/json; charset=utf-8", wantStatus: 200, wantTotal: "9.10"},
		{name: "content type in capitals", body: ok, contentType: "Application/JSON", wantStatus: 200, wantTotal: "9.10"},
		{name: "body of exactly 64 KiB", body: big(apigw.MaxBodyBytes), wantStatus: 200, wantTotal: "9.10"},

		{
			name: "unknown and inactive products", body: `{"items":[{"productId":77,"quantity":1},{"productId":1,"quantity":1},{"productId":4,"quantity":1}]}`,
			wantStatus: 422, wantCode: market.CodeUnavailableProducts, wantDetails: `{"productIds":[4,77]}`,
		},
		{name: "malformed JSON", body: `{"items": [`, wantStatus: 400, wantCode: market.CodeInvalid},
		{name: "not JSON at all", body: `items=1`, wantStatus: 400, wantCode: market.CodeInvalid},
		{
			name: "productId as a string", body: `{"items":[{"productId":"1","quantity":1}]}`,
			wantStatus: 400, wantCode: market.CodeInvalid, wantDetails: `{"field":"items.productId"}`,
		},
		{
			name: "fractional quantity", body: `{"items":[{"productId":1,"quantity":1.5}]}`,
			wantStatus: 400, wantCode: market.CodeInvalid, wantDetails: `{"field":"items.quantity"}`,
		},
		{name: "items not an array", body: `{"items":{"productId":1}}`, wantStatus: 400, wantCode: market.CodeInvalid},
		{
			name: "unknown field", body: `{"items":[{"productId":1,"quantity":1}],"coupon":"FREE"}`,
			wantStatus: 400, wantCode: market.CodeInvalid, wantDetails: `{"field":"coupon"}`,
		},
		{name: "unknown field in an item", body: `{"items":[{"productId":1,"quantity":1,"price":"0.01"}]}`, wantStatus: 400, wantCode: market.CodeInvalid},
		{name: "empty items", body: `{"items":[]}`, wantStatus: 400, wantCode: market.CodeInvalid, wantDetails: `{"field":"items"}`},
		{name: "no items", body: `{}`, wantStatus: 400, wantCode: market.CodeInvalid, wantDetails: `{"field":"items"}`},
		{name: "items null", body: `{"items":null}`, wantStatus: 400, wantCode: market.CodeInvalid, wantDetails: `{"field":"items"}`},
		{
			name: "quantity 1000", body: `{"items":[{"productId":1,"quantity":1000}]}`,
			wantStatus: 400, wantCode: market.CodeInvalid, wantDetails: `{"field":"items[0].quantity"}`,
		},
		{name: "trailing object", body: ok + ` {"items":[]}`, wantStatus: 400, wantCode: market.CodeInvalid},
		{name: "trailing garbage", body: ok + `x`, wantStatus: 400, wantCode: market.CodeInvalid},
		{name: "null", body: `null`, wantStatus: 400, wantCode: market.CodeInvalid},
		{name: "array", body: `[{"productId":1,"quantity":1}]`, wantStatus: 400, wantCode: market.CodeInvalid},
		{name: "string", body: `"items"`, wantStatus: 400, wantCode: market.CodeInvalid},
		{name: "empty body", body: ``, wantStatus: 400, wantCode: market.CodeInvalid},
		{name: "bad base64", body: `{"items":[]}`, base64: true, wantStatus: 400, wantCode: market.CodeInvalid},
		{name: "body over 64 KiB", body: big(apigw.MaxBodyBytes + 1), wantStatus: 413, wantCode: market.CodeTooLarge},
		{
			name: "base64 body over 64 KiB decoded", body: base64.StdEncoding.EncodeToString([]byte(big(apigw.MaxBodyBytes + 1))), base64: true,
			wantStatus: 413, wantCode: market.CodeTooLarge,
		},
		{name: "text/plain", body: ok, contentType: "text/plain", wantStatus: 415, wantCode: market.CodeUnsupportedMediaType},
		{name: "form", body: ok, contentType: "application/x-www-form-urlencoded", wantStatus: 415, wantCode: market.CodeUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			event := loadEvent(t, "quote.json")
			event.Body, event.IsBase64Encoded = tt.body, tt.base64
			switch tt.contentType {
			case "":
			case "-":
				setHeader(&event, "Content-Type", "")
			default:
				setHeader(&event, "Content-Type", tt.contentType)
			}
			resp := h.handle(t, event)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("POST /api/orders/quote %.60q status = %d, want %d (body %s)", tt.body, resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if tt.wantStatus == http.StatusOK {
				var q struct{ Total string }
				if err := json.Unmarshal([]byte(resp.Body), &q); err != nil || q.Total != tt.wantTotal {
					t.Errorf("POST /api/orders/quote %.60q total = %q (%v), want %q", tt.body, q.Total, err, tt.wantTotal)
				}
				return
			}
			e := errorOf(t, resp)
			if e.Code != tt.wantCode {
				t.Errorf("POST /api/orders/quote %.60q code = %q, want %q (message %q)", tt.body, e.Code, tt.wantCode, e.Message)
			}
			if tt.wantDetails != "" && string(e.Details) != tt.wantDetails {
				t.Errorf("POST /api/orders/quote %.60q details = %s, want %s", tt.body, e.Details, tt.wantDetails)
			}
			if tt.wantStatus != http.StatusUnprocessableEntity && len(h.store.byID) != 0 {
				t.Errorf("the store was queried for a refused body: %v", h.store.byID)
			}
		})
	}
}

func TestQuoteShape(t *testing.T) {
	tests := []struct {
		name  string
		event string
	}{
		{name: "plain body", event: "quote.json"},
		{name: "base64 body", event: "quote-base64.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			resp := h.handle(t, loadEvent(t, tt.event))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200 (body %s)", resp.StatusCode, resp.Body)
			}
			got := decodeJSON(t, resp.Body)
			want := map[string]any{
				"currency": "USD",
				"lines": []any{
					map[string]any{"productId": json.Number("1"), "companyId": json.Number("10"), "companyName": "Padaria Sol", "name": "Sourdough loaf", "unitPrice": "4.50", "quantity": json.Number("2"), "lineTotal": "9.00", "image": nil},
					map[string]any{"productId": json.Number("3"), "companyId": json.Number("20"), "companyName": "Green Basket Grocers", "name": "Lemons (4)", "unitPrice": "0.10", "quantity": json.Number("1"), "lineTotal": "0.10", "image": nil},
				},
				"itemCount": json.Number("3"),
				"subtotal":  "9.10",
				"delivery":  nil,
				"total":     "9.10",
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("quote = %#v,\nwant %#v", got, want)
			}
			// One round trip for the whole order.
			if want := [][]int64{{1, 3}}; !reflect.DeepEqual(h.store.byID, want) {
				t.Errorf("ProductsByID calls = %v, want %v", h.store.byID, want)
			}
		})
	}
}
