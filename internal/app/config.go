package app

import (
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
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
	if err := e.LogLevel.UnmarshalText([]byte(orDefault(getenv("LOG_LEVEL"), "INFO"))); err != nil {
		return APIEnv{}, fmt.Errorf("config: LOG_LEVEL: %w", err)
	}
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

// Logger returns the JSON logger every Lambda writes with.
func Logger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level}))
}
