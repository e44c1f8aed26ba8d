// Command signin is the Lambda behind SMS sign-in: carriers and companies
// ask for a code by SMS and exchange it for a token. Its logic lives in
// internal/market (signin.go), internal/apigw (signin.go) and
// internal/auth.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/deliverymarket/delivery/internal/app"
)

func main() {
	deps, err := app.SignInFromEnv(context.Background())
	if err != nil {
		app.InitFailed("signin", err)
	}
	lambda.Start(app.SignIn(deps).Handle)
}
