package localgw_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"

	"github.com/deliverymarket/delivery/api"
	"github.com/deliverymarket/delivery/internal/localgw"
	"github.com/deliverymarket/delivery/internal/market"
)

func TestEvent(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		target   string
		body     []byte
		headers  [][2]string // in order; repeated names give multi-value headers
		resource string
		params   map[string]string
		check    func(t *testing.T, e events.APIGatewayProxyRequest)
	}{
		{
			name: "query string", method: "GET", target: "/api/products?limit=5&cursor=cDE6Mg&limit=7", resource: "/api/products",
			check: func(t *testing.T, e events.APIGatewayProxyRequest) {
				wantQ := map[string]string{"limit": "7", "cursor": "cDE6Mg"}
				wantMQ := map[string][]string{"limit": {"5", "7"}, "cursor": {"cDE6Mg"}}
				if !reflect.DeepEqual(e.QueryStringParameters, wantQ) || !reflect.DeepEqual(e.MultiValueQueryStringParameters, wantMQ) {
					t.Errorf("query = %v / %v, want %v / %v", e.QueryStringParameters, e.MultiValueQueryStringParameters, wantQ, wantMQ)
				}
				if e.Path != "/api/products" || e.Resource != "/api/products" || e.HTTPMethod != "GET" {
					t.Errorf("event = %s %s (%s), want GET /api/products", e.HTTPMethod, e.Path, e.Resource)
				}
			},
		},
		{
			name: "escaped query value", method: "GET", target: "/api/products?cursor=a%2Bb%3D", resource: "/api/products",
			check: func(t *testing.T, e events.APIGatewayProxyRequest) {
				if got := e.QueryStringParameters["cursor"]; got != "a+b=" {
					t.Errorf("cursor = %q, want it decoded as API Gateway does: a+b=", got)
				}
			},
		},
		{
			name: "no query is null, as API Gateway sends it", method: "GET", target: "/api/products", resource: "/api/products",
			check: func(t *testing.T, e events.APIGatewayProxyRequest) {
				if e.QueryStringParameters != nil || e.MultiValueQueryStringParameters != nil || e.PathParameters != nil {
					t.Errorf("query %v, %v, params %v; want all nil", e.QueryStringParameters, e.MultiValueQueryStringParameters, e.PathParameters)
				}
				b, _ := json.Marshal(e)
				if !strings.Contains(string(b), `"queryStringParameters":null`) {
					t.Errorf("event JSON %s, want queryStringParameters null", b)
				}
			},
		},
		{
			name: "headers and multi-value headers", method: "POST", target: "/api/orders/quote", resource: "/api/orders/quote",
			headers: [][2]string{{"Accept", "text/html"}, {"Accept", "application/json"}, {"Content-Type", "application/json"}, {"Origin", "http://localhost:8080"}},
			body:    []byte(`{"items":[]}`),
			check: func(t *testing.T, e events.APIGatewayProxyRequest) {
				if e.Headers["Accept"] != "application/json" || !reflect.DeepEqual(e.MultiValueHeaders["Accept"], []string{"text/html", "application/json"}) {
					t.Errorf("Accept = %q / %v, want the last value and both", e.Headers["Accept"], e.MultiValueHeaders["Accept"])
				}
				if e.Headers["Content-Type"] != "application/json" || e.Headers["Origin"] != "http://localhost:8080" {
					t.Errorf("headers = %v", e.Headers)
				}
				if e.Headers["Host"] != "shop.local:8080" || !reflect.DeepEqual(e.MultiValueHeaders["Host"], []string{"shop.local:8080"}) {
					t.Errorf("Host = %q / %v, want shop.local:8080", e.Headers["Host"], e.MultiValueHeaders["Host"])
				}
				if e.Body != `{"items":[]}` || e.IsBase64Encoded {
					t.Errorf("body = %q (base64 %v), want the JSON as it is", e.Body, e.IsBase64Encoded)
				}
			},
		},
		{
			name: "path parameters", method: "GET", target: "/api/orders/42", resource: "/api/orders/{orderId}",
			params: map[string]string{"orderId": "42"},
			check: func(t *testing.T, e events.APIGatewayProxyRequest) {
				if !reflect.DeepEqual(e.PathParameters, map[string]string{"orderId": "42"}) || e.Resource != "/api/orders/{orderId}" || e.Path != "/api/orders/42" {
					t.Errorf("event = %s on %s with %v", e.Path, e.Resource, e.PathParameters)
				}
				if e.RequestContext.ResourcePath != "/api/orders/{orderId}" || e.RequestContext.Path != "/local/api/orders/42" {
					t.Errorf("requestContext path = %s, resource %s", e.RequestContext.Path, e.RequestContext.ResourcePath)
				}
			},
		},
		{
			name: "non-UTF-8 body is base64", method: "POST", target: "/api/orders/quote", resource: "/api/orders/quote",
			body: []byte{0xff, 0xfe, 0x00, 'x'},
			check: func(t *testing.T, e events.APIGatewayProxyRequest) {
				if !e.IsBase64Encoded || e.Body != base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe, 0x00, 'x'}) {
					t.Errorf("body = %q (base64 %v), want base64 of the bytes", e.Body, e.IsBase64Encoded)
				}
			},
		},
		{
			name: "UTF-8 text stays text", method: "POST", target: "/api/orders/quote", resource: "/api/orders/quote",
			body: []byte(`{"note":"pão de queijo"}`),
			check: func(t *testing.T, e events.APIGatewayProxyRequest) {
				if e.IsBase64Encoded || e.Body != `{"note":"pão de queijo"}` {
					t.Errorf("body = %q (base64 %v)", e.Body, e.IsBase64Encoded)
				}
			},
		},
		{
			name: "request context", method: "GET", target: "/api/products", resource: "/api/products",
			headers: [][2]string{{"User-Agent", "curl/8.5.0"}},
			check: func(t *testing.T, e events.APIGatewayProxyRequest) {
				rc := e.RequestContext
				if _, err := uuid.Parse(rc.RequestID); err != nil || rc.ExtendedRequestID != rc.RequestID {
					t.Errorf("requestId = %q, extended %q, want one UUID", rc.RequestID, rc.ExtendedRequestID)
				}
				if rc.Stage != localgw.Stage || rc.HTTPMethod != "GET" || rc.ResourcePath != "/api/products" || rc.Path != "/local/api/products" || rc.Protocol != "HTTP/1.1" {
					t.Errorf("requestContext = %+v", rc)
				}
				if d := time.Since(time.UnixMilli(rc.RequestTimeEpoch)); d < 0 || d > time.Minute {
					t.Errorf("requestTimeEpoch = %d, %v from now", rc.RequestTimeEpoch, d)
				}
				if rc.Identity.SourceIP != "192.0.2.1" || rc.Identity.UserAgent != "curl/8.5.0" {
					t.Errorf("identity = %+v, want 192.0.2.1 and curl/8.5.0", rc.Identity)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != nil {
				body = strings.NewReader(string(tt.body))
			}
			r := httptest.NewRequest(tt.method, "http://shop.local:8080"+tt.target, body)
			for _, h := range tt.headers {
				r.Header.Add(h[0], h[1])
			}
			e, err := localgw.Event(r, tt.resource, tt.params)
			if err != nil {
				t.Fatalf("Event(%s %s) error = %v", tt.method, tt.target, err)
			}
			tt.check(t, e)
			// The event survives the JSON trip to a Lambda unchanged.
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			var back events.APIGatewayProxyRequest
			if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, e) {
				t.Errorf("event JSON round trip = %+v, %v; want %+v", back, err, e)
			}
		})
	}
}

func TestEventRequestIDsDiffer(t *testing.T) {
	a, _ := localgw.Event(httptest.NewRequest("GET", "/api/products", nil), "/api/products", nil)
	b, _ := localgw.Event(httptest.NewRequest("GET", "/api/products", nil), "/api/products", nil)
	if a.RequestContext.RequestID == b.RequestContext.RequestID {
		t.Errorf("two requests share the request id %s", a.RequestContext.RequestID)
	}
}

func TestEventBodyTooLarge(t *testing.T) {
	r := httptest.NewRequest("POST", "/api/orders/quote", strings.NewReader(strings.Repeat(" ", 10<<20+1)))
	if _, err := localgw.Event(r, "/api/orders/quote", nil); market.ErrorCode(err) != market.CodeTooLarge {
		t.Errorf("Event(10 MiB + 1) error = %v, want %s", err, market.CodeTooLarge)
	}
}

// calls records the events each fake function received.
type calls struct {
	mu     sync.Mutex
	events map[string][]events.APIGatewayProxyRequest
}

func (c *calls) handler(name string, resp events.APIGatewayProxyResponse, err error) localgw.Handler {
	return func(_ context.Context, e events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.events[name] = append(c.events[name], e)
		return resp, err
	}
}

// newGateway returns a gateway without an authorizer: the tables here
// hold public routes only.
func newGateway(t *testing.T, table api.Table, functions map[string]localgw.Handler) *localgw.Gateway {
	t.Helper()
	gw, err := localgw.New(table, functions, nil)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	return gw
}

func TestGateway(t *testing.T) {
	table := api.Table{Routes: []api.Route{
		{Method: "GET", Path: "/api/products", Function: "listproducts", Auth: api.Public},
		{Method: "POST", Path: "/api/orders/quote", Function: "priceorder", Auth: api.Public},
		{Method: "GET", Path: "/api/orders/{orderId}", Function: "getorder", Auth: api.Public},
		{Method: "DELETE", Path: "/api/orders/{orderId}", Function: "cancelorder", Auth: api.Public},
		{Method: "GET", Path: "/api/companies", Function: "notrunning", Auth: api.Public},
	}}
	ok := events.APIGatewayProxyResponse{
		StatusCode:        200,
		Headers:           map[string]string{"Content-Type": "application/json"},
		MultiValueHeaders: map[string][]string{"Set-Cookie": {"a=1", "b=2"}},
		Body:              `{"ok":true}`,
	}
	tests := []struct {
		name         string
		method, path string
		wantFunction string // the function called, "" for none
		wantStatus   int
		wantHeader   [2]string
		wantBody     string // substring
	}{
		{name: "static route", method: "GET", path: "/api/products", wantFunction: "listproducts", wantStatus: 200, wantHeader: [2]string{"Content-Type", "application/json"}, wantBody: `{"ok":true}`},
		{name: "static beats param", method: "POST", path: "/api/orders/quote", wantFunction: "priceorder", wantStatus: 200},
		{name: "param route", method: "GET", path: "/api/orders/42", wantFunction: "getorder", wantStatus: 200},
		{name: "second function on a resource", method: "DELETE", path: "/api/orders/42", wantFunction: "cancelorder", wantStatus: 200},
		{name: "preflight goes to the resource's first function", method: "OPTIONS", path: "/api/orders/42", wantFunction: "getorder", wantStatus: 200},
		{name: "unknown path", method: "GET", path: "/api/nothing", wantStatus: 404, wantBody: `"code":"route_not_found"`},
		// API Gateway answers a method a resource lacks itself, with the
		// MISSING_AUTHENTICATION_TOKEN gateway response; so does the runner.
		{name: "method the resource lacks", method: "PUT", path: "/api/orders/42", wantStatus: 404, wantBody: `"code":"route_not_found"`},
		{name: "function not running", method: "GET", path: "/api/companies", wantStatus: 404, wantBody: `"code":"route_not_found"`},
		{name: "failed invocation", method: "GET", path: "/api/orders/err", wantFunction: "getorder", wantStatus: 502},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &calls{events: map[string][]events.APIGatewayProxyRequest{}}
			getOrder := c.handler("getorder", ok, nil)
			gw := newGateway(t, table, map[string]localgw.Handler{
				"listproducts": c.handler("listproducts", ok, nil),
				"priceorder":   c.handler("priceorder", ok, nil),
				"getorder": func(ctx context.Context, e events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
					resp, _ := getOrder(ctx, e)
					if e.PathParameters["orderId"] == "err" {
						return events.APIGatewayProxyResponse{}, errors.New("handler crashed")
					}
					return resp, nil
				},
				"cancelorder": c.handler("cancelorder", ok, nil),
			})
			rec := httptest.NewRecorder()
			gw.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("%s %s status = %d, want %d (body %s)", tt.method, tt.path, rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantHeader[0] != "" && rec.Header().Get(tt.wantHeader[0]) != tt.wantHeader[1] {
				t.Errorf("%s %s header %s = %q, want %q", tt.method, tt.path, tt.wantHeader[0], rec.Header().Get(tt.wantHeader[0]), tt.wantHeader[1])
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("%s %s body = %s, want %s in it", tt.method, tt.path, rec.Body, tt.wantBody)
			}
			var called []string
			for name, evs := range c.events {
				for _, e := range evs {
					called = append(called, name)
					if e.HTTPMethod != tt.method || e.Path != tt.path {
						t.Errorf("%s got event %s %s, want %s %s", name, e.HTTPMethod, e.Path, tt.method, tt.path)
					}
				}
			}
			if want := []string{tt.wantFunction}; tt.wantFunction == "" && len(called) != 0 || tt.wantFunction != "" && !reflect.DeepEqual(called, want) {
				t.Errorf("%s %s called %v, want %q", tt.method, tt.path, called, tt.wantFunction)
			}
			if tt.wantStatus == 200 {
				if got := rec.Header().Values("Set-Cookie"); !reflect.DeepEqual(got, []string{"a=1", "b=2"}) {
					t.Errorf("Set-Cookie = %v, want both multi-value headers", got)
				}
			}
		})
	}
}

func TestGatewayResponseBody(t *testing.T) {
	tests := []struct {
		name       string
		resp       events.APIGatewayProxyResponse
		wantStatus int
		wantBody   string
	}{
		{name: "base64 body is decoded", resp: events.APIGatewayProxyResponse{StatusCode: 200, Body: base64.StdEncoding.EncodeToString([]byte{0xff, 1}), IsBase64Encoded: true}, wantStatus: 200, wantBody: "\xff\x01"},
		{name: "bad base64 is a 502", resp: events.APIGatewayProxyResponse{StatusCode: 200, Body: "!!", IsBase64Encoded: true}, wantStatus: 502},
		{name: "no status is 200", resp: events.APIGatewayProxyResponse{Body: "{}"}, wantStatus: 200, wantBody: "{}"},
		{name: "no content", resp: events.APIGatewayProxyResponse{StatusCode: 204}, wantStatus: 204, wantBody: ""},
	}
	table := api.Table{Routes: []api.Route{{Method: "GET", Path: "/api/products", Function: "listproducts", Auth: api.Public}}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw := newGateway(t, table, map[string]localgw.Handler{
				"listproducts": func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
					return tt.resp, nil
				},
			})
			rec := httptest.NewRecorder()
			gw.ServeHTTP(rec, httptest.NewRequest("GET", "/api/products", nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if tt.wantStatus != http.StatusBadGateway && rec.Body.String() != tt.wantBody {
				t.Errorf("body = %q, want %q", rec.Body, tt.wantBody)
			}
		})
	}
}
