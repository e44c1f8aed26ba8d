package demo

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// ShiftCentre is the middle of the demo city, where SeedShifts spreads
// its carriers: Baixa, Lisbon.
var ShiftCentre = struct{ Lat, Lng float64 }{38.7223, -9.1393}

// ShiftSpreadKm is the side of the square around ShiftCentre over which
// SeedShifts spreads its carriers.
const ShiftSpreadKm = 25.0

// SeedShifts adds n carriers on shift at now, for the benchmark and the
// load tool of dispatch's nearest-carrier search: each at a position
// spread evenly over ShiftSpreadKm × ShiftSpreadKm around ShiftCentre
// (from seed, so that a run can be repeated), one in three reachable by
// push, one in four holding an order (one in eight two), and each with
// the three orders it delivered before, which the held count must not
// read. It returns the carriers' ids.
func SeedShifts(ctx context.Context, db *sqlx.DB, n int, now time.Time, seed uint64) ([]int64, error) {
	now = now.UTC().Truncate(time.Microsecond)
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	// The phones follow the carriers' ids, so that they are new; the
	// embedded engine answers no row at all for MAX of an empty table.
	var last []sql.NullInt64
	if err := db.SelectContext(ctx, &last, `SELECT MAX(id) FROM carriers`); err != nil {
		return nil, fmt.Errorf("demo: shifts: %w", err)
	}
	first := int64(1)
	if len(last) > 0 {
		first += last[0].Int64
	}
	phone := func(i int) string { return fmt.Sprintf("+35193%07d", int(first)+i) }
	if err := batches(ctx, db, n, `INSERT INTO carriers (name, phone) VALUES `, "(?, ?)", func(i int) []any {
		return []any{fmt.Sprintf("Shift carrier %d", i), phone(i)}
	}); err != nil {
		return nil, fmt.Errorf("demo: shift carriers: %w", err)
	}
	var ids []int64
	if err := db.SelectContext(ctx, &ids, `SELECT id FROM carriers WHERE phone BETWEEN ? AND ? ORDER BY id`, phone(0), phone(n-1)); err != nil || len(ids) != n {
		return nil, fmt.Errorf("demo: shift carriers: %d of %d found: %v", len(ids), n, err)
	}
	kmPerDegree := 2 * math.Pi * 6378.137 / 360
	dLat := ShiftSpreadKm / 2 / kmPerDegree
	dLng := dLat / math.Cos(ShiftCentre.Lat*math.Pi/180)
	if err := batches(ctx, db, n, `INSERT INTO carrier_shifts (carrier_id, started_at, ends_at, lat, lng, accuracy_m, located_at) VALUES `, "(?, ?, ?, ?, ?, 10, ?)", func(i int) []any {
		lat := ShiftCentre.Lat + (2*rng.Float64()-1)*dLat
		lng := ShiftCentre.Lng + (2*rng.Float64()-1)*dLng
		return []any{ids[i], now.Add(-time.Hour), now.Add(30 * time.Minute), math.Round(lat*1e6) / 1e6, math.Round(lng*1e6) / 1e6, now.Add(-time.Minute)}
	}); err != nil {
		return nil, fmt.Errorf("demo: shifts: %w", err)
	}
	var pushed []int64
	for i := 0; i < n; i += 3 {
		pushed = append(pushed, ids[i])
	}
	if err := batches(ctx, db, len(pushed), `INSERT INTO carrier_push_subscriptions (carrier_id, endpoint, p256dh, auth, created_at) VALUES `, "(?, ?, 'p256dh', 'auth', ?)", func(i int) []any {
		return []any{pushed[i], fmt.Sprintf("https://push.example.com/%d", pushed[i]), now}
	}); err != nil {
		return nil, fmt.Errorf("demo: push subscriptions: %w", err)
	}
	type order struct {
		carrier int64
		status  string
	}
	var orders []order
	for i, id := range ids {
		orders = append(orders, order{id, "delivered"}, order{id, "delivered"}, order{id, "delivered"})
		if i%4 == 0 {
			orders = append(orders, order{id, "accepted"})
		}
		if i%8 == 0 {
			orders = append(orders, order{id, "picked_up"})
		}
	}
	if err := batches(ctx, db, len(orders), `INSERT INTO orders (id, status, currency, item_count, total, subtotal, customer_name, customer_phone, customer_address, created_at, updated_at, carrier_id) VALUES `,
		"(?, ?, 'EUR', 1, 10.00, 10.00, 'Shift seed', '+351910000000', 'Rua Augusta 1', ?, ?, ?)", func(i int) []any {
			return []any{fmt.Sprintf("shift-seed-%d-%d", first, i), orders[i].status, now, now, orders[i].carrier}
		}); err != nil {
		return nil, fmt.Errorf("demo: held orders: %w", err)
	}
	return ids, nil
}

// batches inserts n rows, row(i) giving the values of row i, many rows
// to a statement: insert is the statement up to VALUES, and values the
// placeholders of one row.
func batches(ctx context.Context, db *sqlx.DB, n int, insert, values string, row func(i int) []any) error {
	const size = 500
	for start := 0; start < n; start += size {
		end := min(start+size, n)
		var args []any
		for i := start; i < end; i++ {
			args = append(args, row(i)...)
		}
		query := insert + strings.TrimSuffix(strings.Repeat(values+", ", end-start), ", ")
		if _, err := db.ExecContext(ctx, query, args...); err != nil {
			return err
		}
	}
	return nil
}
