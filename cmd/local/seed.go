package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/deliverymarket/delivery/internal/cli"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/migrations"
)

// seedBatch is how many products one transaction adds: large enough that
// the round trips do not count, small enough to keep transactions short.
const seedBatch = 10000

// seedCommand tops a MySQL database up to a generated catalog of -products
// products over -companies companies (internal/demo/catalog.go): the
// database is created and migrated if needed, the companies are created
// unless they exist, and products are added until there are -products in
// all, so that running it again adds nothing and a larger -products adds
// only the difference. Progress goes to stderr. The runner draws the demo
// products' photos at its start; `go run ./cmd/deployment seed-photos`
// puts them in a deployment's buckets.
func seedCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("seed", flag.ContinueOnError)
	flags.SetOutput(stderr)
	dsn := flags.String("dsn", os.Getenv("DELIVERY_DSN"), "MySQL DSN of the database to fill, e.g. 'root@tcp(127.0.0.1:3306)/catalog1m' (env DELIVERY_DSN)")
	products := flags.Int("products", 1000, "how many products the catalog should hold in all")
	companies := flags.Int("companies", 2000, "how many companies the generated products belong to")
	if err := cli.Parse(flags, args); err != nil {
		return err
	}
	if *dsn == "" {
		return cli.Usagef("seed: -dsn is required: the embedded database is gone when the process stops")
	}
	if *products < 0 || *companies < 1 {
		return cli.Usagef("seed: -products must be at least 0 and -companies at least 1")
	}
	start := time.Now()
	if err := mysql.CreateDatabase(ctx, *dsn); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	// One connection: the seed runs one statement at a time, and on the
	// embedded engine a pool must not have more (embeddb.PoolSize).
	db, err := mysql.OpenDSN(*dsn, 1)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	defer db.Close()
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		return fmt.Errorf("seed: %w", err)
	}

	names := make([]string, *companies)
	for i := range names {
		names[i] = demo.CatalogCompanyName(i)
	}
	companyIDs := make([]int64, *companies)
	store := mysql.NewCompanyStore(db)
	for from := 0; from < len(names); from += 1000 {
		chunk := names[from:min(from+1000, len(names))]
		ids, err := store.EnsureMany(ctx, chunk)
		if err != nil {
			return fmt.Errorf("seed: companies: %w", err)
		}
		for i, name := range chunk {
			companyIDs[from+i] = ids[name]
		}
	}

	have, err := mysql.CountProducts(ctx, db)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	perCompany := (*products + *companies - 1) / *companies
	target := int64(*products)
	fmt.Fprintf(stderr, "seed: %d companies; %d products, target %d\n", *companies, have, target)
	for n := have; n < target; {
		size := min(int64(seedBatch), target-n)
		batch := make([]mysql.NewProduct, size)
		for i := range batch {
			p := demo.GenerateProduct(int(n)+i, perCompany, *companies)
			batch[i] = mysql.NewProduct{CompanyID: companyIDs[p.Company], Name: p.Name, Description: p.Description, Price: market.MustMoney(p.Price)}
		}
		if err := mysql.LoadProducts(ctx, db, batch); err != nil {
			return fmt.Errorf("seed: products: %w", err)
		}
		n += size
		elapsed := time.Since(start)
		fmt.Fprintf(stderr, "seed: %d/%d products (%d%%), %s\n", n, target, n*100/max(target, 1), elapsed.Round(100*time.Millisecond))
	}
	if err := mysql.AnalyzeCatalog(ctx, db); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	total, err := mysql.CountProducts(ctx, db)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(stdout, "seeded: %d products, %d companies in %s\n", total, *companies, time.Since(start).Round(100*time.Millisecond))
	fmt.Fprintf(stdout, "search words: common %q, common pair %q, prefix %q, 1 in 1,000 %q, 1 in 10,000 %q, absent %q\n",
		demo.SearchCommon, demo.SearchCommonPair, demo.SearchPrefix, demo.SearchMedium, demo.SearchRare, demo.SearchAbsent)
	return nil
}
