package market

import (
	"errors"
	"fmt"
)

// Code is a machine-readable error code. Clients switch on it; the message
// is for humans. internal/apigw maps each code to one HTTP status.
type Code string

// The error codes of the marketplace API.
const (
	CodeInvalid              Code = "invalid_request"        // the request is malformed or breaks a rule
	CodeTooLarge             Code = "payload_too_large"      // the body is over the size limit
	CodeUnsupportedMediaType Code = "unsupported_media_type" // the body is not JSON
	CodeUnauthorized         Code = "unauthorized"           // no valid credentials
	CodeForbidden            Code = "forbidden"              // valid credentials without the right
	CodeNotFound             Code = "not_found"              // the resource does not exist (or is not yours)
	CodeRouteNotFound        Code = "route_not_found"        // no such route
	CodeMethodNotAllowed     Code = "method_not_allowed"     // the route exists, but not for that method
	CodeConflict             Code = "conflict"               // the request conflicts with the current state
	CodeCarrierLimit         Code = "carrier_limit"          // the carrier holds as many orders as it may
	CodePreconditionFailed   Code = "version_mismatch"       // If-Match named a stale version
	CodePreconditionRequired Code = "version_required"       // a change needs If-Match or a version
	CodeUnavailableProducts  Code = "unavailable_products"   // unknown or inactive products in an order
	CodeShopClosed           Code = "shop_closed"            // an item's shop is closed or paused; Details names them
	CodeOutsideArea          Code = "outside_delivery_area"  // the delivery point is outside the area or too far
	CodeThrottled            Code = "throttled"              // too many requests; Details is a RetryAfter
	CodeUnavailable          Code = "service_unavailable"    // a dependency (the database) is unreachable
	CodeInternal             Code = "internal"               // anything unexpected; never carries details
)

// Error is the one error type that crosses from the domain to clients.
// Anything that is not an *Error is internal and is never shown to clients.
type Error struct {
	Code    Code
	Message string
	// Details is optional structured data for the client, such as the ids
	// of the unavailable products or the field that failed validation.
	Details any
	// Err is the underlying cause, logged but never shown to clients.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns a CodeInvalid error that names the offending field.
func FieldError(field, format string, args ...any) *Error {
	return &Error{
		Code:    CodeInvalid,
		Message: fmt.Sprintf(format, args...),
		Details: map[string]string{"field": field},
	}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, and
// CodeInternal otherwise.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
