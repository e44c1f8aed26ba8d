// Package lambdainvoke hands placed orders to the notifycarrier function
// with an asynchronous Lambda Invoke (notify.Invoker), and the waves of
// their offers with a synchronous one (notify.OfferSender). It is the
// only package that knows Lambda's API, so that placeorder alone links
// the Lambda client; the local runner runs both in-process.
package lambdainvoke

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/deliverymarket/delivery/internal/notify"
)

// InvokeAPI is the part of the Lambda client used here.
type InvokeAPI interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Invoker hands events to the notifycarrier function with an asynchronous
// (InvocationType Event) Invoke: Lambda queues the event and answers 202
// at once.
type Invoker struct {
	Client   InvokeAPI
	Function string // name or ARN of notifycarrier
}

var _ notify.Invoker = Invoker{}

// FromEnv returns the Invoker of the function NOTIFY_FUNCTION_NAME names
// (through getenv), with the Lambda client awsCfg configures.
func FromEnv(awsCfg aws.Config, getenv func(string) string) (Invoker, error) {
	function := strings.TrimSpace(getenv("NOTIFY_FUNCTION_NAME"))
	if function == "" {
		return Invoker{}, errors.New("config: missing NOTIFY_FUNCTION_NAME")
	}
	return Invoker{Client: lambda.NewFromConfig(awsCfg), Function: function}, nil
}

// Invoke queues e for notifycarrier.
func (l Invoker) Invoke(ctx context.Context, e notify.OrderEvent) error {
	payload, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("lambda invoke: %w", err)
	}
	out, err := l.Client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(l.Function),
		InvocationType: lambdatypes.InvocationTypeEvent,
		Payload:        payload,
	})
	if err != nil {
		return fmt.Errorf("lambda invoke %s: %w", l.Function, err)
	}
	if out.StatusCode != http.StatusAccepted || out.FunctionError != nil {
		return fmt.Errorf("lambda invoke %s: status %d, function error %q", l.Function, out.StatusCode, aws.ToString(out.FunctionError))
	}
	return nil
}
