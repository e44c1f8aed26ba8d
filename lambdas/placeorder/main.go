// Command placeorder is the Lambda behind POST /api/orders and
// GET /api/orders/{orderId}, with the delivery routed by Amazon Location
// Service when ROUTE_CALCULATOR_NAME is set. It also runs the notification
// retry sweep ({"action":"sweep"}, scheduled every minute), records the
// outcomes that notifycarrier's destinations report, and runs each wave
// of an order's offers when its SQS timer message arrives. Its logic lives
// in internal/market, internal/mysql and internal/notify.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/awsroute"
	"github.com/deliverymarket/delivery/internal/lambdaenv"
	"github.com/deliverymarket/delivery/internal/lambdainit"
	"github.com/deliverymarket/delivery/internal/notify/lambdainvoke"
	"github.com/deliverymarket/delivery/internal/notify/sqstimer"
)

func main() {
	fn, err := lambdaenv.Load(context.Background())
	if err != nil {
		lambdainit.Failed("placeorder", err)
	}
	invoker, err := lambdainvoke.FromEnv(fn.AWS, os.Getenv)
	if err != nil {
		lambdainit.Failed("placeorder", err)
	}
	fn.Deps.OfferSender = invoker.WaveSender()
	if fn.Deps.Waves, err = sqstimer.FromEnv(fn.AWS, os.Getenv); err != nil {
		lambdainit.Failed("placeorder", err)
	}
	fn.Deps.Router, fn.Deps.RouteTimeout, err = awsroute.FromEnv(fn.AWS, os.Getenv, fn.Deps.Logger)
	if err != nil {
		lambdainit.Failed("placeorder", err)
	}
	lambda.Start(app.PlaceOrderEvents(fn.Deps, invoker, invoker.Function).Handle)
}
