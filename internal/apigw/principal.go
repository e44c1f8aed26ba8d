package apigw

import (
	"strconv"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// ContextCarrierID is the authorizer context key of a carrier token's
// carrier; company tokens carry ContextCompanyID instead.
const ContextCarrierID = "carrierId"

// ContextIssuedAt is the authorizer context key of the token's issue
// time, in Unix milliseconds: what the routes that revoke tokens compare
// with the principal's cutoff (market.Access).
const ContextIssuedAt = "issuedAt"

// issuedAt returns when the token the authorizer vouched for was issued. A
// context without it (an authorizer answer cached before it carried one)
// is refused: the token could not be checked against a revocation.
func issuedAt(in Input) (time.Time, error) {
	s, err := strconv.ParseInt(contextString(in.Event.RequestContext.Authorizer[ContextIssuedAt]), 10, 64)
	if err != nil || s < 1 {
		return time.Time{}, market.Errorf(market.CodeUnauthorized, "sign in again: this token's session cannot be checked")
	}
	return time.UnixMilli(s), nil
}

// carrierID returns the carrier the authorizer vouched for, as companyID
// does for companies: never from the request itself, and refused once the
// token has expired even if API Gateway cached its policy longer.
func carrierID(in Input, now time.Time) (int64, error) {
	return principalID(in, now, ContextCarrierID, "carrier")
}
