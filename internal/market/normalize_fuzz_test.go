package market_test

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/deliverymarket/delivery/internal/market"
)

// itemField is what NormalizeItems may name: the list, or one line's id or
// quantity.
var itemField = regexp.MustCompile(`^items(\[(\d+)\]\.(productId|quantity))?$`)

// FuzzNormalizeItems feeds NormalizeItems any list of items: it never
// panics, refuses with CodeInvalid naming an existing line, and what it
// accepts is within the limits, merged, in first-appearance order, with
// every quantity kept, and normalises to itself again.
func FuzzNormalizeItems(f *testing.F) {
	f.Add(itemsToBytes(market.Item{ProductID: 1, Quantity: 2}))
	f.Add(itemsToBytes(market.Item{ProductID: 1, Quantity: 3}, market.Item{ProductID: 2, Quantity: 1}, market.Item{ProductID: 1, Quantity: 1}))
	f.Add(itemsToBytes(market.Item{ProductID: 0, Quantity: 1}))
	f.Add(itemsToBytes(market.Item{ProductID: 5, Quantity: 1000}))
	f.Add(itemsToBytes(market.Item{ProductID: 5, Quantity: 500}, market.Item{ProductID: 5, Quantity: 500}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		items := itemsFromBytes(raw)
		got, err := market.NormalizeItems(items)
		if err != nil {
			field := requireFieldError(t, err)
			m := itemField.FindStringSubmatch(field)
			if m == nil {
				t.Fatalf("NormalizeItems(%v) names field %q", items, field)
			}
			if m[2] != "" {
				var i int
				fmt.Sscan(m[2], &i)
				if i >= len(items) {
					t.Fatalf("NormalizeItems(%v) names line %d of %d", items, i, len(items))
				}
			}
			return
		}
		checkNormalItems(t, items, got)
		again, err := market.NormalizeItems(got)
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("NormalizeItems(%v) = %v, %v; want %v (idempotent)", got, again, err, got)
		}
	})
}

// checkNormalItems checks that got is items, validated and merged.
func checkNormalItems(t *testing.T, items, got []market.Item) {
	t.Helper()
	if len(got) == 0 || len(got) > market.MaxDistinctProducts {
		t.Fatalf("NormalizeItems(%v) = %d lines", items, len(got))
	}
	want := map[int64]int{}
	var order []int64
	for _, it := range items {
		if _, ok := want[it.ProductID]; !ok {
			order = append(order, it.ProductID)
		}
		want[it.ProductID] += it.Quantity
	}
	if len(order) != len(got) {
		t.Fatalf("NormalizeItems(%v) = %v: %d lines, want %d", items, got, len(got), len(order))
	}
	for i, it := range got {
		if it.ProductID != order[i] || it.Quantity != want[it.ProductID] {
			t.Fatalf("NormalizeItems(%v)[%d] = %v, want {%d %d}", items, i, it, order[i], want[order[i]])
		}
		if it.ProductID < 1 || it.Quantity < 1 || it.Quantity > market.MaxQuantity {
			t.Fatalf("NormalizeItems(%v) accepted %v", items, it)
		}
	}
}

// orderFields are the fields OrderRequest.Normalize may name.
var orderFields = []string{"customer.name", "customer.phone", "customer.address", "customer.note"}

// FuzzOrderNormalize feeds OrderRequest.Normalize any items and customer:
// it never panics; it refuses with CodeInvalid naming the field; what it
// accepts normalises to itself again with the same Hash, and requests that
// differ only in spelling (whitespace around the customer's fields, the
// phone's separators, a line split in two) have the same Hash.
func FuzzOrderNormalize(f *testing.F) {
	one := itemsToBytes(market.Item{ProductID: 1, Quantity: 2})
	f.Add(one, "Ana", "+5511987654321", "Rua Augusta 100, Consolação", "")
	f.Add(itemsToBytes(market.Item{ProductID: 3, Quantity: 4}, market.Item{ProductID: 3, Quantity: 1}), "  Bo  ", "+351 912-345 678", "Av. da Liberdade 1, 1250-096 Lisboa", "ring twice")
	f.Add(one, "", "+5511987654321", "Rua A", "")
	f.Add(one, "Ana", "5511987654321", "Rua A", "")
	f.Add(one, "Ana", "+1 (415) 555.0100", "\u202eRua A", "")
	f.Add(one, "Ana", "+5511987654321", "Rua A", strings.Repeat("n", 501))
	f.Add([]byte{}, "Ana", "+5511987654321", "Rua A", "")
	f.Fuzz(func(t *testing.T, rawItems []byte, name, phone, address, note string) {
		req := market.OrderRequest{
			Items:    itemsFromBytes(rawItems),
			Customer: market.Customer{Name: name, Phone: phone, Address: address, Note: note},
		}
		got, err := req.Normalize()
		if err != nil {
			if _, itemsErr := market.NormalizeItems(req.Items); itemsErr != nil {
				requireFieldError(t, err)
				return
			}
			requireFieldError(t, err, orderFields...)
			return
		}
		checkNormalItems(t, req.Items, got.Items)
		c := got.Customer
		if c.Name != strings.TrimSpace(c.Name) || c.Address != strings.TrimSpace(c.Address) || c.Note != strings.TrimSpace(c.Note) {
			t.Fatalf("Normalize(%+v) = %+v: fields not trimmed", req, got)
		}
		if p, err := market.NormalizePhone(c.Phone); err != nil || p != c.Phone {
			t.Fatalf("Normalize(%+v) phone %q is not E.164: %v", req, c.Phone, err)
		}
		again, err := got.Normalize()
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("Normalize(%+v) = %+v, %v; want it unchanged", got, again, err)
		}
		if again.Hash() != got.Hash() {
			t.Fatalf("Hash changed on normalising again: %s, %s", got.Hash(), again.Hash())
		}

		// The same order in another spelling hashes the same.
		respelled := market.OrderRequest{
			Items: splitFirstLine(got.Items),
			Customer: market.Customer{
				Name: " " + c.Name + "\t", Phone: spacedPhone(c.Phone),
				Address: "\n" + c.Address, Note: c.Note + "  ",
			},
		}
		norm, err := respelled.Normalize()
		if err != nil {
			t.Fatalf("Normalize(%+v) (a respelling of %+v): %v", respelled, got, err)
		}
		if norm.Hash() != got.Hash() {
			t.Fatalf("Hash(%+v) = %s, Hash(%+v) = %s; want equal", respelled, norm.Hash(), got, got.Hash())
		}
		// And a different order does not.
		other := got
		other.Items = append([]market.Item(nil), got.Items...)
		other.Items[0].Quantity = other.Items[0].Quantity%market.MaxQuantity + 1
		if other.Hash() == got.Hash() {
			t.Fatalf("Hash(%+v) = Hash(%+v)", other, got)
		}
	})
}

// splitFirstLine writes the first line's quantity as two lines when it
// can, as a client repeating a product would.
func splitFirstLine(items []market.Item) []market.Item {
	out := append([]market.Item(nil), items...)
	if out[0].Quantity < 2 {
		return out
	}
	half := out[0].Quantity / 2
	out[0].Quantity -= half
	return append(out, market.Item{ProductID: out[0].ProductID, Quantity: half})
}

// spacedPhone groups an E.164 number's digits the way people type them.
func spacedPhone(e164 string) string {
	var b strings.Builder
	b.WriteString(e164[:2])
	for i := 2; i < len(e164); i++ {
		if i%3 == 2 {
			b.WriteString([]string{" ", "-", ".", " ("}[i%4])
		}
		b.WriteByte(e164[i])
	}
	return "  " + b.String() + " "
}

// FuzzNormalizePhone feeds NormalizePhoneField any text: it never panics,
// answers E.164 or CodeInvalid naming the field, and an answer normalises
// to itself.
func FuzzNormalizePhone(f *testing.F) {
	for _, seed := range []string{
		"+5511987654321", "+351 912-345 678", "+1 (415) 555.0100", "+44 20 7946 0958",
		"00351912345678", "912345678", "+0123456789", "+1234567890123456", "+123456",
		"+351\u00a0912345678", "+３５１912345678", "", " ", "+", "+351 912 345 678 ext 9",
	} {
		f.Add("phone", seed)
	}
	f.Add("customer.phone", "+5511987654321")
	e164 := regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	f.Fuzz(func(t *testing.T, field, phone string) {
		if field == "" {
			field = "phone"
		}
		got, err := market.NormalizePhoneField(field, phone)
		if err != nil {
			requireFieldError(t, err, field)
			if got != "" {
				t.Fatalf("NormalizePhoneField(%q) = %q with error %v", phone, got, err)
			}
			return
		}
		if !e164.MatchString(got) {
			t.Fatalf("NormalizePhoneField(%q) = %q, not E.164", phone, got)
		}
		if again, err := market.NormalizePhoneField(field, got); err != nil || again != got {
			t.Fatalf("NormalizePhoneField(%q) = %q, %v; want %q", got, again, err, got)
		}
		if p, err := market.NormalizePhone(phone); err != nil || p != got {
			t.Fatalf("NormalizePhone(%q) = %q, %v; NormalizePhoneField says %q", phone, p, err, got)
		}
		if spaced := spacedPhone(got); mustNormalize(t, spaced) != got {
			t.Fatalf("NormalizePhone(%q) != %q", spaced, got)
		}
	})
}

func mustNormalize(t *testing.T, phone string) string {
	t.Helper()
	got, err := market.NormalizePhone(phone)
	if err != nil {
		t.Fatalf("NormalizePhone(%q): %v", phone, err)
	}
	return got
}
