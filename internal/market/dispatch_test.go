package market_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// shopAt is the pickup the wave tests offer orders from.
var shopAt = market.Location{Lat: 38.7139, Lng: -9.1394}

// northOf is the point km kilometres due north of shopAt: distances
// along a meridian are exact enough to order carriers by.
func northOf(km float64) market.Location {
	return market.Location{Lat: shopAt.Lat + km/111.2, Lng: shopAt.Lng}
}

// waveCarrier is carrier id on shift km north of the shop, holding held
// orders, reachable by push or not.
func waveCarrier(id int64, km float64, held int, push bool) market.ShiftCarrier {
	return market.ShiftCarrier{ID: id, Position: northOf(km), Held: held, Push: push}
}

// shuffled is cs in an order of its own: PlanWave must not depend on the
// order a store returns carriers in.
func shuffled(cs ...market.ShiftCarrier) []market.ShiftCarrier {
	out := slices.Clone(cs)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func offeredSet(ids ...int64) map[int64]bool {
	set := map[int64]bool{}
	for _, id := range ids {
		set[id] = true
	}
	return set
}

// offerIDs are the carriers a wave offers the order to, and by which
// channel, as "id:channel".
func offerIDs(w market.Wave) []string {
	var out []string
	for _, o := range w.Offers {
		out = append(out, strconv.FormatInt(o.CarrierID, 10)+":"+string(o.Channel))
	}
	return out
}

func TestPlanWave(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	waves := market.DefaultDispatchSettings() // 3 a wave, every minute, 4 waves, 10 km
	allPush := []market.ShiftCarrier{
		waveCarrier(1, 0.5, 0, true), waveCarrier(2, 1, 0, true), waveCarrier(3, 1.5, 0, true),
		waveCarrier(4, 2, 0, true), waveCarrier(5, 2.5, 0, true), waveCarrier(6, 3, 0, true),
		waveCarrier(7, 3.5, 0, true),
	}
	tests := []struct {
		name     string
		settings market.DispatchSettings
		number   int
		noPickup bool // the order has no location
		nearby   []market.ShiftCarrier
		offered  map[int64]bool
		limit    int
		want     []string // "id:channel", in the order offered; nil when broadcast
	}{
		{
			name:   "the nearest three",
			number: 1, nearby: shuffled(allPush...), limit: 3,
			want: []string{"1:push", "2:push", "3:push"},
		},
		{
			name:   "wave 2 widens to the next three",
			number: 2, nearby: shuffled(allPush...), offered: offeredSet(1, 2, 3), limit: 3,
			want: []string{"4:push", "5:push", "6:push"},
		},
		{
			name:   "wave 3 takes who is left, fewer than a wave",
			number: 3, nearby: shuffled(allPush...), offered: offeredSet(1, 2, 3, 4, 5, 6), limit: 3,
			want: []string{"7:push"},
		},
		{
			name:   "a carrier at the limit is skipped",
			number: 1, limit: 3,
			nearby: shuffled(waveCarrier(1, 0.1, 3, true), waveCarrier(2, 0.2, 2, true), waveCarrier(3, 0.3, 5, true),
				waveCarrier(4, 0.4, 0, true), waveCarrier(5, 0.5, 0, true)),
			want: []string{"2:push", "4:push", "5:push"},
		},
		{
			name:   "limit 0 bounds nothing",
			number: 1, limit: 0,
			nearby: shuffled(waveCarrier(1, 0.1, 30, true), waveCarrier(2, 0.2, 2, true), waveCarrier(3, 0.3, 5, true),
				waveCarrier(4, 0.4, 0, true)),
			want: []string{"1:push", "2:push", "3:push"},
		},
		{
			name:   "carriers beyond the radius are not offered it",
			number: 1, limit: 3,
			nearby: shuffled(waveCarrier(1, 9.9, 0, true), waveCarrier(2, 10.1, 0, true), waveCarrier(3, 12, 0, true)),
			want:   []string{"1:push"},
		},
		{
			name:   "push first among the nearest three waves' worth",
			number: 1, limit: 3,
			// SMS-only carriers nearest; two push carriers within the 9
			// nearest come first; the push carrier 10th is beyond them.
			nearby: shuffled(
				waveCarrier(1, 0.1, 0, false), waveCarrier(2, 0.2, 0, false), waveCarrier(3, 0.3, 0, false),
				waveCarrier(4, 0.4, 0, true), waveCarrier(5, 0.5, 0, false), waveCarrier(6, 0.6, 0, false),
				waveCarrier(7, 0.7, 0, false), waveCarrier(8, 0.8, 0, false), waveCarrier(9, 0.9, 0, true),
				waveCarrier(10, 1.0, 0, true)),
			want: []string{"4:push", "9:push", "1:sms"},
		},
		{
			name:   "SMS when nobody near has push",
			number: 1, limit: 3,
			nearby: shuffled(waveCarrier(1, 0.1, 0, false), waveCarrier(2, 0.2, 0, false), waveCarrier(3, 0.3, 0, false),
				waveCarrier(4, 0.4, 0, false)),
			want: []string{"1:sms", "2:sms", "3:sms"},
		},
		{
			name:   "ties broken by id",
			number: 1, limit: 3,
			nearby: shuffled(waveCarrier(9, 1, 0, true), waveCarrier(4, 1, 0, true), waveCarrier(7, 1, 0, true),
				waveCarrier(2, 1, 0, true), waveCarrier(5, 1, 0, false)),
			want: []string{"2:push", "4:push", "7:push"},
		},
		{
			name:     "wave size 1",
			settings: market.DispatchSettings{Mode: market.DispatchWaves, WaveSize: 1, WaveInterval: time.Minute, MaxWaves: 4, RadiusKm: 10},
			number:   1, nearby: shuffled(allPush...), limit: 3,
			want: []string{"1:push"},
		},
		{
			name:   "broadcast after the last wave",
			number: 5, nearby: shuffled(allPush...), limit: 3,
		},
		{
			name:   "broadcast when everyone near was offered it",
			number: 3, nearby: shuffled(allPush[:3]...), offered: offeredSet(1, 2, 3), limit: 3,
		},
		{
			name:   "broadcast when everyone near is at the limit",
			number: 1, nearby: shuffled(waveCarrier(1, 0.1, 3, true), waveCarrier(2, 0.2, 4, false)), limit: 3,
		},
		{
			name:   "broadcast when nobody is on shift near",
			number: 1, limit: 3,
		},
		{
			name:   "broadcast when the order has no location",
			number: 1, noPickup: true, nearby: shuffled(allPush...), limit: 3,
		},
		{
			name:     "broadcast in broadcast mode",
			settings: market.DispatchSettings{Mode: market.DispatchBroadcast, WaveSize: 3, WaveInterval: time.Minute, MaxWaves: 4, RadiusKm: 10},
			number:   1, nearby: shuffled(allPush...), limit: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := waves
			if tt.settings != (market.DispatchSettings{}) {
				s = tt.settings
			}
			pickup := &shopAt
			if tt.noPickup {
				pickup = nil
			}
			w := s.PlanWave(tt.number, pickup, tt.nearby, tt.offered, tt.limit, now)
			if w.Number != tt.number {
				t.Errorf("PlanWave(%d).Number = %d", tt.number, w.Number)
			}
			if got := offerIDs(w); !slices.Equal(got, tt.want) {
				t.Errorf("PlanWave(%d) offers %v, want %v", tt.number, got, tt.want)
			}
			if want := tt.want == nil; w.Broadcast != want {
				t.Errorf("PlanWave(%d).Broadcast = %v, want %v", tt.number, w.Broadcast, want)
			}
			switch {
			case w.Broadcast && w.NextAt != nil:
				t.Errorf("PlanWave(%d) broadcast with NextAt %v, want nil", tt.number, *w.NextAt)
			case !w.Broadcast && (w.NextAt == nil || !w.NextAt.Equal(now.Add(s.WaveInterval))):
				t.Errorf("PlanWave(%d).NextAt = %v, want %v", tt.number, w.NextAt, now.Add(s.WaveInterval))
			}
			for _, o := range w.Offers {
				c := tt.nearby[slices.IndexFunc(tt.nearby, func(c market.ShiftCarrier) bool { return c.ID == o.CarrierID })]
				if want := market.DistanceKm(shopAt, c.Position); o.DistanceKm != want {
					t.Errorf("offer to %d: DistanceKm = %v, want %v", o.CarrierID, o.DistanceKm, want)
				}
			}
		})
	}
}

// TestPlanWaveOutward runs the waves of one order as a runner does, each
// given the carriers offered before: every carrier is offered it at most
// once, no wave is nearer than the one before, and it is broadcast once
// the waves are spent.
func TestPlanWaveOutward(t *testing.T) {
	s := market.DefaultDispatchSettings()
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	var nearby []market.ShiftCarrier
	for id := int64(1); id <= 40; id++ {
		nearby = append(nearby, waveCarrier(id, float64(41-id)/4, 0, true)) // id 40 nearest
	}
	offered := map[int64]bool{}
	farthest := 0.0
	for n := 1; n <= s.MaxWaves+1; n++ {
		w := s.PlanWave(n, &shopAt, shuffled(nearby...), offered, 3, now)
		if n > s.MaxWaves {
			if !w.Broadcast {
				t.Fatalf("wave %d: %v, want the broadcast", n, offerIDs(w))
			}
			break
		}
		if w.Broadcast || len(w.Offers) != s.WaveSize {
			t.Fatalf("wave %d: %v (broadcast %v), want %d offers", n, offerIDs(w), w.Broadcast, s.WaveSize)
		}
		for _, o := range w.Offers {
			if offered[o.CarrierID] {
				t.Errorf("wave %d offers carrier %d again", n, o.CarrierID)
			}
			if o.DistanceKm < farthest {
				t.Errorf("wave %d offers carrier %d at %v km, nearer than wave %d's %v km", n, o.CarrierID, o.DistanceKm, n-1, farthest)
			}
			offered[o.CarrierID] = true
		}
		farthest = w.Offers[len(w.Offers)-1].DistanceKm
		now = *w.NextAt
	}
	if len(offered) != s.MaxWaves*s.WaveSize {
		t.Errorf("offered %d carriers, want %d", len(offered), s.MaxWaves*s.WaveSize)
	}
}

// TestCandidateCount: a store asked for CandidateCount carriers returns
// enough that a wave sees past the ones already offered the order.
func TestCandidateCount(t *testing.T) {
	s := market.DefaultDispatchSettings()
	for _, offered := range []int{0, 3, 12} {
		if got := s.CandidateCount(offered); got < offered+s.WaveSize {
			t.Errorf("CandidateCount(%d) = %d, want at least %d", offered, got, offered+s.WaveSize)
		}
	}
}

func TestDispatchSettingsValidate(t *testing.T) {
	ok := market.DefaultDispatchSettings()
	tests := []struct {
		name    string
		change  func(*market.DispatchSettings)
		wantErr string // the variable named, "" when valid
	}{
		{"defaults", func(*market.DispatchSettings) {}, ""},
		{"broadcast mode", func(s *market.DispatchSettings) { s.Mode = market.DispatchBroadcast }, ""},
		{"unknown mode", func(s *market.DispatchSettings) { s.Mode = "nearest" }, "DISPATCH_MODE"},
		{"empty mode", func(s *market.DispatchSettings) { s.Mode = "" }, "DISPATCH_MODE"},
		{"wave size 0", func(s *market.DispatchSettings) { s.WaveSize = 0 }, "DISPATCH_WAVE_SIZE"},
		{"wave size 1", func(s *market.DispatchSettings) { s.WaveSize = 1 }, ""},
		{"wave size at the bound", func(s *market.DispatchSettings) { s.WaveSize = market.MaxWaveSize }, ""},
		{"wave size over the bound", func(s *market.DispatchSettings) { s.WaveSize = market.MaxWaveSize + 1 }, "DISPATCH_WAVE_SIZE"},
		{"interval too short", func(s *market.DispatchSettings) { s.WaveInterval = market.MinWaveInterval - time.Second }, "DISPATCH_WAVE_SECONDS"},
		{"interval shortest", func(s *market.DispatchSettings) { s.WaveInterval = market.MinWaveInterval }, ""},
		{"interval longest", func(s *market.DispatchSettings) { s.WaveInterval = market.MaxWaveInterval }, ""},
		{"interval past an SQS delay", func(s *market.DispatchSettings) { s.WaveInterval = market.MaxWaveInterval + time.Second }, "DISPATCH_WAVE_SECONDS"},
		{"no wave", func(s *market.DispatchSettings) { s.MaxWaves = 0 }, "DISPATCH_MAX_WAVES"},
		{"most waves", func(s *market.DispatchSettings) { s.MaxWaves = market.MaxDispatchWave }, ""},
		{"too many waves", func(s *market.DispatchSettings) { s.MaxWaves = market.MaxDispatchWave + 1 }, "DISPATCH_MAX_WAVES"},
		{"radius 0", func(s *market.DispatchSettings) { s.RadiusKm = 0 }, "DISPATCH_RADIUS_KM"},
		{"radius negative", func(s *market.DispatchSettings) { s.RadiusKm = -1 }, "DISPATCH_RADIUS_KM"},
		{"radius NaN", func(s *market.DispatchSettings) { s.RadiusKm = math.NaN() }, "DISPATCH_RADIUS_KM"},
		{"radius small", func(s *market.DispatchSettings) { s.RadiusKm = 0.1 }, ""},
		{"radius at the bound", func(s *market.DispatchSettings) { s.RadiusKm = market.MaxRadiusKm }, ""},
		{"radius over the bound", func(s *market.DispatchSettings) { s.RadiusKm = market.MaxRadiusKm + 0.5 }, "DISPATCH_RADIUS_KM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok
			tt.change(&s)
			err := s.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate(%+v) = %v, want nil", s, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate(%+v) = %v, want an error naming %s", s, err, tt.wantErr)
			}
		})
	}
}

func TestDispatchUsesWaves(t *testing.T) {
	waves := market.DefaultDispatchSettings()
	broadcast := waves
	broadcast.Mode = market.DispatchBroadcast
	tests := []struct {
		name     string
		settings market.DispatchSettings
		pickup   *market.Location
		want     bool
	}{
		{"waves, located", waves, &shopAt, true},
		{"waves, no location", waves, nil, false},
		{"broadcast, located", broadcast, &shopAt, false},
		{"broadcast, no location", broadcast, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.settings.UsesWaves(tt.pickup); got != tt.want {
				t.Errorf("UsesWaves = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDispatchBroadcastBy(t *testing.T) {
	start := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		settings market.DispatchSettings
		want     time.Time
	}{
		{"defaults: 4 waves a minute apart", market.DefaultDispatchSettings(), start.Add(4*time.Minute + market.TimerGrace)},
		{"one wave of 15 minutes", market.DispatchSettings{Mode: market.DispatchWaves, WaveSize: 3, WaveInterval: 15 * time.Minute, MaxWaves: 1, RadiusKm: 10},
			start.Add(15*time.Minute + market.TimerGrace)},
		{"20 waves of 5 s", market.DispatchSettings{Mode: market.DispatchWaves, WaveSize: 3, WaveInterval: 5 * time.Second, MaxWaves: 20, RadiusKm: 10},
			start.Add(100*time.Second + market.TimerGrace)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.settings.BroadcastBy(start); !got.Equal(tt.want) {
				t.Errorf("BroadcastBy(%v) = %v, want %v", start, got, tt.want)
			}
		})
	}
}
