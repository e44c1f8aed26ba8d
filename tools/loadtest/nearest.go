package main

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"

	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/migrations"
)

// The -nearest scenario times dispatch's search for the on-shift carriers
// nearest a pickup (mysql.ShiftStore.NearestOnShift), straight against a
// database rather than through the API, which has no route for it:
//
//	go run ./tools/loadtest -nearest -dsn 'root@tcp(127.0.0.1:3306)/' -carriers 10000
//
// It creates a database of its own on the server, seeds -carriers
// carriers on shift (demo.SeedShifts), sends -requests searches one after
// the other from pickups all over the seeded square, for each candidate
// count of -n, and drops the database.

// nearestOptions are the -nearest scenario's flags.
type nearestOptions struct {
	dsn      string
	carriers int
	requests int
	counts   []int
	radiusKm float64
}

// nearestReport is the latency of one candidate count.
type nearestReport struct {
	N             int
	P50, P99, Max time.Duration
}

func runNearest(ctx context.Context, o nearestOptions, out io.Writer) (int, error) {
	if o.dsn == "" || o.carriers < 1 || o.requests < 1 || len(o.counts) == 0 {
		return 2, fmt.Errorf("-nearest needs -dsn, and -carriers, -requests and -n of at least 1")
	}
	cfg, err := mysqldrv.ParseDSN(o.dsn)
	if err != nil {
		return 2, fmt.Errorf("-dsn: %w", err)
	}
	suffix := make([]byte, 6)
	_, _ = crand.Read(suffix)
	cfg.DBName = "loadtest_nearest_" + hex.EncodeToString(suffix)
	cfg.ParseTime = true
	dsn := cfg.FormatDSN()
	if err := mysql.CreateDatabase(ctx, dsn); err != nil {
		return 1, err
	}
	defer func() {
		if err := mysql.ExecOnServer(context.Background(), dsn, "DROP DATABASE "+mysql.QuoteIdent(cfg.DBName)); err != nil {
			fmt.Fprintln(out, "drop", cfg.DBName+":", err)
		}
	}()
	db, err := mysql.OpenDSN(dsn, 2)
	if err != nil {
		return 1, err
	}
	defer db.Close()
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		return 1, err
	}
	now := time.Now()
	started := time.Now()
	if _, err := demo.SeedShifts(ctx, db, o.carriers, now, 1); err != nil {
		return 1, err
	}
	fmt.Fprintf(out, "%d carriers on shift over %.0f × %.0f km, seeded in %s; %d searches per count, radius %.0f km\n",
		o.carriers, demo.ShiftSpreadKm, demo.ShiftSpreadKm, time.Since(started).Round(time.Millisecond), o.requests, o.radiusKm)
	store := mysql.NewShiftStore(db)
	var reports []nearestReport
	for _, n := range o.counts {
		rng := rand.New(rand.NewPCG(2, uint64(n)))
		took := make([]time.Duration, 0, o.requests)
		for i := range o.requests + o.requests/10 {
			p := market.Location{
				Lat: demo.ShiftCentre.Lat + (2*rng.Float64()-1)*0.1,
				Lng: demo.ShiftCentre.Lng + (2*rng.Float64()-1)*0.13,
			}
			start := time.Now()
			if _, err := store.NearestOnShift(ctx, p, o.radiusKm, n, now); err != nil {
				return 1, err
			}
			if i >= o.requests/10 { // the first tenth warms the pool and the buffer pool
				took = append(took, time.Since(start))
			}
		}
		reports = append(reports, nearestLatency(n, took))
	}
	fmt.Fprintln(out, "n\tp50\tp99\tmax")
	for _, r := range reports {
		fmt.Fprintf(out, "%d\t%s\t%s\t%s\n", r.N, round(r.P50), round(r.P99), round(r.Max))
	}
	return 0, nil
}

// nearestLatency summarises the latencies of one candidate count.
func nearestLatency(n int, took []time.Duration) nearestReport {
	slices.Sort(took)
	at := func(q float64) time.Duration { return took[min(len(took)-1, int(q*float64(len(took))))] }
	return nearestReport{N: n, P50: at(0.50), P99: at(0.99), Max: took[len(took)-1]}
}
