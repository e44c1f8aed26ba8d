// Command updateproduct is the Lambda behind the company routes: a company
// lists, creates, replaces and archives its own products. Its logic lives in
// internal/apigw (company.go) and internal/market (catalog.go).
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/lambdaenv"
	"github.com/deliverymarket/delivery/internal/lambdainit"
	"github.com/deliverymarket/delivery/internal/s3store"
)

func main() {
	fn, err := lambdaenv.Load(context.Background())
	if err != nil {
		lambdainit.Failed("updateproduct", err)
	}
	if fn.Deps.Uploads, err = s3store.SignerFromEnv(fn.AWS, os.Getenv); err != nil {
		lambdainit.Failed("updateproduct", err)
	}
	lambda.Start(app.UpdateProduct(fn.Deps).Handle)
}
