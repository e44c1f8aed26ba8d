package app_test

import (
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"

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
