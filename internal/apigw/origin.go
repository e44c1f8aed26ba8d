package apigw

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/netip"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/deliverymarket/delivery/internal/market"
)

// OriginVerifyHeader carries the secret CloudFront adds to every request
// it sends to the API (terraform/modules/site): a request without it did
// not come through CloudFront, and its WAF and its viewer address.
const OriginVerifyHeader = "X-Origin-Verify"

// ViewerAddressHeader is where CloudFront passes on the viewer's address
// and port ("198.51.100.10:46532", "2001:db8::1:46532").
const ViewerAddressHeader = "CloudFront-Viewer-Address"

// errNotThroughSite answers a request that came to the API's own address.
var errNotThroughSite = market.Errorf(market.CodeForbidden, "the API answers only through the site's own address")

// clientAddress checks that the request came through CloudFront when
// origin (the SHA-256 of CloudFront's secret) is set, and returns the
// client's address: the viewer address CloudFront passed on, trusted only
// on such a request, and otherwise the connection's source as API Gateway
// (or the local runner) saw it.
func clientAddress(event *events.APIGatewayProxyRequest, origin []byte) (string, error) {
	if origin == nil {
		return event.RequestContext.Identity.SourceIP, nil
	}
	sum := sha256.Sum256([]byte(header(event.Headers, OriginVerifyHeader)))
	if subtle.ConstantTimeCompare(sum[:], origin) != 1 {
		return "", errNotThroughSite
	}
	if viewer, ok := viewerAddress(header(event.Headers, ViewerAddressHeader)); ok {
		return viewer, nil
	}
	return event.RequestContext.Identity.SourceIP, nil
}

// viewerAddress reads the address out of CloudFront-Viewer-Address: the
// part before the last colon, which is the port.
func viewerAddress(v string) (string, bool) {
	i := strings.LastIndexByte(v, ':')
	if i <= 0 {
		return "", false
	}
	addr, err := netip.ParseAddr(strings.Trim(v[:i], "[]"))
	if err != nil {
		return "", false
	}
	return addr.Unmap().String(), true
}
