// Command citysim compares the two ways of offering orders to carriers,
// the seed's broadcast and the waves of internal/market's PlanWave (the
// real one, not a copy), on a simulated city with a simulated clock: the
// same carriers and the same orders run through each mode in turn.
//
//	go run ./tools/citysim
//	go run ./tools/citysim -carriers 100 -orders-per-hour 400 -push 0.5 -seed 7
//
// The city is the demo area of Lisbon (internal/demo) with shops spread
// over it; carriers ride at 15 km/h in straight lines, wander when idle,
// and hold at most -carrier-limit orders, which they work one after the
// other. Orders arrive as a Poisson process, each from a random shop to a
// customer within 3 km. A carrier with room for an order who receives an
// offer takes it with probability -accept, after 5–40 s for a push and
// 15–120 s for an SMS; a carrier at the limit ignores offers; every 2–5
// minutes a carrier with room looks at the available list and takes the
// nearest order it may see. Broadcast texts every carrier, and the sweep
// does it again every 10 minutes while -offers-per-order allows; waves
// ask PlanWave, given the carriers a store's NearestOnShift would return,
// and fall back to the same broadcast.
//
// It prints, side by side: time to claim, SMS and pushes per order, the
// claiming carrier's distance to the shop, orders not claimed within 10
// minutes, and the SMS cost per order (0.0088 USD per SMS, the price in
// docs/performance.md).
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// smsUSD is the price of one SMS (docs/performance.md, cost per million
// orders); a push costs nothing.
const smsUSD = 0.0088

func main() {
	d := market.DefaultDispatchSettings()
	cfg := config{}
	flag.IntVar(&cfg.Carriers, "carriers", 200, "carriers on shift")
	flag.Float64Var(&cfg.OrdersPerHour, "orders-per-hour", 2000, "orders placed per hour, on average")
	flag.Float64Var(&cfg.Hours, "hours", 3, "hours during which orders are placed (the simulation runs one more to finish them)")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "seed of the city, the orders and the carriers' behaviour")
	flag.Float64Var(&cfg.Push, "push", 0.7, "share of carriers reachable by push")
	flag.IntVar(&cfg.CarrierLimit, "carrier-limit", 1, "orders one carrier holds at once (0: no bound)")
	flag.IntVar(&cfg.OffersPerOrder, "offers-per-order", 3, "broadcasts of one order at most (0: no bound)")
	flag.IntVar(&cfg.Shops, "shops", 60, "shops in the city, the demo's three among them")
	flag.Float64Var(&cfg.Accept, "accept", 0.6, "chance that a carrier with room takes an offer")
	flag.IntVar(&d.WaveSize, "wave-size", d.WaveSize, "carriers per wave (DISPATCH_WAVE_SIZE)")
	waveSeconds := flag.Int("wave-seconds", int(d.WaveInterval/time.Second), "seconds between waves (DISPATCH_WAVE_SECONDS)")
	flag.IntVar(&d.MaxWaves, "max-waves", d.MaxWaves, "waves before the broadcast (DISPATCH_MAX_WAVES)")
	flag.Float64Var(&d.RadiusKm, "radius-km", d.RadiusKm, "how far from the shop carriers are offered orders (DISPATCH_RADIUS_KM)")
	flag.Parse()
	d.WaveInterval = time.Duration(*waveSeconds) * time.Second
	cfg.Waves = d
	if err := check(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "citysim:", err)
		os.Exit(2)
	}
	report(os.Stdout, cfg, run(cfg, market.DispatchBroadcast), run(cfg, market.DispatchWaves))
}

func check(cfg config) error {
	switch {
	case cfg.Carriers < 1 || cfg.Carriers > 1<<16-1:
		return fmt.Errorf("-carriers %d: want 1 to %d", cfg.Carriers, 1<<16-1)
	case cfg.OrdersPerHour < 0 || cfg.Hours <= 0 || cfg.Hours > 24:
		return fmt.Errorf("-orders-per-hour %v, -hours %v: want at least 0 orders over more than 0 and at most 24 hours", cfg.OrdersPerHour, cfg.Hours)
	case cfg.Push < 0 || cfg.Push > 1 || cfg.Accept < 0 || cfg.Accept > 1:
		return fmt.Errorf("-push %v, -accept %v: want shares from 0 to 1", cfg.Push, cfg.Accept)
	case cfg.CarrierLimit < 0 || cfg.OffersPerOrder < 0 || cfg.Shops < 1:
		return fmt.Errorf("-carrier-limit %d, -offers-per-order %d, -shops %d: want at least 0, 0 and 1", cfg.CarrierLimit, cfg.OffersPerOrder, cfg.Shops)
	}
	return cfg.Waves.Validate()
}

// summary is the figures a mode is compared on.
type summary struct {
	orders                 int
	claimP50, claimP90     float64 // seconds; +Inf when that many were never claimed
	late, never            int     // not claimed within 10 minutes; never claimed
	sms, pushes, broadcast float64 // per order; broadcast is the share of orders broadcast
	early                  float64 // the share of orders broadcast before their last wave
	pickupKmP50            float64
	deliveredP50           float64 // seconds from placing to the door
	usdPerOrder            float64
}

func summarize(r result) summary {
	s := summary{orders: len(r.Orders)}
	if s.orders == 0 {
		return s
	}
	claims := make([]float64, 0, s.orders)
	var pickups, deliveries []float64
	for _, o := range r.Orders {
		wait := math.Inf(1)
		if o.claimed {
			wait = o.claimedAt - o.placed
			pickups = append(pickups, o.pickupKm)
		} else {
			s.never++
		}
		if wait > lateClaim {
			s.late++
		}
		claims = append(claims, wait)
		if o.delivered > 0 {
			deliveries = append(deliveries, o.delivered-o.placed)
		}
	}
	n := float64(s.orders)
	s.claimP50, s.claimP90 = percentile(claims, 0.5), percentile(claims, 0.9)
	s.pickupKmP50, s.deliveredP50 = percentile(pickups, 0.5), percentile(deliveries, 0.5)
	s.sms, s.pushes, s.broadcast = float64(r.SMS)/n, float64(r.Pushes)/n, float64(r.Broadcast)/n
	s.early = float64(r.EarlyBroadcast) / n
	s.usdPerOrder = s.sms * smsUSD
	return s
}

// percentile is the nearest-rank percentile of v (sorted in place); NaN
// when v is empty.
func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	return v[max(0, int(math.Ceil(p*float64(len(v))))-1)]
}

func report(w io.Writer, cfg config, results ...result) {
	d := cfg.Waves
	fmt.Fprintf(w, "%d carriers (%.0f %% push, %d order(s) at once), %.0f orders/h for %g h, %d shops, accept %.2f, seed %d\n",
		cfg.Carriers, cfg.Push*100, cfg.CarrierLimit, cfg.OrdersPerHour, cfg.Hours, cfg.Shops, cfg.Accept, cfg.Seed)
	fmt.Fprintf(w, "waves: %d carriers every %v, %d waves, within %g km; broadcast again every %v, %d times at most\n\n",
		d.WaveSize, d.WaveInterval, d.MaxWaves, d.RadiusKm, market.OfferAgainAfter, cfg.OffersPerOrder)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	sums := make([]summary, len(results))
	row := func(name string, cell func(summary) string) {
		fmt.Fprintf(tw, "%-*s\t", nameWidth, name) // padded: the names read left-aligned
		for _, s := range sums {
			fmt.Fprintf(tw, "%s\t", cell(s))
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintf(tw, "%-*s\t", nameWidth, "")
	for i, r := range results {
		sums[i] = summarize(r)
		fmt.Fprintf(tw, "%s\t", r.Mode)
	}
	fmt.Fprintln(tw)
	row("orders", func(s summary) string { return fmt.Sprint(s.orders) })
	row("time to claim p50", func(s summary) string { return seconds(s.claimP50) })
	row("time to claim p90", func(s summary) string { return seconds(s.claimP90) })
	row("not claimed within 10 min", func(s summary) string { return share(s.late, s.orders) })
	row("never claimed", func(s summary) string { return share(s.never, s.orders) })
	row("SMS per order", func(s summary) string { return fmt.Sprintf("%.2f", s.sms) })
	row("pushes per order", func(s summary) string { return fmt.Sprintf("%.2f", s.pushes) })
	row("orders broadcast", func(s summary) string { return fmt.Sprintf("%.1f %%", s.broadcast*100) })
	row("  before the last wave", func(s summary) string { return fmt.Sprintf("%.1f %%", s.early*100) })
	row("carrier to shop p50", func(s summary) string { return fmt.Sprintf("%.2f km", s.pickupKmP50) })
	row("placed to delivered p50", func(s summary) string { return seconds(s.deliveredP50) })
	row("SMS cost per order", func(s summary) string { return fmt.Sprintf("%.4f USD", s.usdPerOrder) })
	tw.Flush()
}

// nameWidth is the width of the longest row name.
const nameWidth = len("not claimed within 10 min")

func seconds(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case math.IsInf(v, 1):
		return "never"
	}
	return fmt.Sprintf("%.0f s", v)
}

func share(n, of int) string {
	return fmt.Sprintf("%d (%.1f %%)", n, 100*float64(n)/float64(max(of, 1)))
}
