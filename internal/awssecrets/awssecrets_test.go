package awssecrets_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/deliverymarket/delivery/internal/awssecrets"
	"github.com/deliverymarket/delivery/internal/mysql"
)

const secretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-3f1c2b7e-4d5a-4c1b-9e8f-0a1b2c3d4e5f-AbCdEf"

// sentRequest is what the SDK sent to the stand-in.
type sentRequest struct {
	method, path, target, contentType, authorization string
	body                                             map[string]any
}

// fakeSecretsManager stands in for the Secrets Manager endpoint: it
// records the requests and answers with the current secret string, or
// with an AWS JSON error.
type fakeSecretsManager struct {
	mu        sync.Mutex
	secret    *string // nil: answer with SecretBinary only
	errorType string  // non-empty: answer 400 with this error
	requests  []sentRequest
}

func (f *fakeSecretsManager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	req := sentRequest{
		method: r.Method, path: r.URL.Path, target: r.Header.Get("X-Amz-Target"),
		contentType: r.Header.Get("Content-Type"), authorization: r.Header.Get("Authorization"),
	}
	_ = json.Unmarshal(raw, &req.body)
	f.mu.Lock()
	f.requests = append(f.requests, req)
	secret, errorType := f.secret, f.errorType
	f.mu.Unlock()

	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "5b0e2f3c-9a1d-4e7b-8c6f-1d2e3f4a5b6c")
	if errorType != "" {
		w.Header().Set("X-Amzn-ErrorType", errorType)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"`+errorType+`","Message":"Secrets Manager can't find the specified secret."}`)
		return
	}
	out := map[string]any{
		"ARN": secretARN, "Name": "rds!db-3f1c2b7e", "VersionId": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
		"VersionStages": []string{"AWSCURRENT"}, "CreatedDate": 1.718723570e9,
	}
	if secret != nil {
		out["SecretString"] = *secret
	} else {
		out["SecretBinary"] = "AAEC"
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (f *fakeSecretsManager) setSecret(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secret = &s
}

func (f *fakeSecretsManager) sent() []sentRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentRequest(nil), f.requests...)
}

// newClient returns the real SDK client pointed at a stand-in server.
func newClient(t *testing.T, fake *fakeSecretsManager) *secretsmanager.Client {
	t.Helper()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		HTTPClient:  srv.Client(),
	}
	return secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
	})
}

// checkRequest checks that the SDK sent a signed GetSecretValue for id.
func checkRequest(t *testing.T, got sentRequest, id string) {
	t.Helper()
	if got.method != http.MethodPost || got.path != "/" {
		t.Errorf("request = %s %s, want POST /", got.method, got.path)
	}
	if got.target != "secretsmanager.GetSecretValue" {
		t.Errorf("X-Amz-Target = %q, want secretsmanager.GetSecretValue", got.target)
	}
	if got.contentType != "application/x-amz-json-1.1" {
		t.Errorf("Content-Type = %q, want application/x-amz-json-1.1", got.contentType)
	}
	if !strings.HasPrefix(got.authorization, "AWS4-HMAC-SHA256 Credential=AKID/") || !strings.Contains(got.authorization, "/us-east-1/secretsmanager/aws4_request") {
		t.Errorf("Authorization = %q, want a SigV4 signature for secretsmanager in us-east-1", got.authorization)
	}
	if len(got.body) != 1 || got.body["SecretId"] != id {
		t.Errorf("body = %v, want exactly {\"SecretId\": %q}", got.body, id)
	}
}

func TestSecretValue(t *testing.T) {
	fake := &fakeSecretsManager{}
	fake.setSecret(`first`)
	secret := awssecrets.NewSecret(newClient(t, fake), secretARN)
	ctx := context.Background()

	steps := []struct {
		name         string
		invalidate   bool
		serverSecret string // "" leaves it
		want         string
		wantRequests int
	}{
		{name: "first call fetches", want: "first", wantRequests: 1},
		{name: "second call is cached", want: "first", wantRequests: 1},
		{name: "still cached after a rotation", serverSecret: "second", want: "first", wantRequests: 1},
		{name: "invalidate refetches", invalidate: true, want: "second", wantRequests: 2},
		{name: "cached again", want: "second", wantRequests: 2},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.serverSecret != "" {
				fake.setSecret(st.serverSecret)
			}
			if st.invalidate {
				secret.Invalidate()
			}
			got, err := secret.Value(ctx)
			if err != nil {
				t.Fatalf("Value() error = %v", err)
			}
			if got != st.want {
				t.Errorf("Value() = %q, want %q", got, st.want)
			}
			reqs := fake.sent()
			if len(reqs) != st.wantRequests {
				t.Fatalf("requests = %d, want %d", len(reqs), st.wantRequests)
			}
			checkRequest(t, reqs[len(reqs)-1], secretARN)
		})
	}
}

// Concurrent cold callers share one fetch.
func TestSecretValueConcurrent(t *testing.T) {
	fake := &fakeSecretsManager{}
	fake.setSecret(`shared`)
	secret := awssecrets.NewSecret(newClient(t, fake), "prod/db")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if v, err := secret.Value(context.Background()); err != nil || v != "shared" {
				t.Errorf("Value() = %q, %v, want shared", v, err)
			}
		})
	}
	wg.Wait()
	if n := len(fake.sent()); n != 1 {
		t.Errorf("8 concurrent Values made %d requests, want 1", n)
	}
}

func TestSecretErrors(t *testing.T) {
	tests := []struct {
		name      string
		errorType string
		binary    bool
		check     func(t *testing.T, err error)
	}{
		{
			name: "secret not found", errorType: "ResourceNotFoundException",
			check: func(t *testing.T, err error) {
				var notFound *types.ResourceNotFoundException
				if !errors.As(err, &notFound) {
					t.Errorf("error = %v, want a ResourceNotFoundException", err)
				}
			},
		},
		{name: "access denied", errorType: "AccessDeniedException"},
		{name: "binary secret", binary: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeSecretsManager{errorType: tt.errorType}
			if !tt.binary {
				fake.setSecret(`{"username":"app","password":"pw"}`)
			}
			secret := awssecrets.NewSecret(newClient(t, fake), secretARN)
			_, err := secret.Value(context.Background())
			if err == nil {
				t.Fatal("Value() succeeded, want an error")
			}
			if !strings.Contains(err.Error(), secretARN) {
				t.Errorf("error = %q, want it to name the secret", err)
			}
			if tt.check != nil {
				tt.check(t, err)
			}
			// A failure is not cached: the next call asks again.
			_, _ = secret.Value(context.Background())
			if n := len(fake.sent()); n != 2 {
				t.Errorf("requests after two failed Values = %d, want 2", n)
			}
		})
	}
}

func TestDBCredentials(t *testing.T) {
	const password = "Zq9!s3cr3t-hunter2"
	tests := []struct {
		name    string
		secret  string
		want    mysql.Credentials
		wantErr bool
	}{
		{name: "RDS managed secret", secret: `{"username":"admin","password":"` + password + `"}`, want: mysql.Credentials{Username: "admin", Password: password}},
		{
			name:   "extra fields",
			secret: `{"engine":"mysql","host":"db.cluster-x.eu-west-1.rds.amazonaws.com","port":3306,"username":"admin","password":"` + password + `"}`,
			want:   mysql.Credentials{Username: "admin", Password: password},
		},
		{name: "not JSON", secret: `username=admin password=` + password, wantErr: true},
		{name: "broken JSON", secret: `{"username":"admin","password":"` + password, wantErr: true},
		{name: "password of the wrong type", secret: `{"username":"admin","password":["` + password + `"]}`, wantErr: true},
		{name: "missing password", secret: `{"username":"admin"}`, wantErr: true},
		{name: "empty password", secret: `{"username":"admin","password":""}`, wantErr: true},
		{name: "missing username", secret: `{"password":"` + password + `"}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeSecretsManager{}
			fake.setSecret(tt.secret)
			creds := awssecrets.NewDBCredentials(newClient(t, fake), secretARN)
			got, err := creds.Credentials(context.Background())
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Credentials() = %+v, want an error", got)
				}
				if strings.Contains(err.Error(), password) || strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error %q leaks the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Credentials() error = %v", err)
			}
			if got != tt.want {
				t.Errorf("Credentials() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// After a rotation, Invalidate makes the credential source fetch the new
// password; until then it keeps answering from its cache.
func TestDBCredentialsRotation(t *testing.T) {
	fake := &fakeSecretsManager{}
	fake.setSecret(`{"username":"admin","password":"old"}`)
	var source mysql.CredentialSource = awssecrets.NewDBCredentials(newClient(t, fake), secretARN)
	ctx := context.Background()

	steps := []struct {
		name         string
		rotate       bool
		invalidate   bool
		wantPassword string
		wantRequests int
	}{
		{name: "cold start", wantPassword: "old", wantRequests: 1},
		{name: "cached", wantPassword: "old", wantRequests: 1},
		{name: "rotated but cached", rotate: true, wantPassword: "old", wantRequests: 1},
		{name: "invalidated", invalidate: true, wantPassword: "new", wantRequests: 2},
		{name: "cached again", wantPassword: "new", wantRequests: 2},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.rotate {
				fake.setSecret(`{"username":"admin","password":"new"}`)
			}
			if st.invalidate {
				source.Invalidate()
			}
			got, err := source.Credentials(ctx)
			if err != nil || got.Password != st.wantPassword || got.Username != "admin" {
				t.Errorf("Credentials() = %+v, %v, want admin/%s", got, err, st.wantPassword)
			}
			if n := len(fake.sent()); n != st.wantRequests {
				t.Errorf("requests = %d, want %d", n, st.wantRequests)
			}
		})
	}
}
