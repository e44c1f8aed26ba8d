package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"maps"
	"mime/multipart"
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

// startRunner runs the local runner on a free port, in an environment of
// the test's own (isolate), and returns its base URL and a stop function
// that shuts it down and returns run's error.
func startRunner(t *testing.T) (base string, stdout, stderr *syncBuffer, stop func() error) {
	t.Helper()
	isolate(t)
	return runRunner(t)
}

// isolate gives the runners of the test an environment of their own: no
// DELIVERY_* settings of the developer's, and a key file and a cache
// directory (where -dsn keeps the photos' S3) that the test removes. It
// returns that cache directory.
func isolate(t *testing.T) (cacheDir string) {
	t.Helper()
	t.Setenv("DELIVERY_DSN", "")
	t.Setenv("DELIVERY_S3_FILE", "")
	t.Setenv("CURRENCY", "")
	t.Setenv("LOG_LEVEL", "")
	t.Setenv("CORS_ALLOWED_ORIGINS", "http://shop.test")
	// A key file of the test's own: the developer's is never touched.
	t.Setenv(auth.EnvLocalKeyFile, filepath.Join(t.TempDir(), "key.pem"))
	// os.UserCacheDir reads XDG_CACHE_HOME on Linux and HOME elsewhere.
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	cacheDir, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	return cacheDir
}

// runRunner is startRunner in the environment isolate made, with args
// after -addr; on a fresh database of the test's own when
// DELIVERY_TEST_DSN is set and args name none.
func runRunner(t *testing.T, extra ...string) (base string, stdout, stderr *syncBuffer, stop func() error) {
	t.Helper()
	args := append([]string{"-addr", "127.0.0.1:0"}, extra...)
	if os.Getenv(dbtest.EnvDSN) != "" && !slices.Contains(extra, "-dsn") {
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
	cacheDir := isolate(t)
	base, stdout, stderr, stop := runRunner(t)

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
	// The photos' S3 is kept as long as the database is.
	photos := "S3 stand-in in memory"
	if os.Getenv(dbtest.EnvDSN) != "" {
		photos = "kept in " + filepath.Join(cacheDir, "delivery", "local-s3-")
	}
	if !strings.Contains(out, photos) {
		t.Errorf("stdout = %q, want the photos %s", out, photos)
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

// TestS3FilePath: the photos' S3 is kept where -s3-file says, and by
// default as long as the database: in memory with the embedded one, in a
// file named after a -dsn database in the user's cache directory.
func TestS3FilePath(t *testing.T) {
	cacheDir := isolate(t)
	inCache := func(name string) string { return filepath.Join(cacheDir, "delivery", name) }
	tests := []struct {
		name, dsn, file string
		set             bool
		want            string
	}{
		{name: "embedded database", want: ""},
		{name: "a -dsn database", dsn: "root@tcp(127.0.0.1:3306)/delivery", want: inCache("local-s3-delivery.bolt")},
		{name: "a name no file may have", dsn: "root@tcp(127.0.0.1:3306)/shop ü*", want: inCache("local-s3-shop___.bolt")},
		{name: "-s3-file given", dsn: "root@tcp(127.0.0.1:3306)/delivery", file: "/tmp/photos.bolt", set: true, want: "/tmp/photos.bolt"},
		{name: "-s3-file given with the embedded database", file: "photos.bolt", set: true, want: "photos.bolt"},
		{name: "DELIVERY_S3_FILE", dsn: "root@tcp(127.0.0.1:3306)/delivery", file: "/tmp/env.bolt", want: "/tmp/env.bolt"},
		{name: "-s3-file ''", dsn: "root@tcp(127.0.0.1:3306)/delivery", set: true, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s3FilePath(tt.dsn, tt.file, tt.set)
			if err != nil || got != tt.want {
				t.Errorf("s3FilePath(%q, %q, %v) = %q, %v; want %q", tt.dsn, tt.file, tt.set, got, err, tt.want)
			}
		})
	}
}

// TestRunS3FileHeld: a second runner on the photos' file of a running one
// stops at once, naming the file and the flag, instead of waiting for it;
// the file and the directories made for it are the user's alone.
func TestRunS3FileHeld(t *testing.T) {
	isolate(t)
	dir := filepath.Join(t.TempDir(), "photos")
	file := filepath.Join(dir, "s3.bolt")
	_, stdout, _, stop := runRunner(t, "-s3-file", file)
	if !strings.Contains(stdout.String(), "kept in "+file+" (-s3-file)") {
		t.Errorf("stdout = %q, want where the photos are kept", stdout)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, file: 0o600} {
		if info, err := os.Stat(path); err != nil || info.Mode() != want {
			t.Errorf("stat %s = %v (%v), want %v", path, info.Mode(), err, want)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := []string{"-addr", "127.0.0.1:0", "-s3-file", file}
	if os.Getenv(dbtest.EnvDSN) != "" {
		args = append(args, "-dsn", dbtest.NewDSN(t))
	}
	var out, errOut syncBuffer
	err := run(ctx, args, &out, &errOut, func(string) { t.Error("the second runner is ready") })
	if err == nil || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), "-s3-file") || ctx.Err() != nil {
		t.Errorf("a second runner on %s = %v, want an error naming the file and -s3-file", file, err)
	}
	if err := stop(); err != nil {
		t.Errorf("the first runner: %v", err)
	}
}

// TestRunKeepsUploadedPhotos: a runner restarted on the same -dsn
// database still serves the photo a company uploaded before, from the
// photos' file the database's name gives.
func TestRunKeepsUploadedPhotos(t *testing.T) {
	if os.Getenv(dbtest.EnvDSN) == "" {
		t.Skipf("the embedded database is gone with its runner; set %s to run this on one that is not", dbtest.EnvDSN)
	}
	cacheDir := isolate(t)
	dsn := dbtest.NewDSN(t)
	base, stdout, _, stop := runRunner(t, "-dsn", dsn)
	keyring, err := localKeyring()
	if err != nil {
		t.Fatal(err)
	}
	token, err := keyring.Mint(1, auth.DefaultScopes, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	url960 := uploadPhoto(t, base, token, 1)
	status, _, want := call(t, "GET", base+url960, "", "")
	if status != http.StatusOK {
		t.Fatalf("GET %s = %d, want the photo", url960, status)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "kept in "+filepath.Join(cacheDir, "delivery", "local-s3-")) {
		t.Errorf("stdout = %q, want the photos kept in the cache directory", stdout)
	}

	base, _, _, _ = runRunner(t, "-dsn", dsn)
	status, h, got := call(t, "GET", base+url960, "", "")
	if status != http.StatusOK || h.Get("Content-Type") != "image/jpeg" || !bytes.Equal(got, want) {
		t.Errorf("GET %s after a restart = %d %s, %d bytes; want the %d-byte JPEG served before", url960, status, h.Get("Content-Type"), len(got), len(want))
	}
}

// uploadPhoto uploads a JPEG for the product as the console does and
// returns the 960 px photo's URL once the image processor has made it.
func uploadPhoto(t *testing.T, base, token string, productID int64) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	var file bytes.Buffer
	if err := jpeg.Encode(&file, img, nil); err != nil {
		t.Fatal(err)
	}
	productURL := fmt.Sprintf("%s/api/company/products/%d", base, productID)
	get := func() product {
		t.Helper()
		_, _, body := call(t, "GET", productURL, "", "", "Authorization", "Bearer "+token)
		var p product
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatalf("GET %s: %s", productURL, body)
		}
		return p
	}
	before := get()
	status, _, body := call(t, "POST", fmt.Sprintf("%s/api/products/%d/image-uploads", base, productID), "application/json",
		fmt.Sprintf(`{"contentType":"image/jpeg","size":%d}`, file.Len()), "Authorization", "Bearer "+token)
	var form struct {
		URL    string            `json:"url"`
		Fields map[string]string `json:"fields"`
	}
	if status != http.StatusCreated || json.Unmarshal(body, &form) != nil {
		t.Fatalf("POST image-uploads = %d %s, want a form", status, body)
	}
	var post bytes.Buffer
	mw := multipart.NewWriter(&post)
	for _, k := range slices.Sorted(maps.Keys(form.Fields)) {
		mw.WriteField(k, form.Fields[k])
	}
	fw, _ := mw.CreateFormFile("file", "photo.jpg")
	fw.Write(file.Bytes())
	mw.Close()
	if status, _, body := call(t, "POST", base+form.URL, mw.FormDataContentType(), post.String()); status != http.StatusNoContent {
		t.Fatalf("POST %s = %d %s, want S3's 204", form.URL, status, body)
	}
	// S3 invokes the image processor asynchronously.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if p := get(); p.Version > before.Version && p.Image != nil {
			return p.Image.URL960
		}
	}
	t.Fatalf("product %d has no new photo 30s after the upload", productID)
	return ""
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
