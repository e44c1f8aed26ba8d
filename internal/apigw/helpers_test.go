package apigw_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/market"
)

// The origin the test functions allow; the testdata events send it.
const shopOrigin = "https://shop.example.com"

// loadEvent reads an API Gateway REST proxy event from testdata.
func loadEvent(t *testing.T, name string) events.APIGatewayProxyRequest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read event: %v", err)
	}
	var event events.APIGatewayProxyRequest
	if err := json.Unmarshal(b, &event); err != nil {
		t.Fatalf("parse event %s: %v", name, err)
	}
	return event
}

// setQuery replaces the query string of event as API Gateway would send it.
func setQuery(event *events.APIGatewayProxyRequest, query map[string]string) {
	event.QueryStringParameters, event.MultiValueQueryStringParameters = nil, nil
	if len(query) == 0 {
		return
	}
	event.QueryStringParameters = map[string]string{}
	event.MultiValueQueryStringParameters = map[string][]string{}
	for k, v := range query {
		event.QueryStringParameters[k] = v
		event.MultiValueQueryStringParameters[k] = []string{v}
	}
}

// setHeader sets a header in both header maps, replacing any other case
// of the same name.
func setHeader(event *events.APIGatewayProxyRequest, name, value string) {
	for k := range event.Headers {
		if strings.EqualFold(k, name) {
			delete(event.Headers, k)
			delete(event.MultiValueHeaders, k)
		}
	}
	if value == "" {
		return
	}
	event.Headers[name] = value
	event.MultiValueHeaders[name] = []string{value}
}

// memStore is an in-memory market.ProductStore.
type memStore struct {
	mu       sync.Mutex
	products []market.Product // in id order
	err      error
	pages    []market.ProductPage
	byID     [][]int64
}

func (s *memStore) ListActive(_ context.Context, page market.ProductPage) ([]market.Product, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages = append(s.pages, page)
	if s.err != nil {
		return nil, s.err
	}
	out := []market.Product{}
	for _, p := range s.products {
		if p.Active && p.ID > page.AfterID && matches(p, page.Filter) && len(out) < page.Limit {
			out = append(out, p)
		}
	}
	return out, nil
}

// matches is the catalog filter as the SQL store applies it (less its
// accent folding).
func matches(p market.Product, f market.ProductFilter) bool {
	if f.CompanyID != 0 && p.CompanyID != f.CompanyID {
		return false
	}
	q := strings.ToLower(f.Query)
	return strings.Contains(strings.ToLower(p.Name), q) || strings.Contains(strings.ToLower(p.Description), q) ||
		strings.Contains(strings.ToLower(p.CompanyName), q)
}

func (s *memStore) ProductsByID(_ context.Context, ids []int64) (map[int64]market.Product, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byID = append(s.byID, slices.Clone(ids))
	if s.err != nil {
		return nil, s.err
	}
	found := map[int64]market.Product{}
	for _, p := range s.products {
		if slices.Contains(ids, p.ID) {
			found[p.ID] = p
		}
	}
	return found, nil
}

// newStore returns a catalog of products 1..6 in which 4 is inactive.
func newStore() *memStore {
	p := func(id int64, company int64, companyName, name, price string, active bool) market.Product {
		return market.Product{
			ID: id, CompanyID: company, CompanyName: companyName, Name: name,
			Description: "About " + name + ".", Price: market.MustMoney(price), Active: active, Version: id,
		}
	}
	return &memStore{products: []market.Product{
		p(1, 10, "Padaria Sol", "Sourdough loaf", "4.5", true),
		p(2, 10, "Padaria Sol", "Croissant", "2.75", true),
		p(3, 20, "Green Basket Grocers", "Lemons (4)", "0.10", true),
		p(4, 20, "Green Basket Grocers", "Old stock", "1.00", false),
		p(5, 30, "Casa Nonna Kitchen", "Lasagna for two", "18.50", true),
		p(6, 30, "Casa Nonna Kitchen", "Tiramisu", "9999999999.99", true),
	}}
}

// harness is a function with the catalog endpoints, as the Lambdas wire
// them, that logs into a buffer.
type harness struct {
	fn    *apigw.Function
	store *memStore
	logs  *bytes.Buffer
}

func newHarness(t *testing.T, extra map[string]apigw.Endpoint) *harness {
	t.Helper()
	h := &harness{store: newStore(), logs: &bytes.Buffer{}}
	endpoints := map[string]apigw.Endpoint{
		"GET /api/products":      apigw.ListProducts(h.store, "USD"),
		"POST /api/orders/quote": apigw.Quote(market.Pricer{Products: h.store, Currency: "USD"}),
	}
	for k, e := range extra {
		endpoints[k] = e
	}
	logger := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.fn = apigw.NewFunction("test", apigw.Config{AllowedOrigins: []string{shopOrigin + "/"}, Logger: logger}, endpoints)
	return h
}

// handle invokes the function and checks that it never fails the
// invocation itself.
func (h *harness) handle(t *testing.T, event events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	t.Helper()
	resp, err := h.fn.Handle(context.Background(), event)
	if err != nil {
		t.Fatalf("Handle(%s %s) error = %v, want nil (API Gateway would answer 502)", event.HTTPMethod, event.Path, err)
	}
	return resp
}

// logLine returns the one JSON log line written since the last call.
func (h *harness) logLine(t *testing.T) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(h.logs.String()), "\n")
	h.logs.Reset()
	if len(lines) != 1 || lines[0] == "" {
		t.Fatalf("log = %q, want exactly one line", lines)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
		t.Fatalf("log line %q is not JSON: %v", lines[0], err)
	}
	return line
}

// decodeJSON decodes a response body keeping numbers as json.Number.
func decodeJSON(t *testing.T, body string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", body, err)
	}
	return v
}

// apiError is the JSON error every failure answers with.
type apiError struct {
	Code    market.Code     `json:"code"`
	Message string          `json:"message"`
	Details json.RawMessage `json:"details"`
}

// errorOf decodes an error response, checking its envelope.
func errorOf(t *testing.T, resp events.APIGatewayProxyResponse) apiError {
	t.Helper()
	var body struct {
		Error *apiError `json:"error"`
	}
	dec := json.NewDecoder(strings.NewReader(resp.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.Error == nil {
		t.Fatalf("error body %q is not {\"error\": {...}}: %v", resp.Body, err)
	}
	if body.Error.Code == "" || body.Error.Message == "" {
		t.Errorf("error body %q lacks a code or message", resp.Body)
	}
	if ct := resp.Headers["Content-Type"]; !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error Content-Type = %q, want application/json", ct)
	}
	return *body.Error
}

// keys returns the sorted keys of a JSON object.
func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var errBoom = errors.New("boom")
