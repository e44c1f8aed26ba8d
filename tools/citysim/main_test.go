package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// smallCity is a simulated hour of a small city: quick, and busy enough
// that some orders go past their waves.
func smallCity(seed uint64) config {
	return config{
		Carriers: 40, OrdersPerHour: 150, Hours: 1, Seed: seed, Push: 0.7, CarrierLimit: 1,
		OffersPerOrder: 3, Shops: 12, Accept: 0.6, Waves: market.DefaultDispatchSettings(),
	}
}

func TestSimulationInvariants(t *testing.T) {
	tests := []struct {
		name   string
		change func(*config)
	}{
		{"small city", func(*config) {}},
		{"overloaded", func(c *config) { c.OrdersPerHour = 600 }},
		{"three orders at once, nobody with push", func(c *config) { c.CarrierLimit, c.Push = 3, 0 }},
		{"no bound on offers or orders held", func(c *config) { c.CarrierLimit, c.OffersPerOrder = 0, 0 }},
		{"nobody takes an offer", func(c *config) { c.Accept = 0 }},
	}
	for _, tt := range tests {
		for _, mode := range []market.DispatchMode{market.DispatchBroadcast, market.DispatchWaves} {
			t.Run(tt.name+"/"+string(mode), func(t *testing.T) {
				cfg := smallCity(1)
				tt.change(&cfg)
				checkInvariants(t, cfg, run(cfg, mode))
			})
		}
	}
}

func checkInvariants(t *testing.T, cfg config, r result) {
	t.Helper()
	if len(r.Orders) == 0 {
		t.Fatal("no order placed")
	}
	sms, pushes, broadcast, claimed := 0, 0, 0, 0
	for _, o := range r.Orders {
		sms += o.sms
		pushes += o.pushes
		if o.broadcasts > 0 {
			broadcast++
		}
		waveSMS := o.sms - o.broadcasts*cfg.Carriers
		if waveSMS < 0 || waveSMS+o.pushes != len(o.offered) {
			t.Errorf("order %d: %d SMS and %d pushes for %d carriers offered it and %d broadcasts", o.id, o.sms, o.pushes, len(o.offered), o.broadcasts)
		}
		if cfg.OffersPerOrder > 0 && o.broadcasts > cfg.OffersPerOrder {
			t.Errorf("order %d broadcast %d times, more than %d", o.id, o.broadcasts, cfg.OffersPerOrder)
		}
		if r.Mode == market.DispatchBroadcast && (o.broadcasts == 0 || len(o.offered) > 0) {
			t.Errorf("order %d in broadcast mode: %d broadcasts, %d carriers offered it alone", o.id, o.broadcasts, len(o.offered))
		}
		if r.Mode == market.DispatchWaves && len(o.offered) > cfg.Waves.MaxWaves*cfg.Waves.WaveSize {
			t.Errorf("order %d offered to %d carriers in waves, more than %d", o.id, len(o.offered), cfg.Waves.MaxWaves*cfg.Waves.WaveSize)
		}
		if !o.claimed {
			if o.delivered != 0 {
				t.Errorf("order %d delivered but never claimed", o.id)
			}
			continue
		}
		claimed++
		if o.broadcasts == 0 && !o.offered[o.claimer] {
			t.Errorf("order %d claimed by carrier %d, who could not see it", o.id, o.claimer)
		}
		if o.claimedAt < o.placed || (o.delivered != 0 && o.delivered < o.claimedAt) {
			t.Errorf("order %d placed at %v, claimed at %v, delivered at %v", o.id, o.placed, o.claimedAt, o.delivered)
		}
	}
	if sms != r.SMS || pushes != r.Pushes || broadcast != r.Broadcast {
		t.Errorf("result counts %d SMS, %d pushes, %d broadcast; the orders %d, %d, %d", r.SMS, r.Pushes, r.Broadcast, sms, pushes, broadcast)
	}
	if r.Mode == market.DispatchBroadcast && r.Pushes != 0 {
		t.Errorf("broadcast mode sent %d pushes", r.Pushes)
	}
	if cfg.CarrierLimit > 0 && r.MaxHeld > cfg.CarrierLimit {
		t.Errorf("a carrier held %d orders, over the limit %d", r.MaxHeld, cfg.CarrierLimit)
	}
	s := summarize(r)
	if s.orders != len(r.Orders) || s.never != len(r.Orders)-claimed || s.late < s.never {
		t.Errorf("summary: %d orders, %d never claimed, %d late; want %d, %d, at least %d", s.orders, s.never, s.late, len(r.Orders), len(r.Orders)-claimed, s.never)
	}
	if cfg.Accept == 0 && claimed != 0 {
		t.Errorf("%d orders claimed though nobody takes an offer", claimed)
	}
}

// TestSimulationDeterministic: a seed is a run; both modes see the same
// orders.
func TestSimulationDeterministic(t *testing.T) {
	out := func(seed uint64) string {
		var b bytes.Buffer
		cfg := smallCity(seed)
		report(&b, cfg, run(cfg, market.DispatchBroadcast), run(cfg, market.DispatchWaves))
		return b.String()
	}
	first := out(1)
	if again := out(1); again != first {
		t.Errorf("seed 1 twice:\n%s\nthen\n%s", first, again)
	}
	if other := out(2); other == first {
		t.Errorf("seeds 1 and 2 printed the same:\n%s", first)
	}
	cfg := smallCity(3)
	b, w := run(cfg, market.DispatchBroadcast), run(cfg, market.DispatchWaves)
	if len(b.Orders) != len(w.Orders) {
		t.Fatalf("broadcast saw %d orders, waves %d", len(b.Orders), len(w.Orders))
	}
	for i := range b.Orders {
		if b.Orders[i].placed != w.Orders[i].placed || b.Orders[i].shop != w.Orders[i].shop || b.Orders[i].customer != w.Orders[i].customer {
			t.Fatalf("order %d differs between the modes", i+1)
		}
	}
}

// TestWavesTargets: on a city whose carriers can carry its orders, waves
// send at most half an SMS per order (broadcast: one per carrier), are
// claimed within 1.5 times broadcast's median, and send a carrier at most
// half as far to the shop.
func TestWavesTargets(t *testing.T) {
	cfg := smallCity(1)
	cfg.Carriers, cfg.OrdersPerHour, cfg.Hours, cfg.Shops = 200, 400, 2, 60
	b, w := summarize(run(cfg, market.DispatchBroadcast)), summarize(run(cfg, market.DispatchWaves))
	if w.sms > 0.5 {
		t.Errorf("waves: %.2f SMS per order, want at most 0.5 (broadcast %.2f)", w.sms, b.sms)
	}
	if w.claimP50 > 1.5*b.claimP50 {
		t.Errorf("waves: claimed in %v at the median, want at most 1.5 × broadcast's %v", time.Duration(w.claimP50*1e9), time.Duration(b.claimP50*1e9))
	}
	if w.pickupKmP50 > b.pickupKmP50/2 {
		t.Errorf("waves: %.2f km to the shop at the median, want at most half broadcast's %.2f", w.pickupKmP50, b.pickupKmP50)
	}
}

func TestCheckFlags(t *testing.T) {
	ok := smallCity(1)
	tests := []struct {
		name   string
		change func(*config)
		valid  bool
	}{
		{"defaults", func(*config) {}, true},
		{"no carrier", func(c *config) { c.Carriers = 0 }, false},
		{"more carriers than ids", func(c *config) { c.Carriers = 1 << 16 }, false},
		{"no hours", func(c *config) { c.Hours = 0 }, false},
		{"push over 1", func(c *config) { c.Push = 1.5 }, false},
		{"negative limit", func(c *config) { c.CarrierLimit = -1 }, false},
		{"wave size 0", func(c *config) { c.Waves.WaveSize = 0 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.change(&cfg)
			if err := check(cfg); (err == nil) != tt.valid {
				t.Errorf("check(%+v) = %v, want valid %v", cfg, err, tt.valid)
			}
		})
	}
}
