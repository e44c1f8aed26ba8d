package demo_test

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
)

type companyRow struct {
	Name    string  `db:"name"`
	Address string  `db:"address"`
	Phone   *string `db:"phone"`
}

type carrierRow struct {
	Name   string `db:"name"`
	Phone  string `db:"phone"`
	Active bool   `db:"active"`
}

func state(t *testing.T, db *sqlx.DB) ([]companyRow, []carrierRow, int) {
	t.Helper()
	var companies []companyRow
	var carriers []carrierRow
	var products int
	if err := db.Select(&companies, `SELECT name, address, phone FROM companies ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if err := db.Select(&carriers, `SELECT name, phone, active FROM carriers ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&products, `SELECT COUNT(*) FROM products`); err != nil {
		t.Fatal(err)
	}
	return companies, carriers, products
}

func seed(t *testing.T, db *sqlx.DB, want bool) {
	t.Helper()
	seeded, err := demo.SeedIfEmpty(context.Background(), db)
	if err != nil || seeded != want {
		t.Fatalf("SeedIfEmpty = %v, %v, want %v", seeded, err, want)
	}
}

func exec(t *testing.T, db *sqlx.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func TestSeed(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	seed(t, db, true)
	seed(t, db, false)
	companies, carriers, products := state(t, db)
	if len(companies) != 3 || products != 24 || len(carriers) != 2 {
		t.Fatalf("after two seeds: %d companies, %d products, %d carriers, want 3, 24, 2", len(companies), products, len(carriers))
	}
	for i, c := range companies {
		want := demo.Companies[i]
		if c.Name != want.Name || c.Address != want.Address || c.Phone == nil || *c.Phone != want.Phone {
			t.Errorf("company %d = %+v, want %s with its pickup details", i, c, want.Name)
		}
	}
	for i, c := range carriers {
		if c.Name != demo.Carriers[i].Name || c.Phone != demo.Carriers[i].Phone || !c.Active {
			t.Errorf("carrier %d = %+v, want %+v, active", i, c, demo.Carriers[i])
		}
	}
}

// TestSeedTopsUpAnOlderDemo: a database seeded before the demo had pickup
// details and carriers gets them, once, without undoing what people
// changed since.
func TestSeedTopsUpAnOlderDemo(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	seed(t, db, true)
	// What an older seed left: no details, no carriers.
	exec(t, db, `UPDATE companies SET address = '', phone = NULL`)
	exec(t, db, `DELETE FROM carriers`)
	// And what someone did since: their own details, their own carrier.
	exec(t, db, `UPDATE companies SET address = 'Rua Nova 1, Porto', phone = '+351220000009' WHERE name = ?`, demo.Companies[1].Name)
	exec(t, db, `INSERT INTO carriers (name, phone, active) VALUES ('Rui Costa', ?, FALSE)`, demo.Carriers[0].Phone)

	seed(t, db, false)
	seed(t, db, false)
	companies, carriers, products := state(t, db)
	if products != 24 || len(companies) != 3 {
		t.Errorf("catalog = %d companies, %d products, want the same 3 and 24", len(companies), products)
	}
	if c := companies[0]; c.Address != demo.Companies[0].Address || c.Phone == nil || *c.Phone != demo.Companies[0].Phone {
		t.Errorf("company without details = %+v, want the demo's", c)
	}
	if c := companies[1]; c.Address != "Rua Nova 1, Porto" || *c.Phone != "+351220000009" {
		t.Errorf("company with its own details = %+v, want them kept", c)
	}
	if len(carriers) != 2 || carriers[0].Active || carriers[1].Phone != demo.Carriers[1].Phone || !carriers[1].Active {
		t.Errorf("carriers = %+v, want the removed one left removed and the other added once", carriers)
	}
}

// TestSeedLeavesOtherDatabasesAlone: a database of real companies gets no
// made-up carriers or details.
func TestSeedLeavesOtherDatabasesAlone(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	exec(t, db, `INSERT INTO companies (name) VALUES ('Real Bakery')`)
	seed(t, db, false)
	companies, carriers, products := state(t, db)
	if len(companies) != 1 || companies[0].Phone != nil || len(carriers) != 0 || products != 0 {
		t.Errorf("after seeding a real database: %+v, %+v, %d products, want it unchanged", companies, carriers, products)
	}
}
