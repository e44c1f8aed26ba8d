package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// The seed at a small size, on whichever engine the tests run: it makes
// the catalog it promises, running it again adds nothing, and a larger
// target adds only the difference, indexed and counted like any product.
func TestSeedCommand(t *testing.T) {
	t.Setenv("DELIVERY_DSN", "")
	dsn := dbtest.NewDSN(t)
	ctx := context.Background()
	seed := func(t *testing.T, products string) string {
		t.Helper()
		var stdout, stderr syncBuffer
		err := run(ctx, []string{"seed", "-dsn", dsn, "-products", products, "-companies", "20"}, &stdout, &stderr, nil)
		if err != nil {
			t.Fatalf("seed -products %s: %v (stderr %s)", products, err, stderr.String())
		}
		return stdout.String()
	}
	db, err := mysql.OpenDSN(dsn, dbtest.PoolSize())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	check := func(t *testing.T, want int64) {
		t.Helper()
		if n, err := mysql.CountProducts(ctx, db); err != nil || n != want {
			t.Fatalf("products = %d, %v, want %d", n, err, want)
		}
		shops, err := mysql.NewCompanyStore(db).CatalogCompanies(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var counted int64
		for _, s := range shops {
			counted += s.ProductCount
		}
		if len(shops) != 20 || counted != want {
			t.Errorf("GET /api/companies lists %d shops with %d products, want 20 with %d", len(shops), counted, want)
		}
		// One product in a thousand has the medium word, counting from 0.
		page := market.ProductPage{Limit: 100, Filter: market.ProductFilter{Query: demo.SearchMedium}}
		found, err := mysql.NewProductStore(db).ListActive(ctx, page)
		if err != nil {
			t.Fatal(err)
		}
		if want := int((want + 666) / 1000); len(found) != want {
			t.Errorf("q=%s finds %d products, want %d", demo.SearchMedium, len(found), want)
		}
		page.Filter.Query = demo.SearchCommon
		if found, err := mysql.NewProductStore(db).ListActive(ctx, page); err != nil || len(found) < 20 {
			t.Errorf("q=%s finds %d products, %v; want many", demo.SearchCommon, len(found), err)
		}
	}

	// go-mysql-server's memory tables sort themselves as rows go in, so
	// one multi-row insert of indexed words costs the rows it adds times
	// the rows already there: topping 600 products up to 700 took a few
	// seconds on a quiet machine and more than the driver's 30 s read
	// timeout beside the browser tests. A smaller catalog there, whose
	// top-up still crosses the 334th product, the first with the medium
	// search word.
	size, more := 2000, 2500
	if os.Getenv(dbtest.EnvDSN) == "" {
		size, more = 300, 350
	}
	if out := seed(t, strconv.Itoa(size)); !strings.Contains(out, fmt.Sprintf("seeded: %d products, 20 companies", size)) {
		t.Errorf("seed output = %q, want the catalog", out)
	}
	check(t, int64(size))
	var first []int64
	if err := db.SelectContext(ctx, &first, `SELECT id FROM products ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	seed(t, strconv.Itoa(size))
	check(t, int64(size))
	seed(t, strconv.Itoa(more))
	check(t, int64(more))
	var after []int64
	if err := db.SelectContext(ctx, &after, `SELECT id FROM products ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(after[:len(first)], first) {
		t.Errorf("topping up changed the first products' ids")
	}
}

// Generated products are the same whenever they are generated, with the
// search words at their documented rates.
func TestGenerateProduct(t *testing.T) {
	if a, b := demo.GenerateProduct(12345, 500, 2000), demo.GenerateProduct(12345, 500, 2000); a != b {
		t.Errorf("GenerateProduct(12345) = %+v, then %+v", a, b)
	}
	const n = 100000
	counts := map[string]int{}
	for i := range n {
		p := demo.GenerateProduct(i, 50, 2000)
		words := market.IndexWords(p.Name, p.Description, demo.CatalogCompanyName(p.Company))
		for _, term := range []string{demo.SearchCommon, "bread", demo.SearchPrefix, demo.SearchMedium, demo.SearchRare, demo.SearchAbsent, "zz"} {
			if slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, term) }) {
				counts[term]++
			}
		}
	}
	for term, want := range map[string][2]int{
		demo.SearchCommon: {n / 5, n / 3}, "bread": {n / 12, n / 8}, demo.SearchPrefix: {n / 20, n / 12},
		demo.SearchMedium: {n / 1000, n / 1000}, demo.SearchRare: {n / 10000, n / 10000},
		demo.SearchAbsent: {0, 0}, "zz": {0, 0},
	} {
		if got := counts[term]; got < want[0] || got > want[1] {
			t.Errorf("%q in %d of %d products, want %d to %d", term, got, n, want[0], want[1])
		}
	}
}
