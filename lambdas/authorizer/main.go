// Command authorizer is the API Gateway Lambda authorizer of the company
// and carrier routes: it validates a company or carrier bearer token and
// returns the policy of its kind and scopes. Its logic lives in
// internal/apigw (authorizer.go) and internal/auth.
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
		slog.Error("authorizer: configure", "error", err)
		os.Exit(1)
	}
	authorizer, err := app.Authorizer(deps)
	if err != nil {
		slog.Error("authorizer: configure", "error", err)
		os.Exit(1)
	}
	lambda.Start(authorizer.Handle)
}
