package localrun_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/localrun"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/site"
)

// s3Request is a request to the runner's S3 at /s3/<path>, signed over
// every header with secret, as the runner's own client signs, when secret
// is not empty.
func (r runner) s3Request(t *testing.T, method, path string, headers map[string]string, body []byte, secret string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, r.url+localrun.S3Path+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if secret == "" {
		return req
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: localrun.S3AccessKey, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "s3", localrun.S3Region, time.Now(),
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }); err != nil {
		t.Fatal(err)
	}
	return req
}

func send(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// objects is every object of both buckets, by bucket and key, with its
// type and bytes.
func (r runner) objects(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, bucket := range []string{localrun.UploadsBucket, localrun.ImagesBucket} {
		keys, err := r.m.S3.Keys(bucket, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			obj, err := r.m.S3.Object(bucket, k)
			if err != nil {
				t.Fatal(err)
			}
			out[bucket+"/"+k] = obj.Metadata["Content-Type"] + "|" + string(obj.Data)
		}
	}
	return out
}

// /s3/ answers only what the runner's own credentials sign (and the
// console's presigned POST, which TestPhotos covers): nothing else reads,
// lists, replaces or deletes a photo, and a refusal changes nothing.
func TestS3OnlySigned(t *testing.T) {
	r := newRunner(t)
	if _, err := r.m.SeedPhotos(t.Context()); err != nil {
		t.Fatal(err)
	}
	keys, err := r.m.S3.Keys(localrun.ImagesBucket, "")
	if err != nil || len(keys) == 0 {
		t.Fatalf("images = %v (%v), want the demo photos", keys, err)
	}
	photo := localrun.ImagesBucket + "/" + keys[0]
	html := []byte("<script>alert(localStorage.length)</script>")
	tests := []struct {
		name, method, path, contentType string
		body                            []byte
		secret                          string
		wantCode                        string
	}{
		{name: "unsigned GET", method: http.MethodGet, path: photo, wantCode: "AccessDenied"},
		{name: "unsigned list", method: http.MethodGet, path: localrun.ImagesBucket + "?list-type=2", wantCode: "AccessDenied"},
		{name: "unsigned list of buckets", method: http.MethodGet, path: "", wantCode: "AccessDenied"},
		{name: "unsigned PUT over a photo", method: http.MethodPut, path: photo, contentType: "text/html", body: html, wantCode: "AccessDenied"},
		{name: "unsigned PUT of a page", method: http.MethodPut, path: localrun.ImagesBucket + "/images/page.html", contentType: "text/html", body: html, wantCode: "AccessDenied"},
		{name: "unsigned DELETE", method: http.MethodDelete, path: photo, wantCode: "AccessDenied"},
		{name: "PUT signed by another secret", method: http.MethodPut, path: photo, contentType: "text/html", body: html, secret: "guessed", wantCode: "SignatureDoesNotMatch"},
		{name: "DELETE signed by another secret", method: http.MethodDelete, path: photo, secret: "guessed", wantCode: "SignatureDoesNotMatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := r.objects(t)
			resp, body := send(t, r.s3Request(t, tt.method, tt.path, map[string]string{"Content-Type": tt.contentType}, tt.body, tt.secret))
			var doc struct{ Code string }
			if resp.StatusCode != http.StatusForbidden || xml.Unmarshal([]byte(body), &doc) != nil || doc.Code != tt.wantCode {
				t.Errorf("%s /s3/%s = %d %s, want 403 %s", tt.method, tt.path, resp.StatusCode, body, tt.wantCode)
			}
			if after := r.objects(t); !equalMaps(after, before) {
				t.Errorf("the buckets changed after a refused %s", tt.method)
			}
		})
	}
	resp, body := send(t, r.s3Request(t, http.MethodGet, photo, nil, nil, localrun.S3Secret))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("signed GET /s3/%s = %d %.80q, want the photo", photo, resp.StatusCode, body)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// /images/ serves images and nothing else, even what the runner's own
// signed client put in the images bucket, always with nosniff and the
// site's CSP, and real photos with their cache headers.
func TestImagesServeOnlyImages(t *testing.T) {
	r := newRunner(t)
	png := picture(t, "png", 4, 4)
	tests := []struct {
		name, key, contentType, cacheControl string
		body                                 []byte
		wantStatus                           int
	}{
		{name: "page", key: "images/page.html", contentType: "text/html", body: []byte("<script>alert(1)</script>"), wantStatus: http.StatusNotFound},
		{name: "page with a charset", key: "images/page2.html", contentType: "text/html; charset=utf-8", body: []byte("<script>alert(1)</script>"), wantStatus: http.StatusNotFound},
		{name: "svg", key: "images/drawing.svg", contentType: "image/svg+xml", body: []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), wantStatus: http.StatusNotFound},
		{name: "script", key: "images/app.js", contentType: "text/javascript", body: []byte("alert(1)"), wantStatus: http.StatusNotFound},
		{name: "no type", key: "images/blob", body: []byte("<script>alert(1)</script>"), wantStatus: http.StatusNotFound},
		{name: "png", key: "images/ok.png", contentType: "image/png", cacheControl: "public, max-age=31536000, immutable", body: png, wantStatus: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			headers := map[string]string{}
			if tt.contentType != "" {
				headers["Content-Type"] = tt.contentType
			}
			if tt.cacheControl != "" {
				headers["Cache-Control"] = tt.cacheControl
			}
			put := r.s3Request(t, http.MethodPut, localrun.ImagesBucket+"/"+tt.key, headers, tt.body, localrun.S3Secret)
			if resp, body := send(t, put); resp.StatusCode != http.StatusOK {
				t.Fatalf("signed PUT %s = %d %s, want 200", tt.key, resp.StatusCode, body)
			}
			resp, body := r.do(t, http.MethodGet, "/"+tt.key, nil, "")
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("GET /%s = %d %q, want %d", tt.key, resp.StatusCode, body, tt.wantStatus)
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("GET /%s X-Content-Type-Options = %q, want nosniff", tt.key, got)
			}
			if got := resp.Header.Get("Content-Security-Policy"); got != site.ContentSecurityPolicy {
				t.Errorf("GET /%s Content-Security-Policy = %q, want the site's", tt.key, got)
			}
			if tt.wantStatus != http.StatusOK {
				if strings.Contains(body, "<script>") || strings.Contains(resp.Header.Get("Content-Type"), tt.contentType) && tt.contentType != "" {
					t.Errorf("GET /%s served the object: %s %q", tt.key, resp.Header.Get("Content-Type"), body)
				}
				return
			}
			if ct, cc := resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"); ct != tt.contentType || cc != tt.cacheControl || body != string(tt.body) {
				t.Errorf("GET /%s = %s, Cache-Control %q; want the %s with %q", tt.key, ct, cc, tt.contentType, tt.cacheControl)
			}
		})
	}
}

// syncBuffer is a buffer the runner's goroutines write to while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A runner that others can reach does not serve the outbox page: the
// sign-in code reaches the runner's console alone. Otherwise the page is
// there and the console shows no code.
func TestOutboxHidden(t *testing.T) {
	code := regexp.MustCompile(`\b\d{6}\b`)
	tests := []struct {
		name       string
		hide       bool
		wantStatus int
	}{
		{name: "served", hide: false, wantStatus: http.StatusOK},
		{name: "hidden", hide: true, wantStatus: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, keyring := newDemoDB(t)
			var console syncBuffer
			r := startRunnerWith(t, localrun.Config{DB: db, Currency: "USD", Logger: slog.New(slog.DiscardHandler), Keyring: keyring,
				SMSConsole: &console, HideOutbox: tt.hide})
			phone := carrierPhone(t, db)
			if resp, body := r.do(t, http.MethodPost, "/api/carrier/session/code", nil, `{"phone":"`+phone+`"}`); resp.StatusCode != http.StatusAccepted {
				t.Fatalf("POST session/code = %d %s, want 202", resp.StatusCode, body)
			}
			resp, body := r.do(t, http.MethodGet, "/_local/sms", nil, "")
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("GET /_local/sms = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.hide && strings.Contains(body, phone) {
				t.Errorf("GET /_local/sms shows the SMS: %s", body)
			}
			if printed := code.MatchString(console.String()); printed != tt.hide {
				t.Errorf("console = %q; code printed %v, want %v", console.String(), printed, tt.hide)
			}
			if strings.Contains(console.String(), phone) {
				t.Errorf("console shows the whole phone number: %q", console.String())
			}
		})
	}
	t.Run("hidden without a console", func(t *testing.T) {
		db, keyring := newDemoDB(t)
		if _, err := localrun.New(localrun.Config{DB: db, Currency: "USD", Keyring: keyring, HideOutbox: true}); err == nil {
			t.Error("New with the outbox hidden and no console succeeded; the codes would go nowhere")
		}
	})
}

// carrierPhone returns the phone number of a demo carrier.
func carrierPhone(t *testing.T, db *sqlx.DB) string {
	t.Helper()
	var phone string
	if err := db.GetContext(t.Context(), &phone, "SELECT phone FROM carriers ORDER BY id LIMIT 1"); err != nil {
		t.Fatal(err)
	}
	return phone
}

// The runner's logs and console name an order by its reference, never by
// its id, whatever the order goes through.
func TestLogsHoldNoOrderID(t *testing.T) {
	db, keyring := newDemoDB(t)
	var logs, console syncBuffer
	r := startRunnerWith(t, localrun.Config{DB: db, Currency: "USD", Keyring: keyring, SMSConsole: &console,
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	resp, body := r.do(t, http.MethodPost, "/api/orders", map[string]string{"Idempotency-Key": "5a7c1c9e-2b0a-4c55-9d1e-7a3b2c1d0e9f"},
		`{"items":[{"productId":1,"quantity":1}],"customer":{"name":"Ana","phone":"+5511987654321","address":"Rua Augusta 100"}}`)
	var order struct {
		OrderID string `json:"orderId"`
	}
	if err := json.Unmarshal([]byte(body), &order); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/orders = %d %s: %v", resp.StatusCode, body, err)
	}
	for _, step := range []struct{ method, path string }{
		{http.MethodGet, "/api/orders/" + order.OrderID},
		{http.MethodGet, "/api/orders/" + order.OrderID + "/nothing"},
		{http.MethodPost, "/api/orders/" + order.OrderID + "/cancel"},
	} {
		r.do(t, step.method, step.path, nil, "")
	}
	r.m.Wait()
	ref := market.OrderReference(order.OrderID)
	for name, out := range map[string]string{"logs": logs.String(), "console": console.String()} {
		if strings.Contains(out, order.OrderID) {
			t.Errorf("%s hold the order id:\n%s", name, out)
		}
		if !strings.Contains(out, ref) {
			t.Errorf("%s do not name the order by its reference %s:\n%s", name, ref, out)
		}
	}
}
