package notify

import (
	"context"
	"errors"
	"fmt"

	"github.com/deliverymarket/delivery/internal/market"
)

// WaveKind marks a WaveEvent, so that notifycarrier tells it from an
// OrderEvent (the topic broadcast), which has no kind.
const WaveKind = "wave"

// WaveEvent is what placeorder hands to notifycarrier for one wave of an
// order's offers: the order as carriers are told about it (no customer
// data, as in OrderEvent) and, for each carrier offered it, how to reach
// them. notifycarrier runs outside the VPC without a database, so the
// contacts travel in the event; it is invoked synchronously and nothing
// keeps the event afterwards.
type WaveEvent struct {
	Kind  string        `json:"kind"` // WaveKind
	Order OrderEvent    `json:"order"`
	Wave  int           `json:"wave"`
	To    []OfferTarget `json:"to"`
}

// OfferTarget is one carrier a wave is sent to.
type OfferTarget struct {
	CarrierID int64                    `json:"carrierId"`
	Channel   market.Channel           `json:"channel"` // push or sms, as PlanWave chose
	Phone     string                   `json:"phone"`
	Push      *market.PushSubscription `json:"push,omitempty"`
}

// WaveResult is notifycarrier's answer to a WaveEvent: one outcome per
// target, in the event's order.
type WaveResult struct {
	OrderID  string                `json:"orderId"`
	Wave     int                   `json:"wave"`
	Outcomes []market.OfferOutcome `json:"outcomes"`
}

// Validate refuses a wave event placeorder would not send.
func (e WaveEvent) Validate() error {
	if e.Kind != WaveKind {
		return fmt.Errorf("wave event: kind %q, want %q", e.Kind, WaveKind)
	}
	if err := e.Order.Validate(); err != nil {
		return err
	}
	if e.Wave < 1 || len(e.To) == 0 {
		return errors.New("wave event: a wave has a number and at least one carrier")
	}
	for _, t := range e.To {
		switch {
		case t.CarrierID < 1:
			return errors.New("wave event: a target without a carrier id")
		case t.Channel != market.ChannelPush && t.Channel != market.ChannelSMS:
			return fmt.Errorf("wave event: channel %q, want push or sms", t.Channel)
		case t.Channel == market.ChannelPush && t.Push == nil:
			return errors.New("wave event: a push target without a subscription")
		}
	}
	return nil
}

// OfferSender sends a wave's offers and says what became of each: the
// notifycarrier function, invoked synchronously on AWS (lambdainvoke),
// called directly by the local runner.
type OfferSender interface {
	SendOffers(ctx context.Context, e WaveEvent) (WaveResult, error)
}
