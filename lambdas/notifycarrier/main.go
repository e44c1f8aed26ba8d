// Command notifycarrier is the Lambda, outside the VPC, that tells
// carriers about orders. placeorder invokes it asynchronously with an
// order to broadcast, published as one SMS to the carriers' SNS topic
// (SMS_TOPIC_ARN), and synchronously with each wave of an order's
// offers, sent to each carrier by Web Push (VAPID_PRIVATE_KEY_SECRET_ARN)
// or by SMS to their phone. Every message is composed from the event
// alone and links to the storefront (SITE_URL). Its logic lives in
// internal/notify.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/deliverymarket/delivery/internal/lambdainit"
	"github.com/deliverymarket/delivery/internal/notify/snssms"
	"github.com/deliverymarket/delivery/internal/notify/webpush"
)

func main() {
	carrier, err := snssms.CarrierFromEnv(context.Background(), webpush.Configure)
	if err != nil {
		lambdainit.Failed("notifycarrier", err)
	}
	lambda.Start(carrier.HandleEvent)
}
