package market_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/deliverymarket/delivery/internal/market"
)

func decodePush(t *testing.T, payload []byte) market.PushMessage {
	t.Helper()
	var m market.PushMessage
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("push payload %s: %v", payload, err)
	}
	return m
}

// TestPushPayload: the push says what the SMS says, in the shape the
// carrier page's service worker reads ({title, body, url, tag}).
func TestPushPayload(t *testing.T) {
	id := market.DeliveryID("0b6f4b0e-6f3c-4f7e-9d38-2c1a5b7e9f01")
	link := market.ClaimLink("https://shop.example", id)
	tests := []struct {
		name string
		n    market.CarrierNotice
		want market.PushMessage
	}{
		{
			name: "an order",
			n: market.CarrierNotice{Reference: "K7Q2M9XD", ItemCount: 3, Total: market.MustMoney("42.50"), Currency: "USD",
				Companies: []string{"Padaria Sol", "Casa Nonna Kitchen"}, Area: "Lisboa", Link: link},
			want: market.PushMessage{Title: "Order K7Q2M9XD: 42.50 USD", Body: "3 items. Pickup: Padaria Sol, Casa Nonna Kitchen. Area: Lisboa", URL: link, Tag: id},
		},
		{
			name: "one item, no area",
			n: market.CarrierNotice{Reference: "K7Q2M9XD", ItemCount: 1, Total: market.MustMoney("4.5"), Currency: "EUR",
				Companies: []string{"Padaria Sol"}, Link: link},
			want: market.PushMessage{Title: "Order K7Q2M9XD: 4.50 EUR", Body: "1 item. Pickup: Padaria Sol. Area: unknown", URL: link, Tag: id},
		},
		{
			name: "what a customer or a company typed is reduced as in the SMS",
			n: market.CarrierNotice{Reference: "K7Q2M9XD", ItemCount: 2, Total: market.MustMoney("10.00"), Currency: "USD",
				Companies: []string{"Café <b>Sol</b> 🚚"}, Area: "Rua Augusta 10, call +351 912 345 678 <script>", Link: link},
			want: market.PushMessage{Title: "Order K7Q2M9XD: 10.00 USD", Body: "2 items. Pickup: Cafe <b>Sol</b>. Area: Rua Augusta call", URL: link, Tag: id},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload, err := tt.n.PushPayload()
			if err != nil {
				t.Fatalf("PushPayload() error: %v", err)
			}
			if got := decodePush(t, payload); got != tt.want {
				t.Errorf("PushPayload() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestPushPayloadBounded: the largest order there can be, from the
// longest company names, still fits one push.
func TestPushPayloadBounded(t *testing.T) {
	id := market.DeliveryID("0b6f4b0e-6f3c-4f7e-9d38-2c1a5b7e9f01")
	companies := make([]string, market.MaxDistinctProducts)
	for i := range companies {
		companies[i] = strings.Repeat("W", 200)
	}
	units := int64(market.MaxDistinctProducts * market.MaxQuantity)
	n := market.CarrierNotice{
		Reference: strings.Repeat("W", 40), ItemCount: int(units), Currency: strings.Repeat("W", 40),
		Total:     market.NewMoney(market.MaxPrice.Mul(decimal.NewFromInt(units))),
		Companies: companies, Area: strings.Repeat("W", 500),
		Link: market.ClaimLink("https://"+strings.Repeat("w", 200)+".example", id),
	}
	payload, err := n.PushPayload()
	if err != nil {
		t.Fatalf("PushPayload() of the largest order: %v", err)
	}
	if len(payload) > market.MaxPushPayload {
		t.Errorf("PushPayload() is %d bytes, more than %d", len(payload), market.MaxPushPayload)
	}
	if m := decodePush(t, payload); !strings.Contains(m.Body, "more") {
		t.Errorf("PushPayload() body %q does not count the companies left out", m.Body)
	}
}

// TestPushPayloadRefusesABrokenLink: a push opens the claim page or is
// not sent.
func TestPushPayloadRefusesABrokenLink(t *testing.T) {
	id := market.DeliveryID("0b6f4b0e-6f3c-4f7e-9d38-2c1a5b7e9f01")
	notice := market.CarrierNotice{Reference: "KQEV81CN", ItemCount: 4, Total: market.MustMoney("33.69"), Currency: "USD",
		Companies: []string{"Padaria Sol"}, Area: "Lisboa"}
	for _, link := range []string{
		"",
		"https://shop.example/carrier.html",
		"https://shop.example/carrier.html#d=not-a-delivery-id",
		"javascript:alert(1)" + market.ClaimPath + id,
		"https://shop.example/a b" + market.ClaimPath + id,
		"https://lojá.example" + market.ClaimPath + id,
	} {
		n := notice
		n.Link = link
		if payload, err := n.PushPayload(); err == nil {
			t.Errorf("PushPayload() with link %q = %s, want an error", link, payload)
		}
	}
}

// browserKeys are a subscription's keys as a browser gives them: a fresh
// P-256 point and a 16-byte secret, in unpadded base64url.
func browserKeys(t *testing.T) (p256dh, auth string) {
	t.Helper()
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes()), base64.RawURLEncoding.EncodeToString(make([]byte, 16))
}

func subscriptionInput(endpoint, p256dh, auth string) market.PushSubscriptionInput {
	var in market.PushSubscriptionInput
	in.Endpoint, in.Keys.P256dh, in.Keys.Auth = endpoint, p256dh, auth
	return in
}

// TestPushSubscriptionInput: only an https endpoint at a public name,
// with keys a browser could have made, is kept; notifycarrier POSTs to
// the endpoint, so it must not be able to reach anything else.
func TestPushSubscriptionInput(t *testing.T) {
	p256dh, auth := browserKeys(t)
	padded := base64.URLEncoding.EncodeToString(make([]byte, 16))
	fcm := "https://fcm.googleapis.com/fcm/send/dGVzdA:APA91bH"
	offCurve := make([]byte, 65)
	offCurve[0] = 4
	tests := []struct {
		name, endpoint, p256dh, auth string
		field                        string // "" for accepted
	}{
		{"fcm", fcm, p256dh, auth, ""},
		{"mozilla", "https://updates.push.services.mozilla.com/wpush/v2/gAAAAAB", p256dh, auth, ""},
		{"apple, port 443", "https://web.push.apple.com:443/QGx", p256dh, auth, ""},
		{"windows, with a query", "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAD", p256dh, auth, ""},
		{"padded auth", fcm, p256dh, padded, ""},
		{"no endpoint", "", p256dh, auth, "endpoint"},
		{"http", "http://fcm.googleapis.com/fcm/send/x", p256dh, auth, "endpoint"},
		{"too long", "https://fcm.googleapis.com/" + strings.Repeat("a", market.MaxPushEndpoint), p256dh, auth, "endpoint"},
		{"localhost", "https://localhost/push", p256dh, auth, "endpoint"},
		{"a localhost name", "https://push.localhost/push", p256dh, auth, "endpoint"},
		{"loopback address", "https://127.0.0.1/push", p256dh, auth, "endpoint"},
		{"metadata address", "https://169.254.169.254/latest/meta-data", p256dh, auth, "endpoint"},
		{"private address", "https://10.0.0.5/push", p256dh, auth, "endpoint"},
		{"public address", "https://8.8.8.8/push", p256dh, auth, "endpoint"},
		{"ipv6 loopback", "https://[::1]/push", p256dh, auth, "endpoint"},
		{"decimal address", "https://2130706433/push", p256dh, auth, "endpoint"},
		{"short address", "https://127.1/push", p256dh, auth, "endpoint"},
		{"hex address", "https://0x7f.0.0.0x1/push", p256dh, auth, "endpoint"},
		{"single label", "https://metadata/push", p256dh, auth, "endpoint"},
		{"internal name", "https://db.internal/push", p256dh, auth, "endpoint"},
		{"another port", "https://fcm.googleapis.com:9001/push", p256dh, auth, "endpoint"},
		{"user", "https://a@fcm.googleapis.com/push", p256dh, auth, "endpoint"},
		{"fragment", "https://fcm.googleapis.com/push#x", p256dh, auth, "endpoint"},
		{"not a url", "https://fcm.googleapis.com:x/%zz", p256dh, auth, "endpoint"},
		{"no p256dh", fcm, "", auth, "keys.p256dh"},
		{"short p256dh", fcm, p256dh[:40], auth, "keys.p256dh"},
		{"p256dh off the curve", fcm, base64.RawURLEncoding.EncodeToString(offCurve), auth, "keys.p256dh"},
		{"p256dh not base64url", fcm, strings.Repeat("*", 87), auth, "keys.p256dh"},
		{"no auth", fcm, p256dh, "", "keys.auth"},
		{"long auth", fcm, p256dh, base64.RawURLEncoding.EncodeToString(make([]byte, 32)), "keys.auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := subscriptionInput(tt.endpoint, tt.p256dh, tt.auth).Validate()
			if tt.field == "" {
				if err != nil || sub.Endpoint != tt.endpoint || sub.P256dh != p256dh || sub.Auth != auth {
					t.Errorf("Validate() = %+v, %v, want it kept with unpadded keys", sub, err)
				}
				return
			}
			var e *market.Error
			if !errors.As(err, &e) || e.Code != market.CodeInvalid || fmt.Sprint(e.Details) != fmt.Sprint(map[string]string{"field": tt.field}) {
				t.Errorf("Validate() = %+v, %v, want invalid %s", sub, err, tt.field)
			}
		})
	}
}

func TestPublicAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "142.250.185.10": true, "2a00:1450:4003:80e::200a": true,
		"127.0.0.1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false, "169.254.169.254": false,
		"100.64.0.1": false, "0.0.0.0": false, "::1": false, "fd00::1": false, "fe80::1": false, "::ffff:127.0.0.1": false,
		"64:ff9b::a00:1": false, "203.0.113.9": false, "224.0.0.1": false,
	} {
		if got := market.PublicAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("PublicAddr(%s) = %v, want %v", addr, got, want)
		}
	}
}

// memPush is a market.PushSubscriptionStore in memory.
type memPush map[int64]market.PushSubscription

func (m memPush) Save(_ context.Context, carrier int64, sub market.PushSubscription, _ time.Time) error {
	m[carrier] = sub
	return nil
}

func (m memPush) Delete(_ context.Context, carrier int64) error {
	delete(m, carrier)
	return nil
}

func (m memPush) Subscribed(_ context.Context, carrier int64) (bool, error) {
	_, ok := m[carrier]
	return ok, nil
}

func TestPushSubscriptionsService(t *testing.T) {
	ctx := context.Background()
	p256dh, auth := browserKeys(t)
	in := subscriptionInput("https://fcm.googleapis.com/fcm/send/x", p256dh, auth)
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	t.Run("without a key, push is unavailable", func(t *testing.T) {
		p := market.PushSubscriptions{Store: memPush{}}
		if _, err := p.Status(ctx, 1); market.ErrorCode(err) != market.CodeUnavailable {
			t.Errorf("Status = %v, want unavailable", err)
		}
		if _, err := p.Subscribe(ctx, 1, in); market.ErrorCode(err) != market.CodeUnavailable {
			t.Errorf("Subscribe = %v, want unavailable", err)
		}
	})
	t.Run("subscribe, look, unsubscribe; each change counted", func(t *testing.T) {
		store := memPush{}
		p := market.PushSubscriptions{
			Store:     store,
			PublicKey: func(context.Context) (string, error) { return "BKey", nil },
			Limiter:   &market.RateLimiter{Store: &memRates{}, Now: clock},
			Changes:   market.Limit{Max: 2, Window: time.Hour},
			Now:       clock,
		}
		want := market.PushStatus{VAPIDPublicKey: "BKey"}
		if got, err := p.Status(ctx, 1); err != nil || got != want {
			t.Errorf("Status before = %+v, %v, want %+v", got, err, want)
		}
		want.Subscribed = true
		if got, err := p.Subscribe(ctx, 1, in); err != nil || got != want {
			t.Errorf("Subscribe = %+v, %v, want %+v", got, err, want)
		}
		if got, err := p.Status(ctx, 1); err != nil || got != want || store[1].P256dh != p256dh {
			t.Errorf("Status after = %+v, %v (stored %+v), want %+v", got, err, store[1], want)
		}
		bad := in
		bad.Endpoint = "https://127.0.0.1/x"
		if _, err := p.Subscribe(ctx, 1, bad); market.ErrorCode(err) != market.CodeInvalid {
			t.Errorf("Subscribe(bad) = %v, want invalid and not counted", err)
		}
		if err := p.Unsubscribe(ctx, 1); err != nil || len(store) != 0 {
			t.Errorf("Unsubscribe = %v (store %v), want it forgotten", err, store)
		}
		if err := p.Unsubscribe(ctx, 1); market.ErrorCode(err) != market.CodeThrottled {
			t.Errorf("a third change in the hour = %v, want throttled", err)
		}
		if _, err := p.Subscribe(ctx, 2, in); err != nil {
			t.Errorf("another carrier's change = %v, want it counted apart", err)
		}
	})
}
