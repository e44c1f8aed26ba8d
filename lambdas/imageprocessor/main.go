// Command imageprocessor is the Lambda that S3 starts for each upload in
// the uploads bucket (ObjectCreated, prefix uploads/): it decodes the
// company's photo for real, refuses anything that is not a safe image,
// writes two clean JPEG widths to the images bucket that CloudFront serves
// under /images/, sets the product's photo (or records why it was refused)
// and deletes the upload. Its logic lives in internal/market (photos.go),
// internal/images and internal/s3store.
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
		lambdainit.Failed("imageprocessor", err)
	}
	objects, err := s3store.ObjectsFromEnv(fn.AWS, os.Getenv)
	if err != nil {
		lambdainit.Failed("imageprocessor", err)
	}
	fn.Deps.Objects = objects
	h, err := app.ImageProcessor(fn.Deps)
	if err != nil {
		lambdainit.Failed("imageprocessor", err)
	}
	h.Bucket = objects.UploadsBucket()
	lambda.Start(h.Handle)
}
