package apigw

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"

	"github.com/deliverymarket/delivery/internal/market"
)

// checkKeys refuses what encoding/json lets through after it decoded body
// into a value of type t: a key twice in one object (json keeps the last
// one, so that two readers of the same body could see two different
// requests) and a field name in another case than its own ("Items" for
// "items"), which json matches without a word. encoding/json/v2 refuses
// both by default, but is not yet part of the Go this project builds with.
// body is valid JSON by now: the walk only looks at the keys.
func checkKeys(body []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return walkKeys(dec, t, "")
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// walkKeys reads one value from dec, which is to be decoded into t (nil
// when its type is unknown, or its own UnmarshalJSON reads it), and checks
// the keys of every object in it; path is the value's field path.
func walkKeys(dec *json.Decoder, t reflect.Type, path string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && reflect.PointerTo(t).Implements(unmarshalerType) {
		t = nil
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if err := walkKeys(dec, elem, path); err != nil {
				return err
			}
		}
		_, err := dec.Token()
		return err
	case json.Delim('{'):
		fields := jsonFields(t)
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			key := tok.(string)
			field := joinPath(path, key)
			if seen[key] {
				return market.FieldError(field, "field %q appears more than once", field)
			}
			seen[key] = true
			var valueType reflect.Type
			switch {
			case t != nil && t.Kind() == reflect.Map:
				valueType = t.Elem()
			case fields != nil:
				f, ok := fields[key]
				if !ok {
					for name := range fields {
						if strings.EqualFold(name, key) {
							return market.FieldError(field, "field %q must be written %q: field names are case-sensitive", field, joinPath(path, name))
						}
					}
				}
				valueType = f
			}
			if err := walkKeys(dec, valueType, field); err != nil {
				return err
			}
		}
		_, err := dec.Token()
		return err
	}
	return nil
}

// jsonFields returns the JSON names of a struct type's fields and their
// types, as encoding/json names them; nil for any other type.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	fields := map[string]reflect.Type{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
