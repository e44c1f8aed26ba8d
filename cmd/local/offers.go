package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/deliverymarket/delivery/internal/admin"
	"github.com/deliverymarket/delivery/internal/cli"
)

const offersUsage = `usage:
  go run ./cmd/local offers ORDER [-dsn DSN] [-json]
ORDER is an order id (the shopper's) or a delivery id (the carriers'). It
prints to which carriers the order was offered, in which wave, by which
channel, whether each offer was sent and which one was claimed; the
broadcast to every carrier is the line without a carrier.`

// offersCommand lists an order's offers in the database that -dsn (or
// DELIVERY_DSN) names, through admin.Offers, which `./setup.sh offers
// ORDER` reaches through the migrate Lambda.
func offersCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		return cli.Usagef("offers: name the order\n%s", offersUsage)
	}
	order := args[0]
	flags := flag.NewFlagSet("offers", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprintln(stderr, offersUsage)
		flags.PrintDefaults()
	}
	dsn := flags.String("dsn", os.Getenv("DELIVERY_DSN"), "MySQL DSN of the database, e.g. 'root@tcp(127.0.0.1:3306)/delivery' (env DELIVERY_DSN)")
	asJSON := flags.Bool("json", false, "print the offers as JSON, as the migrate function answers them")
	if err := cli.Parse(flags, args[1:]); err != nil {
		return err
	}
	if *dsn == "" {
		return cli.Usagef("offers: needs -dsn or DELIVERY_DSN: the embedded database lives only inside a running `go run ./cmd/local`")
	}
	db, err := openCarrierDatabase(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	record, err := admin.Offers(ctx, db, order)
	if err != nil {
		return fmt.Errorf("offers: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(record)
	}
	return printOffers(stdout, record)
}

func printOffers(w io.Writer, r admin.OffersRecord) error {
	if _, err := fmt.Fprintf(w, "Order %s (delivery %s)\n", r.OrderID, r.DeliveryID); err != nil {
		return err
	}
	if len(r.Offers) == 0 {
		_, err := fmt.Fprintln(w, "No offers recorded: the order was broadcast to every carrier as it was placed, or its first wave has not started.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WAVE\tCARRIER\tCHANNEL\tSTATE\tOFFERED\tCLAIMED")
	for _, o := range r.Offers {
		carrier, claimed := "everyone", ""
		if o.CarrierID != 0 {
			carrier = strconv.FormatInt(o.CarrierID, 10)
		}
		if o.ClaimedAt != nil {
			claimed = o.ClaimedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", o.Wave, carrier, o.Channel, o.State, o.OfferedAt.UTC().Format(time.RFC3339), claimed)
	}
	return tw.Flush()
}
