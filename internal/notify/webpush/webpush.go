// Package webpush sends carriers' offers by Web Push (RFC 8030), the
// payload encrypted to the browser's subscription (RFC 8291) and the
// request signed with the marketplace's VAPID key (RFC 8292), over
// github.com/SherClockHolmes/webpush-go. Only notifycarrier links it:
// placeorder hands it the subscriptions, and the carrier page subscribes
// with the public key alone.
package webpush

import (
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/notify"
)

const (
	// TTL is how long a push service keeps an offer for a phone that is
	// offline: an offer is worth most within its wave, and after it the
	// next carriers have it too, so a carrier who comes back later finds
	// it on the page rather than in a notification.
	TTL = 2 * time.Minute
	// requestTimeout bounds one push, whatever the caller's context.
	requestTimeout = 5 * time.Second
	// maxErrorBody is how much of a push service's refusal is read, for
	// the connection's reuse.
	maxErrorBody = 4096
)

// Sender pushes with one VAPID key pair.
type Sender struct {
	publicKey, privateKey string
	subscriber            string
	client                *http.Client
}

var _ notify.PushSender = (*Sender)(nil)

// NewSender returns a Sender that signs with privateKey (unpadded
// base64url of the P-256 scalar, as webpush.GenerateVAPIDKeys makes it;
// the public key follows from it), naming subject, a mailto: or https:
// URL push services may contact about the pushes, and posting through
// client (nil: NewClient()).
func NewSender(privateKey, subject string, client *http.Client) (*Sender, error) {
	public, err := PublicKey(privateKey)
	if err != nil {
		return nil, err
	}
	// webpush-go adds mailto: to a subject that is not https.
	var subscriber string
	switch {
	case strings.HasPrefix(subject, "https://"):
		subscriber = subject
	case strings.HasPrefix(subject, "mailto:") && strings.Contains(subject, "@"):
		subscriber = strings.TrimPrefix(subject, "mailto:")
	default:
		return nil, fmt.Errorf("vapid subject %q: want mailto:address or an https:// URL", subject)
	}
	if client == nil {
		client = NewClient()
	}
	return &Sender{publicKey: public, privateKey: privateKey, subscriber: subscriber, client: client}, nil
}

// PublicKey returns the VAPID public key of privateKey: the uncompressed
// P-256 point in unpadded base64url, the applicationServerKey a browser
// subscribes with.
func PublicKey(privateKey string) (string, error) {
	d, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(privateKey), "="))
	if err != nil {
		return "", errors.New("vapid private key: not base64url")
	}
	key, err := ecdh.P256().NewPrivateKey(d)
	if err != nil {
		return "", errors.New("vapid private key: not a P-256 private key")
	}
	return base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes()), nil
}

// NewClient is the HTTP client pushes go through: bounded in time, not
// following redirects, and connecting only to public addresses, so that
// an endpoint whose name resolves to this network or this machine (the
// Lambda runtime's API) is not reached, whatever the check when it was
// stored let through.
func NewClient() *http.Client {
	dialer := &net.Dialer{
		Timeout: requestTimeout,
		Control: func(_, address string, _ syscall.RawConn) error {
			addr, err := netip.ParseAddrPort(address)
			if err != nil || !market.PublicAddr(addr.Addr()) {
				return errors.New("webpush: not a public address")
			}
			return nil
		},
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil
	transport.DialContext = dialer.DialContext
	return &http.Client{
		Transport:     transport,
		Timeout:       requestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// topicPattern is what RFC 8030 allows in a Topic: 32 characters of the
// base64url alphabet.
var topicPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Send pushes payload to sub with urgency high (an offer is worth waking
// the phone for) and TTL; topic, when it is a valid Topic, makes a newer
// push of the same order replace an older one still waiting. An error
// wraps notify.ErrPushGone when the push service answers 404 or 410; no
// error holds the endpoint.
func (s *Sender) Send(ctx context.Context, sub market.PushSubscription, topic string, payload []byte) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	opts := &webpush.Options{
		HTTPClient:      s.client,
		Subscriber:      s.subscriber,
		TTL:             int(TTL / time.Second),
		Urgency:         webpush.UrgencyHigh,
		VAPIDPublicKey:  s.publicKey,
		VAPIDPrivateKey: s.privateKey,
	}
	if topicPattern.MatchString(topic) {
		opts.Topic = topic
	}
	host := "push service"
	if u, err := url.Parse(sub.Endpoint); err == nil && u.Host != "" {
		host = u.Host
	}
	resp, err := webpush.SendNotificationWithContext(ctx, payload, &webpush.Subscription{
		Endpoint: sub.Endpoint,
		Keys:     webpush.Keys{P256dh: sub.P256dh, Auth: sub.Auth},
	}, opts)
	if err != nil {
		// A url.Error repeats the endpoint; its cause does not.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return fmt.Errorf("webpush: push to %s: %w", host, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return fmt.Errorf("webpush: %s answered %s: %w", host, resp.Status, notify.ErrPushGone)
	}
	return fmt.Errorf("webpush: %s answered %s", host, resp.Status)
}
