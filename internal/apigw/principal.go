package apigw

import "time"

// ContextCarrierID is the authorizer context key of a carrier token's
// carrier; company tokens carry ContextCompanyID instead.
const ContextCarrierID = "carrierId"

// carrierID returns the carrier the authorizer vouched for, as companyID
// does for companies: never from the request itself, and refused once the
// token has expired even if API Gateway cached its policy longer.
func carrierID(in Input, now time.Time) (int64, error) {
	return principalID(in, now, ContextCarrierID, "carrier")
}
