package apigw

import (
	"context"
	"net/http"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// CarrierPush are the carrier page's push routes, served by the
// fulfilment Lambda: the key a phone subscribes with, and the carrier's
// subscription, kept or forgotten. The rules are market.PushSubscriptions.
type CarrierPush struct {
	Push market.PushSubscriptions
}

func (c CarrierPush) now() time.Time {
	if c.Push.Now != nil {
		return c.Push.Now()
	}
	return time.Now()
}

// Endpoints are the push routes.
func (c CarrierPush) Endpoints() map[string]Endpoint {
	return map[string]Endpoint{
		"GET /api/carrier/push-subscription":    c.Status,
		"POST /api/carrier/push-subscription":   c.Subscribe,
		"DELETE /api/carrier/push-subscription": c.Unsubscribe,
	}
}

// Status serves GET /api/carrier/push-subscription: {"vapidPublicKey",
// "subscribed"}, 503 when push is not set up.
func (c CarrierPush) Status(ctx context.Context, in Input) (Reply, error) {
	carrier, err := carrierID(in, c.now())
	if err != nil {
		return Reply{}, err
	}
	s, err := c.Push.Status(ctx, carrier)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: s}, nil
}

// Subscribe serves POST /api/carrier/push-subscription with the browser's
// PushSubscription.toJSON(), and answers as GET does.
func (c CarrierPush) Subscribe(ctx context.Context, in Input) (Reply, error) {
	carrier, err := carrierID(in, c.now())
	if err != nil {
		return Reply{}, err
	}
	var req market.PushSubscriptionInput
	if err := DecodeStrict(in.Body, &req); err != nil {
		return Reply{}, err
	}
	s, err := c.Push.Subscribe(ctx, carrier, req)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: s}, nil
}

// Unsubscribe serves DELETE /api/carrier/push-subscription: 204, offers
// by SMS from then on.
func (c CarrierPush) Unsubscribe(ctx context.Context, in Input) (Reply, error) {
	carrier, err := carrierID(in, c.now())
	if err != nil {
		return Reply{}, err
	}
	if err := c.Push.Unsubscribe(ctx, carrier); err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusNoContent}, nil
}
