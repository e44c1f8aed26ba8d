package apigw

import (
	"context"
	"net/http"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// CarrierShift are the carrier page's shift routes: going on and off
// shift and sending where the carrier is, served by the fulfilment
// Lambda. Every answer is the carrier's shift as GET gives it, their
// position included: it is theirs, and shown to no one else.
type CarrierShift struct {
	Shifts market.Shifts
}

func (c CarrierShift) now() time.Time {
	if c.Shifts.Now != nil {
		return c.Shifts.Now()
	}
	return time.Now()
}

// Endpoints are the shift routes.
func (c CarrierShift) Endpoints() map[string]Endpoint {
	return map[string]Endpoint{
		"GET /api/carrier/shift":     c.Shift,
		"POST /api/carrier/shift":    c.SetShift,
		"POST /api/carrier/location": c.Locate,
	}
}

// Shift serves GET /api/carrier/shift.
func (c CarrierShift) Shift(ctx context.Context, in Input) (Reply, error) {
	carrier, err := carrierID(in, c.now())
	if err != nil {
		return Reply{}, err
	}
	s, err := c.Shifts.Shift(ctx, carrier)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: s}, nil
}

// shiftRequest is the body of POST /api/carrier/shift.
type shiftRequest struct {
	OnShift *bool `json:"onShift"`
}

// SetShift serves POST /api/carrier/shift {"onShift": true|false}.
func (c CarrierShift) SetShift(ctx context.Context, in Input) (Reply, error) {
	carrier, err := carrierID(in, c.now())
	if err != nil {
		return Reply{}, err
	}
	var req shiftRequest
	if err := DecodeStrict(in.Body, &req); err != nil {
		return Reply{}, err
	}
	if req.OnShift == nil {
		return Reply{}, market.FieldError("onShift", "onShift is required: true to start a shift, false to end it")
	}
	s, err := c.Shifts.SetOnShift(ctx, carrier, *req.OnShift)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: s}, nil
}

// Locate serves POST /api/carrier/location {"lat","lng","accuracy"}.
func (c CarrierShift) Locate(ctx context.Context, in Input) (Reply, error) {
	carrier, err := carrierID(in, c.now())
	if err != nil {
		return Reply{}, err
	}
	var req market.PositionInput
	if err := DecodeStrict(in.Body, &req); err != nil {
		return Reply{}, err
	}
	s, err := c.Shifts.Locate(ctx, carrier, req)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: s}, nil
}
