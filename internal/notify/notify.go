// Package notify tells carriers about new orders by SMS, through the
// carriers' SNS topic, and makes sure that every order is told.
//
// # The path of a notification
//
// placeorder (in the VPC) commits the order, then hands a compact
// OrderEvent to notifycarrier with Lambda Invoke, InvocationType Event (the
// Dispatcher), and records the hand-off on the order. notifycarrier
// (outside the VPC, no database) composes the SMS from the event alone
// (market.CarrierNotice.SMS) and publishes it to the topic (the Carrier).
// Lambda reports the outcome of that asynchronous invocation to placeorder
// through the function's on-success and on-failure destinations
// (DestinationRecord), and placeorder records it on the order. A sweep,
// run every minute by a schedule, retries whatever is due.
//
// # The guarantee: at least once, duplicates suppressed where possible
//
// Every stored order gets its SMS at least once, or is visibly marked
// failed (and logged at ERROR) after MaxAttempts attempts; no order stays
// un-notified silently:
//
//   - placeorder dies between commit and hand-off: the order stays pending
//     with a due time HandOffGrace after it was placed, and the sweep hands
//     it off.
//   - the Invoke call fails (throttled, endpoint down): the order is marked
//     failed and the sweep retries it with exponential backoff.
//   - notifycarrier or SNS fails: Lambda retries the event twice; then the
//     on-failure destination marks the order failed for the sweep to retry,
//     and the dead-letter queue keeps the event.
//   - every report is lost: an order handed off but not confirmed within
//     ConfirmTimeout is handed off again by the sweep.
//
// Duplicates are suppressed where we can: one order per Idempotency-Key
// (see mysql.OrderStore.Place); only the request that placed an order hands
// it off, and the sweep claims an order with a conditional update before
// retrying it, so concurrent sweeps never hand off the same attempt twice;
// an order confirmed notified is never handed off again; and a warm
// notifycarrier container remembers the orders it published for an hour
// and does not publish them again. What remains possible is a second SMS
// when a confirmation is lost or late past ConfirmTimeout and the retry
// lands on another container, or when SNS itself delivers twice. SNS
// message deduplication exists only for FIFO topics, which cannot deliver
// SMS, so the SMS carries the order's short reference for carriers to
// recognise a repeat.
//
// Locally the same Dispatcher and Carrier run in one process: LocalInvoker
// plays Lambda's asynchronous invocation and destinations, and Outbox plays
// SNS, printing each SMS and listing them at GET /_local/sms.
package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// EventVersion is the version of the OrderEvent shape.
const EventVersion = 1

// OrderEvent is what placeorder hands to notifycarrier: the order as
// carriers are told about it, and nothing else (no customer name, phone,
// address or note; the delivery area only as market.DeliveryArea reduced
// it).
type OrderEvent struct {
	Version   int          `json:"v"`
	OrderID   string       `json:"orderId"`
	Reference string       `json:"ref"`
	ItemCount int          `json:"items"`
	Total     market.Money `json:"total"`
	Currency  string       `json:"currency"`
	Companies []string     `json:"companies"`
	Area      string       `json:"area"`
	Attempt   int          `json:"attempt"`
	PlacedAt  time.Time    `json:"placedAt"`
}

// EventFor returns the event of an order's attempt number attempt.
func EventFor(o market.Order, attempt int) OrderEvent {
	n := market.NoticeFor(o)
	return OrderEvent{
		Version:   EventVersion,
		OrderID:   o.ID,
		Reference: n.Reference,
		ItemCount: n.ItemCount,
		Total:     n.Total,
		Currency:  n.Currency,
		Companies: n.Companies,
		Area:      n.Area,
		Attempt:   attempt,
		PlacedAt:  o.CreatedAt,
	}
}

// Notice returns the carriers' notice the event describes.
func (e OrderEvent) Notice() market.CarrierNotice {
	return market.CarrierNotice{
		Reference: e.Reference, ItemCount: e.ItemCount, Total: e.Total,
		Currency: e.Currency, Companies: e.Companies, Area: e.Area,
	}
}

// Validate refuses events that placeorder would not send.
func (e OrderEvent) Validate() error {
	switch {
	case e.Version != EventVersion:
		return fmt.Errorf("order event: version %d, want %d", e.Version, EventVersion)
	case !market.ValidOrderID(e.OrderID):
		return errors.New("order event: malformed orderId")
	case e.Reference != market.OrderReference(e.OrderID):
		return errors.New("order event: reference does not match orderId")
	case e.ItemCount < 1 || len(e.Companies) == 0 || !e.Total.IsPositive():
		return errors.New("order event: no items")
	}
	return nil
}

// Invoker hands an event to notifycarrier asynchronously: it returns once
// the event is accepted, not once the SMS is sent.
type Invoker interface {
	Invoke(ctx context.Context, e OrderEvent) error
}

// SMS is one message published to the carriers' topic.
type SMS struct {
	TopicARN string
	Message  string
	OrderID  string
}

// Publisher publishes an SMS and returns the message id.
type Publisher interface {
	Publish(ctx context.Context, m SMS) (string, error)
}
