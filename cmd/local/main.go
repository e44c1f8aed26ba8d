// Command local runs the whole marketplace in one process: the storefront
// at / and the API at /api, served by the very same handlers the Lambdas
// run, on an embedded in-memory MySQL-compatible database (or on the MySQL
// that -dsn names). The photos' S3 is kept in memory too, or, with -dsn,
// in a file (-s3-file) so that uploaded photos outlive the process as the
// products do. Its subcommands fill a database (seed), mint local tokens
// (token), manage carriers (carrier) and companies (company), and set the
// delivery area (area); `go run ./cmd/local -h` lists
// them with the server's flags. It listens on this machine only unless
// -expose, and an exposed runner serves its SMS outbox (every sign-in
// code) only with -sms-outbox.
//
//	go run ./cmd/local [-addr 127.0.0.1:8080] [-expose [-sms-outbox]] [-dsn 'root@tcp(127.0.0.1:3306)/delivery'] [-s3-file path]
//	go run ./cmd/local seed|token|carrier|company|area [flags]
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/deliverymarket/delivery/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.ExitCode("local", run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil), os.Stderr)
	stop()
	os.Exit(code)
}
