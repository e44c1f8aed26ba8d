// Command updateproduct is the Lambda behind the company routes: a company
// lists, creates, replaces and archives its own products. Its logic lives in
// internal/apigw (company.go) and internal/market (catalog.go).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/deliverymarket/delivery/internal/app"
)

func main() {
	deps, err := app.FromEnv(context.Background())
	if err != nil {
		app.InitFailed("updateproduct", err)
	}
	lambda.Start(app.UpdateProduct(deps).Handle)
}
