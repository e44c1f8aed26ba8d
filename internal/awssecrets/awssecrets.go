// Package awssecrets reads secrets from AWS Secrets Manager once per cold
// start and caches them, refetching only when told the cached value has
// gone stale (as after a rotation).
package awssecrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/deliverymarket/delivery/internal/mysql"
)

// GetSecretValueAPI is the part of the Secrets Manager client used here.
type GetSecretValueAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Secret is one cached secret string.
type Secret struct {
	client GetSecretValueAPI
	id     string

	mu     sync.Mutex
	value  string
	cached bool
}

// NewSecret returns a cache of the secret with the given id (name or ARN).
func NewSecret(client GetSecretValueAPI, id string) *Secret {
	return &Secret{client: client, id: id}
}

// Value returns the secret string, fetching it on first use or after
// Invalidate. Concurrent callers share one fetch.
func (s *Secret) Value(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached {
		return s.value, nil
	}
	out, err := s.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.id)})
	if err != nil {
		return "", fmt.Errorf("get secret %s: %w", s.id, err)
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("secret %s has no string value", s.id)
	}
	s.value, s.cached = *out.SecretString, true
	return s.value, nil
}

// Invalidate makes the next Value fetch the secret again.
func (s *Secret) Invalidate() {
	s.mu.Lock()
	s.cached = false
	s.mu.Unlock()
}

// DBCredentials reads database credentials from a secret in the format RDS
// writes for a managed master password: {"username": ..., "password": ...}.
type DBCredentials struct {
	secret *Secret
}

var _ mysql.CredentialSource = (*DBCredentials)(nil)

// NewDBCredentials returns a credential source over the secret id.
func NewDBCredentials(client GetSecretValueAPI, id string) *DBCredentials {
	return &DBCredentials{secret: NewSecret(client, id)}
}

// Credentials returns the cached credentials, fetching them if needed.
func (c *DBCredentials) Credentials(ctx context.Context) (mysql.Credentials, error) {
	value, err := c.secret.Value(ctx)
	if err != nil {
		return mysql.Credentials{}, err
	}
	var creds mysql.Credentials
	if err := json.Unmarshal([]byte(value), &creds); err != nil {
		// The error text could quote the secret; do not wrap it.
		return mysql.Credentials{}, errors.New("database secret is not JSON with username and password")
	}
	if creds.Username == "" || creds.Password == "" {
		return mysql.Credentials{}, errors.New("database secret lacks username or password")
	}
	return creds, nil
}

// Invalidate makes the next call fetch the secret again.
func (c *DBCredentials) Invalidate() { c.secret.Invalidate() }
