package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
)

// rebuildBatch is how many products RebuildCatalogIndex reads at a time.
const rebuildBatch = 2000

const (
	zeroActiveCounts = `UPDATE companies SET active_products = 0`
	activeCounts     = `SELECT company_id, COUNT(*) AS n FROM products WHERE active = TRUE GROUP BY company_id`
	setActiveCount   = `UPDATE companies SET active_products = ? WHERE id = ?`
	productsToIndex  = `SELECT p.id, p.name, p.description, c.name AS company_name, p.active
FROM products p JOIN companies c ON c.id = p.company_id
WHERE p.id > ?
ORDER BY p.id
LIMIT ?`
	deleteWordsBetween = `DELETE FROM product_words WHERE product_id > ? AND product_id <= ?`
)

// RebuildCatalogIndex derives the search index (product_words) and the
// companies' counts of active products from the products table, as the
// product writes keep them, in the caller's transaction: the migration
// that added them runs it over the products that existed before.
// Products are read and indexed rebuildBatch at a time.
func RebuildCatalogIndex(ctx context.Context, tx sqlx.ExtContext) error {
	var counts []struct {
		CompanyID int64 `db:"company_id"`
		N         int64 `db:"n"`
	}
	if err := sqlx.SelectContext(ctx, tx, &counts, activeCounts); err != nil {
		return fmt.Errorf("count active products: %w", err)
	}
	if _, err := tx.ExecContext(ctx, zeroActiveCounts); err != nil {
		return fmt.Errorf("count active products: %w", err)
	}
	for _, c := range counts {
		if _, err := tx.ExecContext(ctx, setActiveCount, c.N, c.CompanyID); err != nil {
			return fmt.Errorf("count active products: %w", err)
		}
	}
	for after := int64(0); ; {
		var batch []struct {
			ID          int64  `db:"id"`
			Name        string `db:"name"`
			Description string `db:"description"`
			CompanyName string `db:"company_name"`
			Active      bool   `db:"active"`
		}
		if err := sqlx.SelectContext(ctx, tx, &batch, productsToIndex, after, rebuildBatch); err != nil {
			return fmt.Errorf("rebuild search index: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		last := batch[len(batch)-1].ID
		var rows []wordRow
		for _, p := range batch {
			if p.Active {
				for _, w := range market.IndexWords(p.Name, p.Description, p.CompanyName) {
					rows = append(rows, wordRow{w, p.ID})
				}
			}
		}
		if _, err := tx.ExecContext(ctx, deleteWordsBetween, after, last); err != nil {
			return fmt.Errorf("rebuild search index: %w", err)
		}
		if err := insertWordRows(ctx, tx, rows); err != nil {
			return err
		}
		after = last
	}
}

// NewProduct is a product to bulk-load.
type NewProduct struct {
	CompanyID   int64
	Name        string
	Description string
	Price       market.Money
}

const (
	companiesNamedByID = `SELECT id, name FROM companies WHERE id IN (?) ORDER BY id`
	// Not MAX(id): go-mysql-server answers no row for it in a transaction.
	lastProductID      = `SELECT id FROM products ORDER BY id DESC LIMIT 1`
	insertProductsHead = `INSERT INTO products (id, company_id, name, description, price, active) VALUES `
	insertProductsRow  = `(?, ?, ?, ?, ?, TRUE)`
	// maxProductRows keeps a statement under 65,535 placeholders.
	maxProductRows = 10000
)

// LoadProducts adds active products in one transaction, with multi-row
// inserts, indexed for search and counted in their companies' counts
// exactly as Create would: the bulk path of `go run ./cmd/local seed`.
// Ids follow the largest id so far, so a concurrent Create may collide
// with them and fail the load (a duplicate key), never corrupt it.
func LoadProducts(ctx context.Context, db *sqlx.DB, products []NewProduct) error {
	if len(products) == 0 {
		return nil
	}
	deltas := map[int64]int{}
	for _, p := range products {
		deltas[p.CompanyID]++
	}
	ids := make([]int64, 0, len(deltas))
	for id := range deltas {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	err := inTxRetrying(ctx, db, func(tx *sqlx.Tx) error {
		// The companies' rows first, in id order, as every product
		// write locks them (ProductStore.Create).
		for _, id := range ids {
			if err := countActive(ctx, tx, id, deltas[id]); err != nil {
				return err
			}
		}
		query, args, err := sqlx.In(companiesNamedByID, ids)
		if err != nil {
			return err
		}
		var companies []struct {
			ID   int64  `db:"id"`
			Name string `db:"name"`
		}
		if err := tx.SelectContext(ctx, &companies, query, args...); err != nil {
			return fmt.Errorf("company names: %w", err)
		}
		names := make(map[int64]string, len(companies))
		for _, c := range companies {
			names[c.ID] = c.Name
		}
		var next int64
		if err := tx.GetContext(ctx, &next, lastProductID); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("last product id: %w", err)
		}
		var words []wordRow
		for chunk := range slices.Chunk(products, maxProductRows) {
			query := insertProductsHead + strings.Repeat(insertProductsRow+", ", len(chunk)-1) + insertProductsRow
			args := make([]any, 0, 5*len(chunk))
			for _, p := range chunk {
				company, ok := names[p.CompanyID]
				if !ok {
					return market.Errorf(market.CodeNotFound, "company %d not found", p.CompanyID)
				}
				next++
				args = append(args, next, p.CompanyID, p.Name, p.Description, p.Price)
				for _, w := range market.IndexWords(p.Name, p.Description, company) {
					words = append(words, wordRow{w, next})
				}
			}
			if _, err := tx.ExecContext(ctx, query, args...); err != nil {
				return fmt.Errorf("insert products: %w", err)
			}
		}
		return insertWordRows(ctx, tx, words)
	})
	return translate("load products", err)
}

const countProducts = `SELECT COUNT(*) FROM products`

// CountProducts returns how many products exist, active or not.
func CountProducts(ctx context.Context, db sqlx.QueryerContext) (int64, error) {
	var n int64
	err := sqlx.GetContext(ctx, db, &n, countProducts)
	return n, translate("count products", err)
}

// The optimiser's statistics after a bulk load, so that its estimates
// (and EXPLAIN) describe the catalog as it now is.
const analyzeCatalog = `ANALYZE TABLE products, product_words, companies`

// AnalyzeCatalog refreshes the statistics of the catalog's tables.
func AnalyzeCatalog(ctx context.Context, db sqlx.ExecerContext) error {
	_, err := db.ExecContext(ctx, analyzeCatalog)
	return translate("analyze catalog", err)
}
