package localrun_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"maps"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/localrun"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/site"
)

// companyProduct is a product as the company's own views show it.
type companyProduct struct {
	ID         int64                `json:"id"`
	Version    int64                `json:"version"`
	Image      *market.ProductImage `json:"image"`
	ImageError *market.ImageError   `json:"imageError"`
}

// picture encodes a w×h gradient in format ("jpeg" or "png").
func picture(t *testing.T, format string, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128, 255})
		}
	}
	var b bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 90})
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// upload asks the API for a form for the product's photo and posts file
// with it, as the console does: the fields as given, the file last. It
// returns the form and S3's answer. A file over the limit is not declared
// (the size is optional), so that S3's own check is what refuses it.
func (r runner) upload(t *testing.T, token string, productID int64, contentType string, file []byte) (market.UploadForm, *http.Response, string) {
	t.Helper()
	ask := fmt.Sprintf(`{"contentType":%q,"size":%d}`, contentType, len(file))
	if len(file) > market.MaxUploadBytes {
		ask = fmt.Sprintf(`{"contentType":%q}`, contentType)
	}
	resp, body := r.do(t, http.MethodPost, fmt.Sprintf("/api/products/%d/image-uploads", productID),
		map[string]string{"Authorization": "Bearer " + token}, ask)
	var form market.UploadForm
	if resp.StatusCode != http.StatusCreated || json.Unmarshal([]byte(body), &form) != nil {
		t.Fatalf("POST image-uploads = %d %s, want 201 and a form", resp.StatusCode, body)
	}
	if form.URL != localrun.S3Path+localrun.UploadsBucket {
		t.Errorf("form URL %q, want the same-origin path %s%s", form.URL, localrun.S3Path, localrun.UploadsBucket)
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, k := range slices.Sorted(maps.Keys(form.Fields)) {
		if err := mw.WriteField(k, form.Fields[k]); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", "photo")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(file)
	mw.Close()
	post, s3body := r.do(t, http.MethodPost, form.URL, map[string]string{"Content-Type": mw.FormDataContentType()}, b.String())
	return form, post, s3body
}

func (r runner) companyProduct(t *testing.T, token string, id int64) companyProduct {
	t.Helper()
	resp, body := r.do(t, http.MethodGet, fmt.Sprintf("/api/company/products/%d", id), map[string]string{"Authorization": "Bearer " + token}, "")
	var p companyProduct
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &p) != nil {
		t.Fatalf("GET company product %d = %d %s", id, resp.StatusCode, body)
	}
	return p
}

// catalogImages returns the photo of each product of the catalog's first
// page, and fails if the public JSON says anything of refused uploads.
func (r runner) catalogImages(t *testing.T) map[int64]*market.ProductImage {
	t.Helper()
	resp, body := r.do(t, http.MethodGet, "/api/products?limit=100", nil, "")
	var page struct {
		Products []struct {
			ID    int64                `json:"id"`
			Image *market.ProductImage `json:"image"`
		} `json:"products"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &page) != nil {
		t.Fatalf("GET /api/products = %d %s", resp.StatusCode, body)
	}
	if strings.Contains(body, "imageError") {
		t.Errorf("the public catalog shows imageError: %s", body)
	}
	images := map[int64]*market.ProductImage{}
	for _, p := range page.Products {
		images[p.ID] = p.Image
	}
	return images
}

// checkServed fetches a photo as the storefront does and checks it is the
// JPEG it says, served as CloudFront serves it.
func (r runner) checkServed(t *testing.T, url string, width, height int) {
	t.Helper()
	resp, body := r.do(t, http.MethodGet, url, nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", url, resp.StatusCode)
	}
	if ct, cc := resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"); ct != "image/jpeg" || cc != "public, max-age=31536000, immutable" {
		t.Errorf("GET %s: Content-Type %q, Cache-Control %q; want image/jpeg, immutable for a year", url, ct, cc)
	}
	cfg, err := jpeg.DecodeConfig(strings.NewReader(body))
	if err != nil || cfg.Width != width || cfg.Height != height {
		t.Errorf("GET %s: %d×%d (%v), want a %d×%d JPEG", url, cfg.Width, cfg.Height, err, width, height)
	}
}

func (r runner) uploadsLeft(t *testing.T) []string {
	t.Helper()
	keys, err := r.m.S3.Keys(localrun.UploadsBucket, market.UploadPrefix)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// A photo goes from the console's form through the local S3 and the image
// processor to the catalog and /images/, as on AWS; a file the processor
// refuses leaves the product as it was, with the refusal on record for its
// company only. The demo photos are there from the start.
func TestPhotos(t *testing.T) {
	r := newRunner(t)
	ctx := t.Context()
	given, err := r.m.SeedPhotos(ctx)
	if err != nil || given != 24 {
		t.Fatalf("SeedPhotos = %d, %v; want 24", given, err)
	}
	demo := r.catalogImages(t)
	if len(demo) != 24 {
		t.Fatalf("catalog has %d products, want the 24 demo ones", len(demo))
	}
	for id, img := range demo {
		if img == nil {
			t.Fatalf("demo product %d has no photo", id)
		}
	}
	r.checkServed(t, demo[5].URL320, 320, 240)
	r.checkServed(t, demo[5].URL960, 800, 600)

	token, err := r.keyring.Mint(1, auth.DefaultScopes, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>`)
	tests := []struct {
		name        string
		productID   int64
		contentType string
		file        []byte
		// the photo's size, or the refusal's reason
		width, height int
		reason        string
	}{
		{name: "a JPEG wider than 960 px", productID: 1, contentType: "image/jpeg", file: picture(t, "jpeg", 1200, 900), width: 960, height: 720},
		{name: "a small PNG", productID: 2, contentType: "image/png", file: picture(t, "png", 400, 200), width: 400, height: 200},
		{name: "an SVG declared a PNG", productID: 3, contentType: "image/png", file: svg, reason: "unsupported_format"},
		{name: "a truncated JPEG", productID: 4, contentType: "image/jpeg", file: picture(t, "jpeg", 600, 400)[:2000], reason: "undecodable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := r.companyProduct(t, token, tt.productID)
			form, resp, body := r.upload(t, token, tt.productID, tt.contentType, tt.file)
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("POST %s = %d %s, want S3's 204", form.URL, resp.StatusCode, body)
			}
			r.m.Wait() // the event is handled asynchronously, as S3 invokes the function
			after := r.companyProduct(t, token, tt.productID)
			if left := r.uploadsLeft(t); len(left) != 0 {
				t.Errorf("uploads left in the bucket: %v", left)
			}
			if tt.reason != "" {
				if after.ImageError == nil || after.ImageError.Reason != tt.reason || after.ImageError.UploadID != form.UploadID {
					t.Fatalf("imageError = %+v, want reason %s for upload %s", after.ImageError, tt.reason, form.UploadID)
				}
				if after.Version != before.Version || !reflect.DeepEqual(after.Image, before.Image) {
					t.Errorf("a refused upload changed the product: version %d → %d, image %+v → %+v", before.Version, after.Version, before.Image, after.Image)
				}
				return
			}
			if after.ImageError != nil || after.Version != before.Version+1 || after.Image == nil {
				t.Fatalf("after the upload: version %d (was %d), image %+v, imageError %+v; want a new photo", after.Version, before.Version, after.Image, after.ImageError)
			}
			if after.Image.Width != tt.width || after.Image.Height != tt.height {
				t.Errorf("photo %d×%d, want %d×%d", after.Image.Width, after.Image.Height, tt.width, tt.height)
			}
			if got := r.catalogImages(t)[tt.productID]; got == nil || *got != *after.Image {
				t.Errorf("catalog shows %+v, want %+v", got, after.Image)
			}
			small := min(320, tt.width)
			r.checkServed(t, after.Image.URL320, small, tt.height*small/tt.width)
			r.checkServed(t, after.Image.URL960, tt.width, tt.height)
		})
	}
}

// With its S3 in a file, a photo a company uploaded is still served after
// the runner restarts on the same database, as the database still names
// it; with its S3 in memory it is gone.
func TestPhotosKeptInFile(t *testing.T) {
	db, keyring := newDemoDB(t)
	file := filepath.Join(t.TempDir(), "s3.bolt")
	first := startRunner(t, db, keyring, file)
	if given, err := first.m.SeedPhotos(t.Context()); err != nil || given != 24 {
		t.Fatalf("SeedPhotos = %d, %v; want 24", given, err)
	}
	token, err := keyring.Mint(1, auth.DefaultScopes, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	form, resp, body := first.upload(t, token, 1, "image/jpeg", picture(t, "jpeg", 1200, 900))
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST %s = %d %s, want S3's 204", form.URL, resp.StatusCode, body)
	}
	first.m.Wait()
	img := first.companyProduct(t, token, 1).Image
	if img == nil {
		t.Fatal("the upload gave product 1 no photo")
	}
	demoImg := first.catalogImages(t)[5]
	served := map[string]string{}
	for _, u := range []string{img.URL320, img.URL960, demoImg.URL320} {
		resp, body := first.do(t, http.MethodGet, u, nil, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", u, resp.StatusCode)
		}
		served[u] = body
	}
	first.stop()

	again := startRunner(t, db, keyring, file)
	if given, err := again.m.SeedPhotos(t.Context()); err != nil || given != 0 {
		t.Errorf("SeedPhotos after a restart = %d, %v; want 0, every demo product has its photo", given, err)
	}
	if got := again.catalogImages(t)[1]; got == nil || *got != *img {
		t.Fatalf("catalog after a restart shows %+v, want %+v", got, img)
	}
	again.checkServed(t, img.URL320, 320, 240)
	again.checkServed(t, img.URL960, 960, 720)
	for u, want := range served {
		if _, body := again.do(t, http.MethodGet, u, nil, ""); body != want {
			t.Errorf("GET %s after a restart = %d bytes, want the %d served before", u, len(body), len(want))
		}
	}

	inMemory := startRunner(t, db, keyring, "")
	if resp, _ := inMemory.do(t, http.MethodGet, img.URL960, nil, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET %s from an S3 in memory = %d, want 404: nothing kept it", img.URL960, resp.StatusCode)
	}
}

// S3 refuses a file over the form's 5 MB in its own words, which the
// console turns into "too large"; nothing reaches the processor.
func TestPhotoTooLarge(t *testing.T) {
	r := newRunner(t)
	token, err := r.keyring.Mint(1, auth.DefaultScopes, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, market.MaxUploadBytes+1)
	copy(big, picture(t, "jpeg", 64, 64))
	before := r.companyProduct(t, token, 1)
	_, resp, body := r.upload(t, token, 1, "image/jpeg", big)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "<Code>EntityTooLarge</Code>") {
		t.Fatalf("POST a file of %d bytes = %d %s, want 400 EntityTooLarge", len(big), resp.StatusCode, body)
	}
	r.m.Wait()
	if after := r.companyProduct(t, token, 1); after.Version != before.Version || after.ImageError != nil {
		t.Errorf("the product changed: %+v → %+v", before, after)
	}
	if left := r.uploadsLeft(t); len(left) != 0 {
		t.Errorf("uploads in the bucket: %v", left)
	}
}

// The site's files carry the CSP that CloudFront adds on AWS, and so does
// every answer of /images/, which answers 404 for a photo that is not
// there, as a private bucket behind CloudFront does, and serves nothing
// but reads.
func TestSiteHeaders(t *testing.T) {
	r := newRunner(t)
	missing := "/images/" + strings.Repeat("0", 64) + ".jpg"
	tests := []struct {
		name, method, path string
		status             int
		csp                bool
	}{
		{name: "storefront", method: http.MethodGet, path: "/", status: http.StatusOK, csp: true},
		{name: "console", method: http.MethodGet, path: "/company.html", status: http.StatusOK, csp: true},
		{name: "script", method: http.MethodGet, path: "/company.js", status: http.StatusOK, csp: true},
		{name: "icon", method: http.MethodGet, path: "/icon.svg", status: http.StatusOK, csp: true},
		{name: "missing photo", method: http.MethodGet, path: missing, status: http.StatusNotFound, csp: true},
		{name: "photo written to", method: http.MethodPut, path: missing, status: http.StatusMethodNotAllowed, csp: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := r.do(t, tt.method, tt.path, nil, "")
			if resp.StatusCode != tt.status {
				t.Errorf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
			}
			if got := resp.Header.Get("Content-Security-Policy"); tt.csp && got != site.ContentSecurityPolicy {
				t.Errorf("%s %s Content-Security-Policy = %q, want %q", tt.method, tt.path, got, site.ContentSecurityPolicy)
			}
		})
	}
}
