package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/deliverymarket/delivery/internal/awssecrets"
	"github.com/deliverymarket/delivery/internal/cli"
)

// vapidKeyCommand makes sure a deployment has its Web Push (VAPID) key
// pair:
//
//	go run ./cmd/deployment vapid-key -private-secret ARN -public-secret ARN [-rotate]
//
// setup.sh runs it after Terraform created the two empty secrets. The
// first run generates a P-256 pair and stores the private key in one
// secret (read by notifycarrier, which signs each push with it) and the
// public key in the other (read by the fulfilment function, which hands
// it to the carrier page to subscribe with); later runs change nothing
// unless -rotate is given. It prints what it did on stdout.
func vapidKeyCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("vapid-key", flag.ContinueOnError)
	flags.SetOutput(stderr)
	privateSecret := flags.String("private-secret", "", "Secrets Manager secret for the private key (required)")
	publicSecret := flags.String("public-secret", "", "Secrets Manager secret for the public key (required)")
	rotate := flags.Bool("rotate", false, "replace an existing key pair; every phone's push subscription stops working until the carrier subscribes again")
	if err := cli.Parse(flags, args); err != nil {
		return err
	}
	if *privateSecret == "" || *publicSecret == "" {
		return cli.Usagef("vapid-key: -private-secret and -public-secret are required")
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("vapid-key: aws: %w", err)
	}
	created, err := awssecrets.EnsureVAPIDKeys(ctx, secretsmanager.NewFromConfig(cfg), *privateSecret, *publicSecret, *rotate)
	if err != nil {
		return err
	}
	if created {
		_, err = fmt.Fprintln(stdout, "created a new VAPID key pair; after a rotation, restart notifycarrier and fulfilment (setup.sh does) and carriers subscribe again")
	} else {
		_, err = fmt.Fprintln(stdout, "the VAPID key pair exists; nothing changed")
	}
	return err
}
