package app

import (
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/deliverymarket/delivery/internal/lambdainit"
)

// DefaultCurrency is the marketplace currency unless CURRENCY says otherwise.
const DefaultCurrency = "USD"

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// APIEnv is the configuration every API function reads, on AWS and locally.
type APIEnv struct {
	Currency       string   // CURRENCY, default USD
	AllowedOrigins []string // CORS_ALLOWED_ORIGINS, comma-separated
	LogLevel       slog.Level
}

// ReadAPIEnv reads and validates the API configuration through getenv.
func ReadAPIEnv(getenv func(string) string) (APIEnv, error) {
	e := APIEnv{
		Currency:       orDefault(getenv("CURRENCY"), DefaultCurrency),
		AllowedOrigins: splitList(getenv("CORS_ALLOWED_ORIGINS")),
	}
	if !currencyCode.MatchString(e.Currency) {
		return APIEnv{}, fmt.Errorf("config: CURRENCY %q is not an ISO 4217 code", e.Currency)
	}
	level, err := lambdainit.ReadLogLevel(getenv)
	if err != nil {
		return APIEnv{}, err
	}
	e.LogLevel = level
	return e, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// InitErrorType is the error type a function reports when it cannot
// start (lambdainit.ErrorType), as the Lambda smoke tests check it.
const InitErrorType = lambdainit.ErrorType
