// Command signin is the Lambda behind SMS sign-in: carriers and companies
// ask for a code by SMS and exchange it for a token. Its logic lives in
// internal/market (signin.go), internal/apigw (signin.go) and
// internal/auth.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/lambdaenv"
	"github.com/deliverymarket/delivery/internal/lambdainit"
	"github.com/deliverymarket/delivery/internal/notify/snssms"
)

func main() {
	fn, err := lambdaenv.Load(context.Background())
	if err != nil {
		lambdainit.Failed("signin", err)
	}
	if fn.Deps.Signer, err = fn.Signer(os.Getenv); err != nil {
		lambdainit.Failed("signin", err)
	}
	fn.Deps.Texts = snssms.NewPublisher(fn.AWS, fn.Deps.Logger)
	lambda.Start(app.SignIn(fn.Deps).Handle)
}
