package lambdainvoke

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/deliverymarket/delivery/internal/notify"
)

// WaveSender sends a wave of offers through the notifycarrier function
// with a synchronous (InvocationType RequestResponse) Invoke, and reads
// back what became of each offer: placeorder records it at once, and
// nothing keeps the event, whose carriers' contacts are personal data,
// after the call (no asynchronous queue, no destination, no DLQ).
type WaveSender struct {
	Client   InvokeAPI
	Function string // name or ARN of notifycarrier
}

var _ notify.OfferSender = WaveSender{}

// WaveSender returns the sender of waves through the same function and
// client.
func (l Invoker) WaveSender() WaveSender {
	return WaveSender{Client: l.Client, Function: l.Function}
}

// SendOffers invokes notifycarrier with e and returns its notify.WaveResult.
// The errors never carry the event or notifycarrier's error message,
// either of which may hold a phone number or a push endpoint; its own
// log has the details.
func (s WaveSender) SendOffers(ctx context.Context, e notify.WaveEvent) (notify.WaveResult, error) {
	payload, err := json.Marshal(e)
	if err != nil {
		return notify.WaveResult{}, fmt.Errorf("lambda invoke %s: wave event: %w", s.Function, err)
	}
	out, err := s.Client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(s.Function),
		InvocationType: lambdatypes.InvocationTypeRequestResponse,
		Payload:        payload,
	})
	if err != nil {
		return notify.WaveResult{}, fmt.Errorf("lambda invoke %s: %w", s.Function, err)
	}
	if out.FunctionError != nil {
		var failure struct {
			ErrorType string `json:"errorType"`
		}
		_ = json.Unmarshal(out.Payload, &failure)
		return notify.WaveResult{}, fmt.Errorf("lambda invoke %s: function error %q, %q (its log has the message)",
			s.Function, aws.ToString(out.FunctionError), failure.ErrorType)
	}
	if out.StatusCode != http.StatusOK {
		return notify.WaveResult{}, fmt.Errorf("lambda invoke %s: status %d, want 200", s.Function, out.StatusCode)
	}
	var r notify.WaveResult
	if err := json.Unmarshal(out.Payload, &r); err != nil {
		return notify.WaveResult{}, fmt.Errorf("lambda invoke %s: the answer is not a wave result (%d bytes)", s.Function, len(out.Payload))
	}
	if r.OrderID != e.Order.OrderID || r.Wave != e.Wave {
		return notify.WaveResult{}, fmt.Errorf("lambda invoke %s: the answer is for order %s wave %d, not order %s wave %d",
			s.Function, r.OrderID, r.Wave, e.Order.OrderID, e.Wave)
	}
	return r, nil
}
