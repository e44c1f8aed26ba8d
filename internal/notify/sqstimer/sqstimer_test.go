package sqstimer_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/notify"
	"github.com/deliverymarket/delivery/internal/notify/sqstimer"
)

// fakeSQS records the messages sent, or fails with err.
type fakeSQS struct {
	sent []*sqs.SendMessageInput
	err  error
}

func (f *fakeSQS) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	f.sent = append(f.sent, in)
	return &sqs.SendMessageOutput{MessageId: aws.String("059f36b4-87a3-44ab-83d2-661975830a7d")}, nil
}

const queueURL = "https://sqs.eu-west-1.amazonaws.com/123456789012/delivery-prod-dispatch-waves"

var now = time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC)

// TestSchedule: one message per wave, to the queue, whose body names the
// order and the wave as placeorder reads it back, hidden until the wave
// is due.
func TestSchedule(t *testing.T) {
	tests := []struct {
		name  string
		at    time.Time
		delay int32
	}{
		{"now", now, 0},
		{"past", now.Add(-time.Minute), 0},
		{"a minute", now.Add(time.Minute), 60},
		{"never early", now.Add(59*time.Second + time.Millisecond), 60},
		{"the longest interval", now.Add(market.MaxWaveInterval), 900},
		{"beyond SQS's delay", now.Add(time.Hour), 900},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := &fakeSQS{}
			timer := sqstimer.Timer{Client: client, QueueURL: queueURL, Now: func() time.Time { return now }}
			if err := timer.Schedule(context.Background(), "01m866a89kz1z7dgmnnrvb7r47459mn758bc", 2, tt.at); err != nil {
				t.Fatalf("Schedule = %v", err)
			}
			if len(client.sent) != 1 {
				t.Fatalf("messages sent = %d, want 1", len(client.sent))
			}
			in := client.sent[0]
			if aws.ToString(in.QueueUrl) != queueURL || in.DelaySeconds != tt.delay {
				t.Errorf("SendMessage(queue %q, delay %d), want (%q, %d)", aws.ToString(in.QueueUrl), in.DelaySeconds, queueURL, tt.delay)
			}
			if body := aws.ToString(in.MessageBody); body != `{"orderId":"01m866a89kz1z7dgmnnrvb7r47459mn758bc","wave":2}` {
				t.Errorf("body = %s, want the order and the wave alone", body)
			}
			m, err := notify.ParseWaveMessage(aws.ToString(in.MessageBody))
			if err != nil || m != (notify.WaveMessage{OrderID: "01m866a89kz1z7dgmnnrvb7r47459mn758bc", Wave: 2}) {
				t.Errorf("ParseWaveMessage(body) = %+v, %v", m, err)
			}
		})
	}
}

func TestScheduleFailure(t *testing.T) {
	timer := sqstimer.Timer{Client: &fakeSQS{err: errors.New("api error AccessDenied")}, QueueURL: queueURL}
	err := timer.Schedule(context.Background(), "o-1", 1, now)
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") || !strings.Contains(err.Error(), "wave 1") {
		t.Errorf("Schedule = %v, want the SDK's error with the wave", err)
	}
}

func TestDelay(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int32
	}{
		{-time.Hour, 0}, {0, 0}, {time.Nanosecond, 1}, {time.Second, 1}, {1500 * time.Millisecond, 2},
		{sqstimer.MaxDelay, 900}, {sqstimer.MaxDelay + time.Second, 900}, {100 * 365 * 24 * time.Hour, 900},
	}
	for _, tt := range tests {
		if got := sqstimer.Delay(now.Add(tt.d), now); got != tt.want {
			t.Errorf("Delay(now+%v, now) = %d, want %d", tt.d, got, tt.want)
		}
	}
}

// FromEnv needs the queue: without it the function cannot time waves,
// and must not start.
func TestFromEnv(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		{"missing", "", "DISPATCH_QUEUE_URL"},
		{"blank", "  ", "DISPATCH_QUEUE_URL"},
		{"a queue", " " + queueURL + " ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timer, err := sqstimer.FromEnv(aws.Config{Region: "eu-west-1"}, func(string) string { return tt.value })
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("FromEnv(%q) = %v, want an error naming %s", tt.value, err, tt.want)
				}
				return
			}
			if err != nil || timer.QueueURL != queueURL || timer.Client == nil {
				t.Errorf("FromEnv(%q) = %+v, %v, want the queue with a client", tt.value, timer, err)
			}
		})
	}
}
