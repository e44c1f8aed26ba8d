// Command fulfilment is the Lambda behind the carrier routes (claim, pick
// up, deliver, release) and the company order and profile routes; an order
// released before it was broadcast goes back to its waves through an SQS
// timer message; the carrier page subscribes to push with the VAPID public
// key it hands out. Its logic lives in internal/market (lifecycle.go,
// fulfilment.go), internal/mysql (fulfilment.go) and internal/apigw
// (fulfilment.go).
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/lambdaenv"
	"github.com/deliverymarket/delivery/internal/lambdainit"
	"github.com/deliverymarket/delivery/internal/notify/snssms"
	"github.com/deliverymarket/delivery/internal/notify/sqstimer"
)

func main() {
	fn, err := lambdaenv.Load(context.Background())
	if err != nil {
		lambdainit.Failed("fulfilment", err)
	}
	fn.Deps.Texts = snssms.NewPublisher(fn.AWS, fn.Deps.Logger)
	fn.Deps.VAPIDPublicKey = fn.VAPIDPublicKey(os.Getenv)
	if fn.Deps.Waves, err = sqstimer.FromEnv(fn.AWS, os.Getenv); err != nil {
		lambdainit.Failed("fulfilment", err)
	}
	lambda.Start(app.Fulfilment(fn.Deps).Handle)
}
