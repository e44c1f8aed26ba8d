package apigw

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/market"
)

// Signer returns the keyring that mints session tokens (the private key);
// fetched on first use and cached.
type Signer func(context.Context) (auth.Keyring, error)

// codeSent is the one body of a code request, known phone or not.
type codeSent struct {
	Message string `json:"message"`
}

// SessionCode serves POST /api/{carrier,company}/session/code
// {"phone"}: 202 with the same body whether or not the phone is known or a
// code was sent, 429 once the client (or everyone together) asked too
// often, 400 for a malformed phone.
func SessionCode(flow market.SignIn) Endpoint {
	return func(ctx context.Context, in Input) (Reply, error) {
		var req market.CodeRequest
		if err := DecodeStrict(in.Body, &req); err != nil {
			return Reply{}, err
		}
		req.Client = in.Client
		if err := flow.RequestCode(ctx, req); err != nil {
			return Reply{}, err
		}
		return Reply{Status: http.StatusAccepted, Body: codeSent{Message: market.SignInCodeSent}}, nil
	}
}

// carrierSession and companySession are the 200 bodies of a sign-in.
type carrierSession struct {
	Token     string               `json:"token"`
	ExpiresAt time.Time            `json:"expiresAt"`
	Carrier   market.SignInSubject `json:"carrier"`
}

type companySession struct {
	Token     string               `json:"token"`
	ExpiresAt time.Time            `json:"expiresAt"`
	Company   market.SignInSubject `json:"company"`
}

// CarrierSession serves POST /api/carrier/session {"phone","code"}: 200
// with a carrier token, 401 for any code that does not sign in, 429 once
// the client tried too many codes.
func CarrierSession(flow market.SignIn, signer Signer) Endpoint {
	return session(flow, signer, func(k auth.Keyring, s market.SignInSubject) (any, error) {
		t, err := k.CarrierSession(s.ID)
		return carrierSession{Token: t.Token, ExpiresAt: t.ExpiresAt, Carrier: s}, err
	})
}

// CompanySession serves POST /api/company/session {"phone","code"}: 200
// with a company token of every company scope, 401 for any code that does
// not sign in.
func CompanySession(flow market.SignIn, signer Signer) Endpoint {
	return session(flow, signer, func(k auth.Keyring, s market.SignInSubject) (any, error) {
		t, err := k.CompanySession(s.ID)
		return companySession{Token: t.Token, ExpiresAt: t.ExpiresAt, Company: s}, err
	})
}

func session(flow market.SignIn, signer Signer, mint func(auth.Keyring, market.SignInSubject) (any, error)) Endpoint {
	return func(ctx context.Context, in Input) (Reply, error) {
		var req market.SessionRequest
		if err := DecodeStrict(in.Body, &req); err != nil {
			return Reply{}, err
		}
		req.Client = in.Client
		if signer == nil {
			return Reply{}, errors.New("sign-in: no signing key configured")
		}
		// The key first: a code is not used up by a sign-in that could not
		// have minted its token.
		keyring, err := signer(ctx)
		if err != nil {
			return Reply{}, err
		}
		subject, err := flow.Redeem(ctx, req)
		if err != nil {
			return Reply{}, err
		}
		body, err := mint(keyring, subject)
		if err != nil {
			return Reply{}, err
		}
		return Reply{Status: http.StatusOK, Body: body}, nil
	}
}
