// Package localrun assembles the whole marketplace in one process, as the
// local runner serves it: the storefront at /, the API at /api through the
// local API Gateway and the authorizer, and the SMS outbox at /_local/sms
// (the carriers' order SMS and the texts to single phones: sign-in codes,
// cancel notices). cmd/local and the end-to-end tests both build it
// here, so that the tests exercise exactly what a developer runs.
package localrun

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/api"
	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/localgw"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/notify"
	"github.com/deliverymarket/delivery/site"
)

// Config is what the marketplace runs with.
type Config struct {
	DB             *sqlx.DB
	Currency       string
	AllowedOrigins []string
	Logger         *slog.Logger
	Keyring        auth.Keyring
	// SMSConsole, when not nil, is where each carrier SMS is printed.
	SMSConsole io.Writer
	// SiteURL is the marketplace's own address, where the carriers' SMS
	// link to (the runner's http://localhost:8080); DefaultSiteURL when
	// empty.
	SiteURL string
}

// DefaultSiteURL is the address of a runner started with its defaults.
const DefaultSiteURL = "http://localhost:8080"

// Marketplace is the assembled marketplace.
type Marketplace struct {
	Handler    http.Handler
	Outbox     *notify.Outbox
	dispatcher *notify.Dispatcher
	invoker    *notify.LocalInvoker
}

// New assembles the marketplace from the same handlers the Lambdas run.
func New(cfg Config) (*Marketplace, error) {
	routes, err := api.Routes()
	if err != nil {
		return nil, err
	}
	deps := app.Deps{
		DB: cfg.DB, Currency: cfg.Currency, AllowedOrigins: cfg.AllowedOrigins, Logger: cfg.Logger,
		Keyring: func(context.Context) (auth.Keyring, error) { return cfg.Keyring, nil },
		Signer:  func(context.Context) (auth.Keyring, error) { return cfg.Keyring, nil },
	}
	// The hand-off to notifycarrier runs in-process, and SNS is an outbox
	// that lists each SMS, to the carriers' topic and to single phones
	// (and prints it on SMSConsole).
	outbox := notify.NewOutbox(cfg.SMSConsole)
	siteURL := cfg.SiteURL
	if siteURL == "" {
		siteURL = DefaultSiteURL
	}
	dispatcher, invoker, err := notify.NewLocal(mysql.NewOrderStore(cfg.DB), outbox, siteURL, cfg.Logger)
	if err != nil {
		return nil, err
	}
	deps.Notifier = dispatcher
	deps.Texts = outbox

	handlers := map[string]localgw.Handler{}
	for name, fn := range app.Functions(deps) {
		handlers[name] = fn.Handle
	}
	authorizer, err := app.Authorizer(deps)
	if err != nil {
		return nil, err
	}
	gateway, err := localgw.New(routes, handlers, authorizer.Handle)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", gateway)
	mux.Handle("/_local/sms", outbox)
	mux.Handle("/", http.FileServerFS(site.Files))
	return &Marketplace{Handler: mux, Outbox: outbox, dispatcher: dispatcher, invoker: invoker}, nil
}

// RunSweeps retries due carrier notifications every interval until ctx
// ends, as the scheduled sweep does on AWS.
func (m *Marketplace) RunSweeps(ctx context.Context, interval time.Duration) {
	notify.RunSweeps(ctx, m.dispatcher, interval)
}

// Wait returns when every in-process hand-off has finished.
func (m *Marketplace) Wait() { m.invoker.Wait() }
