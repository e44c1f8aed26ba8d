package migrations_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/migrations"
)

var (
	fileName    = regexp.MustCompile(`^[0-9]{5}_[a-z0-9_]+\.sql$`)
	binaryFloat = regexp.MustCompile(`(?i)\b(FLOAT|DOUBLE|REAL)\b`)
)

// Every migration is a goose file with both directions, numbered without gaps.
func TestFiles(t *testing.T) {
	entries, err := fs.Glob(os.DirFS("."), "*.sql")
	if err != nil || len(entries) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	for i, name := range entries {
		t.Run(name, func(t *testing.T) {
			if !fileName.MatchString(name) {
				t.Errorf("%s is not named NNNNN_name.sql", name)
			}
			if want := fmt.Sprintf("%05d_", i+1); !strings.HasPrefix(name, want) {
				t.Errorf("%s should start with %s: versions run without gaps", name, want)
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
	entries, _ := fs.Glob(os.DirFS("."), "*.sql")
	goFiles, _ := fs.Glob(os.DirFS("."), "[0-9][0-9][0-9][0-9][0-9]_*.go") // Go migrations
	entries = append(entries, goFiles...)
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
