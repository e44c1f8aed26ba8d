// Package notify tells carriers about new orders by SMS, through the
// carriers' SNS topic, and makes sure that every order is told; it also
// sends SMS to single phones (sign-in codes, cancel notices). It knows no
// AWS API: the SNS side (publishing, the topic's SMS subscriptions) is
// internal/notify/snssms and the hand-off with Lambda Invoke is
// internal/notify/lambdainvoke, so that the local runner, which plays
// both in-process, and the functions that need neither link no AWS
// client.
//
// # The path of a notification
//
// placeorder (in the VPC) commits the order, then hands a compact
// OrderEvent to notifycarrier with Lambda Invoke, InvocationType Event (the
// Dispatcher), and records the hand-off on the order. notifycarrier
// (outside the VPC, no database) composes the SMS from the event alone
// and the site's address (market.CarrierNotice.SMS: the order in short and
// the link to claim it, <SITE_URL>/carrier.html#d=<deliveryId>) and
// publishes it to the topic (the Carrier). Lambda reports the outcome of
// that asynchronous invocation to placeorder through the function's
// on-success and on-failure destinations (DestinationRecord), and
// placeorder records it on the order. A sweep, run every minute by a
// schedule, retries whatever is due.
//
// # Offers
//
// The SMS sent when an order is placed is its first offer to the
// carriers. An order no carrier has claimed market.OfferAgainAfter later,
// or one a carrier released, is offered again by the sweep: the store
// hands each such offer to one sweep only (OrderStore.ClaimOffer, which
// also writes the step to the order's history), and the event carries the
// offer's number. Only the first offer has the delivery state and the
// retries below; a later one is sent once, and its failure is logged at
// ERROR (the order stays on the carriers' list of available orders).
//
// # The guarantee: at least once, duplicates suppressed where possible
//
// Every stored order gets its first SMS at least once, or is visibly
// marked failed (and logged at ERROR) after MaxAttempts attempts; no order
// stays un-notified silently:
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
// notifycarrier container remembers the offers it published for an hour
// and does not publish them again (a later offer of the same order is a
// new SMS). What remains possible is a second SMS when a confirmation is
// lost or late past ConfirmTimeout and the retry lands on another
// container, or when SNS itself delivers twice. SNS message deduplication
// exists only for FIFO topics, which cannot deliver SMS, so the SMS
// carries the order's short reference for carriers to recognise a repeat.
//
// # SMS to one phone
//
// snssms.Publisher.SendText (market.TextSender) publishes to a phone number
// instead of the topic. Such a text may be a sign-in code: neither the
// number nor the text is ever logged; logs and errors show the number
// masked (MaskPhone).
//
// Locally the same Dispatcher and Carrier run in one process: LocalInvoker
// plays Lambda's asynchronous invocation and destinations, and Outbox plays
// SNS, for the topic and for single phones, listing every SMS at
// GET /_local/sms.
package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// EventVersion is the version of the OrderEvent shape. Version 2 added
// the delivery id and the offer number; an event of another version is
// refused, and the sweep retries its order with the current shape.
const EventVersion = 2

// OrderEvent is what placeorder hands to notifycarrier: the order as
// carriers are told about it, and nothing else (no customer name, phone,
// address or note; the delivery area only as market.DeliveryArea reduced
// it).
type OrderEvent struct {
	Version    int          `json:"v"`
	OrderID    string       `json:"orderId"`
	DeliveryID string       `json:"deliveryId"`
	Reference  string       `json:"ref"`
	ItemCount  int          `json:"items"`
	Total      market.Money `json:"total"`
	Currency   string       `json:"currency"`
	Companies  []string     `json:"companies"`
	Area       string       `json:"area"`
	// Offer counts the times the order is offered to the carriers: 1 when
	// it is placed, 2 and on when the sweep offers it again (an order no
	// carrier claimed in time, or one a carrier released).
	Offer int `json:"offer"`
	// Attempt counts the hand-offs of the first offer; a repeated offer
	// has one attempt.
	Attempt  int       `json:"attempt"`
	PlacedAt time.Time `json:"placedAt"`
}

// EventFor returns the event of an order's offer number offer, attempt
// number attempt.
func EventFor(o market.Order, offer, attempt int) OrderEvent {
	n := market.NoticeFor(o, "")
	return OrderEvent{
		Version:    EventVersion,
		OrderID:    o.ID,
		DeliveryID: market.DeliveryID(o.ID),
		Reference:  n.Reference,
		ItemCount:  n.ItemCount,
		Total:      n.Total,
		Currency:   n.Currency,
		Companies:  n.Companies,
		Area:       n.Area,
		Offer:      offer,
		Attempt:    attempt,
		PlacedAt:   o.CreatedAt,
	}
}

// Notice returns the carriers' notice the event describes, linking to the
// site at siteURL.
func (e OrderEvent) Notice(siteURL string) market.CarrierNotice {
	return market.CarrierNotice{
		Reference: e.Reference, ItemCount: e.ItemCount, Total: e.Total,
		Currency: e.Currency, Companies: e.Companies, Area: e.Area,
		Link: market.ClaimLink(siteURL, e.DeliveryID),
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
	case e.DeliveryID != market.DeliveryID(e.OrderID):
		return errors.New("order event: deliveryId does not match orderId")
	case e.Offer < 1 || e.Attempt < 1:
		return errors.New("order event: offer and attempt start at 1")
	case e.ItemCount < 1 || len(e.Companies) == 0 || !e.Total.IsPositive():
		return errors.New("order event: no items")
	}
	return nil
}

// firstOffer reports whether the event is the offer made when the order
// was placed, whose delivery the order's notification state tracks.
// Events from before offers were counted carry none.
func (e OrderEvent) firstOffer() bool { return e.Offer <= 1 }

// Invoker hands an event to notifycarrier asynchronously: it returns once
// the event is accepted, not once the SMS is sent.
type Invoker interface {
	Invoke(ctx context.Context, e OrderEvent) error
}

// SMS is one message: to the carriers' topic (TopicARN) or to one phone
// (PhoneNumber, E.164), exactly one of the two.
type SMS struct {
	TopicARN    string
	PhoneNumber string
	Message     string
	OrderID     string // for the logs of a topic SMS; "" for a direct one
}

// Check refuses an SMS with no destination or with two.
func (m SMS) Check() error {
	if (m.TopicARN == "") == (m.PhoneNumber == "") {
		return errors.New("sms: exactly one of topic and phone number must be set")
	}
	return nil
}

// Publisher publishes an SMS and returns the message id.
type Publisher interface {
	Publish(ctx context.Context, m SMS) (string, error)
}

// MaskPhone is how a phone number may appear in a log: country code and
// the first digits, and the last two ("+35191*****78"), enough to tell
// numbers apart while debugging, not to call one.
func MaskPhone(phone string) string {
	if len(phone) < 8 {
		return strings.Repeat("*", len(phone))
	}
	keep := min(6, len(phone)-7) // at least five digits hidden
	return phone[:keep] + strings.Repeat("*", len(phone)-keep-2) + phone[len(phone)-2:]
}

// SyncReport says what a sync of the carriers' topic's SMS subscriptions
// with the active carriers' phones changed; it names no phone.
type SyncReport struct {
	Active       int `json:"active"` // phones that should receive the order SMS
	Subscribed   int `json:"subscribed"`
	Unsubscribed int `json:"unsubscribed"`
}

// redacted is an error whose text has the phone number masked.
type redacted struct {
	text string
	err  error
}

func (r redacted) Error() string { return r.text }
func (r redacted) Unwrap() error { return r.err }

// MaskPhoneIn returns err with phone masked in its text, for an error of
// a service that may repeat the number it refused (SNS does); err itself
// stays in the chain for errors.As.
func MaskPhoneIn(err error, phone string) error {
	if err == nil || phone == "" {
		return err
	}
	text := strings.ReplaceAll(err.Error(), phone, MaskPhone(phone))
	text = strings.ReplaceAll(text, strings.TrimPrefix(phone, "+"), MaskPhone(phone))
	return redacted{text: text, err: err}
}
