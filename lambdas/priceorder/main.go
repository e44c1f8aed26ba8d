// Command priceorder is the Lambda behind POST /api/orders/quote: the exact
// bill for a cart at current prices. Its logic lives in internal/market.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/deliverymarket/delivery/internal/app"
)

func main() {
	deps, err := app.FromEnv(context.Background())
	if err != nil {
		slog.Error("priceorder: configure", "error", err)
		os.Exit(1)
	}
	lambda.Start(app.PriceOrder(deps).Handle)
}
