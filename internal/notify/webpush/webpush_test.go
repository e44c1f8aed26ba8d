package webpush_test

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	webpushgo "github.com/SherClockHolmes/webpush-go"
	"github.com/golang-jwt/jwt/v5"

	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/notify"
	"github.com/deliverymarket/delivery/internal/notify/pushlocal"
	"github.com/deliverymarket/delivery/internal/notify/webpush"
)

// RFC 8291, Appendix A.
const (
	rfcPlaintext = "When I grow up, I want to be a watermelon"
	rfcUAPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
	rfcUAPublic  = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
	rfcAuth      = "BTBZMqHH6r4Tts7J_aSIgg"
	rfcBody      = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
)

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("base64url %q: %v", s, err)
	}
	return b
}

// rfcUserAgent is the RFC's user agent: its private key and secret.
func rfcUserAgent(t *testing.T) pushlocal.UserAgent {
	t.Helper()
	key, err := ecdh.P256().NewPrivateKey(b64(t, rfcUAPrivate))
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes()); got != rfcUAPublic {
		t.Fatalf("the RFC's ua_private gives public key %s, want %s", got, rfcUAPublic)
	}
	return pushlocal.UserAgent{Key: key, Auth: b64(t, rfcAuth)}
}

// TestDecryptRFC8291: the test's user agent opens the RFC's own message,
// so that what it opens below is what a browser would.
func TestDecryptRFC8291(t *testing.T) {
	ua := rfcUserAgent(t)
	got, err := ua.Decrypt(b64(t, rfcBody))
	if err != nil || string(got) != rfcPlaintext {
		t.Fatalf("Decrypt(RFC 8291 body) = %q, %v, want %q", got, err, rfcPlaintext)
	}
	tampered := b64(t, rfcBody)
	tampered[len(tampered)-1] ^= 1
	if got, err := ua.Decrypt(tampered); err == nil {
		t.Errorf("Decrypt(tampered body) = %q, want an error", got)
	}
}

// pushService is an httptest push service keeping each request.
type pushService struct {
	status int

	mu       sync.Mutex
	requests []*http.Request
	bodies   [][]byte
}

func (p *pushService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	p.requests = append(p.requests, r)
	p.bodies = append(p.bodies, body)
	p.mu.Unlock()
	w.WriteHeader(p.status)
}

func newKeys(t *testing.T) (private, public string) {
	t.Helper()
	private, public, err := webpushgo.GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	return private, public
}

// TestSendEncryptsToTheSubscription: what the Sender posts is the
// payload encrypted to the RFC's user agent, with the VAPID
// Authorization a push service checks (signed by the key, for the
// endpoint's origin), the TTL, urgency and topic.
func TestSendEncryptsToTheSubscription(t *testing.T) {
	svc := &pushService{status: http.StatusCreated}
	srv := httptest.NewServer(svc)
	defer srv.Close()
	private, public := newKeys(t)
	s, err := webpush.NewSender(private, "mailto:ops@shop.example", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte(`{"title":"Order K7Q2M9XD: 9.00 USD"}`)
	sub := market.PushSubscription{Endpoint: srv.URL + "/send/abc", P256dh: rfcUAPublic, Auth: rfcAuth}
	if err := s.Send(context.Background(), sub, "21ca2fbd786fcff4cae7", payload); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if len(svc.requests) != 1 {
		t.Fatalf("requests = %d, want 1", len(svc.requests))
	}
	r, body := svc.requests[0], svc.bodies[0]
	got, err := rfcUserAgent(t).Decrypt(body)
	if err != nil || string(got) != string(payload) {
		t.Errorf("the pushed body decrypts to %q, %v, want %q", got, err, payload)
	}
	for header, want := range map[string]string{
		"Content-Encoding": "aes128gcm", "TTL": "120", "Urgency": "high", "Topic": "21ca2fbd786fcff4cae7",
	} {
		if got := r.Header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	if r.Method != http.MethodPost || r.URL.Path != "/send/abc" {
		t.Errorf("request %s %s, want POST /send/abc", r.Method, r.URL.Path)
	}

	// RFC 8292: Authorization: vapid t=<JWT>, k=<public key>.
	auth := r.Header.Get("Authorization")
	token, k, ok := strings.Cut(strings.TrimPrefix(auth, "vapid t="), ", k=")
	if !strings.HasPrefix(auth, "vapid t=") || !ok || k != public {
		t.Fatalf("Authorization = %q, want vapid t=..., k=%s", auth, public)
	}
	point := b64(t, k)
	key := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(point[1:33]), Y: new(big.Int).SetBytes(point[33:])}
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithAudience(srv.URL), jwt.WithExpirationRequired()); err != nil {
		t.Errorf("the VAPID token does not verify with the public key for %s: %v", srv.URL, err)
	}
	if claims["sub"] != "mailto:ops@shop.example" {
		t.Errorf("VAPID sub = %v, want mailto:ops@shop.example", claims["sub"])
	}
}

// TestSendOutcomes: 404 and 410 say the subscription is gone; any other
// failure is a failure, and no error holds the endpoint.
func TestSendOutcomes(t *testing.T) {
	private, _ := newKeys(t)
	tests := []struct {
		name     string
		status   int
		cancel   bool
		wantErr  bool
		wantGone bool
	}{
		{name: "created", status: http.StatusCreated},
		{name: "ok", status: http.StatusOK},
		{name: "not found", status: http.StatusNotFound, wantErr: true, wantGone: true},
		{name: "gone", status: http.StatusGone, wantErr: true, wantGone: true},
		{name: "server error", status: http.StatusInternalServerError, wantErr: true},
		{name: "too many requests", status: http.StatusTooManyRequests, wantErr: true},
		{name: "redirect not followed", status: http.StatusTemporaryRedirect, wantErr: true},
		{name: "timed out", status: http.StatusCreated, cancel: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Location", "http://169.254.169.254/")
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, "{}")
			}))
			defer srv.Close()
			s, err := webpush.NewSender(private, "https://shop.example", srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithDeadline(context.Background(), time.Now())
			if !tt.cancel {
				ctx, cancel = context.WithCancel(context.Background())
			}
			defer cancel()
			sub := market.PushSubscription{Endpoint: srv.URL + "/send/secret-token", P256dh: rfcUAPublic, Auth: rfcAuth}
			err = s.Send(ctx, sub, "t", []byte("{}"))
			if (err != nil) != tt.wantErr || errors.Is(err, notify.ErrPushGone) != tt.wantGone {
				t.Errorf("Send = %v, want error %v, gone %v", err, tt.wantErr, tt.wantGone)
			}
			if err != nil && strings.Contains(err.Error(), "secret-token") {
				t.Errorf("Send error %q holds the endpoint", err)
			}
		})
	}
}

// TestClientReachesOnlyPublicAddresses: the default client refuses a
// push service on this machine, as it would one whose name resolves to
// a private network.
func TestClientReachesOnlyPublicAddresses(t *testing.T) {
	reached := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		reached = true
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	private, _ := newKeys(t)
	s, err := webpush.NewSender(private, "https://shop.example", nil)
	if err != nil {
		t.Fatal(err)
	}
	sub := market.PushSubscription{Endpoint: srv.URL + "/send/x", P256dh: rfcUAPublic, Auth: rfcAuth}
	if err := s.Send(context.Background(), sub, "", []byte("{}")); err == nil || errors.Is(err, notify.ErrPushGone) || reached {
		t.Errorf("Send to %s = %v (reached: %v), want refused before connecting", srv.URL, err, reached)
	}
}

func TestNewSender(t *testing.T) {
	private, public := newKeys(t)
	if got, err := webpush.PublicKey(private); err != nil || got != public {
		t.Errorf("PublicKey(private) = %q, %v, want %q", got, err, public)
	}
	tests := []struct {
		name, key, subject string
		ok                 bool
	}{
		{"mailto", private, "mailto:ops@shop.example", true},
		{"https", private, "https://shop.example", true},
		{"bare address", private, "ops@shop.example", false},
		{"http", private, "http://shop.example", false},
		{"no subject", private, "", false},
		{"no key", "", "https://shop.example", false},
		{"not base64url", "***", "https://shop.example", false},
		{"zero scalar", base64.RawURLEncoding.EncodeToString(make([]byte, 32)), "https://shop.example", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := webpush.NewSender(tt.key, tt.subject, nil); (err == nil) != tt.ok {
				t.Errorf("NewSender(%q, %q) = %v, want ok %v", tt.key, tt.subject, err, tt.ok)
			}
		})
	}
}

// TestSendThroughTheStandIn: the local push service receives what the
// Sender posts, answers 410 for a subscription marked gone, and keeps the
// body for whoever holds the subscription's keys.
func TestSendThroughTheStandIn(t *testing.T) {
	svc := pushlocal.New()
	private, _ := newKeys(t)
	s, err := webpush.NewSender(private, "https://shop.example", svc.Client())
	if err != nil {
		t.Fatal(err)
	}
	ua, sub, err := pushlocal.NewUserAgent("https://fcm.googleapis.com/fcm/send/one")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Send(ctx, sub, "21ca2fbd786fcff4cae7", []byte(`{"title":"x"}`)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	bodies := svc.Bodies(sub.Endpoint)
	if len(bodies) != 1 {
		t.Fatalf("bodies = %d, want 1", len(bodies))
	}
	if got, err := ua.Decrypt(bodies[0]); err != nil || string(got) != `{"title":"x"}` {
		t.Errorf("Decrypt = %q, %v", got, err)
	}
	svc.Gone(sub.Endpoint)
	if err := s.Send(ctx, sub, "", []byte("{}")); !errors.Is(err, notify.ErrPushGone) {
		t.Errorf("Send to a gone subscription = %v, want ErrPushGone", err)
	}
	pushes := svc.Pushes()
	if len(pushes) != 2 || pushes[0].Host != "fcm.googleapis.com" || pushes[0].TTL != "120" || pushes[0].Urgency != "high" ||
		pushes[0].Topic != "21ca2fbd786fcff4cae7" || pushes[0].Status != http.StatusCreated || pushes[1].Status != http.StatusGone {
		t.Errorf("pushes = %+v", pushes)
	}
}
