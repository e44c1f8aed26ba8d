package notify_test

import (
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/notify"
)

func testEvent() notify.OrderEvent {
	id := "01m866a89kz1z7dgmnnrvb7r47459mn758bc"
	return notify.OrderEvent{
		Version: notify.EventVersion, OrderID: id, DeliveryID: market.DeliveryID(id), Reference: market.OrderReference(id), ItemCount: 2,
		Total: market.MustMoney("9.00"), Currency: "USD", Companies: []string{"Padaria Sol"}, Area: "Lisboa",
		Offer: 1, Attempt: 1, PlacedAt: time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC),
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+351912345678", "+35191*****78"},
		{"+5511987654321", "+55119******21"},
		{"+1234567", "+*****67"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := notify.MaskPhone(tt.in); got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
