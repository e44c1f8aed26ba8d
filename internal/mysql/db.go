// Package mysql stores the marketplace in MySQL through sqlx. Every query is
// a const string next to the method that uses it, with every value passed as
// a parameter; driver errors are translated into market errors here and
// nowhere else.
package mysql

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
)

// Credentials are a database user name and password.
type Credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// CredentialSource supplies credentials for new connections. Sources that
// fetch from elsewhere cache the result; Invalidate drops the cache so that
// the next call fetches again (after MySQL rejected the cached ones, as
// happens when a secret is rotated).
type CredentialSource interface {
	Credentials(ctx context.Context) (Credentials, error)
	Invalidate()
}

// StaticCredentials never change; for DSNs given on the command line.
type StaticCredentials Credentials

// Credentials returns c.
func (c StaticCredentials) Credentials(context.Context) (Credentials, error) {
	return Credentials(c), nil
}

// Invalidate does nothing: there is nothing to fetch again.
func (StaticCredentials) Invalidate() {}

// Settings say where the database is and how to pool connections to it.
type Settings struct {
	Addr        string // host:port
	Database    string
	Credentials CredentialSource
	// TLSCAFile is a PEM bundle (the RDS CA bundle in AWS). When set, the
	// connection uses TLS verified against it; when empty, plain TCP, as
	// for a local database.
	TLSCAFile string
	// MaxOpenConns caps the pool; LambdaPool's value when zero.
	MaxOpenConns int
}

// Pool sizes and lifetimes. A Lambda container serves one invocation at a
// time, so two connections cover a transaction plus a stray query, and a
// small cap keeps many concurrent containers within the RDS max_connections.
// A container can be frozen for minutes between invocations; connections
// idle past ConnMaxIdleTime or older than ConnMaxLifetime are not reused,
// which keeps the pool from handing out sockets that RDS, a rotation or the
// network closed while the container was frozen (the driver also checks a
// socket's liveness before reuse). dialTimeout and ioTimeout bound the work
// that no request deadline covers (the sweep, migrations); an API request
// is bounded tighter by apigw.RequestTimeout, whose context the driver
// honours while dialling, signing in and waiting for a result.
const (
	LambdaPool      = 2
	connMaxLifetime = 5 * time.Minute
	connMaxIdleTime = time.Minute
	dialTimeout     = 5 * time.Second
	ioTimeout       = 30 * time.Second
)

// Open returns a connection pool for s. It does not connect: the first
// query does, so that a database outage shows as a 503 on a request rather
// than as a failed cold start.
func Open(s Settings) (*sqlx.DB, error) {
	cfg := mysqldrv.NewConfig()
	cfg.Net = "tcp"
	cfg.Addr = s.Addr
	cfg.DBName = s.Database
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.Timeout = dialTimeout
	cfg.ReadTimeout = ioTimeout
	cfg.WriteTimeout = ioTimeout
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	// Arguments are escaped into the query text rather than sent with a
	// server-side prepared statement: one round trip instead of three,
	// and RDS Proxy pins a session that prepares statements to one MySQL
	// connection, which would undo its multiplexing.
	cfg.InterpolateParams = true
	if s.TLSCAFile != "" {
		tlsConfig, err := tlsConfigFromBundle(s.TLSCAFile, s.Addr)
		if err != nil {
			return nil, err
		}
		cfg.TLS = tlsConfig
	}
	if s.Credentials == nil {
		return nil, errors.New("mysql: no credential source")
	}
	if err := cfg.Apply(mysqldrv.BeforeConnect(func(ctx context.Context, c *mysqldrv.Config) error {
		creds, err := s.Credentials.Credentials(ctx)
		if err != nil {
			return &market.Error{Code: market.CodeUnavailable, Message: "the database credentials are unavailable", Err: err}
		}
		c.User, c.Passwd = creds.Username, creds.Password
		return nil
	})); err != nil {
		return nil, fmt.Errorf("mysql: %w", err)
	}
	connector, err := mysqldrv.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("mysql: %w", err)
	}
	db := sqlx.NewDb(sql.OpenDB(&refetchingConnector{Connector: connector, creds: s.Credentials}), "mysql")
	maxOpen := s.MaxOpenConns
	if maxOpen == 0 {
		maxOpen = LambdaPool
	}
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxOpen)
	db.SetConnMaxLifetime(connMaxLifetime)
	db.SetConnMaxIdleTime(connMaxIdleTime)
	return db, nil
}

// OpenDSN opens a pool for a go-sql-driver DSN such as
// "root@tcp(127.0.0.1:3306)/delivery", for local runs and tests.
func OpenDSN(dsn string, maxOpenConns int) (*sqlx.DB, error) {
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("mysql: bad DSN: %w", err)
	}
	return Open(Settings{
		Addr:         cfg.Addr,
		Database:     cfg.DBName,
		Credentials:  StaticCredentials{Username: cfg.User, Password: cfg.Passwd},
		MaxOpenConns: maxOpenConns,
	})
}

func tlsConfigFromBundle(path, addr string) (*tls.Config, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mysql: read CA bundle: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("mysql: CA bundle %s holds no PEM certificate", path)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	return &tls.Config{RootCAs: roots, ServerName: host, MinVersion: tls.VersionTLS12}, nil
}

// refetchingConnector retries a connection once with freshly fetched
// credentials when MySQL rejects the cached ones (error 1045), which is
// what a Lambda sees after the RDS-managed secret was rotated.
type refetchingConnector struct {
	driver.Connector
	creds CredentialSource

	// generation counts invalidations, so that of a burst of connections
	// rejected with the same stale credentials only the first drops the
	// cache; the others retry with what it fetched.
	mu         sync.Mutex
	generation uint64
}

func (c *refetchingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	c.mu.Lock()
	seen := c.generation
	c.mu.Unlock()
	conn, err := c.Connector.Connect(ctx)
	if isAccessDenied(err) {
		c.mu.Lock()
		if c.generation == seen {
			c.creds.Invalidate()
			c.generation++
		}
		c.mu.Unlock()
		conn, err = c.Connector.Connect(ctx)
	}
	if err != nil && ctx.Err() == nil && isConnectionLost(err) {
		// A connection that was never established ran nothing, so
		// database/sql may safely try a new one (it does on ErrBadConn,
		// up to three times, within the request's deadline). This matters
		// when the database comes back: a connection database/sql opened
		// in the background during the outage fails then, and its error
		// goes to the request waiting for a connection, which would
		// otherwise answer 503 although the database is up again.
		return nil, fmt.Errorf("%w: %w", driver.ErrBadConn, err)
	}
	return conn, err
}

// isConnectionLost says whether err is the network failing (a refused or
// reset connection, a handshake cut short) rather than the server
// answering with an error, which a new connection would only repeat.
func isConnectionLost(err error) bool {
	var netErr net.Error
	return errors.Is(err, mysqldrv.ErrInvalidConn) || errors.As(err, &netErr)
}

const (
	errAccessDenied       = 1045
	errTooManyConnections = 1040
	errServerShutdown     = 1053
	errDuplicateEntry     = 1062
	errLockWaitTimeout    = 1205
	errDeadlock           = 1213
	// RDS Proxy found no free MySQL connection within its borrow timeout.
	errProxyBorrowTimeout = 9501
)

func isAccessDenied(err error) bool {
	var me *mysqldrv.MySQLError
	return errors.As(err, &me) && me.Number == errAccessDenied
}

// CreateDatabase creates the database that dsn names if it does not exist,
// connecting to the server without selecting a database.
func CreateDatabase(ctx context.Context, dsn string) error {
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return fmt.Errorf("mysql: bad DSN: %w", err)
	}
	return ExecOnServer(ctx, dsn, "CREATE DATABASE IF NOT EXISTS "+QuoteIdent(cfg.DBName))
}

// ExecOnServer runs one administrative statement on the server of dsn,
// whatever database dsn names.
func ExecOnServer(ctx context.Context, dsn, statement string) error {
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return fmt.Errorf("mysql: bad DSN: %w", err)
	}
	cfg.DBName = ""
	connector, err := mysqldrv.NewConnector(cfg)
	if err != nil {
		return fmt.Errorf("mysql: %w", err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	if _, err := db.ExecContext(ctx, statement); err != nil {
		return translate("exec on server", err)
	}
	return nil
}

// QuoteIdent quotes a database identifier; identifiers come from
// configuration, never from requests, but a backquote in one is still
// escaped rather than trusted.
func QuoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}
