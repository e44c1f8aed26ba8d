package apigw_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/market"
)

// memPushStore is a market.PushSubscriptionStore in memory.
type memPushStore struct {
	mu   sync.Mutex
	subs map[int64]market.PushSubscription
}

func (m *memPushStore) Save(_ context.Context, carrier int64, sub market.PushSubscription, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.subs[carrier] = sub
	return nil
}

func (m *memPushStore) Delete(_ context.Context, carrier int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.subs, carrier)
	return nil
}

func (m *memPushStore) Subscribed(_ context.Context, carrier int64) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.subs[carrier]
	return ok, nil
}

const pushResource = "/api/carrier/push-subscription"

func pushEvent(t *testing.T, method, body string) events.APIGatewayProxyRequest {
	t.Helper()
	e := carrierEvent(t, "7", pushResource, nil)
	e.HTTPMethod, e.RequestContext.HTTPMethod, e.Body = method, method, body
	return e
}

// browserSubscription is what PushSubscription.toJSON() gives.
func browserSubscription(t *testing.T, endpoint string) string {
	t.Helper()
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{
		"endpoint": endpoint, "expirationTime": nil,
		"keys": map[string]string{
			"p256dh": base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes()),
			"auth":   base64.RawURLEncoding.EncodeToString(make([]byte, 16)),
		},
	})
	return string(b)
}

// The carrier page's push routes: the key and whether subscribed, a
// subscription kept, one forgotten; what a browser would not send is a
// 400 naming the field, and without a key push is a 503.
func TestCarrierPush(t *testing.T) {
	store := &memPushStore{subs: map[int64]market.PushSubscription{}}
	push := market.PushSubscriptions{Store: store, PublicKey: func(context.Context) (string, error) { return "BVapidKey", nil }}
	h := newHarness(t, apigw.CarrierPush{Push: push}.Endpoints())
	status := func(want bool) {
		t.Helper()
		resp := h.handle(t, pushEvent(t, http.MethodGet, ""))
		if resp.StatusCode != http.StatusOK || resp.Body != `{"vapidPublicKey":"BVapidKey","subscribed":`+map[bool]string{true: "true", false: "false"}[want]+`}` {
			t.Fatalf("GET = %d %s, want subscribed %v", resp.StatusCode, resp.Body, want)
		}
	}
	status(false)
	endpoint := "https://fcm.googleapis.com/fcm/send/abc:APA91b"
	if resp := h.handle(t, pushEvent(t, http.MethodPost, browserSubscription(t, endpoint))); resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, `"subscribed":true`) {
		t.Fatalf("POST = %d %s, want 200 subscribed", resp.StatusCode, resp.Body)
	}
	if store.subs[7].Endpoint != endpoint {
		t.Errorf("stored %+v, want carrier 7's endpoint", store.subs)
	}
	status(true)
	if strings.Contains(h.logs.String(), "fcm.googleapis") {
		t.Errorf("the log holds the endpoint:\n%s", h.logs.String())
	}

	refused := []struct {
		name, body, field string
	}{
		{"loopback endpoint", browserSubscription(t, "https://127.0.0.1:9001/2018-06-01/runtime/invocation/next"), "endpoint"},
		{"metadata endpoint", browserSubscription(t, "https://169.254.169.254/latest"), "endpoint"},
		{"http endpoint", browserSubscription(t, "http://fcm.googleapis.com/fcm/send/x"), "endpoint"},
		{"bad key", `{"endpoint":"https://fcm.googleapis.com/x","expirationTime":null,"keys":{"p256dh":"AAAA","auth":"AAAAAAAAAAAAAAAAAAAAAA"}}`, "keys.p256dh"},
		{"no keys", `{"endpoint":"https://fcm.googleapis.com/x"}`, "keys.p256dh"},
		{"unknown field", `{"endpoint":"https://fcm.googleapis.com/x","keys":{},"extra":1}`, ""},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			resp := h.handle(t, pushEvent(t, http.MethodPost, tt.body))
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("POST %s = %d %s, want 400", tt.body, resp.StatusCode, resp.Body)
			}
			if e := errorOf(t, resp); tt.field != "" && !strings.Contains(string(e.Details), `"`+tt.field+`"`) {
				t.Errorf("error %+v, want it to name %s", e, tt.field)
			}
		})
	}
	if store.subs[7].Endpoint != endpoint {
		t.Errorf("a refused subscription replaced the stored one: %+v", store.subs)
	}

	if resp := h.handle(t, pushEvent(t, http.MethodDelete, "")); resp.StatusCode != http.StatusNoContent || resp.Body != "" {
		t.Fatalf("DELETE = %d %q, want 204", resp.StatusCode, resp.Body)
	}
	status(false)
}

func TestCarrierPushUnavailable(t *testing.T) {
	h := newHarness(t, apigw.CarrierPush{Push: market.PushSubscriptions{Store: &memPushStore{subs: map[int64]market.PushSubscription{}}}}.Endpoints())
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		resp := h.handle(t, pushEvent(t, method, browserSubscription(t, "https://fcm.googleapis.com/fcm/send/x")))
		if resp.StatusCode != http.StatusServiceUnavailable || errorOf(t, resp).Code != market.CodeUnavailable {
			t.Errorf("%s without a VAPID key = %d %s, want 503", method, resp.StatusCode, resp.Body)
		}
	}
}
