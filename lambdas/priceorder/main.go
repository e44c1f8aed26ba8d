// Command priceorder is the Lambda behind POST /api/orders/quote: the exact
// bill for a cart at current prices, with its delivery routed by Amazon
// Location Service when ROUTE_CALCULATOR_NAME is set. Its logic lives in
// internal/market.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/awsroute"
	"github.com/deliverymarket/delivery/internal/lambdaenv"
	"github.com/deliverymarket/delivery/internal/lambdainit"
)

func main() {
	fn, err := lambdaenv.Load(context.Background())
	if err != nil {
		lambdainit.Failed("priceorder", err)
	}
	fn.Deps.Router, fn.Deps.RouteTimeout, err = awsroute.FromEnv(fn.AWS, os.Getenv, fn.Deps.Logger)
	if err != nil {
		lambdainit.Failed("priceorder", err)
	}
	lambda.Start(app.PriceOrder(fn.Deps).Handle)
}
