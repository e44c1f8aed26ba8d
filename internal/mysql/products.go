package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
)

// ProductStore reads and writes products.
type ProductStore struct {
	db sqlx.ExtContext
}

var _ market.ProductStore = (*ProductStore)(nil)

// NewProductStore returns a store over db, a pool or a transaction.
func NewProductStore(db sqlx.ExtContext) *ProductStore { return &ProductStore{db: db} }

const productColumns = `p.id, p.company_id, c.name AS company_name, p.name, p.description, p.price, p.active, p.version`

// The catalog's queries, one per combination of filters, so that each is a
// constant whose plan can be read with EXPLAIN. Every value is a parameter.
//
//   - No filter: a range scan of products_active_id (active, id) in id
//     order that stops after LIMIT rows.
//   - companyId: a range scan of products_company_id (company_id, id), in
//     id order, checking active on each row; it stops after LIMIT rows.
//   - q: a LIKE with a leading % can use no index, so the text search walks
//     the same (active, id) range as the unfiltered catalog and tests each
//     row until LIMIT rows match. LIMIT bounds the result, not the scan: a
//     rare word reads every active product after the cursor (of company
//     companyId when both are given). Fine for a catalog of thousands of
//     products; a much larger one wants a FULLTEXT index or a search service.
const (
	catalogFrom = `SELECT ` + productColumns + `
FROM products p JOIN companies c ON c.id = p.company_id
`
	catalogOrder = `
ORDER BY p.id
LIMIT ?`
	// Case and accents are ignored by the columns' collation, which the
	// comparison takes over the parameter's: utf8mb4_general_ci on
	// MariaDB, utf8mb4_0900_ai_ci on MySQL 8 and go-mysql-server. The
	// pattern comes from likePattern, which escapes with a backslash: '\\'
	// is one backslash in MySQL's string syntax (under NO_BACKSLASH_ESCAPES
	// the statement fails rather than matching wrong).
	catalogText = ` AND (p.name LIKE ? ESCAPE '\\'
  OR p.description LIKE ? ESCAPE '\\'
  OR c.name LIKE ? ESCAPE '\\')`

	listActiveProducts          = catalogFrom + `WHERE p.active = TRUE AND p.id > ?` + catalogOrder
	listActiveCompanyProducts   = catalogFrom + `WHERE p.company_id = ? AND p.active = TRUE AND p.id > ?` + catalogOrder
	searchActiveProducts        = catalogFrom + `WHERE p.active = TRUE AND p.id > ?` + catalogText + catalogOrder
	searchActiveCompanyProducts = catalogFrom + `WHERE p.company_id = ? AND p.active = TRUE AND p.id > ?` + catalogText + catalogOrder
)

// ListActive returns up to page.Limit active products after page.AfterID
// that match page.Filter.
func (s *ProductStore) ListActive(ctx context.Context, page market.ProductPage) ([]market.Product, error) {
	f := page.Filter
	var query string
	var args []any
	if f.CompanyID != 0 {
		args = append(args, f.CompanyID)
	}
	args = append(args, page.AfterID)
	if f.Query != "" {
		pattern := likePattern(f.Query)
		args = append(args, pattern, pattern, pattern)
	}
	args = append(args, page.Limit)
	switch {
	case f.CompanyID == 0 && f.Query == "":
		query = listActiveProducts
	case f.Query == "":
		query = listActiveCompanyProducts
	case f.CompanyID == 0:
		query = searchActiveProducts
	default:
		query = searchActiveCompanyProducts
	}
	products := []market.Product{}
	err := sqlx.SelectContext(ctx, s.db, &products, query, args...)
	return products, translate("list products", err)
}

// likeEscaper escapes the characters LIKE gives a meaning to (and the
// escape character itself), so that text matches only itself.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// likePattern is the LIKE pattern that finds text anywhere in a string,
// with the escape character of catalogText.
func likePattern(text string) string { return "%" + likeEscaper.Replace(text) + "%" }

const productsByID = `SELECT ` + productColumns + `
FROM products p JOIN companies c ON c.id = p.company_id
WHERE p.id IN (?)`

// ProductsByID returns the products with the given ids in one query.
func (s *ProductStore) ProductsByID(ctx context.Context, ids []int64) (map[int64]market.Product, error) {
	found := make(map[int64]market.Product, len(ids))
	if len(ids) == 0 {
		return found, nil
	}
	query, args, err := sqlx.In(productsByID, ids)
	if err != nil {
		return nil, translate("products by id", err)
	}
	var products []market.Product
	if err := sqlx.SelectContext(ctx, s.db, &products, query, args...); err != nil {
		return nil, translate("products by id", err)
	}
	for _, p := range products {
		found[p.ID] = p
	}
	return found, nil
}

var _ market.CompanyProductStore = (*ProductStore)(nil)

const listCompanyProducts = `SELECT ` + productColumns + `
FROM products p JOIN companies c ON c.id = p.company_id
WHERE p.company_id = ? AND p.id > ?
ORDER BY p.id
LIMIT ?`

// ListByCompany returns a page of one company's products, archived too.
func (s *ProductStore) ListByCompany(ctx context.Context, companyID int64, page market.ProductPage) ([]market.Product, error) {
	products := []market.Product{}
	err := sqlx.SelectContext(ctx, s.db, &products, listCompanyProducts, companyID, page.AfterID, page.Limit)
	return products, translate("list company products", err)
}

const companyProduct = `SELECT ` + productColumns + `
FROM products p JOIN companies c ON c.id = p.company_id
WHERE p.id = ? AND p.company_id = ?`

// CompanyProduct reads one of a company's products; another company's
// product is not found.
func (s *ProductStore) CompanyProduct(ctx context.Context, companyID, productID int64) (market.Product, error) {
	var p market.Product
	err := sqlx.GetContext(ctx, s.db, &p, companyProduct, productID, companyID)
	if errors.Is(err, sql.ErrNoRows) {
		return market.Product{}, errProductNotFound(productID)
	}
	return p, translate("get company product", err)
}

func errProductNotFound(id int64) error {
	return market.Errorf(market.CodeNotFound, "product %d not found", id)
}

const insertProduct = `INSERT INTO products (company_id, name, description, price, active) VALUES (?, ?, ?, ?, ?)`

// Create adds a product for the company.
func (s *ProductStore) Create(ctx context.Context, companyID int64, d market.ProductDraft) (market.Product, error) {
	res, err := s.db.ExecContext(ctx, insertProduct, companyID, d.Name, d.Description, d.Price, d.Active)
	if err != nil {
		return market.Product{}, translate("insert product", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return market.Product{}, translate("insert product", err)
	}
	return s.CompanyProduct(ctx, companyID, id)
}

// The version condition makes each change a compare-and-swap: of two
// writers holding the same version, exactly one matches the row.
const replaceProduct = `UPDATE products
SET name = ?, description = ?, price = ?, active = ?, version = version + 1, updated_at = CURRENT_TIMESTAMP(6)
WHERE id = ? AND company_id = ? AND version = ?`

// Replace overwrites a product if it is the company's and at version.
func (s *ProductStore) Replace(ctx context.Context, companyID, productID, version int64, d market.ProductDraft) (market.Product, error) {
	res, err := s.db.ExecContext(ctx, replaceProduct, d.Name, d.Description, d.Price, d.Active, productID, companyID, version)
	return s.afterUpdate(ctx, "replace product", res, err, companyID, productID, version)
}

const archiveProduct = `UPDATE products
SET active = FALSE, version = version + 1, updated_at = CURRENT_TIMESTAMP(6)
WHERE id = ? AND company_id = ? AND (? = 0 OR version = ?)`

// Archive makes a product inactive if it is the company's (and, when
// version is not 0, at version).
func (s *ProductStore) Archive(ctx context.Context, companyID, productID, version int64) (market.Product, error) {
	res, err := s.db.ExecContext(ctx, archiveProduct, productID, companyID, version, version)
	return s.afterUpdate(ctx, "archive product", res, err, companyID, productID, version)
}

// afterUpdate reads the product a conditional UPDATE changed, or says why
// it changed nothing: not the company's product, or a stale version.
func (s *ProductStore) afterUpdate(ctx context.Context, op string, res sql.Result, err error, companyID, productID, version int64) (market.Product, error) {
	if err != nil {
		return market.Product{}, translate(op, err)
	}
	changed, err := res.RowsAffected()
	if err != nil {
		return market.Product{}, translate(op, err)
	}
	current, err := s.CompanyProduct(ctx, companyID, productID)
	if err != nil || changed > 0 {
		return current, err
	}
	return market.Product{}, &market.Error{
		Code:    market.CodePreconditionFailed,
		Message: fmt.Sprintf("product %d is at version %d, not %d: someone else changed it", productID, current.Version, version),
		Details: map[string]int64{"currentVersion": current.Version},
	}
}
