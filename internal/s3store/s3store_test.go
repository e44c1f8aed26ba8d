package s3store_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/deliverymarket/delivery/internal/locals3"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/s3store"
)

const (
	uploads = "delivery-uploads-test"
	images  = "delivery-images-test"
	region  = "eu-west-1"
)

// standIn returns the local S3 stand-in with both buckets, served over
// HTTP, and an SDK client of it configured as the functions' is (path-style
// against an endpoint override).
func standIn(t *testing.T) (*locals3.Server, *s3.Client, string) {
	t.Helper()
	srv, err := locals3.New(locals3.Config{AccessKeyID: "AKIDS3STORE", SecretAccessKey: "secret", SessionToken: "session", Region: region})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.CreateBuckets(uploads, images); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	client := s3.New(s3.Options{
		BaseEndpoint: aws.String(hs.URL),
		UsePathStyle: true,
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDS3STORE", "secret", "session"),
	})
	return srv, client, hs.URL
}

func TestCheckBucketName(t *testing.T) {
	tests := []struct {
		name, bucket string
		ok           bool
	}{
		{"plain", "delivery-prod-uploads", true},
		{"dots and digits", "photos.2026.example", true},
		{"three characters", "abc", true},
		{"empty", "", false},
		{"too short", "ab", false},
		{"too long", strings.Repeat("a", 64), false},
		{"upper case", "Delivery-Uploads", false},
		{"underscore", "delivery_uploads", false},
		{"leading hyphen", "-uploads", false},
		{"trailing dot", "uploads.", false},
		{"adjacent dots", "a..b", false},
		{"an IP address", "192.168.5.4", false},
		{"reserved prefix", "xn--uploads", false},
		{"reserved suffix", "uploads-s3alias", false},
		{"a URL", "https://uploads", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s3store.CheckBucketName(tt.bucket); (err == nil) != tt.ok {
				t.Errorf("CheckBucketName(%q) = %v, want ok %v", tt.bucket, err, tt.ok)
			}
		})
	}
}

func TestConstructors(t *testing.T) {
	_, client, _ := standIn(t)
	if _, err := s3store.NewSigner(client, "Bad_Bucket"); err == nil || !strings.Contains(err.Error(), "Bad_Bucket") {
		t.Errorf("NewSigner(bad name) = %v, want an error naming it", err)
	}
	if _, err := s3store.NewSigner(nil, uploads); err == nil {
		t.Error("NewSigner(nil client) succeeded")
	}
	if _, err := s3store.NewObjects(client, uploads, "images_bucket"); err == nil || !strings.Contains(err.Error(), "images_bucket") {
		t.Errorf("NewObjects(bad images bucket) = %v, want an error naming it", err)
	}
	if _, err := s3store.NewObjects(client, uploads, uploads); err == nil {
		t.Error("NewObjects with one bucket for both succeeded")
	}
}

// policyDoc is a decoded POST policy.
type policyDoc struct {
	Expiration string `json:"expiration"`
	Conditions []any  `json:"conditions"`
}

func TestSignUpload(t *testing.T) {
	_, client, endpoint := standIn(t)
	signer, err := s3store.NewSigner(client, uploads)
	if err != nil {
		t.Fatal(err)
	}
	key, err := market.NewUploadKey(12, 345)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Truncate(time.Second)
	form, err := signer.SignUpload(context.Background(), key, "image/webp")
	if err != nil {
		t.Fatal(err)
	}
	if form.URL != endpoint+"/"+uploads || form.UploadID != key.UploadID || form.MaxBytes != market.MaxUploadBytes {
		t.Errorf("form = URL %q, upload %q, max %d; want %s/%s, %s, %d", form.URL, form.UploadID, form.MaxBytes, endpoint, uploads, key.UploadID, market.MaxUploadBytes)
	}
	if lo, hi := before.Add(market.UploadTTL), time.Now().Add(market.UploadTTL); form.ExpiresAt.Before(lo) || form.ExpiresAt.After(hi) {
		t.Errorf("ExpiresAt = %v, want %v .. %v", form.ExpiresAt, lo, hi)
	}
	if form.Fields["key"] != key.String() || form.Fields["Content-Type"] != "image/webp" || form.Fields["X-Amz-Security-Token"] != "session" {
		t.Errorf("fields = %v, want the key, the Content-Type and the session token", form.Fields)
	}
	raw, err := base64.StdEncoding.DecodeString(form.Fields["policy"])
	if err != nil {
		t.Fatal(err)
	}
	var doc policyDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Expiration != form.ExpiresAt.Format(time.RFC3339) {
		t.Errorf("policy expiration %q, form ExpiresAt %v: they must agree", doc.Expiration, form.ExpiresAt)
	}
	// The conditions this service relies on, exactly: the key pinned,
	// never a prefix; the size; the type.
	for _, want := range []any{
		map[string]any{"key": key.String()},
		[]any{"content-length-range", float64(1), float64(market.MaxUploadBytes)},
		map[string]any{"Content-Type": "image/webp"},
		map[string]any{"bucket": uploads},
	} {
		found := false
		for _, c := range doc.Conditions {
			found = found || reflect.DeepEqual(c, want)
		}
		if !found {
			t.Errorf("policy conditions %v lack %v", doc.Conditions, want)
		}
	}
	for _, c := range doc.Conditions {
		if list, ok := c.([]any); ok && list[0] == "starts-with" {
			t.Errorf("policy condition %v: a prefix would let the client choose the key", c)
		}
	}
}

func TestSignUploadRefuses(t *testing.T) {
	_, client, _ := standIn(t)
	signer, err := s3store.NewSigner(client, uploads)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := market.NewUploadKey(1, 2)
	tests := []struct {
		name        string
		key         market.UploadKey
		contentType string
		wantCode    market.Code
	}{
		{"SVG", good, "image/svg+xml", market.CodeInvalid},
		{"HTML", good, "text/html", market.CodeInvalid},
		{"no type", good, "", market.CodeInvalid},
		{"a key not made by NewUploadKey", market.UploadKey{CompanyID: 1, ProductID: 2, UploadID: "../../etc"}, "image/png", market.CodeInternal},
		{"no company", market.UploadKey{ProductID: 2, UploadID: good.UploadID}, "image/png", market.CodeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form, err := signer.SignUpload(context.Background(), tt.key, tt.contentType)
			if err == nil || market.ErrorCode(err) != tt.wantCode {
				t.Errorf("SignUpload(%v, %q) = %+v, %v; want a %s error", tt.key, tt.contentType, form, err, tt.wantCode)
			}
		})
	}
}

func TestWithFormURL(t *testing.T) {
	_, client, _ := standIn(t)
	signer, err := s3store.NewSigner(client, uploads, s3store.WithFormURL("/s3/"+uploads))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := market.NewUploadKey(1, 2)
	form, err := signer.SignUpload(context.Background(), key, "image/png")
	if err != nil || form.URL != "/s3/"+uploads {
		t.Errorf("SignUpload = %q, %v; want the form URL /s3/%s", form.URL, err, uploads)
	}
}

func TestObjects(t *testing.T) {
	srv, client, _ := standIn(t)
	objects, err := s3store.NewObjects(client, uploads, images)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key, _ := market.NewUploadKey(1, 2)

	if _, err := objects.OpenUpload(ctx, key.String()); market.ErrorCode(err) != market.CodeNotFound {
		t.Errorf("OpenUpload(missing) = %v, want not_found", err)
	}
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(uploads), Key: aws.String(key.String()), Body: strings.NewReader("the upload")}); err != nil {
		t.Fatal(err)
	}
	rc, err := objects.OpenUpload(ctx, key.String())
	if err != nil {
		t.Fatalf("OpenUpload = %v", err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(got) != "the upload" {
		t.Errorf("upload = %q, %v; want the bytes put", got, err)
	}
	for i := range 2 { // a second delete finds it gone and succeeds
		if err := objects.DeleteUpload(ctx, key.String()); err != nil {
			t.Fatalf("DeleteUpload #%d = %v", i+1, err)
		}
	}
	if _, err := srv.Object(uploads, key.String()); !errors.Is(err, locals3.ErrNoSuchKey) {
		t.Errorf("upload after DeleteUpload: %v, want gone", err)
	}
	for _, bad := range []string{"images/x.jpg", "other/1/2/x"} {
		if _, err := objects.OpenUpload(ctx, bad); err == nil {
			t.Errorf("OpenUpload(%q) succeeded outside the uploads prefix", bad)
		}
		if err := objects.DeleteUpload(ctx, bad); err == nil {
			t.Errorf("DeleteUpload(%q) succeeded outside the uploads prefix", bad)
		}
	}

	data := []byte("\xff\xd8 a jpeg \xff\xd9")
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	if err := objects.PutImage(ctx, hexSum, data); err != nil {
		t.Fatalf("PutImage = %v", err)
	}
	obj, err := srv.Object(images, market.ImageObjectKey(hexSum))
	if err != nil {
		t.Fatalf("the image: %v", err)
	}
	if string(obj.Data) != string(data) || obj.Metadata["Content-Type"] != "image/jpeg" || obj.Metadata["Cache-Control"] != s3store.ImageCacheControl {
		t.Errorf("image = %q as %v, want the bytes as image/jpeg with %q", obj.Data, obj.Metadata, s3store.ImageCacheControl)
	}
	if err := objects.PutImage(ctx, strings.Repeat("0", 64), data); err == nil {
		t.Error("PutImage under a key that is not the bytes' hash succeeded")
	}
}

// TestTransientErrors: an S3 that fails is a plain error (the processor
// keeps the upload and S3 retries the event), never not_found.
func TestTransientErrors(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
	}))
	defer down.Close()
	client := s3.New(s3.Options{
		BaseEndpoint: aws.String(down.URL), UsePathStyle: true, Region: region, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
	})
	objects, err := s3store.NewObjects(client, uploads, images)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key, _ := market.NewUploadKey(1, 2)
	data := []byte("x")
	sum := sha256.Sum256(data)
	if _, err := objects.OpenUpload(ctx, key.String()); err == nil || market.ErrorCode(err) != market.CodeInternal {
		t.Errorf("OpenUpload = %v, want a plain error", err)
	}
	if err := objects.DeleteUpload(ctx, key.String()); err == nil {
		t.Error("DeleteUpload succeeded against a failing S3")
	}
	if err := objects.PutImage(ctx, hex.EncodeToString(sum[:]), data); err == nil {
		t.Error("PutImage succeeded against a failing S3")
	}
}
