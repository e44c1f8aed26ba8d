// Package app wires the Lambdas' handlers from their dependencies. The
// Lambdas under lambdas/ and the local runner both build their handlers
// here, so that both run the very same code. It links no AWS client: each
// function builds the clients it calls in its main.go (internal/lambdaenv
// and the adapters), and the runner plays them with local stand-ins.
package app

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/api"
	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/notify"
)

// Deps are what the handlers need.
type Deps struct {
	DB             *sqlx.DB
	Currency       string
	AllowedOrigins []string
	Logger         *slog.Logger
	// Keyring returns the company-token signing key with its issuer and
	// audience; only the authorizer needs it.
	Keyring func(context.Context) (auth.Keyring, error)
	// Signer returns the keyring with the private key that SMS sign-in
	// mints its tokens with; only the signin function needs it.
	Signer apigw.Signer
	// Notifier hands placed orders to the carriers' notifier (a
	// notify.Dispatcher); nil leaves them pending for the retry sweep.
	Notifier market.CarrierNotifier
	// Texts sends SMS to one phone number (sign-in codes, the notice of
	// a cancelled order); nil sends none.
	Texts market.TextSender
	// Uploads presigns photo uploads into the uploads bucket (UPLOADS_BUCKET);
	// nil answers 503 on POST /api/products/{id}/image-uploads.
	Uploads market.UploadSigner
	// Objects reads uploads and writes processed photos (UPLOADS_BUCKET,
	// IMAGES_BUCKET); only the imageprocessor function needs it.
	Objects market.ObjectStore
	// OriginVerifySHA256 makes the API refuse requests that did not come
	// through CloudFront (apigw.Config); nil checks nothing.
	OriginVerifySHA256 []byte
	// Limits bound what one client, phone or carrier, and everyone
	// together, may do; the zero Limits bound nothing.
	Limits market.Limits
	// Delivery are the fee, the longest route and the timezone of the
	// shops' hours; without a Zone, market.DefaultDeliveryRules.
	Delivery market.DeliveryRules
	// Router measures delivery routes (internal/awsroute on AWS); nil,
	// or slower than RouteTimeout (0: market.DefaultRouteTimeout), and
	// every route is the straight-line estimate.
	Router       market.Router
	RouteTimeout time.Duration
	// Dispatch says how placed orders are offered to the carriers; the
	// zero settings broadcast every order.
	Dispatch market.DispatchSettings
	// Waves starts the next wave of an order a carrier released before
	// it was broadcast; nil leaves it to the sweep.
	Waves market.WaveTimer
	// VAPIDPublicKey returns the key carriers' phones subscribe to push
	// with (VAPID_PUBLIC_KEY_SECRET_ARN on AWS); nil answers 503 on the
	// push-subscription routes, and offers go by SMS.
	VAPIDPublicKey func(context.Context) (string, error)
	// OfferSender sends each wave's offers (notifycarrier); placeorder
	// offers orders in waves only with it and Waves (EnableWaves).
	OfferSender notify.OfferSender
}

func (d Deps) api() apigw.Config {
	return apigw.Config{AllowedOrigins: d.AllowedOrigins, Logger: d.Logger, OriginVerifySHA256: d.OriginVerifySHA256}
}

// limiter counts the rate-limited events in the database, where every
// container of a function, and every function, sees the same counts.
func (d Deps) limiter() *market.RateLimiter {
	return &market.RateLimiter{Store: mysql.NewRateStore(d.DB)}
}

func (d Deps) deliveryRules() market.DeliveryRules {
	if d.Delivery.Zone == nil {
		return market.DefaultDeliveryRules()
	}
	return d.Delivery
}

// pricer quotes items with their delivery: the shops' hours, the area
// and the route.
func (d Deps) pricer() market.Pricer {
	return market.Pricer{
		Products: mysql.NewProductStore(d.DB),
		Currency: d.Currency,
		Delivery: &market.Delivery{
			Rules:        d.deliveryRules(),
			Shops:        mysql.NewShopStore(d.DB),
			Area:         mysql.NewAreaStore(d.DB),
			Router:       d.Router,
			RouteTimeout: d.RouteTimeout,
		},
	}
}

// ListProducts is the handler of the listproducts Lambda: the public
// catalog, the companies to filter it by and the delivery area.
func ListProducts(d Deps) *apigw.Function {
	rules := d.deliveryRules()
	return apigw.NewFunction("listproducts", d.api(), map[string]apigw.Endpoint{
		"GET /api/products":  apigw.ListProducts(mysql.NewProductStore(d.DB), d.Currency),
		"GET /api/companies": apigw.ListCompanies(mysql.NewCompanyStore(d.DB), rules.Zone, time.Now),
		"GET /api/area":      apigw.Area(mysql.NewAreaStore(d.DB), rules, d.Currency),
	})
}

// PriceOrder is the handler of the priceorder Lambda.
func PriceOrder(d Deps) *apigw.Function {
	return apigw.NewFunction("priceorder", d.api(), map[string]apigw.Endpoint{
		"POST /api/orders/quote": apigw.Quote(d.pricer()),
	})
}

// UpdateProduct is the handler of the updateproduct Lambda: a company
// managing its own products and their photos (d.Uploads nil: uploads
// answer 503).
func UpdateProduct(d Deps) *apigw.Function {
	store := mysql.NewProductStore(d.DB)
	c := apigw.CompanyProducts{Store: store, Currency: d.Currency}
	photos := apigw.ProductPhotos{Store: store, Products: store, Signer: d.Uploads, Currency: d.Currency}
	endpoints := c.Endpoints()
	maps.Copy(endpoints, photos.Endpoints())
	return apigw.NewFunction("updateproduct", d.api(), endpoints)
}

// PlaceOrder is the API handler of the placeorder Lambda: checkout and
// reading an order back. PlaceOrderFromEnv wraps it for the events that are
// not API requests.
func PlaceOrder(d Deps) *apigw.Function {
	orders := mysql.NewOrderStore(d.DB)
	checkout := market.Checkout{
		Orders: orders, Pricer: d.pricer(), Currency: d.Currency, Notifier: d.Notifier,
		Limits: d.Limits, Limiter: d.limiter(), Dispatch: d.Dispatch,
	}
	return apigw.NewFunction("placeorder", d.api(), map[string]apigw.Endpoint{
		"POST /api/orders":                  apigw.PlaceOrder(checkout),
		"GET /api/orders/{orderId}":         apigw.GetOrder(orders),
		"POST /api/orders/{orderId}/cancel": apigw.CancelOrder(fulfilmentService(d), orders),
	})
}

// Authorizer is the handler of the authorizer Lambda.
func Authorizer(d Deps) (*apigw.Authorizer, error) {
	if d.Keyring == nil {
		return nil, errors.New("config: missing JWT_PUBLIC_KEY_SECRET_ARN (the authorizer verifies tokens with it)")
	}
	routes, err := api.Routes()
	if err != nil {
		return nil, err
	}
	return &apigw.Authorizer{
		Keyring: d.Keyring, Companies: mysql.NewCompanyStore(d.DB), Carriers: mysql.NewCarrierStore(d.DB),
		Routes: routes, Log: d.Logger,
	}, nil
}

// Functions returns every API function's handler by its name in
// api/routes.json.
func Functions(d Deps) map[string]*apigw.Function {
	return map[string]*apigw.Function{
		"listproducts":  ListProducts(d),
		"priceorder":    PriceOrder(d),
		"updateproduct": UpdateProduct(d),
		"placeorder":    PlaceOrder(d),
		"fulfilment":    Fulfilment(d),
		"signin":        SignIn(d),
	}
}
