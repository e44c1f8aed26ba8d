package api_test

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/deliverymarket/delivery/api"
)

// table is a routes table with a parameter route beside a static one, as
// later issues add them.
var table = api.Table{Routes: []api.Route{
	{Method: "GET", Path: "/api/products", Function: "listproducts", Auth: api.Public},
	{Method: "POST", Path: "/api/orders", Function: "placeorder", Auth: api.Public},
	{Method: "GET", Path: "/api/orders/{orderId}", Function: "getorder", Auth: api.Public},
	{Method: "POST", Path: "/api/orders/quote", Function: "priceorder", Auth: api.Public},
	{Method: "PUT", Path: "/api/companies/{companyId}/products/{productId}", Function: "updateproduct", Auth: api.Company},
	{Method: "DELETE", Path: "/api/companies/{companyId}/products/{productId}", Function: "deleteproduct", Auth: api.Company},
	{Method: "GET", Path: "/api/companies/me/products/{productId}", Function: "myproduct", Auth: api.Company},
}}

func TestMatch(t *testing.T) {
	tests := []struct {
		name         string
		method, path string
		wantResource string
		wantParams   map[string]string
		wantFunction string // "" when no route has the method
	}{
		{name: "static", method: "GET", path: "/api/products", wantResource: "/api/products", wantFunction: "listproducts"},
		{name: "static beats param", method: "POST", path: "/api/orders/quote", wantResource: "/api/orders/quote", wantFunction: "priceorder"},
		{
			name: "static beats param, method missing on the static", method: "GET", path: "/api/orders/quote",
			wantResource: "/api/orders/quote",
		},
		{
			name: "param", method: "GET", path: "/api/orders/42", wantResource: "/api/orders/{orderId}",
			wantParams: map[string]string{"orderId": "42"}, wantFunction: "getorder",
		},
		{
			name: "two params", method: "PUT", path: "/api/companies/7/products/99",
			wantResource: "/api/companies/{companyId}/products/{productId}",
			wantParams:   map[string]string{"companyId": "7", "productId": "99"}, wantFunction: "updateproduct",
		},
		{
			name: "second method on the same resource", method: "DELETE", path: "/api/companies/7/products/99",
			wantResource: "/api/companies/{companyId}/products/{productId}",
			wantParams:   map[string]string{"companyId": "7", "productId": "99"}, wantFunction: "deleteproduct",
		},
		{
			name: "leftmost static segment wins", method: "GET", path: "/api/companies/me/products/5",
			wantResource: "/api/companies/me/products/{productId}",
			wantParams:   map[string]string{"productId": "5"}, wantFunction: "myproduct",
		},
		{
			name: "method missing", method: "DELETE", path: "/api/products", wantResource: "/api/products",
		},
		{name: "trailing slash", method: "GET", path: "/api/products/", wantResource: "/api/products", wantFunction: "listproducts"},
		{name: "unknown path", method: "GET", path: "/api/nothing"},
		{name: "too long", method: "GET", path: "/api/products/1/2"},
		{name: "too short", method: "GET", path: "/api"},
		{name: "empty param", method: "PUT", path: "/api/companies//products/5", wantResource: ""},
		{name: "case matters", method: "GET", path: "/api/Products"},
		{name: "method case matters", method: "get", path: "/api/products", wantResource: "/api/products"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resource, params, route, ok := table.Match(tt.method, tt.path)
			if resource != tt.wantResource {
				t.Errorf("Match(%s, %s) resource = %q, want %q", tt.method, tt.path, resource, tt.wantResource)
			}
			if len(params) != len(tt.wantParams) || !maps.Equal(params, tt.wantParams) {
				t.Errorf("Match(%s, %s) params = %v, want %v", tt.method, tt.path, params, tt.wantParams)
			}
			if ok != (tt.wantFunction != "") || route.Function != tt.wantFunction {
				t.Errorf("Match(%s, %s) = %+v, %v, want function %q", tt.method, tt.path, route, ok, tt.wantFunction)
			}
			if ok && (route.Method != tt.method || route.Path != resource) {
				t.Errorf("Match(%s, %s) route = %+v, want it on %s", tt.method, tt.path, route, resource)
			}
		})
	}
}

func TestOn(t *testing.T) {
	tests := []struct {
		name     string
		resource string
		want     []string
	}{
		{name: "two methods in table order", resource: "/api/companies/{companyId}/products/{productId}", want: []string{"PUT", "DELETE"}},
		{name: "one", resource: "/api/products", want: []string{"GET"}},
		{name: "none", resource: "/api/nothing", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range table.On(tt.resource) {
				got = append(got, r.Method)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("On(%s) = %v, want %v", tt.resource, got, tt.want)
			}
		})
	}
}

var (
	segment      = regexp.MustCompile(`^([a-z0-9-]+|\{[a-zA-Z][a-zA-Z0-9]*\})$`)
	functionName = regexp.MustCompile(`^[a-z][a-z0-9]*$`)
)

// routes.json is what Terraform builds the API from: every row must be
// complete, unique and reachable, and name a Lambda that exists.
func TestRoutesJSON(t *testing.T) {
	b, err := os.ReadFile("routes.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var raw api.Table
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("routes.json: %v", err)
	}
	routes, err := api.Routes()
	if err != nil {
		t.Fatalf("Routes() error = %v", err)
	}
	if len(routes.Routes) == 0 || len(routes.Routes) != len(raw.Routes) {
		t.Fatalf("Routes() has %d routes, routes.json %d", len(routes.Routes), len(raw.Routes))
	}
	seen := map[string]bool{}
	for _, r := range routes.Routes {
		t.Run(r.Key(), func(t *testing.T) {
			switch r.Method {
			case "GET", "POST", "PUT", "PATCH", "DELETE":
			default:
				t.Errorf("method %q is not one the API uses", r.Method)
			}
			if seen[r.Key()] {
				t.Errorf("%s appears twice", r.Key())
			}
			seen[r.Key()] = true
			params := map[string]string{}
			concrete := []string{}
			for i, s := range strings.Split(strings.TrimPrefix(r.Path, "/"), "/") {
				if !segment.MatchString(s) {
					t.Errorf("path %s: segment %q is not lower-case text or a {param}", r.Path, s)
				}
				if strings.HasPrefix(s, "{") {
					name := strings.Trim(s, "{}")
					if _, dup := params[name]; dup {
						t.Errorf("path %s: parameter %s twice", r.Path, name)
					}
					params[name] = string(rune('1' + i))
					s = params[name]
				}
				concrete = append(concrete, s)
			}
			if !functionName.MatchString(r.Function) {
				t.Errorf("function %q is not a Lambda folder name", r.Function)
			}
			if _, err := os.Stat(filepath.Join("..", "lambdas", r.Function, "main.go")); err != nil {
				t.Errorf("function %s has no lambdas/%s/main.go: %v", r.Function, r.Function, err)
			}
			// The route is what a request for a concrete path reaches.
			path := "/" + strings.Join(concrete, "/")
			resource, gotParams, got, ok := routes.Match(r.Method, path)
			if !ok || got != r || resource != r.Path {
				t.Errorf("Match(%s, %s) = %q, %+v, %v, want this route", r.Method, path, resource, got, ok)
			}
			if len(params) > 0 && !maps.Equal(gotParams, params) {
				t.Errorf("Match(%s, %s) params = %v, want %v", r.Method, path, gotParams, params)
			}
		})
	}
	// The routes issue 2 asks for.
	for _, key := range []string{"GET /api/products", "POST /api/orders/quote"} {
		if !seen[key] {
			t.Errorf("routes.json lacks %s", key)
		}
	}
}

func TestRouteKey(t *testing.T) {
	r := api.Route{Method: "GET", Path: "/api/orders/{orderId}"}
	if got, want := r.Key(), "GET /api/orders/{orderId}"; got != want {
		t.Errorf("Key() = %q, want %q", got, want)
	}
}
