// Package auth issues and verifies company and carrier tokens: ES256 JWTs
// whose subject is a company or carrier id and whose scope claim lists what
// the token may do. Minting needs the private key and lives here only, for
// the local runner's `token` command, `setup.sh token` and the sign-in
// function alike; verification needs only the public key and is what the
// authorizer Lambda runs, so the authorizer can check tokens but never make
// one.
//
// The two kinds share the key pair and the issuer but not the audience: a
// carrier token's audience is the company audience with ":carriers"
// appended, so neither kind ever verifies as the other.
package auth

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The scopes a company token can carry.
const (
	ScopeProductsRead  = "products:read"
	ScopeProductsWrite = "products:write"
	ScopeOrdersRead    = "orders:read"
	ScopeOrdersWrite   = "orders:write"
	ScopeProfileRead   = "profile:read"
	ScopeProfileWrite  = "profile:write"
)

// DefaultScopes are what a company token grants unless told otherwise, and
// what a company's SMS sign-in grants.
var DefaultScopes = []string{
	ScopeProductsRead, ScopeProductsWrite,
	ScopeOrdersRead, ScopeOrdersWrite,
	ScopeProfileRead, ScopeProfileWrite,
}

// ScopeDeliveries is the one scope of a carrier token.
const ScopeDeliveries = "deliveries"

// SessionTTL is the lifetime of the tokens SMS sign-in gives carriers and
// companies: a working day, after which they sign in again.
const SessionTTL = 12 * time.Hour

// carrierAudienceSuffix turns the company audience into the carriers'.
const carrierAudienceSuffix = ":carriers"

const (
	// MaxSkew is how far clocks may disagree on nbf and iat.
	MaxSkew = 60 * time.Second
	// MaxTTL bounds a company token's lifetime, so that a leaked token
	// dies; a carrier token lives at most SessionTTL.
	MaxTTL = 90 * 24 * time.Hour
)

// maxLifetime is the longest a token of the audience may live: the one
// bound that minting and verification both hold tokens to, so that a
// correctly signed token minted elsewhere (a leaked key, an older tool)
// with a longer life is refused as well.
func (k Keyring) maxLifetime(audience string) time.Duration {
	if audience == k.CarrierAudience() {
		return SessionTTL
	}
	return MaxTTL
}

// The one algorithm accepted: ECDSA on P-256 with SHA-256. Any other,
// "none" and HS256 signed with the public key included, is refused before
// the signature is even looked at.
var signingMethod = jwt.SigningMethodES256

// Claims are a company or carrier token's claims.
type Claims struct {
	jwt.RegisteredClaims
	// Scope is a space-separated list of scopes, as in OAuth 2.0.
	Scope string `json:"scope"`
	// IssuedAtMilli is iat to the millisecond, within iat's second: a
	// revocation (market.Access) must tell a token minted just before it
	// from one minted just after, within one second.
	IssuedAtMilli int64 `json:"iat_ms,omitempty"`
}

// IssueTime returns when the token was issued (iat): what a principal's
// revocation cutoff is compared with (market.Access). Verify refuses a
// token without it.
// It is to the millisecond when the token says so (IssuedAtMilli), and
// iat's second otherwise.
func (c Claims) IssueTime() time.Time {
	if c.RegisteredClaims.IssuedAt == nil {
		return time.Time{}
	}
	iat := c.RegisteredClaims.IssuedAt.Time
	if ms := time.UnixMilli(c.IssuedAtMilli); c.IssuedAtMilli > 0 && ms.Truncate(time.Second).Equal(iat.Truncate(time.Second)) {
		return ms
	}
	return iat
}

// Scopes returns the token's scopes.
func (c Claims) Scopes() []string { return strings.Fields(c.Scope) }

// CompanyID returns the company a company token speaks for.
func (c Claims) CompanyID() (int64, error) { return c.subjectID("company") }

// CarrierID returns the carrier a carrier token speaks for.
func (c Claims) CarrierID() (int64, error) { return c.subjectID("carrier") }

func (c Claims) subjectID(kind string) (int64, error) {
	id, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil || id < 1 || strconv.FormatInt(id, 10) != c.Subject {
		return 0, fmt.Errorf("subject %q is not a %s id", c.Subject, kind)
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

// CarrierAudience is the audience of carrier tokens, derived from the
// company audience so that one setting configures both.
func (k Keyring) CarrierAudience() string { return k.Audience + carrierAudienceSuffix }

// Mint returns a signed company token for company with the given scopes,
// valid from now for ttl.
func (k Keyring) Mint(company int64, scopes []string, ttl time.Duration) (string, error) {
	token, _, err := k.mint(k.Audience, "company", company, scopes, ttl, time.Time{})
	return token, err
}

// MintCarrier returns a signed carrier token for carrier, with the scope
// deliveries, valid from now for ttl (at most SessionTTL).
func (k Keyring) MintCarrier(carrier int64, ttl time.Duration) (string, error) {
	token, _, err := k.mint(k.CarrierAudience(), "carrier", carrier, []string{ScopeDeliveries}, ttl, time.Time{})
	return token, err
}

// Session is a token handed out by SMS sign-in and when it expires.
type Session struct {
	Token     string
	ExpiresAt time.Time
}

// CompanySession mints the token of a company's SMS sign-in: every company
// scope, for SessionTTL.
func (k Keyring) CompanySession(company int64) (Session, error) {
	return k.CompanySessionFrom(company, time.Time{})
}

// CompanySessionFrom is CompanySession for a company whose tokens issued
// before from were just revoked, in the request that mints this one (a
// phone change): the token is issued at from if that is later than now,
// so that the cutoff, which may be just ahead of this clock, does not
// refuse it.
func (k Keyring) CompanySessionFrom(company int64, from time.Time) (Session, error) {
	token, exp, err := k.mint(k.Audience, "company", company, DefaultScopes, SessionTTL, from)
	return Session{Token: token, ExpiresAt: exp}, err
}

// CarrierSession mints the token of a carrier's SMS sign-in, for
// SessionTTL.
func (k Keyring) CarrierSession(carrier int64) (Session, error) {
	token, exp, err := k.mint(k.CarrierAudience(), "carrier", carrier, []string{ScopeDeliveries}, SessionTTL, time.Time{})
	return Session{Token: token, ExpiresAt: exp}, err
}

// mint signs a token issued now, or at from if that is later (within
// MaxSkew, which verification allows an early clock).
func (k Keyring) mint(audience, kind string, subject int64, scopes []string, ttl time.Duration, from time.Time) (string, time.Time, error) {
	if k.Private == nil {
		return "", time.Time{}, errors.New("auth: minting needs the private key")
	}
	if err := k.checkClaims(); err != nil {
		return "", time.Time{}, err
	}
	if subject < 1 {
		return "", time.Time{}, fmt.Errorf("auth: %s id %d is not positive", kind, subject)
	}
	if max := k.maxLifetime(audience); ttl <= 0 || ttl > max {
		return "", time.Time{}, fmt.Errorf("auth: ttl %s is outside (0, %s] for a %s token", ttl, max, kind)
	}
	issued := k.now().Truncate(time.Millisecond)
	if from = from.Truncate(time.Millisecond); from.After(issued) {
		if from.Sub(issued) > MaxSkew {
			return "", time.Time{}, fmt.Errorf("auth: a token issued %s ahead would be refused", from.Sub(issued))
		}
		issued = from
	}
	now := issued.Truncate(time.Second)
	exp := now.Add(ttl)
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    k.Issuer,
			Subject:   strconv.FormatInt(subject, 10),
			Audience:  jwt.ClaimStrings{audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
		Scope: strings.Join(scopes, " "),
	}
	// On a whole second iat says it all, and the claim is left out.
	if !issued.Equal(now) {
		claims.IssuedAtMilli = issued.UnixMilli()
	}
	signed, err := jwt.NewWithClaims(signingMethod, claims).SignedString(k.Private)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign: %w", err)
	}
	return signed, exp, nil
}

// ErrInvalidToken is returned, wrapped, for every token that is refused.
var ErrInvalidToken = errors.New("invalid token")

// Verify checks a company token and returns its claims. It accepts only
// ES256 signed with this key pair, with exp present and in the future, nbf
// and iat not in the future beyond MaxSkew, a lifetime (exp - iat, and
// exp - now) within MaxTTL, and the configured issuer and audience (so
// never a carrier token). It does not check scopes (the
// caller knows which it needs) or that the company exists (that needs the
// database).
func (k Keyring) Verify(token string) (Claims, error) {
	claims, err := k.verify(token, k.Audience)
	if err != nil {
		return Claims{}, err
	}
	if _, err := claims.CompanyID(); err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return claims, nil
}

// VerifyCarrier checks a carrier token as Verify checks a company token,
// against the carrier audience (so never a company token) and a lifetime
// within SessionTTL, and that it grants the deliveries scope.
func (k Keyring) VerifyCarrier(token string) (Claims, error) {
	claims, err := k.verify(token, k.CarrierAudience())
	if err != nil {
		return Claims{}, err
	}
	if _, err := claims.CarrierID(); err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if !slices.Contains(claims.Scopes(), ScopeDeliveries) {
		return Claims{}, fmt.Errorf("%w: a carrier token without the %s scope", ErrInvalidToken, ScopeDeliveries)
	}
	return claims, nil
}

func (k Keyring) verify(token, audience string) (Claims, error) {
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
		jwt.WithAudience(audience),
		jwt.WithTimeFunc(k.now),
		jwt.WithStrictDecoding(),
	)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	now := k.now()
	// The leeway is for clocks that run early (nbf, iat); a token is
	// refused the second it expires.
	if !claims.ExpiresAt.After(now) {
		return Claims{}, fmt.Errorf("%w: token is expired", ErrInvalidToken)
	}
	// The lifetime is held here and not only at minting: a correctly
	// signed token that lives longer than any we mint (a leaked key, a
	// tool that forgot the bound) dies as ours do. A token without iat
	// could never be revoked (market.Access compares it), so it is refused.
	if claims.RegisteredClaims.IssuedAt == nil {
		return Claims{}, fmt.Errorf("%w: token has no iat", ErrInvalidToken)
	}
	max := k.maxLifetime(audience)
	if life := claims.ExpiresAt.Sub(claims.IssueTime()); life > max {
		return Claims{}, fmt.Errorf("%w: token lives %s, more than %s", ErrInvalidToken, life, max)
	}
	if left := claims.ExpiresAt.Sub(now); left > max+MaxSkew {
		return Claims{}, fmt.Errorf("%w: token expires %s from now, more than %s", ErrInvalidToken, left.Round(time.Second), max)
	}
	return claims, nil
}
