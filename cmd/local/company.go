package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/deliverymarket/delivery/internal/admin"
	"github.com/deliverymarket/delivery/internal/cli"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

const companyUsage = `usage:
  go run ./cmd/local company disable -id ID [-dsn DSN]
  go run ./cmd/local company enable -id ID [-dsn DSN]
  go run ./cmd/local company phone -id ID -phone PHONE [-dsn DSN]`

// companyCommand disables and enables the companies of the database that
// -dsn names, and gives one a new sign-in phone when it lost the old one
// (no code is asked: the operator vouches). On AWS the migrate function's
// company-disable, company-enable and company-phone actions do the same.
func companyCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return cli.Usagef("company: name an action\n%s", companyUsage)
	}
	action := args[0]
	flags := flag.NewFlagSet("company "+action, flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprintln(stderr, companyUsage)
		flags.PrintDefaults()
	}
	dsn := flags.String("dsn", os.Getenv("DELIVERY_DSN"), "MySQL DSN of the database, e.g. 'root@tcp(127.0.0.1:3306)/delivery' (env DELIVERY_DSN)")
	id := flags.Int64("id", 0, "the company's id (required)")
	var phone *string
	switch action {
	case "disable", "enable":
	case "phone":
		phone = flags.String("phone", "", "the new sign-in phone, E.164 such as +351912345678 (required)")
	default:
		return cli.Usagef("company: unknown action %q\n%s", action, companyUsage)
	}
	if err := cli.Parse(flags, args[1:]); err != nil {
		return err
	}
	if *id < 1 {
		return cli.Usagef("company %s: needs -id, a company's id\n%s", action, companyUsage)
	}
	if *dsn == "" {
		return cli.Usagef("company: needs -dsn or DELIVERY_DSN: the embedded database lives only inside a running `go run ./cmd/local`")
	}
	db, err := openCarrierDatabase(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	switch action {
	case "phone":
		// Locally there is no SMS to the old number: the runner's outbox
		// lives in the runner.
		p, err := market.SetCompanyPhone(ctx, mysql.NewProfileStore(db), nil, *id, *phone, time.Now())
		if err != nil {
			return fmt.Errorf("company phone: %w", err)
		}
		_, err = fmt.Fprintf(stdout, "Company %d, %s: signs in with %s now; every token it had is refused.\n", p.ID, p.Name, p.Phone)
		return err
	}
	enabled := action == "enable"
	if err := admin.SetCompanyEnabled(ctx, mysql.NewAccessStore(db), *id, enabled, time.Now()); err != nil {
		return fmt.Errorf("company %s: %w", action, err)
	}
	if enabled {
		_, err = fmt.Fprintf(stdout, "Company %d: enabled. It signs in again by SMS; tokens from before it was disabled stay refused.\n", *id)
	} else {
		_, err = fmt.Fprintf(stdout, "Company %d: disabled. It cannot sign in, and its tokens are refused (at once by a fresh authorizer call, within the authorizer cache's TTL where one was cached). Its products stay in the catalog.\n", *id)
	}
	return err
}
