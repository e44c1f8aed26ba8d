package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/notify/snssms"
)

// Fulfilment is the handler of the fulfilment Lambda: carriers claiming,
// picking up and delivering orders, and companies preparing them and
// keeping their pickup details.
func Fulfilment(d Deps) *apigw.Function {
	f := apigw.Fulfilment{Service: fulfilmentService(d), Profiles: mysql.NewProfileStore(d.DB)}
	return apigw.NewFunction("fulfilment", d.api(), f.Endpoints())
}

func fulfilmentService(d Deps) market.Fulfilment {
	return market.Fulfilment{Store: mysql.NewFulfilmentStore(d.DB), Texts: d.Texts, Log: d.Logger}
}

// FulfilmentFromEnv builds the fulfilment Lambda's dependencies: the
// database ones, and SNS for the one SMS it sends (to a carrier whose
// order was cancelled), through the VPC's SNS interface endpoint.
func FulfilmentFromEnv(ctx context.Context) (Deps, error) {
	deps, err := FromEnv(ctx)
	if err != nil {
		return Deps{}, err
	}
	if deps.Texts, err = textsFromEnv(ctx, deps.Logger); err != nil {
		return Deps{}, err
	}
	return deps, nil
}

// textsFromEnv returns the SNS client that sends SMS to one phone number,
// with the default AWS configuration.
func textsFromEnv(ctx context.Context, logger *slog.Logger) (market.TextSender, error) {
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("config: aws: %w", err)
	}
	return snssms.Publisher{Client: sns.NewFromConfig(awsCfg), Log: logger}, nil
}
