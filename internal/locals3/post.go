package locals3

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits of a browser upload. S3 takes up to 5 GB; the stand-in holds
// objects in memory and the photos are at most 5 MB.
const (
	maxPreData    = 20 << 10 // the form fields before the file, as S3
	MaxPostObject = 64 << 20 // the largest file the stand-in accepts
)

// field is one form field, under the name as sent.
type field struct{ name, value string }

// postObject creates an object from a browser's form (S3's POST Object),
// after checking it as S3 does. The fields come first and the file last;
// the policy is checked before a byte of the file is read.
func (s *Server) postObject(w http.ResponseWriter, r *http.Request, bucket string) {
	body := http.MaxBytesReader(w, r.Body, MaxPostObject+maxPreData+64<<10)
	// A client is still sending when an answer comes early (a refused
	// policy, an oversized file): reading the rest first lets it read the
	// answer instead of a reset connection.
	failed := func(e *Error) {
		_, _ = io.Copy(io.Discard, body)
		s.fail(w, r, e)
	}
	if ok, _ := s.backend.BucketExists(bucket); !ok {
		failed(&Error{Status: http.StatusNotFound, Code: "NoSuchBucket", Message: "The specified bucket does not exist"})
		return
	}
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" || params["boundary"] == "" {
		failed(&Error{Status: http.StatusPreconditionFailed, Code: "PreconditionFailed",
			Message:   "At least one of the pre-conditions you specified did not hold",
			Condition: "Bucket POST must be of the enclosure-type multipart/form-data"})
		return
	}
	form := multipart.NewReader(body, params["boundary"])
	fields := map[string]field{} // by lower-case name: S3 matches names ignoring case
	var file *multipart.Part
	preData := 0
	for file == nil {
		part, err := form.NextPart()
		if errors.Is(err, io.EOF) {
			failed(invalidArgument("POST requires exactly one file upload per request.", "file", "0"))
			return
		}
		if err != nil {
			failed(malformedPOST())
			return
		}
		name := part.FormName()
		if strings.EqualFold(name, "file") {
			file = part
			break
		}
		value, err := io.ReadAll(io.LimitReader(part, int64(maxPreData-preData+1)))
		if err != nil {
			failed(malformedPOST())
			return
		}
		if preData += len(name) + len(value); preData > maxPreData {
			failed(&Error{Status: http.StatusBadRequest, Code: "MaxPostPreDataLengthExceeded",
				Message: "Your POST request fields preceding the upload file were too large."})
			return
		}
		lower := strings.ToLower(name)
		if _, dup := fields[lower]; dup {
			// S3 refuses a repeated field rather than pick one: a policy
			// checked against one copy must not let the other be stored.
			failed(invalidArgument(fmt.Sprintf("Bucket POST must contain at most one field named '%s'.", name), name, ""))
			return
		}
		fields[lower] = field{name: name, value: string(value)}
	}
	// Fields after the file are not part of the upload, as on S3.

	key := fields["key"].value
	if key == "" {
		failed(invalidArgument("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.", "key", ""))
		return
	}
	if len(key) > 1024 {
		failed(&Error{Status: http.StatusBadRequest, Code: "KeyTooLongError", Message: "Your key is too long"})
		return
	}
	p, e := s.authorize(bucket, fields)
	if e != nil {
		failed(e)
		return
	}

	limit := int64(MaxPostObject)
	if p.hasRange && p.max < limit {
		limit = p.max
	}
	data, err := io.ReadAll(io.LimitReader(file, limit+1))
	if err != nil {
		failed(malformedPOST())
		return
	}
	if size := int64(len(data)); size > limit {
		rest, _ := io.Copy(io.Discard, file)
		size += rest
		failed(&Error{Status: http.StatusBadRequest, Code: "EntityTooLarge",
			Message:      "Your proposed upload exceeds the maximum allowed size",
			ProposedSize: &size, MaxSizeAllowed: &limit})
		return
	}
	if size := int64(len(data)); p.hasRange && size < p.min {
		failed(&Error{Status: http.StatusBadRequest, Code: "EntityTooSmall",
			Message:      "Your proposed upload is smaller than the minimum allowed size",
			ProposedSize: &size, MinSizeAllowed: &p.min})
		return
	}
	_, _ = io.Copy(io.Discard, body)

	meta := storedFields(fields, s.cfg.Now())
	if _, err := s.backend.PutObject(bucket, key, meta, bytes.NewReader(data), int64(len(data)), nil); err != nil {
		s.fail(w, r, &Error{Status: http.StatusInternalServerError, Code: "InternalError", Message: err.Error()})
		return
	}
	if s.OnObjectCreated != nil {
		s.OnObjectCreated(bucket, key, int64(len(data)))
	}
	sum := md5.Sum(data)
	s.created(w, r, bucket, key, `"`+hex.EncodeToString(sum[:])+`"`, fields)
}

// created answers a successful POST as S3 does: 204 unless the form asked
// for a redirect or another status.
func (s *Server) created(w http.ResponseWriter, r *http.Request, bucket, key, etag string, fields map[string]field) {
	s.setIDs(w)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	// RequestURI is the path as the client sent it, before any
	// http.StripPrefix: the object's address as the client sees it.
	base, _, _ := strings.Cut(r.RequestURI, "?")
	location := scheme + "://" + r.Host + strings.TrimSuffix(base, "/") + "/" + (&url.URL{Path: key}).EscapedPath()
	w.Header().Set("ETag", etag)
	w.Header().Set("Location", location)
	if redirect := fields["success_action_redirect"].value; redirect != "" {
		if u, err := url.Parse(redirect); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			q := u.Query()
			q.Set("bucket", bucket)
			q.Set("key", key)
			q.Set("etag", etag)
			u.RawQuery = q.Encode()
			w.Header().Set("Location", u.String())
			w.WriteHeader(http.StatusSeeOther)
			return
		}
	}
	switch fields["success_action_status"].value {
	case "200":
		w.WriteHeader(http.StatusOK)
	case "201":
		body, _ := xml.Marshal(struct {
			XMLName  xml.Name `xml:"PostResponse"`
			Location string
			Bucket   string
			Key      string
			ETag     string
		}{Location: location, Bucket: bucket, Key: key, ETag: etag})
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, xml.Header)
		_, _ = w.Write(body)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// storedFields are the form fields S3 keeps with the object, under their
// header names.
func storedFields(fields map[string]field, now time.Time) map[string]string {
	meta := map[string]string{"Content-Type": "binary/octet-stream", "Last-Modified": now.UTC().Format(http.TimeFormat)}
	for lower, f := range fields {
		switch {
		case slices.Contains([]string{"content-type", "cache-control", "content-disposition", "content-encoding", "content-language", "expires"}, lower),
			strings.HasPrefix(lower, "x-amz-meta-"):
			meta[textproto.CanonicalMIMEHeaderKey(lower)] = f.value
		}
	}
	return meta
}

func invalidArgument(message, name, value string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "InvalidArgument", Message: message, ArgumentName: name, ArgumentValue: value}
}

func malformedPOST() *Error {
	return &Error{Status: http.StatusBadRequest, Code: "MalformedPOSTRequest",
		Message: "The body of your POST request is not well-formed multipart/form-data."}
}

func accessDenied(message string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "AccessDenied", Message: message}
}

// policy is what a checked policy leaves to check on the file.
type policy struct {
	hasRange bool
	min, max int64
}

// condition is one policy condition, in the form S3 quotes it back.
type condition struct {
	op       string // eq, starts-with, content-length-range
	field    string // as written in the policy, without the $
	value    string
	min, max int64
}

func (c condition) String() string {
	if c.op == "content-length-range" {
		return fmt.Sprintf(`["content-length-range", %d, %d]`, c.min, c.max)
	}
	f, _ := json.Marshal("$" + c.field)
	v, _ := json.Marshal(c.value)
	return fmt.Sprintf(`["%s", %s, %s]`, c.op, f, v)
}

// exempt are the fields no condition needs to name, as on S3.
func exempt(lower string) bool {
	return lower == "policy" || lower == "x-amz-signature" || lower == "file" || strings.HasPrefix(lower, "x-ignore-")
}

// authorize checks a form's signature (SigV4 over the base64 policy, with
// the key derived from the stand-in's secret), its expiration, each of its
// conditions but the size, and that every field is named by a condition.
func (s *Server) authorize(bucket string, fields map[string]field) (policy, *Error) {
	encoded := fields["policy"].value
	if encoded == "" {
		// Without a policy a POST is anonymous: the buckets are private.
		return policy{}, accessDenied("Access Denied")
	}
	for _, name := range []string{"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"} {
		if fields[name].value == "" {
			return policy{}, invalidArgument(fmt.Sprintf("Bucket POST must contain a field named '%s'.  If it is specified, please check the order of the fields.", name), name, "")
		}
	}
	if alg := fields["x-amz-algorithm"].value; alg != "AWS4-HMAC-SHA256" {
		return policy{}, invalidArgument("Unsupported x-amz-algorithm: "+alg, "x-amz-algorithm", alg)
	}
	// AKID/yyyymmdd/region/service/aws4_request
	scope := strings.Split(fields["x-amz-credential"].value, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" || scope[3] != "s3" {
		return policy{}, invalidArgument("Invalid credential: "+fields["x-amz-credential"].value, "x-amz-credential", "")
	}
	if scope[0] != s.cfg.AccessKeyID {
		return policy{}, &Error{Status: http.StatusForbidden, Code: "InvalidAccessKeyId",
			Message: "The AWS Access Key Id you provided does not exist in our records.", AWSAccessKeyID: scope[0]}
	}
	if scope[2] != s.cfg.Region {
		return policy{}, &Error{Status: http.StatusBadRequest, Code: "AuthorizationHeaderMalformed",
			Message: fmt.Sprintf("The authorization header is malformed; the region '%s' is wrong; expecting '%s'", scope[2], s.cfg.Region)}
	}
	if fields["x-amz-security-token"].value != s.cfg.SessionToken {
		return policy{}, &Error{Status: http.StatusBadRequest, Code: "InvalidToken", Message: "The provided token is malformed or otherwise invalid."}
	}
	want := signature(s.cfg.SecretAccessKey, scope[1], scope[2], scope[3], encoded)
	got := strings.ToLower(fields["x-amz-signature"].value)
	if !hmac.Equal([]byte(want), []byte(got)) {
		return policy{}, &Error{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch",
			Message:        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
			AWSAccessKeyID: scope[0], StringToSign: encoded, SignatureProvided: fields["x-amz-signature"].value}
	}

	conditions, expiration, e := parsePolicy(encoded)
	if e != nil {
		return policy{}, e
	}
	if !s.cfg.Now().Before(expiration) {
		return policy{}, accessDenied("Invalid according to Policy: Policy expired.")
	}
	var p policy
	named := map[string]bool{}
	for _, c := range conditions {
		if c.op == "content-length-range" {
			if !p.hasRange {
				p = policy{hasRange: true, min: c.min, max: c.max}
			} else {
				p.min, p.max = max(p.min, c.min), min(p.max, c.max)
			}
			continue
		}
		lower := strings.ToLower(c.field)
		named[lower] = true
		value := fields[lower].value
		if lower == "bucket" {
			value = bucket
		}
		if c.op == "eq" && value != c.value || c.op == "starts-with" && !strings.HasPrefix(value, c.value) {
			return policy{}, accessDenied("Invalid according to Policy: Policy Condition failed: " + c.String())
		}
	}
	var extra []string
	for lower, f := range fields {
		if !exempt(lower) && !named[lower] {
			extra = append(extra, f.name)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return policy{}, accessDenied("Invalid according to Policy: Extra input fields: " + strings.Join(extra, ", "))
	}
	return p, nil
}

// signature is SigV4's signature of a POST policy: the base64 policy is
// the string to sign.
func signature(secret, date, region, service, policy string) string {
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	key := mac(mac(mac(mac([]byte("AWS4"+secret), date), region), service), "aws4_request")
	return hex.EncodeToString(mac(key, policy))
}

func invalidPolicy(message string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "InvalidPolicyDocument", Message: "Invalid Policy: " + message}
}

// parsePolicy decodes a base64 policy document: its expiration and its
// conditions, each either {"field": "value"} (an exact match) or
// ["eq"|"starts-with", "$field", "value"] or
// ["content-length-range", min, max].
func parsePolicy(encoded string) ([]condition, time.Time, *Error) {
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, time.Time{}, invalidPolicy("Invalid Base64 encoding.")
	}
	var doc struct {
		Expiration *string           `json:"expiration"`
		Conditions []json.RawMessage `json:"conditions"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, time.Time{}, invalidPolicy("Invalid JSON.")
	}
	if doc.Expiration == nil {
		return nil, time.Time{}, invalidPolicy("Policy missing expiration.")
	}
	expiration, err := time.Parse(time.RFC3339Nano, *doc.Expiration)
	if err != nil {
		return nil, time.Time{}, invalidPolicy("Invalid 'expiration' value: '" + *doc.Expiration + "'")
	}
	if doc.Conditions == nil {
		return nil, time.Time{}, invalidPolicy("Policy missing conditions.")
	}
	var out []condition
	for _, rawCond := range doc.Conditions {
		cs, problem := parseCondition(rawCond)
		if problem != "" {
			return nil, time.Time{}, invalidPolicy(problem)
		}
		out = append(out, cs...)
	}
	return out, expiration, nil
}

// parseCondition returns the conditions raw holds, or S3's words for what
// is wrong with it.
func parseCondition(raw json.RawMessage) ([]condition, string) {
	var simple map[string]any
	if json.Unmarshal(raw, &simple) == nil {
		if len(simple) == 0 {
			return nil, fmt.Sprintf("Invalid Simple-Condition: %s", raw)
		}
		var out []condition
		for _, name := range slices.Sorted(maps.Keys(simple)) {
			value, ok := simple[name].(string)
			if !ok {
				return nil, "Invalid Simple-Condition: value must be a string."
			}
			out = append(out, condition{op: "eq", field: name, value: value})
		}
		return out, ""
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil || len(list) != 3 {
		return nil, fmt.Sprintf("Invalid Condition: %s", raw)
	}
	var op string
	if json.Unmarshal(list[0], &op) != nil {
		return nil, fmt.Sprintf("Invalid Condition: %s", raw)
	}
	switch op = strings.ToLower(op); op {
	case "eq", "starts-with":
		var name, value string
		if json.Unmarshal(list[1], &name) != nil || json.Unmarshal(list[2], &value) != nil || !strings.HasPrefix(name, "$") {
			return nil, fmt.Sprintf("Invalid Condition: %s", raw)
		}
		return []condition{{op: op, field: name[1:], value: value}}, ""
	case "content-length-range":
		lo, err1 := policyInt(list[1])
		hi, err2 := policyInt(list[2])
		if err1 != nil || err2 != nil || lo < 0 || hi < lo {
			return nil, fmt.Sprintf("Invalid content-length-range: %s", raw)
		}
		return []condition{{op: op, min: lo, max: hi}}, ""
	}
	return nil, fmt.Sprintf("Invalid Condition: unknown operation %q", op)
}

// policyInt reads a bound written as a JSON number or a numeric string.
func policyInt(raw json.RawMessage) (int64, error) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(raw)
	}
	return strconv.ParseInt(strings.TrimSpace(s), 10, 64)
}
