// Package locals3 is the S3 that the local runner and the tests talk to:
// gofakes3 for everything the SDK calls, its objects in memory
// (backend/s3mem) or in a bolt file that outlives the process
// (backend/s3bolt, Config.File), behind a handler that checks browser uploads (presigned POSTs) the way
// S3 does, so that a form the server signs is refused here exactly when S3
// would refuse it: a bad signature, an expired policy, a condition not met
// (key, Content-Type, size), a field the policy does not name. gofakes3
// itself accepts any POST without looking at its policy.
//
// Every other request must be signed with AWS Signature Version 4 by the
// stand-in's own credentials, in its Authorization header or as a
// presigned URL, as S3 wants of a private bucket (sigv4.go): the runner
// serves the stand-in on the site's own origin, where anyone who can reach
// the site could otherwise read, replace or delete any object.
//
// It serves path-style requests (/<bucket>/<key>), directly or under a
// prefix removed by http.StripPrefix (the runner mounts it at /s3/ on the
// site's own origin, so the browser's upload is same-origin); a signature
// covers the path as the client sent it, prefix included.
package locals3

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3bolt"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Config is the identity the stand-in answers as.
type Config struct {
	// AccessKeyID and SecretAccessKey are the only credentials whose
	// signatures are accepted on a presigned POST.
	AccessKeyID, SecretAccessKey string
	// SessionToken, when set, is the x-amz-security-token a form must
	// carry (a role's credentials always have one); when empty, a form
	// carrying one is refused.
	SessionToken string
	// Region is the region a signature's credential scope must name.
	Region string
	// Now is the clock a policy's expiration is checked against;
	// time.Now when nil.
	Now func() time.Time
	// File, when set, is the bolt file the buckets and objects are kept
	// in, with their metadata, from one Server to the next: created 0600
	// if missing (its directory must exist), and held by one process at a
	// time (New returns ErrLocked while another holds it). When empty,
	// everything is kept in memory and gone with the Server.
	File string
}

// ErrLocked is New's error when another process holds Config.File.
var ErrLocked = errors.New("locals3: the file is in use by another process")

// lockWait is how long New waits for another process to let go of
// Config.File before it returns ErrLocked.
const lockWait = time.Second

// Server is the stand-in, an http.Handler.
type Server struct {
	// OnObjectCreated, when set, is called after an object is created by
	// a POST, a PUT, a copy or a completed multipart upload, as S3 sends
	// an ObjectCreated event: on the request's goroutine, before the
	// answer is written, so that a client holding its answer knows the
	// hook has run. S3 delivers events asynchronously; a hook that does
	// more than hand the event off should do so too. Set it before
	// serving.
	OnObjectCreated func(bucket, key string, size int64)

	cfg     Config
	backend gofakes3.Backend
	// db is the bolt file's database, nil in memory.
	db   *bolt.DB
	fake http.Handler
	// putMu makes a PUT and the metadata gofakes3 drops (see keepHeaders)
	// one step, so that no other write comes in between.
	putMu     sync.Mutex
	requestID atomic.Uint64
}

// New returns a stand-in, empty or with what cfg.File holds;
// CreateBuckets makes its buckets. Close lets go of the file.
func New(cfg Config) (*Server, error) {
	if cfg.AccessKeyID == "" || cfg.SecretAccessKey == "" {
		return nil, errors.New("locals3: the access key id and secret are required")
	}
	if cfg.Region == "" {
		return nil, errors.New("locals3: the region is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	clock := timeSource{cfg.Now}
	s := &Server{cfg: cfg}
	if cfg.File == "" {
		s.backend = s3mem.New(s3mem.WithTimeSource(clock))
	} else {
		// bbolt locks the file (flock) for as long as it is open; without
		// a timeout a second process would wait for it forever.
		db, err := bolt.Open(cfg.File, 0o600, &bolt.Options{Timeout: lockWait})
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, cfg.File)
		}
		if err != nil {
			return nil, fmt.Errorf("locals3: open %s: %w", cfg.File, err)
		}
		s.db = db
		s.backend = s3bolt.New(db, s3bolt.WithTimeSource(clock))
	}
	s.fake = gofakes3.New(s.backend, gofakes3.WithTimeSource(clock), gofakes3.WithoutVersioning()).Server()
	return s, nil
}

// Close lets go of the bolt file, waiting for the reads and writes under
// way: call it once nothing serves s any more (what comes after fails). A
// stand-in in memory has nothing to close.
func (s *Server) Close() error {
	if s.db == nil {
		return nil
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("locals3: close %s: %w", s.cfg.File, err)
	}
	return nil
}

// timeSource is gofakes3's view of the stand-in's clock.
type timeSource struct{ now func() time.Time }

func (t timeSource) Now() time.Time                   { return t.now() }
func (t timeSource) Since(at time.Time) time.Duration { return t.now().Sub(at) }

// CreateBuckets creates each bucket that does not exist yet.
func (s *Server) CreateBuckets(names ...string) error {
	for _, name := range names {
		if err := s.backend.CreateBucket(name); err != nil && !gofakes3.IsAlreadyExists(err) {
			return fmt.Errorf("locals3: create bucket %s: %w", name, err)
		}
	}
	return nil
}

// ErrNoSuchKey is Object's error for a key that does not exist.
var ErrNoSuchKey = errors.New("locals3: no such key")

// Object is a stored object as S3 would serve it.
type Object struct {
	Data []byte
	// Metadata holds the headers S3 keeps with the object, by their
	// canonical names: Content-Type, Cache-Control, X-Amz-Meta-*, ...
	Metadata map[string]string
}

// Object returns the object under key in bucket, or ErrNoSuchKey.
func (s *Server) Object(bucket, key string) (Object, error) {
	obj, err := s.backend.GetObject(bucket, key, nil)
	if gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchKey) {
		return Object{}, ErrNoSuchKey
	}
	if err != nil {
		return Object{}, fmt.Errorf("locals3: get %s/%s: %w", bucket, key, err)
	}
	defer obj.Contents.Close()
	data, err := io.ReadAll(obj.Contents)
	if err != nil {
		return Object{}, err
	}
	meta := make(map[string]string, len(obj.Metadata))
	for k, v := range obj.Metadata {
		meta[k] = v
	}
	return Object{Data: data, Metadata: meta}, nil
}

// Put stores data under key in bucket with contentType, as an SDK's PUT
// would (OnObjectCreated is not told: no request made it).
func (s *Server) Put(bucket, key string, data []byte, contentType string) error {
	meta := map[string]string{"Content-Type": contentType, "Last-Modified": s.cfg.Now().UTC().Format(http.TimeFormat)}
	if _, err := s.backend.PutObject(bucket, key, meta, bytes.NewReader(data), int64(len(data)), nil); err != nil {
		return fmt.Errorf("locals3: put %s/%s: %w", bucket, key, err)
	}
	return nil
}

// Keys lists the keys under prefix in bucket, in order.
func (s *Server) Keys(bucket, prefix string) ([]string, error) {
	p := gofakes3.NewPrefix(&prefix, nil)
	list, err := s.backend.ListBucket(bucket, &p, gofakes3.ListBucketPage{})
	if err != nil {
		return nil, fmt.Errorf("locals3: list %s: %w", bucket, err)
	}
	keys := make([]string, 0, len(list.Contents))
	for _, c := range list.Contents {
		keys = append(keys, c.Key)
	}
	return keys, nil
}

// ServeHTTP answers one S3 request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	query := r.URL.Query()
	switch {
	case r.Method == http.MethodOptions:
		// The uploads are same-origin locally, and a bucket without a
		// CORS configuration answers every preflight so.
		s.fail(w, r, &Error{Status: http.StatusForbidden, Code: "AccessForbidden", Message: "CORSResponse: CORS is not enabled for this bucket."})
	case r.Method == http.MethodPost && bucket != "" && key == "" && !query.Has("delete") && !query.Has("uploads") && r.Header.Get("Authorization") == "":
		// A browser's form, authorised by the policy it carries.
		s.postObject(w, r, bucket)
	default:
		if e := s.authenticate(r); e != nil {
			s.fail(w, r, e)
			return
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			s.fake.ServeHTTP(&corsless{ResponseWriter: w}, r)
			return
		}
		s.write(w, r, bucket, key, query)
	}
}

// write runs a request that may create an object through gofakes3, with
// its answer held back until the object is complete, then tells
// OnObjectCreated.
func (s *Server) write(w http.ResponseWriter, r *http.Request, bucket, key string, query map[string][]string) {
	_, uploadID := query["uploadId"]
	plainPut := r.Method == http.MethodPut && key != "" && !uploadID && r.Header.Get("X-Amz-Copy-Source") == ""
	creates := key != "" && (r.Method == http.MethodPut && !uploadID || r.Method == http.MethodPost && uploadID)
	if plainPut {
		s.putMu.Lock()
		defer s.putMu.Unlock()
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	s.fake.ServeHTTP(rec, r)
	// gofakes3 answers some failures of a completed multipart upload
	// inside a 200, as S3 does; only an object that exists counts.
	var size int64 = -1
	if creates && rec.status == http.StatusOK {
		if plainPut {
			if err := s.keepHeaders(bucket, key, r.Header); err != nil {
				rec = &recorder{header: http.Header{}}
				s.fail(rec, r, &Error{Status: http.StatusInternalServerError, Code: "InternalError", Message: err.Error()})
			}
		}
		if obj, err := s.backend.HeadObject(bucket, key); err == nil {
			size = obj.Size
			obj.Contents.Close()
		}
	}
	if size >= 0 && s.OnObjectCreated != nil {
		s.OnObjectCreated(bucket, key, size)
	}
	rec.copyTo(w)
}

// storedHeaders are the request headers S3 keeps with an object and
// serves back; gofakes3 keeps only Content-Type, Content-Disposition,
// Content-Encoding and x-amz-*.
var storedHeaders = []string{"Cache-Control", "Content-Language", "Expires"}

// keepHeaders adds the stored headers gofakes3 dropped to the object a PUT
// just wrote (the photos' Cache-Control is what lets CloudFront and
// browsers keep them for a year).
func (s *Server) keepHeaders(bucket, key string, h http.Header) error {
	extra := map[string]string{}
	for _, name := range storedHeaders {
		if v := h.Get(name); v != "" {
			extra[name] = v
		}
	}
	if len(extra) == 0 {
		return nil
	}
	obj, err := s.backend.GetObject(bucket, key, nil)
	if err != nil {
		return err
	}
	defer obj.Contents.Close()
	data, err := io.ReadAll(obj.Contents)
	if err != nil {
		return err
	}
	for k, v := range obj.Metadata {
		extra[k] = v
	}
	for _, name := range storedHeaders {
		if v := h.Get(name); v != "" {
			extra[name] = v
		}
	}
	_, err = s.backend.PutObject(bucket, key, extra, bytes.NewReader(data), int64(len(data)), nil)
	return err
}

// Error is an S3 error answer, in S3's XML shape. The console tells the
// company why its upload failed from these (EntityTooLarge, AccessDenied
// with "Policy expired"), so the codes and messages are S3's own.
type Error struct {
	XMLName   xml.Name `xml:"Error"`
	Status    int      `xml:"-"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Condition string   `xml:"Condition,omitempty"`
	// InvalidArgument names the argument.
	ArgumentName  string `xml:"ArgumentName,omitempty"`
	ArgumentValue string `xml:"ArgumentValue,omitempty"`
	// EntityTooLarge and EntityTooSmall say the sizes.
	ProposedSize   *int64 `xml:"ProposedSize,omitempty"`
	MaxSizeAllowed *int64 `xml:"MaxSizeAllowed,omitempty"`
	MinSizeAllowed *int64 `xml:"MinSizeAllowed,omitempty"`
	// InvalidAccessKeyId and SignatureDoesNotMatch say what was signed.
	AWSAccessKeyID    string `xml:"AWSAccessKeyId,omitempty"`
	StringToSign      string `xml:"StringToSign,omitempty"`
	SignatureProvided string `xml:"SignatureProvided,omitempty"`
	RequestID         string `xml:"RequestId"`
	HostID            string `xml:"HostId"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// fail writes e as S3 does.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, e *Error) {
	s.setIDs(w)
	e.RequestID = w.Header().Get("x-amz-request-id")
	e.HostID = w.Header().Get("x-amz-id-2")
	body, _ := xml.Marshal(e)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(xml.Header)+len(body)))
	w.WriteHeader(e.Status)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, xml.Header)
		_, _ = w.Write(body)
	}
}

// setIDs sets the request ids S3 puts on every answer.
func (s *Server) setIDs(w http.ResponseWriter) {
	id := fmt.Sprintf("%016X", s.requestID.Add(1)|1<<62)
	w.Header().Set("x-amz-request-id", id)
	w.Header().Set("x-amz-id-2", base64.StdEncoding.EncodeToString([]byte(id+id+id)))
	w.Header().Set("Server", "AmazonS3")
}

// corsless drops the permissive CORS headers gofakes3 adds to every
// answer: S3 sends none for a bucket without a CORS configuration, and a
// browser must not be told otherwise here.
type corsless struct {
	http.ResponseWriter
	wrote bool
}

func (c *corsless) WriteHeader(status int) {
	if !c.wrote {
		c.wrote = true
		dropCORS(c.ResponseWriter.Header())
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *corsless) Write(b []byte) (int, error) {
	if !c.wrote {
		c.WriteHeader(http.StatusOK)
	}
	return c.ResponseWriter.Write(b)
}

func dropCORS(h http.Header) {
	for name := range h {
		if strings.HasPrefix(name, "Access-Control-") {
			delete(h, name)
		}
	}
}

// recorder holds a small answer (of a write: never an object's bytes)
// until the object it reports is complete.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.wrote, r.status = true, status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

func (r *recorder) copyTo(w http.ResponseWriter) {
	dropCORS(r.header)
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body.Bytes())
}
