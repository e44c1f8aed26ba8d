package awssecrets_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/awssecrets"
)

// secretStore stands in for Secrets Manager with several secrets, created
// without a value as Terraform leaves them, and PutSecretValue.
type secretStore struct {
	mu     sync.Mutex
	values map[string]string
}

func (s *secretStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct{ SecretId, SecretString string }
	raw, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(raw, &in)
	target := r.Header.Get("X-Amz-Target")
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	switch target {
	case "secretsmanager.GetSecretValue":
		value, ok := s.values[in.SecretId]
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"ResourceNotFoundException","Message":"Secrets Manager can't find the specified secret value for staging label: AWSCURRENT"}`)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"ARN": in.SecretId, "SecretString": value})
	case "secretsmanager.PutSecretValue":
		s.values[in.SecretId] = in.SecretString
		_ = json.NewEncoder(w).Encode(map[string]any{"ARN": in.SecretId, "VersionId": "v"})
	default:
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"InvalidRequestException","Message":"unexpected"}`)
	}
}

func (s *secretStore) value(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.values[id]
}

func storeClient(t *testing.T, store *secretStore) *secretsmanager.Client {
	t.Helper()
	srv := httptest.NewServer(store)
	t.Cleanup(srv.Close)
	return secretsmanager.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "SECRET", ""),
	}, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(srv.URL) })
}

const (
	privateSecret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:delivery-prod-jwt-signing-key-AbCdEf"
	publicSecret  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:delivery-prod-jwt-public-key-GhIjKl"
)

func TestEnsureKeyPair(t *testing.T) {
	store := &secretStore{values: map[string]string{}}
	client := storeClient(t, store)
	ctx := context.Background()

	created, err := awssecrets.EnsureKeyPair(ctx, client, privateSecret, publicSecret, false)
	if err != nil || !created {
		t.Fatalf("EnsureKeyPair on empty secrets = %v, %v; want a new pair", created, err)
	}
	private, err := auth.ParsePrivateKey([]byte(store.value(privateSecret)))
	if err != nil {
		t.Fatalf("private secret: %v", err)
	}
	public, err := auth.ParsePublicKey([]byte(store.value(publicSecret)))
	if err != nil || !public.Equal(&private.PublicKey) {
		t.Fatalf("public secret does not hold the pair's public key (%v)", err)
	}

	t.Run("a second run changes nothing", func(t *testing.T) {
		before := store.value(privateSecret)
		created, err := awssecrets.EnsureKeyPair(ctx, client, privateSecret, publicSecret, false)
		if err != nil || created || store.value(privateSecret) != before {
			t.Errorf("EnsureKeyPair again = %v, %v (key changed: %v); want no change", created, err, store.value(privateSecret) != before)
		}
	})
	t.Run("a lost public key is restored from the private key", func(t *testing.T) {
		store.mu.Lock()
		delete(store.values, publicSecret)
		store.mu.Unlock()
		if _, err := awssecrets.EnsureKeyPair(ctx, client, privateSecret, publicSecret, false); err != nil {
			t.Fatal(err)
		}
		restored, err := auth.ParsePublicKey([]byte(store.value(publicSecret)))
		if err != nil || !restored.Equal(&private.PublicKey) {
			t.Errorf("public key after repair does not match the private key (%v)", err)
		}
	})
	t.Run("rotate makes a new pair", func(t *testing.T) {
		created, err := awssecrets.EnsureKeyPair(ctx, client, privateSecret, publicSecret, true)
		if err != nil || !created {
			t.Fatalf("EnsureKeyPair(rotate) = %v, %v", created, err)
		}
		rotated, err := auth.ParsePrivateKey([]byte(store.value(privateSecret)))
		if err != nil || rotated.Equal(private) {
			t.Errorf("rotation kept the old key (%v)", err)
		}
	})
	t.Run("a private secret that is not a key is an error", func(t *testing.T) {
		store.mu.Lock()
		store.values[privateSecret] = "not a key"
		store.mu.Unlock()
		if _, err := awssecrets.EnsureKeyPair(ctx, client, privateSecret, publicSecret, false); err == nil {
			t.Error("EnsureKeyPair over a broken private secret = nil; want an error")
		}
	})
}
