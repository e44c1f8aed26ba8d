package market_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

func pointer[T any](v T) *T { return &v }

func TestShiftPositionInput(t *testing.T) {
	tests := []struct {
		name  string
		in    market.PositionInput
		want  market.Position
		field string // the field refused, "" when valid
	}{
		{name: "with accuracy", in: market.PositionInput{Lat: pointer(38.7105004), Lng: pointer(-9.1365), Accuracy: pointer(14.2)},
			want: market.Position{Location: market.Location{Lat: 38.7105, Lng: -9.1365}, AccuracyM: pointer(15)}},
		{name: "without accuracy", in: market.PositionInput{Lat: pointer(0.0), Lng: pointer(0.0)},
			want: market.Position{Location: market.Location{}}},
		{name: "accuracy at the bound", in: market.PositionInput{Lat: pointer(1.0), Lng: pointer(2.0), Accuracy: pointer(10000.0)},
			want: market.Position{Location: market.Location{Lat: 1, Lng: 2}, AccuracyM: pointer(10000)}},
		{name: "no lat", in: market.PositionInput{Lng: pointer(2.0)}, field: "lat"},
		{name: "no lng", in: market.PositionInput{Lat: pointer(2.0)}, field: "lng"},
		{name: "lat out of range", in: market.PositionInput{Lat: pointer(90.5), Lng: pointer(2.0)}, field: "position.lat"},
		{name: "lng out of range", in: market.PositionInput{Lat: pointer(1.0), Lng: pointer(-181.0)}, field: "position.lng"},
		{name: "zero accuracy", in: market.PositionInput{Lat: pointer(1.0), Lng: pointer(2.0), Accuracy: pointer(0.0)}, field: "accuracy"},
		{name: "negative accuracy", in: market.PositionInput{Lat: pointer(1.0), Lng: pointer(2.0), Accuracy: pointer(-3.0)}, field: "accuracy"},
		{name: "accuracy past the bound", in: market.PositionInput{Lat: pointer(1.0), Lng: pointer(2.0), Accuracy: pointer(10000.5)}, field: "accuracy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.Validate()
			if tt.field != "" {
				var e *market.Error
				if !errors.As(err, &e) || e.Code != market.CodeInvalid || e.Details.(map[string]string)["field"] != tt.field {
					t.Fatalf("Validate() = %v, want invalid_request on %s", err, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			if got.Location != tt.want.Location || (got.AccuracyM == nil) != (tt.want.AccuracyM == nil) ||
				(got.AccuracyM != nil && *got.AccuracyM != *tt.want.AccuracyM) {
				t.Errorf("Validate() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// A shift ends 30 minutes after its last sign of life, and 12 hours after
// it started at the latest.
func TestShiftLocate(t *testing.T) {
	start := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	here := market.Position{Location: market.Location{Lat: 38.71, Lng: -9.14}}
	fresh := market.NewShiftRecord(7, start)
	if want := start.Add(market.PositionTimeout); !fresh.EndsAt.Equal(want) {
		t.Fatalf("a new shift ends at %v, want %v", fresh.EndsAt, want)
	}
	located, err := market.Locate(&fresh, here, start.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	late := located
	late.Position = &market.ShiftPosition{At: start.Add(ShiftAlmostOver)}
	late.EndsAt = start.Add(market.ShiftMaxLength)

	tests := []struct {
		name    string
		shift   *market.ShiftRecord
		at      time.Time
		code    market.Code
		endsAt  time.Time
		retryIn int
	}{
		{name: "no shift", at: start, code: market.CodeConflict},
		{name: "shift ended", shift: &fresh, at: start.Add(market.PositionTimeout), code: market.CodeConflict},
		{name: "first position", shift: &fresh, at: start.Add(time.Minute), endsAt: start.Add(time.Minute + market.PositionTimeout)},
		{name: "too soon", shift: &located, at: start.Add(time.Minute + 4*time.Second), code: market.CodeThrottled, retryIn: 6},
		{name: "just soon enough", shift: &located, at: start.Add(time.Minute + market.MinLocationInterval), endsAt: start.Add(time.Minute + market.MinLocationInterval + market.PositionTimeout)},
		{name: "near the longest shift", shift: &late, at: start.Add(ShiftAlmostOver + time.Minute), endsAt: start.Add(market.ShiftMaxLength)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := market.Locate(tt.shift, here, tt.at)
			if tt.code != "" {
				var e *market.Error
				if !errors.As(err, &e) || e.Code != tt.code {
					t.Fatalf("Locate() = %v, want %s", err, tt.code)
				}
				if tt.retryIn > 0 && e.Details != (market.RetryAfter{Seconds: tt.retryIn}) {
					t.Errorf("Locate() details = %v, want retry in %d s", e.Details, tt.retryIn)
				}
				return
			}
			if err != nil {
				t.Fatalf("Locate() = %v", err)
			}
			if !got.EndsAt.Equal(tt.endsAt) || !got.StartedAt.Equal(start) || got.Position == nil ||
				got.Position.Lat != here.Location.Lat || !got.Position.At.Equal(tt.at) {
				t.Errorf("Locate() = %+v (position %+v), want started %v, ending %v, at %v", got, got.Position, start, tt.endsAt, tt.at)
			}
		})
	}
}

// ShiftAlmostOver is a last position 30 minutes before the longest shift
// ends.
const ShiftAlmostOver = market.ShiftMaxLength - market.PositionTimeout

func TestShiftView(t *testing.T) {
	start := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	r := market.NewShiftRecord(7, start)
	if v := r.View(start.Add(time.Minute)); !v.OnShift || !v.StartedAt.Equal(start) || v.Position != nil {
		t.Errorf("View() = %+v, want on shift since %v without a position", v, start)
	}
	if v := r.View(r.EndsAt); v.OnShift || v.StartedAt != nil || v.EndsAt != nil {
		t.Errorf("View() at its end = %+v, want off shift and nothing else", v)
	}
}

// memShifts keeps shifts in a map, deciding as the database store does.
type memShifts struct{ shifts map[int64]market.ShiftRecord }

func (m *memShifts) live(carrier int64, now time.Time) *market.ShiftRecord {
	if r, ok := m.shifts[carrier]; ok && r.Live(now) {
		return &r
	}
	return nil
}

func (m *memShifts) Start(_ context.Context, carrier int64, now time.Time) (market.ShiftRecord, error) {
	if r := m.live(carrier, now); r != nil {
		return *r, nil
	}
	m.shifts[carrier] = market.NewShiftRecord(carrier, now)
	return m.shifts[carrier], nil
}

func (m *memShifts) End(_ context.Context, carrier int64) error {
	delete(m.shifts, carrier)
	return nil
}

func (m *memShifts) Locate(_ context.Context, carrier int64, p market.Position, now time.Time) (market.ShiftRecord, error) {
	r, err := market.Locate(m.live(carrier, now), p, now)
	if err == nil {
		m.shifts[carrier] = r
	}
	return r, err
}

func (m *memShifts) Shift(_ context.Context, carrier int64, now time.Time) (*market.ShiftRecord, error) {
	return m.live(carrier, now), nil
}

func (m *memShifts) EndExpired(context.Context, time.Time, int) (int, error) { return 0, nil }

// Starting a shift twice keeps the first start; shift changes are
// bounded per carrier.
func TestShiftsService(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := market.Shifts{
		Store:   &memShifts{shifts: map[int64]market.ShiftRecord{}},
		Limiter: &market.RateLimiter{Store: &memRates{}, Now: clock},
		Changes: market.Limit{Max: 3, Window: time.Hour},
		Now:     clock,
	}
	first, err := s.SetOnShift(ctx, 7, true)
	if err != nil || !first.OnShift {
		t.Fatalf("SetOnShift(true) = %+v, %v", first, err)
	}
	now = now.Add(5 * time.Minute)
	again, err := s.SetOnShift(ctx, 7, true)
	if err != nil || !again.StartedAt.Equal(*first.StartedAt) {
		t.Fatalf("SetOnShift(true) again = %+v, %v, want started at %v", again, err, first.StartedAt)
	}
	located, err := s.Locate(ctx, 7, market.PositionInput{Lat: pointer(38.7), Lng: pointer(-9.1)})
	if err != nil || located.Position == nil || !located.EndsAt.Equal(now.Add(market.PositionTimeout)) {
		t.Fatalf("Locate() = %+v, %v", located, err)
	}
	off, err := s.SetOnShift(ctx, 7, false)
	if err != nil || off.OnShift {
		t.Fatalf("SetOnShift(false) = %+v, %v", off, err)
	}
	if got, err := s.Shift(ctx, 7); err != nil || got.OnShift {
		t.Fatalf("Shift() after the end = %+v, %v", got, err)
	}
	if _, err := s.Locate(ctx, 7, market.PositionInput{Lat: pointer(38.7), Lng: pointer(-9.1)}); market.ErrorCode(err) != market.CodeConflict {
		t.Errorf("Locate() off shift = %v, want conflict", err)
	}
	if _, err := s.SetOnShift(ctx, 7, true); market.ErrorCode(err) != market.CodeThrottled {
		t.Errorf("a fourth shift change in an hour = %v, want throttled", err)
	}
	if _, err := s.SetOnShift(ctx, 8, true); err != nil {
		t.Errorf("another carrier's first change = %v", err)
	}
}
