package snssms_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/deliverymarket/delivery/internal/notify"
	"github.com/deliverymarket/delivery/internal/notify/snssms"
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
// checks what it sent: the query protocol's form with the topic or the
// phone number, the message and the Transactional SMS type.
func TestSNSPublishRequest(t *testing.T) {
	const topic = "arn:aws:sns:eu-west-1:123456789012:carriers"
	tests := []struct {
		name      string
		sms       notify.SMS
		to, other string // the form field naming the destination, and the one that must be absent
	}{
		{"topic", notify.SMS{TopicARN: topic, Message: "Order ABCDEFGH: 1 item, 2.50 USD.", OrderID: "x"}, "TopicArn", "PhoneNumber"},
		{"phone", notify.SMS{PhoneNumber: "+351910000001", Message: "Your code is 123456."}, "PhoneNumber", "TopicArn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, requests := standIn(t, http.StatusOK, publishOK)
			p := snssms.Publisher{Client: snsClient(srv.URL)}
			id, err := p.Publish(context.Background(), tt.sms)
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
				tt.to:                            tt.sms.TopicARN + tt.sms.PhoneNumber,
				"Message":                        tt.sms.Message,
				"MessageAttributes.entry.1.Name": "AWS.SNS.SMS.SMSType",
				"MessageAttributes.entry.1.Value.DataType":    "String",
				"MessageAttributes.entry.1.Value.StringValue": "Transactional",
			}
			for k, v := range want {
				if form.Get(k) != v {
					t.Errorf("form %s = %q, want %q (form: %v)", k, form.Get(k), v, form)
				}
			}
			if form.Has(tt.other) || form.Has("MessageAttributes.entry.2.Name") {
				t.Errorf("form = %v, want no %s and one attribute", form, tt.other)
			}
		})
	}
}

// TestSNSPublishNeedsOneDestination: an SMS to a topic and a phone at
// once, or to neither, is refused before any request.
func TestSNSPublishNeedsOneDestination(t *testing.T) {
	srv, requests := standIn(t, http.StatusOK, publishOK)
	p := snssms.Publisher{Client: snsClient(srv.URL)}
	for _, m := range []notify.SMS{
		{Message: "m"},
		{TopicARN: "arn:aws:sns:eu-west-1:1:t", PhoneNumber: "+351910000001", Message: "m"},
	} {
		if _, err := p.Publish(context.Background(), m); err == nil {
			t.Errorf("Publish(%+v) = nil error, want one", m)
		}
	}
	if n := len(requests()); n != 0 {
		t.Errorf("requests = %d, want none", n)
	}
}

// TestSendTextKeepsThePhoneOutOfLogs: SendText publishes to the phone, and
// neither its log nor its error holds the number or the text.
func TestSendTextKeepsThePhoneOutOfLogs(t *testing.T) {
	const phone, text = "+351912345678", "Your sign-in code is 493817."
	var logs strings.Builder
	logger := slog.New(slog.NewJSONHandler(&logs, nil))

	srv, requests := standIn(t, http.StatusOK, publishOK)
	if err := (snssms.Publisher{Client: snsClient(srv.URL), Log: logger}).SendText(context.Background(), phone, text); err != nil {
		t.Fatalf("SendText = %v", err)
	}
	if form, _ := url.ParseQuery(string(requests()[0].body)); form.Get("PhoneNumber") != phone || form.Get("Message") != text || form.Has("TopicArn") {
		t.Errorf("form = %v, want the text to the phone alone", form)
	}

	refusing, _ := standIn(t, http.StatusBadRequest, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>Invalid parameter: PhoneNumber Reason: +351912345678 is not valid to publish to</Message></Error>
  <RequestId>r</RequestId></ErrorResponse>`)
	err := snssms.Publisher{Client: snsClient(refusing.URL), Log: logger}.SendText(context.Background(), phone, text)
	if err == nil || !strings.Contains(err.Error(), "InvalidParameter") {
		t.Fatalf("SendText(refused) = %v, want the InvalidParameter", err)
	}
	for _, leak := range []string{"912345678", "493817"} {
		if strings.Contains(logs.String(), leak) || strings.Contains(err.Error(), leak) {
			t.Errorf("log %q or error %q holds %q", logs.String(), err, leak)
		}
	}
	if !strings.Contains(logs.String(), "+35191*****78") || !strings.Contains(err.Error(), "+35191*****78") {
		t.Errorf("log %q and error %q, want the masked phone", logs.String(), err)
	}
}

func TestSNSPublishError(t *testing.T) {
	srv, _ := standIn(t, http.StatusInternalServerError, snsError)
	_, err := snssms.Publisher{Client: snsClient(srv.URL)}.Publish(context.Background(), notify.SMS{TopicARN: "arn:aws:sns:eu-west-1:1:t", Message: "m"})
	if err == nil || !strings.Contains(err.Error(), "InternalError") {
		t.Errorf("Publish(failing SNS) = %v, want the InternalError", err)
	}
}
