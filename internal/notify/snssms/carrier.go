package snssms

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/deliverymarket/delivery/internal/lambdainit"
	"github.com/deliverymarket/delivery/internal/notify"
)

// CarrierFromEnv builds the notifycarrier function's handler. It runs
// outside the VPC and needs no database, so it starts from here rather
// than internal/lambdaenv: LOG_LEVEL, SMS_TOPIC_ARN, and SITE_URL, the
// storefront's public address that the SMS links to (refused at start if
// no SMS could hold the whole link). push builds the push sender from the
// AWS configuration (webpush.Configure; nil: every offer by SMS); it is
// passed in so that the functions that send SMS alone do not link it.
func CarrierFromEnv(ctx context.Context, push func(context.Context, aws.Config, *slog.Logger) (notify.PushSender, error)) (*notify.Carrier, error) {
	topic, err := ReadTopic(os.Getenv)
	if err != nil {
		return nil, err
	}
	level, err := lambdainit.ReadLogLevel(os.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("config: aws: %w", err)
	}
	logger := lambdainit.Logger(level)
	slog.SetDefault(logger)
	pusher, err := push(ctx, awsCfg, logger)
	if err != nil {
		return nil, err
	}
	carrier, err := notify.NewCarrier(NewPublisher(awsCfg, logger), pusher, topic, os.Getenv("SITE_URL"), logger)
	if err != nil {
		return nil, fmt.Errorf("config: SITE_URL: %w", err)
	}
	return carrier, nil
}
