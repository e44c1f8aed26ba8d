package mysql_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// insertDescribed creates one product through the store, as the API does,
// so that it is indexed for search and counted; an inactive one is created
// and then archived.
func insertDescribed(t *testing.T, db *sqlx.DB, companyID int64, name, description string, active bool) int64 {
	t.Helper()
	store := mysql.NewProductStore(db)
	p, err := store.Create(context.Background(), companyID, market.ProductDraft{
		Name: name, Description: description, Price: market.MustMoney("1.00"), Active: true,
	})
	if err != nil {
		t.Fatalf("create product %q: %v", name, err)
	}
	if !active {
		if _, err := store.Archive(context.Background(), companyID, p.ID, p.Version); err != nil {
			t.Fatalf("archive product %q: %v", name, err)
		}
	}
	return p.ID
}

// searchCaps are the thresholds at which the search switches from driving
// by its rarest word to scanning products: on a small catalog the default
// always drives by the word, and 1 always scans. Every plan must give the
// same answers.
var searchCaps = []struct {
	name string
	cap  int64
}{{"word plan", 1 << 40}, {"scan plan", 1}, {"cap 2", 2}, {"cap 3", 3}, {"cap 5", 5}}

// The search semantics of market/search.go, on whichever engine the tests
// run (the embedded one by default, MariaDB in CI): the same answers on
// both is the point.
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
	tomatoes := insertDescribed(t, db, grocer, "Cherry tomatoes", "Vine ripened, bio.", true)
	sauce := insertDescribed(t, db, grocer, "Tomato sauce", "Bio, no sugar added.", true)
	brulee := insertDescribed(t, db, cheap, "CRÈME BRÛLÉE", "Straße-style, O'Brien's recipe.", true)
	_ = stale

	ctx := context.Background()
	all := []int64{sourdough, natural, grains, rye, backslash, ciabatta, bin, pao, tomatoes, sauce, brulee}
	tests := []struct {
		name   string
		filter market.ProductFilter
		want   []int64
	}{
		{name: "no filter", want: all},
		{name: "company", filter: market.ProductFilter{CompanyID: bakery}, want: []int64{sourdough, rye, ciabatta, pao}},
		{name: "company without products", filter: market.ProductFilter{CompanyID: cheap + 100}, want: []int64{}},
		{name: "word prefix", filter: market.ProductFilter{Query: "tom"}, want: []int64{tomatoes, sauce}},
		{name: "whole word", filter: market.ProductFilter{Query: "tomatoes"}, want: []int64{tomatoes}},
		{name: "every word, any order", filter: market.ProductFilter{Query: "bio tomatoes"}, want: []int64{tomatoes}},
		{name: "every word required", filter: market.ProductFilter{Query: "tomatoes sugar"}, want: []int64{}},
		{name: "words of several fields", filter: market.ProductFilter{Query: "cherry ripened green"}, want: []int64{tomatoes}},
		{name: "prefixes of several words", filter: market.ProductFilter{Query: "tom bi gre"}, want: []int64{tomatoes, sauce}},
		{name: "a word's middle is no match", filter: market.ProductFilter{Query: "mato"}, want: []int64{}},
		{name: "repeated and implied words", filter: market.ProductFilter{Query: "tom TOMATO tomato"}, want: []int64{tomatoes, sauce}},
		{name: "name, any case", filter: market.ProductFilter{Query: "SOURdough"}, want: []int64{sourdough, ciabatta}},
		{name: "description only", filter: market.ProductFilter{Query: "leavened"}, want: []int64{sourdough}},
		{name: "company name", filter: market.ProductFilter{Query: "green basket"}, want: []int64{natural, grains, backslash, tomatoes, sauce}},
		{name: "company name prefixes", filter: market.ProductFilter{Query: "bas GR"}, want: []int64{natural, grains, backslash, tomatoes, sauce}},
		{name: "inactive never match", filter: market.ProductFilter{Query: "stale"}, want: []int64{}},
		{name: "company and text", filter: market.ProductFilter{CompanyID: bakery, Query: "bread"}, want: []int64{rye, ciabatta, pao}},
		{name: "company and prefix", filter: market.ProductFilter{CompanyID: grocer, Query: "b"}, want: []int64{natural, grains, backslash, tomatoes, sauce}},
		{name: "text of another company", filter: market.ProductFilter{CompanyID: grocer, Query: "leavened"}, want: []int64{}},
		{name: "percent separates", filter: market.ProductFilter{Query: "100%"}, want: []int64{natural, grains, rye}},
		{name: "underscore separates", filter: market.ProductFilter{Query: "natural_"}, want: []int64{sourdough, natural}},
		{name: "underscore is no wildcard", filter: market.ProductFilter{Query: "1_"}, want: []int64{natural, grains, rye}},
		{name: "underscore splits words", filter: market.ProductFilter{Query: "1_0"}, want: []int64{}},
		{name: "percent is no wildcard", filter: market.ProductFilter{Query: "%read"}, want: []int64{}},
		{name: "backslash separates", filter: market.ProductFilter{Query: `C:\bread`}, want: []int64{backslash, ciabatta, pao}},
		{name: "quotes are text", filter: market.ProductFilter{Query: `' OR '1'='1`}, want: []int64{}},
		{name: "apostrophe separates", filter: market.ProductFilter{Query: "o'brien"}, want: []int64{brulee}},
		{name: "non-ASCII text", filter: market.ProductFilter{Query: "pão"}, want: []int64{pao}},
		{name: "accents ignored", filter: market.ProductFilter{Query: "PAO DE"}, want: []int64{pao}},
		{name: "accents ignored in the product", filter: market.ProductFilter{Query: "creme brulee"}, want: []int64{brulee}},
		{name: "accents in the query", filter: market.ProductFilter{Query: "brûl CRÉ"}, want: []int64{brulee}},
		{name: "sharp s folds to ss", filter: market.ProductFilter{Query: "strasse"}, want: []int64{brulee}},
		{name: "company name with punctuation", filter: market.ProductFilter{Query: "shop 50"}, want: []int64{bin, brulee}},
		{name: "nothing matches", filter: market.ProductFilter{Query: "pizza"}, want: []int64{}},
		{name: "absent word beside a common one", filter: market.ProductFilter{Query: "bread pizza"}, want: []int64{}},
	}
	for _, c := range searchCaps {
		store := mysql.NewProductStoreScanCap(db, c.cap)
		for _, tt := range tests {
			t.Run(c.name+"/"+tt.name, func(t *testing.T) {
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
	}

	for _, q := range []string{"%", "_", `\`, "' -- %_", "a b c d e f g h i"} {
		t.Run("refused "+q, func(t *testing.T) {
			_, err := mysql.NewProductStore(db).ListActive(ctx, market.ProductPage{Limit: 10, Filter: market.ProductFilter{Query: q}})
			if market.ErrorCode(err) != market.CodeInvalid {
				t.Errorf("ListActive(q=%q) error = %v, want %s", q, err, market.CodeInvalid)
			}
		})
	}

	// Keyset pagination over a filtered result: pages of two visit every
	// match once, in id order, whichever filter and plan.
	pagination := []struct {
		name   string
		filter market.ProductFilter
		want   []int64
	}{
		{name: "company", filter: market.ProductFilter{CompanyID: bakery}, want: []int64{sourdough, rye, ciabatta, pao}},
		{name: "text", filter: market.ProductFilter{Query: "bread"}, want: []int64{rye, backslash, ciabatta, pao}},
		{name: "prefix", filter: market.ProductFilter{Query: "b"}, want: []int64{natural, grains, rye, backslash, ciabatta, bin, pao, tomatoes, sauce, brulee}},
		{name: "both", filter: market.ProductFilter{CompanyID: bakery, Query: "bread"}, want: []int64{rye, ciabatta, pao}},
	}
	for _, c := range searchCaps {
		store := mysql.NewProductStoreScanCap(db, c.cap)
		for _, tt := range pagination {
			t.Run(c.name+"/pages of "+tt.name, func(t *testing.T) {
				if got := allPages(t, store, tt.filter, 2); !slices.Equal(got, tt.want) {
					t.Errorf("all pages of %+v = %v, want %v", tt.filter, got, tt.want)
				}
			})
		}
	}

	t.Run("columns of a match", func(t *testing.T) {
		got, err := mysql.NewProductStore(db).ListActive(ctx, market.ProductPage{Limit: 1, Filter: market.ProductFilter{Query: "juice"}})
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

// allPages follows a filter's pages of size limit to the end.
func allPages(t *testing.T, store *mysql.ProductStore, filter market.ProductFilter, limit int) []int64 {
	t.Helper()
	all := []int64{}
	page := market.ProductPage{Limit: limit, Filter: filter}
	for range 50 {
		got, err := store.ListActive(context.Background(), page)
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
	return all
}

// The index follows every write: a product is found by its new words
// after a rename and by none after it is archived; reactivated, it is
// found again. The shop list's counts follow too.
func TestSearchFollowsWrites(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	bakery := insertCompany(t, db, "Padaria Sol")
	store := mysql.NewProductStore(db)
	companies := mysql.NewCompanyStore(db)
	ctx := context.Background()

	found := func(t *testing.T, q string) []int64 {
		t.Helper()
		for _, c := range searchCaps {
			got, err := mysql.NewProductStoreScanCap(db, c.cap).ListActive(ctx, market.ProductPage{Limit: 100, Filter: market.ProductFilter{Query: q}})
			if err != nil {
				t.Fatalf("ListActive(q=%q) error = %v", q, err)
			}
			if c.cap != searchCaps[0].cap {
				continue
			}
			return productIDs(got)
		}
		return nil
	}
	count := func(t *testing.T) int64 {
		t.Helper()
		list, err := companies.CatalogCompanies(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range list {
			if c.ID == bakery {
				return c.ProductCount
			}
		}
		return 0
	}
	draft := func(name, description string, active bool) market.ProductDraft {
		return market.ProductDraft{Name: name, Description: description, Price: market.MustMoney("2.00"), Active: active}
	}

	muffin, err := store.Create(ctx, bakery, draft("Blueberry muffin", "Baked at dawn.", true))
	if err != nil {
		t.Fatal(err)
	}
	hidden, err := store.Create(ctx, bakery, draft("Blueberry pie", "Not yet on sale.", false))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name     string
		write    func() error
		q        string
		want     []int64
		wantShop int64
	}{
		{name: "created", q: "blue", want: []int64{muffin.ID}, wantShop: 1},
		{name: "created inactive is not found", q: "pie", want: []int64{}, wantShop: 1},
		{name: "by company name", q: "padaria muf", want: []int64{muffin.ID}, wantShop: 1},
		{name: "renamed", write: func() error {
			_, err := store.Replace(ctx, bakery, muffin.ID, 1, draft("Lemon muffin", "Baked at noon.", true))
			return err
		}, q: "lemon noon", want: []int64{muffin.ID}, wantShop: 1},
		{name: "old words gone", q: "blueberry", want: []int64{}, wantShop: 1},
		{name: "stale version changes nothing", write: func() error {
			_, err := store.Replace(ctx, bakery, muffin.ID, 1, draft("Stale muffin", "", true))
			if market.ErrorCode(err) != market.CodePreconditionFailed {
				return fmt.Errorf("stale Replace error = %v, want precondition failed", err)
			}
			return nil
		}, q: "stale", want: []int64{}, wantShop: 1},
		{name: "archived", write: func() error {
			_, err := store.Archive(ctx, bakery, muffin.ID, 2)
			return err
		}, q: "lemon", want: []int64{}, wantShop: 0},
		{name: "archived twice counts once", write: func() error {
			_, err := store.Archive(ctx, bakery, muffin.ID, 0)
			return err
		}, q: "muffin", want: []int64{}, wantShop: 0},
		{name: "reactivated", write: func() error {
			_, err := store.Replace(ctx, bakery, muffin.ID, 4, draft("Lemon muffin", "Back again.", true))
			return err
		}, q: "lem again", want: []int64{muffin.ID}, wantShop: 1},
		{name: "inactive one activated", write: func() error {
			_, err := store.Replace(ctx, bakery, hidden.ID, 1, draft("Blueberry pie", "On sale.", true))
			return err
		}, q: "pie sale", want: []int64{hidden.ID}, wantShop: 2},
		{name: "an edit keeps it found", write: func() error {
			_, err := store.Replace(ctx, bakery, hidden.ID, 2, draft("Blueberry pie", "Whole, 8 slices.", true))
			return err
		}, q: "blue", want: []int64{hidden.ID}, wantShop: 2},
		{name: "another company's product is untouched", write: func() error {
			_, err := store.Archive(ctx, bakery+1, hidden.ID, 0)
			if market.ErrorCode(err) != market.CodeNotFound {
				return fmt.Errorf("Archive of another company error = %v, want not found", err)
			}
			return nil
		}, q: "pie", want: []int64{hidden.ID}, wantShop: 2},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if step.write != nil {
				if err := step.write(); err != nil {
					t.Fatal(err)
				}
			}
			if got := found(t, step.q); !slices.Equal(got, step.want) {
				t.Errorf("after %s: q=%q finds %v, want %v", step.name, step.q, got, step.want)
			}
			if got := count(t); got != step.wantShop {
				t.Errorf("after %s: shop count = %d, want %d", step.name, got, step.wantShop)
			}
		})
	}
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
	for _, p := range []struct {
		company int64
		name    string
		active  bool
	}{
		{zebra, "Pastrami", true},
		{bakery, "Sourdough", true}, {bakery, "Stale", false}, {bakery, "Croissant", true},
		{archived, "Ice cream", false},
		{grocer, "Bananas", true}, {grocer, "Lemons", true}, {grocer, "Eggs", true},
	} {
		insertDescribed(t, db, p.company, p.name, "", p.active)
	}

	got, err := store.CatalogCompanies(ctx)
	if err != nil {
		t.Fatalf("CatalogCompanies() error = %v", err)
	}
	// Companies that never set where or when they work: no location, the
	// default preparation time, open at every hour.
	want := []market.CatalogCompany{
		{ID: grocer, Name: "Green Basket Grocers", ProductCount: 3},
		{ID: bakery, Name: "Padaria Sol", ProductCount: 2},
		{ID: zebra, Name: "Zebra Deli", ProductCount: 1},
	}
	for i := range want {
		want[i].PrepMinutes, want[i].Hours = market.DefaultPrepMinutes, market.AlwaysOpen()
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CatalogCompanies() = %+v, want %+v", got, want)
	}
}

// The counts stay exact under concurrent writes: goroutines create,
// archive and reactivate products of two companies at once, and each
// count then equals a COUNT(*) of the products (on MariaDB, with real row
// locks and deadlocks; the embedded engine runs them one at a time).
func TestCatalogCountsUnderConcurrentWrites(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	companies := []int64{insertCompany(t, db, "North Bakery"), insertCompany(t, db, "South Bakery")}
	store := mysql.NewProductStore(db)
	ctx := context.Background()

	const workers, rounds = 8, 12
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			company := companies[w%2]
			for r := range rounds {
				d := market.ProductDraft{Name: fmt.Sprintf("Loaf %d-%d", w, r), Price: market.MustMoney("3.00"), Active: r%3 != 0}
				p, err := store.Create(ctx, company, d)
				if err != nil {
					errs <- fmt.Errorf("create: %w", err)
					return
				}
				if r%2 == 0 {
					if p, err = store.Archive(ctx, company, p.ID, 0); err != nil {
						errs <- fmt.Errorf("archive: %w", err)
						return
					}
				}
				if r%4 == 0 {
					d.Active = true
					if _, err = store.Replace(ctx, company, p.ID, p.Version, d); err != nil {
						errs <- fmt.Errorf("reactivate: %w", err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	list, err := mysql.NewCompanyStore(db).CatalogCompanies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	shown := map[int64]int64{}
	for _, c := range list {
		shown[c.ID] = c.ProductCount
	}
	for _, id := range companies {
		var want int64
		if err := db.GetContext(ctx, &want, `SELECT COUNT(*) FROM products WHERE company_id = ? AND active = TRUE`, id); err != nil {
			t.Fatal(err)
		}
		if want == 0 || shown[id] != want {
			t.Errorf("company %d shows %d active products, COUNT(*) = %d", id, shown[id], want)
		}
		var words int64
		if err := db.GetContext(ctx, &words, `SELECT COUNT(DISTINCT w.product_id) FROM product_words w JOIN products p ON p.id = w.product_id WHERE p.company_id = ?`, id); err != nil {
			t.Fatal(err)
		}
		if words != want {
			t.Errorf("company %d: %d products indexed, %d active", id, words, want)
		}
	}
}

// The migration's backfill: products written before the index existed
// (here, by plain SQL) become searchable and counted, and running it again
// changes nothing.
func TestRebuildCatalogIndex(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	bakery := insertCompany(t, db, "Padaria Sol")
	ids := insertProducts(t, db, bakery, seedProduct{"Sourdough loaf", "6.50", true}, seedProduct{"Stale bread", "0.50", false}, seedProduct{"Rye bread", "4.00", true})
	ctx := context.Background()
	for run := 1; run <= 2; run++ {
		tx, err := db.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := mysql.RebuildCatalogIndex(ctx, tx); err != nil {
			t.Fatalf("RebuildCatalogIndex (run %d) error = %v", run, err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		got, err := mysql.NewProductStore(db).ListActive(ctx, market.ProductPage{Limit: 10, Filter: market.ProductFilter{Query: "padaria br"}})
		if err != nil || !slices.Equal(productIDs(got), []int64{ids[2]}) {
			t.Errorf("after rebuild %d: q=padaria br = %v, %v, want [%d]", run, productIDs(got), err, ids[2])
		}
		shops, err := mysql.NewCompanyStore(db).CatalogCompanies(ctx)
		if err != nil || len(shops) != 1 || shops[0].ProductCount != 2 {
			t.Errorf("after rebuild %d: CatalogCompanies() = %+v, %v, want Padaria Sol with 2", run, shops, err)
		}
	}
}
