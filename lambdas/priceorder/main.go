// Command priceorder is the Lambda behind POST /api/orders/quote: the exact
// bill for a cart at current prices. Its logic lives in internal/market.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/lambdaenv"
	"github.com/deliverymarket/delivery/internal/lambdainit"
)

func main() {
	fn, err := lambdaenv.Load(context.Background())
	if err != nil {
		lambdainit.Failed("priceorder", err)
	}
	lambda.Start(app.PriceOrder(fn.Deps).Handle)
}
