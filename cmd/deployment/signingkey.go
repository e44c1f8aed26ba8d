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
	return keyPairCommand{
		name:       "signing-key",
		rotateHelp: "replace an existing key pair; every token signed with the old key stops working",
		ensure:     awssecrets.EnsureKeyPair,
		created:    "created a new ES256 signing key pair",
		exists:     "the signing key pair exists; nothing changed",
	}.run(ctx, args, stdout, stderr)
}

// keyPairCommand is a command that makes sure a key pair is in its two
// secrets, the private one and the public one.
type keyPairCommand struct {
	name, rotateHelp string
	ensure           func(ctx context.Context, client awssecrets.SecretsAPI, privateID, publicID string, rotate bool) (bool, error)
	created, exists  string // what it prints when it made a pair, and when it did not
}

func (c keyPairCommand) run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet(c.name, flag.ContinueOnError)
	flags.SetOutput(stderr)
	privateSecret := flags.String("private-secret", "", "Secrets Manager secret for the private key (required)")
	publicSecret := flags.String("public-secret", "", "Secrets Manager secret for the public key (required)")
	rotate := flags.Bool("rotate", false, c.rotateHelp)
	if err := cli.Parse(flags, args); err != nil {
		return err
	}
	if *privateSecret == "" || *publicSecret == "" {
		return cli.Usagef("%s: -private-secret and -public-secret are required", c.name)
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("%s: aws: %w", c.name, err)
	}
	created, err := c.ensure(ctx, secretsmanager.NewFromConfig(cfg), *privateSecret, *publicSecret, *rotate)
	if err != nil {
		return err
	}
	if created {
		_, err = fmt.Fprintln(stdout, c.created)
	} else {
		_, err = fmt.Fprintln(stdout, c.exists)
	}
	return err
}
