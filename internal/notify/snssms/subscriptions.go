package snssms

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/notify"
)

// Topic is the carriers' SNS topic, whose SMS subscriptions follow the
// active carriers' phones.
type Topic struct {
	Client SubscriptionsAPI
	ARN    string
}

// TopicFromEnv returns the topic SMS_TOPIC_ARN names, with the SNS client
// awsCfg configures.
func TopicFromEnv(awsCfg aws.Config, getenv func(string) string) (Topic, error) {
	arn, err := ReadTopic(getenv)
	if err != nil {
		return Topic{}, err
	}
	return Topic{Client: sns.NewFromConfig(awsCfg), ARN: arn}, nil
}

// Sync makes the topic's SMS subscriptions those of activePhones
// (SyncSubscriptions).
func (t Topic) Sync(ctx context.Context, activePhones []string) (notify.SyncReport, error) {
	return SyncSubscriptions(ctx, t.Client, t.ARN, activePhones)
}

// SubscriptionsAPI is the part of the SNS client that keeps a topic's
// subscriptions.
type SubscriptionsAPI interface {
	ListSubscriptionsByTopic(ctx context.Context, in *sns.ListSubscriptionsByTopicInput, opts ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error)
	Subscribe(ctx context.Context, in *sns.SubscribeInput, opts ...func(*sns.Options)) (*sns.SubscribeOutput, error)
	Unsubscribe(ctx context.Context, in *sns.UnsubscribeInput, opts ...func(*sns.Options)) (*sns.UnsubscribeOutput, error)
}

const smsProtocol = "sms"

// SyncSubscriptions makes the SMS subscriptions of the carriers' topic
// those of activePhones, exactly: it subscribes each phone that has none
// and unsubscribes every SMS subscription whose phone is not among them
// (and any second subscription of one phone, which would send it every SMS
// twice). Subscriptions of other protocols are left alone. An SMS
// subscription needs no confirmation, so it delivers at once.
func SyncSubscriptions(ctx context.Context, client SubscriptionsAPI, topicARN string, activePhones []string) (notify.SyncReport, error) {
	want := map[string]bool{}
	for _, p := range activePhones {
		want[p] = true
	}
	report := notify.SyncReport{Active: len(want)}
	have := map[string]bool{}
	var stale []string
	pages := sns.NewListSubscriptionsByTopicPaginator(client, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return report, fmt.Errorf("list subscriptions of %s: %w", topicARN, err)
		}
		for _, s := range page.Subscriptions {
			if !strings.EqualFold(aws.ToString(s.Protocol), smsProtocol) {
				continue
			}
			phone := endpointPhone(aws.ToString(s.Endpoint))
			arn := aws.ToString(s.SubscriptionArn)
			if want[phone] && !have[phone] {
				have[phone] = true
				continue
			}
			// "PendingConfirmation" and "Deleted" are not ARNs and cannot
			// be unsubscribed; SMS subscriptions are never pending.
			if strings.HasPrefix(arn, "arn:") {
				stale = append(stale, arn)
			}
		}
	}
	for _, arn := range stale {
		if _, err := client.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(arn)}); err != nil {
			return report, fmt.Errorf("unsubscribe: %w", err)
		}
		report.Unsubscribed++
	}
	missing := make([]string, 0, len(want))
	for p := range want {
		if !have[p] {
			missing = append(missing, p)
		}
	}
	slices.Sort(missing)
	for _, p := range missing {
		_, err := client.Subscribe(ctx, &sns.SubscribeInput{
			TopicArn: aws.String(topicARN), Protocol: aws.String(smsProtocol), Endpoint: aws.String(p),
			ReturnSubscriptionArn: true,
		})
		if err != nil {
			return report, fmt.Errorf("subscribe %s: %w", notify.MaskPhone(p), notify.MaskPhoneIn(err, p))
		}
		report.Subscribed++
	}
	return report, nil
}

// endpointPhone reads the phone of an SMS subscription in the form the
// carriers table keeps, or the endpoint as it is if it is not one.
func endpointPhone(endpoint string) string {
	if p, err := market.NormalizePhone(endpoint); err == nil {
		return p
	}
	return endpoint
}
