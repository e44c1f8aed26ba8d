// Command placeorder is the Lambda behind POST /api/orders and
// GET /api/orders/{orderId}. It also runs the notification retry sweep
// ({"action":"sweep"}, scheduled every minute) and records the outcomes
// that notifycarrier's destinations report. Its logic lives in
// internal/market, internal/mysql and internal/notify.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/deliverymarket/delivery/internal/app"
)

func main() {
	h, err := app.PlaceOrderFromEnv(context.Background())
	if err != nil {
		app.InitFailed("placeorder", err)
	}
	lambda.Start(h.Handle)
}
