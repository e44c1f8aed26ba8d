package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fuzzKeyPEM is a P-256 key made for these tests only, fixed so that the
// tokens in testdata/fuzz, minted with it, stay genuine; it signs nothing
// anywhere else.
const fuzzKeyPEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQglQhCsC0WRxcwgo0m
3h/drake0JUGJWysPCAeVb86ft+hRANCAARuWwGyqe5i8+lLGgwZT2NEFfe5NiIE
mlvfnAYKUxfLS5uANE0EyUFmvp5OELYtBEdLnxHFySuX/rbdRzKcYfEV
-----END PRIVATE KEY-----
`

// fuzzNow is the clock of the fuzz keyring; the corpus tokens were minted
// at fuzzMinted, so some are live and some expired at fuzzNow.
var (
	fuzzMinted = time.Date(2026, 11, 24, 11, 0, 0, 0, time.UTC)
	fuzzNow    = fuzzMinted.Add(30 * time.Minute)
)

func fuzzKeyring(tb testing.TB, now time.Time) Keyring {
	tb.Helper()
	key, err := ParsePrivateKey([]byte(fuzzKeyPEM))
	if err != nil {
		tb.Fatal(err)
	}
	return Keyring{Private: key, Public: &key.PublicKey, Issuer: "delivery-fuzz", Audience: "delivery-fuzz-api", Now: func() time.Time { return now }}
}

// mintedTokens are the tokens the keyring genuinely mints at fuzzMinted,
// by kind: their header and claims segments are deterministic (only the
// ECDSA signature is random), so they identify a genuine token.
type mintedTokens struct {
	company, carrier map[string]bool // "header.claims" of live tokens of each kind
	seeds            []string        // whole tokens, for the corpus
}

func mintFuzzTokens(tb testing.TB) mintedTokens {
	tb.Helper()
	k := fuzzKeyring(tb, fuzzMinted)
	m := mintedTokens{company: map[string]bool{}, carrier: map[string]bool{}}
	add := func(set map[string]bool, token string, err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		m.seeds = append(m.seeds, token)
		if set != nil {
			set[signingInput(token)] = true
		}
	}
	token, err := k.Mint(7, DefaultScopes, time.Hour)
	add(m.company, token, err)
	token, err = k.Mint(8, []string{ScopeProductsRead}, 90*24*time.Hour)
	add(m.company, token, err)
	s, err := k.CompanySession(9)
	add(m.company, s.Token, err)
	token, err = k.MintCarrier(3, time.Hour)
	add(m.carrier, token, err)
	s, err = k.CarrierSession(4)
	add(m.carrier, s.Token, err)
	// Expired at fuzzNow: genuine, but never to verify.
	token, err = k.Mint(7, DefaultScopes, time.Minute)
	add(nil, token, err)
	token, err = k.MintCarrier(3, time.Minute)
	add(nil, token, err)
	return m
}

// signingInput is the part of a JWT its signature covers.
func signingInput(token string) string {
	if i := strings.LastIndexByte(token, '.'); i >= 0 {
		return token[:i]
	}
	return token
}

// forgedTokens are what an attacker would try: other algorithms (none,
// HS256 keyed with the public key), another key, the right key with the
// wrong audience, and tampered tokens.
func forgedTokens(tb testing.TB, genuine []string) []string {
	tb.Helper()
	k := fuzzKeyring(tb, fuzzMinted)
	claims := jwt.MapClaims{
		"iss": k.Issuer, "aud": k.Audience, "sub": "7", "scope": "products:read",
		"iat": fuzzMinted.Unix(), "nbf": fuzzMinted.Unix(), "exp": fuzzMinted.Add(time.Hour).Unix(),
	}
	var out []string
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		tb.Fatal(err)
	}
	out = append(out, none, strings.Replace(none, "bm9uZQ", "Tk9ORQ", 1)) // "none", "NONE"
	pub, err := EncodePublicKey(k.Public)
	if err != nil {
		tb.Fatal(err)
	}
	hs, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(pub)
	if err != nil {
		tb.Fatal(err)
	}
	out = append(out, hs)
	other, err := GenerateKey()
	if err != nil {
		tb.Fatal(err)
	}
	foreign, err := jwt.NewWithClaims(jwt.SigningMethodES256, claims).SignedString(other)
	if err != nil {
		tb.Fatal(err)
	}
	out = append(out, foreign)
	wrongAud := jwt.MapClaims{}
	for key, v := range claims {
		wrongAud[key] = v
	}
	wrongAud["aud"] = "elsewhere"
	misdirected, err := jwt.NewWithClaims(jwt.SigningMethodES256, wrongAud).SignedString(k.Private)
	if err != nil {
		tb.Fatal(err)
	}
	out = append(out, misdirected)
	for _, g := range genuine[:1] {
		parts := strings.Split(g, ".")
		out = append(out,
			parts[0]+"."+parts[1]+".", // no signature
			parts[0]+"."+parts[1],     // two parts
			g+"=",                     // padding
			parts[0]+"."+strings.ToUpper(parts[1])+"."+parts[2], // tampered claims
			parts[0]+" ."+parts[1]+"."+parts[2],                 // space
			"Bearer "+g, // the header, not the token
		)
	}
	return append(out, "allow", "Allow", "", ".", "..", "a.b.c", "eyJ.eyJ.eyJ")
}

// FuzzVerifyToken feeds any string to Verify and VerifyCarrier: neither
// panics, and a token verifies only if it is one the keyring minted, live,
// of the right kind (a company token never as a carrier's, nor the
// reverse), whatever the algorithm, key or tampering.
func FuzzVerifyToken(f *testing.F) {
	m := mintFuzzTokens(f)
	for _, token := range append(m.seeds, forgedTokens(f, m.seeds)...) {
		f.Add(token)
	}
	k := fuzzKeyring(f, fuzzNow)
	f.Fuzz(func(t *testing.T, token string) {
		claims, err := k.Verify(token)
		if err == nil {
			if !m.company[signingInput(token)] {
				t.Fatalf("Verify(%q) accepted a token the keyring did not mint as a company token: %+v", token, claims)
			}
			if id, err := claims.CompanyID(); err != nil || id < 1 {
				t.Fatalf("Verify(%q) = %+v without a company", token, claims)
			}
		} else if !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("Verify(%q) = %v, want ErrInvalidToken", token, err)
		}

		claims, err = k.VerifyCarrier(token)
		if err == nil {
			if !m.carrier[signingInput(token)] {
				t.Fatalf("VerifyCarrier(%q) accepted a token the keyring did not mint as a carrier token: %+v", token, claims)
			}
			if id, err := claims.CarrierID(); err != nil || id < 1 {
				t.Fatalf("VerifyCarrier(%q) = %+v without a carrier", token, claims)
			}
		} else if !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("VerifyCarrier(%q) = %v, want ErrInvalidToken", token, err)
		}
	})
}

// TestFuzzCorpusTokensAreGenuine keeps the fuzz corpus honest: the live
// tokens minted at fuzzMinted verify at fuzzNow as their kind, so the fuzz
// target starts from tokens that pass, not only from ones that fail.
func TestFuzzCorpusTokensAreGenuine(t *testing.T) {
	m := mintFuzzTokens(t)
	k := fuzzKeyring(t, fuzzNow)
	var company, carrier int
	for _, token := range m.seeds {
		if _, err := k.Verify(token); err == nil {
			company++
		}
		if _, err := k.VerifyCarrier(token); err == nil {
			carrier++
		}
	}
	if company != len(m.company) || carrier != len(m.carrier) {
		t.Errorf("%d company and %d carrier tokens verify, want %d and %d", company, carrier, len(m.company), len(m.carrier))
	}
}
