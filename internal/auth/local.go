package auth

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The local runner's issuer and audience. Deployments configure their own,
// so a token minted with the development key is refused there even if the
// key leaked.
const (
	LocalIssuer   = "delivery-local"
	LocalAudience = "delivery-local-api"
)

// EnvLocalKeyFile overrides where the development key is kept.
const EnvLocalKeyFile = "DELIVERY_LOCAL_KEY_FILE"

// LocalKeyFile is where the local runner and `token` command share their
// development signing key: a file of this machine's user, never a value a
// deployment could use (deployments keep theirs in Secrets Manager).
func LocalKeyFile() (string, error) {
	if path := os.Getenv(EnvLocalKeyFile); path != "" {
		return path, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("auth: no user config dir for the development key (set %s): %w", EnvLocalKeyFile, err)
	}
	// A new name for the ES256 key: a file left by the earlier HS256 runner
	// is simply not read.
	return filepath.Join(dir, "delivery-marketplace", "local-es256-key.pem"), nil
}

// LocalKeyring returns the development key pair, creating it on first use. Two processes starting together agree on one key: the file is
// written aside and linked into place, and the loser reads the winner's.
func LocalKeyring(path string) (Keyring, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createLocalKey(path)
	}
	if err != nil {
		return Keyring{}, fmt.Errorf("auth: development key %s: %w", path, err)
	}
	private, err := ParsePrivateKey(key)
	if err != nil {
		return Keyring{}, fmt.Errorf("%w in %s (delete it to make a new one)", err, path)
	}
	return Keyring{Private: private, Public: &private.PublicKey, Issuer: LocalIssuer, Audience: LocalAudience}, nil
}

func createLocalKey(path string) ([]byte, error) {
	private, err := GenerateKey()
	if err != nil {
		return nil, err
	}
	key, err := EncodePrivateKey(private)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(key); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	return os.ReadFile(path)
}
