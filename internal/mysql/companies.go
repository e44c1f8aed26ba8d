package mysql

import (
	"context"
	"database/sql"
	"errors"

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

const (
	companyByName = `SELECT id FROM companies WHERE name = ?`
	insertCompany = `INSERT INTO companies (name) VALUES (?)`
)

// Ensure returns the id of the company called name, creating it if there
// is none. The unique name makes a concurrent creation lose on the insert
// and read the winner's row.
func (s *CompanyStore) Ensure(ctx context.Context, name string) (int64, error) {
	var id int64
	err := sqlx.GetContext(ctx, s.db, &id, companyByName, name)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, translate("company by name", err)
	}
	res, err := s.db.ExecContext(ctx, insertCompany, name)
	if isDuplicate(err) {
		err = sqlx.GetContext(ctx, s.db, &id, companyByName, name)
		return id, translate("company by name", err)
	}
	if err != nil {
		return 0, translate("insert company", err)
	}
	id, err = res.LastInsertId()
	return id, translate("insert company", err)
}

var _ market.CatalogCompanyStore = (*CompanyStore)(nil)

// One pass over the active products: each company's through
// products_company_id (company_id, id), reading each row for active. That is
// every product on each call; cheap for thousands, and what an index on
// (company_id, active) or a cache would spare at a much larger scale.
const catalogCompanies = `SELECT c.id, c.name, COUNT(*) AS product_count
FROM companies c JOIN products p ON p.company_id = c.id
WHERE p.active = TRUE
GROUP BY c.id, c.name
ORDER BY c.name, c.id
LIMIT ?`

// CatalogCompanies returns the companies with active products, by name.
func (s *CompanyStore) CatalogCompanies(ctx context.Context) ([]market.CatalogCompany, error) {
	companies := []market.CatalogCompany{}
	err := sqlx.SelectContext(ctx, s.db, &companies, catalogCompanies, market.MaxCatalogCompanies)
	return companies, translate("list catalog companies", err)
}
