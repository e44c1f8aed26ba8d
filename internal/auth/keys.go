package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// GenerateKey returns a new P-256 key pair for ES256.
func GenerateKey() (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("auth: generate key: %w", err)
	}
	return key, nil
}

// EncodePrivateKey renders a private key as a PKCS #8 PEM block, the form
// kept in the signing-key secret and the local key file.
func EncodePrivateKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("auth: encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// EncodePublicKey renders a public key as a PKIX PEM block, the form kept
// in the public-key secret the authorizer reads.
func EncodePublicKey(key *ecdsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return nil, fmt.Errorf("auth: encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePrivateKey reads a P-256 private key from PEM.
func ParsePrivateKey(pemBytes []byte) (*ecdsa.PrivateKey, error) {
	key, err := jwt.ParseECPrivateKeyFromPEM(pemBytes)
	if err != nil {
		// The error text could quote key material; do not wrap it.
		return nil, errors.New("auth: not a PEM EC private key")
	}
	if key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("auth: key is on %s; ES256 needs P-256", key.Curve.Params().Name)
	}
	return key, nil
}

// ParsePublicKey reads a P-256 public key from PEM.
func ParsePublicKey(pemBytes []byte) (*ecdsa.PublicKey, error) {
	key, err := jwt.ParseECPublicKeyFromPEM(pemBytes)
	if err != nil {
		return nil, errors.New("auth: not a PEM EC public key")
	}
	if key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("auth: key is on %s; ES256 needs P-256", key.Curve.Params().Name)
	}
	return key, nil
}
