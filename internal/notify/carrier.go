package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/deliverymarket/delivery/internal/market"
)

// How long and how many published offers a Carrier remembers, to answer a
// repeated event for the same offer without a second SMS.
const (
	rememberFor   = time.Hour
	rememberLimit = 10000
)

// Carrier is the notifycarrier function: it publishes one SMS per offer
// of an order to the carriers' topic, with the link to claim it on the
// site, and sends each wave of an order's offers to its carriers, by push
// or by SMS to their phones.
type Carrier struct {
	publisher Publisher
	push      PushSender // nil: no push, every offer by SMS
	topicARN  string
	siteURL   string
	log       *slog.Logger
	now       func() time.Time

	mu   sync.Mutex
	sent map[string]time.Time // offer key → when published (or being published: zero)
}

// NewCarrier returns a Carrier that publishes to topicARN and pushes
// through push (nil: offers go by SMS alone), linking to the site at
// siteURL; an error if ParseSiteURL refuses siteURL.
func NewCarrier(p Publisher, push PushSender, topicARN, siteURL string, logger *slog.Logger) (*Carrier, error) {
	site, err := ParseSiteURL(siteURL)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Carrier{publisher: p, push: push, topicARN: topicARN, siteURL: site, log: logger, now: time.Now, sent: map[string]time.Time{}}, nil
}

// Result is what notifycarrier returns; Lambda passes it to the on-success
// destination as the response payload.
type Result struct {
	OrderID   string `json:"orderId"`
	Offer     int    `json:"offer"`
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
	// An offer is published once; the next offer of the same order is a
	// new SMS.
	key := e.OrderID + "#" + strconv.Itoa(e.Offer)
	if !c.reserve(key) {
		c.log.InfoContext(ctx, "notifycarrier: duplicate suppressed", "orderId", e.OrderID, "offer", e.Offer, "attempt", e.Attempt)
		return Result{OrderID: e.OrderID, Offer: e.Offer, Duplicate: true}, nil
	}
	msg, err := e.Notice(c.siteURL).SMS()
	if err != nil {
		c.release(key)
		c.log.ErrorContext(ctx, "notifycarrier: compose sms", "orderId", e.OrderID, "offer", e.Offer, "error", err)
		return Result{}, err
	}
	id, err := c.publisher.Publish(ctx, SMS{TopicARN: c.topicARN, Message: msg, OrderID: e.OrderID})
	if err != nil {
		c.release(key)
		c.log.ErrorContext(ctx, "notifycarrier: publish failed", "orderId", e.OrderID, "offer", e.Offer, "attempt", e.Attempt, "error", err)
		return Result{}, fmt.Errorf("publish sms for order %s: %w", e.OrderID, err)
	}
	c.confirm(key)
	c.log.InfoContext(ctx, "notifycarrier: sms published", "orderId", e.OrderID, "offer", e.Offer, "attempt", e.Attempt, "messageId", id)
	return Result{OrderID: e.OrderID, Offer: e.Offer, MessageID: id}, nil
}

// HandleEvent is notifycarrier's entry point: a WaveEvent (its kind is
// WaveKind), sent synchronously by placeorder, is sent to its carriers
// (SendOffers); anything else is an OrderEvent for the carriers' topic
// (Handle).
func (c *Carrier) HandleEvent(ctx context.Context, raw json.RawMessage) (any, error) {
	var shape struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(raw, &shape); err != nil {
		c.log.ErrorContext(ctx, "notifycarrier: refused event", "error", err)
		return nil, fmt.Errorf("notifycarrier: event: %w", err)
	}
	if shape.Kind == WaveKind {
		var e WaveEvent
		if err := json.Unmarshal(raw, &e); err != nil {
			c.log.ErrorContext(ctx, "notifycarrier: refused wave", "error", err)
			return nil, fmt.Errorf("notifycarrier: wave event: %w", err)
		}
		return c.SendOffers(ctx, e)
	}
	var e OrderEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		c.log.ErrorContext(ctx, "notifycarrier: refused event", "error", err)
		return nil, fmt.Errorf("notifycarrier: order event: %w", err)
	}
	return c.Handle(ctx, e)
}

// ErrPushGone is what a PushSender's error wraps when the push service
// says the subscription no longer exists (404 or 410): it must be
// removed, and no push will reach it again.
var ErrPushGone = errors.New("push subscription gone")

// PushSender sends Web Push messages.
type PushSender interface {
	// Send pushes payload to sub; of the messages of one topic still
	// waiting at the push service (a phone offline), only the last is
	// delivered. An error wraps ErrPushGone when the subscription is gone;
	// it never holds the endpoint, which is as good as an address.
	Send(ctx context.Context, sub market.PushSubscription, topic string, payload []byte) error
}

var _ OfferSender = (*Carrier)(nil)

const (
	// offerWorkers bounds the offers of one wave sent at once: a wave
	// has DISPATCH_WAVE_SIZE carriers, up to market.MaxWaveSize.
	offerWorkers = 8
	// pushTimeout bounds one push, so that the SMS that follows a push
	// that failed still goes within the wave's sending time.
	pushTimeout = 3 * time.Second
)

// SendOffers sends wave e of an order's offers: to each carrier by push
// when the wave chose push, and by SMS to their phone when it chose SMS
// or the push failed. It returns what became of each offer, in e.To's
// order; an error only for an event placeorder would not send. An offer
// sent for the same order, wave and carrier in the last hour is not sent
// again, and is reported sent.
func (c *Carrier) SendOffers(ctx context.Context, e WaveEvent) (WaveResult, error) {
	if err := e.Validate(); err != nil {
		c.log.ErrorContext(ctx, "notifycarrier: refused wave", "error", err)
		return WaveResult{}, err
	}
	notice := e.Order.Notice(c.siteURL)
	text, err := notice.SMS()
	if err != nil {
		c.log.ErrorContext(ctx, "notifycarrier: compose sms", "orderId", e.Order.OrderID, "wave", e.Wave, "error", err)
		return WaveResult{}, err
	}
	var payload []byte
	if c.push != nil {
		if payload, err = notice.PushPayload(); err != nil {
			// The SMS carries the offer instead.
			c.log.ErrorContext(ctx, "notifycarrier: compose push", "orderId", e.Order.OrderID, "wave", e.Wave, "error", err)
		}
	}
	result := WaveResult{OrderID: e.Order.OrderID, Wave: e.Wave, Outcomes: make([]market.OfferOutcome, len(e.To))}
	workers := make(chan struct{}, offerWorkers)
	var wg sync.WaitGroup
	for i, t := range e.To {
		workers <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-workers; wg.Done() }()
			result.Outcomes[i] = c.offer(ctx, e, t, text, payload)
		}()
	}
	wg.Wait()
	return result, nil
}

// offer sends one carrier's offer: push first when the wave chose it and
// a payload could be made, SMS when that is not possible or fails.
func (c *Carrier) offer(ctx context.Context, e WaveEvent, t OfferTarget, text string, payload []byte) market.OfferOutcome {
	out := market.OfferOutcome{CarrierID: t.CarrierID, Channel: t.Channel}
	orderID := e.Order.OrderID
	key := orderID + "#w" + strconv.Itoa(e.Wave) + "#" + strconv.FormatInt(t.CarrierID, 10)
	if !c.reserve(key) {
		c.log.InfoContext(ctx, "notifycarrier: duplicate offer suppressed", "orderId", orderID, "wave", e.Wave, "carrierId", t.CarrierID)
		out.Sent = true
		return out
	}
	if t.Channel == market.ChannelPush {
		if c.push != nil && payload != nil && t.Push != nil {
			pushCtx, cancel := context.WithTimeout(ctx, pushTimeout)
			err := c.push.Send(pushCtx, *t.Push, e.Order.DeliveryID, payload)
			cancel()
			if err == nil {
				c.confirm(key)
				c.log.InfoContext(ctx, "notifycarrier: offer pushed", "orderId", orderID, "wave", e.Wave, "carrierId", t.CarrierID, "channel", market.ChannelPush)
				out.Sent = true
				return out
			}
			out.PushGone = errors.Is(err, ErrPushGone)
			c.log.WarnContext(ctx, "notifycarrier: push failed, sending sms", "orderId", orderID, "wave", e.Wave, "carrierId", t.CarrierID, "gone", out.PushGone, "error", err)
		} else {
			c.log.WarnContext(ctx, "notifycarrier: push unavailable, sending sms", "orderId", orderID, "wave", e.Wave, "carrierId", t.CarrierID)
		}
		out.Channel = market.ChannelSMS
	}
	if t.Phone == "" {
		c.release(key)
		c.log.ErrorContext(ctx, "notifycarrier: offer not sent: no phone", "orderId", orderID, "wave", e.Wave, "carrierId", t.CarrierID)
		return out
	}
	id, err := c.publisher.Publish(ctx, SMS{PhoneNumber: t.Phone, Message: text})
	if err != nil {
		c.release(key)
		c.log.ErrorContext(ctx, "notifycarrier: offer not sent", "orderId", orderID, "wave", e.Wave, "carrierId", t.CarrierID, "channel", market.ChannelSMS, "error", MaskPhoneIn(err, t.Phone))
		return out
	}
	c.confirm(key)
	c.log.InfoContext(ctx, "notifycarrier: offer texted", "orderId", orderID, "wave", e.Wave, "carrierId", t.CarrierID, "channel", market.ChannelSMS, "messageId", id)
	out.Sent = true
	return out
}

// ParseSiteURL checks the site's public address that carriers' links
// point to, and returns it without a trailing slash: an absolute https URL
// (http only for localhost and private networks), without user, query or
// fragment, in characters that GSM-7 sends as one each, and short enough
// that the largest possible order's SMS still holds the whole link.
// Refusing it at start is better than sending carriers a broken link.
func ParseSiteURL(raw string) (string, error) {
	site := strings.TrimRight(strings.TrimSpace(raw), "/")
	u, err := url.Parse(site)
	switch {
	case site == "":
		return "", errors.New("site url: missing (the storefront's public address, such as https://d111111abcdef8.cloudfront.net)")
	case err != nil:
		return "", fmt.Errorf("site url %q: %w", raw, err)
	case u.Scheme != "https" && !(u.Scheme == "http" && isLocal(u.Hostname())):
		return "", fmt.Errorf("site url %q: want https:// (http:// only for localhost and private networks)", raw)
	case u.Host == "" || u.Opaque != "" || u.User != nil:
		return "", fmt.Errorf("site url %q: want scheme://host[:port][/path]", raw)
	case u.RawQuery != "" || u.ForceQuery || strings.Contains(site, "#"):
		return "", fmt.Errorf("site url %q: no query or fragment", raw)
	}
	for _, r := range site {
		if r <= ' ' || r > '~' || strings.ContainsRune("`[\\]^{|}~\"<>", r) {
			return "", fmt.Errorf("site url %q: %q does not travel in an SMS; use plain ASCII (punycode for a domain)", raw, r)
		}
	}
	if _, err := worstCase(site).SMS(); err != nil {
		return "", fmt.Errorf("site url %q is too long for the carriers' SMS (at most %d characters fit): %w", raw, maxSiteURL(), err)
	}
	return site, nil
}

// isLocal reports whether host is this machine or an address of a private
// network, where the local runner may serve plain http (a phone on the
// same Wi-Fi opening the link, say).
func isLocal(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.IsPrivate())
}

// worstCase is the notice of the largest order that can be placed, in
// every field the SMS keeps whatever its length.
func worstCase(site string) market.CarrierNotice {
	units := int64(market.MaxDistinctProducts * market.MaxQuantity)
	return market.CarrierNotice{
		Reference: strings.Repeat("W", 8),
		ItemCount: int(units),
		Total:     market.NewMoney(market.MaxPrice.Mul(decimal.NewFromInt(units))),
		Currency:  "WWW",
		Area:      strings.Repeat("W", market.MaxAreaLength),
		Link:      market.ClaimLink(site, market.DeliveryID("")),
	}
}

// maxSiteURL is the length of the longest site URL that fits, for the
// error message.
func maxSiteURL() int {
	site := "https://"
	for {
		if _, err := worstCase(site + "w").SMS(); err != nil {
			return len(site)
		}
		site += "w"
	}
}

// reserve claims an offer for one publish; false if it was published in
// the last hour or is being published right now.
func (c *Carrier) reserve(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if at, ok := c.sent[key]; ok && (at.IsZero() || now.Sub(at) < rememberFor) {
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
	c.sent[key] = time.Time{}
	return true
}

func (c *Carrier) confirm(key string) {
	c.mu.Lock()
	c.sent[key] = c.now()
	c.mu.Unlock()
}

func (c *Carrier) release(key string) {
	c.mu.Lock()
	delete(c.sent, key)
	c.mu.Unlock()
}
