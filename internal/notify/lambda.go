package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

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
