package locals3_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/deliverymarket/delivery/internal/locals3"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/s3store"
)

const (
	accessKey = "AKIDLOCALS3TEST"
	secretKey = "locals3-test-secret"
	token     = "locals3-test-session"
	region    = "eu-west-1"
	uploads   = "delivery-uploads-test"
)

// created is one OnObjectCreated call.
type created struct {
	bucket, key string
	size        int64
}

// env is a stand-in served over HTTP, an SDK client of it and what its
// hook saw.
type env struct {
	s3     *locals3.Server
	client *s3.Client
	signer *s3store.Signer
	// base is the stand-in's address, its mount included; close stops
	// serving and closes the stand-in.
	base  string
	close func()

	mu     sync.Mutex
	now    time.Time // the stand-in's clock; advance moves it
	events []created
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

func (e *env) created() []created {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.events)
}

// storages are where a stand-in keeps its objects: every test runs on
// both.
var storages = []struct {
	name string
	bolt bool
}{{"in memory", false}, {"in a bolt file", true}}

// newEnv serves a stand-in at mount ("/" or a prefix such as "/s3/",
// removed with http.StripPrefix as the local runner does), in memory or
// in a bolt file of the test's own, and signs with the real s3store
// signer through a client whose endpoint is that address.
func newEnv(t *testing.T, mount string, bolt bool) *env {
	t.Helper()
	file := ""
	if bolt {
		file = filepath.Join(t.TempDir(), "s3.bolt")
	}
	return newEnvFile(t, mount, file)
}

// newEnvFile is newEnv on the bolt file given ("" for memory). The
// server is closed when the test ends; close does it sooner.
func newEnvFile(t *testing.T, mount, file string) *env {
	t.Helper()
	e := &env{now: time.Now()}
	srv, err := locals3.New(locals3.Config{
		AccessKeyID: accessKey, SecretAccessKey: secretKey, SessionToken: token, Region: region, Now: e.clock,
		File: file,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	srv.OnObjectCreated = func(bucket, key string, size int64) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.events = append(e.events, created{bucket, key, size})
	}
	if err := srv.CreateBuckets(uploads); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	if mount == "/" {
		mux.Handle("/", srv)
	} else {
		mux.Handle(mount, http.StripPrefix(strings.TrimSuffix(mount, "/"), srv))
	}
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	e.close = func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	}
	e.s3 = srv
	e.base = hs.URL + strings.TrimSuffix(mount, "/")
	e.client = s3.New(s3.Options{
		BaseEndpoint: aws.String(e.base),
		UsePathStyle: true,
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secretKey, token),
	})
	if e.signer, err = s3store.NewSigner(e.client, uploads); err != nil {
		t.Fatal(err)
	}
	return e
}

// sign returns a fresh form for a JPEG of product 7 of company 3.
func (e *env) sign(t *testing.T) (market.UploadForm, string) {
	t.Helper()
	key, err := market.NewUploadKey(3, 7)
	if err != nil {
		t.Fatal(err)
	}
	form, err := e.signer.SignUpload(context.Background(), key, "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	return form, key.String()
}

// post sends fields (in name order) and then the file, as a browser
// sends the form, and returns the answer.
func post(t *testing.T, url string, fields map[string]string, file []byte) (*http.Response, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		if err := mw.WriteField(name, fields[name]); err != nil {
			t.Fatal(err)
		}
	}
	if file != nil {
		fw, err := mw.CreateFormFile("file", "photo.jpg")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(file)
	}
	_ = mw.Close()
	resp, err := http.Post(url, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// s3Error is S3's error document, the parts the tests read.
type s3Error struct {
	Code, Message                string
	ProposedSize, MaxSizeAllowed int64
	RequestID                    string `xml:"RequestId"`
}

func TestPresignedPost(t *testing.T) {
	jpeg := bytes.Repeat([]byte{0xff, 0xd8, 0xff}, 100)
	tests := []struct {
		name string
		// edit changes the signed form (fields, file) before it is sent;
		// advance moves the stand-in's clock.
		edit    func(t *testing.T, fields map[string]string, file []byte) []byte
		advance time.Duration
		// wantStatus, and for refusals S3's code and a part of its message.
		wantStatus          int
		wantCode, wantWords string
	}{
		{name: "within the policy", wantStatus: http.StatusNoContent},
		{name: "exactly 5 MB", wantStatus: http.StatusNoContent,
			edit: func(t *testing.T, f map[string]string, file []byte) []byte {
				return make([]byte, market.MaxUploadBytes)
			}},
		{name: "just before the expiry", advance: market.UploadTTL - 2*time.Second, wantStatus: http.StatusNoContent},
		{name: "over 5 MB", wantStatus: http.StatusBadRequest, wantCode: "EntityTooLarge", wantWords: "exceeds the maximum allowed size",
			edit: func(t *testing.T, f map[string]string, file []byte) []byte {
				return make([]byte, market.MaxUploadBytes+1)
			}},
		{name: "empty file", wantStatus: http.StatusBadRequest, wantCode: "EntityTooSmall",
			edit: func(t *testing.T, f map[string]string, file []byte) []byte { return []byte{} }},
		{name: "another key", wantStatus: http.StatusForbidden, wantCode: "AccessDenied", wantWords: `Invalid according to Policy: Policy Condition failed: ["eq", "$key", "uploads/3/7/`,
			edit: func(t *testing.T, f map[string]string, file []byte) []byte {
				f["key"] = "uploads/3/7/ffffffffffffffffffffffffffffffff"
				return file
			}},
		{name: "a key of another company", wantStatus: http.StatusForbidden, wantCode: "AccessDenied", wantWords: `Policy Condition failed: ["eq", "$key"`,
			edit: func(t *testing.T, f map[string]string, file []byte) []byte {
				f["key"] = strings.Replace(f["key"], "uploads/3/", "uploads/4/", 1)
				return file
			}},
		{name: "another Content-Type", wantStatus: http.StatusForbidden, wantCode: "AccessDenied", wantWords: `Policy Condition failed: ["eq", "$Content-Type", "image/jpeg"]`,
			edit: func(t *testing.T, f map[string]string, file []byte) []byte {
				f["Content-Type"] = "text/html"
				return file
			}},
		{name: "no Content-Type", wantStatus: http.StatusForbidden, wantCode: "AccessDenied", wantWords: `"$Content-Type"`,
			edit: func(t *testing.T, f map[string]string, file []byte) []byte {
				delete(f, "Content-Type")
				return file
			}},
		{name: "after the expiry", advance: market.UploadTTL + time.Second, wantStatus: http.StatusForbidden,
			wantCode: "AccessDenied", wantWords: "Invalid according to Policy: Policy expired."},
		{name: "a tampered policy", wantStatus: http.StatusForbidden, wantCode: "SignatureDoesNotMatch",
			edit: func(t *testing.T, f map[string]string, file []byte) []byte {
				raw, _ := base64.StdEncoding.DecodeString(f["policy"])
				f["policy"] = base64.StdEncoding.EncodeToString(bytes.Replace(raw, []byte(`5242880`), []byte(`52428800`), 1))
				return make([]byte, market.MaxUploadBytes+1)
			}},
		{name: "a tampered signature", wantStatus: http.StatusForbidden, wantCode: "SignatureDoesNotMatch",
			edit: func(t *testing.T, f map[string]string, file []byte) []byte {
				sig := []byte(f["X-Amz-Signature"])
				sig[0] = map[bool]byte{true: '1', false: '0'}[sig[0] == '0']
				f["X-Amz-Signature"] = string(sig)
				return file
			}},
		{name: "another access key", wantStatus: http.StatusForbidden, wantCode: "InvalidAccessKeyId",
			edit: func(t *testing.T, f map[string]string, file []byte) []byte {
				f["X-Amz-Credential"] = strings.Replace(f["X-Amz-Credential"], accessKey, "AKIDSOMEONEELSE", 1)
				return file
			}},
		{name: "without the session token", wantStatus: http.StatusBadRequest, wantCode: "InvalidToken",
			edit: func(t *testing.T, f map[string]string, file []byte) []byte {
				delete(f, "X-Amz-Security-Token")
				return file
			}},
		{name: "an extra field", wantStatus: http.StatusForbidden, wantCode: "AccessDenied", wantWords: "Invalid according to Policy: Extra input fields: acl",
			edit: func(t *testing.T, f map[string]string, file []byte) []byte {
				f["acl"] = "public-read"
				return file
			}},
		{name: "extra metadata", wantStatus: http.StatusForbidden, wantCode: "AccessDenied", wantWords: "Extra input fields: x-amz-meta-origin",
			edit: func(t *testing.T, f map[string]string, file []byte) []byte {
				f["x-amz-meta-origin"] = "attacker"
				return file
			}},
		{name: "an ignored field", wantStatus: http.StatusNoContent,
			edit: func(t *testing.T, f map[string]string, file []byte) []byte {
				f["x-ignore-note"] = "fields named x-ignore-* need no condition"
				return file
			}},
		{name: "no policy", wantStatus: http.StatusForbidden, wantCode: "AccessDenied", wantWords: "Access Denied",
			edit: func(t *testing.T, f map[string]string, file []byte) []byte {
				delete(f, "policy")
				return file
			}},
		{name: "no file", wantStatus: http.StatusBadRequest, wantCode: "InvalidArgument", wantWords: "exactly one file",
			edit: func(t *testing.T, f map[string]string, file []byte) []byte { return nil }},
	}
	for _, st := range storages {
		for _, mount := range []string{"/", "/s3/"} {
			t.Run(st.name+" at "+mount, func(t *testing.T) {
				for _, tt := range tests {
					t.Run(tt.name, func(t *testing.T) {
						e := newEnv(t, mount, st.bolt)
						form, key := e.sign(t)
						fields := maps.Clone(form.Fields)
						file := jpeg
						if tt.edit != nil {
							file = tt.edit(t, fields, slices.Clone(jpeg))
						}
						e.advance(tt.advance)
						resp, body := post(t, form.URL, fields, file)
						if resp.StatusCode != tt.wantStatus {
							t.Fatalf("POST = %d %s, want %d", resp.StatusCode, body, tt.wantStatus)
						}
						keys, err := e.s3.Keys(uploads, "")
						if err != nil {
							t.Fatal(err)
						}
						if tt.wantCode == "" {
							obj, err := e.s3.Object(uploads, key)
							if err != nil || !bytes.Equal(obj.Data, file) || obj.Metadata["Content-Type"] != "image/jpeg" {
								t.Fatalf("stored %s = %d bytes of %q (%v), want the file as image/jpeg", key, len(obj.Data), obj.Metadata["Content-Type"], err)
							}
							if got := e.created(); !slices.Equal(got, []created{{uploads, key, int64(len(file))}}) {
								t.Errorf("OnObjectCreated calls = %v, want one for %s", got, key)
							}
							if resp.Header.Get("ETag") == "" || !strings.HasSuffix(resp.Header.Get("Location"), mount+uploads+"/"+key) {
								t.Errorf("answer headers = %v, want an ETag and the object's Location", resp.Header)
							}
							return
						}
						var doc s3Error
						if err := xml.Unmarshal(body, &doc); err != nil {
							t.Fatalf("body %s: %v", body, err)
						}
						if doc.Code != tt.wantCode || !strings.Contains(doc.Message, tt.wantWords) || doc.RequestID == "" {
							t.Errorf("error = %s %q (request id %q), want %s with %q", doc.Code, doc.Message, doc.RequestID, tt.wantCode, tt.wantWords)
						}
						if ct := resp.Header.Get("Content-Type"); ct != "application/xml" {
							t.Errorf("Content-Type = %q, want application/xml", ct)
						}
						if len(keys) != 0 || len(e.created()) != 0 {
							t.Errorf("a refused upload left keys %v and events %v", keys, e.created())
						}
						if tt.wantCode == "EntityTooLarge" && (doc.MaxSizeAllowed != market.MaxUploadBytes || doc.ProposedSize != market.MaxUploadBytes+1) {
							t.Errorf("EntityTooLarge sizes = proposed %d, max %d; want %d, %d", doc.ProposedSize, doc.MaxSizeAllowed, market.MaxUploadBytes+1, market.MaxUploadBytes)
						}
					})
				}
			})
		}
	}
}

// TestPolicyConditions checks the operators the SDK's signer does not use
// on forms signed by hand, with the stand-in's own credentials.
func TestPolicyConditions(t *testing.T) {
	for _, st := range storages {
		t.Run(st.name, func(t *testing.T) { testPolicyConditions(t, st.bolt) })
	}
}

func testPolicyConditions(t *testing.T, bolt bool) {
	e := newEnv(t, "/", bolt)
	base := func() ([]any, map[string]string) {
		date := e.clock().UTC().Format("20060102")
		credential := accessKey + "/" + date + "/" + region + "/s3/aws4_request"
		return []any{
				map[string]string{"bucket": uploads},
				[]any{"starts-with", "$key", "uploads/"},
				map[string]string{"x-amz-algorithm": "AWS4-HMAC-SHA256"},
				map[string]string{"x-amz-credential": credential},
				map[string]string{"x-amz-date": date + "T000000Z"},
				map[string]string{"x-amz-security-token": token},
			}, map[string]string{
				"key": "uploads/a", "x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-credential": credential,
				"x-amz-date": date + "T000000Z", "x-amz-security-token": token,
			}
	}
	tests := []struct {
		name       string
		extra      []any
		fields     map[string]string
		bucket     string
		wantStatus int
		wantWords  string
	}{
		{name: "starts-with", fields: map[string]string{"key": "uploads/photo"}, wantStatus: http.StatusNoContent},
		{name: "starts-with refused", fields: map[string]string{"key": "other/photo"}, wantStatus: http.StatusForbidden, wantWords: `["starts-with", "$key", "uploads/"]`},
		{name: "field names ignore case", extra: []any{[]any{"eq", "$Cache-Control", "no-cache"}}, fields: map[string]string{"cache-control": "no-cache"}, wantStatus: http.StatusNoContent},
		{name: "range as strings", extra: []any{[]any{"content-length-range", "1", "2"}}, wantStatus: http.StatusBadRequest, wantWords: "exceeds the maximum allowed size"},
		{name: "success_action_status 201", extra: []any{map[string]string{"success_action_status": "201"}}, fields: map[string]string{"success_action_status": "201"}, wantStatus: http.StatusCreated},
		{name: "unknown operator", extra: []any{[]any{"ends-with", "$key", "x"}}, wantStatus: http.StatusBadRequest, wantWords: "Invalid Policy"},
		{name: "another bucket in the policy", extra: []any{map[string]string{"bucket": "someone-elses"}}, wantStatus: http.StatusForbidden, wantWords: `["eq", "$bucket", "someone-elses"]`},
		{name: "no such bucket", bucket: "not-created", wantStatus: http.StatusNotFound, wantWords: "does not exist"},
	}
	hs := httptest.NewServer(e.s3)
	defer hs.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conditions, fields := base()
			conditions = append(conditions, tt.extra...)
			maps.Copy(fields, tt.fields)
			now := e.clock().UTC()
			policy, _ := json.Marshal(map[string]any{"expiration": now.Add(time.Minute).Format(time.RFC3339), "conditions": conditions})
			fields["policy"] = base64.StdEncoding.EncodeToString(policy)
			fields["x-amz-signature"] = locals3.Signature(secretKey, now.Format("20060102"), region, "s3", fields["policy"])
			bucket := uploads
			if tt.bucket != "" {
				bucket = tt.bucket
			}
			resp, body := post(t, hs.URL+"/"+bucket, fields, []byte("abc"))
			var doc s3Error
			if len(body) > 0 {
				if err := xml.Unmarshal(body, &doc); err != nil {
					t.Fatalf("body %s: %v", body, err)
				}
			}
			if resp.StatusCode != tt.wantStatus || !strings.Contains(doc.Message, tt.wantWords) {
				t.Errorf("POST = %d %s, want %d with %q", resp.StatusCode, body, tt.wantStatus, tt.wantWords)
			}
		})
	}
}

// TestSDKRequests: the SDK's own calls reach gofakes3; a PUT keeps the
// headers S3 keeps and tells OnObjectCreated; no CORS is offered.
func TestSDKRequests(t *testing.T) {
	for _, st := range storages {
		t.Run(st.name, func(t *testing.T) { testSDKRequests(t, st.bolt) })
	}
}

func testSDKRequests(t *testing.T, bolt bool) {
	e := newEnv(t, "/s3/", bolt)
	ctx := context.Background()
	_, err := e.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(uploads), Key: aws.String("images/a.jpg"), Body: strings.NewReader("jpeg bytes"),
		ContentType: aws.String("image/jpeg"), CacheControl: aws.String("public, max-age=60"),
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	head, err := e.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(uploads), Key: aws.String("images/a.jpg")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if aws.ToString(head.CacheControl) != "public, max-age=60" || aws.ToString(head.ContentType) != "image/jpeg" || aws.ToInt64(head.ContentLength) != 10 {
		t.Errorf("HeadObject = Cache-Control %q, Content-Type %q, %d bytes; want what was put",
			aws.ToString(head.CacheControl), aws.ToString(head.ContentType), aws.ToInt64(head.ContentLength))
	}
	if got := e.created(); !slices.Equal(got, []created{{uploads, "images/a.jpg", 10}}) {
		t.Errorf("OnObjectCreated calls = %v, want the PUT", got)
	}
	if _, err := e.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(uploads), Key: aws.String("images/a.jpg")}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	if _, err := e.s3.Object(uploads, "images/a.jpg"); err != locals3.ErrNoSuchKey {
		t.Errorf("Object after delete = %v, want ErrNoSuchKey", err)
	}
	if len(e.created()) != 1 {
		t.Errorf("OnObjectCreated calls = %v, want none for a delete", e.created())
	}

	form, _ := e.sign(t)
	req, _ := http.NewRequest(http.MethodOptions, form.URL, nil)
	req.Header.Set("Origin", "https://elsewhere.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight = %d with %v, want 403 and no CORS headers", resp.StatusCode, resp.Header)
	}
	get, _ := send(t, e.signed(t, http.MethodGet, "/"+uploads+"/missing", nil))
	if get.StatusCode != http.StatusNotFound || get.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("GET a missing key = %d with %v, want 404 and no CORS headers", get.StatusCode, get.Header)
	}
}

// TestFileOutlivesServer: what a stand-in on a bolt file stored, another
// one on the same file serves alike, the bytes and every header S3 keeps
// (the photos' Cache-Control and Content-Type above all), whether a PUT,
// a browser's POST or Put stored it.
func TestFileOutlivesServer(t *testing.T) {
	file := filepath.Join(t.TempDir(), "s3.bolt")
	e := newEnvFile(t, "/s3/", file)
	ctx := context.Background()
	photo := bytes.Repeat([]byte{0xff, 0xd8, 0xff, 0xe0}, 300)
	_, err := e.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(uploads), Key: aws.String("images/a.jpg"), Body: bytes.NewReader(photo),
		ContentType: aws.String("image/jpeg"), CacheControl: aws.String("public, max-age=31536000, immutable"),
		Metadata: map[string]string{"origin": "test"},
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if err := e.s3.Put(uploads, "images/b.png", []byte("png bytes"), "image/png"); err != nil {
		t.Fatal(err)
	}
	form, posted := e.sign(t)
	if resp, body := post(t, form.URL, form.Fields, photo[:100]); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST = %d %s, want 204", resp.StatusCode, body)
	}
	keys := []string{"images/a.jpg", "images/b.png", posted}
	kept := []string{"Content-Type", "Cache-Control", "Content-Length", "ETag", "Last-Modified", "X-Amz-Meta-Origin"}
	get := func(e *env, key string) (http.Header, []byte) {
		t.Helper()
		resp, body := send(t, e.signed(t, http.MethodGet, "/"+uploads+"/"+key, nil))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d %s, want 200", key, resp.StatusCode, body)
		}
		h := http.Header{}
		for _, name := range kept {
			if v := resp.Header.Get(name); v != "" {
				h.Set(name, v)
			}
		}
		return h, body
	}
	before := map[string]http.Header{}
	bodies := map[string][]byte{}
	for _, key := range keys {
		before[key], bodies[key] = get(e, key)
	}
	if h := before["images/a.jpg"]; h.Get("Cache-Control") != "public, max-age=31536000, immutable" || h.Get("Content-Type") != "image/jpeg" || h.Get("X-Amz-Meta-Origin") != "test" {
		t.Errorf("GET images/a.jpg headers = %v, want what was put", h)
	}
	e.close()

	again := newEnvFile(t, "/s3/", file)
	for _, key := range keys {
		h, body := get(again, key)
		if !bytes.Equal(body, bodies[key]) {
			t.Errorf("GET %s after a restart = %d bytes, want the %d stored", key, len(body), len(bodies[key]))
		}
		if !maps.EqualFunc(h, before[key], slices.Equal) {
			t.Errorf("GET %s after a restart: headers %v, want %v", key, h, before[key])
		}
	}
	obj, err := again.s3.Object(uploads, "images/b.png")
	if err != nil || string(obj.Data) != "png bytes" || obj.Metadata["Content-Type"] != "image/png" {
		t.Errorf("Object(images/b.png) after a restart = %q %v (%v), want the png", obj.Data, obj.Metadata, err)
	}
	if got, err := again.s3.Keys(uploads, ""); err != nil || !slices.Equal(got, slices.Sorted(slices.Values(keys))) {
		t.Errorf("Keys after a restart = %v (%v), want %v", got, err, keys)
	}
}

// envHoldFile makes this test binary the other process of
// TestFileHeldByAnotherProcess.
const envHoldFile = "LOCALS3_TEST_HOLD_FILE"

// TestFileHeldByAnotherProcess: bbolt locks the file it opens; while
// another process holds it, New says so, naming the file, instead of
// waiting for it, and opens it once that process has let go.
func TestFileHeldByAnotherProcess(t *testing.T) {
	config := func(file string) locals3.Config {
		return locals3.Config{AccessKeyID: accessKey, SecretAccessKey: secretKey, Region: region, File: file}
	}
	if file := os.Getenv(envHoldFile); file != "" {
		// The other process: hold the file until stdin is closed.
		srv, err := locals3.New(config(file))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println("holding")
		_, _ = io.Copy(io.Discard, os.Stdin)
		if err := srv.Close(); err != nil {
			t.Fatal(err)
		}
		return
	}
	file := filepath.Join(t.TempDir(), "s3.bolt")
	other := exec.Command(os.Args[0], "-test.run=^TestFileHeldByAnotherProcess$")
	other.Env = append(os.Environ(), envHoldFile+"="+file)
	other.Stderr = os.Stderr
	stdin, err := other.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := other.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = other.Wait()
	})
	holding := false
	for lines := bufio.NewScanner(stdout); !holding && lines.Scan(); {
		holding = lines.Text() == "holding"
	}
	if !holding {
		t.Fatalf("the other process did not open %s", file)
	}

	start := time.Now()
	_, err = locals3.New(config(file))
	if !errors.Is(err, locals3.ErrLocked) || !strings.Contains(err.Error(), file) {
		t.Errorf("New on a file another process holds = %v, want ErrLocked naming %s", err, file)
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("New took %v to give up", waited)
	}

	stdin.Close()
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	if err := other.Wait(); err != nil {
		t.Fatalf("the other process: %v", err)
	}
	srv, err := locals3.New(config(file))
	if err != nil {
		t.Fatalf("New once the other process has ended = %v, want the file", err)
	}
	if err := srv.Close(); err != nil {
		t.Error(err)
	}
}
