// Package auth issues and verifies company tokens: ES256 JWTs whose subject
// is a company id and whose scope claim lists what the token may do. Minting
// needs the private key and lives here only, for the local runner's `token`
// command and for `setup.sh token` alike; verification needs only the
// public key and is what the authorizer Lambda runs, so the authorizer can
// check tokens but never make one.
package auth

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The scopes a company token can carry.
const (
	ScopeProductsRead  = "products:read"
	ScopeProductsWrite = "products:write"
)

// DefaultScopes are what a company token grants unless told otherwise.
var DefaultScopes = []string{ScopeProductsRead, ScopeProductsWrite}

const (
	// MaxSkew is how far clocks may disagree on nbf and iat.
	MaxSkew = 60 * time.Second
	// MaxTTL bounds a token's lifetime, so that a leaked token dies.
	MaxTTL = 90 * 24 * time.Hour
)

// The one algorithm accepted: ECDSA on P-256 with SHA-256. Any other,
// "none" and HS256 signed with the public key included, is refused before
// the signature is even looked at.
var signingMethod = jwt.SigningMethodES256

// Claims are a company token's claims.
type Claims struct {
	jwt.RegisteredClaims
	// Scope is a space-separated list of scopes, as in OAuth 2.0.
	Scope string `json:"scope"`
}

// Scopes returns the token's scopes.
func (c Claims) Scopes() []string { return strings.Fields(c.Scope) }

// CompanyID returns the company the token speaks for.
func (c Claims) CompanyID() (int64, error) {
	id, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil || id < 1 || strconv.FormatInt(id, 10) != c.Subject {
		return 0, fmt.Errorf("subject %q is not a company id", c.Subject)
	}
	return id, nil
}

// Keyring is a key pair, or half of one, and the issuer and audience it is
// used with: Mint needs Private, Verify needs Public.
type Keyring struct {
	Private  *ecdsa.PrivateKey
	Public   *ecdsa.PublicKey
	Issuer   string
	Audience string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

func (k Keyring) now() time.Time {
	if k.Now != nil {
		return k.Now()
	}
	return time.Now()
}

func (k Keyring) checkClaims() error {
	if k.Issuer == "" || k.Audience == "" {
		return errors.New("auth: issuer and audience are required")
	}
	return nil
}

// Mint returns a signed token for company with the given scopes, valid
// from now for ttl.
func (k Keyring) Mint(company int64, scopes []string, ttl time.Duration) (string, error) {
	if k.Private == nil {
		return "", errors.New("auth: minting needs the private key")
	}
	if err := k.checkClaims(); err != nil {
		return "", err
	}
	if company < 1 {
		return "", fmt.Errorf("auth: company id %d is not positive", company)
	}
	if ttl <= 0 || ttl > MaxTTL {
		return "", fmt.Errorf("auth: ttl %s is outside (0, %s]", ttl, MaxTTL)
	}
	now := k.now().Truncate(time.Second)
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    k.Issuer,
			Subject:   strconv.FormatInt(company, 10),
			Audience:  jwt.ClaimStrings{k.Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Scope: strings.Join(scopes, " "),
	}
	signed, err := jwt.NewWithClaims(signingMethod, claims).SignedString(k.Private)
	if err != nil {
		return "", fmt.Errorf("auth: sign: %w", err)
	}
	return signed, nil
}

// ErrInvalidToken is returned, wrapped, for every token that is refused.
var ErrInvalidToken = errors.New("invalid token")

// Verify checks a token and returns its claims. It accepts only ES256
// signed with this key pair, with exp present and in the future, nbf and iat not
// in the future beyond MaxSkew, and the configured issuer and audience. It
// does not check scopes (the caller knows which it needs) or that the
// company exists (that needs the database).
func (k Keyring) Verify(token string) (Claims, error) {
	if k.Public == nil {
		return Claims{}, errors.New("auth: verifying needs the public key")
	}
	if err := k.checkClaims(); err != nil {
		return Claims{}, err
	}
	var claims Claims
	_, err := jwt.ParseWithClaims(token, &claims,
		func(*jwt.Token) (any, error) { return k.Public, nil },
		jwt.WithValidMethods([]string{signingMethod.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(MaxSkew),
		jwt.WithIssuer(k.Issuer),
		jwt.WithAudience(k.Audience),
		jwt.WithTimeFunc(k.now),
		jwt.WithStrictDecoding(),
	)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	// The leeway is for clocks that run early (nbf, iat); a token is
	// refused the second it expires.
	if !claims.ExpiresAt.After(k.now()) {
		return Claims{}, fmt.Errorf("%w: token is expired", ErrInvalidToken)
	}
	if _, err := claims.CompanyID(); err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return claims, nil
}
