// Command signin is the Lambda behind SMS sign-in: carriers and companies
// ask for a code by SMS and exchange it for a token. Its logic lives in
// internal/market (signin.go), internal/apigw (signin.go) and
// internal/auth.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/deliverymarket/delivery/internal/app"
)

func main() {
	deps, err := app.SignInFromEnv(context.Background())
	if err != nil {
		slog.Error("signin: configure", "error", err)
		os.Exit(1)
	}
	lambda.Start(app.SignIn(deps).Handle)
}
