package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var testNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

var testKey = mustGenerate()

func mustGenerate() *ecdsa.PrivateKey {
	key, err := GenerateKey()
	if err != nil {
		panic(err)
	}
	return key
}

func testKeyring() Keyring {
	return Keyring{
		Private:  testKey,
		Public:   &testKey.PublicKey,
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
	if scopes := claims.Scopes(); !slices.Contains(scopes, ScopeProductsWrite) || !slices.Contains(scopes, ScopeProductsRead) {
		t.Errorf("scopes = %q, want both default scopes", claims.Scope)
	}
}

func TestVerifyRefuses(t *testing.T) {
	k := testKeyring()
	otherKey := mustGenerate()
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	publicPEM, err := EncodePublicKey(k.Public)
	if err != nil {
		t.Fatal(err)
	}
	valid := sign(t, jwt.SigningMethodES256, k.Private, validClaims())
	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"delivery-test","aud":"delivery-test-api","sub":"8","exp":9999999999,"scope":"products:write"}`)) + "." + parts[2]
	noneToken := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, validClaims())

	tests := []struct {
		name  string
		token string
	}{
		{"expired", sign(t, jwt.SigningMethodES256, k.Private, with(validClaims(), "exp", testNow.Add(-time.Second).Unix()))},
		{"expires now", sign(t, jwt.SigningMethodES256, k.Private, with(validClaims(), "exp", testNow.Unix()))},
		{"no exp", sign(t, jwt.SigningMethodES256, k.Private, with(validClaims(), "exp", nil))},
		{"not yet valid", sign(t, jwt.SigningMethodES256, k.Private, with(validClaims(), "nbf", testNow.Add(2*time.Minute).Unix()))},
		{"issued in the future", sign(t, jwt.SigningMethodES256, k.Private, with(validClaims(), "iat", testNow.Add(2*time.Minute).Unix()))},
		{"signed with another key", sign(t, jwt.SigningMethodES256, otherKey, validClaims())},
		{"wrong audience", sign(t, jwt.SigningMethodES256, k.Private, with(validClaims(), "aud", "someone-else"))},
		{"no audience", sign(t, jwt.SigningMethodES256, k.Private, with(validClaims(), "aud", nil))},
		{"wrong issuer", sign(t, jwt.SigningMethodES256, k.Private, with(validClaims(), "iss", "evil"))},
		{"alg none", noneToken},
		// Algorithm confusion: an HMAC keyed with the public key, which
		// anyone may know, must not pass for a signature.
		{"HS256 keyed with the public key", sign(t, jwt.SigningMethodHS256, publicPEM, validClaims())},
		{"HS512 keyed with the public key", sign(t, jwt.SigningMethodHS512, publicPEM, validClaims())},
		{"ES384", sign(t, jwt.SigningMethodES384, p384, validClaims())},
		{"tampered payload", tampered},
		{"subject not a company id", sign(t, jwt.SigningMethodES256, k.Private, with(validClaims(), "sub", "admin"))},
		{"subject zero", sign(t, jwt.SigningMethodES256, k.Private, with(validClaims(), "sub", "0"))},
		{"subject with leading zero", sign(t, jwt.SigningMethodES256, k.Private, with(validClaims(), "sub", "07"))},
		// The lifetime is held at verification, not only at minting.
		{"lives 100 years", sign(t, jwt.SigningMethodES256, k.Private, with(validClaims(), "exp", testNow.AddDate(100, 0, 0).Unix()))},
		{"lives a day past the maximum", sign(t, jwt.SigningMethodES256, k.Private, with(validClaims(), "exp", testNow.Add(-time.Minute+MaxTTL+24*time.Hour).Unix()))},
		{"issued long ago, expires far ahead", sign(t, jwt.SigningMethodES256, k.Private,
			with(with(validClaims(), "iat", testNow.Add(-MaxTTL).Unix()), "exp", testNow.Add(MaxTTL-time.Hour).Unix()))},
		{"no iat, so never revocable", sign(t, jwt.SigningMethodES256, k.Private, with(validClaims(), "iat", nil))},
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
			if _, err := k.Verify(sign(t, jwt.SigningMethodES256, k.Private, tt.claims)); err != nil {
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
		{"no private key", Keyring{Public: &testKey.PublicKey, Issuer: "i", Audience: "a"}, 1, time.Hour},
		{"no issuer", Keyring{Private: testKey, Audience: "a"}, 1, time.Hour},
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
	if !first.Private.Equal(second.Private) {
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

func TestVerifyNeedsOnlyThePublicKey(t *testing.T) {
	k := testKeyring()
	token, err := k.Mint(7, DefaultScopes, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	verifier := Keyring{Public: k.Public, Issuer: k.Issuer, Audience: k.Audience, Now: k.Now}
	if _, err := verifier.Verify(token); err != nil {
		t.Errorf("Verify with the public key alone = %v", err)
	}
	if _, err := verifier.Mint(7, DefaultScopes, time.Hour); err == nil {
		t.Error("a verifier minted a token; it must not be able to")
	}
	if _, err := (Keyring{Private: testKey, Issuer: "i", Audience: "a"}).Verify(token); err == nil {
		t.Error("Verify without a public key succeeded")
	}
}

func TestKeyPEMRoundTrip(t *testing.T) {
	privatePEM, err := EncodePrivateKey(testKey)
	if err != nil {
		t.Fatal(err)
	}
	publicPEM, err := EncodePublicKey(&testKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	private, err := ParsePrivateKey(privatePEM)
	if err != nil || !private.Equal(testKey) {
		t.Errorf("ParsePrivateKey(EncodePrivateKey(k)) = %v, want k", err)
	}
	public, err := ParsePublicKey(publicPEM)
	if err != nil || !public.Equal(&testKey.PublicKey) {
		t.Errorf("ParsePublicKey(EncodePublicKey(k)) = %v, want k", err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	wrongCurve, _ := EncodePrivateKey(p384)
	tests := []struct {
		name  string
		parse func() error
	}{
		{"private key on P-384", func() error { _, err := ParsePrivateKey(wrongCurve); return err }},
		{"public PEM as private", func() error { _, err := ParsePrivateKey(publicPEM); return err }},
		{"garbage as public", func() error { _, err := ParsePublicKey([]byte("not a key")); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.parse(); err == nil {
				t.Error("parsed; want an error")
			}
		})
	}
}

func TestCarrierTokenRoundTrip(t *testing.T) {
	k := testKeyring()
	session, err := k.CarrierSession(4)
	if err != nil {
		t.Fatalf("CarrierSession: %v", err)
	}
	if want := testNow.Add(SessionTTL); !session.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", session.ExpiresAt, want)
	}
	claims, err := k.VerifyCarrier(session.Token)
	if err != nil {
		t.Fatalf("VerifyCarrier(minted) = %v, want nil", err)
	}
	if id, _ := claims.CarrierID(); id != 4 {
		t.Errorf("CarrierID = %d, want 4", id)
	}
	if !slices.Equal(claims.Scopes(), []string{ScopeDeliveries}) {
		t.Errorf("scopes = %q, want deliveries only", claims.Scope)
	}
	if !slices.Equal(claims.Audience, jwt.ClaimStrings{"delivery-test-api:carriers"}) {
		t.Errorf("audience = %q, want the carriers' own", claims.Audience)
	}
	if !claims.ExpiresAt.Equal(session.ExpiresAt) {
		t.Errorf("exp = %v, want the session's %v", claims.ExpiresAt, session.ExpiresAt)
	}
}

func TestCompanySessionHasEveryScope(t *testing.T) {
	k := testKeyring()
	session, err := k.CompanySession(3)
	if err != nil {
		t.Fatalf("CompanySession: %v", err)
	}
	claims, err := k.Verify(session.Token)
	if err != nil {
		t.Fatalf("Verify(company session) = %v", err)
	}
	if !slices.Equal(claims.Scopes(), DefaultScopes) || len(DefaultScopes) != 6 {
		t.Errorf("scopes = %q, want all six company scopes", claims.Scope)
	}
	if got := claims.ExpiresAt.Sub(testNow); got != SessionTTL || !session.ExpiresAt.Equal(claims.ExpiresAt.Time) {
		t.Errorf("lifetime = %s (session says %v), want %s", got, session.ExpiresAt, SessionTTL)
	}
}

// TestTokenKindsNeverCross: each kind is refused where the other is
// expected, whatever its scopes say.
func TestTokenKindsNeverCross(t *testing.T) {
	k := testKeyring()
	carrier, err := k.MintCarrier(7, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	company, err := k.Mint(7, DefaultScopes, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	forgedScope := sign(t, jwt.SigningMethodES256, k.Private, with(validClaims(), "scope", "deliveries"))
	carrierClaims := with(with(validClaims(), "aud", "delivery-test-api:carriers"), "scope", "deliveries")
	tests := []struct {
		name   string
		verify func(string) (Claims, error)
		token  string
	}{
		{"carrier token as a company token", k.Verify, carrier},
		{"company token as a carrier token", k.VerifyCarrier, company},
		{"company token with the deliveries scope as a carrier token", k.VerifyCarrier, forgedScope},
		{"carrier token without the deliveries scope", k.VerifyCarrier, sign(t, jwt.SigningMethodES256, k.Private, with(carrierClaims, "scope", "products:write"))},
		{"carrier token with the company audience too", k.VerifyCarrier, sign(t, jwt.SigningMethodES256, k.Private, with(carrierClaims, "aud", "other"))},
		{"expired carrier token", k.VerifyCarrier, sign(t, jwt.SigningMethodES256, k.Private, with(carrierClaims, "exp", testNow.Unix()))},
		{"carrier token with no exp", k.VerifyCarrier, sign(t, jwt.SigningMethodES256, k.Private, with(carrierClaims, "exp", nil))},
		{"carrier token of another issuer", k.VerifyCarrier, sign(t, jwt.SigningMethodES256, k.Private, with(carrierClaims, "iss", "evil"))},
		{"carrier token signed with HS256 and the public key", k.VerifyCarrier, sign(t, jwt.SigningMethodHS256, mustPublicPEM(t), carrierClaims)},
		{"carrier token for carrier zero", k.VerifyCarrier, sign(t, jwt.SigningMethodES256, k.Private, with(carrierClaims, "sub", "0"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if claims, err := tt.verify(tt.token); !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("verify = %+v, %v; want ErrInvalidToken", claims, err)
			}
		})
	}
	if _, err := k.VerifyCarrier(sign(t, jwt.SigningMethodES256, k.Private, carrierClaims)); err != nil {
		t.Errorf("VerifyCarrier(valid carrier claims) = %v, want nil (the refusals above must be for their one reason)", err)
	}
}

func TestMintCarrierRefusesBadInput(t *testing.T) {
	tests := []struct {
		name    string
		keyring Keyring
		carrier int64
		ttl     time.Duration
	}{
		{"no private key", Keyring{Public: &testKey.PublicKey, Issuer: "i", Audience: "a"}, 1, time.Hour},
		{"no audience", Keyring{Private: testKey, Issuer: "i"}, 1, time.Hour},
		{"carrier zero", testKeyring(), 0, time.Hour},
		{"zero ttl", testKeyring(), 1, 0},
		{"ttl over a session", testKeyring(), 1, SessionTTL + time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if token, err := tt.keyring.MintCarrier(tt.carrier, tt.ttl); err == nil {
				t.Errorf("MintCarrier = %q, nil; want an error", token)
			}
		})
	}
}

func mustPublicPEM(t *testing.T) []byte {
	t.Helper()
	b, err := EncodePublicKey(&testKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVerifyHoldsTheLifetime: a correctly signed token is accepted up to
// the lifetime its kind may have and refused past it, whoever minted it.
func TestVerifyHoldsTheLifetime(t *testing.T) {
	k := testKeyring()
	carrierClaims := func(life time.Duration) jwt.MapClaims {
		c := with(with(validClaims(), "aud", k.CarrierAudience()), "scope", ScopeDeliveries)
		return with(c, "exp", testNow.Add(-time.Minute+life).Unix())
	}
	tests := []struct {
		name   string
		verify func(string) (Claims, error)
		claims jwt.MapClaims
		ok     bool
	}{
		{"company token of the maximum lifetime", k.Verify, with(validClaims(), "exp", testNow.Add(-time.Minute+MaxTTL).Unix()), true},
		{"company token a second longer", k.Verify, with(validClaims(), "exp", testNow.Add(-time.Minute+MaxTTL+time.Second).Unix()), false},
		{"company token of 100 years", k.Verify, with(validClaims(), "exp", testNow.AddDate(100, 0, 0).Unix()), false},
		{"carrier token of a session", k.VerifyCarrier, carrierClaims(SessionTTL), true},
		{"carrier token a second longer", k.VerifyCarrier, carrierClaims(SessionTTL + time.Second), false},
		{"carrier token of a company's maximum", k.VerifyCarrier, carrierClaims(MaxTTL), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.verify(sign(t, jwt.SigningMethodES256, k.Private, tt.claims))
			if ok := err == nil; ok != tt.ok {
				t.Errorf("verify = %v; want accepted %v", err, tt.ok)
			}
		})
	}
}

// TestCompanySessionFrom: a token minted right after its company's tokens
// were revoked from the next second is issued at that second, and still
// verifies now.
func TestCompanySessionFrom(t *testing.T) {
	k := testKeyring()
	tests := []struct {
		name string
		from time.Time
		want time.Time
	}{
		{"no cutoff", time.Time{}, testNow.Truncate(time.Second)},
		{"cutoff in the past", testNow.Add(-time.Hour), testNow.Truncate(time.Second)},
		{"cutoff the next second", testNow.Truncate(time.Second).Add(time.Second), testNow.Truncate(time.Second).Add(time.Second)},
		// Within a second the issue time is kept to the millisecond, so
		// that a revocation tells tokens minted just before it from those
		// minted just after.
		{"cutoff within the second", testNow.Truncate(time.Second).Add(1500 * time.Millisecond), testNow.Truncate(time.Second).Add(1500 * time.Millisecond)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := k.CompanySessionFrom(3, tt.from)
			if err != nil {
				t.Fatal(err)
			}
			claims, err := k.Verify(s.Token)
			if err != nil {
				t.Fatalf("Verify(CompanySessionFrom) = %v", err)
			}
			wantExp := tt.want.Truncate(time.Second).Add(SessionTTL)
			if !claims.IssueTime().Equal(tt.want) || !s.ExpiresAt.Equal(wantExp) {
				t.Errorf("issued, exp = %v, %v; want %v, %v", claims.IssueTime(), s.ExpiresAt, tt.want, wantExp)
			}
		})
	}
	if _, err := k.CompanySessionFrom(3, testNow.Add(time.Hour)); err == nil {
		t.Error("CompanySessionFrom an hour ahead minted a token that verification would refuse")
	}
}
