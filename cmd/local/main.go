// Command local runs the whole marketplace in one process: the storefront
// at / and the API at /api, served by the very same handlers the Lambdas
// run, on an embedded in-memory MySQL-compatible database (or on the MySQL
// that -dsn names). The photos' S3 is kept in memory too, or, with -dsn,
// in a file (-s3-file) so that uploaded photos outlive the process as the
// products do.
//
//	go run ./cmd/local [-addr :8080] [-dsn 'root@tcp(127.0.0.1:3306)/delivery'] [-s3-file path]
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}
