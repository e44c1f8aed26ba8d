// Package snstest is an SNS stand-in for tests: an HTTP server speaking
// the SNS query protocol for the calls this project makes (Publish,
// ListSubscriptionsByTopic, Subscribe, Unsubscribe), so that tests run the
// real AWS SDK against it.
package snstest

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// Subscription is one subscription of the stand-in's topics.
type Subscription struct {
	ARN, TopicARN, Protocol, Endpoint string
}

// Server is the stand-in. Its zero subscriptions grow with Subscribe;
// Add puts some there first.
type Server struct {
	*httptest.Server
	// PageSize is how many subscriptions one ListSubscriptionsByTopic
	// page holds (SNS: 100), small by default to exercise paging.
	PageSize int

	mu       sync.Mutex
	subs     []Subscription
	next     int
	requests []url.Values
}

// New starts a stand-in that stops when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := Start()
	t.Cleanup(s.Close)
	return s
}

// Start starts a stand-in outside a test (tools/coldstart); Close stops it.
func Start() *Server {
	s := &Server{PageSize: 2}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Client is an SNS client of the real SDK that talks to s.
func (s *Server) Client() *sns.Client {
	return sns.New(sns.Options{
		BaseEndpoint:     aws.String(s.URL),
		Region:           "eu-west-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: 1,
	})
}

// Add puts a subscription on a topic, as if made before the test.
func (s *Server) Add(topicARN, protocol, endpoint string) Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.add(topicARN, protocol, endpoint)
}

func (s *Server) add(topicARN, protocol, endpoint string) Subscription {
	s.next++
	sub := Subscription{ARN: topicARN + ":sub-" + strconv.Itoa(s.next), TopicARN: topicARN, Protocol: protocol, Endpoint: endpoint}
	s.subs = append(s.subs, sub)
	return sub
}

// Subscriptions returns the subscriptions of topicARN.
func (s *Server) Subscriptions(topicARN string) []Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Subscription
	for _, sub := range s.subs {
		if sub.TopicARN == topicARN {
			out = append(out, sub)
		}
	}
	return out
}

// Requests returns the form of every request so far.
func (s *Server) Requests() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

const ns = "http://sns.amazonaws.com/doc/2010-03-31/"

type member struct {
	TopicArn, Protocol, SubscriptionArn, Owner, Endpoint string
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, form)
	w.Header().Set("Content-Type", "text/xml")
	switch action := form.Get("Action"); action {
	case "Publish":
		s.next++
		reply(w, "Publish", struct{ MessageId string }{fmt.Sprintf("msg-%d", s.next)})
	case "ListSubscriptionsByTopic":
		var all []member
		for _, sub := range s.subs {
			if sub.TopicARN == form.Get("TopicArn") {
				all = append(all, member{sub.TopicARN, sub.Protocol, sub.ARN, "123456789012", sub.Endpoint})
			}
		}
		start, _ := strconv.Atoi(form.Get("NextToken"))
		end := min(start+s.PageSize, len(all))
		result := struct {
			Subscriptions []member `xml:"Subscriptions>member"`
			NextToken     string   `xml:",omitempty"`
		}{Subscriptions: all[min(start, end):end]}
		if end < len(all) {
			result.NextToken = strconv.Itoa(end)
		}
		reply(w, action, result)
	case "Subscribe":
		sub := s.add(form.Get("TopicArn"), form.Get("Protocol"), form.Get("Endpoint"))
		reply(w, action, struct{ SubscriptionArn string }{sub.ARN})
	case "Unsubscribe":
		s.subs = slices.DeleteFunc(s.subs, func(sub Subscription) bool { return sub.ARN == form.Get("SubscriptionArn") })
		reply(w, action, nil)
	default:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<ErrorResponse xmlns=%q><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>%s</Message></Error><RequestId>r</RequestId></ErrorResponse>`, ns, action)
	}
}

// reply writes the query protocol's <ActionResponse><ActionResult>.
func reply(w http.ResponseWriter, action string, result any) {
	type metadata struct {
		RequestId string
	}
	resp := struct {
		XMLName  xml.Name
		Xmlns    string   `xml:"xmlns,attr"`
		Result   any      `xml:",omitempty"`
		Metadata metadata `xml:"ResponseMetadata"`
	}{XMLName: xml.Name{Local: action + "Response"}, Xmlns: ns, Metadata: metadata{"req-1"}}
	if result != nil {
		resp.Result = wrapped{name: action + "Result", v: result}
	}
	_ = xml.NewEncoder(w).Encode(resp)
}

// wrapped encodes v under an element named name.
type wrapped struct {
	name string
	v    any
}

func (r wrapped) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.EncodeElement(r.v, xml.StartElement{Name: xml.Name{Local: r.name}})
}
