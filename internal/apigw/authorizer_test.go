package apigw_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/deliverymarket/delivery/api"
	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/market"
)

// principals are the companies or carriers the authorizer knows, by id.
type principals map[int64]market.Access

func (p principals) get(id int64) (market.Access, error) {
	a, ok := p[id]
	if !ok {
		return market.Access{}, market.Errorf(market.CodeNotFound, "no such principal")
	}
	return a, nil
}

func (p principals) CompanyAccess(_ context.Context, id int64) (market.Access, error) {
	return p.get(id)
}
func (p principals) CarrierAccess(_ context.Context, id int64) (market.Access, error) {
	return p.get(id)
}

// enabled is a principal that may act, whose tokens all count.
var enabled = market.Access{Enabled: true}

type failingPrincipals struct{}

func (failingPrincipals) CompanyAccess(context.Context, int64) (market.Access, error) {
	return market.Access{}, errors.New("dial tcp 10.0.0.5:3306: i/o timeout")
}

func (failingPrincipals) CarrierAccess(context.Context, int64) (market.Access, error) {
	return market.Access{}, errors.New("dial tcp 10.0.0.5:3306: i/o timeout")
}

var authzKeyring = func() auth.Keyring {
	key, err := auth.GenerateKey()
	if err != nil {
		panic(err)
	}
	return auth.Keyring{Private: key, Public: &key.PublicKey, Issuer: "iss-test", Audience: "aud-test"}
}()

func newAuthorizer(t *testing.T, companies apigw.CompanyLookup, carriers apigw.CarrierLookup) *apigw.Authorizer {
	t.Helper()
	routes, err := api.Routes()
	if err != nil {
		t.Fatal(err)
	}
	return &apigw.Authorizer{
		// The authorizer gets the public key only, as deployed.
		Keyring:   func(context.Context) (auth.Keyring, error) { return verifyOnly(authzKeyring), nil },
		Companies: companies,
		Carriers:  carriers,
		Routes:    routes,
		Log:       slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
}

func verifyOnly(k auth.Keyring) auth.Keyring {
	k.Private = nil
	return k
}

func authorizerEvent(t *testing.T, authorization string) events.APIGatewayCustomAuthorizerRequest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "authorizer-token.json"))
	if err != nil {
		t.Fatal(err)
	}
	var event events.APIGatewayCustomAuthorizerRequest
	if err := json.Unmarshal(b, &event); err != nil {
		t.Fatal(err)
	}
	event.AuthorizationToken = authorization
	return event
}

func mint(t *testing.T, company int64, scopes ...string) string {
	t.Helper()
	token, err := authzKeyring.Mint(company, scopes, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func mintCarrier(t *testing.T, carrier int64) string {
	t.Helper()
	token, err := authzKeyring.MintCarrier(carrier, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func TestAuthorizerRefuses(t *testing.T) {
	// Tokens of the future are refused once their principal revokes
	// everything issued until a second from now.
	revokedFrom := time.Now().Add(time.Second).UnixMilli()
	a := newAuthorizer(t,
		principals{1: enabled, 4: {Enabled: false}, 5: {Enabled: true, TokensValidFrom: revokedFrom}},
		principals{1: enabled, 3: {Enabled: false}, 6: {Enabled: true, TokensValidFrom: revokedFrom}})
	otherAudience := authzKeyring
	otherAudience.Audience = "aud-test:carriers"
	asCompanyOfCarrierAudience, err := otherAudience.Mint(1, auth.DefaultScopes, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, header string
	}{
		{"no header", ""},
		{"the word allow", "allow"},
		{"bearer allow", "Bearer allow"},
		{"no scheme", mint(t, 1, auth.ScopeProductsWrite)},
		{"basic scheme", "Basic " + mint(t, 1, auth.ScopeProductsWrite)},
		{"two tokens", "Bearer " + mint(t, 1, auth.ScopeProductsWrite) + " x"},
		{"unknown company", "Bearer " + mint(t, 2, auth.ScopeProductsWrite)},
		{"unknown carrier", "Bearer " + mintCarrier(t, 2)},
		{"inactive (suspended) carrier", "Bearer " + mintCarrier(t, 3)},
		{"disabled company", "Bearer " + mint(t, 4, auth.DefaultScopes...)},
		{"company token of an older generation (signed out)", "Bearer " + mint(t, 5, auth.DefaultScopes...)},
		{"carrier token of an older generation (signed out)", "Bearer " + mintCarrier(t, 6)},
		// Signed by us for the carrier audience, but as a company token
		// (scopes of a company, no deliveries): neither kind.
		{"company scopes in the carrier audience", "Bearer " + asCompanyOfCarrierAudience},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := a.Handle(context.Background(), authorizerEvent(t, tt.header))
			if !errors.Is(err, apigw.ErrUnauthorized) || err.Error() != "Unauthorized" {
				t.Fatalf("Handle(%s) = %+v, %v; want the error \"Unauthorized\" (API Gateway's 401)", tt.name, resp, err)
			}
		})
	}
}

func TestAuthorizerDatabaseDownIsNotA401(t *testing.T) {
	a := newAuthorizer(t, failingPrincipals{}, failingPrincipals{})
	for _, token := range []string{mint(t, 1, auth.ScopeProductsWrite), mintCarrier(t, 1)} {
		_, err := a.Handle(context.Background(), authorizerEvent(t, "Bearer "+token))
		if err == nil || errors.Is(err, apigw.ErrUnauthorized) {
			t.Fatalf("Handle with the database down = %v; want a failure, not a refused token", err)
		}
	}
}

// The ARNs of the authorized routes, on the test event's API and stage.
const stage = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod"

var (
	productsRead  = []string{stage + "/GET/api/company/products", stage + "/GET/api/company/products/*"}
	productsWrite = []string{
		stage + "/POST/api/company/products", stage + "/PUT/api/products/*", stage + "/DELETE/api/products/*",
		stage + "/POST/api/products/*/image-uploads", stage + "/DELETE/api/products/*/image",
	}
	ordersRead    = []string{stage + "/GET/api/company/orders"}
	ordersWrite   = []string{stage + "/POST/api/company/orders/*/ready", stage + "/POST/api/company/orders/*/cancel"}
	profileRead   = []string{stage + "/GET/api/company/profile", stage + "/DELETE/api/company/session"}
	profileWrite  = []string{stage + "/PUT/api/company/profile", stage + "/POST/api/company/phone/code", stage + "/POST/api/company/phone"}
	carrierRoutes = []string{
		stage + "/GET/api/carrier/orders", stage + "/GET/api/carrier/orders/*",
		stage + "/POST/api/carrier/orders/*/claim", stage + "/POST/api/carrier/orders/*/pickup",
		stage + "/POST/api/carrier/orders/*/deliver", stage + "/POST/api/carrier/orders/*/release",
		stage + "/DELETE/api/carrier/session",
		stage + "/GET/api/carrier/shift", stage + "/POST/api/carrier/shift", stage + "/POST/api/carrier/location",
		stage + "/GET/api/carrier/push-subscription", stage + "/POST/api/carrier/push-subscription", stage + "/DELETE/api/carrier/push-subscription",
	}
)

func concat(lists ...[]string) []string { return slices.Concat(lists...) }

// TestAuthorizerPolicyCoversEveryRoute checks the policy API Gateway caches
// per token: it must decide every authorized route by the token's kind and
// scopes, not just allow the first route the token was used on.
func TestAuthorizerPolicyCoversEveryRoute(t *testing.T) {
	tests := []struct {
		name      string
		token     func(t *testing.T) string
		allowed   []string
		denied    []string
		principal string
		context   map[string]any
	}{
		{
			name:      "company, every scope",
			token:     func(t *testing.T) string { return mint(t, 7, auth.DefaultScopes...) },
			allowed:   concat(productsRead, productsWrite, ordersRead, ordersWrite, profileRead, profileWrite),
			denied:    carrierRoutes,
			principal: "company/7",
			context:   map[string]any{apigw.ContextCompanyID: "7", apigw.ContextScopes: strings.Join(auth.DefaultScopes, " ")},
		},
		{
			name:      "company, products read only",
			token:     func(t *testing.T) string { return mint(t, 7, auth.ScopeProductsRead) },
			allowed:   productsRead,
			denied:    concat(productsWrite, ordersRead, ordersWrite, profileRead, profileWrite, carrierRoutes),
			principal: "company/7",
			context:   map[string]any{apigw.ContextCompanyID: "7", apigw.ContextScopes: "products:read"},
		},
		{
			name:      "company, orders only",
			token:     func(t *testing.T) string { return mint(t, 7, auth.ScopeOrdersRead, auth.ScopeOrdersWrite) },
			allowed:   concat(ordersRead, ordersWrite),
			denied:    concat(productsRead, productsWrite, profileRead, profileWrite, carrierRoutes),
			principal: "company/7",
			context:   map[string]any{apigw.ContextCompanyID: "7", apigw.ContextScopes: "orders:read orders:write"},
		},
		{
			name:      "company, no scope",
			token:     func(t *testing.T) string { return mint(t, 7) },
			denied:    concat(productsRead, productsWrite, ordersRead, ordersWrite, profileRead, profileWrite, carrierRoutes),
			principal: "company/7",
			context:   map[string]any{apigw.ContextCompanyID: "7", apigw.ContextScopes: ""},
		},
		{
			name:      "carrier",
			token:     func(t *testing.T) string { return mintCarrier(t, 5) },
			allowed:   carrierRoutes,
			denied:    concat(productsRead, productsWrite, ordersRead, ordersWrite, profileRead, profileWrite),
			principal: "carrier/5",
			context:   map[string]any{apigw.ContextCarrierID: "5", apigw.ContextScopes: "deliveries"},
		},
	}
	a := newAuthorizer(t, principals{7: {Enabled: true, TokensValidFrom: time.Now().Add(-time.Minute).UnixMilli()}}, principals{5: enabled})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := a.Handle(context.Background(), authorizerEvent(t, "Bearer "+tt.token(t)))
			if err != nil {
				t.Fatalf("Handle = %v", err)
			}
			var allowed, denied []string
			for _, st := range resp.PolicyDocument.Statement {
				if !slices.Equal(st.Action, []string{"execute-api:Invoke"}) {
					t.Errorf("statement action = %v", st.Action)
				}
				switch st.Effect {
				case "Allow":
					allowed = append(allowed, st.Resource...)
				case "Deny":
					denied = append(denied, st.Resource...)
				}
			}
			want := func(list []string) []string { return slices.Sorted(slices.Values(list)) }
			slices.Sort(allowed)
			slices.Sort(denied)
			if !slices.Equal(allowed, want(tt.allowed)) || !slices.Equal(denied, want(tt.denied)) {
				t.Errorf("policy allows %v denies %v; want allows %v denies %v", allowed, denied, want(tt.allowed), want(tt.denied))
			}
			for _, r := range append(allowed, denied...) {
				if strings.Contains(r, "/api/products") && strings.Contains(r, "/GET/") || strings.Contains(r, "/api/orders") ||
					strings.Contains(r, "/session") && !strings.Contains(r, "/DELETE/") {
					t.Errorf("policy names public route %s", r)
				}
			}
			if resp.PrincipalID != tt.principal {
				t.Errorf("principal = %q, want %s", resp.PrincipalID, tt.principal)
			}
			for _, key := range []string{apigw.ContextExpiresAt, apigw.ContextIssuedAt} {
				if resp.Context[key] == "" {
					t.Errorf("context %v has no %s", resp.Context, key)
				}
				delete(resp.Context, key)
			}
			if !maps.Equal(resp.Context, tt.context) {
				t.Errorf("context = %v, want %v (and the expiry and issue time)", resp.Context, tt.context)
			}
		})
	}
}

func TestPolicyRefusesForeignARN(t *testing.T) {
	routes, err := api.Routes()
	if err != nil {
		t.Fatal(err)
	}
	for _, arn := range []string{"", "not-an-arn", "arn:aws:execute-api:eu-west-1:1:api"} {
		if _, err := apigw.Policy(routes, arn, api.Company, auth.DefaultScopes); err == nil {
			t.Errorf("Policy(%q) = nil error, want one", arn)
		}
	}
}
