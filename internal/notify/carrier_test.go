package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/notify"
)

func TestParseSiteURL(t *testing.T) {
	tests := []struct {
		in, want string // want "" for refused
	}{
		{"https://d111111abcdef8.cloudfront.net", "https://d111111abcdef8.cloudfront.net"},
		{" https://shop.example/ ", "https://shop.example"},
		{"https://shop.example/market//", "https://shop.example/market"},
		{"http://localhost:8080", "http://localhost:8080"},
		{"http://127.0.0.1:43121", "http://127.0.0.1:43121"},
		{"http://[::1]:8080", ""}, // brackets take two GSM-7 septets each
		{"", ""},
		{"shop.example", ""},
		{"/carrier", ""},
		{"http://shop.example", ""},
		{"http://192.168.1.20:8080", "http://192.168.1.20:8080"},
		{"http://203.0.113.7", ""},
		{"ftp://shop.example", ""},
		{"https://", ""},
		{"https://user:pw@shop.example", ""},
		{"https://shop.example/?a=1", ""},
		{"https://shop.example?", ""},
		{"https://shop.example/#x", ""},
		{"https://shop.example/~me", ""},
		{"https://lojá.example", ""},
		{"https://shop.example/a b", ""},
		{"https://" + strings.Repeat("a", 30) + ".cloudfront.net", ""},
	}
	for _, tt := range tests {
		got, err := notify.ParseSiteURL(tt.in)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("ParseSiteURL(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := notify.NewCarrier(notify.NewOutbox(nil), nil, notify.LocalTopicARN, "https://"+strings.Repeat("a", 60)+".example", quiet); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("NewCarrier(a site URL too long) = %v, want a configuration error", err)
	}
}

// longestSite is the longest site URL ParseSiteURL accepts.
func longestSite(t *testing.T) string {
	t.Helper()
	site := "https://s.example"
	for {
		longer := "https://s" + strings.Repeat("h", len(site)-len("https://s.example")+1) + ".example"
		if _, err := notify.ParseSiteURL(longer); err != nil {
			return site
		}
		site = longer
	}
}

// TestCarrierSMSProperties composes the SMS of many generated orders,
// through the event placeorder sends, and checks what must always hold:
// GSM-7 only, at most 160 characters, the whole link at the end, the
// reference, and none of the customer's text.
func TestCarrierSMSProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 2026))
	sites := []string{"http://localhost:8080", "https://d111111abcdef8.cloudfront.net", longestSite(t)}
	if len(sites[2]) < len(sites[1]) {
		t.Fatalf("the longest site URL accepted, %q, is shorter than a CloudFront domain", sites[2])
	}
	names := []string{"Padaria Sol", "Green Basket Grocers", "Casa Nonna Kitchen", "Café Ñandú [Ltd] {x} ~|^€",
		"Extraordinarily Long Company Name Of Many Words", "X", "Москва Пекарня", "🍕 Pizza 🍕", "Bäckerei Müller & Söhne",
		"Call +351 912 345 678 now"}
	towns := []string{"Lisboa", "São João da Madeira", "Llanfairpwllgwyngyllgogerychwyndrobwllllantysiliogogogoch",
		"Москва", "12345", "", "x y z", "Saint-Jean-de-Luz"}
	const customerPhone = "912345678"
	for i := range 3000 {
		site := sites[rng.IntN(len(sites))]
		id, err := market.NewOrderID(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		o := market.Order{
			ID: id, Reference: market.OrderReference(id), Currency: []string{"USD", "EUR", "BRL"}[rng.IntN(3)],
			ItemCount: 1 + rng.IntN(market.MaxDistinctProducts*market.MaxQuantity),
			// Up to the largest order: 99,900 units at the highest price.
			Total: market.MustMoney(fmt.Sprintf("%d.%02d", rng.Int64N(int64(math.Pow10(rng.IntN(12)))), 1+rng.IntN(99))),
			Area:  market.DeliveryArea(fmt.Sprintf("Rua %d, +351 %s, %s", rng.IntN(999), customerPhone, towns[rng.IntN(len(towns))])),
		}
		for range 1 + rng.IntN(market.MaxDistinctProducts) {
			o.Lines = append(o.Lines, market.OrderLine{CompanyName: names[rng.IntN(len(names))] + strings.Repeat(" Co", rng.IntN(3))})
		}
		raw, err := json.Marshal(notify.EventFor(o, 1+rng.IntN(3), 1))
		if err != nil {
			t.Fatal(err)
		}
		var e notify.OrderEvent
		if err := json.Unmarshal(raw, &e); err != nil || e.Validate() != nil {
			t.Fatalf("event %s: %v, %v", raw, err, e.Validate())
		}
		sms, err := e.Notice(site).SMS()
		if err != nil {
			t.Fatalf("SMS of %+v at %s: %v", o, site, err)
		}
		link := site + "/carrier.html#d=" + market.DeliveryID(id)
		n, ok := market.GSM7Length(sms)
		switch {
		case !ok || n > market.MaxSMSLength:
			t.Fatalf("SMS %q: %d GSM-7 characters (encodable %v), want at most %d", sms, n, ok, market.MaxSMSLength)
		case !strings.HasSuffix(sms, "\n"+link) || strings.Count(sms, "\n") != 1:
			t.Fatalf("SMS %q, want it to end with the whole link %s on a line of its own", sms, link)
		case !strings.HasPrefix(sms, "Order "+o.Reference+": ") || !strings.Contains(sms, " Area: "):
			t.Fatalf("SMS %q, want the reference and the area", sms)
		case strings.Contains(sms, "345678") || strings.Contains(sms, id):
			t.Fatalf("SMS %q holds the customer's phone or the order id", sms)
		}
	}
}

func TestCarrierSuppressesDuplicatesPerOffer(t *testing.T) {
	outbox := notify.NewOutbox(nil)
	c, err := notify.NewCarrier(outbox, nil, notify.LocalTopicARN, testSite, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, again := testEvent(), testEvent()
	again.Offer = 2
	steps := []struct {
		e         notify.OrderEvent
		duplicate bool
	}{
		{first, false},
		{first, true},
		{again, false},
		{again, true},
	}
	for i, s := range steps {
		r, err := c.Handle(ctx, s.e)
		if err != nil || r.Duplicate != s.duplicate || r.Offer != s.e.Offer || r.OrderID != s.e.OrderID {
			t.Errorf("Handle #%d (offer %d) = %+v, %v, want duplicate %v", i, s.e.Offer, r, err, s.duplicate)
		}
	}
	if msgs := outbox.Messages(); len(msgs) != 2 {
		t.Errorf("SMS sent = %d, want one per offer", len(msgs))
	}
}

func TestOrderEventValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*notify.OrderEvent)
	}{
		{"version 1", func(e *notify.OrderEvent) { e.Version = 1 }},
		{"foreign delivery id", func(e *notify.OrderEvent) { e.DeliveryID = market.DeliveryID("01m866a89kz1z7dgmnnrvb7r47459mn758bd") }},
		{"no delivery id", func(e *notify.OrderEvent) { e.DeliveryID = "" }},
		{"offer 0", func(e *notify.OrderEvent) { e.Offer = 0 }},
		{"attempt 0", func(e *notify.OrderEvent) { e.Attempt = 0 }},
		{"reference", func(e *notify.OrderEvent) { e.Reference = "AAAAAAAA" }},
	}
	if err := testEvent().Validate(); err != nil {
		t.Fatalf("Validate(valid) = %v", err)
	}
	c, _ := notify.NewCarrier(notify.NewOutbox(nil), nil, notify.LocalTopicARN, testSite, quiet)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := testEvent()
			tt.change(&e)
			if _, err := c.Handle(context.Background(), e); err == nil {
				t.Errorf("Handle(%+v) = nil error, want the event refused", e)
			}
		})
	}
}

// TestOutboxListsBoth: GET /_local/sms lists topic SMS with topicArn and
// orderId, and direct SMS with phoneNumber, each without the other's
// fields; the console shows a direct SMS with the phone masked and
// without its text.
func TestOutboxListsBoth(t *testing.T) {
	var console strings.Builder
	outbox := notify.NewOutbox(&console)
	ctx := context.Background()
	if _, err := outbox.Publish(ctx, notify.SMS{TopicARN: notify.LocalTopicARN, Message: "Order X", OrderID: "o1"}); err != nil {
		t.Fatal(err)
	}
	if err := outbox.SendText(ctx, "+351910000001", "Your code is 123456."); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	outbox.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/_local/sms", nil))
	var body struct {
		Messages []map[string]any `json:"messages"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusOK || len(body.Messages) != 2 {
		t.Fatalf("GET /_local/sms = %d %s", rec.Code, rec.Body)
	}
	topic, direct := body.Messages[0], body.Messages[1]
	if topic["topicArn"] != notify.LocalTopicARN || topic["orderId"] != "o1" || topic["phoneNumber"] != nil {
		t.Errorf("topic SMS = %v, want topicArn and orderId, no phoneNumber", topic)
	}
	if direct["phoneNumber"] != "+351910000001" || direct["message"] != "Your code is 123456." || direct["topicArn"] != nil || direct["orderId"] != nil {
		t.Errorf("direct SMS = %v, want phoneNumber and message only", direct)
	}
	if out := console.String(); strings.Contains(out, "123456") || strings.Contains(out, "910000001") || !strings.Contains(out, "+35191*****01") {
		t.Errorf("console = %q, want the direct SMS with the phone masked and no text", out)
	}
	outbox.FailWith(fmt.Errorf("sns down"))
	if err := outbox.SendText(ctx, "+351910000001", "x"); err == nil {
		t.Errorf("SendText with SNS down = nil, want the error")
	}
}
