// Package lambdatest runs the real bootstrap binaries of lambdas/ outside
// AWS: a stand-in of the Lambda Runtime API that a bootstrap polls (its
// AWS_LAMBDA_RUNTIME_API), and a stand-in of the AWS endpoints the
// functions call (Secrets Manager, Lambda Invoke). tools/coldstart measures
// cold starts with them; smoke tests of the built binaries can use them too.
package lambdatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// The Runtime API's paths (API version 2018-06-01).
const (
	pathNext      = "/2018-06-01/runtime/invocation/next"
	pathInvocPref = "/2018-06-01/runtime/invocation/"
	pathInitError = "/2018-06-01/runtime/init/error"
)

// Result is what the function posted for one invocation.
type Result struct {
	RequestID string
	Payload   []byte // the response, or the error document
	Error     bool   // posted to .../error (or /init/error) rather than .../response
	ErrorType string // Lambda-Runtime-Function-Error-Type, if any
	At        time.Time
}

// Runtime is the Runtime API stand-in for one execution environment: one
// function process at a time polls it. It implements the calls a
// bootstrap makes (next, response, error, init error); invocations are
// queued by Invoke and handed out in order.
type Runtime struct {
	// FunctionARN and Deadline shape the headers of each invocation.
	FunctionARN string
	Deadline    time.Duration

	srv     *http.Server
	ln      net.Listener
	pending chan invocation

	mu        sync.Mutex
	waiting   map[string]chan Result
	firstNext time.Time
	initErr   *Result
	initDone  chan struct{} // closed on the first init error
}

type invocation struct {
	id      string
	payload []byte
}

// Start listens on a free loopback port.
func Start() (*Runtime, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Runtime{
		FunctionARN: "arn:aws:lambda:eu-west-1:123456789012:function:local",
		Deadline:    10 * time.Second,
		ln:          ln,
		pending:     make(chan invocation, 16),
		waiting:     map[string]chan Result{},
		initDone:    make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathNext, r.next)
	mux.HandleFunc("POST "+pathInvocPref+"{id}/response", r.post(false))
	mux.HandleFunc("POST "+pathInvocPref+"{id}/error", r.post(true))
	mux.HandleFunc("POST "+pathInitError, r.initError)
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// Addr is the host:port to put in AWS_LAMBDA_RUNTIME_API.
func (r *Runtime) Addr() string { return r.ln.Addr().String() }

// Close stops the server; a function still polling sees its connection
// closed.
func (r *Runtime) Close() error { return r.srv.Close() }

// FirstPoll is when the function first asked for an invocation: the end of
// its initialisation. Zero until then.
func (r *Runtime) FirstPoll() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.firstNext
}

// InitError returns the init error the function reported, if it did.
func (r *Runtime) InitError() (Result, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.initErr == nil {
		return Result{}, false
	}
	return *r.initErr, true
}

// ErrInit is returned by Invoke when the function reported an init error.
var ErrInit = errors.New("lambdatest: the function reported an init error")

// Invoke queues one invocation with payload and waits for the function's
// response or error, or for an init error (ErrInit, with the Result), or
// for ctx.
func (r *Runtime) Invoke(ctx context.Context, payload []byte) (Result, error) {
	id := newRequestID()
	done := make(chan Result, 1)
	r.mu.Lock()
	r.waiting[id] = done
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.waiting, id)
		r.mu.Unlock()
	}()
	select {
	case r.pending <- invocation{id: id, payload: payload}:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	select {
	case res := <-done:
		return res, nil
	case <-r.initDone:
		r.mu.Lock()
		defer r.mu.Unlock()
		return *r.initErr, ErrInit
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

func (r *Runtime) next(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	if r.firstNext.IsZero() {
		r.firstNext = time.Now()
	}
	r.mu.Unlock()
	select {
	case inv := <-r.pending:
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(r.Deadline).UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", r.FunctionARN)
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0")
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(inv.payload)
	case <-req.Context().Done():
	}
}

func (r *Runtime) post(isError bool) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		at := time.Now()
		body, err := io.ReadAll(io.LimitReader(req.Body, 6<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		id := req.PathValue("id")
		r.mu.Lock()
		done, ok := r.waiting[id]
		r.mu.Unlock()
		if !ok {
			// The real API answers an unknown or finished request id so.
			w.WriteHeader(http.StatusBadRequest)
			_, _ = fmt.Fprintf(w, `{"errorMessage":"unknown request id %q","errorType":"InvalidRequestID"}`, id)
			return
		}
		done <- Result{RequestID: id, Payload: body, Error: isError, ErrorType: req.Header.Get("Lambda-Runtime-Function-Error-Type"), At: at}
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"OK"}`)
	}
}

func (r *Runtime) initError(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	r.mu.Lock()
	if r.initErr == nil {
		r.initErr = &Result{Payload: body, Error: true, ErrorType: req.Header.Get("Lambda-Runtime-Function-Error-Type"), At: time.Now()}
		close(r.initDone)
	}
	r.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// The region and the role credentials Lambda gives every function here;
// the S3 stand-in accepts POST policies signed with them.
const (
	Region          = "eu-west-1"
	AccessKeyID     = "AKIDLAMBDATEST"
	SecretAccessKey = "lambdatest"
	SessionToken    = "lambdatest"
)

// Env is the environment Lambda gives a provided.al2023 function, for a
// process that polls runtimeAddr: what aws-lambda-go and the AWS SDK read
// (the SDK's credentials are static and fake; point its endpoints at
// stand-ins with AWS_ENDPOINT_URL_<SERVICE>).
func Env(runtimeAddr, functionName string, memoryMB int) []string {
	return []string{
		"AWS_LAMBDA_RUNTIME_API=" + runtimeAddr,
		"_HANDLER=bootstrap",
		"AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023",
		"AWS_LAMBDA_FUNCTION_NAME=" + functionName,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(memoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + functionName,
		"AWS_LAMBDA_LOG_STREAM_NAME=2026/01/01/[$LATEST]00000000000000000000000000000000",
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_REGION=" + Region,
		"AWS_DEFAULT_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=" + AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + SecretAccessKey,
		"AWS_SESSION_TOKEN=" + SessionToken,
		"AWS_EC2_METADATA_DISABLED=true",
		// No shared config or credentials files: only what Lambda gives.
		"AWS_CONFIG_FILE=/nonexistent/lambdatest/config",
		"AWS_SHARED_CREDENTIALS_FILE=/nonexistent/lambdatest/credentials",
		"TZ=:UTC",
		"LANG=en_US.UTF-8",
		"PATH=/usr/local/bin:/usr/bin:/bin",
	}
}
