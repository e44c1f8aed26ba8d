package migrations_test

import (
	"context"
	"testing"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/migrations"
)

// Migration 13 goes down to the schema of 12 and up again: the columns and
// the area table go and come back, an order placed before it gets its
// total as subtotal and no fee, and a company the defaults of one that
// never set its location or hours.
func TestDeliveryDownAndUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.MustOpenDB(t)
	if _, err := db.ExecContext(ctx, `INSERT INTO companies (id, name, lat, lng, prep_minutes, paused) VALUES (1, 'Padaria Sol', 38.7105, -9.1365, 30, TRUE)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO delivery_areas (id, geojson, version, updated_at) VALUES (1, '{}', 1, UTC_TIMESTAMP(6))`); err != nil {
		t.Fatal(err)
	}
	provider, err := migrations.NewProvider(db.DB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.DownTo(ctx, 12); err != nil {
		t.Fatalf("DownTo(12) error = %v", err)
	}
	gone := []string{
		`SELECT lat, lng, prep_minutes, opening_hours, paused FROM companies`,
		`SELECT id FROM delivery_areas`,
		`SELECT subtotal FROM orders`, `SELECT delivery_fee FROM orders`, `SELECT delivery_km FROM orders`,
		`SELECT delivery_estimate FROM orders`, `SELECT delivery_lat, delivery_lng FROM orders`,
		`SELECT pickup_lat, pickup_lng FROM orders`, `SELECT eta_earliest, eta_latest FROM orders`,
	}
	for _, q := range gone {
		if _, err := db.ExecContext(ctx, q); err == nil {
			t.Errorf("%s works after migration 13 went down", q)
		}
	}
	// An order as placed before migration 13.
	if _, err := db.ExecContext(ctx, `INSERT INTO orders (id, delivery_id, currency, item_count, total, customer_name, customer_phone,
    customer_address, created_at, updated_at)
VALUES ('order-1', 'delivery-1', 'USD', 2, 13.00, 'Ana Silva', '+351912345678', 'Rua Augusta 10, Lisboa', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))`); err != nil {
		t.Fatal(err)
	}

	if _, err := provider.Up(ctx); err != nil {
		t.Fatalf("Up after DownTo(12) error = %v", err)
	}
	var order struct {
		Subtotal string  `db:"subtotal"`
		Fee      string  `db:"delivery_fee"`
		Total    string  `db:"total"`
		Km       *string `db:"delivery_km"`
		Lat      *string `db:"delivery_lat"`
		ETA      *string `db:"eta_earliest"`
	}
	if err := db.GetContext(ctx, &order, `SELECT subtotal, delivery_fee, total, delivery_km, delivery_lat, eta_earliest FROM orders WHERE id = 'order-1'`); err != nil {
		t.Fatal(err)
	}
	if order.Subtotal != "13.00" || order.Fee != "0.00" || order.Total != "13.00" || order.Km != nil || order.Lat != nil || order.ETA != nil {
		t.Errorf("an order of before migration 13 = %+v, want subtotal 13.00, no fee, total 13.00, no delivery", order)
	}
	var company struct {
		Lat    *string `db:"lat"`
		Prep   int     `db:"prep_minutes"`
		Hours  *string `db:"opening_hours"`
		Paused bool    `db:"paused"`
	}
	if err := db.GetContext(ctx, &company, `SELECT lat, prep_minutes, opening_hours, paused FROM companies WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	if company.Lat != nil || company.Prep != 15 || company.Hours != nil || company.Paused {
		t.Errorf("a company after down and up = %+v, want no location, 15 minutes, no hours, not paused", company)
	}
	var areas int
	if err := db.GetContext(ctx, &areas, `SELECT COUNT(*) FROM delivery_areas`); err != nil || areas != 0 {
		t.Errorf("delivery areas after down and up = %d, %v; want none (Down drops them)", areas, err)
	}
}
