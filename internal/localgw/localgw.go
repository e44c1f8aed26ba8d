// Package localgw plays API Gateway on a laptop: it turns each HTTP request
// into the events.APIGatewayProxyRequest that API Gateway's REST proxy
// integration sends, routes it through the routes table in api/routes.json,
// calls the same handler the Lambda runs, and writes its response back.
package localgw

import (
	"context"
	"encoding/base64"
	"fmt"
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

// Authorizer is a TOKEN Lambda authorizer's handler.
type Authorizer func(context.Context, events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error)

// maxBody mirrors API Gateway's 10 MB payload limit; the functions
// themselves refuse much smaller bodies.
const maxBody = 10 << 20

// Stage is the stage name the local events carry.
const Stage = "local"

// apiARN stands in for the deployed API's execute-api ARN prefix.
const apiARN = "arn:aws:execute-api:local:000000000000:localapi/" + Stage

// Gateway is an http.Handler for everything under /api.
type Gateway struct {
	routes     api.Table
	functions  map[string]Handler
	authorizer Authorizer
	responses  map[string]api.GatewayResponse
	policies   *policyCache
}

// New returns a gateway over routes that calls functions by name and runs
// authorizer before every company route, caching its answer per token for
// apigw.AuthorizerCacheTTL as the deployed API does.
func New(routes api.Table, functions map[string]Handler, authorizer Authorizer) (*Gateway, error) {
	responses, err := api.GatewayResponses()
	if err != nil {
		return nil, err
	}
	return &Gateway{
		routes:     routes,
		functions:  functions,
		authorizer: authorizer,
		responses:  responses,
		policies:   newPolicyCache(apigw.AuthorizerCacheTTL),
	}, nil
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resource, params, route, ok := g.routes.Match(r.Method, r.URL.Path)
	function := route.Function
	switch {
	case resource != "" && !ok && r.Method == http.MethodOptions:
		// As deployed, a resource's OPTIONS goes to its first function,
		// which answers the CORS preflight, without the authorizer.
		function = g.routes.On(resource)[0].Function
	case !ok:
		// API Gateway answers a method or path it does not have itself.
		g.gatewayResponse(w, api.MissingRoute)
		return
	}
	handler, found := g.functions[function]
	if !found {
		g.gatewayResponse(w, api.MissingRoute)
		return
	}
	event, err := Event(r, resource, params)
	if err != nil {
		writeResponse(w, apigw.ErrorResponse(err))
		return
	}
	if route.Auth.Authorized() {
		authorizer, refusal := g.authorize(r.Context(), r.Header.Get("Authorization"), r.Method, r.URL.Path)
		if refusal != "" {
			g.gatewayResponse(w, refusal)
			return
		}
		event.RequestContext.Authorizer = authorizer
	}
	resp, err := handler(r.Context(), event)
	if err != nil {
		// API Gateway answers a failed invocation with a bare 502.
		http.Error(w, `{"message": "Internal server error"}`, http.StatusBadGateway)
		return
	}
	writeResponse(w, resp)
}

// authorize does what API Gateway does for a route with a TOKEN
// authorizer: no header is a 401 without calling the authorizer; otherwise
// the (cached) policy for the token decides, an explicit Deny or no Allow
// being a 403. It returns the context the integration receives, or the
// gateway response type that refuses the request.
func (g *Gateway) authorize(ctx context.Context, token, method, path string) (map[string]any, string) {
	if token == "" || g.authorizer == nil {
		return nil, api.Unauthorized
	}
	methodARN := apiARN + "/" + method + path
	resp, cached := g.policies.get(token)
	if !cached {
		var err error
		resp, err = g.authorizer(ctx, events.APIGatewayCustomAuthorizerRequest{
			Type:               "TOKEN",
			AuthorizationToken: token,
			MethodArn:          methodARN,
		})
		if err != nil {
			if err.Error() == apigw.ErrUnauthorized.Error() {
				return nil, api.Unauthorized
			}
			return nil, api.AuthorizerFailure
		}
		g.policies.put(token, resp)
	}
	if !allows(resp.PolicyDocument, methodARN) {
		return nil, api.AccessDenied
	}
	authorizer := map[string]any{"principalId": resp.PrincipalID}
	for k, v := range resp.Context {
		// API Gateway stringifies context values on the way to a REST
		// proxy integration.
		authorizer[k] = fmt.Sprint(v)
	}
	return authorizer, ""
}

func (g *Gateway) gatewayResponse(w http.ResponseWriter, responseType string) {
	resp := g.responses[responseType]
	for name, value := range resp.Headers {
		w.Header().Set(name, value)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.Status)
	_, _ = io.WriteString(w, resp.Body())
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
