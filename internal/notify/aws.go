package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// PublishAPI is the part of the SNS client used here.
type PublishAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// SNSPublisher publishes SMS to an SNS topic.
type SNSPublisher struct {
	Client PublishAPI
}

// smsType makes SNS deliver with the reliability (and price) of
// transactional messages, which carriers' order alerts are.
var smsType = map[string]snstypes.MessageAttributeValue{
	"AWS.SNS.SMS.SMSType": {DataType: aws.String("String"), StringValue: aws.String("Transactional")},
}

// Publish sends m.Message to m.TopicARN as a transactional SMS.
func (p SNSPublisher) Publish(ctx context.Context, m SMS) (string, error) {
	out, err := p.Client.Publish(ctx, &sns.PublishInput{
		TopicArn:          aws.String(m.TopicARN),
		Message:           aws.String(m.Message),
		MessageAttributes: smsType,
	})
	if err != nil {
		return "", fmt.Errorf("sns publish: %w", err)
	}
	return aws.ToString(out.MessageId), nil
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
