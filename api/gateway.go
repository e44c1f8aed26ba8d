package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

//go:embed gateway_responses.json
var gatewayResponsesJSON []byte

// GatewayResponse is what API Gateway itself answers, before any function
// runs, in the API's error shape. Terraform deploys these as gateway
// responses; the local runner answers with the same ones.
type GatewayResponse struct {
	Status  int    `json:"status,omitempty"` // 0 keeps API Gateway's own status (DEFAULT_4XX/5XX)
	Code    string `json:"code"`
	Message string `json:"message"`
	// Headers are static response headers (Terraform sets them as
	// gatewayresponse.header.* parameters).
	Headers map[string]string `json:"headers,omitempty"`
}

// Body renders the response's JSON body.
func (g GatewayResponse) Body() string {
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": g.Code, "message": g.Message}})
	return string(b)
}

// The gateway response types the local runner produces.
const (
	Unauthorized      = "UNAUTHORIZED"
	AccessDenied      = "ACCESS_DENIED"
	MissingRoute      = "MISSING_AUTHENTICATION_TOKEN"
	AuthorizerFailure = "AUTHORIZER_FAILURE"
)

// GatewayResponses returns the gateway responses by API Gateway type.
func GatewayResponses() (map[string]GatewayResponse, error) {
	var responses map[string]GatewayResponse
	if err := json.Unmarshal(gatewayResponsesJSON, &responses); err != nil {
		return nil, fmt.Errorf("api: gateway_responses.json: %w", err)
	}
	return responses, nil
}
