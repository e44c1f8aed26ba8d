// Command authorizer is the API Gateway Lambda authorizer of the company
// and carrier routes: it validates a company or carrier bearer token and
// returns the policy of its kind and scopes. Its logic lives in
// internal/apigw (authorizer.go) and internal/auth.
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
		lambdainit.Failed("authorizer", err)
	}
	authorizer, err := app.Authorizer(fn.Deps)
	if err != nil {
		lambdainit.Failed("authorizer", err)
	}
	lambda.Start(authorizer.Handle)
}
