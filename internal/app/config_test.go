package app_test

import (
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
