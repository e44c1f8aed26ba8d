package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/admin"
	"github.com/deliverymarket/delivery/internal/cli"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/migrations"
)

const carrierUsage = `usage:
  go run ./cmd/local carrier add -name NAME -phone PHONE [-dsn DSN]
  go run ./cmd/local carrier remove -phone PHONE [-dsn DSN]
  go run ./cmd/local carrier suspend|resume -id ID [-dsn DSN]
  go run ./cmd/local carrier list [-dsn DSN]`

// carrierCommand manages the carriers of the database that -dsn (or
// DELIVERY_DSN) names, the one a runner started with the same -dsn uses.
// On AWS, `./setup.sh carrier ...` does the same through the migrate
// Lambda, which also keeps the SMS topic's subscriptions in step; locally
// there is no topic: the runner's outbox stands for it.
func carrierCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return cli.Usagef("carrier: name an action\n%s", carrierUsage)
	}
	action := args[0]
	flags := flag.NewFlagSet("carrier "+action, flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprintln(stderr, carrierUsage)
		flags.PrintDefaults()
	}
	dsn := flags.String("dsn", os.Getenv("DELIVERY_DSN"), "MySQL DSN of the database, e.g. 'root@tcp(127.0.0.1:3306)/delivery' (env DELIVERY_DSN)")
	var name, phone *string
	var id *int64
	switch action {
	case "suspend", "resume":
		id = flags.Int64("id", 0, "the carrier's id, as carrier list shows it (required)")
	case "add":
		name = flags.String("name", "", "the carrier's name, as shoppers see it (required)")
		fallthrough
	case "remove":
		phone = flags.String("phone", "", "the carrier's phone, E.164 such as +351912345678 (required)")
	case "list":
	default:
		return cli.Usagef("carrier: unknown action %q\n%s", action, carrierUsage)
	}
	if err := cli.Parse(flags, args[1:]); err != nil {
		return err
	}
	if *dsn == "" {
		return cli.Usagef("carrier: needs -dsn or DELIVERY_DSN: the embedded database lives only inside a running " +
			"`go run ./cmd/local` (which prints its demo carriers); run it with -dsn to manage its carriers")
	}
	db, err := openCarrierDatabase(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	store := mysql.NewCarrierStore(db)
	switch action {
	case "suspend", "resume":
		return suspendCarrier(ctx, stdout, db, *id, action == "suspend")
	case "add":
		c, err := admin.AddCarrier(ctx, store, *name, *phone)
		if err != nil {
			return fmt.Errorf("carrier add: %w", err)
		}
		_, err = fmt.Fprintf(stdout, "Carrier %d, %s, %s: active. They sign in on the site's carrier page with a code sent to that phone.\n", c.ID, c.Name, c.Phone)
		return err
	case "remove":
		c, handover, err := admin.RemoveCarrier(ctx, store, market.Fulfilment{Store: mysql.NewFulfilmentStore(db)}, *phone)
		if err != nil {
			return fmt.Errorf("carrier remove: %w", err)
		}
		fmt.Fprintf(stdout, "Carrier %d, %s, %s: removed (no more order SMS or sign-in; the record stays for their orders).\n", c.ID, c.Name, c.Phone)
		fmt.Fprintf(stdout, "  %d accepted order(s) released to the other carriers.\n", handover.Released)
		if len(handover.StillHeld) > 0 {
			fmt.Fprintf(stdout, "  Picked up and not delivered, still with them: %s. Settle these with the carrier.\n", strings.Join(handover.StillHeld, ", "))
		}
		return nil
	}
	carriers, err := store.Carriers(ctx)
	if err != nil {
		return err
	}
	return printCarrierTable(stdout, carriers)
}

// openCarrierDatabase opens an existing database and brings its schema up
// to date, as the runner would.
func openCarrierDatabase(ctx context.Context, dsn string) (*sqlx.DB, error) {
	db, err := mysql.OpenDSN(dsn, 2)
	if err != nil {
		return nil, err
	}
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		db.Close()
		return nil, fmt.Errorf("database: %w", err)
	}
	return db, nil
}

func printCarrierTable(w io.Writer, carriers []market.Carrier) error {
	if len(carriers) == 0 {
		_, err := fmt.Fprintln(w, "No carriers yet: go run ./cmd/local carrier add -name NAME -phone PHONE -dsn DSN")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPHONE\tSTATE")
	for _, c := range carriers {
		state := "active"
		if !c.Active {
			state = "removed"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", c.ID, c.Name, c.Phone, state)
	}
	return tw.Flush()
}

// printCarriers tells the runner's user who can sign in as a carrier.
func printCarriers(ctx context.Context, w io.Writer, db *sqlx.DB, base string) error {
	carriers, err := mysql.NewCarrierStore(db).Carriers(ctx)
	if err != nil {
		return err
	}
	var active []market.Carrier
	for _, c := range carriers {
		if c.Active {
			active = append(active, c)
		}
	}
	if len(active) == 0 {
		return nil
	}
	fmt.Fprintf(w, "Carriers (sign in at %s/carrier.html with the phone; the code appears at %s/_local/sms):\n", base, base)
	for _, c := range active {
		fmt.Fprintf(w, "  %d %s  %s\n", c.ID, c.Name, c.Phone)
	}
	return nil
}
