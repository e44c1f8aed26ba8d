package mysql_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// Concurrent events never let more than Max through, refused ones are not
// counted, and the previous window weighs in the next.
func TestRateLimits(t *testing.T) {
	db := dbtest.MustOpenDB(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	limiter := &market.RateLimiter{Store: mysql.NewRateStore(db), Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}}
	ten := market.Limit{Max: 10, Window: time.Minute}

	var allowed, throttled atomic.Int32
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			err := limiter.Allow(ctx, "orders", "198.51.100.7", ten, "too many")
			switch market.ErrorCode(err) {
			case market.CodeThrottled:
				throttled.Add(1)
			default:
				if err != nil {
					t.Error(err)
					return
				}
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if a := allowed.Load(); a != 10 || a+throttled.Load() != 30 {
		t.Fatalf("%d allowed and %d throttled of 30, want 10 allowed", a, throttled.Load())
	}
	if err := limiter.Allow(ctx, "orders", "198.51.100.8", ten, "too many"); err != nil {
		t.Errorf("another client: %v", err)
	}

	// Half a minute into the next window, the full previous window still
	// counts for half of itself.
	mu.Lock()
	now = now.Add(90 * time.Second)
	mu.Unlock()
	passed := 0
	for range 10 {
		if limiter.Allow(ctx, "orders", "198.51.100.7", ten, "too many") == nil {
			passed++
		}
	}
	if passed != 5 {
		t.Errorf("%d allowed half a window after 10, want 5", passed)
	}

	// Two windows on, the expired counters are forgotten as new ones start.
	mu.Lock()
	now = now.Add(5 * time.Minute)
	mu.Unlock()
	if err := limiter.Allow(ctx, "orders", "198.51.100.9", ten, "too many"); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := db.GetContext(ctx, &rows, `SELECT COUNT(*) FROM rate_limits WHERE expires_at < ?`, now); err != nil {
		t.Fatal(err)
	}
	if rows != 0 {
		t.Errorf("%d expired counters kept", rows)
	}
}
