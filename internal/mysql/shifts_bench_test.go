package mysql_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// BenchmarkNearestOnShift chooses a wave's candidates among 10,000
// carriers on shift spread over 25 × 25 km (demo.SeedShifts), from
// pickups all over that square, for the candidate counts of waves 1 to
// 4 of 3 carriers: docs/performance.md, "Nearest on-shift carriers".
//
//	DELIVERY_TEST_DSN='root@tcp(127.0.0.1:3306)/' go test ./internal/mysql/ -run '^$' -bench NearestOnShift
func BenchmarkNearestOnShift(b *testing.B) {
	if os.Getenv(dbtest.EnvDSN) == "" {
		b.Skipf("the figure is MariaDB's, and the embedded engine takes minutes to seed 10,000 carriers and their orders: set %s", dbtest.EnvDSN)
	}
	db := dbtest.MustOpenDB(b)
	ctx := context.Background()
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	if _, err := demo.SeedShifts(ctx, db, 10_000, now, 1); err != nil {
		b.Fatal(err)
	}
	store := mysql.NewShiftStore(db)
	for _, n := range []int{6, 9, 12, 15} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(2, uint64(n)))
			for b.Loop() {
				p := market.Location{
					Lat: demo.ShiftCentre.Lat + (2*rng.Float64()-1)*0.1,
					Lng: demo.ShiftCentre.Lng + (2*rng.Float64()-1)*0.13,
				}
				got, err := store.NearestOnShift(ctx, p, 10, n, now)
				if err != nil || len(got) != n {
					b.Fatalf("NearestOnShift(%v, n=%d) = %d carriers, %v", p, n, len(got), err)
				}
			}
		})
	}
}
