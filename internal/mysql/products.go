package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
)

// ProductStore reads and writes products.
type ProductStore struct {
	db sqlx.ExtContext
	// termScanCap is termScanCap (search.go), or another value in tests
	// that exercise every search plan on a small catalog.
	termScanCap int64
}

var _ market.ProductStore = (*ProductStore)(nil)

// NewProductStore returns a store over db, a pool or a transaction.
func NewProductStore(db sqlx.ExtContext) *ProductStore {
	return &ProductStore{db: db, termScanCap: termScanCap}
}

// productColumns are what every product read selects, into a productRow
// (images.go): the product, its photo and the record of a refused upload.
const productColumns = `p.id, p.company_id, c.name AS company_name, p.name, p.description, p.price, p.active, p.version, ` +
	productImageColumns

// The catalog's queries. Every value is a parameter; the search queries
// are composed from the constant fragments below, one per number of words,
// so each is still a fixed text whose plan EXPLAIN shows (searchQuery).
//
//   - No filter: a range scan of products_active_id (active, id) in id
//     order that stops after LIMIT rows.
//   - companyId: a range scan of products_company_id (company_id, id), in
//     id order, checking active on each row; it stops after LIMIT rows.
//   - q: see ListActive and search.go for how a search is planned.
const (
	catalogFrom = `SELECT ` + productColumns + `
FROM products p JOIN companies c ON c.id = p.company_id
`
	// The whole catalog in id order names its index: left to itself,
	// MariaDB reads products_active_id as a ref on active alone with the id
	// condition pushed down, so a page from the middle of a million read
	// every entry before its cursor (450,000 entries, 18 ms at p50, 194 ms
	// at p99); forced, the index is a range on (active, id) and every page
	// costs the same (0.2 ms). go-mysql-server accepts the hint.
	catalogFromActive = `SELECT ` + productColumns + `
FROM products p FORCE INDEX (products_active_id) JOIN companies c ON c.id = p.company_id
`
	catalogOrder = `
ORDER BY p.id
LIMIT ?`

	listActiveProducts        = catalogFromActive + `WHERE p.active = TRUE AND p.id > ?` + catalogOrder
	listActiveCompanyProducts = catalogFrom + `WHERE p.company_id = ? AND p.active = TRUE AND p.id > ?` + catalogOrder
)

// ListActive returns up to page.Limit active products after page.AfterID
// that match page.Filter. A query without words is CodeInvalid.
func (s *ProductStore) ListActive(ctx context.Context, page market.ProductPage) ([]market.Product, error) {
	f := page.Filter
	if f.Query != "" {
		return s.search(ctx, page)
	}
	var products []market.Product
	var err error
	if f.CompanyID == 0 {
		products, err = selectProducts(ctx, s.db, listActiveProducts, page.AfterID, page.Limit)
	} else {
		products, err = selectProducts(ctx, s.db, listActiveCompanyProducts, f.CompanyID, page.AfterID, page.Limit)
	}
	return products, translate("list products", err)
}

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
	products, err := selectProducts(ctx, s.db, query, args...)
	if err != nil {
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
	products, err := selectProducts(ctx, s.db, listCompanyProducts, companyID, page.AfterID, page.Limit)
	return products, translate("list company products", err)
}

const companyProduct = `SELECT ` + productColumns + `
FROM products p JOIN companies c ON c.id = p.company_id
WHERE p.id = ? AND p.company_id = ?`

// CompanyProduct reads one of a company's products; another company's
// product is not found.
func (s *ProductStore) CompanyProduct(ctx context.Context, companyID, productID int64) (market.Product, error) {
	var row productRow
	err := sqlx.GetContext(ctx, s.db, &row, companyProduct, productID, companyID)
	if errors.Is(err, sql.ErrNoRows) {
		return market.Product{}, errProductNotFound(productID)
	}
	if err != nil {
		return market.Product{}, translate("get company product", err)
	}
	return row.product(), nil
}

func errProductNotFound(id int64) error {
	return market.Errorf(market.CodeNotFound, "product %d not found", id)
}

// The writes keep two things in step with products, in the product's own
// transaction: the search index (product_words, the words of active
// products only; search.go) and each company's count of active products
// (companies.active_products, which GET /api/companies reads instead of
// counting products). Each write first locks its company's row (reading
// the name the index needs), so that the writes of one company queue there:
// counts change by increments under that lock and stay exact, and the
// locks are always taken in one order (company, then product), which keeps
// writers from deadlocking on each other.
const (
	lockCompany    = `SELECT name FROM companies WHERE id = ? FOR UPDATE`
	insertProduct  = `INSERT INTO products (company_id, name, description, price, active) VALUES (?, ?, ?, ?, ?)`
	lockProduct    = `SELECT active, version FROM products WHERE id = ? AND company_id = ? FOR UPDATE`
	countActiveBy  = `UPDATE companies SET active_products = active_products + ? WHERE id = ?`
	deleteWordsFor = `DELETE FROM product_words WHERE product_id = ?`
)

// Create adds a product for the company.
func (s *ProductStore) Create(ctx context.Context, companyID int64, d market.ProductDraft) (market.Product, error) {
	var created market.Product
	err := s.write(ctx, func(tx sqlx.ExtContext) error {
		companyName, err := lockCompanyRow(ctx, tx, companyID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, insertProduct, companyID, d.Name, d.Description, d.Price, d.Active)
		if err != nil {
			return fmt.Errorf("insert product: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("insert product: %w", err)
		}
		if d.Active {
			if err := countActive(ctx, tx, companyID, 1); err != nil {
				return err
			}
			if err := insertWords(ctx, tx, id, market.IndexWords(d.Name, d.Description, companyName)); err != nil {
				return err
			}
		}
		created, err = NewProductStore(tx).CompanyProduct(ctx, companyID, id)
		return err
	})
	return created, translate("create product", err)
}

// The version condition makes each change a compare-and-swap: of two
// writers holding the same version, exactly one matches the row (the row
// lock taken first makes the loser wait and then see the new version).
const replaceProduct = `UPDATE products
SET name = ?, description = ?, price = ?, active = ?, version = version + 1, updated_at = CURRENT_TIMESTAMP(6)
WHERE id = ? AND company_id = ? AND version = ?`

// Replace overwrites a product if it is the company's and at version.
func (s *ProductStore) Replace(ctx context.Context, companyID, productID, version int64, d market.ProductDraft) (market.Product, error) {
	return s.change(ctx, companyID, productID, version, d.Active, func(tx sqlx.ExtContext) (sql.Result, error) {
		return tx.ExecContext(ctx, replaceProduct, d.Name, d.Description, d.Price, d.Active, productID, companyID, version)
	})
}

const archiveProduct = `UPDATE products
SET active = FALSE, version = version + 1, updated_at = CURRENT_TIMESTAMP(6)
WHERE id = ? AND company_id = ? AND (? = 0 OR version = ?)`

// Archive makes a product inactive if it is the company's (and, when
// version is not 0, at version).
func (s *ProductStore) Archive(ctx context.Context, companyID, productID, version int64) (market.Product, error) {
	return s.change(ctx, companyID, productID, version, false, func(tx sqlx.ExtContext) (sql.Result, error) {
		return tx.ExecContext(ctx, archiveProduct, productID, companyID, version, version)
	})
}

// change runs update, a conditional UPDATE of one product of the company
// that leaves it active or not, in a transaction that also moves the
// company's count and rewrites the product's words. It returns the product
// as it is after, CodeNotFound if it is not the company's, or
// CodePreconditionFailed if version (when not 0) is stale.
func (s *ProductStore) change(ctx context.Context, companyID, productID, version int64, active bool, update func(sqlx.ExtContext) (sql.Result, error)) (market.Product, error) {
	var changed market.Product
	err := s.write(ctx, func(tx sqlx.ExtContext) error {
		companyName, err := lockCompanyRow(ctx, tx, companyID)
		if market.ErrorCode(err) == market.CodeNotFound {
			return errProductNotFound(productID)
		}
		if err != nil {
			return err
		}
		var before struct {
			Active  bool  `db:"active"`
			Version int64 `db:"version"`
		}
		err = sqlx.GetContext(ctx, tx, &before, lockProduct, productID, companyID)
		if errors.Is(err, sql.ErrNoRows) {
			return errProductNotFound(productID)
		}
		if err != nil {
			return fmt.Errorf("lock product: %w", err)
		}
		if version != 0 && before.Version != version {
			return errStaleVersion(productID, before.Version, version)
		}
		res, err := update(tx)
		if err != nil {
			return fmt.Errorf("update product: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			// The row lock makes this unreachable on InnoDB; an engine
			// without row locks may get here after a concurrent change.
			current, readErr := NewProductStore(tx).CompanyProduct(ctx, companyID, productID)
			if readErr != nil {
				return readErr
			}
			return errStaleVersion(productID, current.Version, version)
		}
		if delta := boolInt(active) - boolInt(before.Active); delta != 0 {
			if err := countActive(ctx, tx, companyID, delta); err != nil {
				return err
			}
		}
		changed, err = NewProductStore(tx).CompanyProduct(ctx, companyID, productID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, deleteWordsFor, productID); err != nil {
			return fmt.Errorf("delete product words: %w", err)
		}
		if !active {
			return nil
		}
		return insertWords(ctx, tx, productID, market.IndexWords(changed.Name, changed.Description, companyName))
	})
	if err != nil {
		return market.Product{}, translate("change product", err)
	}
	return changed, nil
}

func errStaleVersion(productID, current, version int64) error {
	return &market.Error{
		Code:    market.CodePreconditionFailed,
		Message: fmt.Sprintf("product %d is at version %d, not %d: someone else changed it", productID, current, version),
		Details: map[string]int64{"currentVersion": current},
	}
}

// write runs fn in a transaction: its own on a pool (started over when
// InnoDB picks it as a deadlock victim), or the one the store was made on.
func (s *ProductStore) write(ctx context.Context, fn func(tx sqlx.ExtContext) error) error {
	if db, ok := s.db.(*sqlx.DB); ok {
		return inTxRetrying(ctx, db, func(tx *sqlx.Tx) error { return fn(tx) })
	}
	return fn(s.db)
}

// lockCompanyRow locks the company's row for the rest of the transaction
// and returns its name; CodeNotFound if there is no such company.
func lockCompanyRow(ctx context.Context, tx sqlx.ExtContext, companyID int64) (string, error) {
	var name string
	err := sqlx.GetContext(ctx, tx, &name, lockCompany, companyID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", market.Errorf(market.CodeNotFound, "company %d not found", companyID)
	}
	if err != nil {
		return "", fmt.Errorf("lock company: %w", err)
	}
	return name, nil
}

func countActive(ctx context.Context, tx sqlx.ExtContext, companyID int64, delta int) error {
	if _, err := tx.ExecContext(ctx, countActiveBy, delta, companyID); err != nil {
		return fmt.Errorf("count active products: %w", err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
