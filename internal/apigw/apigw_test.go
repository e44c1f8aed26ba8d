package apigw_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/market"
)

func TestPreflight(t *testing.T) {
	tests := []struct {
		name        string
		resource    string
		origin      string
		wantStatus  int
		wantAllowed bool
	}{
		{name: "allowed origin", resource: "/api/orders/quote", origin: shopOrigin, wantStatus: 204, wantAllowed: true},
		{name: "disallowed origin", resource: "/api/orders/quote", origin: "https://evil.example", wantStatus: 204},
		{name: "look-alike origin", resource: "/api/orders/quote", origin: shopOrigin + ".evil.example", wantStatus: 204},
		{name: "no origin", resource: "/api/orders/quote", wantStatus: 204},
		// The error still carries Access-Control-Allow-Origin so that the
		// page can read it; it offers no methods.
		{name: "resource this function does not serve", resource: "/api/elsewhere", origin: shopOrigin, wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			event := loadEvent(t, "preflight-quote.json")
			event.Resource, event.Path, event.RequestContext.ResourcePath = tt.resource, tt.resource, tt.resource
			setHeader(&event, "Origin", tt.origin)
			resp := h.handle(t, event)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("OPTIONS %s from %q status = %d, want %d (body %s)", tt.resource, tt.origin, resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if resp.Headers["Vary"] != "Origin" {
				t.Errorf("Vary = %q, want Origin", resp.Headers["Vary"])
			}
			acao, hasACAO := resp.Headers["Access-Control-Allow-Origin"]
			methods := resp.Headers["Access-Control-Allow-Methods"]
			if tt.wantStatus == http.StatusNotFound {
				if methods != "" || errorOf(t, resp).Code != market.CodeRouteNotFound {
					t.Errorf("OPTIONS %s = %s with Allow-Methods %q, want route_not_found and no methods", tt.resource, resp.Body, methods)
				}
				return
			}
			if !tt.wantAllowed {
				if hasACAO || methods != "" {
					t.Errorf("OPTIONS from %q got Access-Control-Allow-Origin %q, -Methods %q; want neither", tt.origin, acao, methods)
				}
				return
			}
			if acao != tt.origin {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", acao, tt.origin)
			}
			if !strings.Contains(methods, "POST") || !strings.Contains(methods, "OPTIONS") || strings.Contains(methods, "GET") {
				t.Errorf("Access-Control-Allow-Methods = %q, want POST and OPTIONS only", methods)
			}
			if allowHeaders := strings.ToLower(resp.Headers["Access-Control-Allow-Headers"]); !strings.Contains(allowHeaders, "content-type") {
				t.Errorf("Access-Control-Allow-Headers = %q, want Content-Type in it", allowHeaders)
			}
			if age, err := strconv.Atoi(resp.Headers["Access-Control-Max-Age"]); err != nil || age <= 0 {
				t.Errorf("Access-Control-Max-Age = %q, want a positive number", resp.Headers["Access-Control-Max-Age"])
			}
			if len(h.store.pages)+len(h.store.byID) != 0 {
				t.Error("a preflight reached the store")
			}
		})
	}
}

func TestAllowOriginOnResponses(t *testing.T) {
	tests := []struct {
		name    string
		allowed []string
		origin  string
		body    string // quote body; a bad one gives an error response
		want    string // Access-Control-Allow-Origin, "" for none
	}{
		{name: "allowed origin", allowed: []string{shopOrigin}, origin: shopOrigin, body: `{"items":[{"productId":1,"quantity":1}]}`, want: shopOrigin},
		{name: "allowed origin on an error", allowed: []string{shopOrigin}, origin: shopOrigin, body: `{}`, want: shopOrigin},
		{name: "allow-list with spaces and a slash", allowed: []string{" https://a.example ", shopOrigin + "/"}, origin: shopOrigin, body: `{}`, want: shopOrigin},
		{name: "disallowed origin", allowed: []string{shopOrigin}, origin: "https://evil.example", body: `{"items":[{"productId":1,"quantity":1}]}`},
		{name: "http instead of https", allowed: []string{shopOrigin}, origin: "http://shop.example.com", body: `{}`},
		{name: "no origin", allowed: []string{shopOrigin}, body: `{}`},
		{name: "empty allow-list", origin: shopOrigin, body: `{}`},
		{name: "the string null", allowed: []string{shopOrigin}, origin: "null", body: `{}`},
		{name: "wildcard echoes the origin", allowed: []string{"*"}, origin: "http://localhost:5173", body: `{}`, want: "http://localhost:5173"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newStore()
			fn := apigw.NewFunction("priceorder", apigw.Config{AllowedOrigins: tt.allowed, Logger: slog.New(slog.DiscardHandler)},
				map[string]apigw.Endpoint{"POST /api/orders/quote": apigw.Quote(market.Pricer{Products: store, Currency: "USD"})})
			event := loadEvent(t, "quote.json")
			event.Body = tt.body
			setHeader(&event, "Origin", tt.origin)
			resp, err := fn.Handle(context.Background(), event)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := resp.Headers["Access-Control-Allow-Origin"]
			if tt.want == "" && ok {
				t.Errorf("Access-Control-Allow-Origin = %q for %q, want none", got, tt.origin)
			}
			if got != tt.want {
				t.Errorf("Access-Control-Allow-Origin = %q for %q, want %q", got, tt.origin, tt.want)
			}
			if resp.Headers["Vary"] != "Origin" {
				t.Errorf("Vary = %q, want Origin", resp.Headers["Vary"])
			}
		})
	}
}

func TestNoRoute(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		resource   string
		wantStatus int
		wantCode   market.Code
		wantAllow  string
	}{
		{name: "DELETE on products", method: "DELETE", resource: "/api/products", wantStatus: 405, wantCode: market.CodeMethodNotAllowed, wantAllow: "GET"},
		{name: "POST on products", method: "POST", resource: "/api/products", wantStatus: 405, wantCode: market.CodeMethodNotAllowed, wantAllow: "GET"},
		{name: "GET on quote", method: "GET", resource: "/api/orders/quote", wantStatus: 405, wantCode: market.CodeMethodNotAllowed, wantAllow: "POST"},
		{name: "resource not served", method: "GET", resource: "/api/companies", wantStatus: 404, wantCode: market.CodeRouteNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			event := loadEvent(t, "list-products.json")
			event.HTTPMethod, event.RequestContext.HTTPMethod = tt.method, tt.method
			event.Resource, event.Path, event.RequestContext.ResourcePath = tt.resource, tt.resource, tt.resource
			resp := h.handle(t, event)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("%s %s status = %d, want %d", tt.method, tt.resource, resp.StatusCode, tt.wantStatus)
			}
			if e := errorOf(t, resp); e.Code != tt.wantCode {
				t.Errorf("%s %s code = %q, want %q", tt.method, tt.resource, e.Code, tt.wantCode)
			}
			allow, ok := resp.Headers["Allow"]
			if tt.wantAllow == "" && ok {
				t.Errorf("%s %s Allow = %q, want none", tt.method, tt.resource, allow)
			}
			if allow != tt.wantAllow {
				t.Errorf("%s %s Allow = %q, want %q", tt.method, tt.resource, allow, tt.wantAllow)
			}
		})
	}
}

func TestInternalErrorsHidden(t *testing.T) {
	const secret = "password=hunter2"
	tests := []struct {
		name       string
		endpoint   apigw.Endpoint
		wantStatus int
		wantCode   market.Code
		forbidden  []string // must not appear in the response body
		wantLogged string   // must appear in the log line's error
		logCode    market.Code
	}{
		{
			name: "panic",
			endpoint: func(context.Context, apigw.Input) (apigw.Reply, error) {
				panic("runtime error: index out of range " + secret)
			},
			wantStatus: 500, wantCode: market.CodeInternal,
			forbidden:  []string{"hunter2", "panic", "goroutine", "index out of range", ".go:"},
			wantLogged: "index out of range",
		},
		{
			name: "SQL error",
			endpoint: func(context.Context, apigw.Input) (apigw.Reply, error) {
				return apigw.Reply{}, fmt.Errorf("list products: %w", fmt.Errorf("Error 1064: You have an error in your SQL syntax near 'FROM'"))
			},
			wantStatus: 500, wantCode: market.CodeInternal,
			forbidden:  []string{"SQL", "1064", "FROM", "list products"},
			wantLogged: "Error 1064",
		},
		{
			name: "market error with the internal code",
			endpoint: func(context.Context, apigw.Input) (apigw.Reply, error) {
				return apigw.Reply{}, &market.Error{Code: market.CodeInternal, Message: "the DSN " + secret + " failed", Details: secret}
			},
			wantStatus: 500, wantCode: market.CodeInternal,
			forbidden: []string{"hunter2", "DSN"},
		},
		{
			name: "market error with an unknown code",
			endpoint: func(context.Context, apigw.Input) (apigw.Reply, error) {
				return apigw.Reply{}, &market.Error{Code: "made_up", Message: "leaks " + secret}
			},
			wantStatus: 500, wantCode: market.CodeInternal,
			forbidden: []string{"hunter2", "made_up"},
			logCode:   "made_up", // the operators see the code the endpoint gave
		},
		{
			name: "unavailable database",
			endpoint: func(context.Context, apigw.Input) (apigw.Reply, error) {
				return apigw.Reply{}, fmt.Errorf("list products: %w", &market.Error{
					Code: market.CodeUnavailable, Message: "the database is unavailable; try again shortly",
					Err: fmt.Errorf("dial tcp 10.0.3.7:3306: connect: connection refused"),
				})
			},
			wantStatus: 503, wantCode: market.CodeUnavailable,
			forbidden:  []string{"10.0.3.7", "dial tcp", "3306", "list products"},
			wantLogged: "connection refused",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, map[string]apigw.Endpoint{"GET /api/products": tt.endpoint})
			event := loadEvent(t, "list-products.json")
			resp := h.handle(t, event)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			e := errorOf(t, resp)
			if e.Code != tt.wantCode {
				t.Errorf("code = %q, want %q", e.Code, tt.wantCode)
			}
			if tt.wantCode == market.CodeInternal && (e.Message != "internal error" || len(e.Details) != 0) {
				t.Errorf("error = %q with details %s, want \"internal error\" without details", e.Message, e.Details)
			}
			for _, f := range tt.forbidden {
				if strings.Contains(resp.Body, f) {
					t.Errorf("body %s leaks %q", resp.Body, f)
				}
			}
			retryAfter, hasRetry := resp.Headers["Retry-After"]
			if tt.wantStatus == http.StatusServiceUnavailable {
				if n, err := strconv.Atoi(retryAfter); err != nil || n < 1 {
					t.Errorf("Retry-After = %q, want a positive number of seconds", retryAfter)
				}
			} else if hasRetry {
				t.Errorf("Retry-After = %q on a %d, want none", retryAfter, resp.StatusCode)
			}
			line := h.logLine(t)
			logCode := tt.wantCode
			if tt.logCode != "" {
				logCode = tt.logCode
			}
			if line["level"] != "ERROR" || line["status"] != float64(tt.wantStatus) || line["code"] != string(logCode) {
				t.Errorf("log line = %v, want level ERROR, status %d, code %s", line, tt.wantStatus, logCode)
			}
			if logged, _ := line["error"].(string); !strings.Contains(logged, tt.wantLogged) {
				t.Errorf("logged error = %q, want it to hold %q for the operators", logged, tt.wantLogged)
			}
			if line["requestId"] != event.RequestContext.RequestID {
				t.Errorf("logged requestId = %v, want %s", line["requestId"], event.RequestContext.RequestID)
			}
		})
	}
}

func TestLogLine(t *testing.T) {
	tests := []struct {
		name       string
		event      string
		body       *string
		wantRoute  string
		wantStatus int
		wantLevel  string
		wantCode   string
	}{
		{name: "list", event: "list-products.json", wantRoute: "GET /api/products", wantStatus: 200, wantLevel: "INFO"},
		{name: "quote", event: "quote.json", wantRoute: "POST /api/orders/quote", wantStatus: 200, wantLevel: "INFO"},
		{name: "client error", event: "quote.json", body: new(`{"items":[]}`), wantRoute: "POST /api/orders/quote", wantStatus: 400, wantLevel: "INFO", wantCode: "invalid_request"},
		{name: "preflight", event: "preflight-quote.json", wantRoute: "OPTIONS /api/orders/quote", wantStatus: 204, wantLevel: "INFO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			event := loadEvent(t, tt.event)
			if tt.body != nil {
				event.Body = *tt.body
			}
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "0b9a8e1c-lambda"})
			resp, err := h.fn.Handle(ctx, event)
			if err != nil || resp.StatusCode != tt.wantStatus {
				t.Fatalf("Handle = %d, %v, want %d", resp.StatusCode, err, tt.wantStatus)
			}
			line := h.logLine(t)
			want := map[string]any{
				"level":        tt.wantLevel,
				"function":     "test",
				"requestId":    event.RequestContext.RequestID,
				"route":        tt.wantRoute,
				"status":       float64(tt.wantStatus),
				"awsRequestId": "0b9a8e1c-lambda",
			}
			for k, v := range want {
				if line[k] != v {
					t.Errorf("log %s = %#v, want %#v (line %v)", k, line[k], v, line)
				}
			}
			if d, ok := line["durationMs"].(float64); !ok || d < 0 {
				t.Errorf("log durationMs = %#v, want a number of milliseconds", line["durationMs"])
			}
			if code, has := line["code"]; tt.wantCode != "" && code != tt.wantCode || tt.wantCode == "" && has {
				t.Errorf("log code = %#v, want %q", code, tt.wantCode)
			}
			if _, has := line["error"]; has && tt.wantStatus < 500 {
				t.Errorf("log line of a %d carries an error: %v", tt.wantStatus, line)
			}
		})
	}
}

// Every code a client can see has a status, and the statuses are the
// ones the API documents.
func TestStatus(t *testing.T) {
	tests := []struct {
		name string
		code market.Code
		want int
	}{
		{name: "invalid", code: market.CodeInvalid, want: 400},
		{name: "unauthorized", code: market.CodeUnauthorized, want: 401},
		{name: "forbidden", code: market.CodeForbidden, want: 403},
		{name: "not found", code: market.CodeNotFound, want: 404},
		{name: "route not found", code: market.CodeRouteNotFound, want: 404},
		{name: "method not allowed", code: market.CodeMethodNotAllowed, want: 405},
		{name: "conflict", code: market.CodeConflict, want: 409},
		{name: "precondition failed", code: market.CodePreconditionFailed, want: 412},
		{name: "too large", code: market.CodeTooLarge, want: 413},
		{name: "unsupported media type", code: market.CodeUnsupportedMediaType, want: 415},
		{name: "unavailable products", code: market.CodeUnavailableProducts, want: 422},
		{name: "unavailable", code: market.CodeUnavailable, want: 503},
		{name: "internal", code: market.CodeInternal, want: 500},
		{name: "unknown", code: "no_such_code", want: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := apigw.Status(tt.code); got != tt.want {
				t.Errorf("Status(%q) = %d, want %d", tt.code, got, tt.want)
			}
			if tt.want == 500 {
				return
			}
			// ErrorResponse shows the code, message and details as they are.
			resp := apigw.ErrorResponse(&market.Error{Code: tt.code, Message: "m", Details: map[string]string{"field": "f"}})
			want := `{"error":{"code":"` + string(tt.code) + `","message":"m","details":{"field":"f"}}}`
			if resp.StatusCode != tt.want || resp.Body != want {
				t.Errorf("ErrorResponse(%s) = %d %s, want %d %s", tt.code, resp.StatusCode, resp.Body, tt.want, want)
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	h := newHarness(t, nil)
	want := []string{"GET /api/products", "POST /api/orders/quote"}
	if got := h.fn.Routes(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Routes() = %v, want %v", got, want)
	}
}

// Endpoints that answer without a body, or with extra headers, keep them.
func TestReplyHeadersAndNoContent(t *testing.T) {
	h := newHarness(t, map[string]apigw.Endpoint{
		"GET /api/products": func(context.Context, apigw.Input) (apigw.Reply, error) {
			return apigw.Reply{Status: http.StatusNoContent, Body: map[string]string{"ignored": "yes"}, Headers: map[string]string{"ETag": `"3"`}}, nil
		},
	})
	resp := h.handle(t, loadEvent(t, "list-products.json"))
	if resp.StatusCode != 204 || resp.Body != "" || resp.Headers["ETag"] != `"3"` {
		t.Errorf("response = %d %q %v, want 204, no body, ETag \"3\"", resp.StatusCode, resp.Body, resp.Headers)
	}
}

// Input.Header finds headers whatever case the client sent them in, as
// API Gateway passes them through unchanged.
func TestInputHeader(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		ask     string
		want    string
	}{
		{name: "same case", headers: map[string]string{"If-Match": `"2"`}, ask: "If-Match", want: `"2"`},
		{name: "lower case sent", headers: map[string]string{"if-match": `"2"`}, ask: "If-Match", want: `"2"`},
		{name: "absent", headers: map[string]string{"Accept": "*/*"}, ask: "If-Match", want: ""},
		{name: "nil headers", ask: "If-Match", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := apigw.Input{Event: &events.APIGatewayProxyRequest{Headers: tt.headers}}
			if got := in.Header(tt.ask); got != tt.want {
				t.Errorf("Header(%q) = %q, want %q", tt.ask, got, tt.want)
			}
		})
	}
}

// Each invocation writes exactly one log line, a panicking one too.
func TestOneLinePerInvocation(t *testing.T) {
	h := newHarness(t, map[string]apigw.Endpoint{
		"GET /api/products": func(context.Context, apigw.Input) (apigw.Reply, error) { panic(errBoom) },
	})
	for range 3 {
		h.handle(t, loadEvent(t, "list-products.json"))
	}
	if n := bytes.Count(h.logs.Bytes(), []byte("\n")); n != 3 {
		t.Errorf("3 invocations wrote %d log lines, want 3", n)
	}
	var first map[string]any
	if err := json.Unmarshal(bytes.SplitN(h.logs.Bytes(), []byte("\n"), 2)[0], &first); err != nil || first["status"] != float64(500) {
		t.Errorf("first log line = %v, %v, want status 500", first, err)
	}
}
