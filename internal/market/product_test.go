package market_test

import (
	"encoding/base64"
	"math"
	"testing"

	"github.com/deliverymarket/delivery/internal/market"
)

// rawCursor encodes arbitrary text the way cursors are encoded, to forge
// cursors the API never returned.
func rawCursor(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestParseProductPage(t *testing.T) {
	tests := []struct {
		name      string
		limit     string
		cursor    string
		want      market.ProductPage
		wantField string // non-empty: a CodeInvalid error naming this field
	}{
		{name: "defaults", want: market.ProductPage{AfterID: 0, Limit: market.DefaultPageSize}},
		{name: "limit 1", limit: "1", want: market.ProductPage{Limit: 1}},
		{name: "limit 100", limit: "100", want: market.ProductPage{Limit: 100}},
		{name: "cursor round trip", cursor: market.EncodeCursor(42), want: market.ProductPage{AfterID: 42, Limit: 20}},
		{name: "cursor and limit", limit: "5", cursor: market.EncodeCursor(1), want: market.ProductPage{AfterID: 1, Limit: 5}},
		{name: "largest id", cursor: market.EncodeCursor(math.MaxInt64), want: market.ProductPage{AfterID: math.MaxInt64, Limit: 20}},

		{name: "limit 0", limit: "0", wantField: "limit"},
		{name: "limit 101", limit: "101", wantField: "limit"},
		{name: "limit negative", limit: "-1", wantField: "limit"},
		{name: "limit not a number", limit: "abc", wantField: "limit"},
		{name: "limit with a space", limit: " 5", wantField: "limit"},
		{name: "limit fraction", limit: "5.0", wantField: "limit"},
		{name: "limit exponent", limit: "1e2", wantField: "limit"},
		{name: "limit overflow", limit: "99999999999999999999", wantField: "limit"},

		{name: "cursor not base64", cursor: "not a cursor!", wantField: "cursor"},
		{name: "cursor padded base64", cursor: base64.URLEncoding.EncodeToString([]byte("p1:42")), wantField: "cursor"},
		{name: "cursor other version", cursor: rawCursor("p2:42"), wantField: "cursor"},
		{name: "cursor without prefix", cursor: rawCursor("42"), wantField: "cursor"},
		{name: "cursor plain id", cursor: "42", wantField: "cursor"},
		{name: "cursor empty id", cursor: rawCursor("p1:"), wantField: "cursor"},
		{name: "cursor zero", cursor: rawCursor("p1:0"), wantField: "cursor"},
		{name: "cursor negative", cursor: rawCursor("p1:-5"), wantField: "cursor"},
		{name: "cursor plus sign", cursor: rawCursor("p1:+5"), wantField: "cursor"},
		{name: "cursor leading zeros", cursor: rawCursor("p1:007"), wantField: "cursor"},
		{name: "cursor trailing text", cursor: rawCursor("p1:42x"), wantField: "cursor"},
		{name: "cursor overflow", cursor: rawCursor("p1:9223372036854775808"), wantField: "cursor"},
		{name: "cursor SQL", cursor: rawCursor("p1:1 OR 1=1"), wantField: "cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := market.ParseProductPage(tt.limit, tt.cursor)
			if tt.wantField != "" {
				if err == nil {
					t.Fatalf("ParseProductPage(%q, %q) = %+v, want an error on %s", tt.limit, tt.cursor, got, tt.wantField)
				}
				wantFieldError(t, err, tt.wantField)
				return
			}
			if err != nil {
				t.Fatalf("ParseProductPage(%q, %q) error = %v", tt.limit, tt.cursor, err)
			}
			if got != tt.want {
				t.Errorf("ParseProductPage(%q, %q) = %+v, want %+v", tt.limit, tt.cursor, got, tt.want)
			}
		})
	}
}

func TestEncodeCursor(t *testing.T) {
	tests := []struct {
		name string
		id   int64
	}{
		{name: "one", id: 1},
		{name: "typical", id: 24},
		{name: "large", id: 1 << 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := market.EncodeCursor(tt.id)
			// Cursors travel in query strings: URL-safe, no padding.
			if u := base64.RawURLEncoding.EncodeToString([]byte("p1:")); len(c) == 0 || c == u {
				t.Fatalf("EncodeCursor(%d) = %q", tt.id, c)
			}
			for _, r := range c {
				if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
					t.Errorf("EncodeCursor(%d) = %q holds %q, not URL-safe", tt.id, c, r)
				}
			}
			page, err := market.ParseProductPage("", c)
			if err != nil || page.AfterID != tt.id {
				t.Errorf("ParseProductPage(EncodeCursor(%d)) = %+v, %v, want AfterID %d", tt.id, page, err, tt.id)
			}
		})
	}
}
