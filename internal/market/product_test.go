package market_test

import (
	"encoding/base64"
	"math"
	"strings"
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

func TestParseCatalogPage(t *testing.T) {
	bakery := market.ProductFilter{CompanyID: 7}
	bread := market.ProductFilter{Query: "bread"}
	both := market.ProductFilter{CompanyID: 7, Query: "bread"}
	long := strings.Repeat("é", market.MaxQueryRunes)
	tests := []struct {
		name                      string
		limit, cursor, company, q string
		want                      market.ProductPage
		wantField                 string // non-empty: a CodeInvalid error naming this field
	}{
		{name: "no filter", want: market.ProductPage{Limit: 20}},
		{name: "company", company: "7", want: market.ProductPage{Limit: 20, Filter: bakery}},
		{name: "largest company id", company: "9223372036854775807", want: market.ProductPage{Limit: 20, Filter: market.ProductFilter{CompanyID: math.MaxInt64}}},
		{name: "text", q: "bread", want: market.ProductPage{Limit: 20, Filter: bread}},
		{name: "text is trimmed", q: "  bread\t", want: market.ProductPage{Limit: 20, Filter: bread}},
		{name: "text keeps its case", q: "Bread", want: market.ProductPage{Limit: 20, Filter: market.ProductFilter{Query: "Bread"}}},
		{name: "text of one character", q: "a", want: market.ProductPage{Limit: 20, Filter: market.ProductFilter{Query: "a"}}},
		{name: "text with punctuation", q: "100%", want: market.ProductPage{Limit: 20, Filter: market.ProductFilter{Query: "100%"}}},
		{name: "text of 100 characters", q: long, want: market.ProductPage{Limit: 20, Filter: market.ProductFilter{Query: long}}},
		{name: "text with SQL", q: "' OR 1=1 --", want: market.ProductPage{Limit: 20, Filter: market.ProductFilter{Query: "' OR 1=1 --"}}},
		{name: "both with a limit", limit: "5", company: "7", q: "bread", want: market.ProductPage{Limit: 5, Filter: both}},
		{name: "filtered cursor with its filter", cursor: market.EncodePageCursor(42, both), company: "7", q: "bread", want: market.ProductPage{AfterID: 42, Limit: 20, Filter: both}},
		{name: "filtered cursor with its untrimmed filter", cursor: market.EncodePageCursor(42, bread), q: " bread ", want: market.ProductPage{AfterID: 42, Limit: 20, Filter: bread}},
		{name: "unfiltered cursor without filter", cursor: market.EncodeCursor(42), want: market.ProductPage{AfterID: 42, Limit: 20}},

		{name: "company 0", company: "0", wantField: "companyId"},
		{name: "company negative", company: "-7", wantField: "companyId"},
		{name: "company with a sign", company: "+7", wantField: "companyId"},
		{name: "company with leading zeros", company: "007", wantField: "companyId"},
		{name: "company not a number", company: "bakery", wantField: "companyId"},
		{name: "company with a space", company: " 7", wantField: "companyId"},
		{name: "company overflow", company: "9223372036854775808", wantField: "companyId"},
		{name: "company SQL", company: "7 OR 1=1", wantField: "companyId"},
		{name: "text of spaces", q: "   ", wantField: "q"},
		{name: "text of punctuation only", q: "%_' \\", wantField: "q"},
		{name: "text of too many words", q: "a b c d e f g h i", wantField: "q"},
		{name: "text of 101 characters", q: long + "e", wantField: "q"},
		{name: "text with a control character", q: "bread\x00", wantField: "q"},
		{name: "text with a line break inside", q: "br\nead", wantField: "q"},
		{name: "text not UTF-8", q: "br\xffead", wantField: "q"},
		{name: "bad limit with a filter", limit: "0", q: "bread", wantField: "limit"},
		{name: "unfiltered cursor with a company", cursor: market.EncodeCursor(42), company: "7", wantField: "cursor"},
		{name: "unfiltered cursor with text", cursor: market.EncodeCursor(42), q: "bread", wantField: "cursor"},
		{name: "filtered cursor without filter", cursor: market.EncodePageCursor(42, bakery), wantField: "cursor"},
		{name: "filtered cursor with another company", cursor: market.EncodePageCursor(42, bakery), company: "8", wantField: "cursor"},
		{name: "filtered cursor with other text", cursor: market.EncodePageCursor(42, bread), q: "breads", wantField: "cursor"},
		{name: "filtered cursor with other case", cursor: market.EncodePageCursor(42, bread), q: "Bread", wantField: "cursor"},
		{name: "filtered cursor with one filter less", cursor: market.EncodePageCursor(42, both), q: "bread", wantField: "cursor"},
		{name: "cursor with an empty fingerprint", cursor: rawCursor("p1:42:"), q: "bread", wantField: "cursor"},
		{name: "cursor with a forged fingerprint", cursor: rawCursor("p1:42:AAAAAAAA"), q: "bread", wantField: "cursor"},
		{name: "cursor with a bad id and a fingerprint", cursor: rawCursor("p1:042:AAAAAAAA"), q: "bread", wantField: "cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := market.ParseCatalogPage(tt.limit, tt.cursor, tt.company, tt.q)
			if tt.wantField != "" {
				if err == nil {
					t.Fatalf("ParseCatalogPage(%q, %q, %q, %q) = %+v, want an error on %s", tt.limit, tt.cursor, tt.company, tt.q, got, tt.wantField)
				}
				wantFieldError(t, err, tt.wantField)
				return
			}
			if err != nil {
				t.Fatalf("ParseCatalogPage(%q, %q, %q, %q) error = %v", tt.limit, tt.cursor, tt.company, tt.q, err)
			}
			if got != tt.want {
				t.Errorf("ParseCatalogPage(%q, %q, %q, %q) = %+v, want %+v", tt.limit, tt.cursor, tt.company, tt.q, got, tt.want)
			}
		})
	}
}

// A filtered cursor is as URL-safe as an unfiltered one, short whatever
// the text, and differs from the unfiltered cursor of the same position.
func TestEncodePageCursor(t *testing.T) {
	tests := []struct {
		name   string
		filter market.ProductFilter
	}{
		{name: "company", filter: market.ProductFilter{CompanyID: 3}},
		{name: "text", filter: market.ProductFilter{Query: "100% natural_"}},
		{name: "long text", filter: market.ProductFilter{Query: strings.Repeat("ã", market.MaxQueryRunes)}},
		{name: "both", filter: market.ProductFilter{CompanyID: 3, Query: "pão"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := market.EncodePageCursor(24, tt.filter)
			if c == market.EncodeCursor(24) || len(c) > 40 {
				t.Errorf("EncodePageCursor(24, %+v) = %q, want a short cursor of its own", tt.filter, c)
			}
			for _, r := range c {
				if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
					t.Errorf("EncodePageCursor(24, %+v) = %q holds %q, not URL-safe", tt.filter, c, r)
				}
			}
		})
	}
	if got, want := market.EncodePageCursor(24, market.ProductFilter{}), market.EncodeCursor(24); got != want {
		t.Errorf("EncodePageCursor(24, no filter) = %q, want EncodeCursor's %q", got, want)
	}
}
