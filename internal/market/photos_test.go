package market_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// fakeObjects is an in-memory ObjectStore whose calls can be made to fail.
type fakeObjects struct {
	mu      sync.Mutex
	uploads map[string][]byte
	images  map[string][]byte
	deleted []string
	// Faults, by method; readErr fails the upload's body half way.
	openErr, deleteErr, putErr, readErr error
}

func newFakeObjects() *fakeObjects {
	return &fakeObjects{uploads: map[string][]byte{}, images: map[string][]byte{}}
}

func (f *fakeObjects) OpenUpload(ctx context.Context, key string) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.openErr != nil {
		return nil, f.openErr
	}
	b, ok := f.uploads[key]
	if !ok {
		return nil, market.Errorf(market.CodeNotFound, "no upload %s", key)
	}
	if f.readErr != nil {
		return io.NopCloser(io.MultiReader(bytes.NewReader(b[:len(b)/2]), errReader{f.readErr})), nil
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func (f *fakeObjects) DeleteUpload(ctx context.Context, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deleteErr != nil {
		return f.deleteErr
	}
	delete(f.uploads, key)
	f.deleted = append(f.deleted, key)
	return nil
}

func (f *fakeObjects) PutImage(ctx context.Context, sum string, data []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.putErr != nil {
		return f.putErr
	}
	h := sha256.Sum256(data)
	if hex.EncodeToString(h[:]) != sum {
		return errors.New("sum is not the data's hash")
	}
	f.images[market.ImageObjectKey(sum)] = slices.Clone(data)
	return nil
}

// fakeProduct is a product as the fake image store keeps it.
type fakeProduct struct {
	company int64
	version int64
	image   *market.StoredImage
	err     *market.ImageError
}

// fakeImages is an in-memory ImageStore, company-scoped as the real one.
type fakeImages struct {
	mu       sync.Mutex
	products map[int64]*fakeProduct
	setErr   error
	recErr   error
}

func (f *fakeImages) product(companyID, productID int64) (*fakeProduct, error) {
	p, ok := f.products[productID]
	if !ok || p.company != companyID {
		return nil, market.Errorf(market.CodeNotFound, "product %d not found", productID)
	}
	return p, nil
}

func (f *fakeImages) SetImage(ctx context.Context, companyID, productID int64, img market.StoredImage) (market.Product, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.setErr != nil {
		return market.Product{}, f.setErr
	}
	p, err := f.product(companyID, productID)
	if err != nil {
		return market.Product{}, err
	}
	p.image, p.err = &img, nil
	p.version++
	return market.Product{ID: productID, CompanyID: companyID, Version: p.version}, nil
}

func (f *fakeImages) RecordImageError(ctx context.Context, companyID, productID int64, e market.ImageError) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.recErr != nil {
		return f.recErr
	}
	p, err := f.product(companyID, productID)
	if err != nil {
		return err
	}
	p.err = &e
	return nil
}

func (f *fakeImages) RemoveImage(ctx context.Context, companyID, productID, version int64) (market.Product, error) {
	return market.Product{}, errors.New("the processor never removes a photo")
}

// photoJPEG is a w×h JPEG.
func photoJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPhotoProcessor(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	key := market.UploadKey{CompanyID: 1, ProductID: 10, UploadID: "0123456789abcdef0123456789abcdef"}
	photo := photoJPEG(t, 1000, 750)
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	unavailable := &market.Error{Code: market.CodeUnavailable, Message: "the database is unreachable"}
	s3Down := errors.New("s3: connection refused")

	// outcome is what a case expects.
	type outcome int
	const (
		accepted outcome = iota // the product has the photo
		refused                 // the product records why, unchanged
		ignored                 // nothing changes on the product
	)
	tests := []struct {
		name   string
		key    string
		upload []byte // nil: no upload under key
		setup  func(o *fakeObjects, s *fakeImages)
		want   outcome
		// wantReason is the refusal's reason; wantErr says the call
		// fails (transient), keeping the upload.
		wantReason string
		wantErr    bool
	}{
		{name: "a JPEG becomes the photo", key: key.String(), upload: photo, want: accepted},
		{name: "SVG is refused", key: key.String(), upload: svg, want: refused, wantReason: "unsupported_format"},
		{name: "truncated JPEG is refused", key: key.String(), upload: photo[:len(photo)/3], want: refused, wantReason: "undecodable"},
		{name: "over 5 MB is refused", key: key.String(), upload: append(slices.Clone(photo), make([]byte, market.MaxUploadBytes)...), want: refused, wantReason: "too_large"},
		{name: "a key this service did not make", key: "uploads/../../images/x.jpg", upload: photo, want: ignored},
		{name: "a key outside the uploads prefix", key: "photo.jpg", upload: photo, want: ignored},
		{name: "another company's product", key: market.UploadKey{CompanyID: 2, ProductID: 10, UploadID: key.UploadID}.String(), upload: photo, want: ignored},
		{name: "another company's product, refused file", key: market.UploadKey{CompanyID: 2, ProductID: 10, UploadID: key.UploadID}.String(), upload: svg, want: ignored},
		{name: "a product that is gone", key: market.UploadKey{CompanyID: 1, ProductID: 99, UploadID: key.UploadID}.String(), upload: photo, want: ignored},
		{name: "the upload is already gone", key: key.String(), upload: nil, want: ignored},
		{name: "S3 unreachable on open", key: key.String(), upload: photo, want: ignored, wantErr: true,
			setup: func(o *fakeObjects, s *fakeImages) { o.openErr = s3Down }},
		{name: "the upload's body breaks off", key: key.String(), upload: photo, want: ignored, wantErr: true,
			setup: func(o *fakeObjects, s *fakeImages) { o.readErr = io.ErrUnexpectedEOF }},
		{name: "S3 unreachable on put", key: key.String(), upload: photo, want: ignored, wantErr: true,
			setup: func(o *fakeObjects, s *fakeImages) { o.putErr = s3Down }},
		{name: "database unreachable on set", key: key.String(), upload: photo, want: ignored, wantErr: true,
			setup: func(o *fakeObjects, s *fakeImages) { s.setErr = unavailable }},
		{name: "database unreachable on record", key: key.String(), upload: svg, want: ignored, wantErr: true,
			setup: func(o *fakeObjects, s *fakeImages) { s.recErr = unavailable }},
		{name: "S3 unreachable on delete", key: key.String(), upload: photo, want: accepted, wantErr: true,
			setup: func(o *fakeObjects, s *fakeImages) { o.deleteErr = s3Down }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			objects := newFakeObjects()
			if tt.upload != nil {
				objects.uploads[tt.key] = tt.upload
			}
			store := &fakeImages{products: map[int64]*fakeProduct{10: {company: 1, version: 3}}}
			if tt.setup != nil {
				tt.setup(objects, store)
			}
			p := market.PhotoProcessor{Objects: objects, Images: store, Now: func() time.Time { return at },
				Log: slog.New(slog.DiscardHandler)}

			err := p.Process(context.Background(), tt.key)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Process(%q) = %v, want an error: %v", tt.key, err, tt.wantErr)
			}
			_, kept := objects.uploads[tt.key]
			if wantKept := tt.wantErr && tt.upload != nil; kept != wantKept {
				t.Errorf("upload kept = %v, want %v (deleted in every outcome but a transient failure)", kept, wantKept)
			}

			product := store.products[10]
			switch tt.want {
			case accepted:
				if product.image == nil || product.version != 4 || product.err != nil {
					t.Fatalf("product = %+v, want the photo at version 4", product)
				}
				img := product.image
				if img.Width != 960 || img.Height != 720 {
					t.Errorf("image = %d × %d, want the 960 variant's 960 × 720", img.Width, img.Height)
				}
				for _, sum := range []string{img.Key320, img.Key960} {
					data, ok := objects.images[market.ImageObjectKey(sum)]
					if !ok {
						t.Fatalf("variant %s not written; images %v", sum, slices.Collect(maps.Keys(objects.images)))
					}
					cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
					if err != nil || (sum == img.Key320) != (cfg.Width == 320) {
						t.Errorf("variant %s = %d px wide (%v)", sum, cfg.Width, err)
					}
				}
			case refused:
				want := &market.ImageError{Reason: tt.wantReason, UploadID: key.UploadID, At: at}
				if product.err == nil || product.err.Reason != want.Reason || product.err.UploadID != want.UploadID ||
					!product.err.At.Equal(at) || product.err.Message == "" {
					t.Errorf("imageError = %+v, want %+v with a message", product.err, want)
				}
				if product.image != nil || product.version != 3 || len(objects.images) != 0 {
					t.Errorf("product = %+v, images %d; want it unchanged at version 3 and nothing written", product, len(objects.images))
				}
			case ignored:
				if product.image != nil || product.err != nil || product.version != 3 {
					t.Errorf("product = %+v, want it untouched", product)
				}
			}
		})
	}
}

// TestPhotoProcessorTwice: the same event delivered twice changes nothing
// the second time, and a retry after a transient failure finishes the job.
func TestPhotoProcessorTwice(t *testing.T) {
	key := market.UploadKey{CompanyID: 1, ProductID: 10, UploadID: "fedcba9876543210fedcba9876543210"}.String()
	objects := newFakeObjects()
	objects.uploads[key] = photoJPEG(t, 200, 100)
	store := &fakeImages{products: map[int64]*fakeProduct{10: {company: 1, version: 1}}, setErr: errors.New("connection reset")}
	p := market.PhotoProcessor{Objects: objects, Images: store, Log: slog.New(slog.DiscardHandler)}
	ctx := context.Background()

	if err := p.Process(ctx, key); err == nil {
		t.Fatal("Process with the database down succeeded")
	}
	store.setErr = nil
	for i := range 2 {
		if err := p.Process(ctx, key); err != nil {
			t.Fatalf("delivery %d: %v", i+2, err)
		}
	}
	product := store.products[10]
	if product.version != 2 || product.image == nil || product.image.Width != 200 || product.image.Height != 100 {
		t.Errorf("product = %+v, want the photo once (version 2), never upscaled: 200 × 100", product)
	}
	if !slices.Equal(objects.deleted, []string{key}) {
		t.Errorf("deleted = %v, want the upload once", objects.deleted)
	}
}
