// Command notifycarrier is the Lambda, outside the VPC, that placeorder
// invokes asynchronously for each new order and each repeated offer: it
// publishes one SMS, composed from the order event alone and ending with the
// claim link on the storefront (SITE_URL), to the carriers' SNS topic
// (SMS_TOPIC_ARN). Its logic lives in internal/notify.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/deliverymarket/delivery/internal/lambdainit"
	"github.com/deliverymarket/delivery/internal/notify/snssms"
)

func main() {
	carrier, err := snssms.CarrierFromEnv(context.Background())
	if err != nil {
		lambdainit.Failed("notifycarrier", err)
	}
	lambda.Start(carrier.Handle)
}
