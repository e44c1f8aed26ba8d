package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/cli"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// localTokenTTL is the lifetime of the tokens printed at start.
const localTokenTTL = cli.CompanyTokenTTL

// tokenCommand prints a fresh company or carrier token, and nothing else,
// on stdout, signed with the development key the local runner uses:
//
//	go run ./cmd/local token -company 1 [-ttl 24h]
//	go run ./cmd/local token -carrier 1 [-ttl 12h]
//
// A deployment's tokens are minted with its own key by
// `go run ./cmd/deployment token` (setup.sh token).
func tokenCommand(_ context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("token", flag.ContinueOnError)
	flags.SetOutput(stderr)
	subject := cli.AddTokenFlags(flags)
	if err := cli.Parse(flags, args); err != nil {
		return err
	}
	keyring, err := localKeyring()
	if err != nil {
		return err
	}
	token, err := subject.Mint(keyring)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	_, err = fmt.Fprintln(stdout, token)
	return err
}

func localKeyring() (auth.Keyring, error) {
	path, err := auth.LocalKeyFile()
	if err != nil {
		return auth.Keyring{}, err
	}
	return auth.LocalKeyring(path)
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
