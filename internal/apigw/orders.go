package apigw

import (
	"context"
	"net/http"

	"github.com/deliverymarket/delivery/internal/market"
)

// PlaceOrder serves POST /api/orders: it stores the order at current
// prices, once per Idempotency-Key, and answers 201 with it. A retry with
// the same key and body gets the same answer (and Idempotent-Replayed:
// true), whatever the limits; the same key with another body, 409. An
// order over a limit of the client's address, of everyone together or of
// the customer's phone is 429 with Retry-After (market.Checkout.Place).
func PlaceOrder(checkout market.Checkout) Endpoint {
	return func(ctx context.Context, in Input) (Reply, error) {
		key := in.Header("Idempotency-Key")
		if err := market.ValidateIdempotencyKey(key); err != nil {
			return Reply{}, err
		}
		var req market.OrderRequest
		if err := DecodeStrict(in.Body, &req); err != nil {
			return Reply{}, err
		}
		order, replayed, err := checkout.Place(ctx, in.Client, key, req)
		if err != nil {
			return Reply{}, err
		}
		headers := map[string]string{}
		if replayed {
			headers["Idempotent-Replayed"] = "true"
		}
		return Reply{Status: http.StatusCreated, Body: order, Headers: headers}, nil
	}
}

// GetOrder serves GET /api/orders/{orderId}: the order with its lines and
// where its carriers' SMS stands. The unguessable id is the capability to
// read it; the customer's details are never shown.
func GetOrder(store market.OrderStore) Endpoint {
	return func(ctx context.Context, in Input) (Reply, error) {
		id := in.Event.PathParameters["orderId"]
		if !market.ValidOrderID(id) {
			return Reply{}, market.Errorf(market.CodeNotFound, "no such order")
		}
		order, err := store.Order(ctx, id)
		if err != nil {
			if market.ErrorCode(err) == market.CodeNotFound {
				return Reply{}, market.Errorf(market.CodeNotFound, "no such order")
			}
			return Reply{}, err
		}
		return Reply{Status: http.StatusOK, Body: order}, nil
	}
}

// CancelOrder serves POST /api/orders/{orderId}/cancel: the shopper cancels
// while the order is placed (409 once a carrier has accepted it) and gets
// the order back with its timeline.
func CancelOrder(fulfilment market.Fulfilment, store market.OrderStore) Endpoint {
	return func(ctx context.Context, in Input) (Reply, error) {
		id := in.Event.PathParameters["orderId"]
		if err := noBody(in); err != nil {
			return Reply{}, err
		}
		if err := fulfilment.ShopperCancel(ctx, id); err != nil {
			if market.ErrorCode(err) == market.CodeNotFound {
				return Reply{}, market.Errorf(market.CodeNotFound, "no such order")
			}
			return Reply{}, err
		}
		order, err := store.Order(ctx, id)
		if err != nil {
			return Reply{}, err
		}
		return Reply{Status: http.StatusOK, Body: order}, nil
	}
}
