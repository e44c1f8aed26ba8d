package main

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/cli"
)

// TestMain runs the runner's main instead of the tests when
// DELIVERY_LOCAL_MAIN is set, so that a test can run the real program,
// exit status included, as the test binary itself.
func TestMain(m *testing.M) {
	if os.Getenv("DELIVERY_LOCAL_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// A command line the runner does not understand starts nothing: it says
// why on stderr, with what exists, and exits 2; -h lists every command, a
// line each, and the server's flags.
func TestCommandLine(t *testing.T) {
	isolate(t)
	everyCommand := []string{"seed ", "token ", "carrier ", "-addr", "-dsn", "-s3-file", "-expose", "-sms-outbox"}
	exposeWords := []string{"add -expose to allow it", "-sms-outbox"}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr []string
	}{
		{"unknown command before flags", []string{"bogus", "-addr", "127.0.0.1:0"}, 2,
			append([]string{`unknown command "bogus"`, "the commands are seed, token, carrier"}, everyCommand...)},
		{"stray argument after flags", []string{"-addr", "127.0.0.1:0", "bogus"}, 2, append([]string{`unexpected argument "bogus"`}, everyCommand...)},
		{"a command after flags", []string{"-addr", "127.0.0.1:0", "seed"}, 2, []string{`unexpected argument "seed"`}},
		{"unknown flag", []string{"-port", "8080"}, 2, append([]string{"flag provided but not defined: -port"}, everyCommand...)},
		{"help", []string{"-h"}, 0, append([]string{`(default "127.0.0.1:8080")`}, everyCommand...)},
		{"every interface without -expose", []string{"-addr", ":0"}, 2, append([]string{"-addr :0 lets other machines reach the runner"}, exposeWords...)},
		{"every IPv4 interface without -expose", []string{"-addr", "0.0.0.0:0"}, 2, exposeWords},
		{"every IPv6 interface without -expose", []string{"-addr", "[::]:0"}, 2, exposeWords},
		{"another address without -expose", []string{"-addr", "192.0.2.1:0"}, 2, exposeWords},
		{"outbox without -expose", []string{"-addr", "127.0.0.1:0", "-sms-outbox"}, 2, []string{"-sms-outbox only applies with -expose"}},
		{"outbox alone", []string{"-sms-outbox"}, 2, []string{"-sms-outbox only applies with -expose"}},
		{"seed help", []string{"seed", "-h"}, 0, []string{"-dsn", "-products", "-companies"}},
		{"seed without a database", []string{"seed"}, 2, []string{"-dsn is required"}},
		{"seed with a stray argument", []string{"seed", "-dsn", "root@tcp(127.0.0.1:1)/x", "1000"}, 2, []string{`unexpected argument "1000"`}},
		{"token for nobody", []string{"token"}, 2, []string{"exactly one of -company ID and -carrier ID"}},
		{"token with a stray argument", []string{"token", "-company", "1", "2"}, 2, []string{`unexpected argument "2"`}},
		{"token with a deployment's key", []string{"token", "-company", "1", "-key-secret", "arn:x"}, 2, []string{"flag provided but not defined: -key-secret"}},
		{"carrier without an action", []string{"carrier"}, 2, []string{"name an action", "carrier add"}},
		{"carrier with an unknown action", []string{"carrier", "fire"}, 2, []string{`unknown action "fire"`}},
		{"carrier list with a stray argument", []string{"carrier", "list", "all"}, 2, []string{`unexpected argument "all"`}},
		{"a command that moved to cmd/deployment", []string{"signing-key"}, 2, []string{`unknown command "signing-key"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			served := false
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := run(ctx, tt.args, &stdout, &stderr, func(string) { served = true })
			if code := cli.ExitCode("local", err, &stderr); code != tt.wantCode {
				t.Errorf("run(%q) = %v, exit %d, want %d; stderr:\n%s", tt.args, err, code, tt.wantCode, stderr.String())
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("run(%q) stderr = %q, want it to hold %q", tt.args, stderr.String(), want)
				}
			}
			if served || stdout.String() != "" {
				t.Errorf("run(%q) served %v, printed %q; want nothing started", tt.args, served, stdout.String())
			}
		})
	}
}

// The program itself: an unknown word before the flags exits 2 at once,
// with the reason on stderr, and listens nowhere.
func TestMainRefusesAnUnknownCommand(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "bogus", "-addr", addr)
	cmd.Env = append(os.Environ(), "DELIVERY_LOCAL_MAIN=1")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("local bogus -addr %s = %v, want exit status 2; stderr:\n%s", addr, err, stderr.String())
	}
	if !strings.Contains(stderr.String(), `unknown command "bogus"`) || stdout.String() != "" {
		t.Errorf("stdout %q, stderr %q; want nothing on stdout and the unknown command on stderr", stdout.String(), stderr.String())
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("something listens on %s", addr)
	}
}
