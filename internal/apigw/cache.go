package apigw

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// CachePolicy says how long browsers and CloudFront may keep a successful
// answer. The zero policy keeps the default, Cache-Control: no-store, which
// every route has unless its endpoint asks for another.
type CachePolicy struct {
	// MaxAge is how long a copy is fresh.
	MaxAge time.Duration
	// StaleWhileRevalidate is how long after MaxAge a cache may still
	// answer with its copy while it fetches a new one in the background.
	StaleWhileRevalidate time.Duration
}

// CatalogCache is the policy of the public catalog reads (GET
// /api/products, GET /api/companies). A change to the catalog reaches every
// shopper within MaxAge + StaleWhileRevalidate (a minute), which is harmless:
// a quote and an order price from the database, never from a cached page.
// In exchange a storefront load costs CloudFront one origin request per
// edge and query per half minute, not one Lambda and one SQL query per
// shopper.
var CatalogCache = CachePolicy{MaxAge: 30 * time.Second, StaleWhileRevalidate: 30 * time.Second}

func (p CachePolicy) public() bool { return p.MaxAge > 0 }

// header renders p as a Cache-Control value. Browsers and CloudFront honour
// max-age alike (CloudFront prefers s-maxage, which is not needed while
// both lifetimes are the same).
func (p CachePolicy) header() string {
	v := "public, max-age=" + strconv.Itoa(int(p.MaxAge/time.Second))
	if p.StaleWhileRevalidate > 0 {
		v += ", stale-while-revalidate=" + strconv.Itoa(int(p.StaleWhileRevalidate/time.Second))
	}
	return v
}

// apply makes a successful response cacheable under p: it adds the
// Cache-Control and a strong ETag of the exact body bytes, and answers a
// request whose If-None-Match names that tag (or is *) with a 304 and no
// body. Anything but a 200, and any response under the zero policy, stays
// as it is, no-store included.
func (p CachePolicy) apply(event *events.APIGatewayProxyRequest, resp events.APIGatewayProxyResponse) events.APIGatewayProxyResponse {
	if !p.public() || resp.StatusCode != http.StatusOK || resp.IsBase64Encoded {
		return resp
	}
	tag := ETag([]byte(resp.Body))
	resp.Headers["Cache-Control"] = p.header()
	resp.Headers["ETag"] = tag
	if !noneMatch(ifNoneMatch(event), tag) {
		return resp
	}
	// A 304 repeats the validators and the lifetime, so that caches
	// refresh their copy, and carries no representation metadata of a
	// body it does not have (RFC 9110, section 15.4.5).
	headers := make(map[string]string, len(resp.Headers))
	for k, v := range resp.Headers {
		if k != "Content-Type" {
			headers[k] = v
		}
	}
	return events.APIGatewayProxyResponse{StatusCode: http.StatusNotModified, Headers: headers}
}

// ETag returns the strong entity tag of body: the first 128 bits of its
// SHA-256, base64url-encoded and quoted. Equal bytes give equal tags on
// every container, so a tag from one Lambda validates against another.
func ETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}

// ifNoneMatch returns every If-None-Match value of the request, joined as
// one list: a client may send the header more than once, and API Gateway
// keeps only the last in the single-value map.
func ifNoneMatch(event *events.APIGatewayProxyRequest) string {
	for k, values := range event.MultiValueHeaders {
		if strings.EqualFold(k, "If-None-Match") && len(values) > 0 {
			return strings.Join(values, ", ")
		}
	}
	return header(event.Headers, "If-None-Match")
}

// noneMatch reports whether the If-None-Match field value names tag, so
// that the condition is false and a GET gets 304. The comparison is weak,
// as RFC 9110 (section 13.1.2) requires for If-None-Match: W/"x" matches
// "x", which matters because a cache that compressed our body may hand the
// browser a weakened tag. "*" matches any current representation. A
// malformed list matches nothing from the fault on, so the client gets the
// full answer rather than a wrong 304.
func noneMatch(field, tag string) bool {
	opaque := strings.TrimPrefix(tag, "W/")
	s := field
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return false
		}
		if s[0] == '*' {
			return strings.TrimSpace(field) == "*"
		}
		s = strings.TrimPrefix(s, "W/")
		if !strings.HasPrefix(s, `"`) {
			return false
		}
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return false
		}
		if s[:end+2] == opaque {
			return true
		}
		s = s[end+2:]
		if s = strings.TrimLeft(s, " \t"); s != "" && s[0] != ',' {
			return false
		}
	}
}
