package snssms

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/deliverymarket/delivery/internal/lambdainit"
	"github.com/deliverymarket/delivery/internal/notify"
)

// CarrierFromEnv builds the notifycarrier function's handler. It runs
// outside the VPC and needs no database, so it starts from here rather
// than internal/lambdaenv: LOG_LEVEL, SMS_TOPIC_ARN, and SITE_URL, the
// storefront's public address that the SMS links to (refused at start if
// no SMS could hold the whole link).
func CarrierFromEnv(ctx context.Context) (*notify.Carrier, error) {
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
	carrier, err := notify.NewCarrier(NewPublisher(awsCfg, logger), nil, topic, os.Getenv("SITE_URL"), logger)
	if err != nil {
		return nil, fmt.Errorf("config: SITE_URL: %w", err)
	}
	return carrier, nil
}
