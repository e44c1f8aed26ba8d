// Package api holds the HTTP API's contract: routes.json, the one table of
// routes (method, path template, Lambda function, auth) from which the local
// runner routes requests and Terraform builds the REST API, and
// openapi.yaml, its documentation.
package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

//go:embed routes.json
var routesJSON []byte

// Auth says who may call a route.
type Auth string

// The kinds of Auth.
const (
	Public  Auth = "public"  // anyone
	Company Auth = "company" // a company token, checked by the authorizer
	Carrier Auth = "carrier" // a carrier token, checked by the same authorizer
)

// Authorized reports whether the route needs a token.
func (a Auth) Authorized() bool { return a == Company || a == Carrier }

// Route is one row of the routes table.
type Route struct {
	Method   string `json:"method"`
	Path     string `json:"path"`
	Function string `json:"function"`
	Auth     Auth   `json:"auth"`
	// Scope is the token scope a company or carrier route needs.
	Scope string `json:"scope,omitempty"`
}

// Key names the route as API Gateway does: "METHOD /path/{template}".
func (r Route) Key() string { return r.Method + " " + r.Path }

// Table is the routes table.
type Table struct {
	Routes []Route `json:"routes"`
}

// Routes returns the routes table embedded in every binary.
func Routes() (Table, error) {
	var t Table
	if err := json.Unmarshal(routesJSON, &t); err != nil {
		return Table{}, fmt.Errorf("api: routes.json: %w", err)
	}
	for _, r := range t.Routes {
		if r.Method == "" || !strings.HasPrefix(r.Path, "/api/") || r.Function == "" || (r.Auth != Public && !r.Auth.Authorized()) {
			return Table{}, fmt.Errorf("api: routes.json: incomplete route %+v", r)
		}
		if r.Auth.Authorized() != (r.Scope != "") {
			return Table{}, fmt.Errorf("api: routes.json: %s: company and carrier routes, and only they, name a scope", r.Key())
		}
	}
	return t, nil
}

// Match resolves a request as API Gateway does: first the resource, the
// matching path template in which static segments win over parameters
// (/api/orders/quote over /api/orders/{orderId}), then the method on it.
// It returns the resource's template ("" if none matches), its path
// parameters, and the route for method (ok false if the resource has no
// such method).
func (t Table) Match(method, path string) (resource string, params map[string]string, route Route, ok bool) {
	for _, r := range t.Routes {
		p, matched := matchTemplate(r.Path, path)
		if matched && (resource == "" || moreSpecific(r.Path, resource)) {
			resource, params = r.Path, p
		}
	}
	for _, r := range t.Routes {
		if r.Path == resource && r.Method == method {
			return resource, params, r, true
		}
	}
	return resource, params, Route{}, false
}

// On lists the routes on a resource, in table order.
func (t Table) On(resource string) []Route {
	var routes []Route
	for _, r := range t.Routes {
		if r.Path == resource {
			routes = append(routes, r)
		}
	}
	return routes
}

// moreSpecific reports whether template a beats b for the same path: at
// the first segment where they differ, a static segment beats a parameter.
func moreSpecific(a, b string) bool {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	for i := range min(len(as), len(bs)) {
		aParam, bParam := strings.HasPrefix(as[i], "{"), strings.HasPrefix(bs[i], "{")
		if aParam != bParam {
			return bParam
		}
	}
	return false
}

// matchTemplate matches a path against a template such as
// /api/products/{id}; a parameter matches one non-empty segment.
func matchTemplate(template, path string) (map[string]string, bool) {
	tParts := strings.Split(strings.Trim(template, "/"), "/")
	pParts := strings.Split(strings.Trim(path, "/"), "/")
	if len(tParts) != len(pParts) {
		return nil, false
	}
	var params map[string]string
	for i, t := range tParts {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			if pParts[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[t[1:len(t)-1]] = pParts[i]
			continue
		}
		if t != pParts[i] {
			return nil, false
		}
	}
	return params, true
}
