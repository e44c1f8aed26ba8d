package e2e

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/localrun"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/notify"
)

// stack is the local runner's marketplace, assembled in-process as
// cmd/local/run.go assembles it: the site at /, the API at /api through
// localgw and the authorizer, the SMS outbox at /_local/sms, and the
// photos' S3 at /s3/ with the photos at /images/ (the demo photos only
// where a test asks for them: drawing them is slow under -race).
type stack struct {
	URL     string
	DB      *sqlx.DB
	Keyring auth.Keyring
	Outbox  *notify.Outbox
	Market  *localrun.Marketplace
}

// startStack serves the marketplace on a free port, on a fresh database
// seeded with the demo catalog and area (on DELIVERY_TEST_DSN when set).
func startStack(t *testing.T) *stack {
	t.Helper()
	ctx := context.Background()
	db, err := mysql.OpenDSN(dbtest.NewDSN(t), dbtest.PoolSize())
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := demo.SeedIfEmpty(ctx, db); err != nil {
		t.Fatalf("seed: %v", err)
	}
	// The runner's demo has an area: every order must say where it goes.
	if _, err := demo.SeedArea(ctx, db); err != nil {
		t.Fatalf("seed the area: %v", err)
	}
	// A key pair of the test's own, with the local issuer and audience:
	// the developer's key file is never touched.
	key, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyring := auth.Keyring{Private: key, Public: &key.PublicKey, Issuer: auth.LocalIssuer, Audience: auth.LocalAudience}
	// The carriers' SMS link to the site's own address, known once the
	// server listens: it starts before the marketplace it serves exists.
	var handler http.Handler
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	market, err := localrun.New(localrun.Config{DB: db, Currency: "USD", Logger: slog.New(slog.DiscardHandler), Keyring: keyring, SiteURL: server.URL})
	if err != nil {
		server.Close()
		t.Fatalf("assemble the marketplace: %v", err)
	}
	handler = market.Handler
	// Cleanups run last-in first-out: the server stops, then the SMS
	// goroutines finish, then the database closes.
	t.Cleanup(market.Wait)
	t.Cleanup(server.Close)
	return &stack{URL: server.URL, DB: db, Keyring: keyring, Outbox: market.Outbox, Market: market}
}

// token mints a company token, as `go run ./cmd/local token` does.
func (s *stack) token(t *testing.T, company int64) string {
	t.Helper()
	token, err := s.Keyring.Mint(company, auth.DefaultScopes, time.Hour)
	if err != nil {
		t.Fatalf("mint token: %v", err)
	}
	return token
}
