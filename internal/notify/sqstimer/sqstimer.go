// Package sqstimer times the waves of an order's offers on AWS
// (market.WaveTimer): each wave is an SQS message whose DelaySeconds hides
// it until the wave is due, and placeorder, the queue's consumer, runs the
// wave when the message arrives (notify.PlaceOrderEvents). It is the only
// package that knows SQS's API, so that only the functions that time
// waves (placeorder, fulfilment) link the SQS client.
package sqstimer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/notify"
)

// SendAPI is the part of the SQS client used here.
type SendAPI interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// MaxDelay is the longest delay SQS gives one message, and so the longest
// wave interval (market.MaxWaveInterval).
const MaxDelay = 15 * time.Minute

// Timer sends one delayed message per wave to the queue at QueueURL.
type Timer struct {
	Client   SendAPI
	QueueURL string
	// Now is the clock the delay is measured from; nil is time.Now.
	Now func() time.Time
}

var _ market.WaveTimer = Timer{}

// FromEnv returns the Timer of the queue DISPATCH_QUEUE_URL names
// (through getenv), with the SQS client awsCfg configures.
func FromEnv(awsCfg aws.Config, getenv func(string) string) (Timer, error) {
	url := strings.TrimSpace(getenv("DISPATCH_QUEUE_URL"))
	if url == "" {
		return Timer{}, errors.New("config: missing DISPATCH_QUEUE_URL")
	}
	return Timer{Client: sqs.NewFromConfig(awsCfg), QueueURL: url}, nil
}

// Delay is the DelaySeconds of a wave due at, sent at now: whole seconds
// rounded up, so that a wave never starts before it is due, from 0 (due
// already) to MaxDelay.
func Delay(at, now time.Time) int32 {
	d := math.Ceil(at.Sub(now).Seconds())
	return int32(min(max(d, 0), MaxDelay.Seconds()))
}

// Schedule sends the message that starts wave number wave of the order
// at at.
func (t Timer) Schedule(ctx context.Context, orderID string, wave int, at time.Time) error {
	body, err := json.Marshal(notify.WaveMessage{OrderID: orderID, Wave: wave})
	if err != nil {
		return fmt.Errorf("sqs timer: %w", err)
	}
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	if _, err := t.Client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:     aws.String(t.QueueURL),
		MessageBody:  aws.String(string(body)),
		DelaySeconds: Delay(at, now()),
	}); err != nil {
		return fmt.Errorf("sqs timer: order %s wave %d: %w", orderID, wave, err)
	}
	return nil
}
