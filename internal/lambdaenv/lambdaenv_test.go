package lambdaenv_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/lambdaenv"
	"github.com/deliverymarket/delivery/internal/market"
)

// env returns a getenv over m.
func env(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

func TestReadEnv(t *testing.T) {
	full := map[string]string{
		"DB_HOST":       "delivery.cluster-abc.eu-west-1.rds.amazonaws.com",
		"DB_NAME":       "delivery",
		"DB_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1-AbCdEf",
	}
	with := func(extra map[string]string) map[string]string {
		m := maps.Clone(full)
		maps.Copy(m, extra)
		return m
	}
	base := lambdaenv.Env{
		APIEnv: app.APIEnv{Currency: "USD", LogLevel: slog.LevelInfo, Limits: app.DefaultLimits, Dispatch: market.DefaultDispatchSettings()},
		DBHost: full["DB_HOST"], DBPort: "3306", DBName: "delivery", DBSecretARN: full["DB_SECRET_ARN"],
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    lambdaenv.Env
		wantErr string
	}{
		{name: "required only, defaults", env: full, want: base},
		{
			name: "everything",
			env: with(map[string]string{
				"DB_PORT": "3307", "DB_TLS_CA_FILE": "/opt/rds/global-bundle.pem", "CURRENCY": "BRL",
				"CORS_ALLOWED_ORIGINS": "https://a.example,https://b.example", "LOG_LEVEL": "ERROR",
				"DISPATCH_MODE": "broadcast", "DISPATCH_WAVE_SECONDS": "45",
			}),
			want: lambdaenv.Env{
				APIEnv: app.APIEnv{Currency: "BRL", AllowedOrigins: []string{"https://a.example", "https://b.example"}, LogLevel: slog.LevelError, Limits: app.DefaultLimits,
					Dispatch: market.DispatchSettings{Mode: market.DispatchBroadcast, WaveSize: 3, WaveInterval: 45 * time.Second, MaxWaves: 4, RadiusKm: 10}},
				DBHost: full["DB_HOST"], DBPort: "3307", DBName: "delivery", DBSecretARN: full["DB_SECRET_ARN"],
				DBTLSCAFile: "/opt/rds/global-bundle.pem",
			},
		},
		{
			name: "the authorizer's key",
			env:  with(map[string]string{"JWT_PUBLIC_KEY_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:pub", "JWT_ISSUER": "iss", "JWT_AUDIENCE": "aud"}),
			want: func() lambdaenv.Env {
				e := base
				e.JWTPublicKeySecretARN, e.JWTIssuer, e.JWTAudience = "arn:aws:secretsmanager:eu-west-1:1:secret:pub", "iss", "aud"
				return e
			}(),
		},
		{name: "nothing set lists every missing variable", env: nil, wantErr: "config: missing DB_HOST, DB_NAME, DB_SECRET_ARN"},
		{name: "missing host", env: with(map[string]string{"DB_HOST": ""}), wantErr: "config: missing DB_HOST"},
		{name: "missing name and secret", env: with(map[string]string{"DB_NAME": "", "DB_SECRET_ARN": ""}), wantErr: "config: missing DB_NAME, DB_SECRET_ARN"},
		{name: "port not a number", env: with(map[string]string{"DB_PORT": "abc"}), wantErr: "DB_PORT"},
		{name: "port out of range", env: with(map[string]string{"DB_PORT": "70000"}), wantErr: "DB_PORT"},
		{name: "bad currency", env: with(map[string]string{"CURRENCY": "dollars"}), wantErr: "CURRENCY"},
		{name: "bad dispatch", env: with(map[string]string{"DISPATCH_RADIUS_KM": "-1"}), wantErr: "DISPATCH_RADIUS_KM"},
		{name: "key without issuer", env: with(map[string]string{"JWT_PUBLIC_KEY_SECRET_ARN": "arn:x", "JWT_AUDIENCE": "aud"}), wantErr: "JWT_ISSUER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lambdaenv.ReadEnv(env(tt.env))
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
			// app.ReadDeliveryRules has its own test; two loads of a zone
			// are equal but not identical.
			if fmt.Sprint(got.Delivery) != fmt.Sprint(market.DefaultDeliveryRules()) {
				t.Errorf("ReadEnv(%v).Delivery = %v, want the defaults", tt.env, got.Delivery)
			}
			got.Delivery = market.DeliveryRules{}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReadEnv(%v) = %+v, want %+v", tt.env, got, tt.want)
			}
		})
	}
}

// setDBEnv sets the database settings and an offline AWS configuration:
// Load builds its clients without calling anything.
func setDBEnv(t *testing.T) {
	t.Helper()
	for k, v := range map[string]string{
		"DB_HOST": "127.0.0.1", "DB_NAME": "delivery", "DB_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1-AbCdEf",
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDCONFIGTEST", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_CONFIG_FILE": "/nonexistent/config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
		"CURRENCY": "", "LOG_LEVEL": "", "CORS_ALLOWED_ORIGINS": "", "DB_PORT": "", "DB_TLS_CA_FILE": "",
		"JWT_PUBLIC_KEY_SECRET_ARN": "", "JWT_ISSUER": "", "JWT_AUDIENCE": "",
		"DISPATCH_MODE": "", "DISPATCH_WAVE_SIZE": "", "DISPATCH_WAVE_SECONDS": "", "DISPATCH_MAX_WAVES": "", "DISPATCH_RADIUS_KM": "",
	} {
		t.Setenv(k, v)
	}
}

// Load refuses to start a function without its configuration, before it
// touches AWS.
func TestLoadMissing(t *testing.T) {
	setDBEnv(t)
	t.Setenv("DB_HOST", "")
	if _, err := lambdaenv.Load(context.Background()); err == nil || !strings.Contains(err.Error(), "missing DB_HOST") {
		t.Errorf("Load() error = %v, want the missing variable", err)
	}
}

// Load gives the authorizer its keyring only when the environment names
// the public key.
func TestLoad(t *testing.T) {
	for _, withKey := range []bool{false, true} {
		setDBEnv(t)
		if withKey {
			t.Setenv("JWT_PUBLIC_KEY_SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pub")
			t.Setenv("JWT_ISSUER", "iss")
			t.Setenv("JWT_AUDIENCE", "aud")
		}
		fn, err := lambdaenv.Load(context.Background())
		if err != nil {
			t.Fatalf("Load() = %v", err)
		}
		if fn.Deps.DB == nil || fn.Deps.Currency != "USD" || fn.AWS.Region != "eu-west-1" || (fn.Deps.Keyring != nil) != withKey ||
			fn.Deps.Dispatch != market.DefaultDispatchSettings() {
			t.Errorf("Load() = %+v, want a pool, USD, the region and a keyring %v", fn, withKey)
		}
		fn.Deps.DB.Close()
	}
}

// The signin function's signer needs its three settings, and names the
// one missing.
func TestSigner(t *testing.T) {
	setDBEnv(t)
	fn, err := lambdaenv.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer fn.Deps.DB.Close()
	full := map[string]string{"JWT_PRIVATE_KEY_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:private", "JWT_ISSUER": "iss", "JWT_AUDIENCE": "aud"}
	for missing := range full {
		m := maps.Clone(full)
		delete(m, missing)
		if _, err := fn.Signer(env(m)); err == nil || !strings.Contains(err.Error(), missing) {
			t.Errorf("Signer without %s = %v, want an error naming it", missing, err)
		}
	}
	if signer, err := fn.Signer(env(full)); err != nil || signer == nil {
		t.Errorf("Signer = %v, want one", err)
	}
}

// The push-subscription routes get the VAPID public key only when the
// environment names its secret; nothing is read before a carrier asks.
func TestVAPIDPublicKey(t *testing.T) {
	setDBEnv(t)
	fn, err := lambdaenv.Load(context.Background())
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	defer fn.Deps.DB.Close()
	for _, tt := range []struct {
		name, arn string
		want      bool
	}{
		{"unset", "", false},
		{"blank", "  ", false},
		{"a secret", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod/vapid-public-key-StUvWx", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := fn.VAPIDPublicKey(env(map[string]string{"VAPID_PUBLIC_KEY_SECRET_ARN": tt.arn}))
			if (got != nil) != tt.want {
				t.Errorf("VAPIDPublicKey(%q) != nil is %v, want %v", tt.arn, got != nil, tt.want)
			}
		})
	}
}
