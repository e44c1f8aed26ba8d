package apigw

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/deliverymarket/delivery/api"
	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/market"
)

// ErrUnauthorized is the error text a TOKEN authorizer must return for API
// Gateway to answer 401; any other error makes it answer 500.
var ErrUnauthorized = errors.New("Unauthorized")

// AuthorizerCacheTTL is the authorizer result TTL the API is deployed with
// (terraform/modules/api). API Gateway caches a policy per token for this
// long and reuses it for every route that token calls, so the policy lists
// every company route (allowed or denied by the token's scopes) instead of
// the one method ARN of the first request; and since a cached policy can
// outlive the token by up to this long, the company endpoints check the
// expiry passed in the context as well.
const AuthorizerCacheTTL = 300 * time.Second

// Authorizer is the company-token Lambda authorizer (TOKEN type, identity
// source the Authorization header).
type Authorizer struct {
	// Keyring returns the signing key, issuer and audience; the key is
	// fetched on first use and cached.
	Keyring   func(context.Context) (auth.Keyring, error)
	Companies market.CompanyStore
	Routes    api.Table
	Log       *slog.Logger
}

// Handle validates the bearer token and returns the policy for its scopes.
func (a *Authorizer) Handle(ctx context.Context, req events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	start := time.Now()
	resp, reason, err := a.authorize(ctx, req)
	log := a.Log
	if log == nil {
		log = slog.Default()
	}
	attrs := []slog.Attr{
		slog.String("function", "authorizer"),
		slog.String("methodArn", req.MethodArn),
		slog.Bool("allowed", err == nil),
		slog.Int64("durationMs", time.Since(start).Milliseconds()),
	}
	if resp.PrincipalID != "" {
		attrs = append(attrs, slog.String("principal", resp.PrincipalID))
	}
	switch {
	case errors.Is(err, ErrUnauthorized):
		log.LogAttrs(ctx, slog.LevelInfo, "token refused", append(attrs, slog.String("reason", reason))...)
	case err != nil:
		log.LogAttrs(ctx, slog.LevelError, "authorizer failed", append(attrs, slog.String("error", err.Error()))...)
	default:
		log.LogAttrs(ctx, slog.LevelInfo, "token accepted", attrs...)
	}
	return resp, err
}

func (a *Authorizer) authorize(ctx context.Context, req events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, string, error) {
	none := events.APIGatewayCustomAuthorizerResponse{}
	token, ok := bearerToken(req.AuthorizationToken)
	if !ok {
		return none, "no bearer token", ErrUnauthorized
	}
	keyring, err := a.Keyring(ctx)
	if err != nil {
		return none, "", fmt.Errorf("authorizer: signing key: %w", err)
	}
	claims, err := keyring.Verify(token)
	if err != nil {
		return none, err.Error(), ErrUnauthorized
	}
	company, _ := claims.CompanyID() // Verify checked it
	exists, err := a.Companies.CompanyExists(ctx, company)
	if err != nil {
		return none, "", fmt.Errorf("authorizer: %w", err)
	}
	if !exists {
		return none, fmt.Sprintf("company %d does not exist", company), ErrUnauthorized
	}
	policy, err := CompanyPolicy(a.Routes, req.MethodArn, claims.Scopes())
	if err != nil {
		return none, "", fmt.Errorf("authorizer: %w", err)
	}
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID:    "company/" + strconv.FormatInt(company, 10),
		PolicyDocument: policy,
		Context: map[string]any{
			ContextCompanyID: strconv.FormatInt(company, 10),
			ContextScopes:    claims.Scope,
			ContextExpiresAt: strconv.FormatInt(claims.ExpiresAt.Unix(), 10),
		},
	}, "", nil
}

// bearerToken extracts the token from "Bearer <token>".
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}

// CompanyPolicy allows the company routes whose scope the token grants and
// explicitly denies the others (so API Gateway answers 403 there). methodARN
// is the ARN of the request being authorized; the policy is built for the
// API and stage it names, whatever its method and path.
func CompanyPolicy(routes api.Table, methodARN string, scopes []string) (events.APIGatewayCustomAuthorizerPolicy, error) {
	base, err := apiStageARN(methodARN)
	if err != nil {
		return events.APIGatewayCustomAuthorizerPolicy{}, err
	}
	granted := map[string]bool{}
	for _, s := range scopes {
		granted[s] = true
	}
	var allow, deny []string
	for _, r := range routes.Routes {
		if r.Auth != api.Company {
			continue
		}
		arn := RouteARN(base, r)
		if granted[r.Scope] {
			allow = append(allow, arn)
		} else {
			deny = append(deny, arn)
		}
	}
	policy := events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17"}
	if len(allow) > 0 {
		policy.Statement = append(policy.Statement, events.IAMPolicyStatement{Action: []string{"execute-api:Invoke"}, Effect: "Allow", Resource: allow})
	}
	if len(deny) > 0 {
		policy.Statement = append(policy.Statement, events.IAMPolicyStatement{Action: []string{"execute-api:Invoke"}, Effect: "Deny", Resource: deny})
	}
	return policy, nil
}

// apiStageARN cuts "arn:aws:execute-api:region:account:api/stage/GET/x"
// down to "arn:aws:execute-api:region:account:api/stage".
func apiStageARN(methodARN string) (string, error) {
	parts := strings.SplitN(methodARN, "/", 3)
	if len(parts) < 3 || !strings.HasPrefix(parts[0], "arn:") || parts[1] == "" {
		return "", fmt.Errorf("method ARN %q is not an execute-api ARN", methodARN)
	}
	return parts[0] + "/" + parts[1], nil
}

// RouteARN is the execute-api ARN of a route, path parameters as
// wildcards: ".../stage/PUT/api/products/*".
func RouteARN(apiStage string, r api.Route) string {
	segments := strings.Split(strings.TrimPrefix(r.Path, "/"), "/")
	for i, s := range segments {
		if strings.HasPrefix(s, "{") {
			segments[i] = "*"
		}
	}
	return apiStage + "/" + r.Method + "/" + strings.Join(segments, "/")
}
