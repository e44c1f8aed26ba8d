package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/locals3"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/s3store"
)

// The buckets of the event in testdata.
const (
	photoUploads = "delivery-prod-uploads"
	photoImages  = "delivery-prod-images"
)

// eventFile is a real S3 ObjectCreated event; its key is
// uploads/REPLACED-BY-TEST.
const eventFile = "../../lambdas/imageprocessor/testdata/s3-object-created.json"

// photoEnv is the image processor against the local S3 stand-in (through
// the real SDK) and a seeded database of the test's own.
type photoEnv struct {
	db      *sqlx.DB
	s3      *locals3.Server
	client  *s3.Client
	handler *app.ImageProcessorHandler
}

func newPhotoEnv(t *testing.T) *photoEnv {
	t.Helper()
	db := dbtest.MustOpenDB(t)
	if _, err := demo.SeedIfEmpty(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	srv, err := locals3.New(locals3.Config{AccessKeyID: "AKIDAPPTEST", SecretAccessKey: "secret", Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.CreateBuckets(photoUploads, photoImages); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	client := s3Client(hs.URL)
	objects, err := s3store.NewObjects(client, photoUploads, photoImages)
	if err != nil {
		t.Fatal(err)
	}
	h, err := app.ImageProcessor(app.Deps{DB: db, Objects: objects, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h.Bucket = photoUploads
	return &photoEnv{db: db, s3: srv, client: client, handler: h}
}

func s3Client(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(endpoint), UsePathStyle: true, Region: "eu-west-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDAPPTEST", "secret", ""),
	})
}

// upload puts data as an upload of the product and returns its key.
func (e *photoEnv) upload(t *testing.T, companyID, productID int64, data []byte) string {
	t.Helper()
	key, err := market.NewUploadKey(companyID, productID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.client.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(photoUploads), Key: aws.String(key.String()), Body: bytes.NewReader(data), ContentType: aws.String("image/jpeg"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return key.String()
}

// s3Event returns the testdata event for key, as Lambda decodes it.
func s3Event(t *testing.T, key string, edit func(*events.S3EventRecord)) events.S3Event {
	t.Helper()
	raw, err := os.ReadFile(eventFile)
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.ReplaceAll(raw, []byte("uploads/REPLACED-BY-TEST"), []byte(key))
	var e events.S3Event
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&e.Records[0])
	}
	return e
}

func (e *photoEnv) product(t *testing.T, companyID, productID int64) market.Product {
	t.Helper()
	p, err := mysql.NewProductStore(e.db).CompanyProduct(context.Background(), companyID, productID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *photoEnv) uploadExists(t *testing.T, key string) bool {
	t.Helper()
	_, err := e.s3.Object(photoUploads, key)
	if err != nil && !errors.Is(err, locals3.ErrNoSuchKey) {
		t.Fatal(err)
	}
	return err == nil
}

func testJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(3 * x), uint8(2 * y), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImageProcessor(t *testing.T) {
	t.Run("a photo becomes the product's", func(t *testing.T) {
		e := newPhotoEnv(t)
		before := e.product(t, 1, 1)
		key := e.upload(t, 1, 1, testJPEG(t, 1280, 960))
		if err := e.handler.Handle(context.Background(), s3Event(t, key, nil)); err != nil {
			t.Fatalf("Handle = %v", err)
		}
		after := e.product(t, 1, 1)
		if after.Image == nil || after.Version != before.Version+1 || after.ImageError != nil {
			t.Fatalf("product = image %+v, version %d (was %d), error %+v; want a photo one version later", after.Image, after.Version, before.Version, after.ImageError)
		}
		if after.Image.Width != 960 || after.Image.Height != 720 {
			t.Errorf("image size = %d × %d, want 960 × 720", after.Image.Width, after.Image.Height)
		}
		for _, url := range []string{after.Image.URL320, after.Image.URL960} {
			obj, err := e.s3.Object(photoImages, strings.TrimPrefix(url, "/"))
			if err != nil {
				t.Fatalf("%s in the images bucket: %v", url, err)
			}
			if obj.Metadata["Content-Type"] != "image/jpeg" || obj.Metadata["Cache-Control"] != s3store.ImageCacheControl {
				t.Errorf("%s stored with %v, want image/jpeg, %s", url, obj.Metadata, s3store.ImageCacheControl)
			}
		}
		if e.uploadExists(t, key) {
			t.Error("the upload is still there")
		}
		// The same event again: the upload is gone, nothing changes.
		if err := e.handler.Handle(context.Background(), s3Event(t, key, nil)); err != nil {
			t.Fatalf("Handle, again = %v", err)
		}
		if again := e.product(t, 1, 1); again.Version != after.Version {
			t.Errorf("a repeated event moved the version to %d", again.Version)
		}
	})

	t.Run("a forged image is refused and recorded", func(t *testing.T) {
		e := newPhotoEnv(t)
		before := e.product(t, 1, 2)
		key := e.upload(t, 1, 2, []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`))
		if err := e.handler.Handle(context.Background(), s3Event(t, key, nil)); err != nil {
			t.Fatalf("Handle = %v", err)
		}
		after := e.product(t, 1, 2)
		uk, _ := market.ParseUploadKey(key)
		if after.ImageError == nil || after.ImageError.Reason != "unsupported_format" || after.ImageError.UploadID != uk.UploadID {
			t.Errorf("imageError = %+v, want unsupported_format for upload %s", after.ImageError, uk.UploadID)
		}
		if after.Image != nil || after.Version != before.Version {
			t.Errorf("product = image %+v, version %d; want it as it was (version %d)", after.Image, after.Version, before.Version)
		}
		if e.uploadExists(t, key) {
			t.Error("the refused upload is still there")
		}
	})

	t.Run("an upload naming another company's product", func(t *testing.T) {
		e := newPhotoEnv(t)
		// Product 9 is company 2's; the key says company 1.
		before := e.product(t, 2, 9)
		key := e.upload(t, 1, 9, testJPEG(t, 400, 300))
		if err := e.handler.Handle(context.Background(), s3Event(t, key, nil)); err != nil {
			t.Fatalf("Handle = %v", err)
		}
		if after := e.product(t, 2, 9); after.Image != nil || after.Version != before.Version {
			t.Errorf("company 2's product = %+v, want it untouched", after)
		}
		if e.uploadExists(t, key) {
			t.Error("the upload is still there")
		}
	})

	skipped := []struct {
		name string
		edit func(*events.S3EventRecord)
	}{
		{"a removal event", func(r *events.S3EventRecord) { r.EventName = "ObjectRemoved:Delete" }},
		{"another bucket's event", func(r *events.S3EventRecord) { r.S3.Bucket.Name = "someone-elses-bucket" }},
	}
	for _, tt := range skipped {
		t.Run(tt.name, func(t *testing.T) {
			e := newPhotoEnv(t)
			key := e.upload(t, 1, 3, testJPEG(t, 100, 100))
			if err := e.handler.Handle(context.Background(), s3Event(t, key, tt.edit)); err != nil {
				t.Fatalf("Handle = %v", err)
			}
			if p := e.product(t, 1, 3); p.Image != nil || !e.uploadExists(t, key) {
				t.Errorf("image %+v, upload there %v: want the record skipped", p.Image, e.uploadExists(t, key))
			}
		})
	}

	t.Run("an event built in Go, key URL-encoded", func(t *testing.T) {
		e := newPhotoEnv(t)
		key := e.upload(t, 1, 4, testJPEG(t, 100, 50))
		event := events.S3Event{Records: []events.S3EventRecord{{EventName: "ObjectCreated:Put",
			S3: events.S3Entity{Bucket: events.S3Bucket{Name: photoUploads}, Object: events.S3Object{Key: strings.ReplaceAll(key, "/", "%2F")}}}}}
		if err := e.handler.Handle(context.Background(), event); err != nil {
			t.Fatalf("Handle = %v", err)
		}
		if p := e.product(t, 1, 4); p.Image == nil || p.Image.Width != 100 {
			t.Errorf("image = %+v, want the 100 px photo", p.Image)
		}
	})

	t.Run("S3 failing keeps the event for a retry", func(t *testing.T) {
		e := newPhotoEnv(t)
		down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>`)
		}))
		defer down.Close()
		objects, err := s3store.NewObjects(s3Client(down.URL), photoUploads, photoImages)
		if err != nil {
			t.Fatal(err)
		}
		h, err := app.ImageProcessor(app.Deps{DB: e.db, Objects: objects, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		key, _ := market.NewUploadKey(1, 5)
		if err := h.Handle(context.Background(), s3Event(t, key.String(), nil)); err == nil {
			t.Error("Handle with S3 failing succeeded: the event would not be retried")
		}
	})
}

func TestImageProcessorNeedsItsBuckets(t *testing.T) {
	if _, err := app.ImageProcessor(app.Deps{}); err == nil || !strings.Contains(err.Error(), "UPLOADS_BUCKET") {
		t.Errorf("ImageProcessor without an object store = %v, want an error naming the buckets", err)
	}
}
