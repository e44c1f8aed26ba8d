package mysql_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// shiftFixture is a database with count carriers, and a store of shifts.
func shiftFixture(t *testing.T, count int) (*sqlx.DB, *mysql.ShiftStore, []int64) {
	t.Helper()
	db := dbtest.MustOpenDB(t)
	carriers := mysql.NewCarrierStore(db)
	ids := make([]int64, count)
	for i := range ids {
		c, err := carriers.AddCarrier(context.Background(), market.Carrier{Name: fmt.Sprintf("Carrier %d", i), Phone: fmt.Sprintf("+3519100000%02d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = c.ID
	}
	return db, mysql.NewShiftStore(db), ids
}

func at(l market.Location, accuracy int) market.Position {
	return market.Position{Location: l, AccuracyM: &accuracy}
}

// A shift starts once however often it is started, takes positions no
// more often than MinLocationInterval and only while on, ends 30 minutes
// after its last position or 12 hours after its start, and is forgotten
// by EndExpired once ended.
func TestShiftStore(t *testing.T) {
	t.Parallel()
	db, store, ids := shiftFixture(t, 3)
	ctx := context.Background()
	start := time.Date(2026, 12, 5, 8, 0, 0, 123456000, time.UTC)
	ana, rui, eva := ids[0], ids[1], ids[2]
	here := market.Location{Lat: 38.7223, Lng: -9.1393}

	if r, err := store.Shift(ctx, ana, start); err != nil || r != nil {
		t.Fatalf("Shift() before any = %+v, %v, want nil", r, err)
	}
	if _, err := store.Locate(ctx, ana, at(here, 5), start); market.ErrorCode(err) != market.CodeConflict {
		t.Fatalf("Locate() off shift = %v, want conflict", err)
	}
	first, err := store.Start(ctx, ana, start)
	if err != nil || !first.StartedAt.Equal(start) || !first.EndsAt.Equal(start.Add(market.PositionTimeout)) || first.Position != nil {
		t.Fatalf("Start() = %+v, %v", first, err)
	}
	again, err := store.Start(ctx, ana, start.Add(10*time.Minute))
	if err != nil || !again.StartedAt.Equal(start) || !again.EndsAt.Equal(first.EndsAt) {
		t.Fatalf("Start() again = %+v, %v, want the first shift unchanged %+v", again, err, first)
	}

	located := start.Add(20 * time.Minute)
	r, err := store.Locate(ctx, ana, at(here, 12), located)
	if err != nil || r.Position == nil || r.Position.Lat != here.Lat || r.Position.Lng != here.Lng ||
		*r.Position.Accuracy != 12 || !r.Position.At.Equal(located) || !r.EndsAt.Equal(located.Add(market.PositionTimeout)) {
		t.Fatalf("Locate() = %+v (%+v), %v", r, r.Position, err)
	}
	if _, err := store.Locate(ctx, ana, at(here, 12), located.Add(market.MinLocationInterval-time.Millisecond)); market.ErrorCode(err) != market.CodeThrottled {
		t.Errorf("Locate() too soon = %v, want throttled", err)
	}
	stored, err := store.Shift(ctx, ana, located.Add(time.Minute))
	if err != nil || stored == nil || stored.Position == nil || !stored.Position.At.Equal(located) || !stored.EndsAt.Equal(r.EndsAt) {
		t.Fatalf("Shift() = %+v, %v, want the shift as located", stored, err)
	}
	if r, err := store.Shift(ctx, ana, r.EndsAt); err != nil || r != nil {
		t.Errorf("Shift() 30 minutes after the last position = %+v, %v, want nil", r, err)
	}
	if _, err := store.Locate(ctx, ana, at(here, 12), r.EndsAt); market.ErrorCode(err) != market.CodeConflict {
		t.Errorf("Locate() once the shift ended = %v, want conflict", err)
	}

	// rui sends a position every 25 minutes: his shift still ends 12
	// hours after it started.
	if _, err := store.Start(ctx, rui, start); err != nil {
		t.Fatal(err)
	}
	var last market.ShiftRecord
	for now := start.Add(25 * time.Minute); now.Before(start.Add(market.ShiftMaxLength)); now = now.Add(25 * time.Minute) {
		if last, err = store.Locate(ctx, rui, at(here, 8), now); err != nil {
			t.Fatalf("Locate(%v) = %v", now, err)
		}
	}
	if end := start.Add(market.ShiftMaxLength); !last.EndsAt.Equal(end) {
		t.Errorf("the last position's shift ends at %v, want %v", last.EndsAt, end)
	}
	if r, err := store.Shift(ctx, rui, start.Add(market.ShiftMaxLength)); err != nil || r != nil {
		t.Errorf("Shift() after 12 hours = %+v, %v, want nil", r, err)
	}

	// An ended shift not yet forgotten is started anew.
	restart := start.Add(13 * time.Hour)
	if r, err := store.Start(ctx, ana, restart); err != nil || !r.StartedAt.Equal(restart) || r.Position != nil {
		t.Errorf("Start() after the shift ended = %+v, %v, want a new shift without position", r, err)
	}
	if _, err := store.Start(ctx, eva, restart); err != nil {
		t.Fatal(err)
	}
	if err := store.End(ctx, eva); err != nil {
		t.Fatal(err)
	}
	if err := store.End(ctx, eva); err != nil {
		t.Errorf("End() twice = %v", err)
	}
	if r, err := store.Shift(ctx, eva, restart); err != nil || r != nil {
		t.Errorf("Shift() after End = %+v, %v, want nil", r, err)
	}

	// Only rui's shift has ended at restart: ana's is on again.
	if n, err := store.EndExpired(ctx, restart, 10); err != nil || n != 1 {
		t.Errorf("EndExpired() = %d, %v, want 1", n, err)
	}
	if n, err := store.EndExpired(ctx, restart, 10); err != nil || n != 0 {
		t.Errorf("EndExpired() again = %d, %v, want 0", n, err)
	}
	var rows []int64
	if err := db.Select(&rows, `SELECT carrier_id FROM carrier_shifts ORDER BY carrier_id`); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows, []int64{ana}) {
		t.Errorf("carrier_shifts holds %v, want only %d", rows, ana)
	}
}

// holdOrder gives carrier an order with status.
func holdOrder(t *testing.T, db *sqlx.DB, id string, carrier int64, status string) {
	t.Helper()
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	if _, err := db.Exec(`INSERT INTO orders (id, status, currency, item_count, total, customer_name, customer_phone, customer_address, subtotal, created_at, updated_at, carrier_id)
		VALUES (?, ?, 'EUR', 1, 10.00, 'Ana', '+351912345678', 'Rua Augusta 1', 10.00, ?, ?, ?)`, id, status, now, now, carrier); err != nil {
		t.Fatal(err)
	}
}

func TestNearestOnShift(t *testing.T) {
	t.Parallel()
	db, store, ids := shiftFixture(t, 9)
	ctx := context.Background()
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	pickup := market.Location{Lat: 38.7223, Lng: -9.1393}
	// north is a point km north of the pickup.
	north := func(km float64) market.Location {
		return market.Location{Lat: pickup.Lat + km/111.3195, Lng: pickup.Lng}
	}
	east := func(km float64) market.Location {
		return market.Location{Lat: pickup.Lat, Lng: pickup.Lng + km/(111.3195*math.Cos(pickup.Lat*math.Pi/180))}
	}
	positions := []*market.Location{
		pointer(north(0.5)), // 0
		pointer(east(0.3)),  // 1
		pointer(north(3)),   // 2
		pointer(east(7.5)),  // 3
		pointer(north(12)),  // 4: out of the radius
		pointer(north(0.5)), // 5: as near as 0
		nil,                 // 6: on shift without a position
		pointer(north(0.1)), // 7: the nearest, but its shift ended
		pointer(east(2)),    // 8
	}
	for i, p := range positions {
		started := now.Add(-time.Minute)
		if i == 7 {
			started = now.Add(-market.PositionTimeout - time.Minute)
		}
		if _, err := store.Start(ctx, ids[i], started); err != nil {
			t.Fatal(err)
		}
		if p != nil {
			if _, err := store.Locate(ctx, ids[i], at(*p, 10), started); err != nil {
				t.Fatal(err)
			}
		}
	}
	holdOrder(t, db, "order-held-1", ids[1], market.OrderAccepted)
	holdOrder(t, db, "order-held-2", ids[1], market.OrderPickedUp)
	holdOrder(t, db, "order-done-1", ids[1], market.OrderDelivered)
	holdOrder(t, db, "order-held-3", ids[2], market.OrderAccepted)
	for _, i := range []int{0, 3} {
		if _, err := db.Exec(`INSERT INTO carrier_push_subscriptions (carrier_id, endpoint, p256dh, auth, created_at) VALUES (?, ?, 'key', 'auth', ?)`,
			ids[i], fmt.Sprintf("https://push.example.com/%d", i), now); err != nil {
			t.Fatal(err)
		}
	}

	type want struct {
		index      int
		held       int
		push       bool
		nearKmFrom float64
	}
	all := []want{{1, 2, false, 0.3}, {0, 0, true, 0.5}, {5, 0, false, 0.5}, {8, 0, false, 2}, {2, 1, false, 3}, {3, 0, true, 7.5}}
	tests := []struct {
		name     string
		radiusKm float64
		n        int
		want     []want
	}{
		{name: "all within 10 km", radiusKm: 10, n: 15, want: all},
		{name: "the 3 nearest", radiusKm: 10, n: 3, want: all[:3]},
		{name: "the 5 nearest, past the first box", radiusKm: 10, n: 5, want: all[:5]},
		{name: "within 2.5 km", radiusKm: 2.5, n: 15, want: all[:4]},
		{name: "within 100 m", radiusKm: 0.1, n: 15, want: nil},
		{name: "none asked", radiusKm: 10, n: 0, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := store.NearestOnShift(ctx, pickup, tt.radiusKm, tt.n, now)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("NearestOnShift(%v km, %d) = %+v, want %d carriers", tt.radiusKm, tt.n, got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				stored, _ := market.ValidLocation("position", *positions[w.index]) // kept to six decimals
				if g.ID != ids[w.index] || g.Held != w.held || g.Push != w.push || g.Position != stored {
					t.Errorf("NearestOnShift(%v km, %d)[%d] = %+v, want carrier %d (%d) holding %d, push %v", tt.radiusKm, tt.n, i, g, w.index, ids[w.index], w.held, w.push)
				}
				if d := market.DistanceKm(pickup, g.Position); d < w.nearKmFrom-0.01 || d > w.nearKmFrom+0.01 {
					t.Errorf("carrier %d is %.3f km away, want %.1f", w.index, d, w.nearKmFrom)
				}
			}
		})
	}
}

func pointer[T any](v T) *T { return &v }
