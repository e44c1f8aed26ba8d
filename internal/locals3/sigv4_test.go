package locals3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/deliverymarket/delivery/internal/locals3"
)

// request returns a request to the stand-in, path under its mount.
func (e *env) request(t *testing.T, method, path string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, e.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	return req
}

// signAs signs req in its Authorization header as the SDK does, with
// secret at at; body is what it will send.
func signAs(t *testing.T, req *http.Request, body []byte, secret string, at time.Time) {
	t.Helper()
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secret, SessionToken: token}
	err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "s3", region, at,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err != nil {
		t.Fatal(err)
	}
}

// signed is a request signed by the stand-in's own credentials, now.
func (e *env) signed(t *testing.T, method, path string, body []byte) *http.Request {
	t.Helper()
	req := e.request(t, method, path, body)
	signAs(t, req, body, secretKey, e.clock())
	return req
}

// send sends req and returns the answer with its whole body.
func send(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// snapshot is every object of the uploads bucket, by key.
func (e *env) snapshot(t *testing.T) map[string]string {
	t.Helper()
	keys, err := e.s3.Keys(uploads, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range keys {
		obj, err := e.s3.Object(uploads, k)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = obj.Metadata["Content-Type"] + "|" + string(obj.Data)
	}
	return out
}

// TestRefused: nothing but a request signed by the stand-in's own
// credentials reads, lists, writes or deletes; what is refused answers
// S3's error and changes nothing.
func TestRefused(t *testing.T) {
	for _, st := range storages {
		t.Run(st.name, func(t *testing.T) { testRefused(t, st.bolt) })
	}
}

func testRefused(t *testing.T, bolt bool) {
	e := newEnv(t, "/s3/", bolt)
	if err := e.s3.Put(uploads, "images/photo.jpg", []byte("the real photo"), "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	html := []byte("<script>alert(1)</script>")
	object := "/" + uploads + "/images/photo.jpg"
	tests := []struct {
		name string
		req  func(t *testing.T) *http.Request
		// wantStatus and wantCode are the refusal.
		wantStatus int
		wantCode   string
	}{
		{name: "unsigned GET", wantStatus: http.StatusForbidden, wantCode: "AccessDenied",
			req: func(t *testing.T) *http.Request { return e.request(t, http.MethodGet, object, nil) }},
		{name: "unsigned HEAD", wantStatus: http.StatusForbidden,
			req: func(t *testing.T) *http.Request { return e.request(t, http.MethodHead, object, nil) }},
		{name: "unsigned list", wantStatus: http.StatusForbidden, wantCode: "AccessDenied",
			req: func(t *testing.T) *http.Request { return e.request(t, http.MethodGet, "/"+uploads+"?list-type=2", nil) }},
		{name: "unsigned list of buckets", wantStatus: http.StatusForbidden, wantCode: "AccessDenied",
			req: func(t *testing.T) *http.Request { return e.request(t, http.MethodGet, "/", nil) }},
		{name: "unsigned PUT of HTML", wantStatus: http.StatusForbidden, wantCode: "AccessDenied",
			req: func(t *testing.T) *http.Request {
				req := e.request(t, http.MethodPut, object, html)
				req.Header.Set("Content-Type", "text/html")
				return req
			}},
		{name: "unsigned DELETE", wantStatus: http.StatusForbidden, wantCode: "AccessDenied",
			req: func(t *testing.T) *http.Request { return e.request(t, http.MethodDelete, object, nil) }},
		{name: "unsigned multi-object delete", wantStatus: http.StatusForbidden, wantCode: "AccessDenied",
			req: func(t *testing.T) *http.Request {
				return e.request(t, http.MethodPost, "/"+uploads+"?delete", []byte(`<Delete><Object><Key>images/photo.jpg</Key></Object></Delete>`))
			}},
		{name: "unsigned copy", wantStatus: http.StatusForbidden, wantCode: "AccessDenied",
			req: func(t *testing.T) *http.Request {
				req := e.request(t, http.MethodPut, "/"+uploads+"/images/copy.jpg", nil)
				req.Header.Set("X-Amz-Copy-Source", uploads+"/images/photo.jpg")
				return req
			}},
		{name: "signed by another secret", wantStatus: http.StatusForbidden, wantCode: "SignatureDoesNotMatch",
			req: func(t *testing.T) *http.Request {
				req := e.request(t, http.MethodPut, object, html)
				req.Header.Set("Content-Type", "text/html")
				signAs(t, req, html, "not-the-secret", e.clock())
				return req
			}},
		{name: "signed for another key", wantStatus: http.StatusForbidden, wantCode: "SignatureDoesNotMatch",
			req: func(t *testing.T) *http.Request {
				req := e.signed(t, http.MethodDelete, "/"+uploads+"/images/other.jpg", nil)
				req.URL.Path = "/s3" + object
				return req
			}},
		{name: "signed GET turned into a DELETE", wantStatus: http.StatusForbidden, wantCode: "SignatureDoesNotMatch",
			req: func(t *testing.T) *http.Request {
				req := e.signed(t, http.MethodGet, object, nil)
				req.Method = http.MethodDelete
				return req
			}},
		{name: "Content-Type changed after signing", wantStatus: http.StatusForbidden, wantCode: "SignatureDoesNotMatch",
			req: func(t *testing.T) *http.Request {
				req := e.request(t, http.MethodPut, object, html)
				req.Header.Set("Content-Type", "image/jpeg")
				signAs(t, req, html, secretKey, e.clock())
				req.Header.Set("Content-Type", "text/html")
				return req
			}},
		{name: "Content-Type added after signing", wantStatus: http.StatusForbidden, wantCode: "AccessDenied",
			req: func(t *testing.T) *http.Request {
				req := e.signed(t, http.MethodPut, object, html)
				req.Header.Set("Content-Type", "text/html")
				return req
			}},
		{name: "metadata added after signing", wantStatus: http.StatusForbidden, wantCode: "AccessDenied",
			req: func(t *testing.T) *http.Request {
				req := e.signed(t, http.MethodPut, object, html)
				req.Header.Set("X-Amz-Meta-Owner", "someone")
				return req
			}},
		{name: "body changed after signing", wantStatus: http.StatusBadRequest, wantCode: "XAmzContentSHA256Mismatch",
			req: func(t *testing.T) *http.Request {
				// Of the signed length: only the bytes differ.
				req := e.signed(t, http.MethodPut, object, bytes.Repeat([]byte("x"), len(html)))
				req.Body = io.NopCloser(bytes.NewReader(html))
				return req
			}},
		{name: "signed an hour ago", wantStatus: http.StatusForbidden, wantCode: "RequestTimeTooSkewed",
			req: func(t *testing.T) *http.Request {
				req := e.request(t, http.MethodDelete, object, nil)
				signAs(t, req, nil, secretKey, e.clock().Add(-time.Hour))
				return req
			}},
		{name: "another access key", wantStatus: http.StatusForbidden, wantCode: "InvalidAccessKeyId",
			req: func(t *testing.T) *http.Request {
				req := e.signed(t, http.MethodDelete, object, nil)
				req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), accessKey, "AKIDSOMEONEELSE", 1))
				return req
			}},
		{name: "another signature algorithm", wantStatus: http.StatusForbidden, wantCode: "AccessDenied",
			req: func(t *testing.T) *http.Request {
				req := e.request(t, http.MethodDelete, object, nil)
				req.Header.Set("Authorization", "AWS "+accessKey+":c2lnbmF0dXJl")
				return req
			}},
		{name: "presigned URL for another key", wantStatus: http.StatusForbidden, wantCode: "SignatureDoesNotMatch",
			req: func(t *testing.T) *http.Request {
				p, err := s3.NewPresignClient(e.client).PresignDeleteObject(context.Background(),
					&s3.DeleteObjectInput{Bucket: aws.String(uploads), Key: aws.String("images/other.jpg")})
				if err != nil {
					t.Fatal(err)
				}
				req := e.request(t, http.MethodDelete, "", nil)
				req.URL.RawQuery = strings.SplitN(p.URL, "?", 2)[1]
				req.URL.Path = "/s3" + object
				return req
			}},
		{name: "expired presigned URL", wantStatus: http.StatusForbidden, wantCode: "AccessDenied",
			req: func(t *testing.T) *http.Request {
				p, err := s3.NewPresignClient(e.client).PresignDeleteObject(context.Background(),
					&s3.DeleteObjectInput{Bucket: aws.String(uploads), Key: aws.String("images/photo.jpg")},
					s3.WithPresignExpires(time.Minute))
				if err != nil {
					t.Fatal(err)
				}
				req, err := http.NewRequest(p.Method, p.URL, nil)
				if err != nil {
					t.Fatal(err)
				}
				e.advance(2 * time.Minute)
				return req
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.snapshot(t)
			resp, body := send(t, tt.req(t))
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("answer = %d %s, want %d", resp.StatusCode, body, tt.wantStatus)
			}
			if tt.wantCode != "" {
				var doc s3Error
				if err := xml.Unmarshal(body, &doc); err != nil || doc.Code != tt.wantCode {
					t.Errorf("answer = %s (%v), want S3's %s", body, err, tt.wantCode)
				}
			}
			if after := e.snapshot(t); !mapsEqual(after, before) {
				t.Errorf("objects after a refused request = %v, want %v", after, before)
			}
		})
	}
	if got := e.created(); len(got) != 0 {
		t.Errorf("OnObjectCreated calls = %v, want none", got)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestSigned: what the stand-in's own credentials sign is served, in the
// Authorization header or as a presigned URL, under the mount or not.
func TestSigned(t *testing.T) {
	for _, mount := range []string{"/", "/s3/"} {
		t.Run(mount, func(t *testing.T) {
			e := newEnv(t, mount, false)
			ctx := context.Background()
			presign := s3.NewPresignClient(e.client)
			put, err := presign.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(uploads), Key: aws.String("images/a b+c.jpg")})
			if err != nil {
				t.Fatal(err)
			}
			req, err := http.NewRequest(put.Method, put.URL, strings.NewReader("presigned"))
			if err != nil {
				t.Fatal(err)
			}
			if resp, body := send(t, req); resp.StatusCode != http.StatusOK {
				t.Fatalf("presigned PUT = %d %s, want 200", resp.StatusCode, body)
			}
			get, err := presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(uploads), Key: aws.String("images/a b+c.jpg")})
			if err != nil {
				t.Fatal(err)
			}
			req, err = http.NewRequest(get.Method, get.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp, body := send(t, req); resp.StatusCode != http.StatusOK || string(body) != "presigned" {
				t.Errorf("presigned GET = %d %q, want 200 and what was put", resp.StatusCode, body)
			}
			list, err := e.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(uploads), Prefix: aws.String("images/")})
			if err != nil || len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != "images/a b+c.jpg" {
				t.Errorf("ListObjectsV2 = %v (%v), want the one object", list, err)
			}
			resp, body := send(t, e.signed(t, http.MethodGet, "/"+uploads+"/images/a%20b%2Bc.jpg", nil))
			if resp.StatusCode != http.StatusOK || string(body) != "presigned" {
				t.Errorf("signed GET = %d %q, want 200 and what was put", resp.StatusCode, body)
			}
			if _, err := e.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(uploads), Key: aws.String("images/a b+c.jpg")}); err != nil {
				t.Fatalf("DeleteObject: %v", err)
			}
			if _, err := e.s3.Object(uploads, "images/a b+c.jpg"); err != locals3.ErrNoSuchKey {
				t.Errorf("Object after a signed delete = %v, want ErrNoSuchKey", err)
			}
			if got := e.created(); !slices.Equal(got, []created{{uploads, "images/a b+c.jpg", 9}}) {
				t.Errorf("OnObjectCreated calls = %v, want the presigned PUT", got)
			}
		})
	}
}
