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
// every authorized route (allowed or denied by the token's kind and scopes)
// instead of the one method ARN of the first request; and since a cached
// policy can outlive the token by up to this long, the endpoints check the
// expiry passed in the context as well. It is also how long a token that
// was signed out, or whose principal was disabled, may still be served on
// the routes that trust the cached answer: sign-out and the phone change
// check the principal themselves (market.Sessions.Check).
const AuthorizerCacheTTL = 300 * time.Second

// CompanyLookup is what the authorizer reads of the company records.
type CompanyLookup interface {
	// CompanyAccess returns the company's market.Access, or CodeNotFound.
	CompanyAccess(ctx context.Context, id int64) (market.Access, error)
}

// CarrierLookup is what the authorizer reads of the carrier records.
type CarrierLookup interface {
	// CarrierAccess returns the carrier's market.Access, or CodeNotFound.
	CarrierAccess(ctx context.Context, id int64) (market.Access, error)
}

// Authorizer is the Lambda authorizer (TOKEN type, identity source the
// Authorization header) of the company and carrier routes: a company token
// opens the company routes its scopes grant, a carrier token the carrier
// routes, and neither ever opens the other's.
type Authorizer struct {
	// Keyring returns the verifying key, issuer and audience; the key is
	// fetched on first use and cached.
	Keyring   func(context.Context) (auth.Keyring, error)
	Companies CompanyLookup
	Carriers  CarrierLookup
	Routes    api.Table
	Log       *slog.Logger
}

// Handle validates the bearer token and returns the policy for its scopes.
func (a *Authorizer) Handle(ctx context.Context, req events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	start := time.Now()
	// The authorizer's database lookups are bounded as a request's are.
	authCtx, cancel := context.WithTimeout(ctx, RequestTimeout)
	resp, reason, err := a.authorize(authCtx, req)
	cancel()
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
	// The audiences differ, so at most one of the two accepts the token.
	kind := api.Company
	claims, err := keyring.Verify(token)
	if err != nil {
		carrierClaims, carrierErr := keyring.VerifyCarrier(token)
		if carrierErr != nil {
			return none, fmt.Sprintf("as a company token: %v; as a carrier token: %v", err, carrierErr), ErrUnauthorized
		}
		kind, claims = api.Carrier, carrierClaims
	}
	id, reason, err := a.principal(ctx, kind, claims)
	if err != nil {
		return none, "", fmt.Errorf("authorizer: %w", err)
	}
	if reason != "" {
		return none, reason, ErrUnauthorized
	}
	principal, contextKey := "company/", ContextCompanyID
	if kind == api.Carrier {
		principal, contextKey = "carrier/", ContextCarrierID
	}
	policy, err := Policy(a.Routes, req.MethodArn, kind, claims.Scopes())
	if err != nil {
		return none, "", fmt.Errorf("authorizer: %w", err)
	}
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID:    principal + strconv.FormatInt(id, 10),
		PolicyDocument: policy,
		Context: map[string]any{
			contextKey:       strconv.FormatInt(id, 10),
			ContextScopes:    claims.Scope,
			ContextExpiresAt: strconv.FormatInt(claims.ExpiresAt.Unix(), 10),
			ContextIssuedAt:  strconv.FormatInt(claims.IssueTime().UnixMilli(), 10),
		},
	}, "", nil
}

// principal returns the id of the company or carrier the verified token
// speaks for, or the reason it may not be let in (market.Access.Refusal):
// the principal must exist, be enabled (a company not disabled, a carrier
// active) and not have revoked the token (signed out, changed its phone,
// been disabled or suspended since it was issued). A principal refused
// here loses access with its token's next uncached request.
func (a *Authorizer) principal(ctx context.Context, kind api.Auth, claims auth.Claims) (int64, string, error) {
	var (
		id     int64
		access market.Access
		err    error
	)
	principal := market.PrincipalCompany
	if kind == api.Company {
		id, _ = claims.CompanyID() // Verify checked it
		access, err = a.Companies.CompanyAccess(ctx, id)
	} else {
		principal = market.PrincipalCarrier
		id, _ = claims.CarrierID() // VerifyCarrier checked it
		if a.Carriers == nil {
			return 0, "", errors.New("no carrier records configured")
		}
		access, err = a.Carriers.CarrierAccess(ctx, id)
	}
	switch {
	case market.ErrorCode(err) == market.CodeNotFound:
		return 0, fmt.Sprintf("%s %d does not exist", principal, id), nil
	case err != nil:
		return 0, "", err
	}
	if reason := access.Refusal(principal, id, claims.IssueTime()); reason != "" {
		return 0, reason, nil
	}
	return id, "", nil
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

// Policy allows the routes of the token's kind (api.Company or
// api.Carrier) whose scope the token grants, and explicitly denies every
// other authorized route (so API Gateway answers 403 there, whichever route
// the cached policy is reused for). methodARN is the ARN of the request
// being authorized; the policy is built for the API and stage it names,
// whatever its method and path.
func Policy(routes api.Table, methodARN string, kind api.Auth, scopes []string) (events.APIGatewayCustomAuthorizerPolicy, error) {
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
		if !r.Auth.Authorized() {
			continue
		}
		arn := RouteARN(base, r)
		if r.Auth == kind && granted[r.Scope] {
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
