package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/deliverymarket/delivery/internal/market"
)

// PublishAPI is the part of the SNS client used here.
type PublishAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// SNSPublisher publishes SMS with SNS: to the carriers' topic, and to
// single phone numbers (market.TextSender: sign-in codes, cancel notices).
type SNSPublisher struct {
	Client PublishAPI
	Log    *slog.Logger // nil: slog.Default()
}

var _ market.TextSender = SNSPublisher{}

// smsType makes SNS deliver with the reliability (and price) of
// transactional messages, which carriers' order alerts and sign-in codes
// are.
var smsType = map[string]snstypes.MessageAttributeValue{
	"AWS.SNS.SMS.SMSType": {DataType: aws.String("String"), StringValue: aws.String("Transactional")},
}

// Publish sends m.Message to m.TopicARN or m.PhoneNumber as a
// transactional SMS. An error never holds the phone number unmasked.
func (p SNSPublisher) Publish(ctx context.Context, m SMS) (string, error) {
	if err := m.check(); err != nil {
		return "", err
	}
	in := &sns.PublishInput{Message: aws.String(m.Message), MessageAttributes: smsType}
	if m.PhoneNumber != "" {
		in.PhoneNumber = aws.String(m.PhoneNumber)
	} else {
		in.TopicArn = aws.String(m.TopicARN)
	}
	out, err := p.Client.Publish(ctx, in)
	if err != nil {
		return "", redact(fmt.Errorf("sns publish: %w", err), m.PhoneNumber)
	}
	return aws.ToString(out.MessageId), nil
}

// SendText sends text to phone alone. Neither the number nor the text
// (a sign-in code) is logged; the log names the number masked.
func (p SNSPublisher) SendText(ctx context.Context, phone, text string) error {
	id, err := p.Publish(ctx, SMS{PhoneNumber: phone, Message: text})
	if err != nil {
		return err
	}
	logger := p.Log
	if logger == nil {
		logger = slog.Default()
	}
	logger.InfoContext(ctx, "notify: text sent", "phone", MaskPhone(phone), "messageId", id)
	return nil
}

// InvokeAPI is the part of the Lambda client used here.
type InvokeAPI interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// LambdaInvoker hands events to the notifycarrier function with an
// asynchronous (InvocationType Event) Invoke: Lambda queues the event and
// answers 202 at once.
type LambdaInvoker struct {
	Client   InvokeAPI
	Function string // name or ARN of notifycarrier
}

// Invoke queues e for notifycarrier.
func (l LambdaInvoker) Invoke(ctx context.Context, e OrderEvent) error {
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
