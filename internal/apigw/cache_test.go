package apigw_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/market"
)

const catalogCacheControl = "public, max-age=30, stale-while-revalidate=30"

// catalogHarness serves both public catalog reads over the test catalog.
func catalogHarness(t *testing.T, companies memCompanies) *harness {
	t.Helper()
	return newHarness(t, map[string]apigw.Endpoint{"GET /api/companies": apigw.ListCompanies(companies, time.UTC, time.Now)})
}

var testCompanies = memCompanies{companies: []market.CatalogCompany{
	{ID: 30, Name: "Casa Nonna Kitchen", ProductCount: 2},
	{ID: 10, Name: "Padaria Sol", ProductCount: 2},
}}

// currentETag asks for the event without a validator and returns the tag
// of the 200 it gets.
func currentETag(t *testing.T, h *harness, event events.APIGatewayProxyRequest) string {
	t.Helper()
	setHeader(&event, "If-None-Match", "")
	resp := h.handle(t, event)
	if resp.StatusCode != http.StatusOK || resp.Headers["ETag"] == "" {
		t.Fatalf("GET %s = %d with ETag %q, want 200 with one", event.Path, resp.StatusCode, resp.Headers["ETag"])
	}
	return resp.Headers["ETag"]
}

func TestCatalogCaching(t *testing.T) {
	tests := []struct {
		name   string
		event  string
		origin string // "-" keeps the event's
		// ifNoneMatch builds the request's If-None-Match from the
		// current tag; nil sends none.
		ifNoneMatch func(tag string) string
		want        int
	}{
		{name: "products: first request", event: "list-products.json", origin: "-", want: 200},
		{name: "companies: first request", event: "list-companies.json", origin: "-", want: 200},
		{name: "products: the same tag", event: "list-products.json", origin: "-", ifNoneMatch: same, want: 304},
		{name: "companies: the same tag", event: "list-companies.json", origin: "-", ifNoneMatch: same, want: 304},
		{name: "weak form of the tag", event: "list-products.json", origin: "-", ifNoneMatch: func(tag string) string { return "W/" + tag }, want: 304},
		{name: "tag in a list", event: "list-products.json", origin: "-", ifNoneMatch: func(tag string) string { return `"old", W/"older" ,` + tag }, want: 304},
		{name: "tag in a list without spaces", event: "list-companies.json", origin: "-", ifNoneMatch: func(tag string) string { return `"a",` + tag + `,"b"` }, want: 304},
		{name: "star", event: "list-products.json", origin: "-", ifNoneMatch: func(string) string { return "*" }, want: 304},
		{name: "star with spaces", event: "list-products.json", origin: "-", ifNoneMatch: func(string) string { return " * " }, want: 304},
		{name: "another tag", event: "list-products.json", origin: "-", ifNoneMatch: func(string) string { return `"not-it"` }, want: 200},
		{name: "the tag unquoted", event: "list-products.json", origin: "-", ifNoneMatch: func(tag string) string { return strings.Trim(tag, `"`) }, want: 200},
		{name: "the tag as a prefix of another", event: "list-products.json", origin: "-", ifNoneMatch: func(tag string) string { return strings.TrimSuffix(tag, `"`) + `x"` }, want: 200},
		{name: "the tag after a malformed one", event: "list-products.json", origin: "-", ifNoneMatch: func(tag string) string { return `"a" junk, ` + tag }, want: 200},
		{name: "unterminated tag", event: "list-products.json", origin: "-", ifNoneMatch: func(tag string) string { return strings.TrimSuffix(tag, `"`) }, want: 200},
		{name: "star in a list is not star", event: "list-products.json", origin: "-", ifNoneMatch: func(string) string { return `"a", *` }, want: 200},
		{name: "comma inside a foreign tag", event: "list-products.json", origin: "-", ifNoneMatch: func(tag string) string { return `"a,b", ` + tag }, want: 304},
		{name: "disallowed origin still revalidates", event: "list-products.json", origin: "https://evil.example", ifNoneMatch: same, want: 304},
		{name: "no origin (same-origin page)", event: "list-companies.json", origin: "", ifNoneMatch: same, want: 304},
		{name: "CloudFront revalidating its copy", event: "list-products-revalidate.json", origin: "-", ifNoneMatch: same, want: 304},
		{name: "CloudFront with a stale copy", event: "list-products-revalidate.json", origin: "-", want: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := catalogHarness(t, testCompanies)
			event := loadEvent(t, tt.event)
			if tt.origin != "-" {
				setHeader(&event, "Origin", tt.origin)
			}
			if tt.ifNoneMatch != nil {
				setHeader(&event, "If-None-Match", tt.ifNoneMatch(currentETag(t, h, event)))
			}
			resp := h.handle(t, event)
			if resp.StatusCode != tt.want {
				t.Fatalf("GET %s If-None-Match %q = %d, want %d (body %s)", event.Path, event.Headers["If-None-Match"], resp.StatusCode, tt.want, resp.Body)
			}
			if got := resp.Headers["Cache-Control"]; got != catalogCacheControl {
				t.Errorf("Cache-Control = %q, want %q", got, catalogCacheControl)
			}
			if resp.Headers["Vary"] != "Origin" {
				t.Errorf("Vary = %q, want Origin: the CORS answer depends on it", resp.Headers["Vary"])
			}
			origin := header(event.Headers, "Origin")
			if got := resp.Headers["Access-Control-Allow-Origin"]; (origin == shopOrigin) != (got == shopOrigin) || (got != "" && got != origin) {
				t.Errorf("Access-Control-Allow-Origin = %q for Origin %q", got, origin)
			}
			tag := resp.Headers["ETag"]
			if !strings.HasPrefix(tag, `"`) || len(tag) != 24 {
				t.Errorf("ETag = %q, want a strong quoted 22-character tag", tag)
			}
			if tt.want == http.StatusNotModified {
				if resp.Body != "" || resp.Headers["Content-Type"] != "" {
					t.Errorf("304 has body %q and Content-Type %q, want neither", resp.Body, resp.Headers["Content-Type"])
				}
				if want := currentETag(t, h, event); tag != want {
					t.Errorf("304 ETag = %q, want the current %q", tag, want)
				}
				return
			}
			if want := apigw.ETag([]byte(resp.Body)); tag != want {
				t.Errorf("ETag = %q, want %q, the tag of the body sent", tag, want)
			}
		})
	}
}

func same(tag string) string { return tag }

// header reads a header of a test event whatever its case.
func header(headers map[string]string, name string) string {
	for k, v := range headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// A client may send If-None-Match on several lines; API Gateway keeps them
// all in multiValueHeaders and only the last in headers.
func TestCatalogCachingMultiValueIfNoneMatch(t *testing.T) {
	h := catalogHarness(t, testCompanies)
	event := loadEvent(t, "list-products.json")
	tag := currentETag(t, h, event)
	event.Headers["If-None-Match"] = `"last"`
	event.MultiValueHeaders["If-None-Match"] = []string{tag, `"last"`}
	if resp := h.handle(t, event); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match on two lines, the first matching: status %d, want 304", resp.StatusCode)
	}
}

// A different body has a different tag, and the old tag then gets the
// whole new body.
func TestCatalogETagFollowsTheBody(t *testing.T) {
	h := catalogHarness(t, testCompanies)
	event := loadEvent(t, "list-products.json")
	before := currentETag(t, h, event)
	h.store.mu.Lock()
	h.store.products[0].Price = market.MustMoney("4.60")
	h.store.mu.Unlock()
	setHeader(&event, "If-None-Match", before)
	resp := h.handle(t, event)
	if resp.StatusCode != http.StatusOK || resp.Headers["ETag"] == before || !strings.Contains(resp.Body, `"4.60"`) {
		t.Errorf("after a price change, If-None-Match %s = %d, ETag %s, body %s; want 200 with a new tag and price", before, resp.StatusCode, resp.Headers["ETag"], resp.Body)
	}
}

// Errors are never cached, even for a request that would match anything.
func TestCatalogErrorsStayNoStore(t *testing.T) {
	tests := []struct {
		name      string
		event     string
		query     map[string]string
		companies memCompanies
		storeErr  error
		want      int
	}{
		{name: "bad limit", event: "list-products.json", query: map[string]string{"limit": "0"}, want: 400},
		{name: "bad cursor", event: "list-products.json", query: map[string]string{"cursor": "x"}, want: 400},
		{name: "products: database down", event: "list-products.json", storeErr: &market.Error{Code: market.CodeUnavailable, Message: "down"}, want: 503},
		{name: "products: unexpected error", event: "list-products.json", storeErr: errBoom, want: 500},
		{name: "companies: database down", event: "list-companies.json", companies: memCompanies{err: &market.Error{Code: market.CodeUnavailable, Message: "down"}}, want: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := catalogHarness(t, tt.companies)
			h.store.err = tt.storeErr
			event := loadEvent(t, tt.event)
			setQuery(&event, tt.query)
			setHeader(&event, "If-None-Match", "*")
			resp := h.handle(t, event)
			if resp.StatusCode != tt.want {
				t.Fatalf("GET %s?%v = %d, want %d", event.Path, tt.query, resp.StatusCode, tt.want)
			}
			if got := resp.Headers["Cache-Control"]; got != "no-store" || resp.Headers["ETag"] != "" {
				t.Errorf("%d answer: Cache-Control %q, ETag %q; want no-store and no tag", resp.StatusCode, got, resp.Headers["ETag"])
			}
		})
	}
}

// Every other route keeps no-store, and If-None-Match does nothing there.
func TestOtherRoutesStayNoStore(t *testing.T) {
	h := newHarness(t, nil)
	event := loadEvent(t, "quote.json")
	setHeader(&event, "If-None-Match", "*")
	resp := h.handle(t, event)
	if resp.StatusCode != http.StatusOK || resp.Headers["Cache-Control"] != "no-store" || resp.Headers["ETag"] != "" {
		t.Errorf("POST /api/orders/quote = %d, Cache-Control %q, ETag %q; want 200, no-store, no tag", resp.StatusCode, resp.Headers["Cache-Control"], resp.Headers["ETag"])
	}
}
