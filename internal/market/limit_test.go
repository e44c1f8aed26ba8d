package market

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestParseLimit(t *testing.T) {
	tests := []struct {
		in   string
		want Limit
		bad  bool
	}{
		{in: "30/10m", want: Limit{Max: 30, Window: 10 * time.Minute}},
		{in: " 5/1h ", want: Limit{Max: 5, Window: time.Hour}},
		{in: "1/1s", want: Limit{Max: 1, Window: time.Second}},
		{in: "off", want: Limit{}},
		{in: "", bad: true},
		{in: "30", bad: true},
		{in: "0/10m", bad: true},
		{in: "-1/10m", bad: true},
		{in: "x/10m", bad: true},
		{in: "3/0s", bad: true},
		{in: "3/500ms", bad: true},
		{in: "3/25h", bad: true},
		{in: "3/ten", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseLimit(tt.in)
			if tt.bad {
				if err == nil {
					t.Fatalf("ParseLimit(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseLimit(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			if back, err := ParseLimit(got.String()); err != nil || back != got {
				t.Errorf("ParseLimit(%q.String()) = %v, %v", got, back, err)
			}
		})
	}
}

func TestSlidingWait(t *testing.T) {
	ten := Limit{Max: 10, Window: 10 * time.Minute}
	tests := []struct {
		name     string
		counts   RateCounts
		elapsed  time.Duration
		wantOver bool
		wantWait time.Duration
	}{
		{name: "first event", counts: RateCounts{Current: 1}},
		{name: "the last one allowed", counts: RateCounts{Current: 10}},
		{name: "one over, nothing before", counts: RateCounts{Current: 11}, elapsed: 4 * time.Minute, wantOver: true,
			// The next window starts in 6 minutes with ten events behind
			// it: 10 × (10 − t)/10 + 1 ≤ 10 from t = 1 minute into it.
			wantWait: 7 * time.Minute},
		{name: "the previous window still weighs", counts: RateCounts{Previous: 10, Current: 5}, elapsed: 2 * time.Minute, wantOver: true,
			// 10 × (10 − t)/10 + 5 ≤ 10 from t = 5 minutes: 3 minutes on.
			wantWait: 3 * time.Minute},
		{name: "the previous window has slid enough", counts: RateCounts{Previous: 10, Current: 5}, elapsed: 5 * time.Minute},
		{name: "far over waits for the window after", counts: RateCounts{Previous: 0, Current: 40}, elapsed: 9 * time.Minute, wantOver: true,
			// Next window: 39 × (10 − t)/10 + 1 ≤ 10 from t = 10 − 90/39
			// minutes (461.539 s) into it, a minute from now.
			wantWait: 522 * time.Second},
		{name: "a wait is at least a second", counts: RateCounts{Previous: 1000, Current: 10}, elapsed: 10*time.Minute - time.Millisecond, wantOver: true, wantWait: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wait, over := slidingWait(tt.counts, ten, tt.elapsed)
			if over != tt.wantOver || wait != tt.wantWait {
				t.Fatalf("slidingWait(%+v, %v) = %v, %v; want %v, %v", tt.counts, tt.elapsed, wait, over, tt.wantWait, tt.wantOver)
			}
			if !over {
				return
			}
			// After the wait, one more event is allowed, and a second
			// earlier it is not (the wait is not longer than needed,
			// give or take the rounding up to a second).
			after := tt.elapsed + wait
			next := tt.counts
			if after >= ten.Window {
				next = RateCounts{Previous: tt.counts.Current - 1, Current: 1}
				after -= ten.Window
			}
			if _, stillOver := slidingWait(next, ten, after); stillOver {
				t.Errorf("still over after waiting %v", wait)
			}
		})
	}
}

func TestClientKey(t *testing.T) {
	tests := map[string]string{
		"198.51.100.7":                  "198.51.100.7",
		"::ffff:198.51.100.7":           "198.51.100.7",
		"2001:db8:1:2:3:4:5:6":          "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff:ffff:1": "2001:db8:1:2::/64",
		"not an address":                "not an address",
	}
	for in, want := range tests {
		if got := ClientKey(in); got != want {
			t.Errorf("ClientKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// memoryRates is a RateStore in memory, for the limiter's own rules.
type memoryRates map[string]int

func (m memoryRates) Count(_ context.Context, key string, window time.Time) (int, error) {
	return m[key+window.String()], nil
}

func (m memoryRates) Add(_ context.Context, key string, window time.Time, capacity int, _ time.Time) (bool, error) {
	if m[key+window.String()] >= capacity {
		return false, nil
	}
	m[key+window.String()]++
	return true, nil
}

func TestRateLimiter(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 30, 0, time.UTC)
	r := &RateLimiter{Store: memoryRates{}, Now: func() time.Time { return now }}
	three := Limit{Max: 3, Window: time.Minute}
	ctx := context.Background()
	for i := range 3 {
		if err := r.Allow(ctx, "orders", "198.51.100.7", three, "too many orders"); err != nil {
			t.Fatalf("event %d: %v", i+1, err)
		}
	}
	err := r.Allow(ctx, "orders", "198.51.100.7", three, "too many orders from this address")
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeThrottled || e.Details != (RetryAfter{Seconds: 50}) ||
		e.Message != "too many orders from this address; try again in 50 seconds" {
		t.Fatalf("fourth event: %#v, want throttled for 50 s (the window's three events weigh until 20 s into the next)", err)
	}
	// Another key, another kind and an off limit are counted apart.
	for _, call := range []struct{ kind, key string }{{"orders", "198.51.100.8"}, {"codes", "198.51.100.7"}} {
		if err := r.Allow(ctx, call.kind, call.key, three, "x"); err != nil {
			t.Errorf("%s %s: %v", call.kind, call.key, err)
		}
	}
	if err := r.Allow(ctx, "orders", "198.51.100.7", Limit{}, "x"); err != nil {
		t.Errorf("off limit: %v", err)
	}
	var none *RateLimiter
	if err := none.Allow(ctx, "orders", "198.51.100.7", three, "x"); err != nil {
		t.Errorf("nil limiter: %v", err)
	}
	// Refused events were not counted: a minute later, with the first
	// window's three events sliding out, the client may order again.
	now = now.Add(time.Minute)
	if err := r.Allow(ctx, "orders", "198.51.100.7", three, "x"); err != nil {
		t.Errorf("a window later: %v", err)
	}
}
