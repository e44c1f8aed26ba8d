package apigw

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/deliverymarket/delivery/internal/market"
)

// DecodeStrict decodes exactly one JSON value from body into v, refusing
// unknown fields, wrong types, trailing data, a key twice in one object and
// a field name in another case, and turns every failure into a CodeInvalid
// error that says what was wrong.
func DecodeStrict(body []byte, v any) error {
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] != '{' && json.Valid(trimmed) {
		return market.Errorf(market.CodeInvalid, "the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return market.Errorf(market.CodeInvalid, "the body must hold exactly one JSON value")
	}
	if err := checkKeys(body, reflect.TypeOf(v)); err != nil {
		return decodeError(err)
	}
	return nil
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var domainErr *market.Error
	switch {
	case errors.As(err, &domainErr):
		return domainErr
	case errors.Is(err, io.EOF):
		return market.Errorf(market.CodeInvalid, "the body is empty; a JSON object is required")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return market.Errorf(market.CodeInvalid, "the body must be a JSON object")
		}
		return market.FieldError(field, "%s must be %s", field, jsonKind(typeErr.Type.Kind().String()))
	case errors.As(err, &syntaxErr):
		return market.Errorf(market.CodeInvalid, "the body is not valid JSON (at byte %d)", syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return market.Errorf(market.CodeInvalid, "the body is not valid JSON (it ends too early)")
	}
	// json reports unknown fields and errors from UnmarshalJSON methods
	// only as text, which holds no request data beyond a field name.
	if quoted, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		// json quotes the name with %q: unquote it, so that details.field
		// is the name as sent, and do not name a field called "".
		field, unquoteErr := strconv.Unquote(quoted)
		if unquoteErr != nil || field == "" {
			return market.Errorf(market.CodeInvalid, "the body has a field with an empty or unreadable name")
		}
		return market.FieldError(field, "unknown field %q", field)
	}
	return market.Errorf(market.CodeInvalid, "the body is not acceptable: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "of another type"
}
