// Command fulfilment is the Lambda behind the carrier routes (claim, pick
// up, deliver, release) and the company order and profile routes. Its logic
// lives in internal/market (lifecycle.go, fulfilment.go), internal/mysql
// (fulfilment.go) and internal/apigw (fulfilment.go).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/lambdaenv"
	"github.com/deliverymarket/delivery/internal/lambdainit"
	"github.com/deliverymarket/delivery/internal/notify/snssms"
)

func main() {
	fn, err := lambdaenv.Load(context.Background())
	if err != nil {
		lambdainit.Failed("fulfilment", err)
	}
	fn.Deps.Texts = snssms.NewPublisher(fn.AWS, fn.Deps.Logger)
	lambda.Start(app.Fulfilment(fn.Deps).Handle)
}
