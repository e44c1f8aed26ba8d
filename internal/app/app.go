// Package app wires the Lambdas' handlers from their dependencies. The
// Lambdas under lambdas/ and the local runner both build their handlers
// here, so that both run the very same code.
package app

import (
	"log/slog"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// Deps are what the handlers need.
type Deps struct {
	DB             *sqlx.DB
	Currency       string
	AllowedOrigins []string
	Logger         *slog.Logger
}

func (d Deps) api() apigw.Config {
	return apigw.Config{AllowedOrigins: d.AllowedOrigins, Logger: d.Logger}
}

// ListProducts is the handler of the listproducts Lambda.
func ListProducts(d Deps) *apigw.Function {
	return apigw.NewFunction("listproducts", d.api(), map[string]apigw.Endpoint{
		"GET /api/products": apigw.ListProducts(mysql.NewProductStore(d.DB), d.Currency),
	})
}

// PriceOrder is the handler of the priceorder Lambda.
func PriceOrder(d Deps) *apigw.Function {
	pricer := market.Pricer{Products: mysql.NewProductStore(d.DB), Currency: d.Currency}
	return apigw.NewFunction("priceorder", d.api(), map[string]apigw.Endpoint{
		"POST /api/orders/quote": apigw.Quote(pricer),
	})
}

// Functions returns every API function's handler by its name in
// api/routes.json.
func Functions(d Deps) map[string]*apigw.Function {
	return map[string]*apigw.Function{
		"listproducts": ListProducts(d),
		"priceorder":   PriceOrder(d),
	}
}
