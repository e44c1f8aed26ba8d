package mysql

import "github.com/jmoiron/sqlx"

// NewProductStoreScanCap returns a store whose searches scan the products
// once every term has at least scanCap postings, so that a small test
// catalog exercises the plans a large one chooses.
func NewProductStoreScanCap(db sqlx.ExtContext, scanCap int64) *ProductStore {
	return &ProductStore{db: db, termScanCap: scanCap}
}
