package market_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/deliverymarket/delivery/internal/market"
)

func TestSearchTerms(t *testing.T) {
	tests := []struct {
		name string
		q    string
		want []string
	}{
		{name: "one word", q: "Tomato", want: []string{"tomato"}},
		{name: "words sorted, case folded", q: "tomatoes BIO", want: []string{"bio", "tomatoes"}},
		{name: "punctuation separates", q: "100%natural_juice", want: []string{"100", "juice", "natural"}},
		{name: "quotes separate", q: `O'Brien's "pie"`, want: []string{"brien", "o", "pie", "s"}},
		{name: "accents dropped", q: "Pão Crème", want: []string{"creme", "pao"}},
		{name: "letters that do not decompose", q: "Straße Ærø", want: []string{"aero", "strasse"}},
		{name: "compatibility forms", q: "ﬁg ＢＲＥＡＤ", want: []string{"bread", "fig"}},
		{name: "cherokee either case", q: "Ꭱ ꭱ 0000Ꭱ", want: []string{"0000ꭱ", "ꭱ"}},
		{name: "duplicates once", q: "bread Bread BREAD", want: []string{"bread"}},
		{name: "a word implied by a longer one", q: "tom tomato to", want: []string{"tomato"}},
		{name: "other scripts are words", q: "Хлеб 面包", want: []string{"хлеб", "面包"}},
		{name: "long words cut", q: strings.Repeat("x", 40), want: []string{strings.Repeat("x", market.MaxWordRunes)}},
		{name: "eight words", q: "a1 b c d e f g h", want: []string{"a1", "b", "c", "d", "e", "f", "g", "h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := market.SearchTerms(tt.q)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("SearchTerms(%q) = %q, %v, want %q", tt.q, got, err, tt.want)
			}
		})
	}
	for _, q := range []string{"", "  ", "%", "_", `\`, "'--", "a b c d e f g h i"} {
		t.Run("refused "+q, func(t *testing.T) {
			if got, err := market.SearchTerms(q); market.ErrorCode(err) != market.CodeInvalid {
				t.Errorf("SearchTerms(%q) = %q, %v, want %s", q, got, err, market.CodeInvalid)
			}
		})
	}
}

func TestIndexWords(t *testing.T) {
	got := market.IndexWords("Cherry tomatoes 500 g", "Vine-ripened; bio!", "Green Basket Grocers")
	want := []string{"500", "basket", "bio", "cherry", "g", "green", "grocers", "ripened", "tomatoes", "vine"}
	if !slices.Equal(got, want) {
		t.Errorf("IndexWords = %q, want %q", got, want)
	}
}
