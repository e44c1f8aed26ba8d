package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/deliverymarket/delivery/internal/auth"
)

// A token printed by `go run ./cmd/local token` in one terminal works
// against the runner started in another: both use the same development
// key file.
func TestTokenCommandWorksAgainstTheRunner(t *testing.T) {
	base, _, _, stop := startRunner(t)
	defer stop()

	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"token", "-company", "2", "-ttl", "10m"}, &stdout, &stderr, nil); err != nil {
		t.Fatalf("token: %v (stderr %s)", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 1 || strings.Count(lines[0], ".") != 2 {
		t.Fatalf("token printed %q; want exactly one JWT and nothing else", stdout.String())
	}
	req, err := http.NewRequest(http.MethodGet, base+"/api/company/products", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+lines[0])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /api/company/products with the minted token = %d, want 200", resp.StatusCode)
	}
}

// A carrier token printed by `token -carrier` opens the carrier routes
// of the runner and no company route.
func TestTokenCommandCarrier(t *testing.T) {
	base, _, _, stop := startRunner(t)
	defer stop()

	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"token", "-carrier", "1"}, &stdout, &stderr, nil); err != nil {
		t.Fatalf("token -carrier: %v (stderr %s)", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 1 || strings.Count(lines[0], ".") != 2 {
		t.Fatalf("token printed %q; want exactly one JWT and nothing else", stdout.String())
	}
	keyring, err := localKeyring()
	if err != nil {
		t.Fatal(err)
	}
	claims, err := keyring.VerifyCarrier(lines[0])
	if err != nil {
		t.Fatalf("VerifyCarrier(printed) = %v", err)
	}
	if id, _ := claims.CarrierID(); id != 1 || claims.ExpiresAt.Sub(claims.IssuedAt.Time) != auth.SessionTTL {
		t.Errorf("carrier %d, lifetime %s; want carrier 1 for %s", id, claims.ExpiresAt.Sub(claims.IssuedAt.Time), auth.SessionTTL)
	}
	tests := []struct {
		path string
		want int
	}{
		{"/api/carrier/orders?view=available", http.StatusOK},
		{"/api/company/products", http.StatusForbidden},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(http.MethodGet, base+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+lines[0])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("GET %s with the carrier token = %d, want %d", tt.path, resp.StatusCode, tt.want)
		}
	}
}

func TestTokenCommandRefusesBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"no company", []string{"token"}},
		{"company and carrier", []string{"token", "-company", "1", "-carrier", "1"}},
		{"carrier zero", []string{"token", "-carrier", "0"}},
		{"carrier ttl over a session", []string{"token", "-carrier", "1", "-ttl", "13h"}},
		{"company zero", []string{"token", "-company", "0"}},
		{"ttl over the maximum", []string{"token", "-company", "1", "-ttl", "10000h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DELIVERY_LOCAL_KEY_FILE", t.TempDir()+"/key.pem")
			var stdout, stderr bytes.Buffer
			if err := run(context.Background(), tt.args, &stdout, &stderr, nil); err == nil {
				t.Errorf("run(%v) = nil, want an error", tt.args)
			}
			if stdout.Len() != 0 {
				t.Errorf("run(%v) printed %q on stdout; errors belong on stderr", tt.args, stdout.String())
			}
		})
	}
}
