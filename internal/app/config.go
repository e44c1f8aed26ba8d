package app

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	// The IANA zones are built in: a Lambda's OS image need not ship
	// them, and MARKET_TIMEZONE must mean the same everywhere.
	_ "time/tzdata"

	"github.com/shopspring/decimal"

	"github.com/deliverymarket/delivery/internal/lambdainit"
	"github.com/deliverymarket/delivery/internal/market"
)

// DefaultCurrency is the marketplace currency unless CURRENCY says otherwise.
const DefaultCurrency = "USD"

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// APIEnv is the configuration every API function reads, on AWS and locally.
type APIEnv struct {
	Currency       string   // CURRENCY, default USD
	AllowedOrigins []string // CORS_ALLOWED_ORIGINS, comma-separated
	LogLevel       slog.Level
	// OriginVerifySHA256 (ORIGIN_VERIFY_SHA256, hex) is the SHA-256 of
	// the secret CloudFront sends to the API; unset, requests are not
	// checked for it (apigw.Config).
	OriginVerifySHA256 []byte
	Limits             market.Limits // LIMIT_*: see limitSettings
	// Delivery is MARKET_TIMEZONE and DELIVERY_FEE_BASE,
	// DELIVERY_FEE_PER_KM, DELIVERY_MAX_KM (ReadDeliveryRules).
	Delivery market.DeliveryRules
	// Dispatch is DISPATCH_MODE, DISPATCH_WAVE_SIZE,
	// DISPATCH_WAVE_SECONDS, DISPATCH_MAX_WAVES and DISPATCH_RADIUS_KM
	// (ReadDispatchSettings).
	Dispatch market.DispatchSettings
}

// ReadDispatchSettings reads how orders are offered to the carriers
// through getenv over market.DefaultDispatchSettings: DISPATCH_MODE
// (waves or broadcast), DISPATCH_WAVE_SIZE (carriers per wave),
// DISPATCH_WAVE_SECONDS (the wait between waves, whole seconds),
// DISPATCH_MAX_WAVES and DISPATCH_RADIUS_KM (how far from the first
// pickup a carrier may be), each within market's bounds.
func ReadDispatchSettings(getenv func(string) string) (market.DispatchSettings, error) {
	s := market.DefaultDispatchSettings()
	if v := strings.TrimSpace(getenv("DISPATCH_MODE")); v != "" {
		s.Mode = market.DispatchMode(v)
	}
	for name, n := range map[string]*int{"DISPATCH_WAVE_SIZE": &s.WaveSize, "DISPATCH_MAX_WAVES": &s.MaxWaves} {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			parsed, err := strconv.Atoi(v)
			if err != nil {
				return market.DispatchSettings{}, fmt.Errorf("config: %s %q is not a whole number", name, v)
			}
			*n = parsed
		}
	}
	if v := strings.TrimSpace(getenv("DISPATCH_WAVE_SECONDS")); v != "" {
		seconds, err := strconv.Atoi(v)
		if err != nil {
			return market.DispatchSettings{}, fmt.Errorf("config: DISPATCH_WAVE_SECONDS %q is not a whole number of seconds", v)
		}
		s.WaveInterval = time.Duration(seconds) * time.Second
	}
	if v := strings.TrimSpace(getenv("DISPATCH_RADIUS_KM")); v != "" {
		km, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return market.DispatchSettings{}, fmt.Errorf("config: DISPATCH_RADIUS_KM %q is not a distance in km", v)
		}
		s.RadiusKm = km
	}
	if err := s.Validate(); err != nil {
		return market.DispatchSettings{}, fmt.Errorf("config: %w", err)
	}
	return s, nil
}

// ReadDeliveryRules reads MARKET_TIMEZONE (an IANA zone), DELIVERY_FEE_BASE
// and DELIVERY_FEE_PER_KM (amounts of at most two decimals, not negative)
// and DELIVERY_MAX_KM (kilometres, 0 for no bound) through getenv over
// market.DefaultDeliveryRules.
func ReadDeliveryRules(getenv func(string) string) (market.DeliveryRules, error) {
	r := market.DefaultDeliveryRules()
	if v := strings.TrimSpace(getenv("MARKET_TIMEZONE")); v != "" {
		zone, err := time.LoadLocation(v)
		if err != nil || v == "Local" {
			return market.DeliveryRules{}, fmt.Errorf("config: MARKET_TIMEZONE %q is not an IANA timezone such as Europe/Lisbon", v)
		}
		r.Zone = zone
	}
	for name, fee := range map[string]*market.Money{"DELIVERY_FEE_BASE": &r.FeeBase, "DELIVERY_FEE_PER_KM": &r.FeePerKm} {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			continue
		}
		d, err := decimal.NewFromString(v)
		if err != nil || d.IsNegative() || d.Exponent() < -2 || strings.ContainsAny(v, "eE") || d.GreaterThan(decimal.NewFromInt(1000)) {
			return market.DeliveryRules{}, fmt.Errorf("config: %s %q is not an amount from 0 to 1000 with at most two decimals", name, v)
		}
		*fee = market.NewMoney(d)
	}
	if v := strings.TrimSpace(getenv("DELIVERY_MAX_KM")); v != "" {
		km, err := strconv.ParseFloat(v, 64)
		if err != nil || !(km >= 0 && km <= 1000) {
			return market.DeliveryRules{}, fmt.Errorf("config: DELIVERY_MAX_KM %q is not a distance in km from 0 (no bound) to 1000", v)
		}
		r.MaxKm = km
	}
	return r, nil
}

// DefaultLimits are the limits unless LIMIT_* says otherwise, on AWS and
// in the local runner alike: far above what a real shopper, company or
// carrier does, far below what a script does.
var DefaultLimits = market.Limits{
	OrdersPerClient:       market.Limit{Max: 30, Window: 10 * time.Minute},
	OrdersTotal:           market.Limit{Max: 1000, Window: 10 * time.Minute},
	OpenOrdersPerPhone:    5,
	OffersPerOrder:        3,
	CarrierOrders:         3,
	ReleasesPerCarrier:    market.Limit{Max: 5, Window: time.Hour},
	ShiftsPerCarrier:      market.Limit{Max: 30, Window: time.Hour},
	PushChangesPerCarrier: market.Limit{Max: 30, Window: time.Hour},
	SignInCodesPerClient:  market.Limit{Max: 10, Window: time.Hour},
	SignInCodesTotal:      market.Limit{Max: 300, Window: time.Hour},
	SignInChecksPerClient: market.Limit{Max: 30, Window: time.Hour},
}

// limitSettings names the environment variable of each limit.
func limitSettings(l *market.Limits) (rates map[string]*market.Limit, counts map[string]*int) {
	return map[string]*market.Limit{
			"LIMIT_ORDERS_PER_CLIENT":        &l.OrdersPerClient,
			"LIMIT_ORDERS_TOTAL":             &l.OrdersTotal,
			"LIMIT_CARRIER_RELEASES":         &l.ReleasesPerCarrier,
			"LIMIT_CARRIER_SHIFTS":           &l.ShiftsPerCarrier,
			"LIMIT_CARRIER_PUSH":             &l.PushChangesPerCarrier,
			"LIMIT_SIGNIN_CODES_PER_CLIENT":  &l.SignInCodesPerClient,
			"LIMIT_SIGNIN_CODES_TOTAL":       &l.SignInCodesTotal,
			"LIMIT_SIGNIN_CHECKS_PER_CLIENT": &l.SignInChecksPerClient,
		}, map[string]*int{
			"LIMIT_OPEN_ORDERS_PER_PHONE": &l.OpenOrdersPerPhone,
			"LIMIT_OFFERS_PER_ORDER":      &l.OffersPerOrder,
			"LIMIT_CARRIER_ORDERS":        &l.CarrierOrders,
		}
}

// ReadLimits reads the LIMIT_* settings through getenv over DefaultLimits:
// a rate is N/DURATION (market.ParseLimit) or off, a count a whole number
// (0 for no bound).
func ReadLimits(getenv func(string) string) (market.Limits, error) {
	l := DefaultLimits
	rates, counts := limitSettings(&l)
	for _, name := range slices.Sorted(maps.Keys(rates)) {
		if v := getenv(name); v != "" {
			parsed, err := market.ParseLimit(v)
			if err != nil {
				return market.Limits{}, fmt.Errorf("config: %s: %w", name, err)
			}
			*rates[name] = parsed
		}
	}
	for _, name := range slices.Sorted(maps.Keys(counts)) {
		if v := getenv(name); v != "" {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 0 {
				return market.Limits{}, fmt.Errorf("config: %s %q is not a whole number (0 for no bound)", name, v)
			}
			*counts[name] = n
		}
	}
	return l, nil
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
	if v := strings.TrimSpace(getenv("ORIGIN_VERIFY_SHA256")); v != "" {
		sum, err := hex.DecodeString(v)
		if err != nil || len(sum) != sha256.Size {
			return APIEnv{}, errors.New("config: ORIGIN_VERIFY_SHA256 is not a hex SHA-256")
		}
		e.OriginVerifySHA256 = sum
	}
	if e.Limits, err = ReadLimits(getenv); err != nil {
		return APIEnv{}, err
	}
	if e.Delivery, err = ReadDeliveryRules(getenv); err != nil {
		return APIEnv{}, err
	}
	if e.Dispatch, err = ReadDispatchSettings(getenv); err != nil {
		return APIEnv{}, err
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

// InitErrorType is the error type a function reports when it cannot
// start (lambdainit.ErrorType), as the Lambda smoke tests check it.
const InitErrorType = lambdainit.ErrorType
