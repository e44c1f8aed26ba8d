package market_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/deliverymarket/delivery/internal/market"
)

// distinct returns n items for products 1..n, one of each.
func distinct(n int) []market.Item {
	items := make([]market.Item, n)
	for i := range items {
		items[i] = market.Item{ProductID: int64(i + 1), Quantity: 1}
	}
	return items
}

// wantFieldError fails the test unless err is a CodeInvalid *market.Error
// naming field in its details.
func wantFieldError(t *testing.T, err error, field string) {
	t.Helper()
	var me *market.Error
	if !errors.As(err, &me) {
		t.Fatalf("error = %v (%T), want *market.Error", err, err)
	}
	if me.Code != market.CodeInvalid {
		t.Errorf("error code = %q, want %q", me.Code, market.CodeInvalid)
	}
	details, ok := me.Details.(map[string]string)
	if !ok {
		t.Fatalf("error details = %#v, want map[string]string with a field", me.Details)
	}
	if details["field"] != field {
		t.Errorf("error field = %q, want %q (message %q)", details["field"], field, me.Message)
	}
}

func TestNormalizeItems(t *testing.T) {
	tests := []struct {
		name      string
		in        []market.Item
		want      []market.Item
		wantField string // non-empty: a CodeInvalid error naming this field
	}{
		{
			name: "one item",
			in:   []market.Item{{ProductID: 7, Quantity: 2}},
			want: []market.Item{{ProductID: 7, Quantity: 2}},
		},
		{
			name: "repeated ids merge in first-appearance order",
			in: []market.Item{
				{ProductID: 9, Quantity: 1}, {ProductID: 3, Quantity: 2},
				{ProductID: 9, Quantity: 4}, {ProductID: 5, Quantity: 1}, {ProductID: 3, Quantity: 1},
			},
			want: []market.Item{{ProductID: 9, Quantity: 5}, {ProductID: 3, Quantity: 3}, {ProductID: 5, Quantity: 1}},
		},
		{
			name: "quantity bounds 1 and 999",
			in:   []market.Item{{ProductID: 1, Quantity: 1}, {ProductID: 2, Quantity: 999}},
			want: []market.Item{{ProductID: 1, Quantity: 1}, {ProductID: 2, Quantity: 999}},
		},
		{
			name: "merged sum of exactly 999",
			in:   []market.Item{{ProductID: 1, Quantity: 500}, {ProductID: 1, Quantity: 499}},
			want: []market.Item{{ProductID: 1, Quantity: 999}},
		},
		{
			name: "100 distinct products",
			in:   distinct(100),
			want: distinct(100),
		},
		{
			name: "101 lines of 100 distinct products",
			in:   append(distinct(100), market.Item{ProductID: 1, Quantity: 1}),
			want: func() []market.Item { w := distinct(100); w[0].Quantity = 2; return w }(),
		},
		{name: "no items", in: nil, wantField: "items"},
		{name: "empty items", in: []market.Item{}, wantField: "items"},
		{name: "101 distinct products", in: distinct(101), wantField: "items"},
		{name: "quantity 0", in: []market.Item{{ProductID: 1, Quantity: 0}}, wantField: "items[0].quantity"},
		{name: "quantity negative", in: []market.Item{{ProductID: 1, Quantity: 1}, {ProductID: 2, Quantity: -1}}, wantField: "items[1].quantity"},
		{name: "quantity 1000", in: []market.Item{{ProductID: 1, Quantity: 1000}}, wantField: "items[0].quantity"},
		{
			name:      "merged sum over 999",
			in:        []market.Item{{ProductID: 4, Quantity: 500}, {ProductID: 2, Quantity: 1}, {ProductID: 4, Quantity: 500}},
			wantField: "items[2].quantity",
		},
		{name: "productId 0", in: []market.Item{{ProductID: 0, Quantity: 1}}, wantField: "items[0].productId"},
		{name: "productId negative", in: []market.Item{{ProductID: 1, Quantity: 1}, {ProductID: -3, Quantity: 1}}, wantField: "items[1].productId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.in)
			got, err := market.NormalizeItems(in)
			if tt.wantField != "" {
				if err == nil {
					t.Fatalf("NormalizeItems(%v) = %v, want an error on %s", tt.in, got, tt.wantField)
				}
				wantFieldError(t, err, tt.wantField)
				return
			}
			if err != nil {
				t.Fatalf("NormalizeItems(%v) error = %v, want none", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("NormalizeItems(%v) = %v, want %v", tt.in, got, tt.want)
			}
			if !reflect.DeepEqual(in, tt.in) {
				t.Errorf("NormalizeItems modified its input: %v, was %v", in, tt.in)
			}
		})
	}
}

// catalog builds a products map; prices are decimal strings.
func catalog(prices map[int64]string) map[int64]market.Product {
	products := make(map[int64]market.Product, len(prices))
	for id, price := range prices {
		products[id] = market.Product{
			ID: id, CompanyID: 1, CompanyName: "Padaria Sol",
			Name: fmt.Sprintf("Product %d", id), Price: market.MustMoney(price), Active: true, Version: 1,
		}
	}
	return products
}

func TestPrice(t *testing.T) {
	manyDimes := make([]market.Item, 100)
	manyDimeProducts := map[int64]string{}
	for i := range manyDimes {
		manyDimes[i] = market.Item{ProductID: int64(i + 1), Quantity: 1}
		manyDimeProducts[int64(i+1)] = "0.10"
	}
	tests := []struct {
		name           string
		products       map[int64]market.Product
		items          []market.Item
		wantLineTotals []string
		wantItemCount  int
		wantTotal      string
	}{
		{
			name:           "0.10 × 3",
			products:       catalog(map[int64]string{1: "0.10"}),
			items:          []market.Item{{ProductID: 1, Quantity: 3}},
			wantLineTotals: []string{"0.30"},
			wantItemCount:  3,
			wantTotal:      "0.30",
		},
		{
			name:           "0.10 + 0.20 is 0.30, not 0.30000000000000004",
			products:       catalog(map[int64]string{1: "0.10", 2: "0.20"}),
			items:          []market.Item{{ProductID: 1, Quantity: 1}, {ProductID: 2, Quantity: 1}},
			wantLineTotals: []string{"0.10", "0.20"},
			wantItemCount:  2,
			wantTotal:      "0.30",
		},
		{
			name:           "19.99 × 999",
			products:       catalog(map[int64]string{5: "19.99"}),
			items:          []market.Item{{ProductID: 5, Quantity: 999}},
			wantLineTotals: []string{"19970.01"},
			wantItemCount:  999,
			wantTotal:      "19970.01",
		},
		{
			name:           "largest DECIMAL(12,2) price × 999",
			products:       catalog(map[int64]string{1: "9999999999.99", 2: "0.01"}),
			items:          []market.Item{{ProductID: 1, Quantity: 999}, {ProductID: 2, Quantity: 1}},
			wantLineTotals: []string{"9989999999990.01", "0.01"},
			wantItemCount:  1000,
			wantTotal:      "9989999999990.02",
		},
		{
			name:           "100 lines of 0.10 without drift",
			products:       catalog(manyDimeProducts),
			items:          manyDimes,
			wantLineTotals: slices.Repeat([]string{"0.10"}, 100),
			wantItemCount:  100,
			wantTotal:      "10.00",
		},
		{
			name:           "lines keep the order of the items",
			products:       catalog(map[int64]string{1: "4.5", 2: "1.99", 3: "0.01"}),
			items:          []market.Item{{ProductID: 3, Quantity: 7}, {ProductID: 1, Quantity: 2}, {ProductID: 2, Quantity: 3}},
			wantLineTotals: []string{"0.07", "9.00", "5.97"},
			wantItemCount:  12,
			wantTotal:      "15.04",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := market.Price("EUR", tt.items, tt.products)
			if err != nil {
				t.Fatalf("Price(%v) error = %v", tt.items, err)
			}
			if q.Currency != "EUR" {
				t.Errorf("Price(%v).Currency = %q, want EUR", tt.items, q.Currency)
			}
			if got := q.Total.String(); got != tt.wantTotal {
				t.Errorf("Price(%v).Total = %s, want %s", tt.items, got, tt.wantTotal)
			}
			if q.ItemCount != tt.wantItemCount {
				t.Errorf("Price(%v).ItemCount = %d, want %d", tt.items, q.ItemCount, tt.wantItemCount)
			}
			if len(q.Lines) != len(tt.wantLineTotals) {
				t.Fatalf("Price(%v) has %d lines, want %d", tt.items, len(q.Lines), len(tt.wantLineTotals))
			}
			for i, line := range q.Lines {
				it, p := tt.items[i], tt.products[tt.items[i].ProductID]
				if line.ProductID != it.ProductID || line.Quantity != it.Quantity {
					t.Errorf("line %d = product %d × %d, want product %d × %d", i, line.ProductID, line.Quantity, it.ProductID, it.Quantity)
				}
				if !line.UnitPrice.Equal(p.Price.Decimal) || line.Name != p.Name {
					t.Errorf("line %d = %q at %s, want %q at %s", i, line.Name, line.UnitPrice, p.Name, p.Price)
				}
				if got := line.LineTotal.String(); got != tt.wantLineTotals[i] {
					t.Errorf("line %d total = %s, want %s", i, got, tt.wantLineTotals[i])
				}
			}
		})
	}
}

func TestPriceUnavailable(t *testing.T) {
	products := catalog(map[int64]string{1: "1.00", 2: "2.00", 3: "3.00"})
	inactive := products[2]
	inactive.Active = false
	products[2] = inactive

	tests := []struct {
		name    string
		items   []market.Item
		wantIDs []int64
	}{
		{name: "unknown product", items: []market.Item{{ProductID: 1, Quantity: 1}, {ProductID: 42, Quantity: 1}}, wantIDs: []int64{42}},
		{name: "inactive counts as unavailable", items: []market.Item{{ProductID: 2, Quantity: 1}, {ProductID: 3, Quantity: 1}}, wantIDs: []int64{2}},
		{
			name:    "ids sorted",
			items:   []market.Item{{ProductID: 99, Quantity: 1}, {ProductID: 2, Quantity: 1}, {ProductID: 1, Quantity: 1}, {ProductID: 50, Quantity: 1}},
			wantIDs: []int64{2, 50, 99},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := market.Price("USD", tt.items, products)
			var me *market.Error
			if !errors.As(err, &me) {
				t.Fatalf("Price(%v) = %+v, %v, want a *market.Error", tt.items, q, err)
			}
			if me.Code != market.CodeUnavailableProducts {
				t.Errorf("Price(%v) code = %q, want %q", tt.items, me.Code, market.CodeUnavailableProducts)
			}
			want := map[string][]int64{"productIds": tt.wantIDs}
			if !reflect.DeepEqual(me.Details, want) {
				t.Errorf("Price(%v) details = %#v, want %#v", tt.items, me.Details, want)
			}
		})
	}
}

// fakeStore is an in-memory market.ProductStore that records its calls.
type fakeStore struct {
	products map[int64]market.Product
	err      error
	calls    [][]int64
}

func (s *fakeStore) ListActive(context.Context, market.ProductPage) ([]market.Product, error) {
	return nil, errors.New("not used")
}

func (s *fakeStore) ProductsByID(_ context.Context, ids []int64) (map[int64]market.Product, error) {
	s.calls = append(s.calls, slices.Clone(ids))
	if s.err != nil {
		return nil, s.err
	}
	found := map[int64]market.Product{}
	for _, id := range ids {
		if p, ok := s.products[id]; ok {
			found[id] = p
		}
	}
	return found, nil
}

func TestPricerQuote(t *testing.T) {
	unavailable := &market.Error{Code: market.CodeUnavailable, Message: "the database is unavailable"}
	tests := []struct {
		name      string
		items     []market.Item
		storeErr  error
		wantCalls [][]int64
		wantTotal string
		wantCode  market.Code // "" for success
	}{
		{
			name:      "one round trip with merged ids",
			items:     []market.Item{{ProductID: 3, Quantity: 1}, {ProductID: 1, Quantity: 2}, {ProductID: 3, Quantity: 1}},
			wantCalls: [][]int64{{3, 1}},
			wantTotal: "7.00", // 3.00 × 2 + 0.50 × 2
		},
		{
			name:     "invalid items never reach the store",
			items:    []market.Item{{ProductID: 1, Quantity: 0}},
			wantCode: market.CodeInvalid,
		},
		{
			name:      "store errors keep their code",
			items:     []market.Item{{ProductID: 1, Quantity: 1}},
			storeErr:  unavailable,
			wantCalls: [][]int64{{1}},
			wantCode:  market.CodeUnavailable,
		},
		{
			name:      "unknown products",
			items:     []market.Item{{ProductID: 8, Quantity: 1}},
			wantCalls: [][]int64{{8}},
			wantCode:  market.CodeUnavailableProducts,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeStore{products: catalog(map[int64]string{1: "0.50", 3: "3.00"}), err: tt.storeErr}
			q, err := market.Pricer{Products: store, Currency: "USD"}.Quote(context.Background(), tt.items)
			if !reflect.DeepEqual(store.calls, tt.wantCalls) {
				t.Errorf("ProductsByID calls = %v, want %v", store.calls, tt.wantCalls)
			}
			if tt.wantCode != "" {
				if got := market.ErrorCode(err); got != tt.wantCode {
					t.Fatalf("Quote(%v) error = %v (code %q), want code %q", tt.items, err, got, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("Quote(%v) error = %v", tt.items, err)
			}
			if q.Total.String() != tt.wantTotal || q.Currency != "USD" {
				t.Errorf("Quote(%v) = %s %s, want USD %s", tt.items, q.Currency, q.Total, tt.wantTotal)
			}
		})
	}
}

func TestErrorCode(t *testing.T) {
	base := market.Errorf(market.CodeNotFound, "product %d not found", 4)
	tests := []struct {
		name string
		err  error
		want market.Code
	}{
		{name: "market error", err: base, want: market.CodeNotFound},
		{name: "wrapped market error", err: fmt.Errorf("get product: %w", base), want: market.CodeNotFound},
		{name: "other error", err: errors.New("boom"), want: market.CodeInternal},
		{name: "nil", err: nil, want: market.CodeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := market.ErrorCode(tt.err); got != tt.want {
				t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestErrorUnwrap(t *testing.T) {
	cause := errors.New("dial tcp: connection refused")
	err := &market.Error{Code: market.CodeUnavailable, Message: "the database is unavailable", Err: cause}
	if !errors.Is(err, cause) {
		t.Errorf("errors.Is(%v, cause) = false, want true", err)
	}
	if got := err.Error(); !strings.Contains(got, "connection refused") || !strings.HasPrefix(got, "service_unavailable: ") {
		t.Errorf("Error() = %q, want the code, message and cause", got)
	}
}
