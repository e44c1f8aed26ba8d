// Package apigw adapts API Gateway REST proxy events to the marketplace
// domain. It is the one place that knows HTTP: routing within a Lambda,
// request bodies and their limits, CORS, the table from error codes to
// statuses, and the JSON shape of every answer.
package apigw

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/deliverymarket/delivery/internal/market"
)

// MaxBodyBytes is the largest request body any endpoint accepts.
const MaxBodyBytes = 64 << 10

// RequestTimeout bounds the work of one request, the database's above
// all: past it the request answers 503 service_unavailable (the driver
// gives up on a connection whose context ends) instead of waiting for a
// database that does not answer until the Lambda timeout (10 s) or API
// Gateway's (29 s) ends it with a bare error. Every request here takes a
// few milliseconds (docs/performance.md), a cold one with its Secrets
// Manager fetch and TLS handshake some hundreds at 256 MB, so 1.5 s only
// ever cuts a request that is stuck; it keeps the promise that an
// unreachable database answers within 2 s with half a second to spare for
// writing the answer. The authorizer, a Lambda of its own, gets the same
// bound.
const RequestTimeout = 1500 * time.Millisecond

// retryAfterSeconds is what a 503 (or a 429 that does not say) asks
// clients to wait before retrying.
const retryAfterSeconds = "5"

// Input is what an endpoint receives: the event, its decoded body and the
// client's address (Client).
type Input struct {
	Event *events.APIGatewayProxyRequest
	Body  []byte
	// Client is the address of the client the request came from, as
	// clientAddress finds it; rate limits key on it (market.ClientKey).
	Client string
}

// Header returns the value of a request header, whatever its case.
func (in Input) Header(name string) string { return header(in.Event.Headers, name) }

// Reply is what an endpoint answers on success.
type Reply struct {
	Status  int
	Body    any
	Headers map[string]string
	// Cache lets browsers and CloudFront keep a 200; the zero policy is
	// no-store.
	Cache CachePolicy
}

// Endpoint serves one route. Errors that are not *market.Error become a
// logged 500 "internal error".
type Endpoint func(ctx context.Context, in Input) (Reply, error)

// Config is what every function shares.
type Config struct {
	// AllowedOrigins lists the origins that may call the API from a
	// browser; "*" allows any (for local development only).
	AllowedOrigins []string
	Logger         *slog.Logger
	// OriginVerifySHA256 is the SHA-256 of the secret CloudFront sends
	// in OriginVerifyHeader; when set, a request without it is refused
	// before any work, and the viewer address CloudFront passes on is
	// trusted. Nil (the local runner, which is its own CloudFront) checks
	// nothing and takes the client from the connection.
	OriginVerifySHA256 []byte
}

// Function is the handler of one Lambda: it serves the endpoints given,
// keyed by "METHOD /resource/{template}" as API Gateway names them.
type Function struct {
	name      string
	endpoints map[string]Endpoint
	cors      cors
	log       *slog.Logger
	origin    []byte
}

// NewFunction returns the handler of the Lambda called name.
func NewFunction(name string, cfg Config, endpoints map[string]Endpoint) *Function {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return &Function{name: name, endpoints: endpoints, cors: newCORS(cfg.AllowedOrigins), log: logger, origin: cfg.OriginVerifySHA256}
}

// Routes returns the "METHOD /resource" keys this function serves.
func (f *Function) Routes() []string {
	keys := make([]string, 0, len(f.endpoints))
	for k := range f.endpoints {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Handle is the Lambda handler. It always answers with a response and a
// nil error: a Go error would make API Gateway answer a bare 502.
func (f *Function) Handle(ctx context.Context, event events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	start := time.Now()
	route := event.HTTPMethod + " " + event.Resource
	resp, err := f.serve(ctx, &event)
	if err != nil {
		resp = ErrorResponse(err)
	}
	f.cors.apply(&event, &resp)

	attrs := []slog.Attr{
		slog.String("function", f.name),
		slog.String("requestId", event.RequestContext.RequestID),
		slog.String("route", route),
		slog.Int("status", resp.StatusCode),
		slog.Int64("durationMs", time.Since(start).Milliseconds()),
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		attrs = append(attrs, slog.String("awsRequestId", lc.AwsRequestID))
	}
	level := slog.LevelInfo
	if err != nil {
		attrs = append(attrs, slog.String("code", string(market.ErrorCode(err))))
		if resp.StatusCode >= 500 {
			level = slog.LevelError
			attrs = append(attrs, slog.String("error", err.Error()))
		}
	}
	f.log.LogAttrs(ctx, level, "request", attrs...)
	return resp, nil
}

func (f *Function) serve(ctx context.Context, event *events.APIGatewayProxyRequest) (resp events.APIGatewayProxyResponse, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	client, err := clientAddress(event, f.origin)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	if event.HTTPMethod == http.MethodOptions {
		return f.preflight(event), nil
	}
	endpoint, ok := f.endpoints[event.HTTPMethod+" "+event.Resource]
	if !ok {
		return events.APIGatewayProxyResponse{}, f.noRoute(event)
	}
	body, err := requestBody(event)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, RequestTimeout)
	defer cancel()
	reply, err := endpoint(ctx, Input{Event: event, Body: body, Client: client})
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	return reply.Cache.apply(event, jsonResponse(reply.Status, reply.Body, reply.Headers)), nil
}

// allowedMethods lists the methods this function serves on resource.
func (f *Function) allowedMethods(resource string) []string {
	var methods []string
	for key := range f.endpoints {
		method, res, _ := strings.Cut(key, " ")
		if res == resource {
			methods = append(methods, method)
		}
	}
	slices.Sort(methods)
	return methods
}

func (f *Function) noRoute(event *events.APIGatewayProxyRequest) error {
	if methods := f.allowedMethods(event.Resource); len(methods) > 0 {
		return &market.Error{
			Code:    market.CodeMethodNotAllowed,
			Message: fmt.Sprintf("%s is not allowed here", event.HTTPMethod),
			Details: map[string][]string{"allow": methods},
		}
	}
	return market.Errorf(market.CodeRouteNotFound, "no route for %s %s", event.HTTPMethod, event.Path)
}

func requestBody(event *events.APIGatewayProxyRequest) ([]byte, error) {
	body := []byte(event.Body)
	if event.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(event.Body)
		if err != nil {
			return nil, market.Errorf(market.CodeInvalid, "the body is not valid base64")
		}
		body = decoded
	}
	if len(body) > MaxBodyBytes {
		return nil, market.Errorf(market.CodeTooLarge, "the body is larger than %d bytes", MaxBodyBytes)
	}
	if len(body) > 0 {
		if ct := header(event.Headers, "Content-Type"); ct != "" && !isJSON(ct) {
			return nil, market.Errorf(market.CodeUnsupportedMediaType, "the body must be application/json")
		}
	}
	return body, nil
}

func isJSON(contentType string) bool {
	mediaType, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mediaType), "application/json")
}

func header(headers map[string]string, name string) string {
	if v, ok := headers[name]; ok {
		return v
	}
	for k, v := range headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// statusByCode is the one table from error codes to HTTP statuses.
var statusByCode = map[market.Code]int{
	market.CodeInvalid:              http.StatusBadRequest,
	market.CodeUnauthorized:         http.StatusUnauthorized,
	market.CodeForbidden:            http.StatusForbidden,
	market.CodeNotFound:             http.StatusNotFound,
	market.CodeRouteNotFound:        http.StatusNotFound,
	market.CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	market.CodeConflict:             http.StatusConflict,
	market.CodeCarrierLimit:         http.StatusConflict,
	market.CodePreconditionFailed:   http.StatusPreconditionFailed,
	market.CodePreconditionRequired: http.StatusPreconditionRequired,
	market.CodeTooLarge:             http.StatusRequestEntityTooLarge,
	market.CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	market.CodeUnavailableProducts:  http.StatusUnprocessableEntity,
	market.CodeShopClosed:           http.StatusUnprocessableEntity,
	market.CodeOutsideArea:          http.StatusUnprocessableEntity,
	market.CodeThrottled:            http.StatusTooManyRequests,
	market.CodeUnavailable:          http.StatusServiceUnavailable,
	market.CodeInternal:             http.StatusInternalServerError,
}

// Status returns the HTTP status for code; unknown codes are internal.
func Status(code market.Code) int {
	if s, ok := statusByCode[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    market.Code `json:"code"`
	Message string      `json:"message"`
	Details any         `json:"details,omitempty"`
}

// ErrorResponse renders err as the API's JSON error. Only a *market.Error
// with a known code is shown as it is; anything else is "internal error",
// with no driver text, SQL or stack.
func ErrorResponse(err error) events.APIGatewayProxyResponse {
	detail := errorDetail{Code: market.CodeInternal, Message: "internal error"}
	var me *market.Error
	if errors.As(err, &me) {
		if _, known := statusByCode[me.Code]; known && me.Code != market.CodeInternal {
			detail = errorDetail{Code: me.Code, Message: me.Message, Details: me.Details}
		}
	}
	status := Status(detail.Code)
	headers := map[string]string{}
	switch status {
	case http.StatusServiceUnavailable:
		headers["Retry-After"] = retryAfterSeconds
	case http.StatusTooManyRequests:
		headers["Retry-After"] = retryAfterSeconds
		if wait, ok := detail.Details.(market.RetryAfter); ok {
			headers["Retry-After"] = strconv.Itoa(wait.Seconds)
		}
	case http.StatusMethodNotAllowed:
		if allow, ok := detail.Details.(map[string][]string); ok {
			headers["Allow"] = strings.Join(allow["allow"], ", ")
		}
	}
	return jsonResponse(status, errorBody{Error: detail}, headers)
}

func jsonResponse(status int, body any, extra map[string]string) events.APIGatewayProxyResponse {
	headers := map[string]string{
		"Content-Type":           "application/json; charset=utf-8",
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
	}
	for k, v := range extra {
		headers[k] = v
	}
	resp := events.APIGatewayProxyResponse{StatusCode: status, Headers: headers}
	if body == nil || status == http.StatusNoContent {
		return resp
	}
	b, err := json.Marshal(body)
	if err != nil {
		// Only a programming error gets here; answer without leaking it.
		return events.APIGatewayProxyResponse{
			StatusCode: http.StatusInternalServerError,
			Headers:    headers,
			Body:       `{"error":{"code":"internal","message":"internal error"}}`,
		}
	}
	resp.Body = string(b)
	return resp
}
