// Command listproducts is the Lambda behind GET /api/products: the storefront
// catalog, one keyset page at a time. Its logic lives in internal/apigw.
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
		lambdainit.Failed("listproducts", err)
	}
	lambda.Start(app.ListProducts(fn.Deps).Handle)
}
