// Package dbtest gives each test a fresh, migrated database of its own, so
// that tests run in parallel and never see each other's rows. The database
// lives on the MySQL or MariaDB server named by DELIVERY_TEST_DSN when that
// is set (for example "root@tcp(127.0.0.1:3306)/"), and on an embedded
// go-mysql-server otherwise, so that `go test ./...` needs nothing but Go.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/embeddb"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/migrations"
)

// EnvDSN names the environment variable that points the tests at a real server.
const EnvDSN = "DELIVERY_TEST_DSN"

// serverDSN returns the DSN of a server for one test database. On the
// embedded engine each test gets a server of its own: go-mysql-server v0.20
// lets sessions on different databases of one engine disturb each other
// (a database just created reported missing, rows lost), which real MySQL
// never does. A server starts in about a millisecond.
func serverDSN(tb testing.TB) string {
	tb.Helper()
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		return dsn
	}
	server, err := embeddb.Start()
	if err != nil {
		tb.Fatalf("start embedded database: %v", err)
	}
	tb.Cleanup(func() { server.Close() })
	return server.DSN("")
}

// NewDSN creates a fresh, migrated database and returns its DSN; the
// database is dropped when the test ends.
func NewDSN(tb testing.TB) string {
	tb.Helper()
	cfg, err := mysqldrv.ParseDSN(serverDSN(tb))
	if err != nil {
		tb.Fatalf("%s: %v", EnvDSN, err)
	}
	cfg.DBName = "test_" + randomHex(tb, 8)
	cfg.ParseTime = true
	dsn := cfg.FormatDSN()

	ctx := context.Background()
	if err := mysql.CreateDatabase(ctx, dsn); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		if err := mysql.ExecOnServer(context.Background(), dsn, "DROP DATABASE IF EXISTS "+mysql.QuoteIdent(cfg.DBName)); err != nil {
			tb.Errorf("drop test database: %v", err)
		}
	})
	db, err := mysql.OpenDSN(dsn, 1)
	if err != nil {
		tb.Fatalf("open test database: %v", err)
	}
	defer db.Close()
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		tb.Fatalf("migrate test database: %v", err)
	}
	return dsn
}

// PoolSize is the connections a test pool may open: on the embedded engine
// one, as in the local runner (see embeddb.PoolSize).
func PoolSize() int {
	if os.Getenv(EnvDSN) != "" {
		return 10
	}
	return embeddb.PoolSize
}

// MustOpenDB returns a pool on a fresh, migrated database of the test's own.
func MustOpenDB(tb testing.TB) *sqlx.DB {
	tb.Helper()
	db, err := mysql.OpenDSN(NewDSN(tb), PoolSize())
	if err != nil {
		tb.Fatalf("open test database: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func randomHex(tb testing.TB, n int) string {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatalf("random: %v", err)
	}
	return hex.EncodeToString(b)
}
