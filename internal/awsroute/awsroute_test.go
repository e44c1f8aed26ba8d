package awsroute_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/location"

	"github.com/deliverymarket/delivery/internal/awsroute"
	"github.com/deliverymarket/delivery/internal/market"
)

const calculator = "delivery-prod-routes"

// Two shops and a customer, as market.Delivery asks: every shop to every
// shop and to the customer. The digits are distinctive, so that a test can
// tell whether any of them reached a log line or an error.
var (
	shopA    = market.Location{Lat: 38.711111, Lng: -9.136667}
	shopB    = market.Location{Lat: 38.722222, Lng: -9.142222}
	customer = market.Location{Lat: 38.733333, Lng: -9.155555}
	origins  = []market.Location{shopA, shopB}
	dests    = []market.Location{shopA, shopB, customer}
)

// coordinateDigits are fragments of the positions above and of the
// snapped positions in testdata.
var coordinateDigits = []string{"38.71", "38.72", "38.73", "9.13", "9.14", "9.15"}

// recorded is one request the Amazon Location stand-in received.
type recorded struct {
	method, path string
	body         []byte
}

// answer is what the stand-in replies: a status, the X-Amzn-ErrorType
// header of an error, and the body of a file in testdata.
type answer struct {
	status    int
	errorType string
	file      string
}

// standIn is a local HTTP server playing Amazon Location's
// CalculateRouteMatrix: it records each request and replies with a.
func standIn(t *testing.T, a answer) (*httptest.Server, <-chan recorded) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", a.file))
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan recorded, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- recorded{method: r.Method, path: r.URL.Path, body: b}
		w.Header().Set("Content-Type", "application/json")
		if a.errorType != "" {
			w.Header().Set("X-Amzn-ErrorType", a.errorType)
		}
		w.WriteHeader(a.status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

// toServer sends every request to srv, whatever its host: the client puts
// "routes." before the endpoint's host, as the service's API asks.
type toServer struct {
	srv *httptest.Server
}

func (t toServer) RoundTrip(r *http.Request) (*http.Response, error) {
	u, _ := url.Parse(t.srv.URL)
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = u.Scheme, u.Host, u.Host
	return t.srv.Client().Transport.RoundTrip(r)
}

// client is the real Amazon Location client, talking to srv, with offline
// credentials and no retries.
func client(srv *httptest.Server) *location.Client {
	return location.New(location.Options{
		Region:           "eu-west-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		BaseEndpoint:     aws.String("http://geo.eu-west-1.amazonaws.com"),
		HTTPClient:       &http.Client{Transport: toServer{srv}},
		RetryMaxAttempts: 1,
	})
}

// logTo returns a JSON logger writing into buf.
func logTo(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, nil))
}

// noCoordinates fails if s holds a fragment of any position.
func noCoordinates(t *testing.T, what, s string) {
	t.Helper()
	for _, d := range coordinateDigits {
		if strings.Contains(s, d) {
			t.Errorf("%s holds a coordinate (%q): %s", what, d, s)
		}
	}
}

func TestMatrix(t *testing.T) {
	want2x3 := [][]market.Leg{
		{{Km: 0, Seconds: 0}, {Km: 1.874, Seconds: 312}, {Km: 4.203, Seconds: 701}},
		{{Km: 1.912, Seconds: 298}, {Km: 0, Seconds: 0}, {Km: 2.655, Seconds: 467}},
	}
	tests := []struct {
		name     string
		answer   answer
		want     [][]market.Leg
		wantCode string // in the error and the warning
	}{
		{name: "every route", answer: answer{status: 200, file: "matrix_2x3.json"}, want: want2x3},
		{name: "a route the service could not find", answer: answer{status: 200, file: "entry_error.json"}, wantCode: "DestinationPositionNotFound"},
		{name: "a route without a duration", answer: answer{status: 200, file: "entry_without_duration.json"}, wantCode: "incomplete_matrix"},
		{name: "a row missing", answer: answer{status: 200, file: "one_row.json"}, wantCode: "incomplete_matrix"},
		{name: "distances in miles", answer: answer{status: 200, file: "miles.json"}, wantCode: "incomplete_matrix"},
		{name: "refused, quoting the positions", answer: answer{status: 400, errorType: "ValidationException", file: "validation_exception.json"}, wantCode: "ValidationException"},
		{name: "throttled", answer: answer{status: 429, errorType: "ThrottlingException", file: "throttling_exception.json"}, wantCode: "ThrottlingException"},
		{name: "an answer cut short", answer: answer{status: 200, file: "truncated.json"}, wantCode: "bad_response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, requests := standIn(t, tt.answer)
			var logs bytes.Buffer
			r := &awsroute.Router{Client: client(srv), Calculator: calculator, Logger: logTo(&logs)}

			got, err := r.Matrix(context.Background(), origins, dests)

			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("Matrix() error = %v", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("Matrix() = %v, want %v", got, tt.want)
				}
				if logs.Len() != 0 {
					t.Errorf("a routed matrix logged %s", logs.String())
				}
			} else {
				if err == nil || got != nil {
					t.Fatalf("Matrix() = %v, %v, want no matrix and an error", got, err)
				}
				if !strings.Contains(err.Error(), tt.wantCode) && !strings.Contains(logs.String(), tt.wantCode) {
					t.Errorf("neither the error %q nor the log %s names %s", err, logs.String(), tt.wantCode)
				}
				var line struct {
					Level, Code, Calculator string
				}
				if jerr := json.Unmarshal(logs.Bytes(), &line); jerr != nil || line.Level != "WARN" || line.Calculator != calculator {
					t.Errorf("the failure logged %q (%v), want one warning naming the calculator", logs.String(), jerr)
				}
				noCoordinates(t, "the error", err.Error())
				noCoordinates(t, "the log", logs.String())
			}

			req := <-requests
			if req.method != http.MethodPost || req.path != "/routes/v0/calculators/"+calculator+"/calculate/route-matrix" {
				t.Errorf("request %s %s, want POST to the calculator's route-matrix", req.method, req.path)
			}
			var body map[string]any
			if err := json.Unmarshal(req.body, &body); err != nil {
				t.Fatalf("request body %s: %v", req.body, err)
			}
			wantBody := map[string]any{
				"DeparturePositions":   []any{[]any{-9.136667, 38.711111}, []any{-9.142222, 38.722222}},
				"DestinationPositions": []any{[]any{-9.136667, 38.711111}, []any{-9.142222, 38.722222}, []any{-9.155555, 38.733333}},
				"DistanceUnit":         "Kilometers",
				"TravelMode":           "Car",
				"DepartNow":            true,
				"CarModeOptions":       map[string]any{"AvoidFerries": true, "AvoidTolls": true},
			}
			if !reflect.DeepEqual(body, wantBody) {
				t.Errorf("request body = %v, want %v", body, wantBody)
			}
		})
	}
}

// A call slower than the caller's deadline, or cancelled, ends when the
// context does, with the context's error.
func TestMatrixEndsWithItsContext(t *testing.T) {
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{name: "deadline", want: context.DeadlineExceeded, ctx: func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}},
		{name: "cancelled", want: context.Canceled, ctx: func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			return ctx, cancel
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				select {
				case <-r.Context().Done():
				case <-release:
				}
			}))
			t.Cleanup(srv.Close)
			t.Cleanup(func() { close(release) }) // before Close, which waits for the handler
			var logs bytes.Buffer
			r := &awsroute.Router{Client: client(srv), Calculator: calculator, Logger: logTo(&logs)}
			ctx, cancel := tt.ctx()
			defer cancel()

			start := time.Now()
			got, err := r.Matrix(ctx, origins, dests)

			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("Matrix() returned after %s, long after its context ended", elapsed)
			}
			if got != nil || !errors.Is(err, tt.want) {
				t.Errorf("Matrix() = %v, %v, want the error %v", got, err, tt.want)
			}
			if !strings.Contains(logs.String(), `"code":"cancelled"`) {
				t.Errorf("log %s, want a warning", logs.String())
			}
		})
	}
}

// fake is MatrixAPI recording its calls.
type fake struct {
	calls int
	ctx   context.Context
	out   *location.CalculateRouteMatrixOutput
}

func (f *fake) CalculateRouteMatrix(ctx context.Context, _ *location.CalculateRouteMatrixInput, _ ...func(*location.Options)) (*location.CalculateRouteMatrixOutput, error) {
	f.calls++
	f.ctx = ctx
	return f.out, nil
}

// The caller's context, deadline included, is the one the client gets.
func TestMatrixPassesItsContext(t *testing.T) {
	f := &fake{out: &location.CalculateRouteMatrixOutput{}}
	r := &awsroute.Router{Client: f, Calculator: calculator}
	type key struct{}
	ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), key{}, "quote"), time.Minute)
	defer cancel()

	_, _ = r.Matrix(ctx, []market.Location{shopA}, []market.Location{customer})

	if f.calls != 1 || f.ctx.Value(key{}) != "quote" {
		t.Fatalf("client called %d times with %v, want once with the caller's context", f.calls, f.ctx)
	}
	if d, ok := f.ctx.Deadline(); !ok || time.Until(d) > time.Minute {
		t.Errorf("client's deadline %v, %v, want the caller's", d, ok)
	}
}

func TestMatrixWithoutCall(t *testing.T) {
	many := make([]market.Location, awsroute.MaxPositions+1)
	for i := range many {
		many[i] = shopA
	}
	tests := []struct {
		name           string
		origins, dests []market.Location
		want           [][]market.Leg
		wantErr        bool
	}{
		{name: "no origins", origins: nil, dests: dests, want: [][]market.Leg{}},
		{name: "no destinations", origins: origins, dests: nil, want: [][]market.Leg{{}, {}}},
		{name: "more origins than the service takes", origins: many, dests: dests, wantErr: true},
		{name: "more destinations than the service takes", origins: origins, dests: many, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fake{}
			var logs bytes.Buffer
			r := &awsroute.Router{Client: f, Calculator: calculator, Logger: logTo(&logs)}

			got, err := r.Matrix(context.Background(), tt.origins, tt.dests)

			if f.calls != 0 {
				t.Errorf("the client was called %d times", f.calls)
			}
			if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Matrix() = %v, %v, want %v and an error %v", got, err, tt.want, tt.wantErr)
			}
			if tt.wantErr && !strings.Contains(logs.String(), "too_many_positions") {
				t.Errorf("log %s, want a warning", logs.String())
			}
		})
	}
}

// env returns a getenv over m.
func env(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

func TestFromEnv(t *testing.T) {
	awsCfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")}
	tests := []struct {
		name        string
		env         map[string]string
		wantRouter  bool
		wantTimeout time.Duration
		wantErr     string
	}{
		{name: "nothing set: estimates only", env: nil, wantTimeout: market.DefaultRouteTimeout},
		{name: "a calculator", env: map[string]string{"ROUTE_CALCULATOR_NAME": calculator}, wantRouter: true, wantTimeout: market.DefaultRouteTimeout},
		{name: "a calculator and a timeout", env: map[string]string{"ROUTE_CALCULATOR_NAME": calculator, "ROUTE_TIMEOUT": "1.5s"}, wantRouter: true, wantTimeout: 1500 * time.Millisecond},
		{name: "blank calculator", env: map[string]string{"ROUTE_CALCULATOR_NAME": "  "}, wantTimeout: market.DefaultRouteTimeout},
		{name: "timeout without unit", env: map[string]string{"ROUTE_TIMEOUT": "800"}, wantErr: "ROUTE_TIMEOUT"},
		{name: "zero timeout", env: map[string]string{"ROUTE_TIMEOUT": "0s"}, wantErr: "ROUTE_TIMEOUT"},
		{name: "negative timeout", env: map[string]string{"ROUTE_TIMEOUT": "-1s"}, wantErr: "ROUTE_TIMEOUT"},
		{name: "timeout too long", env: map[string]string{"ROUTE_TIMEOUT": "30s"}, wantErr: "ROUTE_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			router, timeout, err := awsroute.FromEnv(awsCfg, env(tt.env), slog.New(slog.DiscardHandler))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("FromEnv(%v) error = %v, want one naming %s", tt.env, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("FromEnv(%v) error = %v", tt.env, err)
			}
			if (router != nil) != tt.wantRouter || timeout != tt.wantTimeout {
				t.Errorf("FromEnv(%v) = %v, %s, want a router %v and %s", tt.env, router, timeout, tt.wantRouter, tt.wantTimeout)
			}
			if r, ok := router.(*awsroute.Router); tt.wantRouter && (!ok || r.Calculator != calculator || r.Client == nil) {
				t.Errorf("FromEnv(%v) = %+v, want the calculator %s with a client", tt.env, router, calculator)
			}
		})
	}
}
