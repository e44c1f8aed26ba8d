package apigw

import (
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/deliverymarket/delivery/api"
)

// The request headers browsers may send and the response headers they may
// read, for every route.
const (
	corsAllowHeaders  = "Authorization, Content-Type, Idempotency-Key, If-Match"
	corsExposeHeaders = "ETag, Location, Retry-After, Idempotent-Replayed"
	corsMaxAgeSeconds = "600"
)

var routeTable = sync.OnceValues(api.Routes)

// cors answers browsers from the configured allow-list of origins. An
// origin not on the list gets no Access-Control-Allow-Origin, so the
// browser refuses the response to the page that asked.
type cors struct {
	any     bool
	origins []string
}

func newCORS(origins []string) cors {
	c := cors{}
	for _, o := range origins {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		switch o {
		case "":
		case "*":
			c.any = true
		default:
			c.origins = append(c.origins, o)
		}
	}
	return c
}

func (c cors) allowed(origin string) bool {
	return origin != "" && (c.any || slices.Contains(c.origins, origin))
}

// apply adds the CORS headers to a response for an allowed origin.
func (c cors) apply(event *events.APIGatewayProxyRequest, resp *events.APIGatewayProxyResponse) {
	if resp.Headers == nil {
		resp.Headers = map[string]string{}
	}
	resp.Headers["Vary"] = "Origin"
	origin := header(event.Headers, "Origin")
	if !c.allowed(origin) {
		return
	}
	resp.Headers["Access-Control-Allow-Origin"] = origin
	resp.Headers["Access-Control-Expose-Headers"] = corsExposeHeaders
}

// preflight answers an OPTIONS request for a resource this function serves.
func (f *Function) preflight(event *events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	// Another function may serve other methods on the same resource
	// (GET and PUT /api/company/products and /api/products/{id}); the
	// preflight speaks for all of them.
	methods := f.allowedMethods(event.Resource)
	if table, err := routeTable(); err == nil {
		for _, r := range table.On(event.Resource) {
			if !slices.Contains(methods, r.Method) {
				methods = append(methods, r.Method)
			}
		}
		slices.Sort(methods)
	}
	if len(methods) == 0 {
		return ErrorResponse(f.noRoute(event))
	}
	resp := events.APIGatewayProxyResponse{StatusCode: http.StatusNoContent, Headers: map[string]string{}}
	if f.cors.allowed(header(event.Headers, "Origin")) {
		resp.Headers["Access-Control-Allow-Methods"] = strings.Join(append(methods, http.MethodOptions), ", ")
		resp.Headers["Access-Control-Allow-Headers"] = corsAllowHeaders
		resp.Headers["Access-Control-Max-Age"] = corsMaxAgeSeconds
	}
	return resp
}
