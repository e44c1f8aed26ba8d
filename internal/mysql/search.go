package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
)

// The catalog search runs on an inverted index of our own, product_words
// (word, product_id), filled by market.IndexWords in the same transaction
// as every product write, and holding the words of active products only.
//
// Why not FULLTEXT: go-mysql-server v0.20 (the embedded engine of the tests
// and the local runner) has natural-language mode only, with no boolean
// mode and no prefix operator, and InnoDB's FULLTEXT drops stopwords and
// words shorter than its minimum token size; neither gives "every word, as
// a word prefix, accents ignored", let alone the same answers on both
// engines. A LIKE '%text%' (the first version) gives substrings but no
// index can serve it: a rare word read every product, 2.6 s at a million.
// Here the words are folded by Go on both sides (market/search.go), so the
// database only compares bytes: the word column is utf8mb4_bin, and a word
// prefix is the range [term, next) of the primary key, where next is term
// with its last character incremented (termRange).
//
// A company rename would have to rewrite the words of all its products
// (its name is indexed with each); there is no rename today.
//
// Planning a search. A page wants the first LIMIT matches in id order after
// the cursor. Two plans, each fast where the other is slow:
//
//   - Drive from a term (searchByTerm): read every posting of the rarest
//     term after the cursor from the primary key, check the other terms
//     on each through product_words_product (product_id, word), sort the
//     survivors by id and join products for one page. It costs the
//     term's postings, whatever the page: ideal for a rare word, and an
//     absent word costs nothing at all (its count is 0, no query runs).
//   - Drive from products (searchByScan): walk products_active_id (or
//     products_company_id with a shop filter) in id order from the
//     cursor, checking every term through product_words_product, and
//     stop at LIMIT matches. It costs LIMIT / (share of products that
//     match): ideal for common words, hopeless for rare ones.
//
// So each term's postings are first counted, up to termScanCap (one short
// covering range scan each, the cap lowered to the smallest count so far):
// if the rarest term has fewer than termScanCap postings, drive from it;
// otherwise every term is common (at least termScanCap of the products),
// and the scan finds a page quickly. With a shop filter, the company's
// count of active products (companies.active_products) competes too: a
// shop with fewer products than the rarest term's postings is scanned
// through its own index instead.
//
// The scan's one bad case: several common words that seldom occur together
// (each in 10% of the catalog, together in almost none) read far. Each row
// costs two index probes; a shopper typing unrelated common words gets a
// slower answer, never a wrong one.
const termScanCap = 10000

const (
	// countTerm counts a term's postings, stopping at the cap.
	countTerm = `SELECT COUNT(*) FROM (SELECT 1 FROM product_words WHERE word >= ? AND word < ? LIMIT ?) t`
	// companyActiveProducts is the size of a shop filter.
	companyActiveProducts = `SELECT active_products FROM companies WHERE id = ?`

	// Checks one more term on a product, through product_words_product:
	// one short index range per product checked. A scalar subquery, not
	// EXISTS: MariaDB turns EXISTS into a semi-join and may then read
	// every posting of a common word into a temporary table (EXPLAIN
	// showed 477,564 rows materialised for "fresh"); a scalar subquery
	// stays a dependent probe per row, which is the plan chosen here.
	termCheckOnProduct = `
  AND (SELECT 1 FROM product_words o WHERE o.product_id = p.id AND o.word >= ? AND o.word < ? LIMIT 1) IS NOT NULL`
	termCheckOnPosting = `
  AND (SELECT 1 FROM product_words o WHERE o.product_id = d.product_id AND o.word >= ? AND o.word < ? LIMIT 1) IS NOT NULL`

	searchScan        = catalogFromActive + `WHERE p.active = TRUE AND p.id > ?`
	searchScanCompany = catalogFrom + `WHERE p.company_id = ? AND p.active = TRUE AND p.id > ?`

	// The derived table is the page's ids from the driving term's postings;
	// DISTINCT because a prefix may match two words of one product.
	searchByTermIDs = `SELECT DISTINCT d.product_id FROM product_words d
WHERE d.word >= ? AND d.word < ? AND d.product_id > ?`
	searchByTermPage = `
ORDER BY d.product_id
LIMIT ?`
	searchByTermFrom = `SELECT ` + productColumns + `
FROM (`
	searchByTermJoin = `) m
JOIN products p ON p.id = m.product_id
JOIN companies c ON c.id = p.company_id
WHERE p.active = TRUE`
	searchByTermCompany = ` AND p.company_id = ?`
)

// searchPlan names the queries of one plan, by number of terms.
type searchPlan int

const (
	planScan searchPlan = iota
	planScanCompany
	planTerm
	planTermCompany
	planCount
)

// searchQueries[plan][n-1] is the query of plan for n terms, composed once
// from the constants above.
var searchQueries = func() (q [planCount][market.MaxSearchWords]string) {
	for n := 1; n <= market.MaxSearchWords; n++ {
		q[planScan][n-1] = searchScan + strings.Repeat(termCheckOnProduct, n) + catalogOrder
		q[planScanCompany][n-1] = searchScanCompany + strings.Repeat(termCheckOnProduct, n) + catalogOrder
		// With a shop filter, the company is checked after the join, so the
		// ids are not cut to a page before it.
		byTerm := searchByTermIDs + strings.Repeat(termCheckOnPosting, n-1)
		q[planTerm][n-1] = searchByTermFrom + byTerm + searchByTermPage + searchByTermJoin + catalogOrder
		q[planTermCompany][n-1] = searchByTermFrom + byTerm + searchByTermJoin + searchByTermCompany + catalogOrder
	}
	return q
}()

// search answers a page of a text search; see the plan above.
func (s *ProductStore) search(ctx context.Context, page market.ProductPage) ([]market.Product, error) {
	terms, err := market.SearchTerms(page.Filter.Query)
	if err != nil {
		return nil, err
	}
	ranges := make([][2]string, len(terms))
	for i, t := range terms {
		ranges[i][0], ranges[i][1] = termRange(t)
	}
	companyID := page.Filter.CompanyID
	none := []market.Product{}
	// A shop filter is scanned through its own index when the shop has no
	// more products than the rarest term has postings, so no term needs
	// counting past the shop's size.
	limit := s.termScanCap
	if companyID != 0 {
		var shop int64
		if err := sqlx.GetContext(ctx, s.db, &shop, companyActiveProducts, companyID); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, translate("count company products", err)
		}
		if shop == 0 {
			return none, nil
		}
		limit = min(limit, shop)
	}
	rarest, smallest := 0, limit
	for i, r := range ranges {
		var n int64
		if err := sqlx.GetContext(ctx, s.db, &n, countTerm, r[0], r[1], smallest); err != nil {
			return nil, translate("count search term", err)
		}
		if n < smallest || i == 0 {
			rarest, smallest = i, n
		}
	}
	if smallest == 0 {
		return none, nil
	}
	var plan searchPlan
	switch {
	case companyID == 0 && smallest < limit:
		plan = planTerm
	case companyID == 0:
		plan = planScan
	case smallest < limit:
		plan = planTermCompany
	default:
		plan = planScanCompany
	}

	var args []any
	others := func() {
		for i, r := range ranges {
			if i != rarest {
				args = append(args, r[0], r[1])
			}
		}
	}
	switch plan {
	case planScan, planScanCompany:
		if plan == planScanCompany {
			args = append(args, companyID)
		}
		args = append(args, page.AfterID)
		for _, r := range ranges {
			args = append(args, r[0], r[1])
		}
	case planTerm:
		args = append(args, ranges[rarest][0], ranges[rarest][1], page.AfterID)
		others()
		args = append(args, page.Limit)
	case planTermCompany:
		args = append(args, ranges[rarest][0], ranges[rarest][1], page.AfterID)
		others()
		args = append(args, companyID)
	}
	args = append(args, page.Limit)
	products, err := selectProducts(ctx, s.db, searchQueries[plan][len(terms)-1], args...)
	return products, translate("search products", err)
}

// termRange returns the range of indexed words that begin with term: from
// term itself up to, not including, term with its last character
// incremented. Under utf8mb4_bin, byte order is code point order, so that
// range holds exactly the words with that prefix.
func termRange(term string) (string, string) {
	last, size := utf8.DecodeLastRuneInString(term)
	return term, term[:len(term)-size] + string(last+1)
}

// insertWordsRow is one row of a multi-row insert into product_words.
const (
	insertWordsHead = `INSERT INTO product_words (word, product_id) VALUES `
	insertWordsRow  = `(?, ?)`
	// maxWordRows keeps a statement well under the 65,535 placeholders a
	// prepared statement may have.
	maxWordRows = 10000
)

// wordRow is one posting of the search index.
type wordRow struct {
	word      string
	productID int64
}

// insertWords indexes one product under words.
func insertWords(ctx context.Context, tx sqlx.ExtContext, productID int64, words []string) error {
	rows := make([]wordRow, len(words))
	for i, w := range words {
		rows[i] = wordRow{w, productID}
	}
	return insertWordRows(ctx, tx, rows)
}

// insertWordRows writes postings in multi-row inserts of at most
// maxWordRows rows: the same statement text for every full chunk.
func insertWordRows(ctx context.Context, tx sqlx.ExtContext, rows []wordRow) error {
	for len(rows) > 0 {
		n := min(len(rows), maxWordRows)
		query := insertWordsHead + strings.Repeat(insertWordsRow+", ", n-1) + insertWordsRow
		args := make([]any, 0, 2*n)
		for _, r := range rows[:n] {
			args = append(args, r.word, r.productID)
		}
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return fmt.Errorf("insert product words: %w", err)
		}
		rows = rows[n:]
	}
	return nil
}
