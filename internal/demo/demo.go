// Package demo seeds an empty database with demo companies, their products
// and pickup details, and two carriers, so that the local runner starts
// with a catalog to browse and people to sign in as. Every phone number
// here is made up.
package demo

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// Company is a demo company with its pickup details and products.
type Company struct {
	Name     string
	Address  string
	Phone    string
	Location market.Location
	Products []Product
}

// Carrier is a demo carrier.
type Carrier struct {
	Name, Phone string
}

// Carriers are the demo carriers: they sign in with a code sent to their
// phone, which the local runner's SMS outbox shows.
var Carriers = []Carrier{
	{Name: "Rui Costa", Phone: "+351910000001"},
	{Name: "Marta Lima", Phone: "+351910000002"},
}

// Product is a demo product; Price is a decimal string.
type Product struct {
	Name, Description, Price string
}

// Companies is the demo catalog: three local companies, 24 products.
var Companies = []Company{
	{Name: "Padaria Sol", Address: "Rua do Sol 12, 1200-001 Lisboa", Phone: "+351210000001",
		Location: market.Location{Lat: 38.7139, Lng: -9.1394}, Products: []Product{
			{"Sourdough loaf", "Naturally leavened, baked this morning.", "6.50"},
			{"Pão de queijo (6)", "Cheese bread rolls, gluten free.", "4.20"},
			{"Croissant", "All-butter, laminated by hand.", "2.75"},
			{"Cinnamon roll", "With cream cheese icing.", "3.10"},
			{"Baguette", "Crisp crust, open crumb.", "2.40"},
			{"Carrot cake slice", "With chocolate topping.", "3.95"},
			{"Rye sandwich bread", "Sliced, 750 g.", "5.80"},
			{"Espresso beans 250 g", "Medium roast from Minas Gerais.", "9.90"},
		}},
	{Name: "Green Basket Grocers", Address: "Avenida Verde 40, 1000-002 Lisboa", Phone: "+351210000002",
		Location: market.Location{Lat: 38.7262, Lng: -9.1497}, Products: []Product{
			{"Organic bananas (1 kg)", "Fair trade.", "2.19"},
			{"Avocados (3)", "Ready to eat.", "4.49"},
			{"Cherry tomatoes 500 g", "Vine ripened.", "3.29"},
			{"Free-range eggs (12)", "Large, from a farm 20 km away.", "5.99"},
			{"Whole milk 1 l", "Pasteurised, not homogenised.", "1.49"},
			{"Greek yoghurt 500 g", "Plain, 10% fat.", "3.79"},
			{"Baby spinach 200 g", "Washed and ready.", "2.59"},
			{"Lemons (4)", "Unwaxed.", "1.99"},
		}},
	{Name: "Casa Nonna Kitchen", Address: "Travessa da Nonna 3, 1100-003 Lisboa", Phone: "+351210000003",
		Location: market.Location{Lat: 38.7115, Lng: -9.1300}, Products: []Product{
			{"Lasagna for two", "Beef ragù, béchamel, parmesan.", "18.50"},
			{"Margherita pizza", "San Marzano tomato, fior di latte.", "11.00"},
			{"Fresh tagliatelle 400 g", "Egg pasta, cut today.", "6.25"},
			{"Pesto genovese 180 g", "Basil, pine nuts, pecorino.", "5.40"},
			{"Tiramisu", "Mascarpone, espresso, cocoa.", "6.90"},
			{"Minestrone 1 l", "Seasonal vegetables, borlotti beans.", "7.30"},
			{"Focaccia", "Rosemary and sea salt.", "4.80"},
			{"Cannoli (3)", "Ricotta and candied orange.", "8.10"},
		}},
}

// SeedIfEmpty inserts Companies when the database has no company yet, and
// reports whether it did. On a database that holds the demo companies,
// seeded now or by an earlier version, it also adds what the demo has
// gained since and is missing: the companies' pickup details and the
// carriers. It never adds a row twice, never changes details someone has
// set, and never brings back a carrier someone removed. Each step runs in
// one transaction: all or nothing.
func SeedIfEmpty(ctx context.Context, db *sqlx.DB) (bool, error) {
	var n int
	if err := db.GetContext(ctx, &n, `SELECT COUNT(*) FROM companies`); err != nil {
		return false, fmt.Errorf("demo: count companies: %w", err)
	}
	seeded := false
	if n == 0 {
		if err := inTx(ctx, db, insertCatalog); err != nil {
			return false, err
		}
		seeded = true
	}
	if err := inTx(ctx, db, topUp); err != nil {
		return false, err
	}
	return seeded, nil
}

func inTx(ctx context.Context, db *sqlx.DB, fn func(context.Context, *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer tx.Rollback()
	if err := fn(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("demo: commit: %w", err)
	}
	return nil
}

const (
	insertCompany       = `INSERT INTO companies (name) VALUES (?)`
	countCompaniesNamed = `SELECT COUNT(*) FROM companies WHERE name = ?`
	companyPhoneTaken   = `SELECT COUNT(*) FROM companies WHERE phone = ?`
	// Only a demo company whose details were never set gets the demo's.
	setPickupDetails = `UPDATE companies SET address = ?, phone = ? WHERE name = ? AND address = '' AND phone IS NULL`
	setLocation      = `UPDATE companies SET lat = ?, lng = ? WHERE name = ? AND lat IS NULL AND lng IS NULL`
	carrierExists    = `SELECT COUNT(*) FROM carriers WHERE phone = ?`
	insertCarrier    = `INSERT INTO carriers (name, phone, active) VALUES (?, ?, TRUE)`
)

func insertCatalog(ctx context.Context, tx *sqlx.Tx) error {
	for _, c := range Companies {
		res, err := tx.ExecContext(ctx, insertCompany, c.Name)
		if err != nil {
			return fmt.Errorf("demo: insert company: %w", err)
		}
		companyID, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		// Through the store, which also indexes the products for search
		// and counts them in the company's active products.
		products := mysql.NewProductStore(tx)
		for _, p := range c.Products {
			draft := market.ProductDraft{Name: p.Name, Description: p.Description, Price: market.MustMoney(p.Price), Active: true}
			if _, err := products.Create(ctx, companyID, draft); err != nil {
				return fmt.Errorf("demo: insert product: %w", err)
			}
		}
	}
	return nil
}

// topUp adds the pickup details and carriers to a database with the demo
// companies; a database of real companies gets no made-up carriers.
func topUp(ctx context.Context, tx *sqlx.Tx) error {
	count := func(query, arg string) (int, error) {
		var n int
		err := tx.GetContext(ctx, &n, query, arg)
		return n, err
	}
	for _, c := range Companies {
		n, err := count(countCompaniesNamed, c.Name)
		if err != nil {
			return fmt.Errorf("demo: find company: %w", err)
		}
		if n == 0 {
			return nil
		}
	}
	for _, c := range Companies {
		// A phone another company took is left to it.
		taken, err := count(companyPhoneTaken, c.Phone)
		if err != nil {
			return fmt.Errorf("demo: find company phone: %w", err)
		}
		if taken > 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, setPickupDetails, c.Address, c.Phone, c.Name); err != nil {
			return fmt.Errorf("demo: set pickup details: %w", err)
		}
	}
	// The demo shops keep no hours: a shop that never set them is open
	// at every hour, so nothing local depends on the clock.
	for _, c := range Companies {
		if _, err := tx.ExecContext(ctx, setLocation, c.Location.Lat, c.Location.Lng, c.Name); err != nil {
			return fmt.Errorf("demo: set location: %w", err)
		}
	}
	for _, c := range Carriers {
		exists, err := count(carrierExists, c.Phone)
		if err != nil {
			return fmt.Errorf("demo: find carrier: %w", err)
		}
		if exists > 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, insertCarrier, c.Name, c.Phone); err != nil {
			return fmt.Errorf("demo: insert carrier: %w", err)
		}
	}
	return nil
}
