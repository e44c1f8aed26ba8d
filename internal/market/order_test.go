package market_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"plain", "+351912345678", "+351912345678", true},
		{"spaces and hyphens", " +351 912-345 678 ", "+351912345678", true},
		{"parentheses and dots", "+1 (415) 555.2671", "+14155552671", true},
		{"fifteen digits", "+123456789012345", "+123456789012345", true},
		{"seven digits", "+6831234", "+6831234", true},
		{"sixteen digits", "+1234567890123456", "", false},
		{"six digits", "+683123", "", false},
		{"no plus", "351912345678", "", false},
		{"double zero prefix", "00351912345678", "", false},
		{"country code 0", "+0351912345678", "", false},
		{"letters", "+35191234567a", "", false},
		{"two pluses", "++351912345678", "", false},
		{"empty", "", "", false},
		{"newline inside", "+351912\n345678", "", false},
		{"arabic-indic digits", "+٣٥١٩١٢٣٤٥٦٧٨", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := market.NormalizePhone(tt.in)
			if got != tt.want || (err == nil) != tt.ok {
				t.Errorf("NormalizePhone(%q) = %q, %v, want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
			}
			if err != nil && market.ErrorCode(err) != market.CodeInvalid {
				t.Errorf("NormalizePhone(%q) code = %s, want %s", tt.in, market.ErrorCode(err), market.CodeInvalid)
			}
		})
	}
}

func validRequest() market.OrderRequest {
	return market.OrderRequest{
		Items:    []market.Item{{ProductID: 1, Quantity: 1}},
		Customer: market.Customer{Name: "Ana", Phone: "+351912345678", Address: "Rua Augusta 10, Lisboa", Note: "Ring twice"},
	}
}

func TestOrderRequestNormalize(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *market.OrderRequest)
		field  string // "" when valid
	}{
		{"valid", func(*market.OrderRequest) {}, ""},
		{"note optional", func(r *market.OrderRequest) { r.Customer.Note = "" }, ""},
		{"unicode name", func(r *market.OrderRequest) { r.Customer.Name = "Zoë Ångström-Müller 王" }, ""},
		{"no items", func(r *market.OrderRequest) { r.Items = nil }, "items"},
		{"no name", func(r *market.OrderRequest) { r.Customer.Name = "   " }, "customer.name"},
		{"long name", func(r *market.OrderRequest) { r.Customer.Name = strings.Repeat("é", 101) }, "customer.name"},
		{"name at limit", func(r *market.OrderRequest) { r.Customer.Name = strings.Repeat("é", 100) }, ""},
		{"control in name", func(r *market.OrderRequest) { r.Customer.Name = "Ana\x07" }, "customer.name"},
		{"bidi override in name", func(r *market.OrderRequest) { r.Customer.Name = "Ana\u202Egnp.exe" }, "customer.name"},
		{"no address", func(r *market.OrderRequest) { r.Customer.Address = "" }, "customer.address"},
		{"long address", func(r *market.OrderRequest) { r.Customer.Address = strings.Repeat("a", 301) }, "customer.address"},
		{"newline in address", func(r *market.OrderRequest) { r.Customer.Address = "Rua\nAugusta" }, "customer.address"},
		{"long note", func(r *market.OrderRequest) { r.Customer.Note = strings.Repeat("n", 501) }, "customer.note"},
		{"escape in note", func(r *market.OrderRequest) { r.Customer.Note = "\x1b[31mred" }, "customer.note"},
		{"bad phone", func(r *market.OrderRequest) { r.Customer.Phone = "912345678" }, "customer.phone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRequest()
			tt.change(&r)
			_, err := r.Normalize()
			if tt.field == "" {
				if err != nil {
					t.Errorf("Normalize() = %v, want nil", err)
				}
				return
			}
			if got := fieldOf(err); got != tt.field {
				t.Errorf("Normalize() = %v, want an error on %s", err, tt.field)
			}
		})
	}
}

func fieldOf(err error) string {
	me, ok := err.(*market.Error)
	if !ok {
		return ""
	}
	d, _ := me.Details.(map[string]string)
	return d["field"]
}

func TestOrderRequestHash(t *testing.T) {
	a := validRequest()
	b := validRequest()
	b.Items = []market.Item{{ProductID: 1, Quantity: 0 + 1}}
	b.Customer.Phone = "+351 912 345 678"
	b.Customer.Name = "  Ana "
	split := validRequest()
	split.Items = []market.Item{{ProductID: 1, Quantity: 1}}
	na, _ := a.Normalize()
	nb, _ := b.Normalize()
	if na.Hash() != nb.Hash() {
		t.Errorf("Hash of equivalent requests differ: %s, %s", na.Hash(), nb.Hash())
	}
	c := validRequest()
	c.Customer.Address = "Rua Augusta 12, Lisboa"
	nc, _ := c.Normalize()
	if na.Hash() == nc.Hash() {
		t.Errorf("Hash of different addresses is the same")
	}
}

func TestValidateIdempotencyKey(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{"0f8fad5b-d9cb-469f-a165-70867728950e", true},
		{"01HZX3V5J8K9M2N4P6Q8R0S2T4", true},
		{"abc:def_12.3", true},
		{"", false},
		{"short", false},
		{strings.Repeat("k", 128), true},
		{strings.Repeat("k", 129), false},
		{"has space 12345", false},
		{"ключ-ключ-ключ", false},
		{"semi;colon;key", false},
	}
	for _, tt := range tests {
		if err := market.ValidateIdempotencyKey(tt.key); (err == nil) != tt.ok {
			t.Errorf("ValidateIdempotencyKey(%q) = %v, want ok %v", tt.key, err, tt.ok)
		}
	}
	if market.HashIdempotencyKey("Key-12345") == market.HashIdempotencyKey("key-12345") {
		t.Errorf("HashIdempotencyKey is case-insensitive")
	}
}

func TestOrderID(t *testing.T) {
	at := time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	prev := ""
	for i := range 1000 {
		id, err := market.NewOrderID(at.Add(time.Duration(i) * time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if !market.ValidOrderID(id) || seen[id] {
			t.Fatalf("NewOrderID() = %q: valid %v, repeated %v", id, market.ValidOrderID(id), seen[id])
		}
		if id[:10] < prev {
			t.Errorf("NewOrderID time prefix %q sorts before %q", id[:10], prev)
		}
		seen[id], prev = true, id[:10]
	}
	for _, bad := range []string{"", "1", strings.Repeat("a", 35), strings.Repeat("A", 36), strings.Repeat("u", 36), "../../../../../../../../etc/passwd00"} {
		if market.ValidOrderID(bad) {
			t.Errorf("ValidOrderID(%q) = true, want false", bad)
		}
	}
	ref := market.OrderReference("01m866a89kz1z7dgmnnrvb7r47459mn758bc")
	if len(ref) != 8 || strings.Contains(strings.ToLower("01m866a89kz1z7dgmnnrvb7r47459mn758bc"), strings.ToLower(ref)) {
		t.Errorf("OrderReference = %q, want 8 characters not taken from the id", ref)
	}
}

func TestDeliveryArea(t *testing.T) {
	tests := []struct{ address, want string }{
		{"Rua Augusta 10, 1100-053 Lisboa", "Lisboa"},
		{"Rua Augusta 10, São João da Madeira", "Sao Joao da Madeira"},
		{"10 Downing St, London SW1A 2AA", "London SW A AA"},
		{"Main St 1, Springfield, ", "Springfield"},
		{"Hauptstraße 5, Weißenfels", "Weissenfels"},
		{"Call +1 555 0100 now, www.evil.example/x?y", "www evil example x y"},
		{"x, Llanfairpwllgwyngyllgogerychwyndrobwllllantysiliogogogoch", "Llanfairpwllgwyngyll"},
		{"x, Saint-Jean-de-Luz-sur-Mer-et-Ailleurs", "Saint-Jean-de-Luz-su"},
		{"1 Somewhere, Москва", "Somewhere"},
		{"12345", ""},
	}
	for _, tt := range tests {
		got := market.DeliveryArea(tt.address)
		if got != tt.want {
			t.Errorf("DeliveryArea(%q) = %q, want %q", tt.address, got, tt.want)
		}
		if len(got) > 20 || strings.ContainsAny(got, "0123456789+/:.@") {
			t.Errorf("DeliveryArea(%q) = %q: longer than 20 or holds digits or punctuation", tt.address, got)
		}
	}
}

func TestCarrierSMS(t *testing.T) {
	const site = "https://d1234567890abc.cloudfront.net"
	long := strings.Repeat("Extraordinarily Long Company Name ", 4)
	var lines []market.OrderLine
	for i := range 100 {
		lines = append(lines, market.OrderLine{ProductID: int64(i + 1), CompanyName: fmt.Sprintf("%s%d", long, i), Quantity: 999})
	}
	tests := []struct {
		name     string
		order    market.Order
		contains []string
	}{
		{
			name: "small order",
			order: market.Order{Reference: "KQEV81CN", ItemCount: 4, Total: market.MustMoney("33.69"), Currency: "USD", Area: "Lisboa",
				Lines: []market.OrderLine{{CompanyName: "Padaria Sol"}, {CompanyName: "Casa Nonna Kitchen"}, {CompanyName: "Padaria Sol"}}},
			contains: []string{"Order KQEV81CN: 4 items, 33.69 USD.", "Pickup: Padaria Sol, Casa Nonna... Area: Lisboa\n"},
		},
		{
			name:     "one item",
			order:    market.Order{Reference: "AAAAAAAA", ItemCount: 1, Total: market.MustMoney("2.50"), Currency: "EUR", Lines: []market.OrderLine{{CompanyName: "Café Ñandú [Ltd] {x} ~|^€"}}},
			contains: []string{"1 item, 2.50 EUR.", "Pickup: Cafe Nandu Ltd x.", "Area: unknown"},
		},
		{
			name: "many long companies, huge total",
			order: market.Order{Reference: "ZZZZZZZZ", ItemCount: 99900, Total: market.MustMoney("999000000000000.00"), Currency: "USD",
				Area: market.DeliveryArea("x, " + strings.Repeat("Verylongtownname", 4)), Lines: lines},
			contains: []string{"Order ZZZZZZZZ: 99900 items, 999000000000000.00 USD. Area: VerylongtownnameVery\n"},
		},
		{
			name: "long names shortened before any is dropped",
			order: market.Order{Reference: "KQEV81CN", ItemCount: 4, Total: market.MustMoney("33.69"), Currency: "USD", Area: "Lisboa",
				Lines: []market.OrderLine{{CompanyName: "Padaria Sol de Sao Joao Bakery"}, {CompanyName: "Green Basket Grocers of Lisbon"}}},
			contains: []string{"Pickup: Padaria So.., Green Bask...", "Area: Lisboa"},
		},
		{
			name: "some names counted",
			order: market.Order{Reference: "KQEV81CN", ItemCount: 9, Total: market.MustMoney("33.69"), Currency: "USD", Area: "Lisboa",
				Lines: lines[:6]},
			contains: []string{"Pickup: Extraordin.. +5 more.", "Area: Lisboa"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.order.ID = "01m866a89kz1z7dgmnnrvb7r47459mn758bc"
			sms, err := market.NoticeFor(tt.order, site).SMS()
			if err != nil {
				t.Fatalf("SMS() = %v", err)
			}
			link := site + "/carrier.html#d=" + market.DeliveryID(tt.order.ID)
			if !strings.HasSuffix(sms, "\n"+link) {
				t.Errorf("SMS() = %q, want it to end with the whole link %s", sms, link)
			}
			n, ok := market.GSM7Length(sms)
			if !ok || n > market.MaxSMSLength {
				t.Errorf("SMS() = %q: %d GSM-7 characters (encodable %v), want at most %d", sms, n, ok, market.MaxSMSLength)
			}
			for _, want := range tt.contains {
				if !strings.Contains(sms, want) {
					t.Errorf("SMS() = %q, want it to contain %q", sms, want)
				}
			}
		})
	}
}

// TestCarrierSMSHoldsNoCustomerText: whatever the customer types, the SMS
// holds neither their phone number, nor their note, nor their name.
func TestCarrierSMSHoldsNoCustomerText(t *testing.T) {
	req := market.OrderRequest{
		Items: []market.Item{{ProductID: 1, Quantity: 1}},
		Customer: market.Customer{
			Name:    "Mallory Send-Money",
			Phone:   "+15550100999",
			Address: "Visit evil.example or call +1 555 0100 999, Springfield",
			Note:    "URGENT click http://evil.example/pay",
		},
	}
	order := market.Order{Reference: "ABCDEFGH", ItemCount: 1, Total: market.MustMoney("5.00"), Currency: "USD",
		Area: market.DeliveryArea(req.Customer.Address), Lines: []market.OrderLine{{CompanyName: "Padaria Sol"}}}
	sms, err := market.NoticeFor(order, "https://shop.example").SMS()
	if err != nil {
		t.Fatal(err)
	}
	sms, _, _ = strings.Cut(sms, "\n") // the link is the server's
	for _, secret := range []string{"5550100", "0100", "Mallory", "URGENT", "http", "evil", "Visit"} {
		if strings.Contains(sms, secret) {
			t.Errorf("SMS() = %q, holds customer text %q", sms, secret)
		}
	}
}

func TestGSM7Length(t *testing.T) {
	tests := []struct {
		in string
		n  int
		ok bool
	}{
		{"Hello", 5, true},
		{"€10 [x]", 10, true},
		{"Ñandú", 0, false}, // ú is not in GSM-7
		{"Ñandu", 5, true},
		{"emoji 🚚", 0, false},
	}
	for _, tt := range tests {
		n, ok := market.GSM7Length(tt.in)
		if ok != tt.ok || (ok && n != tt.n) {
			t.Errorf("GSM7Length(%q) = %d, %v, want %d, %v", tt.in, n, ok, tt.n, tt.ok)
		}
	}
}

// TestCarrierSMSRefusesABrokenLink: the link is sent whole or not at all.
func TestCarrierSMSRefusesABrokenLink(t *testing.T) {
	notice := market.CarrierNotice{Reference: "KQEV81CN", ItemCount: 4, Total: market.MustMoney("33.69"), Currency: "USD",
		Companies: []string{"Padaria Sol"}, Area: "Lisboa"}
	tests := []struct {
		name, link string
	}{
		{"none", ""},
		{"too long for any SMS", "https://" + strings.Repeat("a", 100) + ".example/carrier.html#d=21ca2fbd786fcff4cae7"},
		{"two-septet character", "https://shop.example/~me/carrier.html#d=21ca2fbd786fcff4cae7"},
		{"not GSM-7", "https://lojá.example/carrier.html#d=21ca2fbd786fcff4cae7"},
		{"space", "https://shop.example/a b/carrier.html#d=21ca2fbd786fcff4cae7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := notice
			n.Link = tt.link
			if sms, err := n.SMS(); err == nil {
				t.Errorf("SMS() with link %q = %q, want an error", tt.link, sms)
			}
		})
	}
}
