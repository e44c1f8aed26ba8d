package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/awssecrets"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// localTokenTTL is the lifetime of the tokens printed at start.
const localTokenTTL = 24 * time.Hour

// tokenCommand prints a fresh company or carrier token, and nothing else,
// on stdout:
//
//	go run ./cmd/local token -company 1 [-ttl 24h]
//	go run ./cmd/local token -carrier 1 [-ttl 12h]
//
// signs with the development key the local runner uses; with -key-secret
// (as `setup.sh token` calls it) it signs with a deployment's private key,
// read from Secrets Manager with the default AWS credentials. A carrier
// token lives at most auth.SessionTTL, as one from SMS sign-in does.
func tokenCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("token", flag.ContinueOnError)
	flags.SetOutput(stderr)
	company := flags.Int64("company", 0, "id of the company the token speaks for (this or -carrier)")
	carrier := flags.Int64("carrier", 0, "id of the carrier the token speaks for (this or -company)")
	ttl := flags.Duration("ttl", 0, fmt.Sprintf("how long the token is valid (default %s for a company, %s for a carrier)", localTokenTTL, auth.SessionTTL))
	keySecret := flags.String("key-secret", "", "Secrets Manager secret holding a deployment's private signing key (default: the local development key)")
	issuer := flags.String("issuer", "", "issuer the deployment expects (with -key-secret)")
	audience := flags.String("audience", "", "audience the deployment expects (with -key-secret)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	isFlag := map[string]bool{}
	flags.Visit(func(f *flag.Flag) { isFlag[f.Name] = true })
	switch {
	case isFlag["company"] == isFlag["carrier"]:
		return errors.New("token: name exactly one of -company ID and -carrier ID")
	case isFlag["company"] && *company < 1:
		return errors.New("token: -company must name a company id, e.g. -company 1")
	case isFlag["carrier"] && *carrier < 1:
		return errors.New("token: -carrier must name a carrier id, e.g. -carrier 1")
	}
	var keyring auth.Keyring
	var err error
	if *keySecret == "" {
		keyring, err = localKeyring()
	} else {
		keyring, err = deploymentKeyring(ctx, *keySecret, *issuer, *audience)
	}
	if err != nil {
		return err
	}
	var token string
	if isFlag["carrier"] {
		token, err = keyring.MintCarrier(*carrier, orDefault(*ttl, auth.SessionTTL))
	} else {
		token, err = keyring.Mint(*company, auth.DefaultScopes, orDefault(*ttl, localTokenTTL))
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, token)
	return err
}

func orDefault(ttl, def time.Duration) time.Duration {
	if ttl == 0 {
		return def
	}
	return ttl
}

func localKeyring() (auth.Keyring, error) {
	path, err := auth.LocalKeyFile()
	if err != nil {
		return auth.Keyring{}, err
	}
	return auth.LocalKeyring(path)
}

func deploymentKeyring(ctx context.Context, secretID, issuer, audience string) (auth.Keyring, error) {
	if issuer == "" || audience == "" {
		return auth.Keyring{}, errors.New("token: -issuer and -audience are required with -key-secret")
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return auth.Keyring{}, fmt.Errorf("token: aws: %w", err)
	}
	secret := awssecrets.NewSecret(secretsmanager.NewFromConfig(cfg), secretID)
	return awssecrets.SigningKeyring(ctx, secret, issuer, audience)
}

// printCompanyTokens prints a ready-to-paste token for each company.
func printCompanyTokens(ctx context.Context, w io.Writer, db *sqlx.DB, keyring auth.Keyring) error {
	companies, err := mysql.NewCompanyStore(db).List(ctx, 10)
	if err != nil {
		return err
	}
	if len(companies) == 0 {
		return nil
	}
	fmt.Fprintf(w, "Company tokens (valid %s; `go run ./cmd/local token -company ID` mints more):\n", localTokenTTL)
	for _, c := range companies {
		token, err := keyring.Mint(c.ID, auth.DefaultScopes, localTokenTTL)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %d %s\n    %s\n", c.ID, c.Name, token)
	}
	return nil
}
