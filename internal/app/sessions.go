package app

import (
	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// signInStore is the sign-in codes' store, finding only the companies and
// carriers that may act: a disabled company gets no code and cannot sign
// in, answered as a phone nobody has.
func signInStore(d Deps) market.SignInStore {
	return market.EnabledSignIn(mysql.NewSignInStore(d.DB), mysql.NewAccessStore(d.DB))
}

// sessions are the signin function's routes that end sessions and move a
// company's sign-in phone; they revoke tokens, and the phone change mints
// the one that replaces them.
func sessions(d Deps, codes market.SignInStore, limiter *market.RateLimiter) apigw.Sessions {
	s := market.Sessions{Store: mysql.NewAccessStore(d.DB)}
	return apigw.Sessions{
		Sessions: s,
		Phones: market.PhoneChange{
			Codes: codes, Phones: mysql.NewProfileStore(d.DB), Sessions: s, Texts: d.Texts, Log: d.Logger,
			Limits: d.Limits, Limiter: limiter,
		},
		Signer: d.Signer,
	}
}
