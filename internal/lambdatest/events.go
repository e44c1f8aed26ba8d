package lambdatest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/deliverymarket/delivery/internal/apigw"
)

// baseEvent is a real API Gateway event of the storefront's catalog, the
// template of the others.
const baseEvent = "internal/app/testdata/list-products.json"

// Request is one API request to turn into an API Gateway proxy event.
type Request struct {
	Method, Path, Resource string
	Query                  map[string]string
	PathParameters         map[string]string
	Body                   string // JSON, sent as application/json
	// Authorizer is the context the authorizer put on the request
	// (CompanyContext, CarrierContext); nil on public routes.
	Authorizer map[string]any
}

// APIEvent returns r as API Gateway sends it, built on a real event from
// root's testdata.
func APIEvent(root string, r Request) ([]byte, error) {
	raw, err := os.ReadFile(filepath.Join(root, baseEvent))
	if err != nil {
		return nil, err
	}
	var e events.APIGatewayProxyRequest
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, err
	}
	e.HTTPMethod, e.Path, e.Resource = r.Method, r.Path, r.Resource
	e.RequestContext.HTTPMethod, e.RequestContext.ResourcePath, e.RequestContext.Path = r.Method, r.Resource, "/prod"+r.Path
	e.QueryStringParameters, e.MultiValueQueryStringParameters = r.Query, nil
	for k, v := range r.Query {
		if e.MultiValueQueryStringParameters == nil {
			e.MultiValueQueryStringParameters = map[string][]string{}
		}
		e.MultiValueQueryStringParameters[k] = []string{v}
	}
	e.PathParameters = r.PathParameters
	e.Body = r.Body
	if r.Body != "" {
		e.Headers["Content-Type"] = "application/json"
		e.MultiValueHeaders["Content-Type"] = []string{"application/json"}
	}
	e.RequestContext.Authorizer = r.Authorizer
	return json.Marshal(e)
}

// CompanyContext is the authorizer context of a signed-in company.
func CompanyContext(id int64) map[string]any {
	return map[string]any{
		apigw.ContextCompanyID: strconv.FormatInt(id, 10), apigw.ContextScopes: "products:read products:write",
		apigw.ContextExpiresAt: strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10), "principalId": "company:" + strconv.FormatInt(id, 10),
	}
}

// CarrierContext is the authorizer context of a signed-in carrier.
func CarrierContext(id int64) map[string]any {
	return map[string]any{
		apigw.ContextCarrierID: strconv.FormatInt(id, 10), apigw.ContextScopes: "deliveries",
		apigw.ContextExpiresAt: strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10), "principalId": "carrier:" + strconv.FormatInt(id, 10),
	}
}

// AuthorizerEvent is a real TOKEN authorizer event from root's testdata
// carrying token.
func AuthorizerEvent(root, token string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(root, "internal/apigw/testdata/authorizer-token.json"))
	if err != nil {
		return nil, err
	}
	return bytes.ReplaceAll(b, []byte("REPLACED_BY_TEST"), []byte(token)), nil
}
