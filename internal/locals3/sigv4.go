package locals3

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Every request but a browser's POST form is checked the way S3 checks
// it: signed with AWS Signature Version 4 by the stand-in's own
// credentials, in the Authorization header or in a presigned URL's query.
// The check re-signs what the client says it signed with the SDK's own
// signer and compares the signatures in constant time, so the canonical
// request is the SDK's and never a second reading of the specification.

const (
	sigV4Algorithm = "AWS4-HMAC-SHA256"
	// maxSkew is how far a signature's time may be from the stand-in's
	// clock, as on S3.
	maxSkew = 15 * time.Minute
	// maxPresignExpiry is the longest a presigned URL may live on S3.
	maxPresignExpiry = 7 * 24 * time.Hour
	unsignedPayload  = "UNSIGNED-PAYLOAD"
	// amzDateFormat is the form of X-Amz-Date.
	amzDateFormat = "20060102T150405Z"
)

// signedOnly are the headers that must be signed when present: S3 wants
// Content-Type and every x-amz-* header signed; the others are what the
// stand-in keeps with an object, which S3 would take unsigned but which
// the SDK always signs, so refusing them unsigned only refuses a header
// added to a signed request after it was signed.
var signedOnly = []string{"content-type", "cache-control", "content-disposition", "content-encoding", "content-language", "expires", "content-md5"}

var v4Signer = v4.NewSigner()

// authenticate checks r's SigV4 signature and, when the signature covers
// the body's hash, the body, which it then hands on in memory. A request
// it refuses has changed nothing.
func (s *Server) authenticate(r *http.Request) *Error {
	query := r.URL.Query()
	auth := r.Header.Get("Authorization")
	switch {
	case auth != "" && query.Has("X-Amz-Signature"):
		return invalidArgument("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified", "Authorization", auth)
	case auth != "":
		return s.checkHeaderSignature(r, auth)
	case query.Has("X-Amz-Signature") || query.Has("X-Amz-Credential"):
		return s.checkPresignedURL(r, query)
	}
	// Unsigned: the buckets are private.
	return accessDenied("Access Denied")
}

// authorization is a parsed Authorization header.
type authorization struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
}

// parseAuthorization reads "AWS4-HMAC-SHA256 Credential=AKID/date/region/
// service/aws4_request, SignedHeaders=a;b, Signature=hex".
func parseAuthorization(header string) (authorization, bool) {
	alg, rest, ok := strings.Cut(header, " ")
	if !ok || alg != sigV4Algorithm {
		return authorization{}, false
	}
	var a authorization
	var credential, signed string
	for _, part := range strings.Split(rest, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return authorization{}, false
		}
		switch name {
		case "Credential":
			credential = value
		case "SignedHeaders":
			signed = value
		case "Signature":
			a.signature = value
		default:
			return authorization{}, false
		}
	}
	scope := strings.Split(credential, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" || signed == "" || a.signature == "" {
		return authorization{}, false
	}
	a.accessKey, a.date, a.region, a.service = scope[0], scope[1], scope[2], scope[3]
	a.signedHeaders = strings.Split(signed, ";")
	return a, true
}

// checkScope checks the parts of a credential that name who signed, and
// where.
func (s *Server) checkScope(accessKey, region, service, token string) *Error {
	if accessKey != s.cfg.AccessKeyID {
		return &Error{Status: http.StatusForbidden, Code: "InvalidAccessKeyId",
			Message: "The AWS Access Key Id you provided does not exist in our records.", AWSAccessKeyID: accessKey}
	}
	if region != s.cfg.Region || service != "s3" {
		return &Error{Status: http.StatusBadRequest, Code: "AuthorizationHeaderMalformed",
			Message: fmt.Sprintf("The authorization header is malformed; the region '%s' is wrong; expecting '%s'", region, s.cfg.Region)}
	}
	if token != s.cfg.SessionToken {
		return &Error{Status: http.StatusBadRequest, Code: "InvalidToken", Message: "The provided token is malformed or otherwise invalid."}
	}
	return nil
}

// checkUnsigned refuses a header that must be signed and is not.
func checkUnsigned(h http.Header, signed []string) *Error {
	for name := range h {
		lower := strings.ToLower(name)
		if (strings.HasPrefix(lower, "x-amz-") || slices.Contains(signedOnly, lower)) && !slices.Contains(signed, lower) {
			return accessDenied("There were headers present in the request which were not signed")
		}
	}
	return nil
}

// unsignedCopy is the request a client signed, rebuilt from what it says
// it signed: r's method, host, path as sent and query, and only the
// headers named (host and content-length are the signer's own to add).
func unsignedCopy(r *http.Request, rawQuery string, signed []string) (*http.Request, error) {
	path := r.URL.EscapedPath()
	// RequestURI is the path the client sent and signed, before any
	// http.StripPrefix in front of the stand-in.
	if r.RequestURI != "" {
		if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
			path = u.EscapedPath()
		}
	}
	u, err := url.Parse("http://" + r.Host + path)
	if err != nil {
		return nil, err
	}
	u.RawQuery = rawQuery
	c, err := http.NewRequestWithContext(context.Background(), r.Method, u.String(), nil)
	if err != nil {
		return nil, err
	}
	c.Host = r.Host
	for _, name := range signed {
		switch name {
		case "host":
		case "content-length":
			c.ContentLength = r.ContentLength
		default:
			if values := r.Header.Values(name); len(values) > 0 {
				c.Header[http.CanonicalHeaderKey(name)] = values
			}
		}
	}
	return c, nil
}

func (s *Server) signatureDoesNotMatch(accessKey, provided string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch",
		Message:        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
		AWSAccessKeyID: accessKey, SignatureProvided: provided}
}

// checkTime refuses a signature made too far from now.
func (s *Server) checkTime(at time.Time) *Error {
	now := s.cfg.Now()
	if at.Before(now.Add(-maxSkew)) || at.After(now.Add(maxSkew)) {
		return &Error{Status: http.StatusForbidden, Code: "RequestTimeTooSkewed",
			Message: "The difference between the request time and the current time is too large."}
	}
	return nil
}

func (s *Server) credentials() aws.Credentials {
	return aws.Credentials{AccessKeyID: s.cfg.AccessKeyID, SecretAccessKey: s.cfg.SecretAccessKey, SessionToken: s.cfg.SessionToken}
}

// withoutPathEscaping is how S3's clients sign: the path as sent, not
// escaped a second time.
func withoutPathEscaping(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }

// checkHeaderSignature checks a request signed in its Authorization
// header.
func (s *Server) checkHeaderSignature(r *http.Request, header string) *Error {
	a, ok := parseAuthorization(header)
	if !ok {
		return accessDenied("Access Denied: only AWS4-HMAC-SHA256 signatures are accepted")
	}
	if e := s.checkScope(a.accessKey, a.region, a.service, r.Header.Get("X-Amz-Security-Token")); e != nil {
		return e
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	if payloadHash == "" {
		return &Error{Status: http.StatusBadRequest, Code: "InvalidRequest", Message: "Missing required header for this request: x-amz-content-sha256"}
	}
	if !slices.Contains(a.signedHeaders, "host") {
		return accessDenied("Access Denied: the host header must be signed")
	}
	if e := checkUnsigned(r.Header, a.signedHeaders); e != nil {
		return e
	}
	at, err := time.Parse(amzDateFormat, r.Header.Get("X-Amz-Date"))
	if err != nil {
		return accessDenied("AWS authentication requires a valid Date or x-amz-date header")
	}
	if e := s.checkTime(at); e != nil {
		return e
	}
	c, err := unsignedCopy(r, r.URL.RawQuery, a.signedHeaders)
	if err != nil {
		return s.signatureDoesNotMatch(a.accessKey, a.signature)
	}
	if err := v4Signer.SignHTTP(r.Context(), s.credentials(), c, payloadHash, "s3", s.cfg.Region, at, withoutPathEscaping); err != nil {
		return s.signatureDoesNotMatch(a.accessKey, a.signature)
	}
	want, ok := parseAuthorization(c.Header.Get("Authorization"))
	if !ok || !hmac.Equal([]byte(want.signature), []byte(strings.ToLower(a.signature))) {
		return s.signatureDoesNotMatch(a.accessKey, a.signature)
	}
	return s.checkPayload(r, payloadHash)
}

// checkPayload holds a body whose hash was signed and checks it against
// that hash before anything is stored.
func (s *Server) checkPayload(r *http.Request, payloadHash string) *Error {
	switch {
	case payloadHash == unsignedPayload:
		return nil
	case strings.HasPrefix(payloadHash, "STREAMING-"):
		// Each chunk carries a signature of its own, which gofakes3 would
		// not check; no client of the stand-in streams.
		return &Error{Status: http.StatusNotImplemented, Code: "NotImplemented",
			Message: "A header you provided implies functionality that is not implemented: streaming payloads (" + payloadHash + ")"}
	}
	want, err := hex.DecodeString(payloadHash)
	if err != nil || len(want) != sha256.Size {
		return invalidArgument("x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.", "x-amz-content-sha256", payloadHash)
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxPostObject+1))
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Code: "IncompleteBody", Message: "You did not provide the number of bytes specified by the Content-Length HTTP header"}
	}
	if len(data) > MaxPostObject {
		size, limit := int64(len(data)), int64(MaxPostObject)
		return &Error{Status: http.StatusBadRequest, Code: "EntityTooLarge", Message: "Your proposed upload exceeds the maximum allowed size",
			ProposedSize: &size, MaxSizeAllowed: &limit}
	}
	if got := sha256.Sum256(data); !hmac.Equal(got[:], want) {
		return &Error{Status: http.StatusBadRequest, Code: "XAmzContentSHA256Mismatch",
			Message: "The provided 'x-amz-content-sha256' header does not match what was computed."}
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	return nil
}

// checkPresignedURL checks a request signed in its query (a presigned
// URL): its body is never signed.
func (s *Server) checkPresignedURL(r *http.Request, query url.Values) *Error {
	for _, name := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		if query.Get(name) == "" {
			return &Error{Status: http.StatusBadRequest, Code: "AuthorizationQueryParametersError",
				Message: "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."}
		}
	}
	if query.Get("X-Amz-Algorithm") != sigV4Algorithm {
		return accessDenied("Access Denied: only AWS4-HMAC-SHA256 signatures are accepted")
	}
	provided := query.Get("X-Amz-Signature")
	scope := strings.Split(query.Get("X-Amz-Credential"), "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return &Error{Status: http.StatusBadRequest, Code: "AuthorizationQueryParametersError", Message: "Error parsing the X-Amz-Credential parameter"}
	}
	if e := s.checkScope(scope[0], scope[2], scope[3], query.Get("X-Amz-Security-Token")); e != nil {
		return e
	}
	at, err := time.Parse(amzDateFormat, query.Get("X-Amz-Date"))
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Code: "AuthorizationQueryParametersError", Message: "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""}
	}
	seconds, err := strconv.ParseInt(query.Get("X-Amz-Expires"), 10, 64)
	if err != nil || seconds < 1 || time.Duration(seconds)*time.Second > maxPresignExpiry {
		return &Error{Status: http.StatusBadRequest, Code: "AuthorizationQueryParametersError", Message: "X-Amz-Expires must be between 1 and 604800 seconds"}
	}
	now := s.cfg.Now()
	if at.After(now.Add(maxSkew)) {
		return accessDenied("Request is not valid yet")
	}
	if !now.Before(at.Add(time.Duration(seconds) * time.Second)) {
		return accessDenied("Request has expired")
	}
	signed := strings.Split(query.Get("X-Amz-SignedHeaders"), ";")
	if !slices.Contains(signed, "host") {
		return accessDenied("Access Denied: the host header must be signed")
	}
	if e := checkUnsigned(r.Header, signed); e != nil {
		return e
	}
	rest := url.Values{}
	for name, values := range query {
		if name != "X-Amz-Signature" {
			rest[name] = values
		}
	}
	c, err := unsignedCopy(r, rest.Encode(), signed)
	if err != nil {
		return s.signatureDoesNotMatch(scope[0], provided)
	}
	signedURL, _, err := v4Signer.PresignHTTP(r.Context(), s.credentials(), c, unsignedPayload, "s3", s.cfg.Region, at, withoutPathEscaping)
	if err != nil {
		return s.signatureDoesNotMatch(scope[0], provided)
	}
	u, err := url.Parse(signedURL)
	if err != nil || !hmac.Equal([]byte(u.Query().Get("X-Amz-Signature")), []byte(strings.ToLower(provided))) {
		return s.signatureDoesNotMatch(scope[0], provided)
	}
	return nil
}
