package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/notify"
	"github.com/deliverymarket/delivery/internal/notify/lambdainvoke"
	"github.com/deliverymarket/delivery/internal/notify/snssms"
)

// PlaceOrderFromEnv builds the placeorder Lambda's handler: the API
// (POST /api/orders, GET /api/orders/{orderId}), the retry sweep and the
// reports from notifycarrier's destinations. It hands orders off with
// Lambda Invoke through the VPC's Lambda interface endpoint.
func PlaceOrderFromEnv(ctx context.Context) (notify.PlaceOrderEvents, error) {
	function, err := ReadNotifyFunction(os.Getenv)
	if err != nil {
		return notify.PlaceOrderEvents{}, err
	}
	deps, err := FromEnv(ctx)
	if err != nil {
		return notify.PlaceOrderEvents{}, err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return notify.PlaceOrderEvents{}, fmt.Errorf("config: aws: %w", err)
	}
	invoker := lambdainvoke.Invoker{Client: lambda.NewFromConfig(awsCfg), Function: function}
	dispatcher := notify.NewDispatcher(mysql.NewOrderStore(deps.DB), invoker, deps.Logger)
	deps.Notifier = dispatcher
	return notify.PlaceOrderEvents{API: PlaceOrder(deps).Handle, Dispatcher: dispatcher, NotifyFunction: function}, nil
}

// NotifyCarrierFromEnv builds the notifycarrier Lambda's handler. It runs
// outside the VPC and needs no database: only SMS_TOPIC_ARN and SITE_URL,
// the storefront's public address that the SMS links to (refused at start
// if no SMS could hold the whole link).
func NotifyCarrierFromEnv(ctx context.Context) (*notify.Carrier, error) {
	topic, err := ReadSMSTopic(os.Getenv)
	if err != nil {
		return nil, err
	}
	apiEnv, err := ReadAPIEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("config: aws: %w", err)
	}
	logger := Logger(apiEnv.LogLevel)
	slog.SetDefault(logger)
	carrier, err := notify.NewCarrier(snssms.Publisher{Client: sns.NewFromConfig(awsCfg), Log: logger}, topic, os.Getenv("SITE_URL"), logger)
	if err != nil {
		return nil, fmt.Errorf("config: SITE_URL: %w", err)
	}
	return carrier, nil
}
