package lambdainvoke_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/notify"
	"github.com/deliverymarket/delivery/internal/notify/lambdainvoke"
)

// recorded is one request the Lambda stand-in received.
type recorded struct {
	method, path string
	header       http.Header
	body         []byte
}

// standIn is a local HTTP server playing Lambda's Invoke API: it records
// each request and answers with status and body.
func standIn(t *testing.T, status int, body string) (*httptest.Server, func() []recorded) {
	t.Helper()
	got := make(chan recorded, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- recorded{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: b}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []recorded {
		var all []recorded
		for {
			select {
			case r := <-got:
				all = append(all, r)
			default:
				return all
			}
		}
	}
}

func lambdaClient(url string) *lambda.Client {
	return lambda.New(lambda.Options{
		BaseEndpoint:     aws.String(url),
		Region:           "eu-west-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: 1,
	})
}

func testEvent() notify.OrderEvent {
	id := "01m866a89kz1z7dgmnnrvb7r47459mn758bc"
	return notify.OrderEvent{
		Version: notify.EventVersion, OrderID: id, DeliveryID: market.DeliveryID(id), Reference: market.OrderReference(id), ItemCount: 2,
		Total: market.MustMoney("9.00"), Currency: "USD", Companies: []string{"Padaria Sol"}, Area: "Lisboa",
		Offer: 1, Attempt: 1, PlacedAt: time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC),
	}
}

// TestLambdaInvokeRequest runs the real SDK's Invoke against a stand-in
// and checks what it sent: an asynchronous invocation of the function
// with the event as payload.
func TestLambdaInvokeRequest(t *testing.T) {
	srv, requests := standIn(t, http.StatusAccepted, "")
	inv := lambdainvoke.Invoker{Client: lambdaClient(srv.URL), Function: "arn:aws:lambda:eu-west-1:123456789012:function:notifycarrier"}
	if err := inv.Invoke(context.Background(), testEvent()); err != nil {
		t.Fatalf("Invoke = %v", err)
	}
	got := requests()
	if len(got) != 1 {
		t.Fatalf("requests = %d, want 1", len(got))
	}
	r := got[0]
	wantPath := "/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:notifycarrier/invocations"
	if r.method != http.MethodPost || r.path != wantPath {
		t.Errorf("request = %s %s, want POST %s", r.method, r.path, wantPath)
	}
	if got := r.header.Get("X-Amz-Invocation-Type"); got != "Event" {
		t.Errorf("X-Amz-Invocation-Type = %q, want Event", got)
	}
	if !strings.Contains(r.header.Get("Authorization"), "/lambda/aws4_request") {
		t.Errorf("Authorization = %q, want a SigV4 signature for lambda", r.header.Get("Authorization"))
	}
	var sent notify.OrderEvent
	if err := json.Unmarshal(r.body, &sent); err != nil || sent.OrderID != testEvent().OrderID || sent.Total.String() != "9.00" {
		t.Errorf("payload = %s (%v), want the order event", r.body, err)
	}
	for _, private := range []string{"phone", "note", "customer", "address"} {
		if strings.Contains(strings.ToLower(string(r.body)), private) {
			t.Errorf("payload = %s, holds %q", r.body, private)
		}
	}
}

func TestLambdaInvokeFailure(t *testing.T) {
	srv, _ := standIn(t, http.StatusTooManyRequests, `{"Type":"User","message":"Rate exceeded","Reason":"ReservedFunctionConcurrentInvocationLimitExceeded"}`)
	err := lambdainvoke.Invoker{Client: lambdaClient(srv.URL), Function: "notifycarrier"}.Invoke(context.Background(), testEvent())
	if err == nil {
		t.Errorf("Invoke(throttled) = nil, want an error")
	}
}

// FromEnv needs the function's name: without it placeorder cannot hand
// off, and must not start.
func TestFromEnv(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		{"missing", "", "NOTIFY_FUNCTION_NAME"},
		{"blank", "  ", "NOTIFY_FUNCTION_NAME"},
		{"a name", " notifycarrier ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := lambdainvoke.FromEnv(aws.Config{Region: "eu-west-1"}, func(string) string { return tt.value })
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("FromEnv(%q) = %v, want an error naming %s", tt.value, err, tt.want)
				}
				return
			}
			if err != nil || inv.Function != "notifycarrier" || inv.Client == nil {
				t.Errorf("FromEnv(%q) = %+v, %v, want notifycarrier with a client", tt.value, inv, err)
			}
		})
	}
}
