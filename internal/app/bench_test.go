package app_test

// The handlers' cost over the database's: BenchmarkListProducts and
// BenchmarkQuote invoke the Lambdas' handlers in-process on real events
// with a warm pool; the ...SQL benchmarks beside them run the same SQL
// text with database/sql and scan the same columns into the same types, so
// the difference is the handlers' own work (event, validation, sqlx, JSON,
// logging). They run on the server DELIVERY_TEST_DSN names, or on the
// embedded engine:
//
//	DELIVERY_TEST_DSN='root@tcp(127.0.0.1:3306)/' go test -run '^$' -bench . -benchmem -count 6 ./internal/app/

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// The queries internal/mysql sends, copied so that the baselines run them
// without the store; TestBaselineSQLMatchesStore keeps the copies honest.
const (
	listActiveSQL = `SELECT p.id, p.company_id, c.name AS company_name, p.name, p.description, p.price, p.active, p.version, p.image_320, p.image_960, p.image_width, p.image_height,
    p.image_error_reason, p.image_error_message, p.image_error_upload, p.image_error_at
FROM products p FORCE INDEX (products_active_id) JOIN companies c ON c.id = p.company_id
WHERE p.active = TRUE AND p.id > ?
ORDER BY p.id
LIMIT ?`
	productsByIDSQL = `SELECT p.id, p.company_id, c.name AS company_name, p.name, p.description, p.price, p.active, p.version, p.image_320, p.image_960, p.image_width, p.image_height,
    p.image_error_reason, p.image_error_message, p.image_error_upload, p.image_error_at
FROM products p JOIN companies c ON c.id = p.company_id
WHERE p.id IN (?)`
)

// quoteIDs are the products of testdata/quote-10-lines.json.
var quoteIDs = []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}

// seededDB returns a warm pool on a fresh database holding the demo catalog.
func seededDB(tb testing.TB) *sqlx.DB {
	tb.Helper()
	db := dbtest.MustOpenDB(tb)
	if _, err := demo.SeedIfEmpty(context.Background(), db); err != nil {
		tb.Fatal(err)
	}
	return db
}

// recordingDB records the queries the store sends.
type recordingDB struct {
	sqlx.ExtContext
	mu      sync.Mutex
	queries []string
}

func (r *recordingDB) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	r.mu.Lock()
	r.queries = append(r.queries, query)
	r.mu.Unlock()
	return r.ExtContext.QueryxContext(ctx, query, args...)
}

func TestBaselineSQLMatchesStore(t *testing.T) {
	t.Parallel()
	db := seededDB(t)
	expandedByID, _, err := sqlx.In(productsByIDSQL, quoteIDs)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func(*mysql.ProductStore) error
		want string
	}{
		{
			name: "ListActive",
			call: func(s *mysql.ProductStore) error {
				_, err := s.ListActive(context.Background(), market.ProductPage{Limit: 21})
				return err
			},
			want: listActiveSQL,
		},
		{
			name: "ProductsByID",
			call: func(s *mysql.ProductStore) error {
				_, err := s.ProductsByID(context.Background(), quoteIDs)
				return err
			},
			want: expandedByID,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recordingDB{ExtContext: db}
			if err := tt.call(mysql.NewProductStore(rec)); err != nil {
				t.Fatal(err)
			}
			if want := []string{tt.want}; !slices.Equal(rec.queries, want) {
				t.Errorf("%s sent %q,\nthe baseline runs %q", tt.name, rec.queries, want)
			}
		})
	}
}

func benchDeps(db *sqlx.DB) app.Deps {
	return app.Deps{DB: db, Currency: "USD", Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
}

func BenchmarkListProducts(b *testing.B) {
	db := seededDB(b)
	handle := app.ListProducts(benchDeps(db)).Handle
	event := loadEvent(b, "list-products.json") // default page: 20 products
	ctx := context.Background()
	if resp, err := handle(ctx, event); err != nil || resp.StatusCode != 200 {
		b.Fatalf("warm-up: %d %s, %v", resp.StatusCode, resp.Body, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := handle(ctx, event)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("Handle = %d %s, %v", resp.StatusCode, resp.Body, err)
		}
	}
}

// scanProducts scans the store's columns into the types the store uses.
func scanProducts(rows *sql.Rows) (int, error) {
	defer rows.Close()
	n := 0
	for rows.Next() {
		var (
			id, companyID, version         int64
			companyName, name, description string
			price                          decimal.Decimal
			active                         bool
			// The photo and the record of a refused upload (nullable).
			image320, image960, errorReason, errorMessage, errorUpload *string
			imageWidth, imageHeight                                    *int
			errorAt                                                    *time.Time
		)
		if err := rows.Scan(&id, &companyID, &companyName, &name, &description, &price, &active, &version,
			&image320, &image960, &imageWidth, &imageHeight, &errorReason, &errorMessage, &errorUpload, &errorAt); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

func BenchmarkListProductsSQL(b *testing.B) {
	db := seededDB(b).DB
	ctx := context.Background()
	// The handler asks for one row more than the page to know whether
	// another page follows.
	const limit = market.DefaultPageSize + 1
	run := func() {
		rows, err := db.QueryContext(ctx, listActiveSQL, 0, limit)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := scanProducts(rows); err != nil || n != limit {
			b.Fatalf("scanned %d rows, %v; want %d", n, err, limit)
		}
	}
	run()
	b.ReportAllocs()
	for b.Loop() {
		run()
	}
}

func BenchmarkQuote(b *testing.B) {
	db := seededDB(b)
	handle := app.PriceOrder(benchDeps(db)).Handle
	event := loadEvent(b, "quote-10-lines.json")
	ctx := context.Background()
	if resp, err := handle(ctx, event); err != nil || resp.StatusCode != 200 {
		b.Fatalf("warm-up: %d %s, %v", resp.StatusCode, resp.Body, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := handle(ctx, event)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("Handle = %d %s, %v", resp.StatusCode, resp.Body, err)
		}
	}
}

// BenchmarkQuoteDeliverTo is BenchmarkQuote with a deliverTo in the demo
// area: the shops' hours, the area and the straight-line route, the path
// of every quote where no routing service answers.
func BenchmarkQuoteDeliverTo(b *testing.B) {
	db := seededDB(b)
	if _, err := demo.SeedArea(context.Background(), db); err != nil {
		b.Fatal(err)
	}
	handle := app.PriceOrder(benchDeps(db)).Handle
	event := loadEvent(b, "quote-deliver-to.json")
	ctx := context.Background()
	if resp, err := handle(ctx, event); err != nil || resp.StatusCode != 200 || !strings.Contains(resp.Body, `"estimate":true`) {
		b.Fatalf("warm-up: %d %s, %v", resp.StatusCode, resp.Body, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := handle(ctx, event)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("Handle = %d %s, %v", resp.StatusCode, resp.Body, err)
		}
	}
}

func BenchmarkQuoteSQL(b *testing.B) {
	db := seededDB(b).DB
	ctx := context.Background()
	query, args, err := sqlx.In(productsByIDSQL, quoteIDs)
	if err != nil {
		b.Fatal(err)
	}
	run := func() {
		rows, err := db.QueryContext(ctx, query, args...)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := scanProducts(rows); err != nil || n != len(quoteIDs) {
			b.Fatalf("scanned %d rows, %v; want %d", n, err, len(quoteIDs))
		}
	}
	run()
	b.ReportAllocs()
	for b.Loop() {
		run()
	}
}
