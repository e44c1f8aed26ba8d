package apigw_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/market"
)

// shiftStub is a market.ShiftStore that keeps one shift, or fails.
type shiftStub struct {
	shift *market.ShiftRecord
	err   error
}

func (s *shiftStub) Start(_ context.Context, carrier int64, now time.Time) (market.ShiftRecord, error) {
	r := market.NewShiftRecord(carrier, now)
	s.shift = &r
	return r, s.err
}

func (s *shiftStub) End(context.Context, int64) error { s.shift = nil; return s.err }

func (s *shiftStub) Locate(_ context.Context, _ int64, p market.Position, now time.Time) (market.ShiftRecord, error) {
	if s.err != nil {
		return market.ShiftRecord{}, s.err
	}
	r, err := market.Locate(s.shift, p, now)
	if err == nil {
		s.shift = &r
	}
	return r, err
}

func (s *shiftStub) Shift(context.Context, int64, time.Time) (*market.ShiftRecord, error) {
	return s.shift, s.err
}

func (s *shiftStub) EndExpired(context.Context, time.Time, int) (int, error) { return 0, s.err }

func shiftEvent(t *testing.T, method, resource, body string) events.APIGatewayProxyRequest {
	t.Helper()
	e := carrierEvent(t, "7", resource, nil)
	e.HTTPMethod, e.RequestContext.HTTPMethod, e.Body = method, method, body
	return e
}

// The carrier's position is answered to the carrier and goes nowhere else:
// not into the log, not even when the store fails.
func TestCarrierLocationNotLogged(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
	}{
		{name: "stored", status: http.StatusOK},
		{name: "the store fails", err: errors.New("lost connection"), status: http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &shiftStub{}
			h := newHarness(t, apigw.CarrierShift{Shifts: market.Shifts{Store: store}}.Endpoints())
			if resp := h.handle(t, shiftEvent(t, http.MethodPost, "/api/carrier/shift", `{"onShift":true}`)); resp.StatusCode != http.StatusOK {
				t.Fatalf("POST /api/carrier/shift = %d %s", resp.StatusCode, resp.Body)
			}
			store.err = tt.err
			h.logs.Reset()
			resp := h.handle(t, shiftEvent(t, http.MethodPost, "/api/carrier/location", `{"lat":38.71234,"lng":-9.13987,"accuracy":9}`))
			if resp.StatusCode != tt.status {
				t.Fatalf("POST /api/carrier/location = %d %s, want %d", resp.StatusCode, resp.Body, tt.status)
			}
			if tt.err == nil && (!strings.Contains(resp.Body, `"lat":38.71234`) || store.shift.Position == nil) {
				t.Errorf("POST /api/carrier/location = %s, want the carrier's position, stored", resp.Body)
			}
			if logs := h.logs.String(); strings.Contains(logs, "38.71234") || strings.Contains(logs, "9.13987") {
				t.Errorf("the log holds the carrier's position: %s", logs)
			}
		})
	}
}
