// Package awsroute measures delivery routes with Amazon Location Service:
// one CalculateRouteMatrix call on a route calculator resource per quote
// (market.Router). It is the only package that knows Amazon Location's
// API, so that priceorder and placeorder alone link its client; locally,
// and whenever it fails, market.Delivery estimates instead.
package awsroute

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/location"
	"github.com/aws/aws-sdk-go-v2/service/location/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/deliverymarket/delivery/internal/market"
)

// MatrixAPI is the part of the Amazon Location client used here.
type MatrixAPI interface {
	CalculateRouteMatrix(ctx context.Context, in *location.CalculateRouteMatrixInput, opts ...func(*location.Options)) (*location.CalculateRouteMatrixOutput, error)
}

// MaxPositions bounds the departure and the destination positions of one
// call. The client checks no length; the service restricts positions per
// data provider, and 10 × 10 is within every provider's bound (Esri's is
// the tightest). A larger matrix is refused before any call, so that the
// caller estimates rather than pays for a request the service may reject;
// an order of more than 10 located shops is rare, and would be billed 110
// routes and more per call.
const MaxPositions = 10

// travelMode is Car: of the modes a Here calculator offers (Car, Truck,
// Walking; Bicycle and Motorcycle are Grab's, in Southeast Asia only), it
// is the one whose roads, one-way streets and live traffic a courier on a
// scooter or in a car meets. Walking would route through pedestrian ways at
// a pace no courier keeps; Truck would avoid the narrow streets couriers
// use.
const travelMode = types.TravelMode("Car")

// Router is market.Router over CalculateRouteMatrix.
type Router struct {
	Client     MatrixAPI
	Calculator string // the route calculator resource's name
	// Logger receives a warning for each failed call, naming the error
	// code but never a position: positions are customers' addresses.
	Logger *slog.Logger
}

var _ market.Router = (*Router)(nil)

// New returns the Router of the calculator named calculator, with the
// Amazon Location client awsCfg configures.
func New(awsCfg aws.Config, calculator string, logger *slog.Logger) *Router {
	return &Router{Client: location.NewFromConfig(awsCfg), Calculator: calculator, Logger: logger}
}

// The settings FromEnv reads.
const (
	envCalculator = "ROUTE_CALCULATOR_NAME"
	envTimeout    = "ROUTE_TIMEOUT"
)

// MaxTimeout bounds ROUTE_TIMEOUT: a quote is an interactive request, and
// the estimate is always at hand.
const MaxTimeout = 5 * time.Second

// ReadEnv reads ROUTE_CALCULATOR_NAME (empty: no routing service) and
// ROUTE_TIMEOUT (a Go duration such as 800ms, from 1ms to MaxTimeout;
// empty: market.DefaultRouteTimeout) through getenv.
func ReadEnv(getenv func(string) string) (calculator string, timeout time.Duration, err error) {
	calculator = strings.TrimSpace(getenv(envCalculator))
	timeout = market.DefaultRouteTimeout
	if v := strings.TrimSpace(getenv(envTimeout)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Millisecond || d > MaxTimeout {
			return "", 0, fmt.Errorf("config: %s %q is not a duration from 1ms to %s, such as 800ms", envTimeout, v, MaxTimeout)
		}
		timeout = d
	}
	return calculator, timeout, nil
}

// FromEnv returns the router and route timeout the environment sets
// (ReadEnv): a nil router when ROUTE_CALCULATOR_NAME is unset, and every
// delivery is then the straight-line estimate.
func FromEnv(awsCfg aws.Config, getenv func(string) string, logger *slog.Logger) (market.Router, time.Duration, error) {
	calculator, timeout, err := ReadEnv(getenv)
	if err != nil || calculator == "" {
		return nil, timeout, err
	}
	return New(awsCfg, calculator, logger), timeout, nil
}

// Matrix returns the leg from each origin to each destination, or an
// error (after a warning in the log) when the call fails, is cancelled, or
// any route of the matrix is missing: a partial matrix is never returned.
func (r *Router) Matrix(ctx context.Context, origins, destinations []market.Location) ([][]market.Leg, error) {
	if len(origins) == 0 || len(destinations) == 0 {
		return emptyMatrix(len(origins)), nil
	}
	if len(origins) > MaxPositions || len(destinations) > MaxPositions {
		return nil, r.fail(ctx, "too_many_positions", fmt.Errorf("awsroute: a %d×%d matrix is larger than the service's %d×%d", len(origins), len(destinations), MaxPositions, MaxPositions),
			slog.Int("origins", len(origins)), slog.Int("destinations", len(destinations)))
	}
	start := time.Now()
	out, err := r.Client.CalculateRouteMatrix(ctx, &location.CalculateRouteMatrixInput{
		CalculatorName:       aws.String(r.Calculator),
		DeparturePositions:   positions(origins),
		DestinationPositions: positions(destinations),
		DistanceUnit:         types.DistanceUnit("Kilometers"),
		TravelMode:           travelMode,
		// Live traffic now: the ETA is for an order leaving now.
		DepartNow: aws.Bool(true),
		// Couriers carry no toll tag, and a ferry's timetable is not a
		// travel time.
		CarModeOptions: &types.CalculateRouteCarModeOptions{AvoidFerries: aws.Bool(true), AvoidTolls: aws.Bool(true)},
	})
	elapsed := slog.Duration("elapsed", time.Since(start))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, r.fail(ctx, "cancelled", fmt.Errorf("awsroute: route matrix: %w", ctxErr), elapsed)
		}
		e := describe(err)
		return nil, r.fail(ctx, e.code, e, elapsed)
	}
	legs, err := matrix(out, len(origins), len(destinations))
	if err != nil {
		return nil, r.fail(ctx, "incomplete_matrix", err, elapsed)
	}
	return legs, nil
}

// fail logs a failed call at warn, with its cause and sizes but no
// position, and returns err.
func (r *Router) fail(ctx context.Context, code string, err error, attrs ...slog.Attr) error {
	if r.Logger != nil {
		attrs = append(attrs, slog.String("calculator", r.Calculator), slog.String("code", code), slog.String("error", err.Error()))
		r.Logger.LogAttrs(ctx, slog.LevelWarn, "route matrix failed; the delivery is estimated", attrs...)
	}
	return err
}

func emptyMatrix(rows int) [][]market.Leg {
	m := make([][]market.Leg, rows)
	for i := range m {
		m[i] = []market.Leg{}
	}
	return m
}

// positions are locations as the service takes them: [longitude,
// latitude].
func positions(locations []market.Location) [][]float64 {
	p := make([][]float64, len(locations))
	for i, l := range locations {
		p[i] = []float64{l.Lng, l.Lat}
	}
	return p
}

// matrix reads the answer into legs, refusing one of the wrong shape or
// with any route missing, failed or not a finite, non-negative number.
func matrix(out *location.CalculateRouteMatrixOutput, rows, cols int) ([][]market.Leg, error) {
	if out == nil || len(out.RouteMatrix) != rows {
		return nil, errors.New("awsroute: the route matrix has the wrong number of rows")
	}
	if s := out.Summary; s != nil && s.DistanceUnit != "" && s.DistanceUnit != "Kilometers" {
		return nil, fmt.Errorf("awsroute: the route matrix is in %s, not kilometres", s.DistanceUnit)
	}
	legs := make([][]market.Leg, rows)
	for i, row := range out.RouteMatrix {
		if len(row) != cols {
			return nil, fmt.Errorf("awsroute: row %d of the route matrix has %d routes, not %d", i, len(row), cols)
		}
		legs[i] = make([]market.Leg, cols)
		for j, e := range row {
			if e.Error != nil {
				// The entry's message is left out: it may quote the positions.
				return nil, fmt.Errorf("awsroute: route %d→%d: %s", i, j, e.Error.Code)
			}
			if !usable(e.Distance) || !usable(e.DurationSeconds) {
				return nil, fmt.Errorf("awsroute: route %d→%d has no distance or duration", i, j)
			}
			legs[i][j] = market.Leg{Km: *e.Distance, Seconds: *e.DurationSeconds}
		}
	}
	return legs, nil
}

func usable(v *float64) bool {
	return v != nil && *v >= 0 && !math.IsInf(*v, 0) && !math.IsNaN(*v)
}

// describe names a failed call by what is safe to log: the service's
// error code (ValidationException, ThrottlingException, ...), or why the
// request never got an answer. The message the service sends may quote the
// positions it was given, and so may a response the client could not
// decode; a failure to send (no route to the endpoint, DNS) names only the
// endpoint.
func describe(err error) *serviceError {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() != "" {
		return &serviceError{code: apiErr.ErrorCode(), err: err}
	}
	var sendErr *smithyhttp.RequestSendError
	if errors.As(err, &sendErr) {
		return &serviceError{code: "request_send_failed", detail: sendErr.Err.Error(), err: err}
	}
	var decodeErr *smithy.DeserializationError
	if errors.As(err, &decodeErr) {
		return &serviceError{code: "bad_response", err: err}
	}
	return &serviceError{code: "call_failed", err: err}
}

// serviceError is a failed call, in words safe to log (describe); the
// original error stays reachable with errors.As.
type serviceError struct {
	code, detail string
	err          error
}

func (e *serviceError) Error() string {
	msg := "awsroute: CalculateRouteMatrix failed: " + e.code
	if e.detail != "" {
		msg += ": " + e.detail
	}
	return msg
}

func (e *serviceError) Unwrap() error { return e.err }
