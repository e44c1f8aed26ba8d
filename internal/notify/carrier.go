package notify

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// How long and how many published orders a Carrier remembers, to answer a
// repeated event for the same order without a second SMS.
const (
	rememberFor   = time.Hour
	rememberLimit = 10000
)

// Carrier is the notifycarrier function: it publishes one SMS per order
// event to the carriers' topic.
type Carrier struct {
	publisher Publisher
	topicARN  string
	log       *slog.Logger
	now       func() time.Time

	mu   sync.Mutex
	sent map[string]time.Time // order id → when published (or being published: zero)
}

// NewCarrier returns a Carrier that publishes to topicARN.
func NewCarrier(p Publisher, topicARN string, logger *slog.Logger) *Carrier {
	if logger == nil {
		logger = slog.Default()
	}
	return &Carrier{publisher: p, topicARN: topicARN, log: logger, now: time.Now, sent: map[string]time.Time{}}
}

// Result is what notifycarrier returns; Lambda passes it to the on-success
// destination as the response payload.
type Result struct {
	OrderID   string `json:"orderId"`
	MessageID string `json:"messageId,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
}

// Handle publishes the SMS for e. An error makes Lambda retry the event
// and, after its retries, report it to the on-failure destination and the
// dead-letter queue.
func (c *Carrier) Handle(ctx context.Context, e OrderEvent) (Result, error) {
	if err := e.Validate(); err != nil {
		c.log.ErrorContext(ctx, "notifycarrier: refused event", "error", err)
		return Result{}, err
	}
	if !c.reserve(e.OrderID) {
		c.log.InfoContext(ctx, "notifycarrier: duplicate suppressed", "orderId", e.OrderID, "attempt", e.Attempt)
		return Result{OrderID: e.OrderID, Duplicate: true}, nil
	}
	msg := e.Notice().SMS()
	id, err := c.publisher.Publish(ctx, SMS{TopicARN: c.topicARN, Message: msg, OrderID: e.OrderID})
	if err != nil {
		c.release(e.OrderID)
		c.log.ErrorContext(ctx, "notifycarrier: publish failed", "orderId", e.OrderID, "attempt", e.Attempt, "error", err)
		return Result{}, fmt.Errorf("publish sms for order %s: %w", e.OrderID, err)
	}
	c.confirm(e.OrderID)
	c.log.InfoContext(ctx, "notifycarrier: sms published", "orderId", e.OrderID, "attempt", e.Attempt, "messageId", id)
	return Result{OrderID: e.OrderID, MessageID: id}, nil
}

// reserve claims the order for one publish; false if it was published in
// the last hour or is being published right now.
func (c *Carrier) reserve(orderID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if at, ok := c.sent[orderID]; ok && (at.IsZero() || now.Sub(at) < rememberFor) {
		return false
	}
	if len(c.sent) >= rememberLimit {
		for id, at := range c.sent {
			if !at.IsZero() && now.Sub(at) >= rememberFor {
				delete(c.sent, id)
			}
		}
		if len(c.sent) >= rememberLimit {
			// Forgetting only weakens duplicate suppression, never delivery.
			clear(c.sent)
		}
	}
	c.sent[orderID] = time.Time{}
	return true
}

func (c *Carrier) confirm(orderID string) {
	c.mu.Lock()
	c.sent[orderID] = c.now()
	c.mu.Unlock()
}

func (c *Carrier) release(orderID string) {
	c.mu.Lock()
	delete(c.sent, orderID)
	c.mu.Unlock()
}
