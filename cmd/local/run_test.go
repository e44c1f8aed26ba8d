package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startRunner runs the local runner on a free port and returns its base
// URL and a stop function that shuts it down and returns run's error.
func startRunner(t *testing.T) (base string, stdout, stderr *syncBuffer, stop func() error) {
	t.Helper()
	t.Setenv("DELIVERY_DSN", "")
	t.Setenv("CURRENCY", "")
	t.Setenv("LOG_LEVEL", "")
	t.Setenv("CORS_ALLOWED_ORIGINS", "http://shop.test")
	// A key file of the test's own: the developer's is never touched.
	t.Setenv(auth.EnvLocalKeyFile, filepath.Join(t.TempDir(), "key.pem"))
	args := []string{"-addr", "127.0.0.1:0"}
	if os.Getenv(dbtest.EnvDSN) != "" {
		args = append(args, "-dsn", dbtest.NewDSN(t))
	}
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, stdout, stderr, func(addr string) { ready <- addr }) }()

	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			t.Fatal("run did not return within 20s of its context ending")
			return nil
		}
	}
	t.Cleanup(func() { _ = stop() })
	select {
	case addr := <-ready:
		return "http://" + addr, stdout, stderr, stop
	case err := <-done:
		t.Fatalf("run returned before serving: %v\nstderr: %s", err, stderr)
	case <-time.After(60 * time.Second):
		t.Fatal("the runner was not ready within 60s")
	}
	return "", nil, nil, nil
}

// call makes one request and returns the status, headers and body.
func call(t *testing.T, method, url, contentType, body string, headers ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

type product struct {
	ID          int64  `json:"id"`
	CompanyID   int64  `json:"companyId"`
	CompanyName string `json:"companyName"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Price       string `json:"price"`
	Currency    string `json:"currency"`
	Version     int64  `json:"version"`
	Image       *struct {
		URL320 string `json:"url320"`
		URL960 string `json:"url960"`
	} `json:"image"`
}

func TestRunServesSiteAndAPI(t *testing.T) {
	base, stdout, stderr, stop := startRunner(t)

	t.Run("site", func(t *testing.T) {
		status, h, body := call(t, "GET", base+"/", "", "")
		if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !bytes.Contains(body, []byte("<title>Delivery marketplace</title>")) {
			t.Errorf("GET / = %d %s %.80q, want the storefront page", status, h.Get("Content-Type"), body)
		}
		if status, _, _ := call(t, "GET", base+"/app.js", "", ""); status != 200 {
			t.Errorf("GET /app.js = %d, want 200", status)
		}
	})

	// Every seeded product, five at a time, by following nextCursor.
	var all []product
	t.Run("pages through the catalog", func(t *testing.T) {
		next := ""
		pages := 0
		for {
			pages++
			if pages > 20 {
				t.Fatalf("no last page after %d pages", pages)
			}
			u := base + "/api/products?limit=5"
			if next != "" {
				u += "&cursor=" + url.QueryEscape(next)
			}
			status, h, body := call(t, "GET", u, "", "", "Origin", "http://shop.test")
			if status != 200 {
				t.Fatalf("GET %s = %d %s", u, status, body)
			}
			if h.Get("Access-Control-Allow-Origin") != "http://shop.test" {
				t.Errorf("GET %s Access-Control-Allow-Origin = %q, want http://shop.test", u, h.Get("Access-Control-Allow-Origin"))
			}
			var page struct {
				Products   []product `json:"products"`
				NextCursor *string   `json:"nextCursor"`
			}
			if err := json.Unmarshal(body, &page); err != nil {
				t.Fatal(err)
			}
			all = append(all, page.Products...)
			if page.NextCursor == nil {
				break
			}
			if len(page.Products) != 5 {
				t.Errorf("page %d has %d products and a next cursor, want 5", pages, len(page.Products))
			}
			next = *page.NextCursor
		}
		want := 0
		for _, c := range demo.Companies {
			want += len(c.Products)
		}
		if len(all) != want || pages != (want+4)/5 {
			t.Errorf("paged %d products in %d pages, want %d in %d", len(all), pages, want, (want+4)/5)
		}
		if !slices.IsSortedFunc(all, func(a, b product) int { return int(a.ID - b.ID) }) {
			t.Errorf("products are not in strictly increasing id order")
		}
		for i := 1; i < len(all); i++ {
			if all[i].ID == all[i-1].ID {
				t.Errorf("product %d appears twice", all[i].ID)
			}
		}
		for _, p := range all {
			if p.Currency != "USD" || !strings.Contains(p.Price, ".") || len(p.Price)-strings.Index(p.Price, ".") != 3 || p.CompanyName == "" || p.Version < 1 {
				t.Errorf("product %+v: want USD, a two-decimal price, a company and a version", p)
			}
		}
	})

	// The demo products have their drawn photos, served from the local S3.
	t.Run("photos", func(t *testing.T) {
		for _, p := range all {
			if p.Image == nil {
				t.Fatalf("product %d %q has no photo", p.ID, p.Name)
			}
		}
		for _, u := range []string{all[0].Image.URL320, all[0].Image.URL960} {
			status, h, body := call(t, "GET", base+u, "", "")
			if status != 200 || h.Get("Content-Type") != "image/jpeg" || !bytes.HasPrefix(body, []byte{0xff, 0xd8}) {
				t.Errorf("GET %s = %d %s, want a JPEG", u, status, h.Get("Content-Type"))
			}
		}
	})

	t.Run("quote", func(t *testing.T) {
		ids := map[string]int64{}
		for _, p := range all {
			ids[p.Name] = p.ID
		}
		for _, name := range []string{"Sourdough loaf", "Lasagna for two", "Lemons (4)"} {
			if ids[name] == 0 {
				t.Fatalf("the catalog lacks %q", name)
			}
		}
		body := `{"items":[{"productId":` + itoa(ids["Sourdough loaf"]) + `,"quantity":2},` +
			`{"productId":` + itoa(ids["Lasagna for two"]) + `,"quantity":1},` +
			`{"productId":` + itoa(ids["Lemons (4)"]) + `,"quantity":3}]}`
		status, _, resp := call(t, "POST", base+"/api/orders/quote", "application/json", body)
		if status != 200 {
			t.Fatalf("POST /api/orders/quote = %d %s", status, resp)
		}
		var q struct {
			Currency string `json:"currency"`
			Lines    []struct {
				Name      string `json:"name"`
				UnitPrice string `json:"unitPrice"`
				LineTotal string `json:"lineTotal"`
			} `json:"lines"`
			ItemCount int    `json:"itemCount"`
			Total     string `json:"total"`
		}
		if err := json.Unmarshal(resp, &q); err != nil {
			t.Fatal(err)
		}
		// 6.50 × 2 + 18.50 + 1.99 × 3 = 13.00 + 18.50 + 5.97
		if q.Total != "37.47" || q.ItemCount != 6 || q.Currency != "USD" || len(q.Lines) != 3 {
			t.Errorf("quote = %s, want USD 37.47 for 6 items on 3 lines", resp)
		}
		if len(q.Lines) == 3 && (q.Lines[0].LineTotal != "13.00" || q.Lines[1].LineTotal != "18.50" || q.Lines[2].LineTotal != "5.97") {
			t.Errorf("line totals = %+v, want 13.00, 18.50, 5.97", q.Lines)
		}
	})

	errorTests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		wantStatus  int
		wantCode    string
		wantDetails string
	}{
		{name: "unknown product", method: "POST", path: "/api/orders/quote", contentType: "application/json", body: `{"items":[{"productId":999999,"quantity":1}]}`, wantStatus: 422, wantCode: "unavailable_products", wantDetails: `{"productIds":[999999]}`},
		{name: "quantity 0", method: "POST", path: "/api/orders/quote", contentType: "application/json", body: `{"items":[{"productId":1,"quantity":0}]}`, wantStatus: 400, wantCode: "invalid_request"},
		{name: "malformed JSON", method: "POST", path: "/api/orders/quote", contentType: "application/json", body: `{"items":`, wantStatus: 400, wantCode: "invalid_request"},
		{name: "unknown field", method: "POST", path: "/api/orders/quote", contentType: "application/json", body: `{"items":[{"productId":1,"quantity":1}],"discount":5}`, wantStatus: 400, wantCode: "invalid_request"},
		{name: "not JSON", method: "POST", path: "/api/orders/quote", contentType: "text/plain", body: `{"items":[{"productId":1,"quantity":1}]}`, wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "too large", method: "POST", path: "/api/orders/quote", contentType: "application/json", body: `{"items":[]}` + strings.Repeat(" ", 64<<10), wantStatus: 413, wantCode: "payload_too_large"},
		{name: "bad limit", method: "GET", path: "/api/products?limit=0", wantStatus: 400, wantCode: "invalid_request"},
		{name: "bad cursor", method: "GET", path: "/api/products?cursor=nope", wantStatus: 400, wantCode: "invalid_request"},
		{name: "unknown path", method: "GET", path: "/api/nothing", wantStatus: 404, wantCode: "route_not_found"},
		// As deployed, API Gateway answers a method the resource lacks
		// before any function runs.
		{name: "method the resource lacks", method: "DELETE", path: "/api/orders/quote", wantStatus: 404, wantCode: "route_not_found"},
	}
	for _, tt := range errorTests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := call(t, tt.method, base+tt.path, tt.contentType, tt.body)
			if status != tt.wantStatus {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, status, body, tt.wantStatus)
			}
			if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
				t.Errorf("%s %s Content-Type = %q, want JSON", tt.method, tt.path, h.Get("Content-Type"))
			}
			var e struct {
				Error struct {
					Code    string          `json:"code"`
					Message string          `json:"message"`
					Details json.RawMessage `json:"details"`
				} `json:"error"`
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != tt.wantCode || e.Error.Message == "" {
				t.Errorf("%s %s body = %s, want code %s and a message", tt.method, tt.path, body, tt.wantCode)
			}
			if tt.wantDetails != "" && string(e.Error.Details) != tt.wantDetails {
				t.Errorf("%s %s details = %s, want %s", tt.method, tt.path, e.Error.Details, tt.wantDetails)
			}
		})
	}

	t.Run("preflight", func(t *testing.T) {
		status, h, _ := call(t, "OPTIONS", base+"/api/orders/quote", "", "", "Origin", "http://shop.test", "Access-Control-Request-Method", "POST")
		if status != 204 || h.Get("Access-Control-Allow-Origin") != "http://shop.test" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") {
			t.Errorf("OPTIONS /api/orders/quote = %d %v, want 204 allowing POST from http://shop.test", status, h)
		}
		status, h, _ = call(t, "OPTIONS", base+"/api/orders/quote", "", "", "Origin", "http://evil.test", "Access-Control-Request-Method", "POST")
		if status != 204 || h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("OPTIONS from http://evil.test = %d, Access-Control-Allow-Origin %q, want none", status, h.Get("Access-Control-Allow-Origin"))
		}
	})

	if err := stop(); err != nil {
		t.Errorf("run after shutdown = %v, want nil", err)
	}
	out := stdout.String()
	if !strings.Contains(out, base+"/") || !strings.Contains(out, "Stopped.") {
		t.Errorf("stdout = %q, want the storefront address and Stopped.", out)
	}
	// One JSON log line per API request, with the request id.
	var logged int
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var entry map[string]any
		if json.Unmarshal([]byte(line), &entry) != nil || entry["msg"] != "request" {
			continue
		}
		logged++
		if id, _ := entry["requestId"].(string); id == "" || entry["route"] == nil || entry["status"] == nil || entry["durationMs"] == nil {
			t.Errorf("log line %s lacks requestId, route, status or durationMs", line)
		}
	}
	if logged < len(errorTests) {
		t.Errorf("stderr has %d request log lines, want at least %d", logged, len(errorTests))
	}
	if _, err := http.Get(base + "/"); err == nil {
		t.Errorf("the server still answers after shutdown")
	}
}

func TestRunBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{name: "unknown flag", args: []string{"-port", "8080"}},
		{name: "bad DSN", args: []string{"-addr", "127.0.0.1:0", "-dsn", "not a dsn"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DELIVERY_DSN", "")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var stdout, stderr syncBuffer
			if err := run(ctx, tt.args, &stdout, &stderr, func(string) { t.Error("ready called") }); err == nil {
				t.Errorf("run(%q) = nil, want an error", tt.args)
			}
		})
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
