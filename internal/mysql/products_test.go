package mysql_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

func insertCompany(t *testing.T, db *sqlx.DB, name string) int64 {
	t.Helper()
	res, err := db.ExecContext(context.Background(), `INSERT INTO companies (name) VALUES (?)`, name)
	if err != nil {
		t.Fatalf("insert company %q: %v", name, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// seedProduct is a product to insert.
type seedProduct struct {
	name, price string
	active      bool
}

// insertProducts inserts products of company in order and returns their ids.
func insertProducts(t *testing.T, db *sqlx.DB, companyID int64, products ...seedProduct) []int64 {
	t.Helper()
	ids := make([]int64, len(products))
	for i, p := range products {
		res, err := db.ExecContext(context.Background(),
			`INSERT INTO products (company_id, name, description, price, active) VALUES (?, ?, ?, ?, ?)`,
			companyID, p.name, "About "+p.name, p.price, p.active)
		if err != nil {
			t.Fatalf("insert product %q: %v", p.name, err)
		}
		if ids[i], err = res.LastInsertId(); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func productIDs(products []market.Product) []int64 {
	ids := make([]int64, len(products))
	for i, p := range products {
		ids[i] = p.ID
	}
	return ids
}

func TestListActive(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	bakery := insertCompany(t, db, "Padaria Sol")
	grocer := insertCompany(t, db, "Green Basket Grocers")
	a := insertProducts(t, db, bakery, seedProduct{"Sourdough", "6.50", true}, seedProduct{"Stale bread", "0.50", false}, seedProduct{"Croissant", "2.75", true})
	b := insertProducts(t, db, grocer, seedProduct{"Bananas", "2.19", true}, seedProduct{"Withdrawn", "1.00", false}, seedProduct{"Lemons", "1.99", true})
	c := insertProducts(t, db, bakery, seedProduct{"Baguette", "2.40", true})
	active := []int64{a[0], a[2], b[0], b[2], c[0]}

	store := mysql.NewProductStore(db)
	ctx := context.Background()
	tests := []struct {
		name string
		page market.ProductPage
		want []int64
	}{
		{name: "first page", page: market.ProductPage{AfterID: 0, Limit: 2}, want: active[:2]},
		{name: "second page skips the inactive", page: market.ProductPage{AfterID: active[1], Limit: 2}, want: active[2:4]},
		{name: "after an inactive id", page: market.ProductPage{AfterID: a[1], Limit: 2}, want: active[1:3]},
		{name: "last page", page: market.ProductPage{AfterID: active[3], Limit: 2}, want: active[4:]},
		{name: "past the end", page: market.ProductPage{AfterID: active[4], Limit: 2}, want: []int64{}},
		{name: "limit larger than the catalog", page: market.ProductPage{Limit: 101}, want: active},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := store.ListActive(ctx, tt.page)
			if err != nil {
				t.Fatalf("ListActive(%+v) error = %v", tt.page, err)
			}
			if got == nil || !slices.Equal(productIDs(got), tt.want) {
				t.Errorf("ListActive(%+v) = %v, want %v", tt.page, productIDs(got), tt.want)
			}
		})
	}

	t.Run("pages through everything", func(t *testing.T) {
		var all []int64
		page := market.ProductPage{Limit: 2}
		for range 10 {
			got, err := store.ListActive(ctx, page)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 {
				break
			}
			all = append(all, productIDs(got)...)
			page.AfterID = got[len(got)-1].ID
		}
		if !slices.Equal(all, active) {
			t.Errorf("all pages = %v, want %v", all, active)
		}
	})

	t.Run("columns", func(t *testing.T) {
		got, err := store.ListActive(ctx, market.ProductPage{AfterID: active[2], Limit: 1})
		if err != nil || len(got) != 1 {
			t.Fatalf("ListActive = %v, %v", got, err)
		}
		want := market.Product{
			ID: b[2], CompanyID: grocer, CompanyName: "Green Basket Grocers", Name: "Lemons",
			Description: "About Lemons", Price: market.MustMoney("1.99"), Active: true, Version: 1,
		}
		p := got[0]
		if p.ID != want.ID || p.CompanyID != want.CompanyID || p.CompanyName != want.CompanyName || p.Name != want.Name ||
			p.Description != want.Description || p.Price.String() != want.Price.String() || !p.Active || p.Version != want.Version {
			t.Errorf("ListActive = %+v, want %+v", p, want)
		}
	})
}

func TestProductsByID(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	company := insertCompany(t, db, "Casa Nonna Kitchen")
	ids := insertProducts(t, db, company,
		seedProduct{"Dime candy", "0.10", true},
		seedProduct{"Penny sweet", "0.01", true},
		seedProduct{"Villa", "9999999999.99", true},
		seedProduct{"Retired lasagna", "18.50", false},
		seedProduct{"Tiramisu", "6.90", true},
	)
	unknown := ids[len(ids)-1] + 1000
	store := mysql.NewProductStore(db)

	tests := []struct {
		name       string
		ask        []int64
		wantPrices map[int64]string
		wantActive map[int64]bool
	}{
		{name: "none", ask: nil, wantPrices: map[int64]string{}},
		{name: "one", ask: []int64{ids[0]}, wantPrices: map[int64]string{ids[0]: "0.10"}},
		{
			name: "exact DECIMAL values", ask: []int64{ids[0], ids[1], ids[2]},
			wantPrices: map[int64]string{ids[0]: "0.10", ids[1]: "0.01", ids[2]: "9999999999.99"},
		},
		{name: "unknown ids are absent", ask: []int64{unknown, ids[4], -1, 0}, wantPrices: map[int64]string{ids[4]: "6.90"}},
		{name: "duplicates", ask: []int64{ids[4], ids[4], ids[0], ids[4]}, wantPrices: map[int64]string{ids[4]: "6.90", ids[0]: "0.10"}},
		{
			name: "inactive included", ask: []int64{ids[3], ids[4]},
			wantPrices: map[int64]string{ids[3]: "18.50", ids[4]: "6.90"},
			wantActive: map[int64]bool{ids[3]: false, ids[4]: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := store.ProductsByID(context.Background(), tt.ask)
			if err != nil {
				t.Fatalf("ProductsByID(%v) error = %v", tt.ask, err)
			}
			if got == nil || len(got) != len(tt.wantPrices) {
				t.Fatalf("ProductsByID(%v) = %v, want %d products", tt.ask, got, len(tt.wantPrices))
			}
			for id, price := range tt.wantPrices {
				p, ok := got[id]
				if !ok {
					t.Errorf("ProductsByID(%v) lacks %d", tt.ask, id)
					continue
				}
				// Exact: the text of the DECIMAL, with its two decimals.
				if p.ID != id || p.Price.StringFixed(2) != price || !p.Price.Equal(market.MustMoney(price).Decimal) {
					t.Errorf("ProductsByID(%v)[%d] = id %d price %s, want price %s", tt.ask, id, p.ID, p.Price.Decimal, price)
				}
				if p.CompanyID != company || p.CompanyName != "Casa Nonna Kitchen" {
					t.Errorf("ProductsByID(%v)[%d] company = %d %q", tt.ask, id, p.CompanyID, p.CompanyName)
				}
				if want, ok := tt.wantActive[id]; ok && p.Active != want {
					t.Errorf("ProductsByID(%v)[%d].Active = %v, want %v", tt.ask, id, p.Active, want)
				}
			}
		})
	}
}

// The schema itself refuses rows the domain never writes, whoever writes them.
func TestSchemaRefusesBadRows(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	company := insertCompany(t, db, "Padaria Sol")
	const insert = `INSERT INTO products (company_id, name, price) VALUES (?, ?, ?)`
	tests := []struct {
		name    string
		query   string
		args    []any
		wantNum uint16 // MySQL error number when the engines agree on one; 0 for any error
	}{
		{name: "price zero", query: insert, args: []any{company, "Free lunch", "0.00"}},
		{name: "negative price", query: insert, args: []any{company, "Refund", "-1.00"}},
		{name: "unknown company", query: insert, args: []any{company + 1000, "Orphan", "1.00"}, wantNum: 1452},
		{name: "no name", query: insert, args: []any{company, nil, "1.00"}, wantNum: 1048},
		{name: "duplicate company name", query: `INSERT INTO companies (name) VALUES (?)`, args: []any{"Padaria Sol"}, wantNum: 1062},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.ExecContext(context.Background(), tt.query, tt.args...)
			if err == nil {
				t.Fatalf("Exec(%q, %v) succeeded, want the schema to refuse it", tt.query, tt.args)
			}
			var me *mysqldrv.MySQLError
			if tt.wantNum != 0 && (!errors.As(err, &me) || me.Number != tt.wantNum) {
				t.Errorf("Exec(%q, %v) error = %v, want MySQL error %d", tt.query, tt.args, err, tt.wantNum)
			}
		})
	}
	var n int
	if err := db.GetContext(context.Background(), &n, `SELECT COUNT(*) FROM products`); err != nil || n != 0 {
		t.Errorf("products after refused inserts = %d, %v, want 0", n, err)
	}
}
