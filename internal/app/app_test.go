package app_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/shopspring/decimal"

	"github.com/deliverymarket/delivery/api"
	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
)

// routes.json is the single source of truth: every route has a running
// function that serves it, and every endpoint a function serves is a route
// of that function in the table.
func TestFunctionsServeTheRoutesTable(t *testing.T) {
	table, err := api.Routes()
	if err != nil {
		t.Fatal(err)
	}
	// No query runs here: a nil pool is enough to build the handlers.
	functions := app.Functions(app.Deps{Currency: "USD"})
	for _, r := range table.Routes {
		t.Run("route "+r.Key(), func(t *testing.T) {
			fn, ok := functions[r.Function]
			if !ok {
				t.Fatalf("routes.json sends %s to %s, which app.Functions lacks", r.Key(), r.Function)
			}
			if !slices.Contains(fn.Routes(), r.Key()) {
				t.Errorf("function %s serves %v, not %s", r.Function, fn.Routes(), r.Key())
			}
		})
	}
	for name, fn := range functions {
		t.Run("function "+name, func(t *testing.T) {
			if len(fn.Routes()) == 0 {
				t.Errorf("function %s serves no route", name)
			}
			for _, key := range fn.Routes() {
				i := slices.IndexFunc(table.Routes, func(r api.Route) bool { return r.Key() == key })
				if i < 0 {
					t.Errorf("function %s serves %s, which routes.json lacks", name, key)
					continue
				}
				if table.Routes[i].Function != name {
					t.Errorf("function %s serves %s, which routes.json gives to %s", name, key, table.Routes[i].Function)
				}
			}
		})
	}
}

func TestConstructors(t *testing.T) {
	tests := []struct {
		name string
		fn   func(app.Deps) []string
		want []string
	}{
		{name: "ListProducts", fn: func(d app.Deps) []string { return app.ListProducts(d).Routes() }, want: []string{"GET /api/area", "GET /api/companies", "GET /api/products"}},
		{name: "PriceOrder", fn: func(d app.Deps) []string { return app.PriceOrder(d).Routes() }, want: []string{"POST /api/orders/quote"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.fn(app.Deps{}); !slices.Equal(got, tt.want) {
				t.Errorf("%s(deps).Routes() = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

// loadEvent reads an API Gateway REST proxy event from testdata.
func loadEvent(tb testing.TB, name string) events.APIGatewayProxyRequest {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	var event events.APIGatewayProxyRequest
	if err := json.Unmarshal(b, &event); err != nil {
		tb.Fatalf("parse %s: %v", name, err)
	}
	return event
}

// The Lambdas' handlers, wired as in production, over a seeded database.
func TestHandlersOnDatabase(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	if _, err := demo.SeedIfEmpty(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	deps := app.Deps{DB: db, Currency: "EUR", Logger: slog.New(slog.DiscardHandler)}

	// The 10-line order asks for the first ten demo products, product i
	// i times.
	var flat []demo.Product
	for _, c := range demo.Companies {
		flat = append(flat, c.Products...)
	}
	total := decimal.Zero
	for i, p := range flat[:10] {
		total = total.Add(decimal.RequireFromString(p.Price).Mul(decimal.NewFromInt(int64(i + 1))))
	}

	tests := []struct {
		name      string
		handler   func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)
		event     string
		check     func(t *testing.T, body []byte)
		wantLines int
	}{
		{
			name: "list products", handler: app.ListProducts(deps).Handle, event: "list-products.json",
			check: func(t *testing.T, body []byte) {
				var page struct {
					Products []struct {
						ID       int64  `json:"id"`
						Name     string `json:"name"`
						Price    string `json:"price"`
						Currency string `json:"currency"`
					} `json:"products"`
					NextCursor *string `json:"nextCursor"`
				}
				if err := json.Unmarshal(body, &page); err != nil {
					t.Fatal(err)
				}
				if len(page.Products) != 20 || page.NextCursor == nil {
					t.Fatalf("first page = %d products, next %v; want 20 and a cursor", len(page.Products), page.NextCursor)
				}
				if p := page.Products[0]; p.Name != flat[0].Name || p.Price != flat[0].Price || p.Currency != "EUR" {
					t.Errorf("first product = %+v, want %s at EUR %s", p, flat[0].Name, flat[0].Price)
				}
			},
		},
		{
			name: "quote of 10 lines", handler: app.PriceOrder(deps).Handle, event: "quote-10-lines.json",
			check: func(t *testing.T, body []byte) {
				var q struct {
					Currency  string            `json:"currency"`
					Lines     []json.RawMessage `json:"lines"`
					ItemCount int               `json:"itemCount"`
					Total     string            `json:"total"`
				}
				if err := json.Unmarshal(body, &q); err != nil {
					t.Fatal(err)
				}
				if q.Currency != "EUR" || len(q.Lines) != 10 || q.ItemCount != 55 || q.Total != total.StringFixed(2) {
					t.Errorf("quote = %s %d lines, %d items, total %s; want EUR, 10, 55, %s", q.Currency, len(q.Lines), q.ItemCount, q.Total, total.StringFixed(2))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := tt.handler(context.Background(), loadEvent(t, tt.event))
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("Handle = %d %s, %v; want 200", resp.StatusCode, resp.Body, err)
			}
			tt.check(t, []byte(resp.Body))
		})
	}
}
