package app_test

import (
	"context"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/deliverymarket/delivery/internal/app"
)

// env returns a getenv over m.
func env(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

func TestReadAPIEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    app.APIEnv
		wantErr string // substring of the error; "" for success
	}{
		{name: "defaults", env: nil, want: app.APIEnv{Currency: "USD", LogLevel: slog.LevelInfo}},
		{name: "currency", env: map[string]string{"CURRENCY": "EUR"}, want: app.APIEnv{Currency: "EUR", LogLevel: slog.LevelInfo}},
		{name: "lower-case currency", env: map[string]string{"CURRENCY": "usd"}, wantErr: "CURRENCY"},
		{name: "two-letter currency", env: map[string]string{"CURRENCY": "US"}, wantErr: "CURRENCY"},
		{name: "four-letter currency", env: map[string]string{"CURRENCY": "EURO"}, wantErr: "CURRENCY"},
		{name: "currency symbol", env: map[string]string{"CURRENCY": "$"}, wantErr: "CURRENCY"},
		{name: "currency with a space", env: map[string]string{"CURRENCY": "EUR "}, wantErr: "CURRENCY"},
		{
			name: "CORS list", env: map[string]string{"CORS_ALLOWED_ORIGINS": "https://shop.example.com, http://localhost:8080 ,,  "},
			want: app.APIEnv{Currency: "USD", AllowedOrigins: []string{"https://shop.example.com", "http://localhost:8080"}, LogLevel: slog.LevelInfo},
		},
		{
			name: "one origin", env: map[string]string{"CORS_ALLOWED_ORIGINS": "*"},
			want: app.APIEnv{Currency: "USD", AllowedOrigins: []string{"*"}, LogLevel: slog.LevelInfo},
		},
		{name: "only commas", env: map[string]string{"CORS_ALLOWED_ORIGINS": " , ,"}, want: app.APIEnv{Currency: "USD", LogLevel: slog.LevelInfo}},
		{name: "log level debug", env: map[string]string{"LOG_LEVEL": "debug"}, want: app.APIEnv{Currency: "USD", LogLevel: slog.LevelDebug}},
		{name: "log level WARN", env: map[string]string{"LOG_LEVEL": "WARN"}, want: app.APIEnv{Currency: "USD", LogLevel: slog.LevelWarn}},
		{name: "bad log level", env: map[string]string{"LOG_LEVEL": "verbose"}, wantErr: "LOG_LEVEL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := app.ReadAPIEnv(env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ReadAPIEnv(%v) = %+v, %v, want an error about %s", tt.env, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadAPIEnv(%v) error = %v", tt.env, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReadAPIEnv(%v) = %+v, want %+v", tt.env, got, tt.want)
			}
		})
	}
}

func TestReadEnv(t *testing.T) {
	full := map[string]string{
		"DB_HOST":       "delivery.cluster-abc.eu-west-1.rds.amazonaws.com",
		"DB_NAME":       "delivery",
		"DB_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1-AbCdEf",
	}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range full {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	base := app.Env{
		APIEnv: app.APIEnv{Currency: "USD", LogLevel: slog.LevelInfo},
		DBHost: full["DB_HOST"], DBPort: "3306", DBName: "delivery", DBSecretARN: full["DB_SECRET_ARN"],
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    app.Env
		wantErr string
	}{
		{name: "required only, defaults", env: full, want: base},
		{
			name: "everything",
			env: with(map[string]string{
				"DB_PORT": "3307", "DB_TLS_CA_FILE": "/opt/rds/global-bundle.pem", "CURRENCY": "BRL",
				"CORS_ALLOWED_ORIGINS": "https://a.example,https://b.example", "LOG_LEVEL": "ERROR",
			}),
			want: app.Env{
				APIEnv: app.APIEnv{Currency: "BRL", AllowedOrigins: []string{"https://a.example", "https://b.example"}, LogLevel: slog.LevelError},
				DBHost: full["DB_HOST"], DBPort: "3307", DBName: "delivery", DBSecretARN: full["DB_SECRET_ARN"],
				DBTLSCAFile: "/opt/rds/global-bundle.pem",
			},
		},
		{name: "nothing set lists every missing variable", env: nil, wantErr: "config: missing DB_HOST, DB_NAME, DB_SECRET_ARN"},
		{name: "missing host", env: with(map[string]string{"DB_HOST": ""}), wantErr: "config: missing DB_HOST"},
		{name: "missing name and secret", env: with(map[string]string{"DB_NAME": "", "DB_SECRET_ARN": ""}), wantErr: "config: missing DB_NAME, DB_SECRET_ARN"},
		{name: "bad currency", env: with(map[string]string{"CURRENCY": "dollars"}), wantErr: "CURRENCY"},
		{
			name: "photo buckets", env: with(map[string]string{"UPLOADS_BUCKET": "delivery-prod-uploads", "IMAGES_BUCKET": " delivery-prod-images "}),
			want: func() app.Env {
				e := base
				e.UploadsBucket, e.ImagesBucket = "delivery-prod-uploads", "delivery-prod-images"
				return e
			}(),
		},
		{name: "uploads bucket not a bucket name", env: with(map[string]string{"UPLOADS_BUCKET": "Delivery_Uploads"}), wantErr: "config: UPLOADS_BUCKET"},
		{name: "images bucket an ARN", env: with(map[string]string{"IMAGES_BUCKET": "arn:aws:s3:::delivery-prod-images"}), wantErr: "config: IMAGES_BUCKET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := app.ReadEnv(env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ReadEnv(%v) = %+v, %v, want an error %q", tt.env, got, err, tt.wantErr)
				}
				if strings.HasPrefix(tt.wantErr, "config: missing") && err.Error() != tt.wantErr {
					t.Errorf("ReadEnv(%v) error = %q, want exactly %q", tt.env, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadEnv(%v) error = %v", tt.env, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReadEnv(%v) = %+v, want %+v", tt.env, got, tt.want)
			}
		})
	}
}

// FromEnv refuses to start a Lambda without its configuration, before it
// touches AWS.
func TestFromEnvMissing(t *testing.T) {
	for _, name := range []string{"DB_HOST", "DB_NAME", "DB_SECRET_ARN", "CURRENCY", "LOG_LEVEL", "CORS_ALLOWED_ORIGINS"} {
		t.Setenv(name, "")
	}
	if _, err := app.FromEnv(context.Background()); err == nil || !strings.Contains(err.Error(), "missing DB_HOST") {
		t.Errorf("FromEnv() error = %v, want the missing variables", err)
	}
}

// FromEnv gives the functions the photo dependencies their buckets allow:
// the upload signer with UPLOADS_BUCKET (updateproduct), the object store
// with both (imageprocessor), neither without.
func TestFromEnvPhotos(t *testing.T) {
	tests := []struct {
		name, uploads, images string
		wantSigner, wantStore bool
	}{
		{"no buckets", "", "", false, false},
		{"uploads bucket", "delivery-prod-uploads", "", true, false},
		{"both buckets", "delivery-prod-uploads", "delivery-prod-images", true, true},
		{"images bucket alone", "", "delivery-prod-images", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setDBEnv(t)
			t.Setenv("UPLOADS_BUCKET", tt.uploads)
			t.Setenv("IMAGES_BUCKET", tt.images)
			deps, err := app.FromEnv(context.Background())
			if err != nil {
				t.Fatalf("FromEnv = %v", err)
			}
			defer deps.DB.Close()
			if (deps.Uploads != nil) != tt.wantSigner || (deps.Objects != nil) != tt.wantStore {
				t.Errorf("FromEnv: signer %v, object store %v; want %v, %v", deps.Uploads != nil, deps.Objects != nil, tt.wantSigner, tt.wantStore)
			}
		})
	}
}

// setDBEnv sets the database settings and an offline AWS configuration:
// FromEnv builds its clients without calling anything.
func setDBEnv(t *testing.T) {
	t.Helper()
	for k, v := range map[string]string{
		"DB_HOST": "127.0.0.1", "DB_NAME": "delivery", "DB_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1-AbCdEf",
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDCONFIGTEST", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_CONFIG_FILE": "/nonexistent/config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
	} {
		t.Setenv(k, v)
	}
}

// The S3 client addresses buckets by path only against an endpoint
// override (a stand-in); on AWS, by virtual host.
func TestNewS3ClientAddressing(t *testing.T) {
	tests := []struct {
		name, endpoint string
		wantPath       bool
	}{
		{"AWS", "", false},
		{"a stand-in", "http://127.0.0.1:9000/s3", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setDBEnv(t)
			t.Setenv("AWS_ENDPOINT_URL", "")
			t.Setenv("AWS_ENDPOINT_URL_S3", tt.endpoint)
			if tt.endpoint == "" {
				os.Unsetenv("AWS_ENDPOINT_URL_S3")
				os.Unsetenv("AWS_ENDPOINT_URL")
			}
			cfg, err := config.LoadDefaultConfig(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			o := app.NewS3Client(cfg).Options()
			if o.UsePathStyle != tt.wantPath || (tt.endpoint != "" && aws.ToString(o.BaseEndpoint) != tt.endpoint) {
				t.Errorf("path style %v, endpoint %q; want %v, %q", o.UsePathStyle, aws.ToString(o.BaseEndpoint), tt.wantPath, tt.endpoint)
			}
		})
	}
}
