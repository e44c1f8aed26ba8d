package awssecrets

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

// EnsureVAPIDKeys makes sure the private-key secret holds a VAPID
// private key and the public-key secret its public key, in the form
// webpush-go's GenerateVAPIDKeys makes them: unpadded base64url of the
// P-256 scalar and of the uncompressed point, the point being the
// applicationServerKey browsers subscribe with. Like EnsureKeyPair it
// generates a key when the private secret has no value yet (or when
// rotate is set), writes the private key first, and derives the public
// key from the stored private key, so that an interrupted run is repaired
// by the next. Only notifycarrier reads the private secret; the
// fulfilment function reads the public one.
func EnsureVAPIDKeys(ctx context.Context, client SecretsAPI, privateID, publicID string, rotate bool) (created bool, err error) {
	current, err := optionalValue(ctx, client, privateID)
	if err != nil {
		return false, err
	}
	private := strings.TrimSpace(current)
	if private == "" || rotate {
		key, err := ecdh.P256().GenerateKey(rand.Reader)
		if err != nil {
			return false, err
		}
		private = base64.RawURLEncoding.EncodeToString(key.Bytes())
		if err := put(ctx, client, privateID, private); err != nil {
			return false, err
		}
		created = true
	}
	scalar, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(private, "="))
	if err != nil {
		return created, fmt.Errorf("secret %s: not a VAPID private key (base64url)", privateID)
	}
	key, err := ecdh.P256().NewPrivateKey(scalar)
	if err != nil {
		return created, fmt.Errorf("secret %s: not a VAPID private key (a P-256 scalar)", privateID)
	}
	public := base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes())
	stored, err := optionalValue(ctx, client, publicID)
	if err != nil {
		return created, err
	}
	if strings.TrimSpace(stored) != public {
		if err := put(ctx, client, publicID, public); err != nil {
			return created, err
		}
	}
	return created, nil
}
