package s3store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/deliverymarket/delivery/internal/s3store"
)

// env returns a getenv over m.
func env(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

// offline is an AWS configuration that calls nothing when clients are
// built from it.
var offline = aws.Config{Region: "eu-west-1"}

func TestReadBuckets(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    s3store.Buckets
		wantErr string
	}{
		{name: "none", env: nil},
		{name: "both, trimmed", env: map[string]string{"UPLOADS_BUCKET": "delivery-prod-uploads", "IMAGES_BUCKET": " delivery-prod-images "},
			want: s3store.Buckets{Uploads: "delivery-prod-uploads", Images: "delivery-prod-images"}},
		{name: "uploads bucket not a bucket name", env: map[string]string{"UPLOADS_BUCKET": "Delivery_Uploads"}, wantErr: "config: UPLOADS_BUCKET"},
		{name: "images bucket an ARN", env: map[string]string{"IMAGES_BUCKET": "arn:aws:s3:::delivery-prod-images"}, wantErr: "config: IMAGES_BUCKET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s3store.ReadBuckets(env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ReadBuckets(%v) = %+v, %v, want an error %q", tt.env, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ReadBuckets(%v) = %+v, %v, want %+v", tt.env, got, err, tt.want)
			}
		})
	}
}

// updateproduct signs uploads only when UPLOADS_BUCKET names a bucket; with
// none it has no signer at all (a nil interface, so uploads answer 503).
func TestSignerFromEnv(t *testing.T) {
	signer, err := s3store.SignerFromEnv(offline, env(nil))
	if err != nil || signer != nil {
		t.Errorf("SignerFromEnv(no bucket) = %v, %v, want nil, nil", signer, err)
	}
	signer, err = s3store.SignerFromEnv(offline, env(map[string]string{"UPLOADS_BUCKET": "delivery-prod-uploads"}))
	if err != nil || signer == nil {
		t.Errorf("SignerFromEnv(bucket) = %v, %v, want a signer", signer, err)
	}
	if _, err := s3store.SignerFromEnv(offline, env(map[string]string{"UPLOADS_BUCKET": "Delivery_Uploads"})); err == nil || !strings.Contains(err.Error(), "UPLOADS_BUCKET") {
		t.Errorf("SignerFromEnv(bad bucket) = %v, want an error naming UPLOADS_BUCKET", err)
	}
}

// imageprocessor needs both buckets, and says which one is missing.
func TestObjectsFromEnv(t *testing.T) {
	tests := []struct {
		name, uploads, images, want string
	}{
		{"neither", "", "", "missing UPLOADS_BUCKET, IMAGES_BUCKET"},
		{"no images bucket", "delivery-prod-uploads", "", "missing IMAGES_BUCKET"},
		{"no uploads bucket", "", "delivery-prod-images", "missing UPLOADS_BUCKET"},
		{"the same bucket twice", "delivery-prod-photos", "delivery-prod-photos", "UPLOADS_BUCKET, IMAGES_BUCKET"},
		{"both", "delivery-prod-uploads", "delivery-prod-images", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objects, err := s3store.ObjectsFromEnv(offline, env(map[string]string{"UPLOADS_BUCKET": tt.uploads, "IMAGES_BUCKET": tt.images}))
			if tt.want == "" {
				if err != nil || objects.UploadsBucket() != tt.uploads {
					t.Errorf("ObjectsFromEnv = %v, %v, want the store of %s", objects, err, tt.uploads)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ObjectsFromEnv = %v, want %q", err, tt.want)
			}
		})
	}
}

// The S3 client addresses buckets by path only against an endpoint
// override (a stand-in); on AWS, by virtual host.
func TestNewClientAddressing(t *testing.T) {
	tests := []struct {
		name, endpoint string
		wantPath       bool
	}{
		{"AWS", "", false},
		{"a stand-in", "http://127.0.0.1:9000/s3", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range map[string]string{
				"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDCONFIGTEST", "AWS_SECRET_ACCESS_KEY": "secret",
				"AWS_CONFIG_FILE": "/nonexistent/config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
				"AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_S3": tt.endpoint,
			} {
				t.Setenv(k, v)
			}
			cfg, err := config.LoadDefaultConfig(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			o := s3store.NewClient(cfg).Options()
			if o.UsePathStyle != tt.wantPath || (tt.endpoint != "" && aws.ToString(o.BaseEndpoint) != tt.endpoint) {
				t.Errorf("path style %v, endpoint %q; want %v, %q", o.UsePathStyle, aws.ToString(o.BaseEndpoint), tt.wantPath, tt.endpoint)
			}
		})
	}
}
