// Package snssms sends the carriers' SMS through SNS: the order SMS to the
// carriers' topic and texts to one phone (notify.Publisher,
// market.TextSender), and keeps the topic's SMS subscriptions equal to the
// active carriers' phones. It is the only package that knows SNS's API, so
// that only the functions that send SMS link the SNS client; the local
// runner's outbox stands in for it.
package snssms

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/notify"
)

// PublishAPI is the part of the SNS client used to send.
type PublishAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Publisher publishes SMS with SNS: to the carriers' topic, and to single
// phone numbers (sign-in codes, cancel notices).
type Publisher struct {
	Client PublishAPI
	Log    *slog.Logger // nil: slog.Default()
}

var (
	_ notify.Publisher  = Publisher{}
	_ market.TextSender = Publisher{}
)

// NewPublisher returns the Publisher of the SNS client awsCfg configures.
func NewPublisher(awsCfg aws.Config, logger *slog.Logger) Publisher {
	return Publisher{Client: sns.NewFromConfig(awsCfg), Log: logger}
}

// smsType makes SNS deliver with the reliability (and price) of
// transactional messages, which carriers' order alerts and sign-in codes
// are.
var smsType = map[string]snstypes.MessageAttributeValue{
	"AWS.SNS.SMS.SMSType": {DataType: aws.String("String"), StringValue: aws.String("Transactional")},
}

// Publish sends m.Message to m.TopicARN or m.PhoneNumber as a
// transactional SMS. An error never holds the phone number unmasked.
func (p Publisher) Publish(ctx context.Context, m notify.SMS) (string, error) {
	if err := m.Check(); err != nil {
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
		return "", notify.MaskPhoneIn(fmt.Errorf("sns publish: %w", err), m.PhoneNumber)
	}
	return aws.ToString(out.MessageId), nil
}

// SendText sends text to phone alone. Neither the number nor the text
// (a sign-in code) is logged; the log names the number masked.
func (p Publisher) SendText(ctx context.Context, phone, text string) error {
	id, err := p.Publish(ctx, notify.SMS{PhoneNumber: phone, Message: text})
	if err != nil {
		return err
	}
	logger := p.Log
	if logger == nil {
		logger = slog.Default()
	}
	logger.InfoContext(ctx, "notify: text sent", "phone", notify.MaskPhone(phone), "messageId", id)
	return nil
}

// ReadTopic reads SMS_TOPIC_ARN, the carriers' SNS topic, through getenv.
func ReadTopic(getenv func(string) string) (string, error) {
	arn := strings.TrimSpace(getenv("SMS_TOPIC_ARN"))
	if !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":sns:") {
		return "", fmt.Errorf("config: SMS_TOPIC_ARN %q is not an SNS topic ARN", arn)
	}
	return arn, nil
}
