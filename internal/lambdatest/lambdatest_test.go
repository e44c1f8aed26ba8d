package lambdatest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/deliverymarket/delivery/internal/lambdatest"
)

// bootstrapOnce plays a function: it polls for one invocation and posts
// reply to path (response or error) under the request id it got.
func bootstrapOnce(t *testing.T, addr, path string, reply []byte) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/2018-06-01/runtime/invocation/next")
	if err != nil {
		t.Errorf("next: %v", err)
		return
	}
	defer resp.Body.Close()
	id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
	if id == "" || resp.Header.Get("Lambda-Runtime-Deadline-Ms") == "" || resp.Header.Get("Lambda-Runtime-Invoked-Function-Arn") == "" {
		t.Errorf("next headers = %v, want request id, deadline and function ARN", resp.Header)
	}
	post, err := http.Post("http://"+addr+"/2018-06-01/runtime/invocation/"+id+"/"+path, "application/json", bytes.NewReader(reply))
	if err != nil {
		t.Errorf("post %s: %v", path, err)
		return
	}
	post.Body.Close()
	if post.StatusCode != http.StatusAccepted {
		t.Errorf("post %s = %d, want 202", path, post.StatusCode)
	}
}

func TestRuntimeInvoke(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		wantError bool
	}{
		{"response", "response", false},
		{"function error", "error", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, err := lambdatest.Start()
			if err != nil {
				t.Fatal(err)
			}
			defer rt.Close()
			// Invoke returns as soon as the stand-in has the reply, which can
			// be before the bootstrap has read the stand-in's 202: wait for it
			// before Close, or its check would run after the test.
			done := make(chan struct{})
			defer func() { <-done }()
			go func() {
				defer close(done)
				bootstrapOnce(t, rt.Addr(), tt.path, []byte(`{"ok":1}`))
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			res, err := rt.Invoke(ctx, []byte(`{"in":1}`))
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if string(res.Payload) != `{"ok":1}` || res.Error != tt.wantError {
				t.Errorf("Invoke = %s (error %v), want {\"ok\":1} (error %v)", res.Payload, res.Error, tt.wantError)
			}
			if rt.FirstPoll().IsZero() || res.At.Before(rt.FirstPoll()) {
				t.Errorf("FirstPoll = %v, response at %v: want the poll first", rt.FirstPoll(), res.At)
			}
		})
	}
}

func TestRuntimeInitError(t *testing.T) {
	rt, err := lambdatest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	resp, err := http.Post("http://"+rt.Addr()+"/2018-06-01/runtime/init/error", "application/json", bytes.NewReader([]byte(`{"errorMessage":"no config"}`)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("init error = %d %s, want 202", resp.StatusCode, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := rt.Invoke(ctx, []byte(`{}`))
	if !errors.Is(err, lambdatest.ErrInit) || string(res.Payload) != `{"errorMessage":"no config"}` {
		t.Errorf("Invoke after init error = %s, %v; want the init error", res.Payload, err)
	}
}

func TestAWSSecretsManager(t *testing.T) {
	fake := lambdatest.StartAWS(map[string]string{"arn:db": `{"username":"root","password":""}`})
	defer fake.Close()
	client := secretsmanager.New(secretsmanager.Options{
		BaseEndpoint: aws.String(fake.URL), Region: "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
	})
	tests := []struct {
		name, id, want string
		wantErr        bool
	}{
		{"known secret", "arn:db", `{"username":"root","password":""}`, false},
		{"unknown secret", "arn:other", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(tt.id)})
			if (err != nil) != tt.wantErr {
				t.Fatalf("GetSecretValue error = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && aws.ToString(out.SecretString) != tt.want {
				t.Errorf("SecretString = %q, want %q", aws.ToString(out.SecretString), tt.want)
			}
		})
	}
}
