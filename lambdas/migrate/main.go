// Command migrate is the Lambda setup.sh invokes to apply the embedded
// goose migrations inside the VPC, to create a first company, and to add,
// remove and list carriers, keeping the carriers' SNS topic subscribed to
// the active carriers' phones (SMS_TOPIC_ARN). Its logic lives in
// internal/app (migrate.go) and migrations/.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/deliverymarket/delivery/internal/app"
)

func main() {
	handler, err := app.MigrateFromEnv(context.Background())
	if err != nil {
		app.InitFailed("migrate", err)
	}
	lambda.Start(handler)
}
