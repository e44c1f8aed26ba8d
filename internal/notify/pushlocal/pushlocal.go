// Package pushlocal stands in for the Web Push services (Google's,
// Mozilla's, Apple's) in the local runner and the tests: an
// http.RoundTripper for the runner's webpush.Sender that never leaves the
// machine. It keeps each push, answers 201 as a push service does, or 410
// for a subscription marked gone, and lists the pushes at GET /_local/push
// as the outbox lists SMS at /_local/sms. A real browser's push cannot
// reach it, so a test subscribes with keys it holds (NewUserAgent) and
// reads what was pushed to it with Decrypt, the user agent's side of
// RFC 8291. It is never linked into a Lambda.
package pushlocal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// maxBody is the largest push a push service takes.
const maxBody = 4096

// Push is one push received, as GET /_local/push lists it: the push
// service's host (not the endpoint, which names the subscription), the
// headers a push service acts on, and the encrypted body's size.
type Push struct {
	Host    string    `json:"host"`
	TTL     string    `json:"ttl"`
	Urgency string    `json:"urgency,omitempty"`
	Topic   string    `json:"topic,omitempty"`
	Size    int       `json:"size"`
	Status  int       `json:"status"`
	At      time.Time `json:"at"`

	endpoint string
	body     []byte
}

// Service is the push services' stand-in.
type Service struct {
	now func() time.Time

	mu     sync.Mutex
	pushes []Push
	gone   map[string]bool
}

// New returns a push service that keeps every push.
func New() *Service { return &Service{now: time.Now, gone: map[string]bool{}} }

// Client is the HTTP client of a webpush.Sender whose pushes s receives.
func (s *Service) Client() *http.Client { return &http.Client{Transport: s} }

// Gone makes the push service answer 410 Gone for endpoint from now on,
// as for a subscription the browser dropped.
func (s *Service) Gone(endpoint string) {
	s.mu.Lock()
	s.gone[endpoint] = true
	s.mu.Unlock()
}

// RoundTrip receives one push: a POST with a VAPID Authorization and an
// aes128gcm body of at most 4 KB, else 400 or 403 as a push service
// answers; 410 for an endpoint marked gone; 201 otherwise.
func (s *Service) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		r.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	status := http.StatusCreated
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.Method != http.MethodPost || r.Header.Get("Content-Encoding") != "aes128gcm" || len(body) > maxBody || r.Header.Get("TTL") == "":
		status = http.StatusBadRequest
	case !strings.HasPrefix(r.Header.Get("Authorization"), "vapid t=") || !strings.Contains(r.Header.Get("Authorization"), ", k="):
		status = http.StatusForbidden
	case s.gone[r.URL.String()]:
		status = http.StatusGone
	}
	s.pushes = append(s.pushes, Push{
		Host: r.URL.Host, TTL: r.Header.Get("TTL"), Urgency: r.Header.Get("Urgency"), Topic: r.Header.Get("Topic"),
		Size: len(body), Status: status, At: s.now().UTC(), endpoint: r.URL.String(), body: body,
	})
	return &http.Response{
		Status: strconv.Itoa(status) + " " + http.StatusText(status), StatusCode: status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: r,
	}, nil
}

// Pushes returns the pushes received so far, oldest first.
func (s *Service) Pushes() []Push {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Push{}, s.pushes...)
}

// Bodies returns the encrypted bodies pushed to endpoint and accepted,
// oldest first, for a test holding the subscription's keys to Decrypt.
func (s *Service) Bodies(endpoint string) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	var bodies [][]byte
	for _, p := range s.pushes {
		if p.endpoint == endpoint && p.Status == http.StatusCreated {
			bodies = append(bodies, p.body)
		}
	}
	return bodies
}

// ServeHTTP answers GET /_local/push with {"pushes": [...]}.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, `{"error":{"code":"method_not_allowed","message":"GET only"}}`, http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(struct {
		Pushes []Push `json:"pushes"`
	}{s.Pushes()})
}

// UserAgent is a browser's side of a push subscription: the private key
// and the secret its pushes are encrypted to.
type UserAgent struct {
	Key  *ecdh.PrivateKey
	Auth []byte
}

// NewUserAgent returns fresh keys and the subscription a browser would
// send with them, at endpoint.
func NewUserAgent(endpoint string) (UserAgent, market.PushSubscription, error) {
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return UserAgent{}, market.PushSubscription{}, err
	}
	ua := UserAgent{Key: key, Auth: make([]byte, 16)}
	if _, err := rand.Read(ua.Auth); err != nil {
		return UserAgent{}, market.PushSubscription{}, err
	}
	return ua, market.PushSubscription{
		Endpoint: endpoint,
		P256dh:   base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes()),
		Auth:     base64.RawURLEncoding.EncodeToString(ua.Auth),
	}, nil
}

// Decrypt opens a push body as the user agent does (RFC 8291 over the
// aes128gcm content coding of RFC 8188): the header's salt and sender
// key, the keys derived with the subscription's private key and secret,
// one record whose padding ends with the last record's delimiter.
func (ua UserAgent) Decrypt(body []byte) ([]byte, error) {
	const headerLen = 16 + 4 + 1
	if len(body) < headerLen {
		return nil, errors.New("push body: shorter than its header")
	}
	salt, rs, idLen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if len(body) < headerLen+idLen {
		return nil, errors.New("push body: shorter than its header")
	}
	record := body[headerLen+idLen:]
	if rs < 18 || uint32(len(record)) > rs {
		return nil, fmt.Errorf("push body: a record of %d bytes, record size %d: want one record", len(record), rs)
	}
	sender, err := ecdh.P256().NewPublicKey(body[headerLen : headerLen+idLen])
	if err != nil {
		return nil, fmt.Errorf("push body: sender key: %w", err)
	}
	shared, err := ua.Key.ECDH(sender)
	if err != nil {
		return nil, err
	}
	info := "WebPush: info\x00" + string(ua.Key.PublicKey().Bytes()) + string(sender.Bytes())
	ikm, err := hkdf.Key(sha256.New, shared, ua.Auth, info, 32)
	if err != nil {
		return nil, err
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, record, nil)
	if err != nil {
		return nil, fmt.Errorf("push body: %w", err)
	}
	plain = bytes.TrimRight(plain, "\x00")
	if len(plain) == 0 || plain[len(plain)-1] != 2 {
		return nil, errors.New("push body: no last-record delimiter")
	}
	return plain[:len(plain)-1], nil
}
