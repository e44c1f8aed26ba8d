package mysql_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// closedAddr returns a loopback address on which nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// hangUpAddr returns the address of a server that accepts connections and
// closes them at once, as a database in the middle of a restart does.
func hangUpAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return l.Addr().String()
}

// silentAddr returns the address of a server that accepts connections and
// never answers.
func silentAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return l.Addr().String()
}

// fakeCredentials is a CredentialSource that answers a wrong password until
// it is first invalidated (or always, with alwaysWrong), and counts calls.
type fakeCredentials struct {
	user, password string
	alwaysWrong    bool
	err            error

	mu          sync.Mutex
	asked       int
	invalidated int
}

func (f *fakeCredentials) Credentials(context.Context) (mysql.Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked++
	if f.err != nil {
		return mysql.Credentials{}, f.err
	}
	if f.alwaysWrong || f.invalidated == 0 {
		return mysql.Credentials{Username: f.user, Password: "wrong-" + f.password}, nil
	}
	return mysql.Credentials{Username: f.user, Password: f.password}, nil
}

func (f *fakeCredentials) Invalidate() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.invalidated++
}

func (f *fakeCredentials) counts() (asked, invalidated int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.asked, f.invalidated
}

func TestUnavailableDatabase(t *testing.T) {
	t.Parallel()
	sourceErr := errors.New("secretsmanager: throttled")
	tests := []struct {
		name    string
		addr    func(*testing.T) string
		creds   mysql.CredentialSource
		timeout time.Duration
	}{
		{name: "closed port", addr: closedAddr, creds: mysql.StaticCredentials{Username: "app", Password: "pw"}},
		{name: "server hangs up", addr: hangUpAddr, creds: mysql.StaticCredentials{Username: "app", Password: "pw"}},
		{name: "server never answers", addr: silentAddr, creds: mysql.StaticCredentials{Username: "app", Password: "pw"}, timeout: 300 * time.Millisecond},
		{name: "credentials unavailable", addr: closedAddr, creds: &fakeCredentials{err: sourceErr}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, err := mysql.Open(mysql.Settings{Addr: tt.addr(t), Database: "delivery", Credentials: tt.creds})
			if err != nil {
				t.Fatalf("Open error = %v; Open must not connect", err)
			}
			defer db.Close()
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			store := mysql.NewProductStore(db)
			start := time.Now()
			_, err = store.ListActive(ctx, market.ProductPage{Limit: 20})
			if code := market.ErrorCode(err); code != market.CodeUnavailable {
				t.Errorf("ListActive error = %v (code %q), want %q", err, code, market.CodeUnavailable)
			}
			if elapsed := time.Since(start); elapsed > 10*time.Second {
				t.Errorf("ListActive took %v to fail", elapsed)
			}
			_, err = store.ProductsByID(ctx, []int64{1, 2})
			if code := market.ErrorCode(err); code != market.CodeUnavailable {
				t.Errorf("ProductsByID error = %v (code %q), want %q", err, code, market.CodeUnavailable)
			}
			if f, ok := tt.creds.(*fakeCredentials); ok && !errors.Is(err, sourceErr) {
				t.Errorf("error = %v, want it to wrap the source's error %v (asked %d)", err, sourceErr, f.asked)
			}
		})
	}
}

// createUser creates a MariaDB/MySQL user with a random password that may
// read the database dsn names, and drops it when the test ends.
func createUser(t *testing.T, dsn string) (user, password string) {
	t.Helper()
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	random := func(n int) string {
		b := make([]byte, n)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(b)
	}
	user, password = "t_"+random(6), random(16)
	ctx := context.Background()
	// Both are hex: safe to place in the statements.
	account := "'" + user + "'@'%'"
	if err := mysql.ExecOnServer(ctx, dsn, "CREATE USER "+account+" IDENTIFIED BY '"+password+"'"); err != nil {
		t.Fatalf("create user: %v", err)
	}
	t.Cleanup(func() {
		if err := mysql.ExecOnServer(context.Background(), dsn, "DROP USER IF EXISTS "+account); err != nil {
			t.Errorf("drop user: %v", err)
		}
	})
	if err := mysql.ExecOnServer(ctx, dsn, "GRANT SELECT ON "+mysql.QuoteIdent(cfg.DBName)+".* TO "+account); err != nil {
		t.Fatalf("grant: %v", err)
	}
	return user, password
}

// After a rotation MySQL refuses the cached password with error 1045; the
// pool fetches the credentials again and retries once.
func TestRefetchCredentialsAfterAccessDenied(t *testing.T) {
	if os.Getenv(dbtest.EnvDSN) == "" {
		t.Skipf("%s is not set: the embedded engine does not check passwords", dbtest.EnvDSN)
	}
	t.Parallel()
	dsn := dbtest.NewDSN(t)
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	user, password := createUser(t, dsn)

	tests := []struct {
		name            string
		alwaysWrong     bool
		wantCode        market.Code // "" for success
		wantAsked       int
		wantInvalidated int
	}{
		{name: "rotated password", wantAsked: 2, wantInvalidated: 1},
		{name: "wrong password for good", alwaysWrong: true, wantCode: market.CodeUnavailable, wantAsked: 2, wantInvalidated: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds := &fakeCredentials{user: user, password: password, alwaysWrong: tt.alwaysWrong}
			db, err := mysql.Open(mysql.Settings{Addr: cfg.Addr, Database: cfg.DBName, Credentials: creds, MaxOpenConns: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			_, err = mysql.NewProductStore(db).ListActive(context.Background(), market.ProductPage{Limit: 5})
			if tt.wantCode == "" && err != nil {
				t.Fatalf("ListActive error = %v, want success after the refetch", err)
			}
			if code := market.ErrorCode(err); tt.wantCode != "" && code != tt.wantCode {
				t.Fatalf("ListActive error = %v (code %q), want %q", err, code, tt.wantCode)
			}
			if tt.wantCode != "" && strings.Contains(err.Error(), password) {
				t.Errorf("error %q holds the password", err)
			}
			if asked, invalidated := creds.counts(); asked != tt.wantAsked || invalidated != tt.wantInvalidated {
				t.Errorf("source asked %d times, invalidated %d; want %d and %d", asked, invalidated, tt.wantAsked, tt.wantInvalidated)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "rds-ca.pem")
	writeCA(t, bundle)
	static := mysql.StaticCredentials{Username: "app", Password: "pw"}

	tests := []struct {
		name        string
		settings    mysql.Settings
		wantErr     bool
		wantMaxOpen int
	}{
		{name: "Lambda defaults", settings: mysql.Settings{Addr: "db.example:3306", Database: "delivery", Credentials: static}, wantMaxOpen: mysql.LambdaPool},
		{name: "own pool size", settings: mysql.Settings{Addr: "db.example:3306", Database: "delivery", Credentials: static, MaxOpenConns: 7}, wantMaxOpen: 7},
		{name: "TLS bundle", settings: mysql.Settings{Addr: "db.example:3306", Database: "delivery", Credentials: static, TLSCAFile: bundle}, wantMaxOpen: mysql.LambdaPool},
		{name: "no credential source", settings: mysql.Settings{Addr: "db.example:3306", Database: "delivery"}, wantErr: true},
		{name: "missing CA bundle", settings: mysql.Settings{Addr: "db.example:3306", Credentials: static, TLSCAFile: filepath.Join(dir, "absent.pem")}, wantErr: true},
		{name: "CA bundle without PEM", settings: mysql.Settings{Addr: "db.example:3306", Credentials: static, TLSCAFile: notPEM}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := mysql.Open(tt.settings)
			if tt.wantErr {
				if err == nil {
					db.Close()
					t.Fatalf("Open(%+v) succeeded, want an error", tt.settings)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open(%+v) error = %v", tt.settings, err)
			}
			defer db.Close()
			if got := db.Stats().MaxOpenConnections; got != tt.wantMaxOpen {
				t.Errorf("Open(%+v) MaxOpenConnections = %d, want %d", tt.settings, got, tt.wantMaxOpen)
			}
		})
	}
}

// writeCA writes a self-signed CA certificate in PEM to path.
func writeCA(t *testing.T, path string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test RDS CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestOpenDSN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		dsn     string
		wantErr bool
	}{
		{name: "local", dsn: "root@tcp(127.0.0.1:3306)/delivery"},
		{name: "with password and params", dsn: "app:secret@tcp(db:3306)/delivery?parseTime=true"},
		{name: "not a DSN", dsn: "mysql://root@localhost/delivery", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := mysql.OpenDSN(tt.dsn, 3)
			if tt.wantErr {
				if err == nil {
					db.Close()
					t.Errorf("OpenDSN(%q) succeeded, want an error", tt.dsn)
				}
				return
			}
			if err != nil {
				t.Fatalf("OpenDSN(%q) error = %v", tt.dsn, err)
			}
			defer db.Close()
			if got := db.Stats().MaxOpenConnections; got != 3 {
				t.Errorf("OpenDSN(%q) MaxOpenConnections = %d, want 3", tt.dsn, got)
			}
		})
	}
}

// CreateDatabase is idempotent, and OpenDSN reaches the database it names.
func TestCreateDatabaseAndOpenDSN(t *testing.T) {
	t.Parallel()
	dsn := dbtest.NewDSN(t)
	ctx := context.Background()
	if err := mysql.CreateDatabase(ctx, dsn); err != nil {
		t.Fatalf("CreateDatabase(existing) error = %v", err)
	}
	db, err := mysql.OpenDSN(dsn, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.GetContext(ctx, &n, `SELECT COUNT(*) FROM products`); err != nil || n != 0 {
		t.Errorf("SELECT COUNT(*) FROM products = %d, %v, want 0 in a fresh database", n, err)
	}
	if err := mysql.ExecOnServer(ctx, dsn, "SELEC 1"); err == nil || market.ErrorCode(err) != market.CodeInternal {
		t.Errorf("ExecOnServer(bad SQL) = %v, want an internal error", err)
	}
}

// flakyFrontAddr listens on a loopback port whose first connection is
// reset at once (as one opened while the database was away fails when it
// comes back) and whose later ones are forwarded to upstream.
func flakyFrontAddr(t *testing.T, upstream string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for first := true; ; first = false {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if first {
				c.(*net.TCPConn).SetLinger(0)
				c.Close()
				continue
			}
			go func() {
				defer c.Close()
				s, err := net.Dial("tcp", upstream)
				if err != nil {
					return
				}
				defer s.Close()
				go func() { io.Copy(s, c); s.Close() }()
				io.Copy(c, s)
			}()
		}
	}()
	return l.Addr().String()
}

// A connection that fails while it is being established ran nothing, so
// the query goes on with a new one instead of failing.
func TestFailedConnectIsRetried(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db, err := mysql.Open(mysql.Settings{
		Addr: flakyFrontAddr(t, cfg.Addr), Database: cfg.DBName,
		Credentials: mysql.StaticCredentials{Username: cfg.User, Password: cfg.Passwd},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := mysql.NewProductStore(db).ListActive(context.Background(), market.ProductPage{Limit: 20}); err != nil {
		t.Errorf("ListActive with the first connection reset = %v, want it to succeed on a new one", err)
	}
}
