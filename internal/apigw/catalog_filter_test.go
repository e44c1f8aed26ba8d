package apigw_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/market"
)

// listPage is a decoded GET /api/products answer.
type listPage struct {
	IDs        []int64
	NextCursor *string
}

// getProducts asks for a page of the catalog and returns the status with
// the page or the error.
func getProducts(t *testing.T, h *harness, query map[string]string) (int, listPage, apiError) {
	t.Helper()
	event := loadEvent(t, "list-products.json")
	setQuery(&event, query)
	resp := h.handle(t, event)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, listPage{}, errorOf(t, resp)
	}
	var body struct {
		Products []struct {
			ID int64 `json:"id"`
		} `json:"products"`
		NextCursor *string `json:"nextCursor"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || body.Products == nil {
		t.Fatalf("GET /api/products?%v body %s: %v", query, resp.Body, err)
	}
	page := listPage{IDs: []int64{}, NextCursor: body.NextCursor}
	for _, p := range body.Products {
		page.IDs = append(page.IDs, p.ID)
	}
	return resp.StatusCode, page, apiError{}
}

func TestListProductsFilters(t *testing.T) {
	casa := market.ProductFilter{CompanyID: 30}
	tests := []struct {
		name       string
		query      map[string]string
		wantStatus int
		wantIDs    []int64
		wantNext   string // "" for null
		wantField  string // for a 400
		wantFilter market.ProductFilter
	}{
		{name: "one company", query: map[string]string{"companyId": "30"}, wantStatus: 200, wantIDs: []int64{5, 6}, wantFilter: casa},
		{name: "inactive products stay out", query: map[string]string{"companyId": "20"}, wantStatus: 200, wantIDs: []int64{3}, wantFilter: market.ProductFilter{CompanyID: 20}},
		{name: "unknown company", query: map[string]string{"companyId": "99"}, wantStatus: 200, wantIDs: []int64{}, wantFilter: market.ProductFilter{CompanyID: 99}},
		{name: "text in a name", query: map[string]string{"q": "lasagna"}, wantStatus: 200, wantIDs: []int64{5}, wantFilter: market.ProductFilter{Query: "lasagna"}},
		{name: "text in a company name", query: map[string]string{"q": " Padaria "}, wantStatus: 200, wantIDs: []int64{1, 2}, wantFilter: market.ProductFilter{Query: "Padaria"}},
		{
			name: "both, first page", query: map[string]string{"companyId": "10", "q": "about", "limit": "1"},
			wantStatus: 200, wantIDs: []int64{1}, wantNext: market.EncodePageCursor(1, market.ProductFilter{CompanyID: 10, Query: "about"}),
			wantFilter: market.ProductFilter{CompanyID: 10, Query: "about"},
		},
		{
			name: "both, next page", query: map[string]string{"companyId": "10", "q": "about", "limit": "1", "cursor": market.EncodePageCursor(1, market.ProductFilter{CompanyID: 10, Query: "about"})},
			wantStatus: 200, wantIDs: []int64{2}, wantFilter: market.ProductFilter{CompanyID: 10, Query: "about"},
		},
		{name: "empty parameters are no filter", query: map[string]string{"companyId": "", "q": ""}, wantStatus: 200, wantIDs: []int64{1, 2, 3, 5, 6}},

		{name: "company 0", query: map[string]string{"companyId": "0"}, wantStatus: 400, wantField: "companyId"},
		{name: "company not a number", query: map[string]string{"companyId": "casa"}, wantStatus: 400, wantField: "companyId"},
		{name: "company SQL", query: map[string]string{"companyId": "30 OR 1=1"}, wantStatus: 400, wantField: "companyId"},
		{name: "text of spaces", query: map[string]string{"q": "   "}, wantStatus: 400, wantField: "q"},
		{name: "text too long", query: map[string]string{"q": strings.Repeat("a", 101)}, wantStatus: 400, wantField: "q"},
		{name: "text with a control character", query: map[string]string{"q": "a\x07"}, wantStatus: 400, wantField: "q"},
		{name: "unfiltered cursor with a filter", query: map[string]string{"q": "about", "cursor": market.EncodeCursor(2)}, wantStatus: 400, wantField: "cursor"},
		{name: "filtered cursor without its filter", query: map[string]string{"cursor": market.EncodePageCursor(2, casa)}, wantStatus: 400, wantField: "cursor"},
		{name: "filtered cursor with another company", query: map[string]string{"companyId": "20", "cursor": market.EncodePageCursor(2, casa)}, wantStatus: 400, wantField: "cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			status, page, apiErr := getProducts(t, h, tt.query)
			if status != tt.wantStatus {
				t.Fatalf("GET /api/products?%v status = %d, want %d (error %+v)", tt.query, status, tt.wantStatus, apiErr)
			}
			if tt.wantStatus != http.StatusOK {
				if apiErr.Code != market.CodeInvalid || string(apiErr.Details) != `{"field":"`+tt.wantField+`"}` {
					t.Errorf("GET /api/products?%v error = %+v (details %s), want invalid_request on %s", tt.query, apiErr, apiErr.Details, tt.wantField)
				}
				if len(h.store.pages) != 0 {
					t.Errorf("the store was queried for a bad request: %v", h.store.pages)
				}
				return
			}
			if !slices.Equal(page.IDs, tt.wantIDs) {
				t.Errorf("GET /api/products?%v ids = %v, want %v", tt.query, page.IDs, tt.wantIDs)
			}
			if got := deref(page.NextCursor); got != tt.wantNext {
				t.Errorf("GET /api/products?%v nextCursor = %q, want %q", tt.query, got, tt.wantNext)
			}
			if len(h.store.pages) != 1 || h.store.pages[0].Filter != tt.wantFilter {
				t.Errorf("GET /api/products?%v asked the store for %+v, want one page with filter %+v", tt.query, h.store.pages, tt.wantFilter)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// The event a storefront sends when a shopper searches one shop: the
// filters reach the store, and nextCursor continues that search only.
func TestListProductsFilteredEvent(t *testing.T) {
	h := newHarness(t, nil)
	event := loadEvent(t, "list-products-filtered.json") // companyId=10, q=ABOUT, limit=1
	resp := h.handle(t, event)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %s)", resp.StatusCode, resp.Body)
	}
	filter := market.ProductFilter{CompanyID: 10, Query: "ABOUT"}
	if want := []market.ProductPage{{Limit: 2, Filter: filter}}; !reflect.DeepEqual(h.store.pages, want) {
		t.Errorf("store pages = %+v, want %+v", h.store.pages, want)
	}
	var body struct {
		Products   []market.Product `json:"products"`
		NextCursor string           `json:"nextCursor"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Products) != 1 || body.Products[0].ID != 1 || body.NextCursor != market.EncodePageCursor(1, filter) {
		t.Fatalf("body = %s, want product 1 and a cursor of the filter", resp.Body)
	}

	// The same search goes on from the cursor...
	event.QueryStringParameters["cursor"] = body.NextCursor
	if resp := h.handle(t, event); resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, `"id":2,`) || !strings.Contains(resp.Body, `"nextCursor":null`) {
		t.Errorf("next page = %d %s, want product 2 and the end", resp.StatusCode, resp.Body)
	}
	// ...and any other search refuses it.
	for _, change := range []map[string]string{{"q": "about"}, {"companyId": "20"}, {"q": ""}, {"companyId": ""}} {
		other := loadEvent(t, "list-products-filtered.json")
		other.QueryStringParameters["cursor"] = body.NextCursor
		for k, v := range change {
			if v == "" {
				delete(other.QueryStringParameters, k)
			} else {
				other.QueryStringParameters[k] = v
			}
		}
		resp := h.handle(t, other)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("cursor with %v = %d %s, want 400", change, resp.StatusCode, resp.Body)
			continue
		}
		if e := errorOf(t, resp); string(e.Details) != `{"field":"cursor"}` {
			t.Errorf("cursor with %v: details %s, want the cursor field", change, e.Details)
		}
	}
}

// memCompanies is an in-memory market.CatalogCompanyStore.
type memCompanies struct {
	companies []market.CatalogCompany
	err       error
}

func (s memCompanies) CatalogCompanies(context.Context) ([]market.CatalogCompany, error) {
	return s.companies, s.err
}

func TestListCompanies(t *testing.T) {
	tests := []struct {
		name       string
		store      memCompanies
		wantStatus int
		wantBody   string
	}{
		{
			name: "companies by name",
			store: memCompanies{companies: []market.CatalogCompany{
				{ID: 20, Name: "Green Basket Grocers", ProductCount: 1, Location: &market.Location{Lat: 38.7262, Lng: -9.1497},
					PrepMinutes: 20, Hours: market.AlwaysOpen()},
				{ID: 10, Name: `Padaria "Sol" <b>`, ProductCount: 2, PrepMinutes: 15, Hours: market.AlwaysOpen(), Paused: true},
			}},
			wantStatus: 200,
			wantBody: `{"companies":[{"id":20,"name":"Green Basket Grocers","productCount":1,"location":{"lat":38.7262,"lng":-9.1497},"prepMinutes":20,"open":true,"opensAt":null},` +
				`{"id":10,"name":"Padaria \"Sol\" \u003cb\u003e","productCount":2,"location":null,"prepMinutes":15,"open":false,"opensAt":null}]}`,
		},
		{name: "none", store: memCompanies{companies: []market.CatalogCompany{}}, wantStatus: 200, wantBody: `{"companies":[]}`},
		{
			name:       "database down",
			store:      memCompanies{err: &market.Error{Code: market.CodeUnavailable, Message: "the database is unavailable; try again shortly"}},
			wantStatus: 503,
		},
		{name: "unexpected error", store: memCompanies{err: errBoom}, wantStatus: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, map[string]apigw.Endpoint{"GET /api/companies": apigw.ListCompanies(tt.store, time.UTC, time.Now)})
			resp := h.handle(t, loadEvent(t, "list-companies.json"))
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("GET /api/companies status = %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if tt.wantStatus != http.StatusOK {
				if e := errorOf(t, resp); strings.Contains(e.Message, "boom") {
					t.Errorf("GET /api/companies leaks %q", e.Message)
				}
				return
			}
			if got := strings.TrimSpace(resp.Body); got != tt.wantBody {
				t.Errorf("GET /api/companies body = %s, want %s", got, tt.wantBody)
			}
			if got := resp.Headers["Access-Control-Allow-Origin"]; got != shopOrigin {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, shopOrigin)
			}
		})
	}
}
