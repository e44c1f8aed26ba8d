package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/api"
	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/localgw"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// recordingSigner stands in for the S3 signer (tested against the local
// S3 stand-in in its own package): it records what it was asked to sign.
type recordingSigner struct {
	mu     sync.Mutex
	signed []market.UploadKey
}

func (s *recordingSigner) SignUpload(_ context.Context, key market.UploadKey, contentType string) (market.UploadForm, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signed = append(s.signed, key)
	return market.UploadForm{
		URL: "https://uploads.example.com/", Fields: map[string]string{"key": key.String(), "Content-Type": contentType},
		ExpiresAt: time.Now().Add(market.UploadTTL), UploadID: key.UploadID, MaxBytes: market.MaxUploadBytes,
	}, nil
}

func (s *recordingSigner) keys() []market.UploadKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]market.UploadKey(nil), s.signed...)
}

// photoAPI is the whole API, authorizer included, behind the local
// gateway on a fresh seeded database, as localrun assembles it but with
// uploads signed by signer (nil: no uploads bucket).
type photoAPI struct {
	*companyAPI
	store *mysql.ProductStore
}

func newPhotoAPI(t *testing.T, signer market.UploadSigner) *photoAPI {
	t.Helper()
	db := dbtest.MustOpenDB(t)
	if _, err := demo.SeedIfEmpty(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	keyring := newKeyring(t)
	deps := app.Deps{
		DB: db, Currency: "USD", Logger: slog.New(slog.DiscardHandler), Uploads: signer,
		Keyring: func(context.Context) (auth.Keyring, error) { return keyring, nil },
	}
	routes, err := api.Routes()
	if err != nil {
		t.Fatal(err)
	}
	handlers := map[string]localgw.Handler{}
	for name, fn := range app.Functions(deps) {
		handlers[name] = fn.Handle
	}
	authorizer, err := app.Authorizer(deps)
	if err != nil {
		t.Fatal(err)
	}
	gateway, err := localgw.New(routes, handlers, authorizer.Handle)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gateway)
	t.Cleanup(srv.Close)
	return &photoAPI{companyAPI: &companyAPI{url: srv.URL, db: db, keyring: keyring}, store: mysql.NewProductStore(db)}
}

// processed is a photo as the image processor would set it, its keys
// derived from seed.
func processed(seed string) market.StoredImage {
	sum := func(v string) string {
		s := sha256.Sum256([]byte(seed + v))
		return hex.EncodeToString(s[:])
	}
	return market.StoredImage{Key320: sum("320"), Key960: sum("960"), Width: 960, Height: 720}
}

// setImage gives a product a photo as the image processor does.
func (c *photoAPI) setImage(t *testing.T, company, product int64, img market.StoredImage) {
	t.Helper()
	if _, err := c.store.SetImage(context.Background(), company, product, img); err != nil {
		t.Fatalf("SetImage(%d, %d) = %v", company, product, err)
	}
}

// imageOf returns the "image" of a JSON product or line: nil for null.
func imageOf(t *testing.T, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%v is not a JSON object", v)
	}
	img, has := m["image"]
	if !has {
		t.Fatalf("%v has no image field; want one, null when there is no photo", m)
	}
	if img == nil {
		return nil
	}
	return img.(map[string]any)
}

func wantImage(t *testing.T, what string, got map[string]any, img *market.StoredImage) {
	t.Helper()
	if img == nil {
		if got != nil {
			t.Errorf("%s image = %v, want null", what, got)
		}
		return
	}
	want := img.Public()
	if got == nil || got["url320"] != want.URL320 || got["url960"] != want.URL960 ||
		got["width"] != float64(want.Width) || got["height"] != float64(want.Height) {
		t.Errorf("%s image = %v, want %+v", what, got, want)
	}
}

// TestPhotoShowsEverywhere: the catalog, a quote and an order show a
// product's photo once it is set and null before; an order keeps the
// photo it was placed with when the product's changes or goes.
func TestPhotoShowsEverywhere(t *testing.T) {
	c := newPhotoAPI(t, &recordingSigner{})
	token := c.token(t, companyA)
	catalogFirst := func() (map[string]any, string) {
		r := c.do(t, http.MethodGet, "/api/products?limit=1", "", nil, "")
		if r.status != http.StatusOK {
			t.Fatalf("GET /api/products = %d %s", r.status, r.rawBody)
		}
		return imageOf(t, r.body["products"].([]any)[0]), r.header.Get("ETag")
	}
	quoteLines := func() []any {
		r := c.do(t, http.MethodPost, "/api/orders/quote", "", nil, `{"items":[{"productId":1,"quantity":1},{"productId":2,"quantity":1}]}`)
		if r.status != http.StatusOK {
			t.Fatalf("quote = %d %s", r.status, r.rawBody)
		}
		return r.body["lines"].([]any)
	}
	order := func(key string) map[string]any {
		r := c.do(t, http.MethodPost, "/api/orders", "", map[string]string{"Idempotency-Key": key},
			`{"items":[{"productId":1,"quantity":1},{"productId":2,"quantity":1}],"customer":{"name":"Ana","phone":"+351912345678","address":"Rua Augusta 10, Lisboa"}}`)
		if r.status != http.StatusCreated && r.status != http.StatusOK {
			t.Fatalf("POST /api/orders = %d %s", r.status, r.rawBody)
		}
		return r.body
	}

	img, tagBefore := catalogFirst()
	wantImage(t, "catalog before", img, nil)
	lines := quoteLines()
	wantImage(t, "quote line before", imageOf(t, lines[0]), nil)
	wantImage(t, "order line before", imageOf(t, order("photo-before-0001")["lines"].([]any)[0]), nil)

	first := processed("loaf")
	c.setImage(t, companyA, productOfA, first)
	img, tagAfter := catalogFirst()
	wantImage(t, "catalog", img, &first)
	if tagAfter == tagBefore {
		t.Errorf("catalog ETag %s did not change with the photo", tagAfter)
	}
	lines = quoteLines()
	wantImage(t, "quote line", imageOf(t, lines[0]), &first)
	wantImage(t, "quote line of a product without a photo", imageOf(t, lines[1]), nil)
	placed := order("photo-after-00001")
	orderID := placed["orderId"].(string)
	wantImage(t, "placed order line", imageOf(t, placed["lines"].([]any)[0]), &first)
	wantImage(t, "placed order line without a photo", imageOf(t, placed["lines"].([]any)[1]), nil)

	// The product's photo changes, then goes: the order keeps the one it
	// was placed with, and a retry of the order replays it.
	second := processed("new loaf")
	c.setImage(t, companyA, productOfA, second)
	got := c.do(t, http.MethodGet, "/api/orders/"+orderID, "", nil, "")
	wantImage(t, "order line after the photo changed", imageOf(t, got.body["lines"].([]any)[0]), &first)
	img, _ = catalogFirst()
	wantImage(t, "catalog after the photo changed", img, &second)

	version := c.row(t, productOfA).Version
	if r := c.do(t, http.MethodDelete, "/api/products/1/image", token, map[string]string{"If-Match": strconv.Quote(strconv.FormatInt(version, 10))}, ""); r.status != http.StatusOK {
		t.Fatalf("DELETE image = %d %s", r.status, r.rawBody)
	}
	img, _ = catalogFirst()
	wantImage(t, "catalog after the photo was removed", img, nil)
	replay := order("photo-after-00001")
	if replay["orderId"] != orderID {
		t.Fatalf("retry placed %v, want the order %s replayed", replay["orderId"], orderID)
	}
	wantImage(t, "replayed order line", imageOf(t, replay["lines"].([]any)[0]), &first)
}

// TestImageErrorOnlyOnCompanyViews: a refused upload shows on the
// company's own views until a photo is set or removed, never publicly.
func TestImageErrorOnlyOnCompanyViews(t *testing.T) {
	c := newPhotoAPI(t, &recordingSigner{})
	ctx := context.Background()
	token := c.token(t, companyA)
	refusal := market.ImageError{Reason: "unsupported_format", Message: "the file is not a JPEG, PNG or WebP image",
		UploadID: strings.Repeat("5e", 16), At: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	record := func() {
		t.Helper()
		if err := c.store.RecordImageError(ctx, companyA, productOfA, refusal); err != nil {
			t.Fatal(err)
		}
	}
	companyError := func(what string) any {
		t.Helper()
		r := c.do(t, http.MethodGet, "/api/company/products/1", token, nil, "")
		if r.status != http.StatusOK {
			t.Fatalf("GET company product = %d %s", r.status, r.rawBody)
		}
		e, has := r.body["imageError"]
		if !has {
			t.Fatalf("%s: company view %s has no imageError field", what, r.rawBody)
		}
		return e
	}
	if e := companyError("before"); e != nil {
		t.Errorf("imageError before any upload = %v, want null", e)
	}
	record()
	e, _ := companyError("after a refusal").(map[string]any)
	if e["reason"] != "unsupported_format" || e["uploadId"] != refusal.UploadID || e["at"] != "2026-11-30T12:00:00Z" {
		t.Errorf("imageError = %v, want the refusal", e)
	}
	list := c.do(t, http.MethodGet, "/api/company/products?limit=1", token, nil, "")
	if first := list.body["products"].([]any)[0].(map[string]any); first["imageError"] == nil {
		t.Errorf("company list = %s, want the refusal on product 1", list.rawBody)
	}
	for _, path := range []string{"/api/products?limit=1", "/api/products?companyId=1", "/api/products?q=sourdough"} {
		if r := c.do(t, http.MethodGet, path, "", nil, ""); r.status != http.StatusOK || strings.Contains(r.rawBody, "imageError") || strings.Contains(r.rawBody, refusal.UploadID) {
			t.Errorf("GET %s = %d %s, want no refusal in public JSON", path, r.status, r.rawBody)
		}
	}
	if r := c.do(t, http.MethodPost, "/api/orders/quote", "", nil, `{"items":[{"productId":1,"quantity":1}]}`); strings.Contains(r.rawBody, "imageError") {
		t.Errorf("quote = %s, want no refusal", r.rawBody)
	}

	c.setImage(t, companyA, productOfA, processed("loaf"))
	if e := companyError("after SetImage"); e != nil {
		t.Errorf("imageError after a photo was set = %v, want null", e)
	}
	record()
	version := c.row(t, productOfA).Version
	r := c.do(t, http.MethodDelete, "/api/products/1/image", token, map[string]string{"If-Match": strconv.Quote(strconv.FormatInt(version, 10))}, "")
	if r.status != http.StatusOK || r.body["imageError"] != nil || r.body["image"] != nil {
		t.Errorf("DELETE image = %d %s, want 200 with image and imageError null", r.status, r.rawBody)
	}
	if e := companyError("after RemoveImage"); e != nil {
		t.Errorf("imageError after the photo was removed = %v, want null", e)
	}
}

func TestRemoveImageNeedsTheVersion(t *testing.T) {
	c := newPhotoAPI(t, &recordingSigner{})
	token := c.token(t, companyA)
	c.setImage(t, companyA, productOfA, processed("loaf"))
	v := c.row(t, productOfA).Version
	tests := []struct {
		name       string
		ifMatch    string
		wantStatus int
		wantCode   string
		wantPhoto  bool
	}{
		{name: "no If-Match", wantStatus: 428, wantCode: "version_required", wantPhoto: true},
		{name: "stale", ifMatch: strconv.Quote(strconv.FormatInt(v-1, 10)), wantStatus: 412, wantCode: "version_mismatch", wantPhoto: true},
		{name: "current", ifMatch: strconv.Quote(strconv.FormatInt(v, 10)), wantStatus: 200},
		{name: "again, with the new version: nothing to remove", ifMatch: strconv.Quote(strconv.FormatInt(v+1, 10)), wantStatus: 200},
		{name: "again, with the old version", ifMatch: strconv.Quote(strconv.FormatInt(v, 10)), wantStatus: 412, wantCode: "version_mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			headers := map[string]string{}
			if tt.ifMatch != "" {
				headers["If-Match"] = tt.ifMatch
			}
			r := c.do(t, http.MethodDelete, "/api/products/1/image", token, headers, "")
			if r.status != tt.wantStatus || (tt.wantCode != "" && r.errorCode() != tt.wantCode) {
				t.Fatalf("DELETE image If-Match %q = %d %s, want %d %s", tt.ifMatch, r.status, r.rawBody, tt.wantStatus, tt.wantCode)
			}
			if tt.wantStatus == http.StatusOK && (r.body["version"] != float64(v+1) || r.header.Get("ETag") != strconv.Quote(strconv.FormatInt(v+1, 10))) {
				t.Errorf("DELETE image = version %v ETag %s, want %d", r.body["version"], r.header.Get("ETag"), v+1)
			}
			if has := c.row(t, productOfA).Photo != ""; has != tt.wantPhoto {
				t.Errorf("product has a photo %v after the DELETE, want %v", has, tt.wantPhoto)
			}
		})
	}
}

// TestPhotoRoutesAreBOLAProof: company B naming company A's product on
// either photo route gets the 404 of a product that does not exist, no
// upload is signed, and A's product keeps its photo and version.
func TestPhotoRoutesAreBOLAProof(t *testing.T) {
	signer := &recordingSigner{}
	c := newPhotoAPI(t, signer)
	c.setImage(t, companyA, productOfA, processed("loaf"))
	before := c.row(t, productOfA)
	tokenB := c.token(t, companyB)
	ifMatch := map[string]string{"If-Match": strconv.Quote(strconv.FormatInt(before.Version, 10))}
	tests := []struct {
		name, method, path, body string
		headers                  map[string]string
	}{
		{"upload form", http.MethodPost, "/api/products/1/image-uploads", `{"contentType":"image/jpeg","size":1000}`, nil},
		{"remove", http.MethodDelete, "/api/products/1/image", "", ifMatch},
		{"upload form, unknown product", http.MethodPost, "/api/products/999999/image-uploads", `{"contentType":"image/jpeg"}`, nil},
		{"remove, unknown product", http.MethodDelete, "/api/products/999999/image", "", ifMatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do(t, tt.method, tt.path, tokenB, tt.headers, tt.body)
			if r.status != http.StatusNotFound || r.errorCode() != "not_found" {
				t.Errorf("%s %s with B's token = %d %s, want 404 not_found", tt.method, tt.path, r.status, r.rawBody)
			}
		})
	}
	if keys := signer.keys(); len(keys) != 0 {
		t.Errorf("signed %v for another company's product, want nothing", keys)
	}
	if after := c.row(t, productOfA); after != before || after.Photo == "" {
		t.Errorf("A's product changed: %+v -> %+v", before, after)
	}

	// A itself gets a form for exactly its product.
	r := c.do(t, http.MethodPost, "/api/products/1/image-uploads", c.token(t, companyA), nil, `{"contentType":"image/webp"}`)
	keys := signer.keys()
	if r.status != http.StatusCreated || len(keys) != 1 || keys[0].CompanyID != companyA || keys[0].ProductID != productOfA {
		t.Fatalf("POST image-uploads with A's token = %d %s, signed %v; want 201 for company %d's product %d", r.status, r.rawBody, keys, companyA, productOfA)
	}
	if r.body["uploadId"] != keys[0].UploadID || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("form = %s (Cache-Control %q), want uploadId %s, no-store", r.rawBody, r.header.Get("Cache-Control"), keys[0].UploadID)
	}
}

func TestUploadFormRefusesBadInput(t *testing.T) {
	signer := &recordingSigner{}
	c := newPhotoAPI(t, signer)
	token := c.token(t, companyA)
	tests := []struct {
		name, token, body, contentType string
		wantStatus                     int
		wantCode, wantField            string
	}{
		{name: "gif", body: `{"contentType":"image/gif"}`, wantStatus: 400, wantCode: "invalid_request", wantField: "contentType"},
		{name: "svg", body: `{"contentType":"image/svg+xml"}`, wantStatus: 400, wantCode: "invalid_request", wantField: "contentType"},
		{name: "over 5 MB", body: `{"contentType":"image/png","size":6000000}`, wantStatus: 400, wantCode: "invalid_request", wantField: "size"},
		{name: "a key of its own", body: `{"contentType":"image/png","key":"uploads/2/9/x"}`, wantStatus: 400, wantCode: "invalid_request", wantField: "key"},
		{name: "empty body", body: "", wantStatus: 400, wantCode: "invalid_request", wantField: "contentType"},
		{name: "not JSON", body: `image/png`, wantStatus: 400, wantCode: "invalid_request"},
		{name: "a form", body: `contentType=image%2Fpng`, contentType: "application/x-www-form-urlencoded", wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "no token", token: "-", body: `{"contentType":"image/png"}`, wantStatus: 401, wantCode: "unauthorized"},
		{name: "read-only token", token: c.token(t, companyA, auth.ScopeProductsRead), body: `{"contentType":"image/png"}`, wantStatus: 403, wantCode: "forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := token
			switch tt.token {
			case "-":
				tok = ""
			case "":
			default:
				tok = tt.token
			}
			var headers map[string]string
			if tt.contentType != "" {
				headers = map[string]string{"Content-Type": tt.contentType}
			}
			r := c.do(t, http.MethodPost, "/api/products/1/image-uploads", tok, headers, tt.body)
			if r.status != tt.wantStatus || r.errorCode() != tt.wantCode {
				t.Fatalf("POST image-uploads %s = %d %s, want %d %s", tt.body, r.status, r.rawBody, tt.wantStatus, tt.wantCode)
			}
			if tt.wantField != "" {
				if details, _ := r.body["error"].(map[string]any)["details"].(map[string]any); details["field"] != tt.wantField {
					t.Errorf("details = %v, want field %s", details, tt.wantField)
				}
			}
		})
	}
	if keys := signer.keys(); len(keys) != 0 {
		t.Errorf("signed %v for refused requests, want nothing", keys)
	}
}

// Without an uploads bucket (Deps.Uploads nil) the form route answers 503,
// and everything else about photos still works.
func TestUploadsUnconfigured(t *testing.T) {
	c := newPhotoAPI(t, nil)
	token := c.token(t, companyA)
	r := c.do(t, http.MethodPost, "/api/products/1/image-uploads", token, nil, `{"contentType":"image/jpeg"}`)
	if r.status != http.StatusServiceUnavailable || r.errorCode() != "service_unavailable" || r.header.Get("Retry-After") == "" {
		t.Errorf("POST image-uploads without uploads = %d %s (Retry-After %q), want 503 service_unavailable with Retry-After",
			r.status, r.rawBody, r.header.Get("Retry-After"))
	}
	c.setImage(t, companyA, productOfA, processed("loaf"))
	v := c.row(t, productOfA).Version
	if r := c.do(t, http.MethodDelete, "/api/products/1/image", token, map[string]string{"If-Match": strconv.Quote(strconv.FormatInt(v, 10))}, ""); r.status != http.StatusOK {
		t.Errorf("DELETE image without uploads = %d %s, want 200", r.status, r.rawBody)
	}
}
