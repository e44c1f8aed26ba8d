package apigw

import (
	"errors"
	"testing"

	"github.com/deliverymarket/delivery/internal/market"
)

// A key twice in one object and a field name in another case are refused,
// naming the field; the same keys in different objects, and values that
// merely look like keys, are not.
func TestDecodeStrictKeys(t *testing.T) {
	const customer = `"customer":{"name":"Ana","phone":"+5511987654321","address":"Rua Augusta 100"}`
	tests := []struct {
		name      string
		body      string
		wantField string // "" when the body is accepted
	}{
		{"accepted", `{"items":[{"productId":1,"quantity":2},{"productId":2,"quantity":1}],` + customer + `}`, ""},
		{"same keys in sibling objects", `{"items":[{"productId":1,"quantity":2},{"productId":1,"quantity":1}],` + customer + `}`, ""},
		{"a value that names a key", `{"items":[{"productId":1,"quantity":2}],"customer":{"name":"items","phone":"+5511987654321","address":"Items"}}`, ""},
		{"top-level key twice", `{"items":[{"productId":1,"quantity":2}],"items":[{"productId":9,"quantity":9}],` + customer + `}`, "items"},
		{"nested key twice", `{"items":[{"productId":1,"quantity":2,"quantity":200}],` + customer + `}`, "items.quantity"},
		{"customer key twice", `{"items":[{"productId":1,"quantity":2}],"customer":{"name":"Ana","phone":"+5511987654321","phone":"+5511900000000","address":"x"}}`, "customer.phone"},
		{"field in upper case", `{"Items":[{"productId":1,"quantity":2}],` + customer + `}`, "Items"},
		{"nested field in another case", `{"items":[{"productid":1,"quantity":2}],` + customer + `}`, "items.productid"},
		{"customer field in another case", `{"items":[{"productId":1,"quantity":2}],"customer":{"NAME":"Ana","phone":"+5511987654321","address":"x"}}`, "customer.NAME"},
		{"a case twin after the real one", `{"items":[{"productId":1,"quantity":2}],"ITEMS":[],` + customer + `}`, "ITEMS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req market.OrderRequest
			err := DecodeStrict([]byte(tt.body), &req)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("DecodeStrict(%s) = %v, want it accepted", tt.body, err)
				}
				return
			}
			var me *market.Error
			if !errors.As(err, &me) || me.Code != market.CodeInvalid {
				t.Fatalf("DecodeStrict(%s) = %v, want %s", tt.body, err, market.CodeInvalid)
			}
			if d, _ := me.Details.(map[string]string); d["field"] != tt.wantField {
				t.Errorf("DecodeStrict(%s) details %#v (%s), want field %q", tt.body, me.Details, me.Message, tt.wantField)
			}
		})
	}
}
