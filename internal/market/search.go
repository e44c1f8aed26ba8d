package market

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// The catalog search, in one place. A text is split into words: runs of
// letters and digits, so that everything else (spaces, punctuation, %, _,
// quotes, backslashes) only separates words and is never matched or
// interpreted. Words are compared folded: accents dropped, compatibility
// forms unified (ﬁ, full-width letters), case folded (ß and ss alike), so
// "Pão", "PAO" and "pao" are one word.
//
// A search matches an active product when every one of its words is the
// beginning of some word of the product's name, description or company
// name, in any order: "tom" finds "Cherry tomatoes", "tomatoes bio" needs
// both, "mato" does not find "tomato" (a word is matched from its start,
// which is what lets an index answer; earlier versions matched any
// substring).
//
// The same functions fill the search index when a product is written
// (IndexWords) and read a shopper's query (SearchTerms), so both sides
// always agree, whichever database engine runs underneath.

// Search limits.
const (
	// MaxSearchWords bounds the words of one search: each costs an index
	// lookup, and shoppers type two or three.
	MaxSearchWords = 8
	// MaxWordRunes is how much of a word is indexed and compared: longer
	// words count by their first MaxWordRunes characters, on both sides.
	MaxWordRunes = 32
)

// SearchTerms returns the distinct words of a catalog query q, each to be
// matched as a word prefix; a word that begins another of the query's
// words is dropped, since the longer one implies it ("tom tomato" is
// "tomato"). It returns a CodeInvalid error naming field q when q has no
// word (only punctuation, say) or more than MaxSearchWords.
func SearchTerms(q string) ([]string, error) {
	words := splitWords(q)
	if len(words) == 0 {
		return nil, FieldError("q", "q must contain at least one word (letters or digits); punctuation only separates words")
	}
	slices.Sort(words)
	words = slices.Compact(words)
	// Sorted, a word that begins another comes right before a word it
	// begins, possibly with other such words between: keep a word only if
	// the next one does not start with it.
	terms := words[:0:0]
	for i, w := range words {
		if i+1 < len(words) && strings.HasPrefix(words[i+1], w) {
			continue
		}
		terms = append(terms, w)
	}
	if len(terms) > MaxSearchWords {
		return nil, FieldError("q", "q must have at most %d different words", MaxSearchWords)
	}
	return terms, nil
}

// IndexWords returns the distinct words, sorted, under which a product is
// found: those of its name, its description and its company's name.
func IndexWords(name, description, companyName string) []string {
	words := splitWords(name)
	words = append(words, splitWords(description)...)
	words = append(words, splitWords(companyName)...)
	slices.Sort(words)
	return slices.Compact(words)
}

// isWordRune says which characters make words: letters, digits and the
// marks that belong to letters in many scripts.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// splitWords returns the folded words of text, in order, duplicates kept.
func splitWords(text string) []string {
	folded := foldWords(text)
	words := strings.FieldsFunc(folded, func(r rune) bool { return !isWordRune(r) })
	for i, w := range words {
		if utf8.RuneCountInString(w) > MaxWordRunes {
			runes := []rune(w)
			words[i] = string(runes[:MaxWordRunes])
		}
	}
	return words
}

// foldWords lowercases ASCII text directly (every seeded and most real
// catalog text), and otherwise decomposes it (NFKD), drops the accents,
// spells out the letters that do not decompose and folds case.
func foldWords(text string) string {
	ascii := true
	for i := 0; i < len(text); i++ {
		if text[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(text)
	}
	// Bytes that are not UTF-8 separate words, as every non-letter does;
	// made spaces first, they cannot stop the normalisation from
	// decomposing the letters after them (which made "\xf1ª" fold to "ª"
	// and "ª" to "a").
	text = strings.ToValidUTF8(text, " ")
	// NFKD rather than NFD also unifies compatibility forms (ﬁ, full-width
	// letters). A Caser keeps state, so each call has its own. Folding
	// swaps the two cases of Cherokee, so that a folded word would fold
	// again into another; lowering afterwards gives each word one form.
	return strings.Map(unicode.ToLower, cases.Fold().String(dropAccents(text, norm.NFKD)))
}
