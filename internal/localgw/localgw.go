// Package localgw plays API Gateway on a laptop: it turns each HTTP request
// into the events.APIGatewayProxyRequest that API Gateway's REST proxy
// integration sends, routes it through the routes table in api/routes.json,
// calls the same handler the Lambda runs, and writes its response back.
package localgw

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"

	"github.com/deliverymarket/delivery/api"
	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/market"
)

// Handler is a function's Lambda handler.
type Handler func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// maxBody mirrors API Gateway's 10 MB payload limit; the functions
// themselves refuse much smaller bodies.
const maxBody = 10 << 20

// Stage is the stage name the local events carry.
const Stage = "local"

// Gateway is an http.Handler for everything under /api.
type Gateway struct {
	routes    api.Table
	functions map[string]Handler
}

// New returns a gateway over routes that calls functions by name.
func New(routes api.Table, functions map[string]Handler) *Gateway {
	return &Gateway{routes: routes, functions: functions}
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resource, params, route, ok := g.routes.Match(r.Method, r.URL.Path)
	function := route.Function
	switch {
	case resource == "":
		writeResponse(w, apigw.ErrorResponse(market.Errorf(market.CodeRouteNotFound, "no route for %s %s", r.Method, r.URL.Path)))
		return
	case !ok && r.Method == http.MethodOptions:
		// As deployed, a resource's OPTIONS goes to its first function,
		// which answers the CORS preflight.
		function = g.routes.On(resource)[0].Function
	case !ok:
		writeResponse(w, apigw.ErrorResponse(&market.Error{
			Code:    market.CodeMethodNotAllowed,
			Message: r.Method + " is not allowed here",
			Details: map[string][]string{"allow": methods(g.routes.On(resource))},
		}))
		return
	}
	handler, found := g.functions[function]
	if !found {
		writeResponse(w, apigw.ErrorResponse(market.Errorf(market.CodeRouteNotFound, "function %s is not running", function)))
		return
	}
	event, err := Event(r, resource, params)
	if err != nil {
		writeResponse(w, apigw.ErrorResponse(err))
		return
	}
	resp, err := handler(r.Context(), event)
	if err != nil {
		// API Gateway answers a failed invocation with a bare 502.
		http.Error(w, `{"message": "Internal server error"}`, http.StatusBadGateway)
		return
	}
	writeResponse(w, resp)
}

// Event builds the REST proxy event API Gateway would send for r on the
// given resource template.
func Event(r *http.Request, resource string, params map[string]string) (events.APIGatewayProxyRequest, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return events.APIGatewayProxyRequest{}, market.Errorf(market.CodeTooLarge, "the body is larger than API Gateway accepts")
	}
	requestID := uuid.NewString()
	sourceIP, _, _ := net.SplitHostPort(r.RemoteAddr)
	event := events.APIGatewayProxyRequest{
		Resource:                        resource,
		Path:                            r.URL.Path,
		HTTPMethod:                      r.Method,
		Headers:                         map[string]string{},
		MultiValueHeaders:               map[string][]string{},
		QueryStringParameters:           map[string]string{},
		MultiValueQueryStringParameters: map[string][]string{},
		PathParameters:                  params,
		RequestContext: events.APIGatewayProxyRequestContext{
			RequestID:         requestID,
			ExtendedRequestID: requestID,
			Stage:             Stage,
			ResourcePath:      resource,
			HTTPMethod:        r.Method,
			Path:              "/" + Stage + r.URL.Path,
			Protocol:          r.Proto,
			RequestTimeEpoch:  time.Now().UnixMilli(),
			Identity:          events.APIGatewayRequestIdentity{SourceIP: sourceIP, UserAgent: r.UserAgent()},
		},
	}
	for name, values := range r.Header {
		// API Gateway passes the last value in the single-value map.
		event.Headers[name] = values[len(values)-1]
		event.MultiValueHeaders[name] = values
	}
	if r.Host != "" {
		event.Headers["Host"] = r.Host
		event.MultiValueHeaders["Host"] = []string{r.Host}
	}
	for name, values := range r.URL.Query() {
		event.QueryStringParameters[name] = values[len(values)-1]
		event.MultiValueQueryStringParameters[name] = values
	}
	// API Gateway sends null, not {}, for absent maps.
	if len(event.QueryStringParameters) == 0 {
		event.QueryStringParameters, event.MultiValueQueryStringParameters = nil, nil
	}
	if utf8.Valid(body) {
		event.Body = string(body)
	} else {
		event.Body = base64.StdEncoding.EncodeToString(body)
		event.IsBase64Encoded = true
	}
	return event, nil
}

func writeResponse(w http.ResponseWriter, resp events.APIGatewayProxyResponse) {
	for name, value := range resp.Headers {
		w.Header().Set(name, value)
	}
	for name, values := range resp.MultiValueHeaders {
		w.Header()[http.CanonicalHeaderKey(name)] = values
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			http.Error(w, `{"message": "Internal server error"}`, http.StatusBadGateway)
			return
		}
		body = decoded
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func methods(routes []api.Route) []string {
	out := make([]string, len(routes))
	for i, r := range routes {
		out[i] = r.Method
	}
	return out
}
