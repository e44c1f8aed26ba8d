package apigw_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
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
)

type knownCompanies map[int64]bool

func (k knownCompanies) CompanyExists(_ context.Context, id int64) (bool, error) { return k[id], nil }

type failingCompanies struct{}

func (failingCompanies) CompanyExists(context.Context, int64) (bool, error) {
	return false, errors.New("dial tcp 10.0.0.5:3306: i/o timeout")
}

var authzKeyring = func() auth.Keyring {
	key, err := auth.GenerateKey()
	if err != nil {
		panic(err)
	}
	return auth.Keyring{Private: key, Public: &key.PublicKey, Issuer: "iss-test", Audience: "aud-test"}
}()

func newAuthorizer(t *testing.T, companies interface {
	CompanyExists(context.Context, int64) (bool, error)
}) *apigw.Authorizer {
	t.Helper()
	routes, err := api.Routes()
	if err != nil {
		t.Fatal(err)
	}
	return &apigw.Authorizer{
		// The authorizer gets the public key only, as deployed.
		Keyring:   func(context.Context) (auth.Keyring, error) { return verifyOnly(authzKeyring), nil },
		Companies: companies,
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

func TestAuthorizerRefuses(t *testing.T) {
	a := newAuthorizer(t, knownCompanies{1: true})
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
	a := newAuthorizer(t, failingCompanies{})
	_, err := a.Handle(context.Background(), authorizerEvent(t, "Bearer "+mint(t, 1, auth.ScopeProductsWrite)))
	if err == nil || errors.Is(err, apigw.ErrUnauthorized) {
		t.Fatalf("Handle with the database down = %v; want a failure, not a refused token", err)
	}
}

// TestAuthorizerPolicyCoversEveryCompanyRoute checks the policy API Gateway
// caches per token: it must decide every company route by the token's
// scopes, not just allow the first route the token was used on.
func TestAuthorizerPolicyCoversEveryCompanyRoute(t *testing.T) {
	const stage = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod"
	tests := []struct {
		name      string
		scopes    []string
		allowed   []string
		denied    []string
		principal string
	}{
		{
			name:    "read and write",
			scopes:  auth.DefaultScopes,
			allowed: []string{stage + "/GET/api/company/products", stage + "/GET/api/company/products/*", stage + "/POST/api/products", stage + "/PUT/api/products/*", stage + "/DELETE/api/products/*"},
		},
		{
			name:    "read only",
			scopes:  []string{auth.ScopeProductsRead},
			allowed: []string{stage + "/GET/api/company/products", stage + "/GET/api/company/products/*"},
			denied:  []string{stage + "/POST/api/products", stage + "/PUT/api/products/*", stage + "/DELETE/api/products/*"},
		},
		{
			name:   "no scope",
			scopes: nil,
			denied: []string{stage + "/GET/api/company/products", stage + "/GET/api/company/products/*", stage + "/POST/api/products", stage + "/PUT/api/products/*", stage + "/DELETE/api/products/*"},
		},
	}
	a := newAuthorizer(t, knownCompanies{7: true})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := a.Handle(context.Background(), authorizerEvent(t, "Bearer "+mint(t, 7, tt.scopes...)))
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
			slices.Sort(allowed)
			slices.Sort(denied)
			slices.Sort(tt.allowed)
			slices.Sort(tt.denied)
			if !slices.Equal(allowed, tt.allowed) || !slices.Equal(denied, tt.denied) {
				t.Errorf("policy allows %v denies %v; want allows %v denies %v", allowed, denied, tt.allowed, tt.denied)
			}
			for _, r := range append(allowed, denied...) {
				if strings.Contains(r, "/GET/api/products") || strings.Contains(r, "/orders") {
					t.Errorf("policy names public route %s", r)
				}
			}
			if resp.PrincipalID != "company/7" {
				t.Errorf("principal = %q, want company/7", resp.PrincipalID)
			}
			if resp.Context[apigw.ContextCompanyID] != "7" || resp.Context[apigw.ContextScopes] != strings.Join(tt.scopes, " ") || resp.Context[apigw.ContextExpiresAt] == "" {
				t.Errorf("context = %v", resp.Context)
			}
		})
	}
}

func TestCompanyPolicyRefusesForeignARN(t *testing.T) {
	routes, err := api.Routes()
	if err != nil {
		t.Fatal(err)
	}
	for _, arn := range []string{"", "not-an-arn", "arn:aws:execute-api:eu-west-1:1:api"} {
		if _, err := apigw.CompanyPolicy(routes, arn, auth.DefaultScopes); err == nil {
			t.Errorf("CompanyPolicy(%q) = nil error, want one", arn)
		}
	}
}
