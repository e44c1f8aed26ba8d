package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/admin"
	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/cli"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/embeddb"
	"github.com/deliverymarket/delivery/internal/localrun"
	"github.com/deliverymarket/delivery/internal/locals3"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/migrations"
)

const (
	// defaultAddr keeps the runner to this machine: its outbox shows
	// every sign-in code, and its tokens and key are development ones.
	defaultAddr = "127.0.0.1:8080"
	// exposedAddr is where -expose listens when -addr is not given.
	exposedAddr      = ":8080"
	embeddedDatabase = "delivery"
	shutdownTimeout  = 10 * time.Second
	connectTimeout   = 30 * time.Second
	// localSweepInterval is how often the notification retry sweep runs
	// locally (every minute on AWS).
	localSweepInterval = 15 * time.Second
)

// commands are the runner's subcommands; without one it serves.
var commands = []cli.Command{
	{Name: "seed", Summary: "top a MySQL database (-dsn) up to a generated catalog of -products products", Run: seedCommand},
	{Name: "token", Summary: "print a company (-company ID) or carrier (-carrier ID) token signed with the local development key", Run: tokenCommand},
	{Name: "carrier", Summary: "add, remove, suspend, resume or list the carriers of a MySQL database (-dsn): carrier add|remove|suspend|resume|list", Run: carrierCommand},
	{Name: "area", Summary: "set, show or clear the delivery area of a MySQL database (-dsn) from a GeoJSON file: area set FILE|show|clear", Run: areaCommand},
	{Name: "offers", Summary: "list to which carriers an order of a MySQL database (-dsn) was offered, wave by wave: offers ORDER", Run: offersCommand},
	{Name: "company", Summary: "disable or enable a company of a MySQL database (-dsn), or give it a new sign-in phone: company disable|enable|phone", Run: companyCommand},
}

// run runs the subcommand args name, or parses the server's flags and
// serves until ctx ends. A command line it does not understand starts
// nothing: it says why and prints the usage on stderr (cli.ErrUsage).
// ready, when not nil, is told the address the server listens on (for
// tests that ask for port 0).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(addr string)) error {
	flags := flag.NewFlagSet("local", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { printUsage(stderr, flags) }
	addr := flags.String("addr", defaultAddr, "address to serve the storefront and API on: this machine only (loopback) unless -expose")
	expose := flags.Bool("expose", false, "let other machines reach the runner: allows a -addr beyond loopback, and listens on "+exposedAddr+" (every interface) when -addr is not given; the SMS outbox page is then not served unless -sms-outbox, and sign-in codes are printed here instead")
	smsOutbox := flags.Bool("sms-outbox", false, "with -expose, serve the SMS outbox at /_local/sms, every sign-in code included, to anyone who can reach the runner (on loopback it is always served)")
	dsn := flags.String("dsn", os.Getenv("DELIVERY_DSN"), "MySQL DSN to use instead of the embedded database, e.g. 'root@tcp(127.0.0.1:3306)/delivery' (env DELIVERY_DSN)")
	areaFile := flags.String("area", "", "GeoJSON file of the delivery area to set at start (as `area set FILE` does); without it a database holding the demo companies and no area gets the demo's")
	s3File := flags.String("s3-file", os.Getenv("DELIVERY_S3_FILE"), "bolt file to keep the photos' S3 in (env DELIVERY_S3_FILE); default: in memory with the embedded database, <user cache dir>/delivery/local-s3-<database>.bolt with -dsn; '' for memory")
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, ok := cli.Lookup(commands, args[0])
		if !ok {
			return cli.Refuse(stderr, flags.Usage, "local: unknown command %q; the commands are %s", args[0], cli.Names(commands))
		}
		return cmd.Run(ctx, args[1:], stdout, stderr)
	}
	if err := cli.Parse(flags, args); err != nil {
		return err
	}
	s3FileSet, addrSet := false, false
	flags.Visit(func(f *flag.Flag) {
		s3FileSet = s3FileSet || f.Name == "s3-file"
		addrSet = addrSet || f.Name == "addr"
	})
	if *expose && !addrSet {
		*addr = exposedAddr
	}
	if err := checkExposure(ctx, *addr, *expose, *smsOutbox); err != nil {
		return cli.Refuse(stderr, flags.Usage, "local: %v", err)
	}
	hideOutbox := *expose && !*smsOutbox
	apiEnv, err := app.ReadAPIEnv(os.Getenv)
	if err != nil {
		return err
	}
	logHandler := localrun.WithoutOrderIDs(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: apiEnv.LogLevel}))
	logger := slog.New(logHandler)

	db, where, closeDB, err := openDatabase(ctx, *dsn)
	if err != nil {
		return err
	}
	defer closeDB()
	photosFile, err := s3FilePath(*dsn, *s3File, s3FileSet)
	if err != nil {
		return err
	}
	version, err := migrations.Up(ctx, db.DB)
	if err != nil {
		return err
	}
	seeded, err := demo.SeedIfEmpty(ctx, db)
	if err != nil {
		return err
	}
	if err := startArea(ctx, db, *areaFile); err != nil {
		return err
	}

	keyring, err := localKeyring()
	if err != nil {
		return err
	}
	// Listening first gives the runner its own address, which the
	// carriers' SMS link to.
	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer listener.Close()
	base := "http://" + displayAddr(listener.Addr())
	if photosFile != "" {
		if err := os.MkdirAll(filepath.Dir(photosFile), 0o700); err != nil {
			return fmt.Errorf("-s3-file: %w", err)
		}
	}
	market, err := localrun.New(localrun.Config{
		DB: db, Currency: apiEnv.Currency, AllowedOrigins: apiEnv.AllowedOrigins,
		Logger: logger, Keyring: keyring, SMSConsole: stdout, SiteURL: base, S3File: photosFile, Limits: apiEnv.Limits,
		Delivery:   apiEnv.Delivery,
		Dispatch:   apiEnv.Dispatch,
		HideOutbox: hideOutbox,
	})
	if errors.Is(err, locals3.ErrLocked) {
		return fmt.Errorf("-s3-file %s is held by another process, likely a runner on the same database: stop it, or give this one another -s3-file", photosFile)
	}
	if err != nil {
		return err
	}
	defer func() {
		if err := market.Close(); err != nil {
			logger.Error("close the photos' S3", "error", err)
		}
	}()
	go market.RunSweeps(ctx, localSweepInterval)
	// The demo photos are drawn into the photos' S3 on every start, the
	// same bytes under the same keys: an S3 in memory starts empty, and a
	// -dsn database's keys find them.
	if _, err := market.SeedPhotos(ctx); err != nil {
		return err
	}

	// The server's own complaints (a panic, a bad request) go to the same
	// log, through the same redaction.
	server := &http.Server{Handler: market.Handler, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(logHandler, slog.LevelError)}
	fmt.Fprintf(stdout, "Delivery marketplace, running locally\n")
	fmt.Fprintf(stdout, "  storefront  %s/\n", base)
	fmt.Fprintf(stdout, "  API         %s/api/products\n", base)
	fmt.Fprintf(stdout, "  database    %s (schema version %d%s)\n", where, version, seededNote(seeded))
	switch {
	case hideOutbox:
		fmt.Fprintf(stdout, "  SMS outbox  not served (-expose without -sms-outbox): every SMS, sign-in codes included, is printed here\n")
	case *expose:
		fmt.Fprintf(stdout, "  SMS outbox  %s/_local/sms, open to anyone who can reach this runner (-sms-outbox); carriers' SMS are also printed here\n", base)
	default:
		fmt.Fprintf(stdout, "  SMS outbox  %s/_local/sms (carriers' SMS are also printed here)\n", base)
	}
	if photosFile == "" {
		fmt.Fprintf(stdout, "  photos      %s/images/ from an S3 stand-in in memory at %s/s3/ (uploaded photos are gone when this process stops)\n", base, base)
	} else {
		fmt.Fprintf(stdout, "  photos      %s/images/ from an S3 stand-in at %s/s3/, kept in %s (-s3-file)\n", base, base, photosFile)
	}
	if err := printCompanyTokens(ctx, stdout, db, keyring); err != nil {
		return err
	}
	if err := printCarriers(ctx, stdout, db, base); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Request logs go to stderr as JSON. Ctrl-C stops.\n")
	if ready != nil {
		ready(listener.Addr().String())
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- server.Serve(listener) }()
	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintln(stdout, "Stopped.")
	return nil
}

// printUsage prints the runner's command line: how to serve, the
// subcommands and the server's flags.
func printUsage(w io.Writer, server *flag.FlagSet) {
	fmt.Fprintln(w, "Usage:")
	fmt.Fprintln(w, "  go run ./cmd/local [flags]            serve the storefront at / and the API at /api")
	fmt.Fprintln(w, "  go run ./cmd/local COMMAND [flags]    run one of the commands")
	fmt.Fprintln(w, "\nCommands:")
	cli.PrintCommands(w, commands)
	fmt.Fprintln(w, "`go run ./cmd/local COMMAND -h` lists a command's flags.")
	fmt.Fprintln(w, "\nFlags of the server:")
	server.PrintDefaults()
}

// openDatabase opens the database that dsn names, creating it if needed,
// or an embedded in-memory one when dsn is empty.
func openDatabase(ctx context.Context, dsn string) (db *sqlx.DB, where string, closeDB func(), err error) {
	var server *embeddb.Server
	poolSize := 10
	if dsn == "" {
		poolSize = embeddb.PoolSize
		server, err = embeddb.Start()
		if err != nil {
			return nil, "", nil, err
		}
		dsn = server.DSN(embeddedDatabase)
		where = "embedded go-mysql-server, in memory (gone when this process stops)"
	} else {
		cfg, err := mysqldrv.ParseDSN(dsn)
		if err != nil {
			return nil, "", nil, fmt.Errorf("-dsn: %w", err)
		}
		where = fmt.Sprintf("MySQL %s/%s", cfg.Addr, cfg.DBName)
	}
	closeAll := func() {
		if db != nil {
			db.Close()
		}
		if server != nil {
			server.Close()
		}
	}
	connectCtx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := mysql.CreateDatabase(connectCtx, dsn); err != nil {
		closeAll()
		return nil, "", nil, fmt.Errorf("database: %w", err)
	}
	db, err = mysql.OpenDSN(dsn, poolSize)
	if err != nil {
		closeAll()
		return nil, "", nil, err
	}
	return db, where, closeAll, nil
}

// s3FilePath returns the file the photos' S3 is kept in, "" for memory:
// the one -s3-file gives (set says it was given, maybe as ""), or by
// default none with the embedded database, which forgets the products
// too, and, with a database that persists, one named after it in the
// user's cache directory, so that its photos are kept as long as its
// products and another database's are not mixed with them.
func s3FilePath(dsn, file string, set bool) (string, error) {
	if file != "" || set || dsn == "" {
		return file, nil
	}
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("-dsn: %w", err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory to keep the photos in (%w): give -s3-file", err)
	}
	// A database's name may hold any character; a file's, not.
	name := strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, cfg.DBName)
	return filepath.Join(cache, "delivery", "local-s3-"+name+".bolt"), nil
}

func seededNote(seeded bool) string {
	if seeded {
		return ", seeded with demo companies, products and carriers"
	}
	return ""
}

// displayAddr turns a listen address such as [::]:8080 into one a browser
// can open.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// checkExposure refuses a command line that would let other machines
// reach the runner without -expose, and -sms-outbox without -expose,
// where it would change nothing.
func checkExposure(ctx context.Context, addr string, expose, smsOutbox bool) error {
	if smsOutbox && !expose {
		return errors.New("-sms-outbox only applies with -expose: on loopback the outbox is always served")
	}
	if expose {
		return nil
	}
	loopback, err := isLoopback(ctx, addr)
	if err != nil {
		return fmt.Errorf("-addr %s: %w", addr, err)
	}
	if !loopback {
		return fmt.Errorf("-addr %s lets other machines reach the runner; add -expose to allow it (and -sms-outbox to serve them the SMS outbox, every sign-in code included)", addr)
	}
	return nil
}

// isLoopback reports whether a listen address is on this machine only: a
// loopback address, or a name that resolves to loopback addresses alone.
// An empty host (":8080") is every interface.
func isLoopback(ctx context.Context, addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, err
	}
	if host == "" {
		return false, nil
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback(), nil
	}
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return false, err
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return false, nil
		}
	}
	return len(ips) > 0, nil
}

// startArea sets the area of the file named, or gives a demo database
// without an area the demo's.
func startArea(ctx context.Context, db *sqlx.DB, file string) error {
	if file == "" {
		_, err := demo.SeedArea(ctx, db)
		return err
	}
	doc, err := readAreaFile(file)
	if err != nil {
		return err
	}
	if _, err := admin.SetArea(ctx, mysql.NewAreaStore(db), doc); err != nil {
		return fmt.Errorf("-area %s: %w", file, err)
	}
	return nil
}
