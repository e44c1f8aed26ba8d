package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/notify"
)

// recorded is one request an AWS stand-in received.
type recorded struct {
	method, path string
	header       http.Header
	body         []byte
}

// standIn is a local HTTP server playing an AWS API: it records each
// request and answers with status and body.
func standIn(t *testing.T, status int, body string) (*httptest.Server, func() []recorded) {
	t.Helper()
	var mu sync.Mutex
	var got []recorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, recorded{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: b})
		mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []recorded {
		mu.Lock()
		defer mu.Unlock()
		return append([]recorded{}, got...)
	}
}

var testCreds = credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")

const publishOK = `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <PublishResult><MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId></PublishResult>
  <ResponseMetadata><RequestId>f187a3c1-376f-11df-8963-01868b7c937a</RequestId></ResponseMetadata>
</PublishResponse>`

const snsError = `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <Error><Type>Receiver</Type><Code>InternalError</Code><Message>try again</Message></Error>
  <RequestId>f187a3c1-376f-11df-8963-01868b7c937b</RequestId>
</ErrorResponse>`

func snsClient(url string) *sns.Client {
	return sns.New(sns.Options{
		BaseEndpoint:     aws.String(url),
		Region:           "eu-west-1",
		Credentials:      testCreds,
		RetryMaxAttempts: 1,
	})
}

// TestSNSPublishRequest runs the real SDK's Publish against a stand-in and
// checks what it sent: the query protocol's form with the topic, the
// message and the Transactional SMS type.
func TestSNSPublishRequest(t *testing.T) {
	srv, requests := standIn(t, http.StatusOK, publishOK)
	p := notify.SNSPublisher{Client: snsClient(srv.URL)}
	const topic = "arn:aws:sns:eu-west-1:123456789012:carriers"
	id, err := p.Publish(context.Background(), notify.SMS{TopicARN: topic, Message: "Order ABCDEFGH: 1 item, 2.50 USD.", OrderID: "x"})
	if err != nil || id != "94f20ce6-13c5-43a0-9a9e-ca52d816e90b" {
		t.Fatalf("Publish = %q, %v, want the stand-in's message id", id, err)
	}
	got := requests()
	if len(got) != 1 {
		t.Fatalf("requests = %d, want 1", len(got))
	}
	r := got[0]
	if r.method != http.MethodPost || !strings.HasPrefix(r.header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		t.Errorf("request = %s with Content-Type %q, want a form POST", r.method, r.header.Get("Content-Type"))
	}
	if !strings.Contains(r.header.Get("Authorization"), "Credential=AKIDTEST/") || !strings.Contains(r.header.Get("Authorization"), "/sns/aws4_request") {
		t.Errorf("Authorization = %q, want a SigV4 signature for sns", r.header.Get("Authorization"))
	}
	form, err := url.ParseQuery(string(r.body))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Action":                         "Publish",
		"Version":                        "2010-03-31",
		"TopicArn":                       topic,
		"Message":                        "Order ABCDEFGH: 1 item, 2.50 USD.",
		"MessageAttributes.entry.1.Name": "AWS.SNS.SMS.SMSType",
		"MessageAttributes.entry.1.Value.DataType":    "String",
		"MessageAttributes.entry.1.Value.StringValue": "Transactional",
	}
	for k, v := range want {
		if form.Get(k) != v {
			t.Errorf("form %s = %q, want %q (form: %v)", k, form.Get(k), v, form)
		}
	}
	if form.Has("PhoneNumber") || form.Has("MessageAttributes.entry.2.Name") {
		t.Errorf("form = %v, want no phone number and one attribute", form)
	}
}

func TestSNSPublishError(t *testing.T) {
	srv, _ := standIn(t, http.StatusInternalServerError, snsError)
	_, err := notify.SNSPublisher{Client: snsClient(srv.URL)}.Publish(context.Background(), notify.SMS{TopicARN: "arn:aws:sns:eu-west-1:1:t", Message: "m"})
	if err == nil || !strings.Contains(err.Error(), "InternalError") {
		t.Errorf("Publish(failing SNS) = %v, want the InternalError", err)
	}
}

func lambdaClient(url string) *lambda.Client {
	return lambda.New(lambda.Options{
		BaseEndpoint:     aws.String(url),
		Region:           "eu-west-1",
		Credentials:      testCreds,
		RetryMaxAttempts: 1,
	})
}

func testEvent() notify.OrderEvent {
	id := "01m866a89kz1z7dgmnnrvb7r47459mn758bc"
	return notify.OrderEvent{
		Version: notify.EventVersion, OrderID: id, Reference: market.OrderReference(id), ItemCount: 2,
		Total: market.MustMoney("9.00"), Currency: "USD", Companies: []string{"Padaria Sol"}, Area: "Lisboa",
		Attempt: 1, PlacedAt: time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC),
	}
}

// TestLambdaInvokeRequest runs the real SDK's Invoke against a stand-in
// and checks what it sent: an asynchronous invocation of the function
// with the event as payload.
func TestLambdaInvokeRequest(t *testing.T) {
	srv, requests := standIn(t, http.StatusAccepted, "")
	inv := notify.LambdaInvoker{Client: lambdaClient(srv.URL), Function: "arn:aws:lambda:eu-west-1:123456789012:function:notifycarrier"}
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
	err := notify.LambdaInvoker{Client: lambdaClient(srv.URL), Function: "notifycarrier"}.Invoke(context.Background(), testEvent())
	if err == nil {
		t.Errorf("Invoke(throttled) = nil, want an error")
	}
}
