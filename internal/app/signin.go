package app

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/market"
)

// SignIn is the handler of the signin Lambda: carriers and companies sign
// in with a code sent by SMS and get a 12 h token.
func SignIn(d Deps) *apigw.Function {
	store, limiter := signInStore(d), d.limiter()
	carriers := market.SignIn{Kind: market.SignInCarrier, Store: store, Texts: d.Texts, Log: d.Logger, MinAnswer: market.SignInMinAnswer, Limits: d.Limits, Limiter: limiter}
	companies := market.SignIn{Kind: market.SignInCompany, Store: store, Texts: d.Texts, Log: d.Logger, MinAnswer: market.SignInMinAnswer, Limits: d.Limits, Limiter: limiter}
	endpoints := map[string]apigw.Endpoint{
		"POST /api/carrier/session/code": apigw.SessionCode(carriers),
		"POST /api/carrier/session":      apigw.CarrierSession(carriers, d.Signer),
		"POST /api/company/session/code": apigw.SessionCode(companies),
		"POST /api/company/session":      apigw.CompanySession(companies, d.Signer),
	}
	maps.Copy(endpoints, sessions(d, store, limiter).Endpoints())
	return apigw.NewFunction("signin", d.api(), endpoints)
}

// SigningEnv is what the signin Lambda reads to mint tokens.
type SigningEnv struct {
	// PrivateKeySecretARN (JWT_PRIVATE_KEY_SECRET_ARN) names the secret
	// whose string is the ES256 private key in PEM.
	PrivateKeySecretARN string
	Issuer              string // JWT_ISSUER
	Audience            string // JWT_AUDIENCE, the company tokens'; carriers' is derived
}

// ReadSigningEnv reads and checks the signing configuration through getenv.
func ReadSigningEnv(getenv func(string) string) (SigningEnv, error) {
	e := SigningEnv{
		PrivateKeySecretARN: strings.TrimSpace(getenv("JWT_PRIVATE_KEY_SECRET_ARN")),
		Issuer:              getenv("JWT_ISSUER"),
		Audience:            getenv("JWT_AUDIENCE"),
	}
	var missing []string
	for name, v := range map[string]string{"JWT_PRIVATE_KEY_SECRET_ARN": e.PrivateKeySecretARN, "JWT_ISSUER": e.Issuer, "JWT_AUDIENCE": e.Audience} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return SigningEnv{}, fmt.Errorf("config: missing %s", strings.Join(missing, ", "))
	}
	return e, nil
}

// CachedSigner returns load's keyring, loading it on first use and keeping
// it once loaded; a failed load is tried again on the next call.
func CachedSigner(load apigw.Signer) apigw.Signer {
	var mu sync.Mutex
	var loaded *auth.Keyring
	return func(ctx context.Context) (auth.Keyring, error) {
		mu.Lock()
		defer mu.Unlock()
		if loaded != nil {
			return *loaded, nil
		}
		k, err := load(ctx)
		if err != nil {
			return auth.Keyring{}, err
		}
		loaded = &k
		return k, nil
	}
}
