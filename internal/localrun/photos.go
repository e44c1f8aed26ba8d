package localrun

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/deliverymarket/delivery/internal/locals3"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/s3store"
	"github.com/deliverymarket/delivery/site"
)

// Photos run locally as on AWS, with S3 played in-process by locals3: the
// API presigns the browser's upload with the same s3store code, the
// browser posts it to the stand-in, the stand-in's ObjectCreated becomes
// the event S3 would send to the imageprocessor function, and the same
// handler makes the photo. Only the addresses differ: the stand-in answers
// under /s3/ on the site's own origin (so the upload is same-origin, as the
// CSP wants) and the photos are served at /images/ from the images bucket,
// as CloudFront serves them.

// The local S3's buckets, its region and the credentials its forms are
// signed with: made up, and known to nothing outside this process.
const (
	UploadsBucket = "delivery-local-uploads"
	ImagesBucket  = "delivery-local-images"
	s3Region      = "us-east-1"
	s3AccessKey   = "AKIALOCALRUNNER00000"
	s3Secret      = "local-runner-secret"
	// S3Path is where the stand-in answers on the site's origin.
	S3Path = "/s3/"
)

// processorTimeout is the imageprocessor function's timeout on AWS.
const processorTimeout = 30 * time.Second

// photoStack is the local S3 with its client and the event delivery.
type photoStack struct {
	s3      *locals3.Server
	uploads market.UploadSigner
	objects market.ObjectStore
	events  *eventInvoker
}

// newPhotoStack opens the local S3, in memory or in file.
func newPhotoStack(file string) (*photoStack, error) {
	srv, err := locals3.New(locals3.Config{AccessKeyID: s3AccessKey, SecretAccessKey: s3Secret, Region: s3Region, File: file})
	if err != nil {
		return nil, err
	}
	if err := srv.CreateBuckets(UploadsBucket, ImagesBucket); err != nil {
		srv.Close()
		return nil, err
	}
	// The SDK's requests go straight to the stand-in's handler: the
	// endpoint is never dialled.
	client := s3.New(s3.Options{
		Region:       s3Region,
		Credentials:  credentials.NewStaticCredentialsProvider(s3AccessKey, s3Secret, ""),
		BaseEndpoint: aws.String("http://s3.localrun.invalid"),
		UsePathStyle: true,
		HTTPClient:   &http.Client{Transport: handlerTransport{srv}},
	})
	// The browser posts to the stand-in on whatever host it opened the
	// site with, so the form's address is a path.
	signer, err := s3store.NewSigner(client, UploadsBucket, s3store.WithFormURL(S3Path+UploadsBucket))
	if err != nil {
		srv.Close()
		return nil, err
	}
	objects, err := s3store.NewObjects(client, UploadsBucket, ImagesBucket)
	if err != nil {
		srv.Close()
		return nil, err
	}
	return &photoStack{s3: srv, uploads: signer, objects: objects, events: &eventInvoker{}}, nil
}

// handlerTransport answers the SDK's requests with an http.Handler, in
// process.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	in := req.Clone(req.Context())
	if in.Body == nil {
		in.Body = http.NoBody
	}
	defer in.Body.Close()
	// What a server sees of what the client's transport would write: the
	// stand-in checks the signature over the host and path as sent.
	in.RequestURI = req.URL.RequestURI()
	if in.Host == "" {
		in.Host = req.URL.Host
	}
	in.RemoteAddr = "127.0.0.1:1"
	if in.ContentLength >= 0 {
		in.Header.Set("Content-Length", strconv.FormatInt(in.ContentLength, 10))
	}
	// The recorder keeps the whole answer: an upload of at most 5 MB or
	// an S3 answer of a few hundred bytes.
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, in)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// eventInvoker plays S3's asynchronous invocation of the imageprocessor
// function: each upload's event, JSON-encoded as S3 sends it, is handled
// in a goroutine of its own, bounded by the function's timeout. Like
// notify.LocalInvoker it does not retry a failure: on AWS the upload would
// be tried twice more, here it stays in the bucket and is logged.
type eventInvoker struct {
	handle func(context.Context, events.S3Event) error
	log    *slog.Logger
	seq    atomic.Uint64
	wg     sync.WaitGroup
}

// objectCreated is the stand-in's hook. On AWS the uploads bucket notifies
// the function of ObjectCreated under the uploads prefix only.
func (e *eventInvoker) objectCreated(s3srv *locals3.Server) func(bucket, key string, size int64) {
	return func(bucket, key string, size int64) {
		if bucket != UploadsBucket || !strings.HasPrefix(key, market.UploadPrefix) || e.handle == nil {
			return
		}
		etag := ""
		if obj, err := s3srv.Object(bucket, key); err == nil {
			sum := md5.Sum(obj.Data)
			etag = hex.EncodeToString(sum[:])
		}
		payload, err := objectCreatedEvent(bucket, key, size, etag, e.seq.Add(1), time.Now())
		if err != nil {
			e.log.Error("local s3 event", "key", key, "error", err)
			return
		}
		e.wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), processorTimeout)
			defer cancel()
			var event events.S3Event
			err := json.Unmarshal(payload, &event)
			if err == nil {
				err = e.handle(ctx, event)
			}
			if err != nil {
				e.log.Error("local imageprocessor failed; the upload stays", "key", key, "error", err)
			}
		})
	}
}

// Wait returns when every event handed off so far has been handled.
func (e *eventInvoker) Wait() { e.wg.Wait() }

// objectCreatedEvent is the event S3 sends for an object a browser's POST
// created (a record of event message structure version 2.1). S3 sends the
// key URL-encoded as a form value, slashes left as they are.
func objectCreatedEvent(bucket, key string, size int64, etag string, seq uint64, at time.Time) ([]byte, error) {
	requestID := fmt.Sprintf("%016X", seq)
	record := map[string]any{
		"eventVersion":      "2.1",
		"eventSource":       "aws:s3",
		"awsRegion":         s3Region,
		"eventTime":         at.UTC().Format("2006-01-02T15:04:05.000Z"),
		"eventName":         "ObjectCreated:Post",
		"userIdentity":      map[string]string{"principalId": "AWS:" + s3AccessKey},
		"requestParameters": map[string]string{"sourceIPAddress": "127.0.0.1"},
		"responseElements":  map[string]string{"x-amz-request-id": requestID, "x-amz-id-2": requestID},
		"s3": map[string]any{
			"s3SchemaVersion": "1.0",
			"configurationId": "imageprocessor",
			"bucket": map[string]any{
				"name":          bucket,
				"ownerIdentity": map[string]string{"principalId": "LOCALRUNNER"},
				"arn":           "arn:aws:s3:::" + bucket,
			},
			"object": map[string]any{
				"key":       strings.ReplaceAll(url.QueryEscape(key), "%2F", "/"),
				"size":      size,
				"eTag":      etag,
				"sequencer": strings.ToUpper(strconv.FormatUint(uint64(at.UnixNano())<<8|seq&0xff, 16)),
			},
		},
	}
	return json.Marshal(map[string]any{"Records": []any{record}})
}

// imageTypes are the only types /images/ serves: what the image processor
// writes, and what a browser will not run. Anything else in the bucket
// (only a bug or a signed write could put it there) would be served on
// the site's own origin, where a page's script can read the carrier's
// token.
var imageTypes = []string{"image/jpeg", "image/png", "image/webp"}

// serveImage answers /images/<key> from the images bucket as CloudFront
// does from the private bucket: the object's own Content-Type and
// Cache-Control (immutable: the key is the hash of the bytes), 404 for a
// key that is not there or not an image. Every answer says nosniff and
// carries the site's Content-Security-Policy, so that no answer here is
// ever read as a page or a script.
func (p *photoStack) serveImage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", site.ContentSecurityPolicy)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	obj, err := p.s3.Object(ImagesBucket, strings.TrimPrefix(r.URL.Path, "/"))
	if errors.Is(err, locals3.ErrNoSuchKey) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	contentType, _, err := mime.ParseMediaType(obj.Metadata["Content-Type"])
	if err != nil || !slices.Contains(imageTypes, contentType) {
		http.NotFound(w, r)
		return
	}
	sum := md5.Sum(obj.Data)
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", obj.Metadata["Cache-Control"])
	h.Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(obj.Data))
}
