// Command deployment runs the operator's tasks on a deployment on AWS,
// with the default AWS credentials; setup.sh calls it. They live apart
// from the local runner (cmd/local), which needs no AWS account and so
// does not link the SDK's configuration and the clients these use.
//
//	go run ./cmd/deployment signing-key -private-secret ARN -public-secret ARN [-rotate]
//	go run ./cmd/deployment vapid-key -private-secret ARN -public-secret ARN [-rotate]
//	go run ./cmd/deployment token -company ID -key-secret ARN -issuer ISS -audience AUD [-ttl 24h]
//	go run ./cmd/deployment seed-photos -dsn DSN -uploads-bucket NAME -images-bucket NAME
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/deliverymarket/delivery/internal/cli"
)

// commands are the program's; it runs one of them.
var commands = []cli.Command{
	{Name: "signing-key", Summary: "make sure the deployment's company-token key pair exists in its two secrets (-rotate replaces it)", Run: signingKeyCommand},
	{Name: "vapid-key", Summary: "make sure the deployment's Web Push (VAPID) key pair exists in its two secrets (-rotate replaces it)", Run: vapidKeyCommand},
	{Name: "token", Summary: "print a company or carrier token signed with the deployment's private key (-key-secret)", Run: tokenCommand},
	{Name: "seed-photos", Summary: "draw the demo products' photos into the photo buckets and give them to the products of a database (-dsn)", Run: seedPhotosCommand},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.ExitCode("deployment", run(ctx, os.Args[1:], os.Stdout, os.Stderr), os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command args name.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	usage := func() { printUsage(stderr) }
	if len(args) == 0 {
		return cli.Refuse(stderr, usage, "deployment: name a command")
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage()
		return nil
	}
	cmd, ok := cli.Lookup(commands, args[0])
	if !ok {
		return cli.Refuse(stderr, usage, "deployment: unknown command %q; the commands are %s", args[0], cli.Names(commands))
	}
	return cmd.Run(ctx, args[1:], stdout, stderr)
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: go run ./cmd/deployment COMMAND [flags], with the default AWS credentials")
	fmt.Fprintln(w, "\nCommands:")
	cli.PrintCommands(w, commands)
	fmt.Fprintln(w, "\n`go run ./cmd/deployment COMMAND -h` lists a command's flags.")
}
