package notify

import (
	"context"
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
// site.
type Carrier struct {
	publisher Publisher
	topicARN  string
	siteURL   string
	log       *slog.Logger
	now       func() time.Time

	mu   sync.Mutex
	sent map[string]time.Time // offer key → when published (or being published: zero)
}

// NewCarrier returns a Carrier that publishes to topicARN, linking to the
// site at siteURL; an error if ParseSiteURL refuses siteURL.
func NewCarrier(p Publisher, topicARN, siteURL string, logger *slog.Logger) (*Carrier, error) {
	site, err := ParseSiteURL(siteURL)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Carrier{publisher: p, topicARN: topicARN, siteURL: site, log: logger, now: time.Now, sent: map[string]time.Time{}}, nil
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
