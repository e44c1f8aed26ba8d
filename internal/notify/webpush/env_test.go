package webpush_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/deliverymarket/delivery/internal/notify/webpush"
)

// fakeSecrets is Secrets Manager holding one secret.
type fakeSecrets struct {
	id, value string
	err       error
}

func (f fakeSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	if aws.ToString(in.SecretId) != f.id {
		return nil, errors.New("ResourceNotFoundException")
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(f.value)}, nil
}

func TestFromEnv(t *testing.T) {
	const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-vapid-private-AbCdEf"
	private, _ := newKeys(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	env := func(vars map[string]string) func(string) string {
		return func(name string) string { return vars[name] }
	}
	tests := []struct {
		name    string
		vars    map[string]string
		secrets fakeSecrets
		wantOn  bool
		wantErr string
	}{
		{"push off", map[string]string{"SITE_URL": "https://shop.example"}, fakeSecrets{}, false, ""},
		{"push on, subject the site", map[string]string{"VAPID_PRIVATE_KEY_SECRET_ARN": arn, "SITE_URL": "https://shop.example/"},
			fakeSecrets{id: arn, value: private + "\n"}, true, ""},
		{"push on, subject set", map[string]string{"VAPID_PRIVATE_KEY_SECRET_ARN": arn, "VAPID_SUBJECT": "mailto:ops@shop.example"},
			fakeSecrets{id: arn, value: private}, true, ""},
		{"secret unreadable", map[string]string{"VAPID_PRIVATE_KEY_SECRET_ARN": arn, "SITE_URL": "https://shop.example"},
			fakeSecrets{err: errors.New("AccessDeniedException")}, false, "AccessDenied"},
		{"secret empty", map[string]string{"VAPID_PRIVATE_KEY_SECRET_ARN": arn, "SITE_URL": "https://shop.example"},
			fakeSecrets{id: arn, value: ""}, false, "vapid-key"},
		{"secret not a key", map[string]string{"VAPID_PRIVATE_KEY_SECRET_ARN": arn, "SITE_URL": "https://shop.example"},
			fakeSecrets{id: arn, value: "-----BEGIN EC PRIVATE KEY-----"}, false, "private key"},
		{"no subject", map[string]string{"VAPID_PRIVATE_KEY_SECRET_ARN": arn},
			fakeSecrets{id: arn, value: private}, false, "subject"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := webpush.FromEnv(context.Background(), env(tt.vars), tt.secrets, quiet)
			if (s != nil) != tt.wantOn || (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("FromEnv = %v, %v, want push on %v, error %q", s, err, tt.wantOn, tt.wantErr)
			}
		})
	}
}
