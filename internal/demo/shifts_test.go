package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
)

// SeedShifts adds its carriers on shift within the square, a third with
// push, and their held and delivered orders; a second call adds others.
func TestSeedShifts(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	first, err := demo.SeedShifts(ctx, db, 16, now, 1)
	if err != nil {
		t.Fatal(err)
	}
	second, err := demo.SeedShifts(ctx, db, 4, now, 2)
	if err != nil || len(first) != 16 || len(second) != 4 || second[0] <= first[15] {
		t.Fatalf("SeedShifts = %v, then %v, %v", first, second, err)
	}
	counts := []struct {
		query string
		want  int
	}{
		{`SELECT COUNT(*) FROM carrier_shifts WHERE ends_at > ? AND lat BETWEEN 38.60 AND 38.84 AND lng BETWEEN -9.30 AND -8.98`, 20},
		{`SELECT COUNT(*) FROM carrier_push_subscriptions WHERE created_at = ?`, 6 + 2},
		{`SELECT COUNT(*) FROM orders WHERE status IN ('accepted', 'picked_up') AND created_at = ?`, 4 + 2 + 1 + 1},
		{`SELECT COUNT(*) FROM orders WHERE status = 'delivered' AND created_at = ?`, 3 * 20},
	}
	for _, c := range counts {
		var n int
		if err := db.Get(&n, c.query, now); err != nil || n != c.want {
			t.Errorf("%s = %d, %v, want %d", c.query, n, err, c.want)
		}
	}
}
