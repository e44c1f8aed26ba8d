package main

import (
	"context"
	"strings"
	"testing"

	"github.com/deliverymarket/delivery/internal/cli"
)

// A command line the program does not understand, or a command missing a
// required flag, touches no AWS account: it says why on stderr and exits 2.
// -h lists every command.
func TestCommandLine(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr []string
	}{
		{"no command", nil, 2, []string{"name a command", "signing-key", "vapid-key", "token", "seed-photos"}},
		{"unknown command", []string{"deploy"}, 2, []string{`unknown command "deploy"`, "signing-key, vapid-key, token, seed-photos"}},
		{"help", []string{"-h"}, 0, []string{"signing-key ", "vapid-key ", "token ", "seed-photos "}},
		{"signing-key without secrets", []string{"signing-key"}, 2, []string{"-private-secret and -public-secret are required"}},
		{"vapid-key without secrets", []string{"vapid-key", "-private-secret", "arn:x"}, 2, []string{"vapid-key: -private-secret and -public-secret are required"}},
		{"vapid-key with a stray argument", []string{"vapid-key", "now"}, 2, []string{`unexpected argument "now"`}},
		{"token without the key", []string{"token", "-company", "1"}, 2, []string{"-key-secret, -issuer and -audience are required"}},
		{"token with a stray argument", []string{"token", "-company", "1", "now"}, 2, []string{`unexpected argument "now"`}},
		{"seed-photos without buckets", []string{"seed-photos", "-dsn", "root@tcp(127.0.0.1:1)/none", "-uploads-bucket", "", "-images-bucket", ""}, 2, []string{"required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := cli.ExitCode("deployment", run(context.Background(), tt.args, &stdout, &stderr), &stderr)
			if code != tt.wantCode {
				t.Errorf("run(%q) exits %d, want %d; stderr:\n%s", tt.args, code, tt.wantCode, stderr.String())
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("run(%q) stderr = %q, want it to hold %q", tt.args, stderr.String(), want)
				}
			}
			if stdout.Len() != 0 {
				t.Errorf("run(%q) stdout = %q, want nothing", tt.args, stdout.String())
			}
		})
	}
}
