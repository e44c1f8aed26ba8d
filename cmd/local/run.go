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
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/embeddb"
	"github.com/deliverymarket/delivery/internal/localrun"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/migrations"
)

const (
	embeddedDatabase = "delivery"
	shutdownTimeout  = 10 * time.Second
	connectTimeout   = 30 * time.Second
	// localSweepInterval is how often the notification retry sweep runs
	// locally (every minute on AWS).
	localSweepInterval = 15 * time.Second
)

// run parses args and serves until ctx ends, or runs the token command.
// ready, when not nil, is told the address the server listens on (for
// tests that ask for port 0).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(addr string)) error {
	if len(args) > 0 {
		switch args[0] {
		case "token":
			return tokenCommand(ctx, args[1:], stdout, stderr)
		case "signing-key":
			return signingKeyCommand(ctx, args[1:], stdout, stderr)
		case "carrier":
			return carrierCommand(ctx, args[1:], stdout, stderr)
		case "seed":
			return seedCommand(ctx, args[1:], stdout, stderr)
		}
	}
	flags := flag.NewFlagSet("local", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", ":8080", "address to serve the storefront and API on")
	dsn := flags.String("dsn", os.Getenv("DELIVERY_DSN"), "MySQL DSN to use instead of the embedded database, e.g. 'root@tcp(127.0.0.1:3306)/delivery' (env DELIVERY_DSN)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	apiEnv, err := app.ReadAPIEnv(os.Getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: apiEnv.LogLevel}))

	db, where, closeDB, err := openDatabase(ctx, *dsn)
	if err != nil {
		return err
	}
	defer closeDB()
	version, err := migrations.Up(ctx, db.DB)
	if err != nil {
		return err
	}
	seeded, err := demo.SeedIfEmpty(ctx, db)
	if err != nil {
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
	market, err := localrun.New(localrun.Config{
		DB: db, Currency: apiEnv.Currency, AllowedOrigins: apiEnv.AllowedOrigins,
		Logger: logger, Keyring: keyring, SMSConsole: stdout, SiteURL: base,
	})
	if err != nil {
		return err
	}
	defer market.Wait()
	go market.RunSweeps(ctx, localSweepInterval)
	// The photos' S3 is in memory: the demo photos are drawn into it on
	// every start (the same bytes, so a -dsn database's keys find them).
	if _, err := market.SeedPhotos(ctx); err != nil {
		return err
	}

	server := &http.Server{Handler: market.Handler, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "Delivery marketplace, running locally\n")
	fmt.Fprintf(stdout, "  storefront  %s/\n", base)
	fmt.Fprintf(stdout, "  API         %s/api/products\n", base)
	fmt.Fprintf(stdout, "  database    %s (schema version %d%s)\n", where, version, seededNote(seeded))
	fmt.Fprintf(stdout, "  SMS outbox  %s/_local/sms (carriers' SMS are also printed here)\n", base)
	fmt.Fprintf(stdout, "  photos      %s/images/ from an S3 stand-in in memory at %s/s3/ (uploaded photos are gone when this process stops)\n", base, base)
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
