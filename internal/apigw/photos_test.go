package apigw_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/market"
)

// The photo tests' world: company 1 owns products 1 and 2, company 2 owns
// product 3.
const (
	photoCompany = 1
	otherCompany = 2
	otherProduct = 3
)

// memPhotos is an in-memory market.ImageStore and apigw.ProductReader that
// records every store call, so that a test can tell nothing was asked.
type memPhotos struct {
	mu       sync.Mutex
	products map[int64]market.Product
	calls    []string
}

func newMemPhotos() *memPhotos {
	p := func(id, company int64, name string) market.Product {
		return market.Product{ID: id, CompanyID: company, CompanyName: "Company " + strconv.FormatInt(company, 10),
			Name: name, Price: market.MustMoney("4.50"), Active: true, Version: 3}
	}
	return &memPhotos{products: map[int64]market.Product{
		1: p(1, photoCompany, "Sourdough loaf"), 2: p(2, photoCompany, "Croissant"), 3: p(otherProduct, otherCompany, "Lemons"),
	}}
}

func (s *memPhotos) record(method string) { s.calls = append(s.calls, method) }

func (s *memPhotos) get(company, id int64) (market.Product, error) {
	p, ok := s.products[id]
	if !ok || p.CompanyID != company {
		return market.Product{}, market.Errorf(market.CodeNotFound, "product %d not found", id)
	}
	return p, nil
}

func (s *memPhotos) CompanyProduct(_ context.Context, company, id int64) (market.Product, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.record("CompanyProduct")
	return s.get(company, id)
}

func (s *memPhotos) SetImage(_ context.Context, company, id int64, img market.StoredImage) (market.Product, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.record("SetImage")
	p, err := s.get(company, id)
	if err != nil {
		return market.Product{}, err
	}
	p.Image, p.ImageError, p.Version = img.Public(), nil, p.Version+1
	s.products[id] = p
	return p, nil
}

func (s *memPhotos) RecordImageError(_ context.Context, company, id int64, e market.ImageError) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.record("RecordImageError")
	p, err := s.get(company, id)
	if err != nil {
		return err
	}
	p.ImageError = &e
	s.products[id] = p
	return nil
}

func (s *memPhotos) RemoveImage(_ context.Context, company, id, version int64) (market.Product, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.record("RemoveImage")
	p, err := s.get(company, id)
	if err != nil {
		return market.Product{}, err
	}
	if p.Version != version {
		return market.Product{}, market.Errorf(market.CodePreconditionFailed, "product %d is at version %d", id, p.Version)
	}
	if p.Image != nil {
		p.Version++
	}
	p.Image, p.ImageError = nil, nil
	s.products[id] = p
	return p, nil
}

// recordingSigner presigns nothing: it records what it was asked to sign
// and answers a form that names the key.
type recordingSigner struct {
	mu     sync.Mutex
	signed []signedUpload
	err    error
}

type signedUpload struct {
	key         market.UploadKey
	contentType string
}

func (s *recordingSigner) SignUpload(_ context.Context, key market.UploadKey, contentType string) (market.UploadForm, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return market.UploadForm{}, s.err
	}
	s.signed = append(s.signed, signedUpload{key, contentType})
	return market.UploadForm{
		URL:       "https://uploads.example.com/",
		Fields:    map[string]string{"key": key.String(), "Content-Type": contentType},
		ExpiresAt: time.Date(2026, 11, 30, 12, 5, 0, 0, time.UTC),
		UploadID:  key.UploadID,
		MaxBytes:  market.MaxUploadBytes,
	}, nil
}

// photoHarness is the updateproduct function's photo and product routes
// over memPhotos, as app.UpdateProduct wires them.
type photoHarness struct {
	*harness
	photos *memPhotos
	signer *recordingSigner
}

func newPhotoHarness(t *testing.T, signer *recordingSigner) *photoHarness {
	t.Helper()
	h := &photoHarness{photos: newMemPhotos(), signer: signer}
	p := apigw.ProductPhotos{Store: h.photos, Products: h.photos, Currency: "USD"}
	if signer != nil {
		p.Signer = signer
	}
	h.harness = newHarness(t, p.Endpoints())
	return h
}

// photoEvent is the testdata upload request, changed to method on the
// resource for product id, with body.
func photoEvent(t *testing.T, method, resource, id, body string) events.APIGatewayProxyRequest {
	t.Helper()
	e := loadEvent(t, "image-upload.json")
	e.HTTPMethod, e.Resource, e.Body = method, resource, body
	e.Path = strings.Replace(resource, "{id}", id, 1)
	e.PathParameters = map[string]string{"id": id}
	e.RequestContext.HTTPMethod, e.RequestContext.ResourcePath = method, resource
	return e
}

const (
	uploadsResource = "/api/products/{id}/image-uploads"
	imageResource   = "/api/products/{id}/image"
)

func TestCreateUploadTestdataEvent(t *testing.T) {
	signer := &recordingSigner{}
	h := newPhotoHarness(t, signer)
	resp := h.handle(t, loadEvent(t, "image-upload.json"))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST image-uploads = %d %s, want 201", resp.StatusCode, resp.Body)
	}
	if cc := resp.Headers["Cache-Control"]; cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store: a form is for one browser once", cc)
	}
	if len(signer.signed) != 1 {
		t.Fatalf("signed %d uploads, want 1", len(signer.signed))
	}
	got := signer.signed[0]
	if got.key.CompanyID != photoCompany || got.key.ProductID != 1 || got.contentType != "image/jpeg" {
		t.Errorf("SignUpload(%+v, %q), want company %d's product 1 as image/jpeg", got.key, got.contentType, photoCompany)
	}
	if _, err := market.ParseUploadKey(got.key.String()); err != nil {
		t.Errorf("signed key %q is not an upload key: %v", got.key, err)
	}
	var form market.UploadForm
	if err := json.Unmarshal([]byte(resp.Body), &form); err != nil {
		t.Fatal(err)
	}
	if form.UploadID != got.key.UploadID || form.Fields["key"] != got.key.String() || form.MaxBytes != market.MaxUploadBytes {
		t.Errorf("form = %+v, want the signed key %s", form, got.key)
	}
	body := decodeJSON(t, resp.Body)
	if want := []string{"expiresAt", "fields", "maxBytes", "uploadId", "url"}; strings.Join(keys(body), ",") != strings.Join(want, ",") {
		t.Errorf("form keys = %v, want %v", keys(body), want)
	}
}

// Each upload is its own key: a second form for the same product never
// reuses the first one's.
func TestCreateUploadKeysDiffer(t *testing.T) {
	signer := &recordingSigner{}
	h := newPhotoHarness(t, signer)
	for range 2 {
		if resp := h.handle(t, photoEvent(t, "POST", uploadsResource, "1", `{"contentType":"image/png"}`)); resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST image-uploads = %d %s", resp.StatusCode, resp.Body)
		}
	}
	if a, b := signer.signed[0].key, signer.signed[1].key; a == b {
		t.Errorf("two uploads got the same key %s", a)
	}
}

func TestCreateUpload(t *testing.T) {
	tests := []struct {
		name        string
		id          string
		body        string
		contentType string // the request's Content-Type header; "" keeps the event's
		principal   map[string]any
		noSigner    bool
		signerErr   error
		wantStatus  int
		wantCode    market.Code
		wantField   string
		wantSigned  string // the Content-Type signed, when one is
		wantMessage string // a part of the error message
	}{
		{name: "jpeg", id: "1", body: `{"contentType":"image/jpeg"}`, wantStatus: 201, wantSigned: "image/jpeg"},
		{name: "png with its size", id: "2", body: `{"contentType":"image/png","size":1}`, wantStatus: 201, wantSigned: "image/png"},
		{name: "webp at the limit", id: "1", body: `{"contentType":"image/webp","size":5242880}`, wantStatus: 201, wantSigned: "image/webp"},
		{name: "type in upper case", id: "1", body: `{"contentType":"IMAGE/JPEG"}`, wantStatus: 201, wantSigned: "image/jpeg"},

		{name: "another company's product", id: "3", body: `{"contentType":"image/jpeg"}`, wantStatus: 404, wantCode: market.CodeNotFound},
		{name: "unknown product", id: "99", body: `{"contentType":"image/jpeg"}`, wantStatus: 404, wantCode: market.CodeNotFound},
		{name: "id not a number", id: "1%2F..", body: `{"contentType":"image/jpeg"}`, wantStatus: 404, wantCode: market.CodeNotFound},
		{name: "no token context", id: "1", body: `{"contentType":"image/jpeg"}`, principal: map[string]any{}, wantStatus: 401, wantCode: market.CodeUnauthorized},
		{
			name: "expired token", id: "1", body: `{"contentType":"image/jpeg"}`,
			principal:  map[string]any{apigw.ContextCompanyID: "1", apigw.ContextExpiresAt: "1"},
			wantStatus: 401, wantCode: market.CodeUnauthorized,
		},

		{name: "gif", id: "1", body: `{"contentType":"image/gif"}`, wantStatus: 400, wantCode: market.CodeInvalid, wantField: "contentType"},
		{name: "svg", id: "1", body: `{"contentType":"image/svg+xml"}`, wantStatus: 400, wantCode: market.CodeInvalid, wantField: "contentType"},
		{name: "html", id: "1", body: `{"contentType":"text/html"}`, wantStatus: 400, wantCode: market.CodeInvalid, wantField: "contentType"},
		{name: "type with parameters", id: "1", body: `{"contentType":"image/jpeg; q=1"}`, wantStatus: 400, wantCode: market.CodeInvalid, wantField: "contentType"},
		{name: "no type", id: "1", body: `{"size":100}`, wantStatus: 400, wantCode: market.CodeInvalid, wantField: "contentType"},
		{name: "empty body", id: "1", body: "", wantStatus: 400, wantCode: market.CodeInvalid, wantField: "contentType"},
		{name: "blank body", id: "1", body: " \n", wantStatus: 400, wantCode: market.CodeInvalid, wantField: "contentType"},
		{
			name: "over 5 MB", id: "1", body: `{"contentType":"image/jpeg","size":5242881}`,
			wantStatus: 400, wantCode: market.CodeInvalid, wantField: "size", wantMessage: "the limit is 5 MB",
		},
		{name: "size 0", id: "1", body: `{"contentType":"image/jpeg","size":0}`, wantStatus: 400, wantCode: market.CodeInvalid, wantField: "size"},
		{name: "size negative", id: "1", body: `{"contentType":"image/jpeg","size":-5}`, wantStatus: 400, wantCode: market.CodeInvalid, wantField: "size"},
		{name: "size a fraction", id: "1", body: `{"contentType":"image/jpeg","size":1.5}`, wantStatus: 400, wantCode: market.CodeInvalid, wantField: "size"},
		{name: "size a string", id: "1", body: `{"contentType":"image/jpeg","size":"10"}`, wantStatus: 400, wantCode: market.CodeInvalid, wantField: "size"},
		{name: "size past int64", id: "1", body: `{"contentType":"image/jpeg","size":99999999999999999999}`, wantStatus: 400, wantCode: market.CodeInvalid, wantField: "size"},
		{name: "a file name", id: "1", body: `{"contentType":"image/jpeg","key":"uploads/2/3/evil"}`, wantStatus: 400, wantCode: market.CodeInvalid, wantField: "key"},
		{name: "not JSON", id: "1", body: `contentType=image/jpeg`, wantStatus: 400, wantCode: market.CodeInvalid},
		{name: "an array", id: "1", body: `["image/jpeg"]`, wantStatus: 400, wantCode: market.CodeInvalid},
		{name: "two objects", id: "1", body: `{"contentType":"image/jpeg"}{}`, wantStatus: 400, wantCode: market.CodeInvalid},
		{name: "form body", id: "1", body: `{"contentType":"image/jpeg"}`, contentType: "multipart/form-data; boundary=x", wantStatus: 415, wantCode: market.CodeUnsupportedMediaType},

		{name: "no uploads bucket", id: "1", body: `{"contentType":"image/jpeg"}`, noSigner: true, wantStatus: 503, wantCode: market.CodeUnavailable},
		{name: "signer fails", id: "1", body: `{"contentType":"image/jpeg"}`, signerErr: errBoom, wantStatus: 500, wantCode: market.CodeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signer := &recordingSigner{err: tt.signerErr}
			if tt.noSigner {
				signer = nil
			}
			h := newPhotoHarness(t, signer)
			before := h.photos.products[1]
			e := photoEvent(t, "POST", uploadsResource, tt.id, tt.body)
			if tt.principal != nil {
				e.RequestContext.Authorizer = tt.principal
			}
			if tt.contentType != "" {
				setHeader(&e, "content-type", tt.contentType)
			}
			resp := h.handle(t, e)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("POST %s %s = %d %s, want %d", e.Path, tt.body, resp.StatusCode, resp.Body, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusCreated {
				if len(signer.signed) != 1 || signer.signed[0].contentType != tt.wantSigned {
					t.Errorf("signed %+v, want one upload as %s", signer.signed, tt.wantSigned)
				}
				return
			}
			apiErr := errorOf(t, resp)
			if apiErr.Code != tt.wantCode {
				t.Errorf("error code = %s, want %s (%s)", apiErr.Code, tt.wantCode, apiErr.Message)
			}
			if tt.wantField != "" && string(apiErr.Details) != `{"field":"`+tt.wantField+`"}` {
				t.Errorf("error details = %s, want field %s", apiErr.Details, tt.wantField)
			}
			if !strings.Contains(apiErr.Message, tt.wantMessage) {
				t.Errorf("error message = %q, want it to say %q", apiErr.Message, tt.wantMessage)
			}
			if signer != nil && len(signer.signed) != 0 {
				t.Errorf("signed %+v for a refused request", signer.signed)
			}
			if tt.wantStatus == http.StatusServiceUnavailable && resp.Headers["Retry-After"] == "" {
				t.Errorf("503 without Retry-After")
			}
			if got := h.photos.products[1]; got.Version != before.Version || got.Image != nil {
				t.Errorf("product 1 after a refused upload request = %+v, want it untouched", got)
			}
		})
	}
}

// The product check comes after the request's own checks, and a refused
// request never reads the store: another company's product is looked up
// (and not found) only for a well-formed request.
func TestCreateUploadChecksTheRequestFirst(t *testing.T) {
	h := newPhotoHarness(t, &recordingSigner{})
	h.handle(t, photoEvent(t, "POST", uploadsResource, "3", `{"contentType":"image/gif"}`))
	if len(h.photos.calls) != 0 {
		t.Errorf("store calls for a bad content type = %v, want none", h.photos.calls)
	}
}

func TestRemoveImage(t *testing.T) {
	img := market.StoredImage{Key320: strings.Repeat("a", 64), Key960: strings.Repeat("b", 64), Width: 960, Height: 640}
	tests := []struct {
		name       string
		id         string
		ifMatch    string
		body       string
		hasImage   bool
		wantStatus int
		wantCode   market.Code
		wantETag   string
	}{
		{name: "current version", id: "1", ifMatch: `"4"`, hasImage: true, wantStatus: 200, wantETag: `"5"`},
		{name: "weak tag", id: "1", ifMatch: `W/"4"`, hasImage: true, wantStatus: 200, wantETag: `"5"`},
		{name: "no photo to remove", id: "2", ifMatch: `"3"`, wantStatus: 200, wantETag: `"3"`},
		{name: "no If-Match", id: "1", hasImage: true, wantStatus: 428, wantCode: market.CodePreconditionRequired},
		{name: "stale If-Match", id: "1", ifMatch: `"3"`, hasImage: true, wantStatus: 412, wantCode: market.CodePreconditionFailed},
		{name: "If-Match not a version", id: "1", ifMatch: `"abc"`, hasImage: true, wantStatus: 400, wantCode: market.CodeInvalid},
		{name: "If-Match star", id: "1", ifMatch: `*`, hasImage: true, wantStatus: 400, wantCode: market.CodeInvalid},
		{name: "a body", id: "1", ifMatch: `"4"`, body: `{"version":4}`, hasImage: true, wantStatus: 400, wantCode: market.CodeInvalid},
		{name: "another company's product", id: "3", ifMatch: `"3"`, wantStatus: 404, wantCode: market.CodeNotFound},
		{name: "unknown product", id: "99", ifMatch: `"1"`, wantStatus: 404, wantCode: market.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newPhotoHarness(t, &recordingSigner{})
			ctx := context.Background()
			if tt.hasImage {
				if _, err := h.photos.SetImage(ctx, photoCompany, 1, img); err != nil {
					t.Fatal(err)
				}
			}
			if err := h.photos.RecordImageError(ctx, otherCompany, otherProduct, market.ImageError{Reason: "undecodable"}); err != nil {
				t.Fatal(err)
			}
			others := h.photos.products[otherProduct]
			e := photoEvent(t, "DELETE", imageResource, tt.id, tt.body)
			setHeader(&e, "If-Match", tt.ifMatch)
			if tt.body == "" {
				setHeader(&e, "content-type", "")
			}
			resp := h.handle(t, e)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("DELETE %s If-Match %s = %d %s, want %d", e.Path, tt.ifMatch, resp.StatusCode, resp.Body, tt.wantStatus)
			}
			if got := h.photos.products[otherProduct]; got.ImageError == nil || got.Version != others.Version {
				t.Errorf("company 2's product after company 1's DELETE = %+v, want it untouched", got)
			}
			if tt.wantStatus != http.StatusOK {
				if apiErr := errorOf(t, resp); apiErr.Code != tt.wantCode {
					t.Errorf("error code = %s, want %s", apiErr.Code, tt.wantCode)
				}
				if p := h.photos.products[1]; (p.Image != nil) != tt.hasImage {
					t.Errorf("product 1 after a refused DELETE has image %+v, want one %v", p.Image, tt.hasImage)
				}
				return
			}
			if resp.Headers["ETag"] != tt.wantETag {
				t.Errorf("ETag = %s, want %s", resp.Headers["ETag"], tt.wantETag)
			}
			body := decodeJSON(t, resp.Body)
			if body["image"] != nil || body["imageError"] != nil || body["active"] != true || body["currency"] != "USD" {
				t.Errorf("DELETE answered %s, want the company view with image and imageError null", resp.Body)
			}
		})
	}
}

// The company's own views show why its last upload was refused; the public
// catalog shows the photo and never the refusal.
func TestImageErrorOnlyInCompanyViews(t *testing.T) {
	photos := newMemPhotos()
	refused := market.ImageError{Reason: "too_many_pixels", Message: "the photo is larger than 40 megapixels",
		UploadID: strings.Repeat("0f", 16), At: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	ctx := context.Background()
	if _, err := photos.SetImage(ctx, photoCompany, 1, market.StoredImage{Key320: strings.Repeat("c", 64), Key960: strings.Repeat("d", 64), Width: 800, Height: 600}); err != nil {
		t.Fatal(err)
	}
	if err := photos.RecordImageError(ctx, photoCompany, 1, refused); err != nil {
		t.Fatal(err)
	}
	catalog := &memStore{products: []market.Product{photos.products[1], photos.products[2]}}
	company := apigw.CompanyProducts{Store: companyStore{photos}, Currency: "USD"}
	h := &harness{fn: apigw.NewFunction("test", apigw.Config{AllowedOrigins: []string{shopOrigin}}, map[string]apigw.Endpoint{
		"GET /api/products":              apigw.ListProducts(catalog, "USD"),
		"GET /api/company/products":      company.List,
		"GET /api/company/products/{id}": company.Get,
	})}

	wantImage := map[string]any{"url320": "/images/" + strings.Repeat("c", 64) + ".jpg", "url960": "/images/" + strings.Repeat("d", 64) + ".jpg",
		"width": json.Number("800"), "height": json.Number("600")}
	wantError := map[string]any{"reason": "too_many_pixels", "message": "the photo is larger than 40 megapixels",
		"uploadId": strings.Repeat("0f", 16), "at": "2026-11-30T12:00:00Z"}
	tests := []struct {
		name, method, resource, id string
		public                     bool
	}{
		{name: "catalog", resource: "/api/products", public: true},
		{name: "company list", resource: "/api/company/products"},
		{name: "company product", resource: "/api/company/products/{id}", id: "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := photoEvent(t, "GET", tt.resource, tt.id, "")
			if tt.id == "" {
				e.PathParameters = nil
			}
			resp := h.handle(t, e)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %d %s", e.Path, resp.StatusCode, resp.Body)
			}
			body := decodeJSON(t, resp.Body)
			var first, second map[string]any
			if list, ok := body["products"].([]any); ok {
				first, second = list[0].(map[string]any), list[1].(map[string]any)
			} else {
				first = body
			}
			if !jsonEqual(first["image"], wantImage) {
				t.Errorf("image = %#v, want %#v", first["image"], wantImage)
			}
			if second != nil && second["image"] != nil {
				t.Errorf("a product without a photo has image %#v, want null", second["image"])
			}
			gotError, has := first["imageError"]
			if tt.public {
				if has || strings.Contains(resp.Body, "too_many_pixels") {
					t.Errorf("the public catalog shows the refusal: %s", resp.Body)
				}
				return
			}
			if !jsonEqual(gotError, wantError) {
				t.Errorf("imageError = %#v, want %#v", gotError, wantError)
			}
			if second != nil {
				if v, ok := second["imageError"]; !ok || v != nil {
					t.Errorf("a product without a refusal has imageError %#v (present %v), want null", v, ok)
				}
			}
		})
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// companyStore lets memPhotos serve CompanyProducts' reads; its writes are
// not used here.
type companyStore struct{ *memPhotos }

func (s companyStore) ListByCompany(_ context.Context, company int64, page market.ProductPage) ([]market.Product, error) {
	var out []market.Product
	for id := int64(1); id <= 3; id++ {
		if p := s.products[id]; p.CompanyID == company && p.ID > page.AfterID && len(out) < page.Limit {
			out = append(out, p)
		}
	}
	return out, nil
}

func (companyStore) Create(context.Context, int64, market.ProductDraft) (market.Product, error) {
	return market.Product{}, errors.New("not used")
}

func (companyStore) Replace(context.Context, int64, int64, int64, market.ProductDraft) (market.Product, error) {
	return market.Product{}, errors.New("not used")
}

func (companyStore) Archive(context.Context, int64, int64, int64) (market.Product, error) {
	return market.Product{}, errors.New("not used")
}

// A new photo is a new catalog page: its ETag changes, so a browser or
// CloudFront holding the old page gets the new one, not a 304.
func TestCatalogETagFollowsThePhoto(t *testing.T) {
	h := newHarness(t, nil)
	event := loadEvent(t, "list-products.json")
	before := currentETag(t, h, event)
	h.store.mu.Lock()
	h.store.products[0].Image = market.StoredImage{Key320: strings.Repeat("e", 64), Key960: strings.Repeat("f", 64), Width: 960, Height: 960}.Public()
	h.store.mu.Unlock()
	setHeader(&event, "If-None-Match", before)
	resp := h.handle(t, event)
	if resp.StatusCode != http.StatusOK || resp.Headers["ETag"] == before {
		t.Errorf("GET /api/products after a photo was set, If-None-Match the old tag = %d with ETag %s, want 200 with a new tag", resp.StatusCode, resp.Headers["ETag"])
	}
	if resp.Headers["Cache-Control"] != catalogCacheControl {
		t.Errorf("Cache-Control = %q, want %q", resp.Headers["Cache-Control"], catalogCacheControl)
	}
}
