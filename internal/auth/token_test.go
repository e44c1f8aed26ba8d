package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var testNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func testKeyring() Keyring {
	return Keyring{
		Key:      []byte("0123456789abcdef0123456789abcdef"),
		Issuer:   "delivery-test",
		Audience: "delivery-test-api",
		Now:      func() time.Time { return testNow },
	}
}

// sign signs claims with method and key, bypassing Mint's checks, to forge
// the tokens an attacker could send.
func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	token, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return token
}

func validClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss":   "delivery-test",
		"aud":   "delivery-test-api",
		"sub":   "7",
		"iat":   testNow.Add(-time.Minute).Unix(),
		"nbf":   testNow.Add(-time.Minute).Unix(),
		"exp":   testNow.Add(time.Hour).Unix(),
		"scope": "products:read products:write",
	}
}

func with(claims jwt.MapClaims, key string, value any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range claims {
		out[k] = v
	}
	if value == nil {
		delete(out, key)
	} else {
		out[key] = value
	}
	return out
}

func TestMintVerifyRoundTrip(t *testing.T) {
	k := testKeyring()
	token, err := k.Mint(7, DefaultScopes, time.Hour)
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	claims, err := k.Verify(token)
	if err != nil {
		t.Fatalf("Verify(minted) = %v, want nil", err)
	}
	if id, _ := claims.CompanyID(); id != 7 {
		t.Errorf("CompanyID = %d, want 7", id)
	}
	if !claims.HasScope(ScopeProductsWrite) || !claims.HasScope(ScopeProductsRead) {
		t.Errorf("scopes = %q, want both default scopes", claims.Scope)
	}
}

func TestVerifyRefuses(t *testing.T) {
	k := testKeyring()
	otherKey := []byte("another-key-another-key-another-k")
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	valid := sign(t, jwt.SigningMethodHS256, k.Key, validClaims())
	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"delivery-test","aud":"delivery-test-api","sub":"8","exp":9999999999,"scope":"products:write"}`)) + "." + parts[2]
	noneToken := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, validClaims())

	tests := []struct {
		name  string
		token string
	}{
		{"expired", sign(t, jwt.SigningMethodHS256, k.Key, with(validClaims(), "exp", testNow.Add(-time.Second).Unix()))},
		{"expires now", sign(t, jwt.SigningMethodHS256, k.Key, with(validClaims(), "exp", testNow.Unix()))},
		{"no exp", sign(t, jwt.SigningMethodHS256, k.Key, with(validClaims(), "exp", nil))},
		{"not yet valid", sign(t, jwt.SigningMethodHS256, k.Key, with(validClaims(), "nbf", testNow.Add(2*time.Minute).Unix()))},
		{"issued in the future", sign(t, jwt.SigningMethodHS256, k.Key, with(validClaims(), "iat", testNow.Add(2*time.Minute).Unix()))},
		{"signed with another key", sign(t, jwt.SigningMethodHS256, otherKey, validClaims())},
		{"wrong audience", sign(t, jwt.SigningMethodHS256, k.Key, with(validClaims(), "aud", "someone-else"))},
		{"no audience", sign(t, jwt.SigningMethodHS256, k.Key, with(validClaims(), "aud", nil))},
		{"wrong issuer", sign(t, jwt.SigningMethodHS256, k.Key, with(validClaims(), "iss", "evil"))},
		{"alg none", noneToken},
		{"HS512 with the right key", sign(t, jwt.SigningMethodHS512, k.Key, validClaims())},
		{"HS384 with the right key", sign(t, jwt.SigningMethodHS384, k.Key, validClaims())},
		{"ES256", sign(t, jwt.SigningMethodES256, ecKey, validClaims())},
		{"tampered payload", tampered},
		{"subject not a company id", sign(t, jwt.SigningMethodHS256, k.Key, with(validClaims(), "sub", "admin"))},
		{"subject zero", sign(t, jwt.SigningMethodHS256, k.Key, with(validClaims(), "sub", "0"))},
		{"subject with leading zero", sign(t, jwt.SigningMethodHS256, k.Key, with(validClaims(), "sub", "07"))},
		{"the word allow", "allow"},
		{"empty", ""},
		{"garbage", "a.b.c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims, err := k.Verify(tt.token)
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify(%s) = %+v, %v; want ErrInvalidToken", tt.name, claims, err)
			}
		})
	}
}

func TestVerifyAcceptsClockSkew(t *testing.T) {
	k := testKeyring()
	tests := []struct {
		name   string
		claims jwt.MapClaims
	}{
		{"valid", validClaims()},
		{"nbf 59s ahead", with(validClaims(), "nbf", testNow.Add(59*time.Second).Unix())},
		{"iat 59s ahead", with(validClaims(), "iat", testNow.Add(59*time.Second).Unix())},
		{"audience in a list", with(validClaims(), "aud", []string{"other", "delivery-test-api"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := k.Verify(sign(t, jwt.SigningMethodHS256, k.Key, tt.claims)); err != nil {
				t.Errorf("Verify = %v, want nil", err)
			}
		})
	}
}

func TestMintRefusesBadInput(t *testing.T) {
	tests := []struct {
		name    string
		keyring Keyring
		company int64
		ttl     time.Duration
	}{
		{"short key", Keyring{Key: []byte("short"), Issuer: "i", Audience: "a"}, 1, time.Hour},
		{"no issuer", Keyring{Key: testKeyring().Key, Audience: "a"}, 1, time.Hour},
		{"company zero", testKeyring(), 0, time.Hour},
		{"negative ttl", testKeyring(), 1, -time.Hour},
		{"ttl over the maximum", testKeyring(), 1, MaxTTL + time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if token, err := tt.keyring.Mint(tt.company, DefaultScopes, tt.ttl); err == nil {
				t.Errorf("Mint = %q, nil; want an error", token)
			}
		})
	}
}

func TestLocalKeyringSharedAndPrivate(t *testing.T) {
	path := t.TempDir() + "/sub/key"
	first, err := LocalKeyring(path)
	if err != nil {
		t.Fatalf("LocalKeyring (create): %v", err)
	}
	second, err := LocalKeyring(path)
	if err != nil {
		t.Fatalf("LocalKeyring (read): %v", err)
	}
	if string(first.Key) != string(second.Key) {
		t.Error("a second process got another key; tokens minted in one terminal would fail in the other")
	}
	token, err := first.Mint(1, DefaultScopes, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := second.Verify(token); err != nil {
		t.Errorf("Verify across processes = %v", err)
	}
	if first.Issuer != LocalIssuer || first.Audience != LocalAudience {
		t.Errorf("local keyring iss/aud = %q/%q, want the local-only ones", first.Issuer, first.Audience)
	}
}
