package webpush

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/deliverymarket/delivery/internal/notify"
)

// GetSecretValueAPI is the part of the Secrets Manager client that reads
// the VAPID private key.
type GetSecretValueAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// secretTimeout bounds reading the key at a cold start.
const secretTimeout = 5 * time.Second

// FromEnv builds notifycarrier's Sender from its environment, through
// getenv: VAPID_PRIVATE_KEY_SECRET_ARN names the Secrets Manager secret
// holding the private key (`go run ./cmd/deployment vapid-key` writes
// it), read once here; the public key is derived from it, so the two can
// never disagree. VAPID_SUBJECT is the contact push services are given,
// mailto: or https:, SITE_URL when unset. Without the ARN, push is off:
// FromEnv logs it and returns nil, and every offer goes by SMS. A secret
// that cannot be read, or does not hold a key, is an error: a function
// that silently texted every offer would cost money unseen.
func FromEnv(ctx context.Context, getenv func(string) string, secrets GetSecretValueAPI, logger *slog.Logger) (*Sender, error) {
	arn := strings.TrimSpace(getenv("VAPID_PRIVATE_KEY_SECRET_ARN"))
	if arn == "" {
		logger.WarnContext(ctx, "notifycarrier: push is off (VAPID_PRIVATE_KEY_SECRET_ARN unset): every offer goes by SMS")
		return nil, nil
	}
	subject := strings.TrimSpace(getenv("VAPID_SUBJECT"))
	if subject == "" {
		subject = strings.TrimRight(strings.TrimSpace(getenv("SITE_URL")), "/")
	}
	ctx, cancel := context.WithTimeout(ctx, secretTimeout)
	defer cancel()
	out, err := secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("config: VAPID_PRIVATE_KEY_SECRET_ARN: %w", err)
	}
	if out.SecretString == nil || strings.TrimSpace(*out.SecretString) == "" {
		return nil, errors.New("config: VAPID_PRIVATE_KEY_SECRET_ARN: the secret has no key yet (run setup.sh, which runs `go run ./cmd/deployment vapid-key`)")
	}
	s, err := NewSender(strings.TrimSpace(*out.SecretString), subject, nil)
	if err != nil {
		return nil, fmt.Errorf("config: VAPID_PRIVATE_KEY_SECRET_ARN, VAPID_SUBJECT: %w", err)
	}
	logger.InfoContext(ctx, "notifycarrier: push is on", "vapidPublicKey", s.publicKey)
	return s, nil
}

// Configure is FromEnv on AWS: the process's environment and the Secrets
// Manager client of awsCfg. It returns nil, not a nil *Sender, when push
// is off.
func Configure(ctx context.Context, awsCfg aws.Config, logger *slog.Logger) (notify.PushSender, error) {
	s, err := FromEnv(ctx, os.Getenv, secretsmanager.NewFromConfig(awsCfg), logger)
	if s == nil {
		return nil, err
	}
	return s, nil
}
