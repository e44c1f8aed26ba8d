package mysql

import (
	"context"

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

const listActiveProducts = `SELECT ` + productColumns + `
FROM products p JOIN companies c ON c.id = p.company_id
WHERE p.active = TRUE AND p.id > ?
ORDER BY p.id
LIMIT ?`

// ListActive returns up to page.Limit active products after page.AfterID.
func (s *ProductStore) ListActive(ctx context.Context, page market.ProductPage) ([]market.Product, error) {
	products := []market.Product{}
	err := sqlx.SelectContext(ctx, s.db, &products, listActiveProducts, page.AfterID, page.Limit)
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
	var products []market.Product
	if err := sqlx.SelectContext(ctx, s.db, &products, query, args...); err != nil {
		return nil, translate("products by id", err)
	}
	for _, p := range products {
		found[p.ID] = p
	}
	return found, nil
}
