package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"
)

// PlaceOrderEvents is the placeorder function's handler. Besides the API
// Gateway requests of its routes it receives two kinds of event that only
// AWS principals allowed to invoke it can send (an HTTP request always
// arrives wrapped in an API Gateway event):
//
//   - {"action": "sweep"} (or an EventBridge "Scheduled Event"): retry the
//     due notifications; Terraform schedules it every minute.
//   - a Lambda destination record from notifycarrier: record the outcome.
//   - SQS messages from the wave timer queue (internal/notify/sqstimer),
//     each a WaveMessage that became visible when its wave was due: run
//     the wave.
type PlaceOrderEvents struct {
	API        func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)
	Dispatcher *Dispatcher
	// NotifyFunction, when an ARN, is the only function whose destination
	// records are accepted.
	NotifyFunction string
}

// Handle routes one invocation by the shape of its event.
func (h PlaceOrderEvents) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		HTTPMethod     string          `json:"httpMethod"`
		Action         string          `json:"action"`
		DetailType     string          `json:"detail-type"`
		RequestPayload json.RawMessage `json:"requestPayload"`
		Records        []struct {
			EventSource string `json:"eventSource"`
		} `json:"Records"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("placeorder: event is not a JSON object: %w", err)
	}
	switch {
	case probe.HTTPMethod != "":
		var req events.APIGatewayProxyRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			return nil, fmt.Errorf("placeorder: api gateway event: %w", err)
		}
		return h.API(ctx, req)
	case probe.Action == "sweep" || probe.DetailType == "Scheduled Event":
		return h.Dispatcher.Sweep(ctx)
	case len(probe.Records) > 0 && probe.Records[0].EventSource == "aws:sqs":
		var e events.SQSEvent
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("placeorder: sqs event: %w", err)
		}
		return h.runWaves(ctx, e), nil
	case len(probe.RequestPayload) > 0:
		var r DestinationRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("placeorder: destination record: %w", err)
		}
		if arn := h.NotifyFunction; strings.HasPrefix(arn, "arn:") &&
			r.RequestContext.FunctionARN != arn && !strings.HasPrefix(r.RequestContext.FunctionARN, arn+":") {
			return nil, fmt.Errorf("placeorder: destination record from %q, not from the notifier", r.RequestContext.FunctionARN)
		}
		return nil, h.Dispatcher.Report(ctx, r)
	}
	return nil, fmt.Errorf("placeorder: unrecognised event")
}

// WaveMessage is the body of a wave timer's SQS message: start wave Wave
// of the order. It carries no other data, so that nothing of the order
// waits in the queue.
type WaveMessage struct {
	OrderID string `json:"orderId"`
	Wave    int    `json:"wave"`
}

// ParseWaveMessage decodes and checks a wave timer message's body.
func ParseWaveMessage(body string) (WaveMessage, error) {
	var m WaveMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return WaveMessage{}, fmt.Errorf("wave message: %w", err)
	}
	if m.OrderID == "" || m.Wave < 1 {
		return WaveMessage{}, errors.New("wave message: want an orderId and a wave from 1")
	}
	return m, nil
}

// runWaves runs the wave of each message, at once, as the messages of one
// poll became visible together and each wave's sending waits on
// notifycarrier. The event source mapping reports batch item failures:
// only the messages whose wave failed return to the queue, to be tried
// again after its visibility timeout (the dead-letter queue takes them
// after a few tries; the sweep starts their waves meanwhile). A message
// that cannot be read never will be: it is logged and dropped.
func (h PlaceOrderEvents) runWaves(ctx context.Context, e events.SQSEvent) events.SQSEventResponse {
	log := h.Dispatcher.log
	ran := make([]error, len(e.Records))
	var wg sync.WaitGroup
	for i, r := range e.Records {
		m, err := ParseWaveMessage(r.Body)
		if err != nil {
			log.ErrorContext(ctx, "placeorder: dropped wave message", "messageId", r.MessageId, "error", err)
			continue
		}
		wg.Go(func() { ran[i] = h.Dispatcher.RunWave(ctx, m.OrderID, m.Wave) })
	}
	wg.Wait()
	var out events.SQSEventResponse
	for i, err := range ran {
		if err != nil {
			log.ErrorContext(ctx, "placeorder: wave failed, its message returns to the queue", "messageId", e.Records[i].MessageId, "error", err)
			out.BatchItemFailures = append(out.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: e.Records[i].MessageId})
		}
	}
	return out
}
