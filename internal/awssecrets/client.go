package awssecrets

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/deliverymarket/delivery/internal/auth"
)

// The client's bounds. Secrets are fetched on a request's path (the first
// connection of a cold start, the first token check or sign-in), and
// Secrets Manager answers in milliseconds: when it does not, the request
// must still answer a 503 in a few seconds rather than wait out the SDK's
// defaults (three attempts, backoffs of up to 20 s, and no limit on an
// attempt that hangs) into the Lambda and API Gateway timeouts. Worst
// case: two attempts and one backoff, under 4 s.
const (
	attemptTimeout = 1500 * time.Millisecond
	maxAttempts    = 2
	maxBackoff     = 250 * time.Millisecond
)

// NewClient returns the Secrets Manager client of the functions, with the
// bounds above.
func NewClient(awsCfg aws.Config) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(awsCfg, func(o *secretsmanager.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = maxAttempts
			so.MaxBackoff = maxBackoff
		})
		o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(attemptTimeout)
	})
}

// PublicKeyring returns the verify-only keyring whose public key is the
// PEM string of secret, fetched on first use and cached for the
// container's life (after a key rotation, setup.sh updates the
// authorizer's configuration, which starts fresh containers).
func PublicKeyring(secret *Secret, issuer, audience string) func(context.Context) (auth.Keyring, error) {
	return func(ctx context.Context) (auth.Keyring, error) {
		pem, err := secret.Value(ctx)
		if err != nil {
			return auth.Keyring{}, err
		}
		public, err := auth.ParsePublicKey([]byte(pem))
		if err != nil {
			return auth.Keyring{}, err
		}
		return auth.Keyring{Public: public, Issuer: issuer, Audience: audience}, nil
	}
}

// SigningKeyring returns the keyring that mints with the private key held
// as PEM in secret (the signin function's, and what `setup.sh token`
// uses).
func SigningKeyring(ctx context.Context, secret *Secret, issuer, audience string) (auth.Keyring, error) {
	pem, err := secret.Value(ctx)
	if err != nil {
		return auth.Keyring{}, err
	}
	private, err := auth.ParsePrivateKey([]byte(pem))
	if err != nil {
		return auth.Keyring{}, err
	}
	return auth.Keyring{Private: private, Public: &private.PublicKey, Issuer: issuer, Audience: audience}, nil
}
