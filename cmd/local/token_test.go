package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
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

func TestTokenCommandRefusesBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"no company", []string{"token"}},
		{"company zero", []string{"token", "-company", "0"}},
		{"ttl over the maximum", []string{"token", "-company", "1", "-ttl", "10000h"}},
		{"deployment key without issuer", []string{"token", "-company", "1", "-key-secret", "arn:aws:secretsmanager:us-east-1:1:secret:x"}},
		{"signing-key without secrets", []string{"signing-key"}},
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
