package market_test

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/deliverymarket/delivery/internal/market"
)

// FuzzCatalogParams feeds the catalog's query parameters (limit, cursor,
// companyId, q) to ParseCatalogPage: it never panics, refuses with
// CodeInvalid naming the parameter, and a cursor the API made for the
// page's filters continues after the product it names, while the same
// cursor with other filters is refused on cursor. q also goes to
// SearchTerms on its own (checkSearchTerms).
func FuzzCatalogParams(f *testing.F) {
	filtered := market.EncodePageCursor(11, market.ProductFilter{Query: "tomato"})
	for _, s := range [][4]string{
		{"", "", "", ""},
		{"2", "cDE6Mg", "", ""},
		{"1", "cDE6MTE6TjVJMFlXdUY", "", "tomato"},
		{"20", filtered, "", "tomato"},
		{"", market.EncodePageCursor(7, market.ProductFilter{CompanyID: 3, Query: "pizza"}), "3", "pizza"},
		{"0", "", "", ""},
		{"101", "", "", ""},
		{"-1", "", "", ""},
		{"1e2", "", "", ""},
		{"", "cDE6MA", "", ""},
		{"", "cDE6LTE", "", ""},
		{"", "not a cursor", "", ""},
		{"", "cDE6MTE6", "", ""},
		{"", "", "007", ""},
		{"", "", "-3", ""},
		{"", "", "", "%_\\'\""},
		{"", "", "", "a b c d e f g h i"},
		{"", "", "", "  Pão de QUEIJO  "},
		{"", "", "", strings.Repeat("x", 101)},
		{"", "", "", "tab\there"},
		{"", "", "", "\xff"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	for _, q := range []string{
		"tom tomato", "PAO", "ﬁne ＡＢＣ", "straße STRASSE", "a b c d e f g h", strings.Repeat("word", 20),
		"İstanbul", "ǅemal", "Ωmega σς", "日本語 テキスト", "x\u0301\u0301", "-", "ⅷ ⑫ ½", "0000Ꭱ",
	} {
		f.Add("", "", "", q)
	}
	f.Fuzz(func(t *testing.T, limit, cursor, companyID, q string) {
		checkSearchTerms(t, q)
		page, err := market.ParseCatalogPage(limit, cursor, companyID, q)
		if err != nil {
			requireFieldError(t, err, "limit", "cursor", "companyId", "q")
			return
		}
		if page.Limit < 1 || page.Limit > market.MaxPageSize || page.AfterID < 0 || page.Filter.CompanyID < 0 {
			t.Fatalf("ParseCatalogPage(%q, %q, %q, %q) = %+v", limit, cursor, companyID, q, page)
		}
		if (cursor == "") != (page.AfterID == 0) {
			t.Fatalf("ParseCatalogPage(%q, %q, %q, %q) = %+v: cursor and AfterID disagree", limit, cursor, companyID, q, page)
		}
		if page.Filter.Query != "" {
			if _, err := market.SearchTerms(page.Filter.Query); err != nil {
				t.Fatalf("ParseCatalogPage accepted q %q that SearchTerms refuses: %v", page.Filter.Query, err)
			}
		}

		// The cursor of this page's next page round-trips.
		for _, after := range []int64{1, page.AfterID + 1, 1<<63 - 1} {
			next := market.EncodePageCursor(after, page.Filter)
			got, err := market.ParseCatalogPage(limit, next, companyID, q)
			if err != nil || got.AfterID != after || got.Filter != page.Filter || got.Limit != page.Limit {
				t.Fatalf("ParseCatalogPage(%q, %q [cursor after %d], %q, %q) = %+v, %v", limit, next, after, companyID, q, got, err)
			}
			// The same cursor under another filter is refused on cursor.
			other := companyID + "1"
			if companyID == "" {
				other = "1"
			}
			if _, err := market.ParseCatalogPage(limit, next, other, q); err == nil {
				t.Fatalf("ParseCatalogPage accepted the cursor of companyId %q with companyId %q", companyID, other)
			} else if field := requireFieldError(t, err); field != "cursor" && field != "companyId" {
				t.Fatalf("a cursor under another filter names %q", field)
			}
		}
		if page.Filter.IsZero() && page.AfterID > 0 && market.EncodeCursor(page.AfterID) != market.EncodePageCursor(page.AfterID, page.Filter) {
			t.Fatalf("EncodeCursor and EncodePageCursor disagree on the unfiltered catalog")
		}
	})
}

// checkSearchTerms checks SearchTerms on any query: it refuses with
// CodeInvalid on q, and its terms are 1..MaxSearchWords distinct sorted
// words of word characters, none the beginning of another, each found
// again as itself when searched for (so an indexed word matches the query
// that names it).
func checkSearchTerms(t *testing.T, q string) {
	t.Helper()
	terms, err := market.SearchTerms(q)
	if err != nil {
		requireFieldError(t, err, "q")
		return
	}
	if len(terms) < 1 || len(terms) > market.MaxSearchWords {
		t.Fatalf("SearchTerms(%q) = %q: %d terms", q, terms, len(terms))
	}
	if !slices.IsSorted(terms) {
		t.Fatalf("SearchTerms(%q) = %q, not sorted", q, terms)
	}
	for i, w := range terms {
		if w == "" || utf8.RuneCountInString(w) > market.MaxWordRunes || strings.ContainsFunc(w, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
		}) {
			t.Fatalf("SearchTerms(%q) term %q is not a word", q, w)
		}
		for j, v := range terms {
			if i != j && strings.HasPrefix(v, w) {
				t.Fatalf("SearchTerms(%q) = %q: %q begins %q", q, terms, w, v)
			}
		}
	}
	again, err := market.SearchTerms(strings.Join(terms, " "))
	if err != nil || !reflect.DeepEqual(again, terms) {
		t.Fatalf("SearchTerms(%q) = %q, %v; want %q (the terms of %q)", strings.Join(terms, " "), again, err, terms, q)
	}
	// Every term is a word under which a product named q is indexed.
	words := market.IndexWords(q, "", "")
	for _, w := range terms {
		if !slices.ContainsFunc(words, func(v string) bool { return strings.HasPrefix(v, w) }) {
			t.Fatalf("SearchTerms(%q) term %q begins none of IndexWords(%q) = %q", q, w, q, words)
		}
	}
}

// FuzzOrderListParams feeds the order lists' query parameters to
// ParseOrderPage, ParseOrderStatus and ParseCarrierView: they never
// panic, refuse with CodeInvalid naming the parameter, and a cursor the
// API made for any delivery id round-trips.
func FuzzOrderListParams(f *testing.F) {
	cursor := market.EncodeOrderCursor(market.DeliveryID("01hq3k7v8w9x0y1z2a3b4c5d6e7f8g9h0j1k"))
	for _, s := range [][4]string{
		{"", "", "", ""},
		{"5", cursor, "placed", "available"},
		{"100", cursor, "picked_up", "mine"},
		{"0", "", "PLACED", "Mine"},
		{"101", "bzE6", "unknown", "all"},
		{"x", "bzE6MDEyMzQ1Njc4OWFiY2RlZjAxMjM", "cancelled", " mine"},
		{"", "bzE6MDEyMzQ1Njc4OWFiY2RlZjAxMjM0", "delivered", ""},
		{"", "not base64!", "accepted", ""},
		{"", "bzE6ABCDEF0123456789abcd", "", "available"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	statuses := []string{"", market.OrderPlaced, market.OrderAccepted, market.OrderPickedUp, market.OrderDelivered, market.OrderCancelled}
	f.Fuzz(func(t *testing.T, limit, cursor, status, view string) {
		page, err := market.ParseOrderPage(limit, cursor)
		if err != nil {
			requireFieldError(t, err, "limit", "cursor")
		} else {
			if page.Limit < 1 || page.Limit > market.MaxPageSize || (cursor == "") != (page.After == "") {
				t.Fatalf("ParseOrderPage(%q, %q) = %+v", limit, cursor, page)
			}
			if page.After != "" && !market.ValidDeliveryID(page.After) {
				t.Fatalf("ParseOrderPage(%q, %q) = %+v: After is not a delivery id", limit, cursor, page)
			}
			if n, err := strconv.Atoi(limit); limit != "" && (err != nil || n != page.Limit) {
				t.Fatalf("ParseOrderPage(%q, %q) = %+v: limit not as asked", limit, cursor, page)
			}
		}
		id := market.DeliveryID(cursor)
		if got, err := market.ParseOrderPage("", market.EncodeOrderCursor(id)); err != nil || got.After != id {
			t.Fatalf("ParseOrderPage(cursor of %q) = %+v, %v", id, got, err)
		}

		got, err := market.ParseOrderStatus(status)
		if err != nil {
			requireFieldError(t, err, "status")
		} else if got != status || !slices.Contains(statuses, got) {
			t.Fatalf("ParseOrderStatus(%q) = %q", status, got)
		}

		v, err := market.ParseCarrierView(view)
		if err != nil {
			requireFieldError(t, err, "view")
		} else if v != market.ViewAvailable && v != market.ViewMine || (view != "" && v != view) {
			t.Fatalf("ParseCarrierView(%q) = %q", view, v)
		}
	})
}

// TestSearchTermsInvalidUTF8 pins what FuzzCatalogParams found: a byte
// that is not UTF-8 separates words and does not keep the letters after
// it from folding, so a query and the index agree whatever the bytes.
func TestSearchTermsInvalidUTF8(t *testing.T) {
	tests := []struct {
		name, q string
		want    []string
	}{
		{"ordinal after a stray byte", "00000000000000\xf1ª", []string{"00000000000000", "a"}},
		{"accent after a stray byte", "tom\xffÁTO", []string{"ato", "tom"}},
		{"stray byte inside a word", "p\xc3o", []string{"o", "p"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := market.SearchTerms(tt.q)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SearchTerms(%q) = %q, %v; want %q", tt.q, got, err, tt.want)
			}
			if words := market.IndexWords(tt.q, "", ""); !reflect.DeepEqual(words, tt.want) {
				t.Errorf("IndexWords(%q) = %q, want %q", tt.q, words, tt.want)
			}
		})
	}
}
