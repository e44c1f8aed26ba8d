package market

import (
	"context"
	"math"
	"strconv"
	"time"
)

// Shifts: a carrier is offered orders in waves (dispatch.go) only while
// on shift, and where they are is known only then. A shift starts when
// the carrier says so and ends when they say so, ShiftMaxLength after it
// started, or PositionTimeout after the last position (or after the start
// when none came), whichever is first: a phone that stopped sending, or
// a carrier who went home without ending the shift, is not offered orders
// they will not see. A shift that ended is forgotten, position included.

// The rules of a shift.
const (
	// ShiftMaxLength is the longest a shift lasts.
	ShiftMaxLength = 12 * time.Hour
	// PositionTimeout is how long a shift lasts without a position.
	PositionTimeout = 30 * time.Minute
	// MinLocationInterval is how soon after the last stored position the
	// next is accepted: the carrier page sends one every 15 seconds, and
	// 10 leaves room for a timer that fires late followed by one on time,
	// or a request held up by the network, without storing a position a
	// client sends in a loop more than six times a minute.
	MinLocationInterval = 10 * time.Second
	// MaxAccuracyMetres is the largest accuracy a position may say it
	// has: a fix worse than 10 km says nothing about which carrier is
	// nearest.
	MaxAccuracyMetres = 10_000
)

// ShiftPosition is where an on-shift carrier last said they were: the
// point, the radius in metres it is good to (nil: not said) and when.
type ShiftPosition struct {
	Lat      float64   `json:"lat"`
	Lng      float64   `json:"lng"`
	Accuracy *int      `json:"accuracy"`
	At       time.Time `json:"at"`
}

// Shift is a carrier's shift as the carrier sees it: off shift, nothing
// else; on shift, when it started, when it ends unless a position comes
// first, and the last position (nil until one comes). The position is
// the carrier's own and shown to no one else.
type Shift struct {
	OnShift   bool           `json:"onShift"`
	StartedAt *time.Time     `json:"startedAt"`
	EndsAt    *time.Time     `json:"endsAt"`
	Position  *ShiftPosition `json:"position"`
}

// ShiftRecord is a stored shift, the snapshot the rules decide on.
type ShiftRecord struct {
	CarrierID int64
	StartedAt time.Time
	EndsAt    time.Time
	Position  *ShiftPosition
}

// NewShiftRecord is the shift carrier starts at now.
func NewShiftRecord(carrier int64, now time.Time) ShiftRecord {
	now = shiftTime(now)
	return ShiftRecord{CarrierID: carrier, StartedAt: now, EndsAt: shiftEnd(now, now)}
}

// shiftTime is a time as the store keeps it: DATETIME(6), in UTC.
func shiftTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// shiftEnd is when a shift started at started ends if nothing is heard
// from the carrier after lastSeen.
func shiftEnd(started, lastSeen time.Time) time.Time {
	return minTime(started.Add(ShiftMaxLength), lastSeen.Add(PositionTimeout))
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Live reports whether the shift has not ended at now.
func (r ShiftRecord) Live(now time.Time) bool { return r.EndsAt.After(now) }

// View is the shift as its carrier sees it at now.
func (r ShiftRecord) View(now time.Time) Shift {
	if !r.Live(now) {
		return Shift{}
	}
	started, ends := r.StartedAt, r.EndsAt
	return Shift{OnShift: true, StartedAt: &started, EndsAt: &ends, Position: r.Position}
}

// Locate decides a position p sent at now for the shift r, the carrier's
// stored shift (nil: none), and returns the shift with it: CodeConflict
// when the carrier is not on shift, since a position is kept only during
// one, and CodeThrottled when the last position was stored less than
// MinLocationInterval before now.
func Locate(r *ShiftRecord, p Position, now time.Time) (ShiftRecord, error) {
	now = shiftTime(now)
	if r == nil || !r.Live(now) {
		return ShiftRecord{}, &Error{Code: CodeConflict, Message: "you are not on shift: start a shift before sending your position", Details: map[string]string{"reason": "off_shift"}}
	}
	if last := r.Position; last != nil {
		if wait := last.At.Add(MinLocationInterval).Sub(now); wait > 0 {
			return ShiftRecord{}, Throttled(wait, "positions come too often: send one at most every "+strconv.Itoa(int(MinLocationInterval/time.Second))+" seconds")
		}
	}
	next := *r
	next.Position = &ShiftPosition{Lat: p.Location.Lat, Lng: p.Location.Lng, Accuracy: p.AccuracyM, At: now}
	next.EndsAt = shiftEnd(r.StartedAt, now)
	return next, nil
}

// Position is a validated position report.
type Position struct {
	Location  Location
	AccuracyM *int // nil: not said
}

// PositionInput is the body of a position report, as the Geolocation API
// gives it: coordinates in decimal degrees, accuracy in metres (optional).
type PositionInput struct {
	Lat      *float64 `json:"lat"`
	Lng      *float64 `json:"lng"`
	Accuracy *float64 `json:"accuracy"`
}

// Validate checks a position report and returns it with its coordinates
// kept to six decimals and its accuracy rounded up to whole metres: a
// circle is never said to be smaller than the device said.
func (in PositionInput) Validate() (Position, error) {
	if in.Lat == nil {
		return Position{}, FieldError("lat", "lat is required: a latitude in decimal degrees")
	}
	if in.Lng == nil {
		return Position{}, FieldError("lng", "lng is required: a longitude in decimal degrees")
	}
	loc, err := ValidLocation("position", Location{Lat: *in.Lat, Lng: *in.Lng})
	if err != nil {
		return Position{}, err
	}
	p := Position{Location: loc}
	if in.Accuracy != nil {
		a := *in.Accuracy
		if math.IsNaN(a) || a <= 0 || a > MaxAccuracyMetres {
			return Position{}, FieldError("accuracy", "accuracy must be the position's accuracy in metres, more than 0 and at most %d", MaxAccuracyMetres)
		}
		m := int(math.Ceil(a))
		p.AccuracyM = &m
	}
	return p, nil
}

// ShiftStore keeps the carriers' shifts. A stored shift that has ended is
// as good as none for every method; EndExpired forgets it.
type ShiftStore interface {
	// Start puts carrier on shift with the shift record NewShiftRecord
	// gives for now, unless they are on shift already: then their shift
	// stays as it is, started when it did. It returns the shift.
	Start(ctx context.Context, carrier int64, now time.Time) (ShiftRecord, error)
	// End ends carrier's shift, if any, and forgets their position.
	End(ctx context.Context, carrier int64) error
	// Locate stores where carrier is, as Locate decides on their shift,
	// and returns the shift: CodeConflict when they are not on shift at
	// now, CodeThrottled when the last position is too recent.
	Locate(ctx context.Context, carrier int64, p Position, now time.Time) (ShiftRecord, error)
	// Shift returns carrier's shift, or nil when they are not on shift at
	// now.
	Shift(ctx context.Context, carrier int64, now time.Time) (*ShiftRecord, error)
	// EndExpired forgets at most limit shifts that ended by now, their
	// positions with them, and returns how many.
	EndExpired(ctx context.Context, now time.Time, limit int) (int, error)
}

// Shifts is what carriers do with their shifts: start and end one, send
// where they are, and look at it.
type Shifts struct {
	Store ShiftStore
	// Limiter counts each carrier's shift changes against Changes
	// (Limits.ShiftsPerCarrier); nil or an off limit counts none.
	// Positions are bounded per carrier by MinLocationInterval instead.
	Limiter *RateLimiter
	Changes Limit
	Now     func() time.Time
}

// shiftChangeKind names the shift changes' counters.
const shiftChangeKind = "carrier-shifts"

func (s Shifts) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Shift returns carrier's shift.
func (s Shifts) Shift(ctx context.Context, carrier int64) (Shift, error) {
	now := s.now()
	r, err := s.Store.Shift(ctx, carrier, now)
	if err != nil || r == nil {
		return Shift{}, err
	}
	return r.View(now), nil
}

// SetOnShift starts carrier's shift (on) or ends it, and returns it: both
// are idempotent, so a page that sends one twice changes nothing more.
// Each call counts against Changes: a shift written without end is a
// write without bound.
func (s Shifts) SetOnShift(ctx context.Context, carrier int64, on bool) (Shift, error) {
	refusal := "too many shift changes: a carrier may start or end a shift at most " + perWindow(s.Changes)
	if err := s.Limiter.Allow(ctx, shiftChangeKind, strconv.FormatInt(carrier, 10), s.Changes, refusal); err != nil {
		return Shift{}, err
	}
	now := s.now()
	if !on {
		return Shift{}, s.Store.End(ctx, carrier)
	}
	r, err := s.Store.Start(ctx, carrier, now)
	if err != nil {
		return Shift{}, err
	}
	return r.View(now), nil
}

// Locate stores where carrier is, while they are on shift, and returns
// their shift: CodeConflict off shift, CodeThrottled sooner than
// MinLocationInterval after the last position.
func (s Shifts) Locate(ctx context.Context, carrier int64, in PositionInput) (Shift, error) {
	p, err := in.Validate()
	if err != nil {
		return Shift{}, err
	}
	now := s.now()
	r, err := s.Store.Locate(ctx, carrier, p, now)
	if err != nil {
		return Shift{}, err
	}
	return r.View(now), nil
}
