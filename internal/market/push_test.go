package market_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/deliverymarket/delivery/internal/market"
)

func decodePush(t *testing.T, payload []byte) market.PushMessage {
	t.Helper()
	var m market.PushMessage
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("push payload %s: %v", payload, err)
	}
	return m
}

// TestPushPayload: the push says what the SMS says, in the shape the
// carrier page's service worker reads ({title, body, url, tag}).
func TestPushPayload(t *testing.T) {
	id := market.DeliveryID("0b6f4b0e-6f3c-4f7e-9d38-2c1a5b7e9f01")
	link := market.ClaimLink("https://shop.example", id)
	tests := []struct {
		name string
		n    market.CarrierNotice
		want market.PushMessage
	}{
		{
			name: "an order",
			n: market.CarrierNotice{Reference: "K7Q2M9XD", ItemCount: 3, Total: market.MustMoney("42.50"), Currency: "USD",
				Companies: []string{"Padaria Sol", "Casa Nonna Kitchen"}, Area: "Lisboa", Link: link},
			want: market.PushMessage{Title: "Order K7Q2M9XD: 42.50 USD", Body: "3 items. Pickup: Padaria Sol, Casa Nonna Kitchen. Area: Lisboa", URL: link, Tag: id},
		},
		{
			name: "one item, no area",
			n: market.CarrierNotice{Reference: "K7Q2M9XD", ItemCount: 1, Total: market.MustMoney("4.5"), Currency: "EUR",
				Companies: []string{"Padaria Sol"}, Link: link},
			want: market.PushMessage{Title: "Order K7Q2M9XD: 4.50 EUR", Body: "1 item. Pickup: Padaria Sol. Area: unknown", URL: link, Tag: id},
		},
		{
			name: "what a customer or a company typed is reduced as in the SMS",
			n: market.CarrierNotice{Reference: "K7Q2M9XD", ItemCount: 2, Total: market.MustMoney("10.00"), Currency: "USD",
				Companies: []string{"Café <b>Sol</b> 🚚"}, Area: "Rua Augusta 10, call +351 912 345 678 <script>", Link: link},
			want: market.PushMessage{Title: "Order K7Q2M9XD: 10.00 USD", Body: "2 items. Pickup: Cafe <b>Sol</b>. Area: Rua Augusta call", URL: link, Tag: id},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload, err := tt.n.PushPayload()
			if err != nil {
				t.Fatalf("PushPayload() error: %v", err)
			}
			if got := decodePush(t, payload); got != tt.want {
				t.Errorf("PushPayload() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestPushPayloadBounded: the largest order there can be, from the
// longest company names, still fits one push.
func TestPushPayloadBounded(t *testing.T) {
	id := market.DeliveryID("0b6f4b0e-6f3c-4f7e-9d38-2c1a5b7e9f01")
	companies := make([]string, market.MaxDistinctProducts)
	for i := range companies {
		companies[i] = strings.Repeat("W", 200)
	}
	units := int64(market.MaxDistinctProducts * market.MaxQuantity)
	n := market.CarrierNotice{
		Reference: strings.Repeat("W", 40), ItemCount: int(units), Currency: strings.Repeat("W", 40),
		Total:     market.NewMoney(market.MaxPrice.Mul(decimal.NewFromInt(units))),
		Companies: companies, Area: strings.Repeat("W", 500),
		Link: market.ClaimLink("https://"+strings.Repeat("w", 200)+".example", id),
	}
	payload, err := n.PushPayload()
	if err != nil {
		t.Fatalf("PushPayload() of the largest order: %v", err)
	}
	if len(payload) > market.MaxPushPayload {
		t.Errorf("PushPayload() is %d bytes, more than %d", len(payload), market.MaxPushPayload)
	}
	if m := decodePush(t, payload); !strings.Contains(m.Body, "more") {
		t.Errorf("PushPayload() body %q does not count the companies left out", m.Body)
	}
}

// TestPushPayloadRefusesABrokenLink: a push opens the claim page or is
// not sent.
func TestPushPayloadRefusesABrokenLink(t *testing.T) {
	id := market.DeliveryID("0b6f4b0e-6f3c-4f7e-9d38-2c1a5b7e9f01")
	notice := market.CarrierNotice{Reference: "KQEV81CN", ItemCount: 4, Total: market.MustMoney("33.69"), Currency: "USD",
		Companies: []string{"Padaria Sol"}, Area: "Lisboa"}
	for _, link := range []string{
		"",
		"https://shop.example/carrier.html",
		"https://shop.example/carrier.html#d=not-a-delivery-id",
		"javascript:alert(1)" + market.ClaimPath + id,
		"https://shop.example/a b" + market.ClaimPath + id,
		"https://lojá.example" + market.ClaimPath + id,
	} {
		n := notice
		n.Link = link
		if payload, err := n.PushPayload(); err == nil {
			t.Errorf("PushPayload() with link %q = %s, want an error", link, payload)
		}
	}
}
