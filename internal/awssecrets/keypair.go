package awssecrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/deliverymarket/delivery/internal/auth"
)

// SecretsAPI is the part of the Secrets Manager client that manages the
// company-token key pair.
type SecretsAPI interface {
	GetSecretValueAPI
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
}

// EnsureKeyPair makes sure the private-key secret holds an ES256 private
// key and the public-key secret its public key. It generates a pair when
// the private secret has no value yet (or when rotate is set) and reports
// whether it did. The private key is written first, so that a run
// interrupted between the two writes is repaired by the next one, which
// derives the public key from the stored private key.
func EnsureKeyPair(ctx context.Context, client SecretsAPI, privateID, publicID string, rotate bool) (created bool, err error) {
	current, err := optionalValue(ctx, client, privateID)
	if err != nil {
		return false, err
	}
	var private []byte
	if current != "" && !rotate {
		private = []byte(current)
	} else {
		key, err := auth.GenerateKey()
		if err != nil {
			return false, err
		}
		if private, err = auth.EncodePrivateKey(key); err != nil {
			return false, err
		}
		if err := put(ctx, client, privateID, string(private)); err != nil {
			return false, err
		}
		created = true
	}
	key, err := auth.ParsePrivateKey(private)
	if err != nil {
		return created, fmt.Errorf("secret %s: %w", privateID, err)
	}
	public, err := auth.EncodePublicKey(&key.PublicKey)
	if err != nil {
		return created, err
	}
	stored, err := optionalValue(ctx, client, publicID)
	if err != nil {
		return created, err
	}
	if !bytes.Equal(bytes.TrimSpace([]byte(stored)), bytes.TrimSpace(public)) {
		if err := put(ctx, client, publicID, string(public)); err != nil {
			return created, err
		}
	}
	return created, nil
}

// optionalValue returns a secret's current string, or "" when the secret
// exists but has no value yet (as Terraform leaves it).
func optionalValue(ctx context.Context, client GetSecretValueAPI, id string) (string, error) {
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	var notFound *types.ResourceNotFoundException
	if errors.As(err, &notFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get secret %s: %w", id, err)
	}
	return aws.ToString(out.SecretString), nil
}

func put(ctx context.Context, client SecretsAPI, id, value string) error {
	if _, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(id), SecretString: aws.String(value)}); err != nil {
		return fmt.Errorf("put secret %s: %w", id, err)
	}
	return nil
}
