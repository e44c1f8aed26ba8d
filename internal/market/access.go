package market

import (
	"context"
	"fmt"
	"time"
)

// PrincipalKind is who a token speaks for: a company or a carrier.
type PrincipalKind string

// The kinds of principal.
const (
	PrincipalCompany PrincipalKind = "company"
	PrincipalCarrier PrincipalKind = "carrier"
)

// Access is what decides whether a principal's token may still act: the
// operator's switch (a company not disabled, a carrier active) and the
// moment its tokens start to count. A token is revoked by moving that
// moment past its issue time rather than by listing it, so that one write
// revokes every token of the principal, those minted offline by the
// operator included, and nothing needs to be kept until tokens expire.
type Access struct {
	Enabled bool `db:"enabled"`
	// TokensValidFrom is in Unix milliseconds, the resolution of a
	// token's issue time (auth.Claims.IssueTime): a token issued earlier
	// is refused.
	TokensValidFrom int64 `db:"tokens_valid_from"`
}

// Refusal returns why a token of the principal issued at issuedAt may not
// act, or "" if it may: the one rule the authorizer and the routes that do
// not wait for the authorizer's cache (sign-out, phone change) apply.
func (a Access) Refusal(kind PrincipalKind, id int64, issuedAt time.Time) string {
	switch {
	case !a.Enabled && kind == PrincipalCarrier:
		return fmt.Sprintf("carrier %d is not active", id)
	case !a.Enabled:
		return fmt.Sprintf("company %d is disabled", id)
	case issuedAt.UnixMilli() < a.TokensValidFrom:
		return fmt.Sprintf("%s %d's token was revoked", kind, id)
	}
	return ""
}

// RevocationCutoff returns the moment from which a principal's tokens
// count once its tokens up to now are revoked: now, to the millisecond,
// and past the issue time of the token that asked, if any, so that the
// token used to sign out or to change the phone is refused even when the
// clock that minted it runs a little ahead. A token minted after the
// revocation in the same request (the phone change's) is issued at the
// cutoff (auth.Keyring.CompanySessionFrom).
func RevocationCutoff(now, usedIssuedAt time.Time) time.Time {
	cutoff := now.Truncate(time.Millisecond)
	if !usedIssuedAt.IsZero() && !usedIssuedAt.Before(cutoff) {
		cutoff = usedIssuedAt.Truncate(time.Millisecond).Add(time.Millisecond)
	}
	return cutoff
}

// OperatorCutoff is the cutoff of the operator's revocations (disabling,
// suspending, replacing a lost phone): every token issued until now.
func OperatorCutoff(now time.Time) time.Time {
	return now.Truncate(time.Millisecond).Add(time.Millisecond)
}

// AccessStore keeps the principals' Access.
type AccessStore interface {
	// Access returns the principal's access, or CodeNotFound.
	Access(ctx context.Context, kind PrincipalKind, id int64) (Access, error)
	// RevokeTokens refuses the principal's tokens issued before from
	// (moving TokensValidFrom forward, never back); CodeNotFound if there
	// is no such principal.
	RevokeTokens(ctx context.Context, kind PrincipalKind, id int64, from time.Time) error
	// SetEnabled enables or disables the principal (for a carrier: makes
	// it active or not) and, when disabling, revokes its tokens issued
	// before from; CodeNotFound if there is no such principal.
	SetEnabled(ctx context.Context, kind PrincipalKind, id int64, enabled bool, from time.Time) error
}

// Sessions revokes and checks principals' tokens.
type Sessions struct {
	Store AccessStore
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

func (s Sessions) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// SignOut revokes every token of the principal issued until now, the one
// issued at issuedAt that asked included: sign-out ends the principal's
// sessions on every device, which is what a person who lost a phone or
// signed in on a shared computer needs. Signing out a token already
// refused changes nothing more and is no error.
func (s Sessions) SignOut(ctx context.Context, kind PrincipalKind, id int64, issuedAt time.Time) error {
	return s.Store.RevokeTokens(ctx, kind, id, RevocationCutoff(s.now(), issuedAt))
}

// Check returns CodeUnauthorized if the principal's token issued at
// issuedAt may no longer act (Access.Refusal), for the routes that must
// not trust an authorizer answer API Gateway cached before a revocation.
func (s Sessions) Check(ctx context.Context, kind PrincipalKind, id int64, issuedAt time.Time) error {
	a, err := s.Store.Access(ctx, kind, id)
	if ErrorCode(err) == CodeNotFound {
		return Errorf(CodeUnauthorized, "this token no longer signs anyone in; sign in again")
	}
	if err != nil {
		return err
	}
	if a.Refusal(kind, id, issuedAt) != "" {
		return Errorf(CodeUnauthorized, "this token was signed out, replaced or disabled; sign in again")
	}
	return nil
}

// enabledSignIn is a SignInStore that finds only principals that may act:
// a disabled company is not found by its phone, so it gets no code and
// cannot sign in, answered as for a phone nobody has.
type enabledSignIn struct {
	SignInStore
	access AccessStore
}

// EnabledSignIn returns store, whose SignInSubject finds only the
// companies and carriers that access says are enabled.
func EnabledSignIn(store SignInStore, access AccessStore) SignInStore {
	return enabledSignIn{SignInStore: store, access: access}
}

func (s enabledSignIn) SignInSubject(ctx context.Context, kind SignInKind, phone string) (SignInSubject, error) {
	subject, err := s.SignInStore.SignInSubject(ctx, kind, phone)
	if err != nil {
		return subject, err
	}
	principal := PrincipalCompany
	if kind == SignInCarrier {
		principal = PrincipalCarrier
	}
	a, err := s.access.Access(ctx, principal, subject.ID)
	if err != nil {
		return SignInSubject{}, err
	}
	if !a.Enabled {
		return SignInSubject{}, Errorf(CodeNotFound, "no such %s", kind)
	}
	return subject, nil
}
