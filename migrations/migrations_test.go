package migrations_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/migrations"
)

var (
	fileName    = regexp.MustCompile(`^[0-9]{5}_[a-z0-9_]+\.sql$`)
	binaryFloat = regexp.MustCompile(`(?i)\b(FLOAT|DOUBLE|REAL)\b`)
)

// migrationFiles returns the SQL and Go migrations in version order.
func migrationFiles(t *testing.T) []string {
	t.Helper()
	sqlFiles, err := fs.Glob(os.DirFS("."), "*.sql")
	if err != nil || len(sqlFiles) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	goFiles, err := fs.Glob(os.DirFS("."), "[0-9][0-9][0-9][0-9][0-9]_*.go")
	if err != nil {
		t.Fatal(err)
	}
	return slices.Sorted(slices.Values(append(sqlFiles, goFiles...)))
}

// Every migration is numbered without gaps, Go migrations among the SQL
// files, and every SQL one is a goose file with both directions.
func TestFiles(t *testing.T) {
	for i, name := range migrationFiles(t) {
		t.Run(name, func(t *testing.T) {
			if want := fmt.Sprintf("%05d_", i+1); !strings.HasPrefix(name, want) {
				t.Errorf("%s should start with %s: versions run without gaps", name, want)
			}
			if strings.HasSuffix(name, ".go") {
				return
			}
			if !fileName.MatchString(name) {
				t.Errorf("%s is not named NNNNN_name.sql", name)
			}
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			text := string(b)
			up, down := strings.Index(text, "-- +goose Up"), strings.Index(text, "-- +goose Down")
			if up < 0 || down < up {
				t.Errorf("%s needs -- +goose Up followed by -- +goose Down", name)
			}
			for i, line := range strings.Split(text, "\n") {
				if code, _, _ := strings.Cut(line, "--"); binaryFloat.MatchString(code) {
					t.Errorf("%s:%d uses a binary float type: %q; money is DECIMAL", name, i+1, line)
				}
			}
		})
	}
}

// Up reaches the latest version and is idempotent: a second run (the
// local runner on each start, the migrate Lambda on each deploy) is a no-op.
func TestUpIdempotent(t *testing.T) {
	t.Parallel()
	entries := migrationFiles(t)
	db := dbtest.MustOpenDB(t) // already migrated once
	for run := 1; run <= 2; run++ {
		version, err := migrations.Up(context.Background(), db.DB)
		if err != nil {
			t.Fatalf("Up (run %d) error = %v", run, err)
		}
		if version != int64(len(entries)) {
			t.Errorf("Up (run %d) = version %d, want %d", run, version, len(entries))
		}
	}
	for _, table := range []string{"companies", "products"} {
		var n int
		if err := db.GetContext(context.Background(), &n, "SELECT COUNT(*) FROM "+table); err != nil {
			t.Errorf("table %s after Up: %v", table, err)
		}
	}
}

// Tests create, migrate, write and drop databases of their own in
// parallel (dbtest's promise); on the embedded engine too, none may see
// another's database come or go, or lose its own writes.
func TestParallelDatabases(t *testing.T) {
	for i := range 24 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := dbtest.MustOpenDB(t)
			for j := range 5 {
				if _, err := db.ExecContext(ctx, `INSERT INTO companies (name) VALUES (?)`, fmt.Sprint("Company ", i, ".", j)); err != nil {
					t.Fatal(err)
				}
			}
			var n int
			if err := db.GetContext(ctx, &n, `SELECT COUNT(*) FROM companies`); err != nil || n != 5 {
				t.Errorf("SELECT COUNT(*) FROM companies = %d, %v; want the 5 rows this test wrote", n, err)
			}
		})
	}
}

// A photo is whole or absent, and so is the record of a refused upload:
// the CHECKs of migration 9 refuse half of either on both engines.
func TestProductImageChecks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.MustOpenDB(t)
	if _, err := db.ExecContext(ctx, `INSERT INTO companies (id, name) VALUES (1, 'Padaria Sol')`); err != nil {
		t.Fatal(err)
	}
	hash := strings.Repeat("ab", 32)
	upload := strings.Repeat("cd", 16)
	tests := []struct {
		name    string
		columns string
		values  []any
		ok      bool
	}{
		{name: "no photo", ok: true},
		{name: "whole photo", columns: ", image_320, image_960, image_width, image_height", values: []any{hash, hash, 960, 720}, ok: true},
		{name: "no 320 variant", columns: ", image_960, image_width, image_height", values: []any{hash, 960, 720}},
		{name: "no size", columns: ", image_320, image_960", values: []any{hash, hash}},
		{name: "zero width", columns: ", image_320, image_960, image_width, image_height", values: []any{hash, hash, 0, 720}},
		{
			name: "whole refusal", columns: ", image_error_reason, image_error_message, image_error_upload, image_error_at",
			values: []any{"undecodable", "not an image", upload, "2026-11-30 12:00:00"}, ok: true,
		},
		{name: "refusal without its upload", columns: ", image_error_reason, image_error_message", values: []any{"undecodable", "not an image"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			placeholders := strings.Repeat(", ?", len(tt.values))
			args := append([]any{i + 1}, tt.values...)
			_, err := db.ExecContext(ctx, `INSERT INTO products (id, company_id, name, price`+tt.columns+`)
VALUES (?, 1, 'Sourdough loaf', 4.50`+placeholders+`)`, args...)
			if (err == nil) != tt.ok {
				t.Errorf("INSERT product with%s = %v, want accepted %v", tt.columns, err, tt.ok)
			}
		})
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO orders (id, currency, item_count, subtotal, total, customer_name, customer_phone, customer_address, created_at, updated_at)
VALUES ('o1', 'USD', 1, 4.50, 4.50, 'Ana', '+351912345678', 'Rua Augusta 10, Lisboa', '2026-11-30', '2026-11-30')`); err != nil {
		t.Fatal(err)
	}
	line := `INSERT INTO order_items (order_id, line_no, product_id, company_id, company_name, product_name, unit_price, quantity, line_total, image_320, image_960, image_width, image_height)
VALUES ('o1', ?, 1, 1, 'Padaria Sol', 'Sourdough loaf', 4.50, 1, 4.50, ?, ?, ?, ?)`
	if _, err := db.ExecContext(ctx, line, 1, hash, hash, 960, 720); err != nil {
		t.Errorf("INSERT order line with a whole photo = %v, want accepted", err)
	}
	if _, err := db.ExecContext(ctx, line, 2, hash, nil, 960, 720); err == nil {
		t.Errorf("INSERT order line with half a photo accepted, want refused")
	}
}

// Migration 9 goes down and up again: its Down drops exactly what its Up
// added, so the products written before keep their rows.
func TestProductImagesDownAndUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.MustOpenDB(t)
	if _, err := db.ExecContext(ctx, `INSERT INTO companies (id, name) VALUES (1, 'Padaria Sol')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO products (id, company_id, name, price, image_320, image_960, image_width, image_height)
VALUES (1, 1, 'Sourdough loaf', 4.50, ?, ?, 960, 720)`, strings.Repeat("ab", 32), strings.Repeat("cd", 32)); err != nil {
		t.Fatal(err)
	}
	provider, err := migrations.NewProvider(db.DB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.DownTo(ctx, 8); err != nil {
		t.Fatalf("DownTo(8) error = %v", err)
	}
	for _, table := range []string{"products", "order_items"} {
		if _, err := db.ExecContext(ctx, `SELECT image_320 FROM `+table); err == nil {
			t.Errorf("%s still has image_320 after migration 9 went down", table)
		}
	}
	if _, err := provider.Up(ctx); err != nil {
		t.Fatalf("Up after DownTo(8) error = %v", err)
	}
	var photo struct {
		Name  string  `db:"name"`
		Image *string `db:"image_320"`
	}
	if err := db.GetContext(ctx, &photo, `SELECT name, image_320 FROM products WHERE id = 1`); err != nil {
		t.Fatalf("product after down and up: %v", err)
	}
	if photo.Name != "Sourdough loaf" || photo.Image != nil {
		t.Errorf("product after down and up = %q with photo %v, want its name and no photo (Down drops it)", photo.Name, photo.Image)
	}
}
