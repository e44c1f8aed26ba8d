package mysql

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
)

// CompanyStore reads companies.
type CompanyStore struct {
	db sqlx.ExtContext
}

var _ market.CompanyStore = (*CompanyStore)(nil)

// NewCompanyStore returns a store over db, a pool or a transaction.
func NewCompanyStore(db sqlx.ExtContext) *CompanyStore { return &CompanyStore{db: db} }

const companyExists = `SELECT COUNT(*) FROM companies WHERE id = ?`

// CompanyExists reports whether the company exists.
func (s *CompanyStore) CompanyExists(ctx context.Context, id int64) (bool, error) {
	var n int
	err := sqlx.GetContext(ctx, s.db, &n, companyExists, id)
	return n > 0, translate("company exists", err)
}

// Company is a company's id and name.
type Company struct {
	ID   int64  `db:"id"`
	Name string `db:"name"`
}

const listCompanies = `SELECT id, name FROM companies ORDER BY id LIMIT ?`

// List returns up to limit companies in id order.
func (s *CompanyStore) List(ctx context.Context, limit int) ([]Company, error) {
	companies := []Company{}
	err := sqlx.SelectContext(ctx, s.db, &companies, listCompanies, limit)
	return companies, translate("list companies", err)
}
