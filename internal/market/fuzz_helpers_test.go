package market_test

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/deliverymarket/delivery/internal/market"
)

// The fuzz targets of this package share these helpers: what an error
// from a parser must look like, and how raw fuzz bytes become items.

// requireFieldError fails unless err is a *market.Error with CodeInvalid
// whose details name one of fields (any field when fields is empty), and
// returns the field named.
func requireFieldError(t *testing.T, err error, fields ...string) string {
	t.Helper()
	var me *market.Error
	if !errors.As(err, &me) {
		t.Fatalf("error %v (%T) is not a *market.Error", err, err)
	}
	if me.Code != market.CodeInvalid {
		t.Fatalf("error code = %q, want %q (%v)", me.Code, market.CodeInvalid, err)
	}
	details, ok := me.Details.(map[string]string)
	if !ok || details["field"] == "" {
		t.Fatalf("error %v has details %#v, want details.field", err, me.Details)
	}
	if len(fields) == 0 {
		return details["field"]
	}
	for _, f := range fields {
		if details["field"] == f {
			return f
		}
	}
	t.Fatalf("error %v names field %q, want one of %q", err, details["field"], fields)
	return ""
}

// itemsFromBytes reads items from fuzz bytes: each item is two signed
// varints, the product id and the quantity, so that small values (the
// interesting ones: 0, negatives, 1..999, repeats) take a byte or two and
// any int64 can still appear. A trailing partial item is dropped.
func itemsFromBytes(b []byte) []market.Item {
	var items []market.Item
	for len(b) > 0 {
		id, n := binary.Varint(b)
		if n <= 0 {
			break
		}
		b = b[n:]
		qty, m := binary.Varint(b)
		if m <= 0 {
			break
		}
		b = b[m:]
		items = append(items, market.Item{ProductID: id, Quantity: int(qty)})
	}
	return items
}

// itemsToBytes is the inverse of itemsFromBytes, for seeds.
func itemsToBytes(items ...market.Item) []byte {
	var b []byte
	for _, it := range items {
		b = binary.AppendVarint(b, it.ProductID)
		b = binary.AppendVarint(b, int64(it.Quantity))
	}
	return b
}
