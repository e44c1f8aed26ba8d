package mysql_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// insertDescribed inserts one product with its own description.
func insertDescribed(t *testing.T, db *sqlx.DB, companyID int64, name, description string, active bool) int64 {
	t.Helper()
	res, err := db.ExecContext(context.Background(),
		`INSERT INTO products (company_id, name, description, price, active) VALUES (?, ?, ?, ?, ?)`,
		companyID, name, description, "1.00", active)
	if err != nil {
		t.Fatalf("insert product %q: %v", name, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestListActiveFiltered(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	bakery := insertCompany(t, db, "Padaria Sol")
	grocer := insertCompany(t, db, "Green Basket Grocers")
	cheap := insertCompany(t, db, "Shop_50%")

	sourdough := insertDescribed(t, db, bakery, "Sourdough loaf", "Naturally leavened.", true)
	natural := insertDescribed(t, db, grocer, "100% natural_", "Juice.", true)
	grains := insertDescribed(t, db, grocer, "1000 grains", "Granola, 100 g.", true)
	rye := insertDescribed(t, db, bakery, "Rye bread", "Dark and dense, 100g_pack.", true)
	stale := insertDescribed(t, db, bakery, "Stale sourdough", "Gone.", false)
	backslash := insertDescribed(t, db, grocer, `C:\bread`, "Bread for programmers.", true)
	ciabatta := insertDescribed(t, db, bakery, "Ciabatta", "Italian SOURDOUGH bread.", true)
	bin := insertDescribed(t, db, cheap, "Clearance bin", "Odds and ends.", true)
	pao := insertDescribed(t, db, bakery, "Pão de queijo", "Cheese bread.", true)
	_ = stale

	store := mysql.NewProductStore(db)
	ctx := context.Background()
	tests := []struct {
		name   string
		filter market.ProductFilter
		want   []int64
	}{
		{name: "no filter", want: []int64{sourdough, natural, grains, rye, backslash, ciabatta, bin, pao}},
		{name: "company", filter: market.ProductFilter{CompanyID: bakery}, want: []int64{sourdough, rye, ciabatta, pao}},
		{name: "company without products", filter: market.ProductFilter{CompanyID: cheap + 100}, want: []int64{}},
		{name: "name, any case", filter: market.ProductFilter{Query: "SOURdough"}, want: []int64{sourdough, ciabatta}},
		{name: "description only", filter: market.ProductFilter{Query: "leavened"}, want: []int64{sourdough}},
		{name: "company name", filter: market.ProductFilter{Query: "green basket"}, want: []int64{natural, grains, backslash}},
		{name: "inactive never match", filter: market.ProductFilter{Query: "stale"}, want: []int64{}},
		{name: "company and text", filter: market.ProductFilter{CompanyID: bakery, Query: "bread"}, want: []int64{rye, ciabatta, pao}},
		{name: "text of another company", filter: market.ProductFilter{CompanyID: grocer, Query: "leavened"}, want: []int64{}},
		{name: "percent is literal", filter: market.ProductFilter{Query: "100%"}, want: []int64{natural}},
		{name: "percent alone is literal", filter: market.ProductFilter{Query: "%"}, want: []int64{natural, bin}},
		{name: "underscore is literal", filter: market.ProductFilter{Query: "_"}, want: []int64{natural, rye, bin}},
		{name: "underscore inside text", filter: market.ProductFilter{Query: "0g_p"}, want: []int64{rye}},
		{name: "underscore matches no other character", filter: market.ProductFilter{Query: "10_"}, want: []int64{}},
		{name: "backslash is literal", filter: market.ProductFilter{Query: `C:\b`}, want: []int64{backslash}},
		{name: "backslash alone", filter: market.ProductFilter{Query: `\`}, want: []int64{backslash}},
		{name: "backslash does not escape", filter: market.ProductFilter{Query: `\%`}, want: []int64{}},
		{name: "quotes are text", filter: market.ProductFilter{Query: `' OR '1'='1`}, want: []int64{}},
		{name: "non-ASCII text", filter: market.ProductFilter{Query: "pão"}, want: []int64{pao}},
		{name: "accents ignored", filter: market.ProductFilter{Query: "PAO DE"}, want: []int64{pao}},
		{name: "nothing matches", filter: market.ProductFilter{Query: "pizza"}, want: []int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := market.ProductPage{Limit: 100, Filter: tt.filter}
			got, err := store.ListActive(ctx, page)
			if err != nil {
				t.Fatalf("ListActive(%+v) error = %v", page, err)
			}
			if got == nil || !slices.Equal(productIDs(got), tt.want) {
				t.Errorf("ListActive(%+v) = %v, want %v", page, productIDs(got), tt.want)
			}
		})
	}

	// Keyset pagination over a filtered result: pages of two visit every
	// match once, in id order, whichever filter.
	pagination := []struct {
		name   string
		filter market.ProductFilter
		want   []int64
	}{
		{name: "company", filter: market.ProductFilter{CompanyID: bakery}, want: []int64{sourdough, rye, ciabatta, pao}},
		{name: "text", filter: market.ProductFilter{Query: "bread"}, want: []int64{rye, backslash, ciabatta, pao}},
		{name: "both", filter: market.ProductFilter{CompanyID: bakery, Query: "bread"}, want: []int64{rye, ciabatta, pao}},
	}
	for _, tt := range pagination {
		t.Run("pages of "+tt.name, func(t *testing.T) {
			var all []int64
			page := market.ProductPage{Limit: 2, Filter: tt.filter}
			for range 10 {
				got, err := store.ListActive(ctx, page)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) > page.Limit {
					t.Fatalf("ListActive(%+v) = %d products, over the limit", page, len(got))
				}
				if len(got) == 0 {
					break
				}
				all = append(all, productIDs(got)...)
				page.AfterID = got[len(got)-1].ID
			}
			if !slices.Equal(all, tt.want) {
				t.Errorf("all pages of %+v = %v, want %v", tt.filter, all, tt.want)
			}
		})
	}

	t.Run("columns of a match", func(t *testing.T) {
		got, err := store.ListActive(ctx, market.ProductPage{Limit: 1, Filter: market.ProductFilter{Query: "natural_"}})
		if err != nil || len(got) != 1 {
			t.Fatalf("ListActive = %v, %v", got, err)
		}
		p := got[0]
		if p.ID != natural || p.CompanyID != grocer || p.CompanyName != "Green Basket Grocers" || p.Name != "100% natural_" ||
			p.Description != "Juice." || p.Price.StringFixed(2) != "1.00" || !p.Active || p.Version != 1 {
			t.Errorf("ListActive = %+v", p)
		}
	})
}

func TestCatalogCompanies(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	store := mysql.NewCompanyStore(db)
	ctx := context.Background()

	t.Run("empty catalog", func(t *testing.T) {
		got, err := store.CatalogCompanies(ctx)
		if err != nil || got == nil || len(got) != 0 {
			t.Fatalf("CatalogCompanies() = %v, %v, want []", got, err)
		}
	})

	zebra := insertCompany(t, db, "Zebra Deli")
	bakery := insertCompany(t, db, "Padaria Sol")
	archived := insertCompany(t, db, "Closed for winter")
	insertCompany(t, db, "Brand new shop") // no products yet
	grocer := insertCompany(t, db, "Green Basket Grocers")
	insertProducts(t, db, zebra, seedProduct{"Pastrami", "9.00", true})
	insertProducts(t, db, bakery, seedProduct{"Sourdough", "6.50", true}, seedProduct{"Stale", "0.50", false}, seedProduct{"Croissant", "2.75", true})
	insertProducts(t, db, archived, seedProduct{"Ice cream", "3.00", false})
	insertProducts(t, db, grocer, seedProduct{"Bananas", "2.19", true}, seedProduct{"Lemons", "1.99", true}, seedProduct{"Eggs", "5.99", true})

	got, err := store.CatalogCompanies(ctx)
	if err != nil {
		t.Fatalf("CatalogCompanies() error = %v", err)
	}
	want := []market.CatalogCompany{
		{ID: grocer, Name: "Green Basket Grocers", ProductCount: 3},
		{ID: bakery, Name: "Padaria Sol", ProductCount: 2},
		{ID: zebra, Name: "Zebra Deli", ProductCount: 1},
	}
	if !slices.Equal(got, want) {
		t.Errorf("CatalogCompanies() = %+v, want %+v", got, want)
	}
}
