package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/deliverymarket/delivery/internal/notify"
)

// sqsWaves is testdata/sqs-wave-timers.json, an SQS event as Lambda's
// event source mapping delivers it, with orderID in its messages: wave 1
// of the order, a body that is not a wave message and a wave 0.
func sqsWaves(t *testing.T, orderID string) []byte {
	t.Helper()
	return bytes.ReplaceAll(readTestdata(t, "sqs-wave-timers.json"), []byte("ORDER_ID"), []byte(orderID))
}

// handleSQS runs raw through the placeorder handler of d and returns its
// answer to the event source mapping.
func handleSQS(t *testing.T, d *notify.Dispatcher, raw []byte) events.SQSEventResponse {
	t.Helper()
	out, err := notify.PlaceOrderEvents{Dispatcher: d}.Handle(context.Background(), raw)
	if err != nil {
		t.Fatalf("Handle(sqs event) = %v", err)
	}
	resp, ok := out.(events.SQSEventResponse)
	if !ok {
		t.Fatalf("Handle(sqs event) = %T, want events.SQSEventResponse", out)
	}
	return resp
}

// TestSQSWaveTimers: placeorder runs the wave each timer message names
// once, however often SQS delivers it; it drops what it cannot read, and
// returns to the queue only the messages whose wave failed.
func TestSQSWaveTimers(t *testing.T) {
	t.Parallel()
	t.Run("runs the wave, drops unreadable messages", func(t *testing.T) {
		t.Parallel()
		k := newWavesKit(t, waveSettings(2, 4), nearbyCarriers(3))
		raw := sqsWaves(t, k.orderID)
		for range 2 { // SQS delivers at least once
			if resp := handleSQS(t, k.d, raw); len(resp.BatchItemFailures) != 0 {
				t.Errorf("Handle(sqs event).BatchItemFailures = %+v, want none", resp.BatchItemFailures)
			}
		}
		sent := k.sender.sent()
		if len(sent) != 1 || sent[0].Wave != 1 || sent[0].Order.OrderID != k.orderID {
			t.Fatalf("waves sent = %+v, want wave 1 of %s once", sent, k.orderID)
		}
		if got := k.offers.get(k.orderID).state.Wave; got != 1 {
			t.Errorf("waves started = %d, want 1", got)
		}
	})
	t.Run("a failed wave returns to the queue", func(t *testing.T) {
		t.Parallel()
		// Without UseWaves, RunWave fails: as a database that is down does.
		d := notify.NewDispatcher(nil, &acceptingInvoker{}, quiet)
		resp := handleSQS(t, d, sqsWaves(t, "01m866a89kz1z7dgmnnrvb7r47459mn758bc"))
		want := []events.SQSBatchItemFailure{{ItemIdentifier: "059f36b4-87a3-44ab-83d2-661975830a7d"}}
		if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0] != want[0] {
			t.Errorf("BatchItemFailures = %+v, want %+v", resp.BatchItemFailures, want)
		}
		b, err := json.Marshal(resp)
		if wantJSON := `{"batchItemFailures":[{"itemIdentifier":"059f36b4-87a3-44ab-83d2-661975830a7d"}]}`; err != nil || string(b) != wantJSON {
			t.Errorf("response = %s, %v, want %s", b, err, wantJSON)
		}
	})
}

func TestParseWaveMessage(t *testing.T) {
	tests := []struct {
		name, body string
		want       notify.WaveMessage
		wantErr    bool
	}{
		{name: "a wave", body: `{"orderId":"o-1","wave":3}`, want: notify.WaveMessage{OrderID: "o-1", Wave: 3}},
		{name: "not JSON", body: `wave 3`, wantErr: true},
		{name: "no order", body: `{"wave":3}`, wantErr: true},
		{name: "wave 0", body: `{"orderId":"o-1","wave":0}`, wantErr: true},
		{name: "wave not a number", body: `{"orderId":"o-1","wave":"3"}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := notify.ParseWaveMessage(tt.body)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseWaveMessage(%q) = %+v, %v; want %+v, error %v", tt.body, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
