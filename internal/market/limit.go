package market

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Limit is how many events of one kind a key may have within a sliding
// window. The zero Limit allows everything: tests and tools that build
// handlers without settings are not limited.
type Limit struct {
	Max    int
	Window time.Duration
}

// Off reports whether l allows everything.
func (l Limit) Off() bool { return l.Max <= 0 || l.Window <= 0 }

// String is the form ParseLimit reads: "30/10m0s", or "off".
func (l Limit) String() string {
	if l.Off() {
		return "off"
	}
	return fmt.Sprintf("%d/%s", l.Max, l.Window)
}

// The bounds of a limit's window: a second is the finest a Retry-After
// says, and a day is as long as any window a counter is kept for.
const (
	minLimitWindow = time.Second
	maxLimitWindow = 24 * time.Hour
)

// ParseLimit reads "N/DURATION" ("30/10m": 30 per 10 minutes), with N at
// least 1 and the window from a second to a day, or "off".
func ParseLimit(s string) (Limit, error) {
	s = strings.TrimSpace(s)
	if s == "off" {
		return Limit{}, nil
	}
	count, window, ok := strings.Cut(s, "/")
	if !ok {
		return Limit{}, fmt.Errorf("limit %q is not N/DURATION (for example 30/10m) or off", s)
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 {
		return Limit{}, fmt.Errorf("limit %q: %q is not a whole number of at least 1", s, count)
	}
	d, err := time.ParseDuration(window)
	if err != nil || d < minLimitWindow || d > maxLimitWindow {
		return Limit{}, fmt.Errorf("limit %q: %q is not a duration from 1s to 24h", s, window)
	}
	return Limit{Max: n, Window: d}, nil
}

// Limits are the marketplace's bounds on what one client, one phone, one
// carrier or everyone together may do: each public write and each path
// that sends an SMS has one. internal/app reads them from the environment
// (README.md, Configuration); the zero Limits limit nothing.
type Limits struct {
	// OrdersPerClient bounds the orders placed from one client address.
	OrdersPerClient Limit
	// OrdersTotal bounds the orders placed by everyone together: the
	// guard that keeps a flood from many addresses from texting every
	// carrier without end.
	OrdersTotal Limit
	// OpenOrdersPerPhone bounds the orders of one customer phone that
	// are not yet delivered or cancelled; 0 is no bound.
	OpenOrdersPerPhone int
	// OffersPerOrder bounds how many times an order is offered to the
	// carriers; 0 is no bound.
	OffersPerOrder int
	// CarrierOrders bounds the orders one carrier holds that are not yet
	// delivered; 0 is no bound.
	CarrierOrders int
	// ReleasesPerCarrier bounds how often one carrier gives orders back.
	ReleasesPerCarrier Limit
	// ShiftsPerCarrier bounds how often one carrier starts or ends
	// a shift.
	ShiftsPerCarrier Limit
	// PushChangesPerCarrier bounds how often one carrier subscribes to
	// push or unsubscribes.
	PushChangesPerCarrier Limit
	// SignInCodesPerClient and SignInCodesTotal bound the sign-in codes
	// requested from one client address and by everyone together, over
	// every phone; SignInChecksPerClient bounds the codes one client
	// address tries, over every phone.
	SignInCodesPerClient  Limit
	SignInCodesTotal      Limit
	SignInChecksPerClient Limit
}

// RateCounts are the events a key has had in the current fixed window and
// in the one before it.
type RateCounts struct {
	Current  int
	Previous int
}

// RateStore counts events per key in fixed windows.
type RateStore interface {
	// Count returns key's count in the window that starts at window.
	Count(ctx context.Context, key string, window time.Time) (int, error)
	// Add adds one event to key's window that starts at window if that
	// window holds fewer than capacity, and reports whether it did; the
	// counter is kept until expires. Of concurrent calls, no more than
	// capacity ever succeed in all.
	Add(ctx context.Context, key string, window time.Time, capacity int, expires time.Time) (bool, error)
}

// RateLimiter enforces Limits with a sliding-window counter: the current
// fixed window's count plus the previous window's, weighted by how much of
// it the sliding window still covers. It keeps one number per key and
// window. Since the previous window is closed, its count is known, and how
// many events the current window may hold right now follows from it: the
// store adds an event only below that, so that concurrent requests are
// neither let through over the limit nor refused under it.
type RateLimiter struct {
	Store RateStore
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Allow counts one event of kind for key against l and answers nil, or a
// CodeThrottled error with the wait and the message refusal gives; a
// refused event is not counted. The key is hashed before it is stored, so
// the counters hold no address or phone. A nil limiter or an off limit
// allows everything.
func (r *RateLimiter) Allow(ctx context.Context, kind, key string, l Limit, refusal string) error {
	if r == nil || r.Store == nil || l.Off() {
		return nil
	}
	now := time.Now()
	if r.Now != nil {
		now = r.Now()
	}
	now = now.UTC()
	window := now.Truncate(l.Window)
	elapsed := now.Sub(window)
	bucket := rateKey(kind, key, l)
	previous, err := r.Store.Count(ctx, bucket, window.Add(-l.Window))
	if err != nil {
		return err
	}
	capacity := windowCapacity(previous, l, elapsed)
	if capacity > 0 {
		// A window's count still weighs in the window after it.
		added, err := r.Store.Add(ctx, bucket, window, capacity, window.Add(2*l.Window))
		if err != nil || added {
			return err
		}
	}
	current, err := r.Store.Count(ctx, bucket, window)
	if err != nil {
		return err
	}
	wait, _ := slidingWait(RateCounts{Previous: previous, Current: current + 1}, l, elapsed)
	return Throttled(wait, refusal)
}

// windowCapacity is how many events the current window may hold, elapsed
// into it, after previous events in the window before: the most n with
// previous × (Window − elapsed) / Window + n ≤ Max.
func windowCapacity(previous int, l Limit, elapsed time.Duration) int {
	w := l.Window.Milliseconds()
	return int((int64(l.Max)*w - int64(previous)*(w-elapsed.Milliseconds())) / w)
}

// rateKey names a counter: the kind and the limit's window keep counters
// of different limits apart, and the hash keeps the key itself out of the
// table.
func rateKey(kind, key string, l Limit) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + l.Window.String() + "\x00" + key))
	return kind + ":" + hex.EncodeToString(sum[:12])
}

// slidingWait says whether counts, taken elapsed into the current window,
// are over l, and if so how long until one more event would be allowed.
// The sliding count is Previous × (Window − elapsed) / Window + Current;
// it is compared multiplied out, in milliseconds, so that no float and no
// rounding is involved.
func slidingWait(counts RateCounts, l Limit, elapsed time.Duration) (time.Duration, bool) {
	w := l.Window.Milliseconds()
	e := elapsed.Milliseconds()
	prev, current, limit := int64(counts.Previous), int64(counts.Current), int64(l.Max)
	if prev*(w-e)+current*w <= limit*w {
		return 0, false
	}
	// The event is refused and not counted, so the next one is allowed
	// once Previous × (w − t) + Current × w ≤ Max × w, Current being this
	// window's count without it plus the one to come.
	if current <= limit && prev > 0 {
		// Still within this window, once enough of the previous one has
		// slid out of the sliding one.
		if t := w - (limit-current)*w/prev; t < w {
			return ceilSecond(time.Duration(t-e) * time.Millisecond), true
		}
	}
	// Not before the next window, where this one's events are the
	// previous ones (current − 1 of them) and the one to come is the
	// first.
	t := int64(0)
	if current > 1 {
		t = max(0, w-(limit-1)*w/(current-1))
	}
	return ceilSecond(time.Duration(w-e+t) * time.Millisecond), true
}

func ceilSecond(d time.Duration) time.Duration {
	if d < time.Second {
		return time.Second
	}
	return (d + time.Second - 1).Truncate(time.Second)
}

// Throttled is the CodeThrottled error after which a client may try again
// in wait: message says what was limited, and the error adds when.
func Throttled(wait time.Duration, message string) *Error {
	seconds := int(ceilSecond(wait) / time.Second)
	return &Error{
		Code:    CodeThrottled,
		Message: fmt.Sprintf("%s; try again in %d seconds", message, seconds),
		Details: RetryAfter{Seconds: seconds},
	}
}

// ClientKey is the key a client address is limited under: an IPv4
// address as it is, and an IPv6 address by its /64, the prefix one
// subscriber is usually given whole. A value that is not an address is
// limited as it is.
func ClientKey(address string) string {
	addr, err := netip.ParseAddr(address)
	if err != nil {
		return address
	}
	addr = addr.Unmap()
	if addr.Is6() {
		prefix, err := addr.Prefix(64)
		if err == nil {
			return prefix.String()
		}
	}
	return addr.String()
}
