package app_test

import (
	"context"
	"sync"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// fuzzShifts keeps shifts in memory, deciding as the database store does;
// fuzzCarrierID starts on shift, so that a position reaches the store.
type fuzzShifts struct {
	mu     sync.Mutex
	shifts map[int64]market.ShiftRecord
}

func newFuzzShifts() *fuzzShifts {
	return &fuzzShifts{shifts: map[int64]market.ShiftRecord{fuzzCarrierID: market.NewShiftRecord(fuzzCarrierID, time.Now())}}
}

func (s *fuzzShifts) live(carrier int64, now time.Time) *market.ShiftRecord {
	if r, ok := s.shifts[carrier]; ok && r.Live(now) {
		return &r
	}
	return nil
}

func (s *fuzzShifts) Start(_ context.Context, carrier int64, now time.Time) (market.ShiftRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.live(carrier, now); r != nil {
		return *r, nil
	}
	s.shifts[carrier] = market.NewShiftRecord(carrier, now)
	return s.shifts[carrier], nil
}

func (s *fuzzShifts) End(_ context.Context, carrier int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.shifts, carrier)
	return nil
}

func (s *fuzzShifts) Locate(_ context.Context, carrier int64, p market.Position, now time.Time) (market.ShiftRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := market.Locate(s.live(carrier, now), p, now)
	if err == nil {
		s.shifts[carrier] = r
	}
	return r, err
}

func (s *fuzzShifts) Shift(_ context.Context, carrier int64, now time.Time) (*market.ShiftRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live(carrier, now), nil
}

func (s *fuzzShifts) EndExpired(context.Context, time.Time, int) (int, error) { return 0, nil }
