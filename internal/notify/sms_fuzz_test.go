package notify_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/notify"
)

// pricedOrders is an OrderStore that places orders as the MySQL store
// does, with market.Price and market.OrderFromQuote, against a fixed
// catalog; nothing else is called by Checkout.Place.
type pricedOrders struct {
	market.OrderStore
	products map[int64]market.Product
}

func (s pricedOrders) Place(_ context.Context, o market.NewOrder) (market.Order, bool, error) {
	q, err := market.Price(o.Currency, o.Request.Items, s.products)
	if err != nil {
		return market.Order{}, false, err
	}
	return market.OrderFromQuote(o, q), false, nil
}

// fuzzDefaultSite is the site used when the fuzzed one is refused.
const fuzzDefaultSite = "https://d111111abcdef8.cloudfront.net"

// FuzzCarrierSMS runs any order through the path of the carriers' SMS:
// Checkout.Place, the event placeorder hands to notifycarrier (through
// JSON, as Lambda Invoke carries it), and the SMS composed for a site that
// ParseSiteURL accepts. For any order that can be placed, the SMS is one
// GSM-7 message of at most 160 characters ending in the whole claim link;
// the customer's name, phone and note never reach it (the event is the
// same whoever the customer is), and the area told carries no digits, so
// a phone number typed into the address cannot leak either.
func FuzzCarrierSMS(f *testing.F) {
	f.Add(fuzzDefaultSite, "Padaria Sol", "Casa Nonna Kitchen", "6.50", uint16(2), uint16(1),
		"Ana", "+5511987654321", "Rua Augusta 100, Consolação", "")
	f.Add("https://shop.example/market/", "Pâtisserie Élodie & Fils, Lda.", "日本の店", "1000000", uint16(999), uint16(999),
		"José", "+351 912 345 678", "Rua 912345678, +351 912 345 678, São João da Madeira", "call +351912345678")
	f.Add("http://192.168.1.20:8080", "A", "A", "0.01", uint16(1), uint16(0),
		"Bo", "+14155550100", "1 Main St, Apt 4155550100", "door code 4155")
	f.Add("https://"+strings.Repeat("w", 80)+".example", "{[Shop]}", "~|^€", "12.34", uint16(5), uint16(7),
		"Eve", "+442079460958", "flat 2079460958, London 2079460958", "leave with neighbour")
	f.Add("javascript:alert(1)", "Co", "Co2", "3", uint16(1), uint16(1), "N", "+5511987654321", "\u202eRua, 5511987654321", "")
	f.Fuzz(func(t *testing.T, site, companyA, companyB, price string, qtyA, qtyB uint16,
		name, phone, address, note string) {
		amount, err := decimal.NewFromString(price)
		if err != nil {
			return
		}
		products := map[int64]market.Product{
			1: {ID: 1, CompanyID: 1, CompanyName: companyA, Name: "A", Price: market.NewMoney(amount), Active: true},
			2: {ID: 2, CompanyID: 2, CompanyName: companyB, Name: "B", Price: market.NewMoney(amount.Add(decimal.New(1, -2))), Active: true},
		}
		var items []market.Item
		for i, q := range []uint16{qtyA, qtyB} {
			if q > 0 {
				items = append(items, market.Item{ProductID: int64(i + 1), Quantity: int(q)})
			}
		}
		checkout := market.Checkout{Orders: pricedOrders{products: products}, Currency: "USD",
			Now: func() time.Time { return time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) }}
		req := market.OrderRequest{Items: items, Customer: market.Customer{Name: name, Phone: phone, Address: address, Note: note}}
		order, _, err := checkout.Place(context.Background(), "192.0.2.1", "fuzz-key-0001", req)
		if err != nil {
			if code := market.ErrorCode(err); code != market.CodeInvalid {
				t.Fatalf("Place(%+v) = %v (%s), want %s", req, err, code, market.CodeInvalid)
			}
			return
		}
		if amount.IsNegative() || amount.IsZero() || !amount.Equal(amount.Truncate(2)) || amount.GreaterThan(market.MaxPrice) {
			return // no company can set such a price
		}

		// The event does not depend on who the customer is.
		other := req
		other.Customer = market.Customer{Name: "Somebody Else", Phone: "+19999999999", Address: address}
		otherOrder, _, err := checkout.Place(context.Background(), "192.0.2.1", "fuzz-key-0002", other)
		if err != nil {
			t.Fatalf("Place(%+v): %v", other, err)
		}
		event, otherEvent := relayed(t, notify.EventFor(order, 1, 1)), relayed(t, notify.EventFor(otherOrder, 1, 1))
		otherEvent.OrderID, otherEvent.DeliveryID, otherEvent.Reference = event.OrderID, event.DeliveryID, event.Reference
		if !reflect.DeepEqual(event, otherEvent) {
			t.Fatalf("the carriers' event depends on the customer's name, phone or note:\n%+v\n%+v", event, otherEvent)
		}
		if err := event.Validate(); err != nil {
			t.Fatalf("EventFor(%+v) is refused: %v", order, err)
		}

		siteURL, err := notify.ParseSiteURL(site)
		if err != nil {
			siteURL = fuzzDefaultSite
		}
		text, err := event.Notice(siteURL).SMS()
		if err != nil {
			t.Fatalf("SMS of %+v for site %q: %v", event, siteURL, err)
		}
		if n, ok := market.GSM7Length(text); !ok || n > market.MaxSMSLength {
			t.Fatalf("SMS %q: %d septets, GSM-7 %v", text, n, ok)
		}
		link := market.ClaimLink(siteURL, market.DeliveryID(order.ID))
		if !strings.HasSuffix(text, "\n"+link) {
			t.Fatalf("SMS %q does not end in the whole link %q", text, link)
		}
		head := strings.TrimSuffix(text, "\n"+link)
		area := head[strings.LastIndex(head, " Area: ")+len(" Area: "):]
		if strings.ContainsAny(area, "0123456789+") {
			t.Fatalf("SMS %q: the area %q carries digits", text, area)
		}
		digits := strings.TrimPrefix(mustPhone(t, phone), "+")
		if strings.Contains(area, digits) || strings.Contains(event.Area, digits) {
			t.Fatalf("SMS %q carries the customer's phone %s", text, phone)
		}
	})
}

// relayed is e as notifycarrier receives it: through JSON.
func relayed(t *testing.T, e notify.OrderEvent) notify.OrderEvent {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var got notify.OrderEvent
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	return got
}

func mustPhone(t *testing.T, phone string) string {
	t.Helper()
	p, err := market.NormalizePhone(phone)
	if err != nil {
		t.Fatalf("NormalizePhone(%q) after a placed order: %v", phone, err)
	}
	return p
}
