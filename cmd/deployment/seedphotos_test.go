package main

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/locals3"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/migrations"
)

// seed-photos draws the demo products' photos into the buckets (here the
// local S3 stand-in, through the SDK's endpoint override, as a developer
// would point it at one) and gives them to the products; a second run
// finds nothing left to do.
func TestSeedPhotos(t *testing.T) {
	ctx := context.Background()
	dsn := dbtest.NewDSN(t)
	db, err := mysql.OpenDSN(dsn, dbtest.PoolSize())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.SeedIfEmpty(ctx, db); err != nil {
		t.Fatal(err)
	}
	s3srv, err := locals3.New(locals3.Config{AccessKeyID: "AKIDSEEDTEST", SecretAccessKey: "secret", Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s3srv.CreateBuckets("seed-uploads", "seed-images"); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s3srv)
	t.Cleanup(hs.Close)
	for k, v := range map[string]string{
		"DELIVERY_DSN": "", "UPLOADS_BUCKET": "seed-uploads", "IMAGES_BUCKET": "seed-images",
		"AWS_ENDPOINT_URL_S3": hs.URL, "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDSEEDTEST", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_PROFILE": "", "AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
	} {
		t.Setenv(k, v)
	}
	var stdout, stderr strings.Builder
	if err := run(ctx, []string{"seed-photos", "-dsn", dsn}, &stdout, &stderr); err != nil {
		t.Fatalf("seed-photos: %v (stderr %s)", err, stderr.String())
	}
	if out := stdout.String(); !strings.Contains(out, "photos: 24 demo products given one, in s3://seed-images") {
		t.Errorf("seed-photos output = %q, want 24 photos given", out)
	}
	keys, err := s3srv.Keys("seed-images", "images/")
	if err != nil || len(keys) != 48 {
		t.Fatalf("images bucket holds %d keys (%v), want both widths of 24 photos", len(keys), err)
	}
	var missing int
	if err := db.GetContext(ctx, &missing, `SELECT COUNT(*) FROM products WHERE image_320 IS NULL`); err != nil || missing != 0 {
		t.Errorf("%d products without a photo (%v), want none", missing, err)
	}
	stdout.Reset()
	if err := run(ctx, []string{"seed-photos", "-dsn", dsn}, &stdout, &stderr); err != nil || !strings.Contains(stdout.String(), "photos: 0 demo products") {
		t.Errorf("seed-photos again = %q, %v, want none given", stdout.String(), err)
	}
}
