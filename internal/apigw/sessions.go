package apigw

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// Sessions are the routes that end sessions and move a company's sign-in
// phone: the signin function serves them, as it mints the tokens.
type Sessions struct {
	Sessions market.Sessions
	Phones   market.PhoneChange
	Signer   Signer
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

func (s Sessions) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Endpoints are the routes of Sessions.
func (s Sessions) Endpoints() map[string]Endpoint {
	return map[string]Endpoint{
		"DELETE /api/company/session":  s.SignOut(market.PrincipalCompany),
		"DELETE /api/carrier/session":  s.SignOut(market.PrincipalCarrier),
		"POST /api/company/phone/code": s.PhoneCodes,
		"POST /api/company/phone":      s.ChangePhone,
	}
}

// SignOut serves DELETE /api/{company,carrier}/session: 204, and every
// token of the principal issued until now is refused from then on (by the
// authorizer on its next uncached call, by sign-out and the phone change
// at once). A token already signed out gets 204 again.
func (s Sessions) SignOut(kind market.PrincipalKind) Endpoint {
	return func(ctx context.Context, in Input) (Reply, error) {
		if len(in.Body) > 0 {
			return Reply{}, market.Errorf(market.CodeInvalid, "sign-out takes no body")
		}
		id, err := s.principal(kind, in)
		if err != nil {
			return Reply{}, err
		}
		iat, err := issuedAt(in)
		if err != nil {
			return Reply{}, err
		}
		if err := s.Sessions.SignOut(ctx, kind, id, iat); err != nil {
			return Reply{}, err
		}
		return Reply{Status: http.StatusNoContent}, nil
	}
}

func (s Sessions) principal(kind market.PrincipalKind, in Input) (int64, error) {
	if kind == market.PrincipalCarrier {
		return carrierID(in, s.now())
	}
	return companyID(in, s.now())
}

// PhoneCodes serves POST /api/company/phone/code {"phone"}: 202 with the
// same body whatever the new number is, a code sent to the current sign-in
// phone and one to the new number (within the per-phone bound).
func (s Sessions) PhoneCodes(ctx context.Context, in Input) (Reply, error) {
	company, err := companyID(in, s.now())
	if err != nil {
		return Reply{}, err
	}
	iat, err := issuedAt(in)
	if err != nil {
		return Reply{}, err
	}
	var req market.PhoneChangeRequest
	if err := DecodeStrict(in.Body, &req); err != nil {
		return Reply{}, err
	}
	req.Client = in.Client
	if err := s.Phones.RequestCodes(ctx, company, iat, req); err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusAccepted, Body: codeSent{Message: market.PhoneChangeCodeSent}}, nil
}

// phoneChanged is the 200 body of a phone change: the profile and the
// token that replaces every token the company had.
type phoneChanged struct {
	Token     string                `json:"token"`
	ExpiresAt time.Time             `json:"expiresAt"`
	Profile   market.CompanyProfile `json:"profile"`
}

// ChangePhone serves POST /api/company/phone
// {"phone","currentCode","newCode"}: 200 with the new profile and a fresh
// token once both codes are proven; the company's other tokens, the one
// that asked included, are refused from then on.
func (s Sessions) ChangePhone(ctx context.Context, in Input) (Reply, error) {
	company, err := companyID(in, s.now())
	if err != nil {
		return Reply{}, err
	}
	iat, err := issuedAt(in)
	if err != nil {
		return Reply{}, err
	}
	var req market.PhoneChangeConfirm
	if err := DecodeStrict(in.Body, &req); err != nil {
		return Reply{}, err
	}
	req.Client = in.Client
	if s.Signer == nil {
		return Reply{}, errors.New("phone change: no signing key configured")
	}
	// The key first: codes are not used up by a change that could not
	// hand the company its new token.
	keyring, err := s.Signer(ctx)
	if err != nil {
		return Reply{}, err
	}
	profile, from, err := s.Phones.Confirm(ctx, company, iat, req)
	if err != nil {
		return Reply{}, err
	}
	session, err := keyring.CompanySessionFrom(company, from)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: phoneChanged{Token: session.Token, ExpiresAt: session.ExpiresAt, Profile: profile}}, nil
}
