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

// signingKeyCommand makes sure a deployment has its company-token key pair:
//
//	go run ./cmd/deployment signing-key -private-secret ARN -public-secret ARN [-rotate]
//
// setup.sh runs it after Terraform created the two empty secrets. The first
// run generates an ES256 pair and stores the private key in one secret
// (read only by operators minting tokens) and the public key in the other
// (the one the authorizer reads); later runs change nothing unless -rotate
// is given. It prints what it did on stdout.
func signingKeyCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("signing-key", flag.ContinueOnError)
	flags.SetOutput(stderr)
	privateSecret := flags.String("private-secret", "", "Secrets Manager secret for the private key (required)")
	publicSecret := flags.String("public-secret", "", "Secrets Manager secret for the public key (required)")
	rotate := flags.Bool("rotate", false, "replace an existing key pair; every token signed with the old key stops working")
	if err := cli.Parse(flags, args); err != nil {
		return err
	}
	if *privateSecret == "" || *publicSecret == "" {
		return cli.Usagef("signing-key: -private-secret and -public-secret are required")
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("signing-key: aws: %w", err)
	}
	created, err := awssecrets.EnsureKeyPair(ctx, secretsmanager.NewFromConfig(cfg), *privateSecret, *publicSecret, *rotate)
	if err != nil {
		return err
	}
	if created {
		_, err = fmt.Fprintln(stdout, "created a new ES256 signing key pair")
	} else {
		_, err = fmt.Fprintln(stdout, "the signing key pair exists; nothing changed")
	}
	return err
}
