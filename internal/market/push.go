package market

import (
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Limits of an offer's push message. Push services accept 4 KB of
// encrypted payload, and the message is padded to its record; a bound
// well below it keeps any notice, whoever built it, from being refused.
const (
	MaxPushPayload = 1024
	// pushPickupBudget is how much of the body the pickup list may take:
	// a phone shows a few lines of a notification.
	pushPickupBudget = 120
)

// PushMessage is an offer as a Web Push message, which the carrier
// page's service worker shows as a notification: tag, the delivery id,
// makes a newer notification of the same order replace the older one.
type PushMessage struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	URL   string `json:"url"`
	Tag   string `json:"tag"`
}

// PushPayload is the JSON of the offer's push message. It says exactly
// what the SMS says (the reference, the items and total, the pickup
// companies, the area, the claim link), reduced to the same characters,
// and never anything a customer typed besides the area. It is an error
// when the link is not a claim link, since a push that opens nothing is
// worse than the SMS that follows its failure.
func (n CarrierNotice) PushPayload() ([]byte, error) {
	_, id, ok := strings.Cut(n.Link, ClaimPath)
	if !ok || !ValidDeliveryID(id) || !(strings.HasPrefix(n.Link, "https://") || strings.HasPrefix(n.Link, "http://")) ||
		strings.IndexFunc(n.Link, func(r rune) bool { return !gsmSafe(r) || r == ' ' }) >= 0 {
		return nil, fmt.Errorf("carrier push: the link %q is not a claim link", n.Link)
	}
	items := "items"
	if n.ItemCount == 1 {
		items = "item"
	}
	area := gsmArea(n.Area, MaxAreaLength)
	if area == "" {
		area = "unknown"
	}
	body := fmt.Sprintf("%d %s.", n.ItemCount, items)
	if pickup := pickupList(n.Companies, pushPickupBudget); pickup != "" {
		body += " Pickup: " + pickup + "."
	}
	body += " Area: " + area
	m := PushMessage{
		Title: fmt.Sprintf("Order %s: %s %s", gsmText(n.Reference, orderRefLen), n.Total.StringFixed(2), gsmText(n.Currency, 3)),
		Body:  body,
		URL:   n.Link,
		Tag:   id,
	}
	payload, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("carrier push: %w", err)
	}
	if len(payload) > MaxPushPayload {
		return nil, fmt.Errorf("carrier push: %d bytes, more than %d", len(payload), MaxPushPayload)
	}
	return payload, nil
}

// Push subscriptions: a carrier's phone subscribes to Web Push on the
// carrier page, and the subscription (the push service's endpoint and the
// keys an offer is encrypted to) is kept, one per carrier, until they
// unsubscribe or the push service says it is gone. notifycarrier POSTs
// to the endpoint, so an endpoint is accepted only where a push service
// can be: https, on the default port, at a public name.

// The bounds of a subscription.
const (
	MaxPushEndpoint = 1024
	p256dhLength    = 65 // an uncompressed P-256 point
	authLength      = 16
)

// PushSubscriptionInput is the body of POST /api/carrier/push-subscription:
// what the browser's PushSubscription.toJSON() gives.
type PushSubscriptionInput struct {
	Endpoint       string   `json:"endpoint"`
	ExpirationTime *float64 `json:"expirationTime"`
	Keys           struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

// Validate checks a subscription and returns it with its keys in
// unpadded base64url: the endpoint an https URL at a public host name on
// the default port, of at most MaxPushEndpoint characters; p256dh a point
// of P-256; auth 16 bytes.
func (in PushSubscriptionInput) Validate() (PushSubscription, error) {
	if err := checkPushEndpoint(in.Endpoint); err != nil {
		return PushSubscription{}, err
	}
	p256dh, err := decodeBase64URL(in.Keys.P256dh)
	if err != nil || len(p256dh) != p256dhLength {
		return PushSubscription{}, FieldError("keys.p256dh", "keys.p256dh must be the subscription's P-256 public key, %d bytes in base64url", p256dhLength)
	}
	if _, err := ecdh.P256().NewPublicKey(p256dh); err != nil {
		return PushSubscription{}, FieldError("keys.p256dh", "keys.p256dh is not a point of P-256")
	}
	auth, err := decodeBase64URL(in.Keys.Auth)
	if err != nil || len(auth) != authLength {
		return PushSubscription{}, FieldError("keys.auth", "keys.auth must be the subscription's %d-byte secret in base64url", authLength)
	}
	return PushSubscription{
		Endpoint: in.Endpoint,
		P256dh:   base64.RawURLEncoding.EncodeToString(p256dh),
		Auth:     base64.RawURLEncoding.EncodeToString(auth),
	}, nil
}

// decodeBase64URL reads base64url with or without its padding, as
// browsers differ.
func decodeBase64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// checkPushEndpoint refuses an endpoint notifycarrier must not POST to:
// anything but https, a user, a fragment, a port but 443, an address
// rather than a name, or a name that is not public (a single label,
// localhost, the names of local networks).
func checkPushEndpoint(endpoint string) error {
	refuse := func(why string) error {
		return FieldError("endpoint", "endpoint must be the https address of a push service: %s", why)
	}
	if endpoint == "" {
		return refuse("it is missing")
	}
	if len(endpoint) > MaxPushEndpoint {
		return refuse(fmt.Sprintf("it is longer than %d characters", MaxPushEndpoint))
	}
	u, err := url.Parse(endpoint)
	switch {
	case err != nil || u.Opaque != "":
		return refuse("it is not a URL")
	case u.Scheme != "https":
		return refuse("it is not https")
	case u.User != nil || u.Fragment != "" || strings.Contains(endpoint, "#"):
		return refuse("it has a user or a fragment")
	case u.Port() != "" && u.Port() != "443":
		return refuse("it names a port")
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if _, err := netip.ParseAddr(host); err == nil || strings.HasPrefix(u.Host, "[") {
		return refuse("its host is an address, not a name")
	}
	// A top-level domain has a letter: "127.1" and "0x7f.1" are
	// addresses to some resolvers.
	tld := host[strings.LastIndexByte(host, '.')+1:]
	if !strings.Contains(host, ".") || strings.IndexFunc(host, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.')
	}) >= 0 || !strings.ContainsFunc(tld, func(r rune) bool { return r >= 'a' && r <= 'z' }) || strings.HasPrefix(tld, "0x") {
		return refuse("its host is not a public name")
	}
	for _, local := range []string{"localhost", "local", "internal", "localdomain", "home.arpa", "lan", "intranet", "corp"} {
		if host == local || strings.HasSuffix(host, "."+local) {
			return refuse("its host is not a public name")
		}
	}
	return nil
}

// PublicAddr reports whether a is an address on the public internet: not
// loopback, private, link-local, unspecified, multicast, or in the
// ranges of shared, documentation and benchmarking use, where a push
// service never is.
func PublicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsUnspecified() || a.IsMulticast() || a.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // shared address space (carrier-grade NAT)
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 reaches IPv4 addresses, private ones too
	netip.MustParsePrefix("2001:db8::/32"),
}

// PushStatus is what the carrier page knows of push: the key the browser
// subscribes with (the VAPID public key, unpadded base64url) and whether
// the carrier has a subscription.
type PushStatus struct {
	VAPIDPublicKey string `json:"vapidPublicKey"`
	Subscribed     bool   `json:"subscribed"`
}

// PushSubscriptionStore keeps the carriers' push subscriptions.
type PushSubscriptionStore interface {
	// Save makes sub carrier's subscription, replacing any other.
	Save(ctx context.Context, carrier int64, sub PushSubscription, now time.Time) error
	// Delete forgets carrier's subscription, if any.
	Delete(ctx context.Context, carrier int64) error
	// Subscribed reports whether carrier has a subscription.
	Subscribed(ctx context.Context, carrier int64) (bool, error)
}

// PushSubscriptions is what carriers do with push on the carrier page.
type PushSubscriptions struct {
	Store PushSubscriptionStore
	// PublicKey returns the VAPID public key; nil when push is not
	// configured, and every call answers CodeUnavailable.
	PublicKey func(ctx context.Context) (string, error)
	// Limiter counts each carrier's subscription changes against Changes
	// (Limits.PushChangesPerCarrier); nil or an off limit counts none.
	Limiter *RateLimiter
	Changes Limit
	Now     func() time.Time
}

// pushChangeKind names the subscription changes' counters.
const pushChangeKind = "carrier-push"

func (p PushSubscriptions) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// key returns the VAPID public key, CodeUnavailable without one: a
// browser cannot subscribe without it.
func (p PushSubscriptions) key(ctx context.Context) (string, error) {
	if p.PublicKey == nil {
		return "", &Error{Code: CodeUnavailable, Message: "notifications by push are not set up on this marketplace; offers come by SMS"}
	}
	return p.PublicKey(ctx)
}

// Status returns the key to subscribe with and whether carrier is
// subscribed.
func (p PushSubscriptions) Status(ctx context.Context, carrier int64) (PushStatus, error) {
	key, err := p.key(ctx)
	if err != nil {
		return PushStatus{}, err
	}
	subscribed, err := p.Store.Subscribed(ctx, carrier)
	if err != nil {
		return PushStatus{}, err
	}
	return PushStatus{VAPIDPublicKey: key, Subscribed: subscribed}, nil
}

// Subscribe makes in carrier's subscription and returns the status.
// Each change counts against Changes: every one is a write.
func (p PushSubscriptions) Subscribe(ctx context.Context, carrier int64, in PushSubscriptionInput) (PushStatus, error) {
	key, err := p.key(ctx)
	if err != nil {
		return PushStatus{}, err
	}
	sub, err := in.Validate()
	if err != nil {
		return PushStatus{}, err
	}
	if err := p.allow(ctx, carrier); err != nil {
		return PushStatus{}, err
	}
	if err := p.Store.Save(ctx, carrier, sub, p.now()); err != nil {
		return PushStatus{}, err
	}
	return PushStatus{VAPIDPublicKey: key, Subscribed: true}, nil
}

// Unsubscribe forgets carrier's subscription; offers come by SMS again.
func (p PushSubscriptions) Unsubscribe(ctx context.Context, carrier int64) error {
	if err := p.allow(ctx, carrier); err != nil {
		return err
	}
	return p.Store.Delete(ctx, carrier)
}

func (p PushSubscriptions) allow(ctx context.Context, carrier int64) error {
	refusal := "too many changes to notifications: a carrier may subscribe or unsubscribe at most " + perWindow(p.Changes)
	return p.Limiter.Allow(ctx, pushChangeKind, strconv.FormatInt(carrier, 10), p.Changes, refusal)
}
