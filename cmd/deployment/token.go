package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/deliverymarket/delivery/internal/awssecrets"
	"github.com/deliverymarket/delivery/internal/cli"
)

// tokenCommand prints a token for a deployment, and nothing else, on
// stdout (what `setup.sh token` hands out):
//
//	go run ./cmd/deployment token -company 1 -key-secret ARN -issuer ISS -audience AUD [-ttl 24h]
//
// It signs with the deployment's private key, read from the Secrets
// Manager secret -key-secret names.
func tokenCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("token", flag.ContinueOnError)
	flags.SetOutput(stderr)
	subject := cli.AddTokenFlags(flags)
	keySecret := flags.String("key-secret", "", "Secrets Manager secret holding the deployment's private signing key (required)")
	issuer := flags.String("issuer", "", "issuer the deployment expects (required)")
	audience := flags.String("audience", "", "audience the deployment expects (required)")
	if err := cli.Parse(flags, args); err != nil {
		return err
	}
	if *keySecret == "" || *issuer == "" || *audience == "" {
		return cli.Usagef("token: -key-secret, -issuer and -audience are required")
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("token: aws: %w", err)
	}
	secret := awssecrets.NewSecret(secretsmanager.NewFromConfig(cfg), *keySecret)
	keyring, err := awssecrets.SigningKeyring(ctx, secret, *issuer, *audience)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	token, err := subject.Mint(keyring)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	_, err = fmt.Fprintln(stdout, token)
	return err
}
