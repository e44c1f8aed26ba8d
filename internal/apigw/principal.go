package apigw

import (
	"strconv"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// ContextCarrierID is the authorizer context key of a carrier token's
// carrier; company tokens carry ContextCompanyID instead.
const ContextCarrierID = "carrierId"

// carrierID returns the carrier the authorizer vouched for, as companyID
// does for companies: never from the request itself, and refused once the
// token has expired even if API Gateway cached its policy longer.
func carrierID(in Input, now time.Time) (int64, error) {
	authz := in.Event.RequestContext.Authorizer
	id, err := strconv.ParseInt(contextString(authz[ContextCarrierID]), 10, 64)
	if err != nil || id < 1 {
		return 0, market.Errorf(market.CodeUnauthorized, "a carrier token is required")
	}
	if exp, err := strconv.ParseInt(contextString(authz[ContextExpiresAt]), 10, 64); err == nil && now.Unix() >= exp {
		return 0, market.Errorf(market.CodeUnauthorized, "the carrier token has expired")
	}
	return id, nil
}
