package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/deliverymarket/delivery/internal/admin"
	"github.com/deliverymarket/delivery/internal/cli"
	"github.com/deliverymarket/delivery/internal/mysql"
)

const areaUsage = `usage:
  go run ./cmd/local area set FILE [-dsn DSN]
  go run ./cmd/local area show [-dsn DSN]
  go run ./cmd/local area clear [-dsn DSN]
FILE holds a GeoJSON Polygon or MultiPolygon (holes included), a Feature
with one, or a FeatureCollection of exactly one such Feature. A running
embedded runner takes one at start instead: go run ./cmd/local -area FILE`

// areaCommand sets, shows or clears the delivery area of the database that
// -dsn (or DELIVERY_DSN) names, through admin.SetArea, the function
// `./setup.sh area set FILE` reaches through the migrate Lambda.
func areaCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return cli.Usagef("area: name an action\n%s", areaUsage)
	}
	action := args[0]
	switch action {
	case "set", "show", "clear":
	default:
		return cli.Usagef("area: unknown action %q\n%s", action, areaUsage)
	}
	flags := flag.NewFlagSet("area "+action, flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprintln(stderr, areaUsage)
		flags.PrintDefaults()
	}
	dsn := flags.String("dsn", os.Getenv("DELIVERY_DSN"), "MySQL DSN of the database, e.g. 'root@tcp(127.0.0.1:3306)/delivery' (env DELIVERY_DSN)")
	rest := args[1:]
	var file string
	if action == "set" {
		if len(rest) == 0 || rest[0] == "" || rest[0][0] == '-' {
			return cli.Usagef("area set: name the GeoJSON file\n%s", areaUsage)
		}
		file, rest = rest[0], rest[1:]
	}
	if err := cli.Parse(flags, rest); err != nil {
		return err
	}
	var doc []byte
	if file != "" {
		var err error
		if doc, err = readAreaFile(file); err != nil {
			return err
		}
	}
	if *dsn == "" {
		return cli.Usagef("area: needs -dsn or DELIVERY_DSN: the embedded database lives only inside a running " +
			"`go run ./cmd/local`; start that with -area FILE instead")
	}
	db, err := openCarrierDatabase(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	store := mysql.NewAreaStore(db)
	var record admin.AreaRecord
	switch action {
	case "set":
		record, err = admin.SetArea(ctx, store, doc)
	case "show":
		record, err = admin.ShowArea(ctx, store)
	case "clear":
		record, err = admin.ClearArea(ctx, store)
	}
	if err != nil {
		return fmt.Errorf("area %s: %w", action, err)
	}
	return printArea(stdout, action, record)
}

// maxAreaFile bounds what is read of an area file: far more than a city's
// outline needs.
const maxAreaFile = 8 << 20

func readAreaFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("area: %w", err)
	}
	defer f.Close()
	doc, err := io.ReadAll(io.LimitReader(f, maxAreaFile+1))
	if err != nil {
		return nil, fmt.Errorf("area: read %s: %w", path, err)
	}
	if len(doc) > maxAreaFile {
		return nil, fmt.Errorf("area: %s is larger than %d MiB", path, maxAreaFile>>20)
	}
	return doc, nil
}

func printArea(w io.Writer, action string, r admin.AreaRecord) error {
	switch {
	case action == "clear" && r.Cleared:
		_, err := fmt.Fprintln(w, "The delivery area is cleared: orders are delivered anywhere within DELIVERY_MAX_KM of route.")
		return err
	case action == "clear":
		_, err := fmt.Fprintln(w, "There was no delivery area to clear.")
		return err
	case !r.Set:
		_, err := fmt.Fprintln(w, "No delivery area: orders are delivered anywhere within DELIVERY_MAX_KM of route.")
		return err
	}
	if action == "set" {
		if _, err := fmt.Fprintln(w, "The delivery area is set; every function reads it at its next request:"); err != nil {
			return err
		}
	}
	geometry, err := json.MarshalIndent(r.Geometry, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", geometry)
	return err
}
