package lambdainvoke_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/notify"
	"github.com/deliverymarket/delivery/internal/notify/lambdainvoke"
)

// The contacts in the test wave, which no error may carry.
const (
	carrierPhone = "+351912345678"
	pushEndpoint = "https://fcm.googleapis.com/fcm/send/dQw4w9WgXcQ:APA91bHun4MxP5egoKMwt2KZFBaFUH"
)

func testWave() notify.WaveEvent {
	return notify.WaveEvent{
		Kind: notify.WaveKind, Order: testEvent(), Wave: 2,
		To: []notify.OfferTarget{
			{CarrierID: 7, Channel: market.ChannelPush, Phone: carrierPhone, Push: &market.PushSubscription{Endpoint: pushEndpoint, P256dh: "BNcR", Auth: "tBHI"}},
			{CarrierID: 9, Channel: market.ChannelSMS, Phone: "+351919999999"},
		},
	}
}

func testResult() notify.WaveResult {
	return notify.WaveResult{OrderID: testEvent().OrderID, Wave: 2, Outcomes: []market.OfferOutcome{
		{CarrierID: 7, Channel: market.ChannelSMS, Sent: true, PushGone: true},
		{CarrierID: 9, Channel: market.ChannelSMS, Sent: false},
	}}
}

// fakeLambda answers every Invoke with out or err and records the input.
type fakeLambda struct {
	in  []*lambda.InvokeInput
	out *lambda.InvokeOutput
	err error
}

func (f *fakeLambda) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	f.in = append(f.in, in)
	return f.out, f.err
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSendOffers: the wave goes to notifycarrier in a synchronous Invoke,
// and its answer is each offer's outcome.
func TestSendOffers(t *testing.T) {
	client := &fakeLambda{out: &lambda.InvokeOutput{StatusCode: http.StatusOK, Payload: mustJSON(t, testResult())}}
	sender := lambdainvoke.Invoker{Client: client, Function: "notifycarrier"}.WaveSender()
	got, err := sender.SendOffers(context.Background(), testWave())
	if err != nil || !reflect.DeepEqual(got, testResult()) {
		t.Fatalf("SendOffers = %+v, %v; want %+v", got, err, testResult())
	}
	if len(client.in) != 1 {
		t.Fatalf("invocations = %d, want 1", len(client.in))
	}
	in := client.in[0]
	if aws.ToString(in.FunctionName) != "notifycarrier" || in.InvocationType != lambdatypes.InvocationTypeRequestResponse {
		t.Errorf("Invoke(%q, %q), want (notifycarrier, RequestResponse)", aws.ToString(in.FunctionName), in.InvocationType)
	}
	var sent notify.WaveEvent
	if err := json.Unmarshal(in.Payload, &sent); err != nil || !reflect.DeepEqual(sent.To, testWave().To) || sent.Order.OrderID != testEvent().OrderID || sent.Kind != notify.WaveKind {
		t.Errorf("payload = %s (%v), want the wave event", in.Payload, err)
	}
}

// TestSendOffersFailures: every way the invocation fails is an error, and
// none carries a carrier's phone or push endpoint, which the event and
// notifycarrier's own error message may hold.
func TestSendOffersFailures(t *testing.T) {
	leaky := mustJSON(t, map[string]any{
		"errorMessage": "webpush " + pushEndpoint + ": 500; sns publish " + carrierPhone + ": throttled",
		"errorType":    "errorString",
	})
	otherWave := testResult()
	otherWave.Wave = 3
	tests := []struct {
		name string
		out  *lambda.InvokeOutput
		err  error
		want string
	}{
		{name: "the call fails", err: errors.New("operation error Lambda: Invoke, StatusCode: 429, TooManyRequestsException"), want: "TooManyRequests"},
		{name: "the function fails", out: &lambda.InvokeOutput{StatusCode: http.StatusOK, FunctionError: aws.String("Unhandled"), Payload: leaky}, want: "errorString"},
		{name: "the function times out", out: &lambda.InvokeOutput{StatusCode: http.StatusOK, FunctionError: aws.String("Unhandled"),
			Payload: []byte(`{"errorMessage":"2026-11-24T07:00:10.000Z 3f1c Task timed out after 10.00 seconds"}`)}, want: "Unhandled"},
		{name: "not 200", out: &lambda.InvokeOutput{StatusCode: http.StatusAccepted}, want: "status 202"},
		{name: "not a wave result", out: &lambda.InvokeOutput{StatusCode: http.StatusOK, Payload: []byte(`"` + carrierPhone + `"`)}, want: "not a wave result"},
		{name: "another wave's result", out: &lambda.InvokeOutput{StatusCode: http.StatusOK, Payload: mustJSON(t, otherWave)}, want: "wave 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sender := lambdainvoke.WaveSender{Client: &fakeLambda{out: tt.out, err: tt.err}, Function: "notifycarrier"}
			got, err := sender.SendOffers(context.Background(), testWave())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("SendOffers = %+v, %v; want an error about %q", got, err, tt.want)
			}
			for _, private := range []string{carrierPhone, "+351919999999", pushEndpoint, "fcm.googleapis.com", "tBHI"} {
				if strings.Contains(err.Error(), private) {
					t.Errorf("SendOffers error %q holds %q", err, private)
				}
			}
		})
	}
}

// TestSendOffersRequest runs the real SDK against a stand-in of Lambda's
// Invoke API: a synchronous invocation whose response body is the result.
func TestSendOffersRequest(t *testing.T) {
	srv, requests := standIn(t, http.StatusOK, string(mustJSON(t, testResult())))
	sender := lambdainvoke.WaveSender{Client: lambdaClient(srv.URL), Function: "notifycarrier"}
	got, err := sender.SendOffers(context.Background(), testWave())
	if err != nil || !reflect.DeepEqual(got, testResult()) {
		t.Fatalf("SendOffers = %+v, %v; want %+v", got, err, testResult())
	}
	r := requests()
	if len(r) != 1 || r[0].header.Get("X-Amz-Invocation-Type") != "RequestResponse" {
		t.Errorf("requests = %+v, want one RequestResponse invocation", r)
	}
}
