package localrun_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/localrun"
)

// runner is the marketplace as `go run ./cmd/local` serves it, on a fresh
// demo database, behind a real HTTP server.
type runner struct {
	url     string
	keyring auth.Keyring
	m       *localrun.Marketplace
	// stop stops serving and closes the marketplace, as the runner does
	// when it stops; the test's end does it too.
	stop func()
}

func newRunner(t *testing.T) runner {
	t.Helper()
	db, keyring := newDemoDB(t)
	return startRunner(t, db, keyring, "")
}

// newDemoDB returns a fresh demo database and a keyring of the test's own.
func newDemoDB(t *testing.T) (*sqlx.DB, auth.Keyring) {
	t.Helper()
	db := dbtest.MustOpenDB(t)
	if _, err := demo.SeedIfEmpty(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	key, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return db, auth.Keyring{Private: key, Public: &key.PublicKey, Issuer: "test", Audience: "test-api"}
}

// startRunner serves the marketplace on db, its S3 kept in s3File (in
// memory when empty).
func startRunner(t *testing.T, db *sqlx.DB, keyring auth.Keyring, s3File string) runner {
	t.Helper()
	return startRunnerWith(t, localrun.Config{DB: db, Currency: "USD", Logger: slog.New(slog.DiscardHandler), Keyring: keyring, S3File: s3File})
}

// startRunnerWith serves the marketplace cfg assembles.
func startRunnerWith(t *testing.T, cfg localrun.Config) runner {
	t.Helper()
	keyring := cfg.Keyring
	m, err := localrun.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.Handler)
	var once sync.Once
	stop := func() {
		once.Do(func() {
			srv.Close()
			if err := m.Close(); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(stop)
	return runner{url: srv.URL, keyring: keyring, m: m, stop: stop}
}

// do sends one request and returns the response with its whole body.
func (r runner) do(t *testing.T, method, path string, headers map[string]string, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, r.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// The public catalog reads go through the local gateway with their cache
// headers, and a conditional GET gets an empty 304, as through CloudFront.
func TestCatalogRevalidation(t *testing.T) {
	r := newRunner(t)
	tests := []struct {
		name string
		path string
	}{
		{name: "first page", path: "/api/products"},
		{name: "filtered page", path: "/api/products?companyId=2&limit=3"},
		{name: "search", path: "/api/products?q=bread"},
		{name: "shops", path: "/api/companies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, body := r.do(t, http.MethodGet, tt.path, nil, "")
			tag := first.Header.Get("ETag")
			if first.StatusCode != http.StatusOK || tag == "" || !json.Valid([]byte(body)) {
				t.Fatalf("GET %s = %d, ETag %q, body %.80s; want 200 with a tag and JSON", tt.path, first.StatusCode, tag, body)
			}
			if cc := first.Header.Get("Cache-Control"); !strings.HasPrefix(cc, "public, max-age=") {
				t.Errorf("GET %s Cache-Control = %q, want public", tt.path, cc)
			}
			again, body := r.do(t, http.MethodGet, tt.path, map[string]string{"If-None-Match": tag}, "")
			if again.StatusCode != http.StatusNotModified || body != "" {
				t.Fatalf("GET %s If-None-Match %s = %d with %d body bytes, want 304 and none", tt.path, tag, again.StatusCode, len(body))
			}
			if again.Header.Get("ETag") != tag || again.Header.Get("Cache-Control") != first.Header.Get("Cache-Control") {
				t.Errorf("304 ETag %q, Cache-Control %q; want %q, %q repeated", again.Header.Get("ETag"), again.Header.Get("Cache-Control"), tag, first.Header.Get("Cache-Control"))
			}
			if ct := again.Header.Get("Content-Type"); ct != "" {
				t.Errorf("304 Content-Type = %q, want none", ct)
			}
			stale, body := r.do(t, http.MethodGet, tt.path, map[string]string{"If-None-Match": `"stale"`}, "")
			if stale.StatusCode != http.StatusOK || stale.Header.Get("ETag") != tag || !json.Valid([]byte(body)) {
				t.Errorf("GET %s with a stale tag = %d, ETag %q; want 200 and %s", tt.path, stale.StatusCode, stale.Header.Get("ETag"), tag)
			}
		})
	}
}

// Routes that answer for one company, carrier or order, and every
// write, stay out of every cache.
func TestPrivateRoutesStayNoStore(t *testing.T) {
	r := newRunner(t)
	company, err := r.keyring.Mint(1, auth.DefaultScopes, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	carrier, err := r.keyring.MintCarrier(1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	orderResp, orderBody := r.do(t, http.MethodPost, "/api/orders", map[string]string{"Idempotency-Key": "4f7c1c9e-2b0a-4c55-9d1e-7a3b2c1d0e9f"},
		`{"items":[{"productId":1,"quantity":1}],"customer":{"name":"Ana","phone":"+5511987654321","address":"Rua Augusta 100"}}`)
	var order struct {
		OrderID string `json:"orderId"`
	}
	if err := json.Unmarshal([]byte(orderBody), &order); err != nil || orderResp.StatusCode != http.StatusCreated || order.OrderID == "" {
		t.Fatalf("POST /api/orders = %d %s: %v", orderResp.StatusCode, orderBody, err)
	}
	tests := []struct {
		name, method, path, token, body string
		wantStatus                      int
	}{
		{name: "order placed", method: http.MethodPost, path: "/api/orders", wantStatus: http.StatusBadRequest, body: `{}`},
		{name: "order status", method: http.MethodGet, path: "/api/orders/" + order.OrderID, wantStatus: http.StatusOK},
		{name: "quote", method: http.MethodPost, path: "/api/orders/quote", body: `{"items":[{"productId":1,"quantity":2}]}`, wantStatus: http.StatusOK},
		{name: "company products", method: http.MethodGet, path: "/api/company/products", token: company, wantStatus: http.StatusOK},
		{name: "company product", method: http.MethodGet, path: "/api/company/products/1", token: company, wantStatus: http.StatusOK},
		{name: "company orders", method: http.MethodGet, path: "/api/company/orders", token: company, wantStatus: http.StatusOK},
		{name: "carrier orders", method: http.MethodGet, path: "/api/carrier/orders?view=available", token: carrier, wantStatus: http.StatusOK},
		{name: "sign-in code", method: http.MethodPost, path: "/api/carrier/session/code", body: `{"phone":"+15550000000"}`, wantStatus: http.StatusAccepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			headers := map[string]string{"If-None-Match": "*"}
			if tt.token != "" {
				headers["Authorization"] = "Bearer " + tt.token
			}
			resp, body := r.do(t, tt.method, tt.path, headers, tt.body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, resp.StatusCode, body, tt.wantStatus)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("%s %s Cache-Control = %q, want no-store", tt.method, tt.path, cc)
			}
		})
	}
}
