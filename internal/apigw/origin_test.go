package apigw

import (
	"context"
	"crypto/sha256"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/deliverymarket/delivery/internal/market"
)

func TestOriginAndClient(t *testing.T) {
	secret := sha256.Sum256([]byte("s3cret"))
	var seen string
	endpoints := map[string]Endpoint{"GET /api/products": func(_ context.Context, in Input) (Reply, error) {
		seen = in.Client
		return Reply{Status: http.StatusOK, Body: map[string]string{}}, nil
	}}
	tests := []struct {
		name       string
		origin     []byte
		headers    map[string]string
		wantStatus int
		wantClient string
	}{
		{name: "local runner: the connection's address", headers: map[string]string{ViewerAddressHeader: "203.0.113.9:1"},
			wantStatus: 200, wantClient: "192.0.2.1"},
		{name: "through CloudFront: the viewer", origin: secret[:],
			headers:    map[string]string{OriginVerifyHeader: "s3cret", ViewerAddressHeader: "198.51.100.10:46532"},
			wantStatus: 200, wantClient: "198.51.100.10"},
		{name: "through CloudFront over IPv6", origin: secret[:],
			headers:    map[string]string{"x-origin-verify": "s3cret", "cloudfront-viewer-address": "2001:db8::1:46532"},
			wantStatus: 200, wantClient: "2001:db8::1"},
		{name: "through CloudFront without a viewer address", origin: secret[:],
			headers: map[string]string{OriginVerifyHeader: "s3cret"}, wantStatus: 200, wantClient: "192.0.2.1"},
		{name: "an unreadable viewer address", origin: secret[:],
			headers:    map[string]string{OriginVerifyHeader: "s3cret", ViewerAddressHeader: "nonsense"},
			wantStatus: 200, wantClient: "192.0.2.1"},
		{name: "direct, no secret", origin: secret[:], headers: map[string]string{ViewerAddressHeader: "198.51.100.10:1"}, wantStatus: 403},
		{name: "direct, wrong secret", origin: secret[:], headers: map[string]string{OriginVerifyHeader: "s3cre"}, wantStatus: 403},
		{name: "direct preflight", origin: secret[:], headers: map[string]string{"Origin": "https://x.example"}, wantStatus: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen = ""
			f := NewFunction("listproducts", Config{OriginVerifySHA256: tt.origin}, endpoints)
			method := http.MethodGet
			if tt.name == "direct preflight" {
				method = http.MethodOptions
			}
			resp, err := f.Handle(context.Background(), events.APIGatewayProxyRequest{
				HTTPMethod: method, Resource: "/api/products", Path: "/api/products", Headers: tt.headers,
				RequestContext: events.APIGatewayProxyRequestContext{Identity: events.APIGatewayRequestIdentity{SourceIP: "192.0.2.1"}},
			})
			if err != nil || resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, %v; want %d (%s)", resp.StatusCode, err, tt.wantStatus, resp.Body)
			}
			if tt.wantStatus == 403 {
				if seen != "" || !strings.Contains(resp.Body, `"code":"`+string(market.CodeForbidden)+`"`) {
					t.Errorf("refused request reached the endpoint (%q) or answered %s", seen, resp.Body)
				}
				return
			}
			if seen != tt.wantClient {
				t.Errorf("client %q, want %q", seen, tt.wantClient)
			}
		})
	}
}
