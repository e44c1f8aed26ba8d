// Package localrun assembles the whole marketplace in one process, as the
// local runner serves it: the storefront at / (with the Content-Security-
// Policy CloudFront adds), the API at /api through the local API Gateway
// and the authorizer, the SMS outbox at /_local/sms (the carriers' order
// SMS and the texts to single phones: sign-in codes, cancel notices;
// unless Config.HideOutbox), the push services' stand-in at /_local/push
// (the carriers' Web Push offers; also unless HideOutbox), each order's
// waves timed in the process, and the product photos: an in-process S3 at
// /s3/ that the console uploads to and that answers only what its own
// credentials sign (in memory, or in a file that outlives the process),
// the image processor run on its events, and the photos at /images/
// (photos.go). Its logs and console hold no order id (logs.go).
// cmd/local and the end-to-end tests both build it here, so
// that the tests exercise exactly what a developer runs.
package localrun

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/api"
	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/localgw"
	"github.com/deliverymarket/delivery/internal/locals3"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/notify"
	"github.com/deliverymarket/delivery/internal/notify/pushlocal"
	"github.com/deliverymarket/delivery/internal/notify/webpush"
	"github.com/deliverymarket/delivery/site"
)

// Config is what the marketplace runs with.
type Config struct {
	DB             *sqlx.DB
	Currency       string
	AllowedOrigins []string
	Logger         *slog.Logger
	Keyring        auth.Keyring
	// SMSConsole, when not nil, is where each SMS is printed: a carrier
	// SMS whole, a text to one phone masked unless HideOutbox.
	SMSConsole io.Writer
	// HideOutbox leaves /_local/sms unserved (404) for a runner that
	// others can reach, since the page shows every sign-in code to
	// whoever asks; each text to one phone is then printed whole on
	// SMSConsole, which New requires.
	HideOutbox bool
	// SiteURL is the marketplace's own address, where the carriers' SMS
	// link to (the runner's http://localhost:8080); DefaultSiteURL when
	// empty.
	SiteURL string
	// Limits bound what one client, phone or carrier, and everyone
	// together, may do, as on AWS (app.DefaultLimits unless LIMIT_* says
	// otherwise); the zero Limits bound nothing.
	Limits market.Limits
	// Delivery are the delivery fee, the longest route and the timezone
	// (app.ReadDeliveryRules); without a Zone, the defaults. Every route
	// is the straight-line estimate: Amazon Location runs only on AWS.
	Delivery market.DeliveryRules
	// Dispatch is how placed orders are offered to the carriers, as on
	// AWS (app.ReadDispatchSettings): in waves, each timed in this
	// process, or broadcast; the zero settings broadcast every order.
	Dispatch market.DispatchSettings
	// S3File, when set, is the bolt file the photos' S3 keeps its objects
	// in, so that photos uploaded to a database that persists outlive the
	// process (locals3.Config.File: one process at a time); in memory when
	// empty.
	S3File string
}

// DefaultSiteURL is the address of a runner started with its defaults.
const DefaultSiteURL = "http://localhost:8080"

// Marketplace is the assembled marketplace.
type Marketplace struct {
	Handler http.Handler
	Outbox  *notify.Outbox
	// Push is the push services' stand-in: every Web Push of an offer.
	Push *pushlocal.Service
	// S3 is the photos' S3, with UploadsBucket and ImagesBucket.
	S3         *locals3.Server
	db         *sqlx.DB
	dispatcher *notify.Dispatcher
	invoker    *notify.LocalInvoker
	waves      *notify.LocalTimer
	photos     *photoStack
}

// New assembles the marketplace from the same handlers the Lambdas run;
// Close lets go of what it opened.
func New(cfg Config) (_ *Marketplace, err error) {
	routes, err := api.Routes()
	if err != nil {
		return nil, err
	}
	if cfg.HideOutbox && cfg.SMSConsole == nil {
		return nil, errors.New("localrun: with the outbox page hidden, sign-in codes need an SMS console")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger = slog.New(WithoutOrderIDs(logger.Handler()))
	photos, err := newPhotoStack(cfg.S3File)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			photos.s3.Close()
		}
	}()
	deps := app.Deps{
		DB: cfg.DB, Currency: cfg.Currency, AllowedOrigins: cfg.AllowedOrigins, Logger: logger, Limits: cfg.Limits, Delivery: cfg.Delivery,
		Keyring: func(context.Context) (auth.Keyring, error) { return cfg.Keyring, nil },
		Signer:  func(context.Context) (auth.Keyring, error) { return cfg.Keyring, nil },
		Uploads: photos.uploads,
		Objects: photos.objects,
	}
	// The hand-off to notifycarrier runs in-process, and SNS is an outbox
	// that lists each SMS, to the carriers' topic and to single phones
	// (and prints it on SMSConsole).
	outbox := notify.NewOutbox(nil)
	texts := newSMSConsole(outbox, cfg.SMSConsole, cfg.HideOutbox)
	siteURL := cfg.SiteURL
	if siteURL == "" {
		siteURL = DefaultSiteURL
	}
	// Web Push goes to a stand-in of the push services, which lists what
	// it receives, signed with a VAPID key of this process's own.
	pushes := pushlocal.New()
	vapid, err := newVAPIDKey()
	if err != nil {
		return nil, err
	}
	pusher, err := webpush.NewSender(vapid, localVAPIDSubject, pushes.Client())
	if err != nil {
		return nil, err
	}
	vapidPublic, err := webpush.PublicKey(vapid)
	if err != nil {
		return nil, err
	}
	deps.VAPIDPublicKey = func(context.Context) (string, error) { return vapidPublic, nil }
	dispatcher, invoker, err := notify.NewLocal(mysql.NewOrderStore(cfg.DB), texts, pusher, siteURL, logger)
	if err != nil {
		return nil, err
	}
	// Each wave is timed in-process and sent by the in-process
	// notifycarrier, as placeorder invokes it on AWS.
	waves := notify.NewLocalTimer(dispatcher.RunWave, logger)
	deps.Dispatch, deps.Waves, deps.OfferSender = cfg.Dispatch, waves, invoker.Carrier()
	deps = app.EnableWaves(deps, dispatcher)
	deps.Notifier = dispatcher
	deps.Texts = texts

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
	processor, err := app.ImageProcessor(deps)
	if err != nil {
		return nil, err
	}
	processor.Bucket = UploadsBucket
	photos.events.handle, photos.events.log = processor.Handle, logger
	photos.s3.OnObjectCreated = photos.events.objectCreated(photos.s3)

	mux := http.NewServeMux()
	mux.Handle("/api/", gateway)
	if !cfg.HideOutbox {
		mux.Handle("/_local/sms", outbox)
		mux.Handle("/_local/push", pushes)
	}
	mux.Handle(S3Path, http.StripPrefix(strings.TrimSuffix(S3Path, "/"), photos.s3))
	mux.HandleFunc(market.ImagePathPrefix, photos.serveImage)
	mux.Handle("/", withCSP(http.FileServerFS(site.Files)))
	return &Marketplace{Handler: mux, Outbox: outbox, Push: pushes, S3: photos.s3, db: cfg.DB, dispatcher: dispatcher, invoker: invoker, waves: waves, photos: photos}, nil
}

// localVAPIDSubject is the contact the runner's pushes name; the stand-in
// never contacts anyone.
const localVAPIDSubject = "mailto:carriers@localhost"

// newVAPIDKey returns a fresh VAPID private key, as webpush.NewSender
// takes it: a runner's pushes need no key that outlives it, since its
// push service is a stand-in that checks none.
func newVAPIDKey() (string, error) {
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(key.Bytes()), nil
}

// withCSP sends the site's Content-Security-Policy with every file, as
// CloudFront's response headers policy does: the console has no policy of
// its own in a meta tag, since on AWS it posts photos to S3's origin,
// which only the header names.
func withCSP(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", site.ContentSecurityPolicy)
		h.ServeHTTP(w, r)
	})
}

// SeedPhotos puts the demo products' drawn photos in the local S3 and
// gives them to the demo products without a photo (demo.SeedPhotos): an
// S3 in memory starts empty, so the runner does it on every start (the
// same bytes under the same keys, which a kept S3 already has). It returns
// how many products it gave a photo.
func (m *Marketplace) SeedPhotos(ctx context.Context) (int, error) {
	return demo.SeedPhotos(ctx, m.db, m.photos.objects)
}

// RunSweeps retries due carrier notifications every interval until ctx
// ends, as the scheduled sweep does on AWS.
func (m *Marketplace) RunSweeps(ctx context.Context, interval time.Duration) {
	notify.RunSweeps(ctx, m.dispatcher, interval)
}

// Wait returns when every in-process hand-off has finished: the waves
// due so far, the carrier notifications and the photos' events.
func (m *Marketplace) Wait() {
	m.waves.Wait()
	m.invoker.Wait()
	m.photos.events.Wait()
}

// Close cancels the waves not yet due (the sweep starts them when a
// runner starts on the same database again), waits for the hand-offs
// (Wait), then closes the photos' S3, letting go of its file. Call it
// once Handler serves no more requests.
func (m *Marketplace) Close() error {
	m.waves.Stop()
	m.Wait()
	return m.photos.s3.Close()
}
