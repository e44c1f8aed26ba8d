package app_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/market"
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
		{name: "defaults", env: nil, want: app.APIEnv{Currency: "USD", LogLevel: slog.LevelInfo, Limits: app.DefaultLimits}},
		{name: "currency", env: map[string]string{"CURRENCY": "EUR"}, want: app.APIEnv{Currency: "EUR", LogLevel: slog.LevelInfo, Limits: app.DefaultLimits}},
		{name: "lower-case currency", env: map[string]string{"CURRENCY": "usd"}, wantErr: "CURRENCY"},
		{name: "two-letter currency", env: map[string]string{"CURRENCY": "US"}, wantErr: "CURRENCY"},
		{name: "four-letter currency", env: map[string]string{"CURRENCY": "EURO"}, wantErr: "CURRENCY"},
		{name: "currency symbol", env: map[string]string{"CURRENCY": "$"}, wantErr: "CURRENCY"},
		{name: "currency with a space", env: map[string]string{"CURRENCY": "EUR "}, wantErr: "CURRENCY"},
		{
			name: "CORS list", env: map[string]string{"CORS_ALLOWED_ORIGINS": "https://shop.example.com, http://localhost:8080 ,,  "},
			want: app.APIEnv{Currency: "USD", AllowedOrigins: []string{"https://shop.example.com", "http://localhost:8080"}, LogLevel: slog.LevelInfo, Limits: app.DefaultLimits},
		},
		{
			name: "one origin", env: map[string]string{"CORS_ALLOWED_ORIGINS": "*"},
			want: app.APIEnv{Currency: "USD", AllowedOrigins: []string{"*"}, LogLevel: slog.LevelInfo, Limits: app.DefaultLimits},
		},
		{name: "only commas", env: map[string]string{"CORS_ALLOWED_ORIGINS": " , ,"}, want: app.APIEnv{Currency: "USD", LogLevel: slog.LevelInfo, Limits: app.DefaultLimits}},
		{name: "log level debug", env: map[string]string{"LOG_LEVEL": "debug"}, want: app.APIEnv{Currency: "USD", LogLevel: slog.LevelDebug, Limits: app.DefaultLimits}},
		{name: "log level WARN", env: map[string]string{"LOG_LEVEL": "WARN"}, want: app.APIEnv{Currency: "USD", LogLevel: slog.LevelWarn, Limits: app.DefaultLimits}},
		{name: "bad log level", env: map[string]string{"LOG_LEVEL": "verbose"}, wantErr: "LOG_LEVEL"},
		{
			name: "origin secret's hash", env: map[string]string{"ORIGIN_VERIFY_SHA256": strings.Repeat("ab", 32)},
			want: app.APIEnv{Currency: "USD", LogLevel: slog.LevelInfo, Limits: app.DefaultLimits, OriginVerifySHA256: bytes.Repeat([]byte{0xab}, 32)},
		},
		{name: "origin secret itself", env: map[string]string{"ORIGIN_VERIFY_SHA256": "s3cret"}, wantErr: "ORIGIN_VERIFY_SHA256"},
		{name: "short origin hash", env: map[string]string{"ORIGIN_VERIFY_SHA256": "abcd"}, wantErr: "ORIGIN_VERIFY_SHA256"},
		{
			name: "limits", env: map[string]string{"LIMIT_ORDERS_PER_CLIENT": "5/1m", "LIMIT_SIGNIN_CODES_TOTAL": "off", "LIMIT_CARRIER_ORDERS": "0", "LIMIT_OPEN_ORDERS_PER_PHONE": "2"},
			want: app.APIEnv{Currency: "USD", LogLevel: slog.LevelInfo, Limits: func() market.Limits {
				l := app.DefaultLimits
				l.OrdersPerClient = market.Limit{Max: 5, Window: time.Minute}
				l.SignInCodesTotal = market.Limit{}
				l.CarrierOrders = 0
				l.OpenOrdersPerPhone = 2
				return l
			}()},
		},
		{name: "a rate without window", env: map[string]string{"LIMIT_ORDERS_TOTAL": "1000"}, wantErr: "LIMIT_ORDERS_TOTAL"},
		{name: "a negative count", env: map[string]string{"LIMIT_CARRIER_ORDERS": "-1"}, wantErr: "LIMIT_CARRIER_ORDERS"},
		{name: "a count as a rate", env: map[string]string{"LIMIT_OFFERS_PER_ORDER": "3/1h"}, wantErr: "LIMIT_OFFERS_PER_ORDER"},
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
			// The delivery rules have their own test: here they are the
			// defaults, compared by what they print (two loads of a zone
			// are equal but not identical).
			if fmt.Sprint(got.Delivery) != fmt.Sprint(market.DefaultDeliveryRules()) {
				t.Errorf("ReadAPIEnv(%v).Delivery = %v, want the defaults", tt.env, got.Delivery)
			}
			got.Delivery = market.DeliveryRules{}
			if got.Dispatch != market.DefaultDispatchSettings() {
				t.Errorf("ReadAPIEnv(%v).Dispatch = %+v, want the defaults", tt.env, got.Dispatch)
			}
			got.Dispatch = market.DispatchSettings{}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReadAPIEnv(%v) = %+v, want %+v", tt.env, got, tt.want)
			}
		})
	}
}

func TestReadDeliveryRules(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    string // fmt.Sprint of the rules
		wantErr string
	}{
		{name: "defaults", want: "{1.50 0.40 15 Europe/Lisbon}"},
		{name: "all set", env: map[string]string{"MARKET_TIMEZONE": "America/Sao_Paulo", "DELIVERY_FEE_BASE": "2", "DELIVERY_FEE_PER_KM": "0.35", "DELIVERY_MAX_KM": "7.5"},
			want: "{2.00 0.35 7.5 America/Sao_Paulo}"},
		{name: "free delivery, no bound", env: map[string]string{"DELIVERY_FEE_BASE": "0", "DELIVERY_FEE_PER_KM": "0.00", "DELIVERY_MAX_KM": "0"}, want: "{0.00 0.00 0 Europe/Lisbon}"},
		{name: "unknown zone", env: map[string]string{"MARKET_TIMEZONE": "Europe/Atlantis"}, wantErr: "MARKET_TIMEZONE"},
		{name: "the machine's zone", env: map[string]string{"MARKET_TIMEZONE": "Local"}, wantErr: "MARKET_TIMEZONE"},
		{name: "three decimals", env: map[string]string{"DELIVERY_FEE_PER_KM": "0.405"}, wantErr: "DELIVERY_FEE_PER_KM"},
		{name: "negative fee", env: map[string]string{"DELIVERY_FEE_BASE": "-1"}, wantErr: "DELIVERY_FEE_BASE"},
		{name: "an exponent", env: map[string]string{"DELIVERY_FEE_BASE": "1e1"}, wantErr: "DELIVERY_FEE_BASE"},
		{name: "a fee with a currency", env: map[string]string{"DELIVERY_FEE_BASE": "1.50 EUR"}, wantErr: "DELIVERY_FEE_BASE"},
		{name: "negative distance", env: map[string]string{"DELIVERY_MAX_KM": "-3"}, wantErr: "DELIVERY_MAX_KM"},
		{name: "distance with a unit", env: map[string]string{"DELIVERY_MAX_KM": "15km"}, wantErr: "DELIVERY_MAX_KM"},
		{name: "not a number", env: map[string]string{"DELIVERY_MAX_KM": "NaN"}, wantErr: "DELIVERY_MAX_KM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := app.ReadDeliveryRules(env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ReadDeliveryRules(%v) = %v, %v, want an error about %s", tt.env, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || fmt.Sprint(got) != tt.want {
				t.Errorf("ReadDeliveryRules(%v) = %v, %v; want %s", tt.env, got, err, tt.want)
			}
		})
	}
}

func TestReadDispatchSettings(t *testing.T) {
	defaults := market.DefaultDispatchSettings()
	tests := []struct {
		name    string
		env     map[string]string
		want    market.DispatchSettings
		wantErr string
	}{
		{name: "defaults", want: defaults},
		{
			name: "all set", env: map[string]string{"DISPATCH_MODE": "waves", "DISPATCH_WAVE_SIZE": "5", "DISPATCH_WAVE_SECONDS": "90",
				"DISPATCH_MAX_WAVES": "3", "DISPATCH_RADIUS_KM": "7.5"},
			want: market.DispatchSettings{Mode: market.DispatchWaves, WaveSize: 5, WaveInterval: 90 * time.Second, MaxWaves: 3, RadiusKm: 7.5},
		},
		{
			name: "broadcast", env: map[string]string{"DISPATCH_MODE": "broadcast"},
			want: func() market.DispatchSettings { s := defaults; s.Mode = market.DispatchBroadcast; return s }(),
		},
		{
			name: "the bounds", env: map[string]string{"DISPATCH_WAVE_SIZE": "50", "DISPATCH_WAVE_SECONDS": "5", "DISPATCH_MAX_WAVES": "20", "DISPATCH_RADIUS_KM": "100"},
			want: market.DispatchSettings{Mode: market.DispatchWaves, WaveSize: 50, WaveInterval: 5 * time.Second, MaxWaves: 20, RadiusKm: 100},
		},
		{name: "unknown mode", env: map[string]string{"DISPATCH_MODE": "nearest"}, wantErr: "DISPATCH_MODE"},
		{name: "mode in capitals", env: map[string]string{"DISPATCH_MODE": "WAVES"}, wantErr: "DISPATCH_MODE"},
		{name: "no carrier a wave", env: map[string]string{"DISPATCH_WAVE_SIZE": "0"}, wantErr: "DISPATCH_WAVE_SIZE"},
		{name: "too many a wave", env: map[string]string{"DISPATCH_WAVE_SIZE": "51"}, wantErr: "DISPATCH_WAVE_SIZE"},
		{name: "wave size not a number", env: map[string]string{"DISPATCH_WAVE_SIZE": "three"}, wantErr: "DISPATCH_WAVE_SIZE"},
		{name: "interval with a unit", env: map[string]string{"DISPATCH_WAVE_SECONDS": "60s"}, wantErr: "DISPATCH_WAVE_SECONDS"},
		{name: "interval too short", env: map[string]string{"DISPATCH_WAVE_SECONDS": "4"}, wantErr: "DISPATCH_WAVE_SECONDS"},
		{name: "interval past an SQS delay", env: map[string]string{"DISPATCH_WAVE_SECONDS": "901"}, wantErr: "DISPATCH_WAVE_SECONDS"},
		{name: "no wave", env: map[string]string{"DISPATCH_MAX_WAVES": "0"}, wantErr: "DISPATCH_MAX_WAVES"},
		{name: "too many waves", env: map[string]string{"DISPATCH_MAX_WAVES": "21"}, wantErr: "DISPATCH_MAX_WAVES"},
		{name: "no radius", env: map[string]string{"DISPATCH_RADIUS_KM": "0"}, wantErr: "DISPATCH_RADIUS_KM"},
		{name: "radius too long", env: map[string]string{"DISPATCH_RADIUS_KM": "100.5"}, wantErr: "DISPATCH_RADIUS_KM"},
		{name: "radius not a number", env: map[string]string{"DISPATCH_RADIUS_KM": "NaN"}, wantErr: "DISPATCH_RADIUS_KM"},
		{name: "radius with a unit", env: map[string]string{"DISPATCH_RADIUS_KM": "10km"}, wantErr: "DISPATCH_RADIUS_KM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := app.ReadDispatchSettings(env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ReadDispatchSettings(%v) = %+v, %v, want an error about %s", tt.env, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ReadDispatchSettings(%v) = %+v, %v; want %+v", tt.env, got, err, tt.want)
			}
		})
	}
	t.Run("read with the API settings", func(t *testing.T) {
		if _, err := app.ReadAPIEnv(env(map[string]string{"DISPATCH_MAX_WAVES": "0"})); err == nil || !strings.Contains(err.Error(), "DISPATCH_MAX_WAVES") {
			t.Errorf("ReadAPIEnv with DISPATCH_MAX_WAVES=0 = %v, want an error about it", err)
		}
	})
}
