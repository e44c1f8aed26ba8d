package api

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The parts of an OpenAPI 3.0 document that the routes table constrains.
// Anything else in the document is not read here.

type openAPIDoc struct {
	OpenAPI    string                `yaml:"openapi"`
	Security   []map[string][]string `yaml:"security"`
	Paths      map[string]pathItem   `yaml:"paths"`
	Components components            `yaml:"components"`
}

type components struct {
	SecuritySchemes map[string]securityScheme `yaml:"securitySchemes"`
	Responses       map[string]response       `yaml:"responses"`
	Parameters      map[string]parameter      `yaml:"parameters"`
	Schemas         map[string]schema         `yaml:"schemas"`
}

type securityScheme struct {
	Type         string `yaml:"type"`
	Scheme       string `yaml:"scheme"`
	BearerFormat string `yaml:"bearerFormat"`
}

type pathItem struct {
	Parameters []parameter `yaml:"parameters"`
	Get        *operation  `yaml:"get"`
	Put        *operation  `yaml:"put"`
	Post       *operation  `yaml:"post"`
	Delete     *operation  `yaml:"delete"`
	Options    *operation  `yaml:"options"`
	Head       *operation  `yaml:"head"`
	Patch      *operation  `yaml:"patch"`
	Trace      *operation  `yaml:"trace"`
}

// operations returns the item's operations by upper-case HTTP method.
func (p pathItem) operations() map[string]*operation {
	ops := map[string]*operation{}
	for method, op := range map[string]*operation{
		"GET": p.Get, "PUT": p.Put, "POST": p.Post, "DELETE": p.Delete,
		"OPTIONS": p.Options, "HEAD": p.Head, "PATCH": p.Patch, "TRACE": p.Trace,
	} {
		if op != nil {
			ops[method] = op
		}
	}
	return ops
}

type operation struct {
	Function string `yaml:"x-function"`
	Scope    string `yaml:"x-scope"`
	// Security is nil when the operation does not say, and then the
	// document's security applies; an empty list means no security.
	Security   *[]map[string][]string `yaml:"security"`
	Parameters []parameter            `yaml:"parameters"`
	Responses  map[string]response    `yaml:"responses"`
}

type parameter struct {
	Ref  string `yaml:"$ref"`
	Name string `yaml:"name"`
	In   string `yaml:"in"`
}

type response struct {
	Ref     string               `yaml:"$ref"`
	Content map[string]mediaType `yaml:"content"`
}

type mediaType struct {
	Schema schema `yaml:"schema"`
}

type schema struct {
	Ref  string   `yaml:"$ref"`
	Enum []string `yaml:"enum"`
}

const (
	errorSchemaRef   = "#/components/schemas/Error"
	errorCodeSchema  = "ErrorCode"
	responseRefStem  = "#/components/responses/"
	parameterRefStem = "#/components/parameters/"
)

// parseOpenAPI decodes an OpenAPI document.
func parseOpenAPI(data []byte) (openAPIDoc, error) {
	var doc openAPIDoc
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return openAPIDoc{}, fmt.Errorf("openapi: %w", err)
	}
	return doc, nil
}

// bearerSchemes returns the names of the document's HTTP bearer schemes.
func (d openAPIDoc) bearerSchemes() map[string]bool {
	names := map[string]bool{}
	for name, s := range d.Components.SecuritySchemes {
		if s.Type == "http" && strings.EqualFold(s.Scheme, "bearer") {
			names[name] = true
		}
	}
	return names
}

// resolveResponse follows a $ref into components.responses.
func (d openAPIDoc) resolveResponse(r response) (response, bool) {
	if r.Ref == "" {
		return r, true
	}
	name, ok := strings.CutPrefix(r.Ref, responseRefStem)
	if !ok {
		return response{}, false
	}
	resolved, ok := d.Components.Responses[name]
	return resolved, ok && resolved.Ref == ""
}

// resolveParameter follows a $ref into components.parameters.
func (d openAPIDoc) resolveParameter(p parameter) (parameter, bool) {
	if p.Ref == "" {
		return p, true
	}
	name, ok := strings.CutPrefix(p.Ref, parameterRefStem)
	if !ok {
		return parameter{}, false
	}
	resolved, ok := d.Components.Parameters[name]
	return resolved, ok && resolved.Ref == ""
}

var pathParam = regexp.MustCompile(`\{([^{}]+)\}`)

// checkDocumented compares the routes table with the document and returns
// every disagreement, one line each; none means the document describes
// exactly the routes of the table. Paths are compared as written, so the
// document's path templates must be the table's, parameter names
// included.
func checkDocumented(table Table, doc openAPIDoc) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		add("openapi: version %q, want 3.x", doc.OpenAPI)
	}
	if len(doc.Security) > 0 {
		// Public routes must need nothing; a global requirement invites
		// forgetting to lift it on one of them.
		add("the document declares global security; declare it per operation instead")
	}
	bearer := doc.bearerSchemes()
	if len(bearer) == 0 {
		add("components.securitySchemes: no http bearer scheme for company tokens")
	}
	for name, s := range doc.Components.SecuritySchemes {
		if bearer[name] && s.BearerFormat != "JWT" {
			add("securitySchemes.%s: bearerFormat %q, want JWT", name, s.BearerFormat)
		}
	}

	routes := map[string]Route{}
	for _, r := range table.Routes {
		routes[r.Key()] = r
		item, ok := doc.Paths[r.Path]
		if !ok {
			add("%s: path %s is not documented", r.Key(), r.Path)
			continue
		}
		if item.operations()[r.Method] == nil {
			add("%s: operation is not documented", r.Key())
		}
	}

	for path, item := range doc.Paths {
		for method, op := range item.operations() {
			key := method + " " + path
			route, ok := routes[key]
			if !ok {
				add("%s: documented but not in routes.json", key)
				continue
			}
			problems = append(problems, checkOperation(doc, bearer, route, item, op)...)
		}
	}
	sort.Strings(problems)
	return problems
}

// checkOperation checks one documented operation against its route.
func checkOperation(doc openAPIDoc, bearer map[string]bool, route Route, item pathItem, op *operation) []string {
	var problems []string
	add := func(format string, args ...any) {
		problems = append(problems, route.Key()+": "+fmt.Sprintf(format, args...))
	}

	if op.Function != route.Function {
		add("x-function %q, want %q", op.Function, route.Function)
	}
	if op.Scope != route.Scope {
		add("x-scope %q, want %q", op.Scope, route.Scope)
	}

	security := doc.Security
	if op.Security != nil {
		security = *op.Security
	}
	switch route.Auth {
	case Company, Carrier:
		if len(security) == 0 {
			add("%s route without a security requirement", route.Auth)
		}
		// Every alternative must need the bearer token: an empty
		// requirement ({}) would make the token optional.
		for _, requirement := range security {
			if !slices.ContainsFunc(keys(requirement), func(name string) bool { return bearer[name] }) {
				add("security requirement %v does not need the %s bearer token", requirement, route.Auth)
			}
		}
		for _, status := range []string{"401", "403"} {
			if _, ok := op.Responses[status]; !ok {
				add("%s route does not document the gateway's %s", route.Auth, status)
			}
		}
	case Public:
		if len(security) > 0 {
			add("public route with security %v, want none", security)
		}
	}

	errorResponses := 0
	for status, r := range op.Responses {
		resolved, ok := doc.resolveResponse(r)
		if !ok {
			add("response %s: unresolved $ref %q", status, r.Ref)
			continue
		}
		if !strings.HasPrefix(status, "4") && !strings.HasPrefix(status, "5") {
			continue
		}
		json, ok := resolved.Content["application/json"]
		if !ok || json.Schema.Ref != errorSchemaRef {
			add("error response %s does not use the Error schema", status)
			continue
		}
		if strings.HasPrefix(status, "4") {
			errorResponses++
		}
	}
	if errorResponses == 0 {
		add("no 4xx response with the Error schema")
	}

	declared := map[string]bool{}
	for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
		resolved, ok := doc.resolveParameter(p)
		if !ok {
			add("unresolved parameter $ref %q", p.Ref)
			continue
		}
		if resolved.In == "path" {
			declared[resolved.Name] = true
		}
	}
	want := map[string]bool{}
	for _, m := range pathParam.FindAllStringSubmatch(route.Path, -1) {
		want[m[1]] = true
		if !declared[m[1]] {
			add("path parameter %q is not declared", m[1])
		}
	}
	for name := range declared {
		if !want[name] {
			add("path parameter %q is not in the path", name)
		}
	}
	return problems
}

func keys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// mustParse parses an OpenAPI document written in a test.
func mustParse(t *testing.T, text string) openAPIDoc {
	t.Helper()
	doc, err := parseOpenAPI([]byte(text))
	if err != nil {
		t.Fatalf("parseOpenAPI: %v", err)
	}
	return doc
}

// mustReadOpenAPI parses api/openapi.yaml.
func mustReadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	data, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return mustParse(t, string(data))
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	table, err := Routes()
	if err != nil {
		t.Fatalf("Routes() error = %v", err)
	}
	doc := mustReadOpenAPI(t)
	for _, p := range checkDocumented(table, doc) {
		t.Error(p)
	}
}

// TestOpenAPINoticesNewRoute is the reason the document cannot fall
// behind: a route added to the table alone fails the check.
func TestOpenAPINoticesNewRoute(t *testing.T) {
	table, err := Routes()
	if err != nil {
		t.Fatalf("Routes() error = %v", err)
	}
	doc := mustReadOpenAPI(t)
	grown := Table{Routes: append(slices.Clone(table.Routes),
		Route{Method: "PATCH", Path: "/api/products/{id}", Function: "updateproduct", Auth: Company, Scope: "products:write"},
		Route{Method: "GET", Path: "/api/undocumented", Function: "listproducts", Auth: Public},
	)}
	// Only the problems the new routes add: the real files' own, if any,
	// are TestOpenAPIDocumentsEveryRoute's to report.
	before := checkDocumented(table, doc)
	var got []string
	for _, p := range checkDocumented(grown, doc) {
		if !slices.Contains(before, p) {
			got = append(got, p)
		}
	}
	want := []string{
		"GET /api/undocumented: path /api/undocumented is not documented",
		"PATCH /api/products/{id}: operation is not documented",
	}
	if !slices.Equal(got, want) {
		t.Errorf("checkDocumented(routes.json + 2 routes, openapi.yaml) added %q, want %q", got, want)
	}
}

// A small document whose one company and one public operation are right;
// the cases below break one thing at a time.
const goodDoc = `
openapi: 3.0.3
paths:
  /api/things:
    get:
      x-function: things
      responses:
        "400": {$ref: "#/components/responses/Bad"}
  /api/things/{id}:
    parameters:
      - {name: id, in: path, required: true}
    put:
      x-function: things
      x-scope: things:write
      security: [{token: []}]
      responses:
        "400": {$ref: "#/components/responses/Bad"}
        "401": {$ref: "#/components/responses/Bad"}
        "403": {$ref: "#/components/responses/Bad"}
components:
  securitySchemes:
    token: {type: http, scheme: bearer, bearerFormat: JWT}
  responses:
    Bad:
      description: bad
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
`

var goodTable = Table{Routes: []Route{
	{Method: "GET", Path: "/api/things", Function: "things", Auth: Public},
	{Method: "PUT", Path: "/api/things/{id}", Function: "things", Auth: Company, Scope: "things:write"},
}}

func TestCheckDocumented(t *testing.T) {
	tests := []struct {
		name  string
		table Table
		doc   string // goodDoc after edits
		edits []string
		want  []string
	}{
		{name: "consistent", table: goodTable, doc: goodDoc},
		{
			name: "route not documented",
			table: Table{Routes: append(slices.Clone(goodTable.Routes),
				Route{Method: "DELETE", Path: "/api/things/{id}", Function: "things", Auth: Company, Scope: "things:write"})},
			doc:  goodDoc,
			want: []string{"DELETE /api/things/{id}: operation is not documented"},
		},
		{
			name:  "path not documented",
			table: Table{Routes: append(slices.Clone(goodTable.Routes), Route{Method: "GET", Path: "/api/other", Function: "things", Auth: Public})},
			doc:   goodDoc,
			want:  []string{"GET /api/other: path /api/other is not documented"},
		},
		{
			name:  "operation not in the table",
			table: Table{Routes: goodTable.Routes[:1]},
			doc:   goodDoc,
			want:  []string{"PUT /api/things/{id}: documented but not in routes.json"},
		},
		{
			name:  "parameter renamed",
			table: goodTable,
			doc:   strings.ReplaceAll(goodDoc, "{id}", "{thingId}"),
			want: []string{
				"PUT /api/things/{id}: path /api/things/{id} is not documented",
				"PUT /api/things/{thingId}: documented but not in routes.json",
			},
		},
		{
			name:  "path parameter not declared",
			table: goodTable,
			doc:   strings.Replace(goodDoc, "{name: id, in: path, required: true}", "{name: id, in: query}", 1),
			want:  []string{"PUT /api/things/{id}: path parameter \"id\" is not declared"},
		},
		{
			name:  "wrong x-function",
			table: goodTable,
			doc:   strings.Replace(goodDoc, "x-function: things", "x-function: stuff", 1),
			want:  []string{`GET /api/things: x-function "stuff", want "things"`},
		},
		{
			name:  "wrong x-scope",
			table: goodTable,
			doc:   strings.Replace(goodDoc, "x-scope: things:write", "x-scope: things:read", 1),
			want:  []string{`PUT /api/things/{id}: x-scope "things:read", want "things:write"`},
		},
		{
			name:  "company route without security",
			table: goodTable,
			doc:   strings.Replace(goodDoc, "security: [{token: []}]", "security: []", 1),
			want:  []string{"PUT /api/things/{id}: company route without a security requirement"},
		},
		{
			name:  "company route with an anonymous alternative",
			table: goodTable,
			doc:   strings.Replace(goodDoc, "security: [{token: []}]", "security: [{token: []}, {}]", 1),
			want:  []string{"PUT /api/things/{id}: security requirement map[] does not need the company bearer token"},
		},
		{
			name:  "company route without 401",
			table: goodTable,
			doc:   strings.Replace(goodDoc, `"401": {$ref: "#/components/responses/Bad"}`, "", 1),
			want:  []string{"PUT /api/things/{id}: company route does not document the gateway's 401"},
		},
		{
			name:  "public route with security",
			table: goodTable,
			doc:   strings.Replace(goodDoc, "x-function: things\n      responses", "x-function: things\n      security: [{token: []}]\n      responses", 1),
			want:  []string{"GET /api/things: public route with security [map[token:[]]], want none"},
		},
		{
			name:  "global security",
			table: goodTable,
			doc:   goodDoc + "security: [{token: []}]\n",
			want: []string{
				"GET /api/things: public route with security [map[token:[]]], want none",
				"the document declares global security; declare it per operation instead",
			},
		},
		{
			name:  "no bearer scheme",
			table: goodTable,
			doc:   strings.Replace(goodDoc, "type: http, scheme: bearer", "type: apiKey, in: header, name: X-Key", 1),
			want: []string{
				"PUT /api/things/{id}: security requirement map[token:[]] does not need the company bearer token",
				"components.securitySchemes: no http bearer scheme for company tokens",
			},
		},
		{
			name:  "error response without the Error schema",
			table: goodTable,
			doc:   strings.Replace(goodDoc, `"400": {$ref: "#/components/responses/Bad"}`, `"400": {description: bad}`, 1),
			want: []string{
				"GET /api/things: error response 400 does not use the Error schema",
				"GET /api/things: no 4xx response with the Error schema",
			},
		},
		{
			name:  "unresolved response",
			table: goodTable,
			doc:   strings.Replace(goodDoc, `"400": {$ref: "#/components/responses/Bad"}`, `"400": {$ref: "#/components/responses/Gone"}`, 1),
			want: []string{
				`GET /api/things: no 4xx response with the Error schema`,
				`GET /api/things: response 400: unresolved $ref "#/components/responses/Gone"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkDocumented(tt.table, mustParse(t, tt.doc))
			if !slices.Equal(got, tt.want) {
				t.Errorf("checkDocumented() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestOpenAPIErrorCodes keeps the ErrorCode enum equal to the codes clients
// can see: those of internal/market/error.go and those API Gateway answers
// with (gateway_responses.json).
func TestOpenAPIErrorCodes(t *testing.T) {
	want := map[string]bool{}
	for _, code := range marketCodes(t, "../internal/market/error.go") {
		want[code] = true
	}
	responses, err := GatewayResponses()
	if err != nil {
		t.Fatalf("GatewayResponses() error = %v", err)
	}
	for _, r := range responses {
		want[r.Code] = true
	}

	doc := mustReadOpenAPI(t)
	enum := doc.Components.Schemas[errorCodeSchema].Enum
	got := map[string]bool{}
	for _, code := range enum {
		got[code] = true
	}
	for code := range want {
		if !got[code] {
			t.Errorf("openapi.yaml: %s does not list error code %q", errorCodeSchema, code)
		}
	}
	for code := range got {
		if !want[code] {
			t.Errorf("openapi.yaml: %s lists %q, which neither the API nor API Gateway answers", errorCodeSchema, code)
		}
	}
}

// marketCodes returns the values of the market.Code constants declared in
// the Go file at path.
func marketCodes(t *testing.T, path string) []string {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			if typ, ok := vs.Type.(*ast.Ident); !ok || typ.Name != "Code" {
				continue
			}
			for _, v := range vs.Values {
				lit, ok := v.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("%s: a Code constant that is not a string literal", path)
				}
				code, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				codes = append(codes, code)
			}
		}
	}
	if len(codes) == 0 {
		t.Fatalf("%s: no Code constants found", path)
	}
	return codes
}
