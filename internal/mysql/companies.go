package mysql

import (
	"context"
	"database/sql"
	"errors"
	"strings"

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

// Each company keeps its count of active products (active_products),
// moved by every product write in its own transaction (products.go), so
// the shop list reads the 2,000-odd rows of companies and never products.
const catalogCompanies = `SELECT id, name, active_products AS product_count,
    lat, lng, prep_minutes, opening_hours, paused
FROM companies
WHERE active_products > 0
ORDER BY name, id
LIMIT ?`

// CatalogCompanies returns the companies with active products, by name,
// with what their opening now is computed from (market.WithOpening).
func (s *CompanyStore) CatalogCompanies(ctx context.Context) ([]market.CatalogCompany, error) {
	var rows []struct {
		ID           int64  `db:"id"`
		Name         string `db:"name"`
		ProductCount int64  `db:"product_count"`
		shopColumns
	}
	if err := sqlx.SelectContext(ctx, s.db, &rows, catalogCompanies, market.MaxCatalogCompanies); err != nil {
		return []market.CatalogCompany{}, translate("list catalog companies", err)
	}
	companies := make([]market.CatalogCompany, len(rows))
	for i, r := range rows {
		hours, err := r.hours(r.ID)
		if err != nil {
			return []market.CatalogCompany{}, err
		}
		companies[i] = market.CatalogCompany{
			ID: r.ID, Name: r.Name, ProductCount: r.ProductCount,
			Location: r.location(), PrepMinutes: r.PrepMinutes, Hours: hours, Paused: r.Paused,
		}
	}
	return companies, nil
}

const (
	insertCompaniesHead = `INSERT INTO companies (name) VALUES `
	insertCompaniesRow  = `(?)`
	// An existing name is left as it is.
	insertCompaniesTail = ` ON DUPLICATE KEY UPDATE name = name`
	companiesByName     = `SELECT id, name FROM companies WHERE name IN (?)`
)

// EnsureMany returns the ids of the companies called names, creating
// those that do not exist, in one statement (for the seed).
func (s *CompanyStore) EnsureMany(ctx context.Context, names []string) (map[string]int64, error) {
	ids := make(map[string]int64, len(names))
	if len(names) == 0 {
		return ids, nil
	}
	query := insertCompaniesHead + strings.Repeat(insertCompaniesRow+", ", len(names)-1) + insertCompaniesRow + insertCompaniesTail
	args := make([]any, len(names))
	for i, n := range names {
		args[i] = n
	}
	if _, err := s.db.ExecContext(ctx, query, args...); err != nil {
		return nil, translate("insert companies", err)
	}
	query, args, err := sqlx.In(companiesByName, names)
	if err != nil {
		return nil, translate("companies by name", err)
	}
	var found []Company
	if err := sqlx.SelectContext(ctx, s.db, &found, query, args...); err != nil {
		return nil, translate("companies by name", err)
	}
	for _, c := range found {
		ids[c.Name] = c.ID
	}
	return ids, nil
}
