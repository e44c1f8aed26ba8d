package app_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
)

// The catalog's filters through the listproducts function as deployed,
// over the demo catalog: the shop list, a company's products page by page,
// a search, and a cursor refused under other filters.
func TestCatalogFiltersOnDatabase(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	if _, err := demo.SeedIfEmpty(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	fn := app.ListProducts(app.Deps{DB: db, Currency: "USD", Logger: slog.New(slog.DiscardHandler)})
	call := func(t *testing.T, path string, query map[string]string, v any) int {
		t.Helper()
		event := loadEvent(t, "list-products.json")
		event.Path, event.Resource, event.RequestContext.ResourcePath = path, path, path
		event.QueryStringParameters = query
		resp, err := fn.Handle(context.Background(), event)
		if err != nil {
			t.Fatalf("Handle(%s %v) error = %v", path, query, err)
		}
		if err := json.Unmarshal([]byte(resp.Body), v); err != nil {
			t.Fatalf("%s %v body %s: %v", path, query, resp.Body, err)
		}
		return resp.StatusCode
	}

	var shops struct {
		Companies []struct {
			ID           int64  `json:"id"`
			Name         string `json:"name"`
			ProductCount int    `json:"productCount"`
		} `json:"companies"`
	}
	if status := call(t, "/api/companies", nil, &shops); status != http.StatusOK || len(shops.Companies) != 3 {
		t.Fatalf("GET /api/companies = %d %+v, want the 3 demo companies", status, shops)
	}
	var names []string
	for _, c := range shops.Companies {
		names = append(names, c.Name)
		if c.ProductCount != 8 {
			t.Errorf("company %q productCount = %d, want 8", c.Name, c.ProductCount)
		}
	}
	if want := []string{"Casa Nonna Kitchen", "Green Basket Grocers", "Padaria Sol"}; !slices.Equal(names, want) {
		t.Errorf("GET /api/companies names = %v, want %v", names, want)
	}
	casa := shops.Companies[0].ID

	type page struct {
		Products []struct {
			ID          int64  `json:"id"`
			CompanyID   int64  `json:"companyId"`
			Name        string `json:"name"`
			CompanyName string `json:"companyName"`
		} `json:"products"`
		NextCursor *string `json:"nextCursor"`
	}
	filter := map[string]string{"companyId": strconv.FormatInt(casa, 10), "limit": "5"}
	var first, second page
	if status := call(t, "/api/products", filter, &first); status != http.StatusOK || len(first.Products) != 5 || first.NextCursor == nil {
		t.Fatalf("first page of company %d = %d, %d products, next %v; want 5 and a cursor", casa, status, len(first.Products), first.NextCursor)
	}
	filter["cursor"] = *first.NextCursor
	if status := call(t, "/api/products", filter, &second); status != http.StatusOK || len(second.Products) != 3 || second.NextCursor != nil {
		t.Fatalf("second page of company %d = %d, %d products, next %v; want the last 3", casa, status, len(second.Products), second.NextCursor)
	}
	var ids []int64
	for _, p := range append(first.Products, second.Products...) {
		ids = append(ids, p.ID)
		if p.CompanyID != casa || p.CompanyName != "Casa Nonna Kitchen" {
			t.Errorf("product %d of company %d %q in the list of company %d", p.ID, p.CompanyID, p.CompanyName, casa)
		}
	}
	if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != 8 {
		t.Errorf("company %d ids over two pages = %v, want 8 in id order", casa, ids)
	}

	// The cursor of that company's pages, sent with another search.
	var refused struct {
		Error struct {
			Code    string            `json:"code"`
			Details map[string]string `json:"details"`
		} `json:"error"`
	}
	for _, other := range []map[string]string{
		{"cursor": *first.NextCursor},
		{"cursor": *first.NextCursor, "companyId": strconv.FormatInt(casa, 10), "q": "pizza"},
		{"cursor": *first.NextCursor, "companyId": strconv.FormatInt(casa+1, 10)},
	} {
		if status := call(t, "/api/products", other, &refused); status != http.StatusBadRequest || refused.Error.Details["field"] != "cursor" {
			t.Errorf("GET /api/products?%v = %d %+v, want 400 on the cursor", other, status, refused)
		}
	}

	// A search finds a product of the second page of the whole catalog,
	// across companies and case.
	var found page
	if status := call(t, "/api/products", map[string]string{"q": "TIRAMISU"}, &found); status != http.StatusOK ||
		len(found.Products) != 1 || found.Products[0].Name != "Tiramisu" || found.NextCursor != nil {
		t.Errorf("GET /api/products?q=TIRAMISU = %d %+v, want Tiramisu alone", status, found)
	}
}
