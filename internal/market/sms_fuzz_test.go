package market_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/deliverymarket/delivery/internal/market"
)

// requireOneSMS fails unless text is one plain GSM-7 SMS: every character
// in the alphabet and at most MaxSMSLength septets.
func requireOneSMS(t *testing.T, what, text string) {
	t.Helper()
	n, ok := market.GSM7Length(text)
	if !ok {
		t.Fatalf("%s %q is not GSM-7", what, text)
	}
	if n > market.MaxSMSLength || len(text) > market.MaxSMSLength {
		t.Fatalf("%s %q is %d septets (%d bytes), over %d", what, text, n, len(text), market.MaxSMSLength)
	}
}

// FuzzSMS feeds the SMS composers any input. CarrierNotice.SMS gets
// notices built by anyone ("whoever built the notice"): it never panics; a
// text is one GSM-7 SMS ending in the whole link, whose area carries no
// digits, and it refuses only a link that cannot travel or parts that
// cannot fit. The texts sent to one phone (the sign-in code, made from
// items, and the cancel notice, from ref) are each one GSM-7 SMS too.
func FuzzSMS(f *testing.F) {
	link := market.ClaimLink("https://d111111abcdef8.cloudfront.net", market.DeliveryID("x"))
	f.Add("K7Q2M9XD", 3, "42.50", "USD", "Padaria Sol\nCasa Nonna Kitchen", "Lisboa", link)
	f.Add("K7Q2M9XD", 1, "0.01", "EUR", "Ünïcödé Bäckerei & Søn\nΔelta {Foods}", "São João da Madeira", link)
	f.Add("", 0, "-1", "", "", "", link)
	f.Add("ORDER-REF-TOO-LONG", 99900, "99900000000.00", "WWWW", strings.Repeat("Company name that is long\n", 30), strings.Repeat("W", 40), link)
	f.Add("K7Q2M9XD", 2, "1", "USD", "A", "+351 912 345 678", "https://example.com/carrier.html#d=with space")
	f.Add("K7Q2M9XD", 2, "1", "USD", "A", "Lisboa", "")
	f.Add("K7Q2M9XD", 2, "1", "USD", "A", "Lisboa", "https://shop.example/ĉ")
	f.Add("K7Q2M9XD", 2, "1", "USD", "`[\\]^{|}~", "\u202e\u0000", link)
	f.Fuzz(func(t *testing.T, ref string, items int, total, currency, companies, area, link string) {
		checkDirectSMS(t, items, ref)
		amount, err := decimal.NewFromString(total)
		if err != nil {
			amount = decimal.Zero
		}
		n := market.CarrierNotice{
			Reference: ref, ItemCount: items, Total: market.NewMoney(amount), Currency: currency,
			Area: area, Link: link,
		}
		if companies != "" {
			n.Companies = strings.Split(companies, "\n")
		}
		text, err := n.SMS()
		if err != nil {
			// Only a link that is not plain GSM-7, or a notice whose fixed
			// parts are longer than any SMS, may be refused.
			plain := link != "" && !strings.ContainsFunc(link, func(r rune) bool {
				return r <= ' ' || r > '~' || strings.ContainsRune("`[\\]^{|}~", r)
			})
			small := items >= 0 && items <= market.MaxDistinctProducts*market.MaxQuantity &&
				amount.Abs().LessThan(decimal.NewFromInt(1e12)) && len(link) <= 60
			if plain && small {
				t.Fatalf("%+v.SMS(): %v", n, err)
			}
			return
		}
		requireOneSMS(t, "CarrierNotice.SMS", text)
		if !strings.HasSuffix(text, "\n"+link) || strings.Count(text, "\n") != 1 {
			t.Fatalf("%+v.SMS() = %q: the link is not whole on the last line", n, text)
		}
		head := strings.TrimSuffix(text, "\n"+link)
		// Company names may hold " Area: " too; the area is the last part.
		i := strings.LastIndex(head, " Area: ")
		if i < 0 {
			t.Fatalf("%+v.SMS() = %q: no area", n, text)
		}
		areaPart := head[i+len(" Area: "):]
		if strings.ContainsAny(areaPart, "0123456789+@/:") {
			t.Fatalf("%+v.SMS() = %q: the area %q carries digits or an address", n, text, areaPart)
		}
	})
}

// checkDirectSMS checks the texts sent to one phone: the sign-in code
// (six digits made from n) and the cancel notice of reference.
func checkDirectSMS(t *testing.T, n int, reference string) {
	t.Helper()
	if n < 0 {
		n = -(n + 1)
	}
	code := fmt.Sprintf("%06d", n%1_000_000)
	text := market.SignInCodeSMS(code)
	requireOneSMS(t, "SignInCodeSMS", text)
	if !strings.Contains(text, " "+code+".") {
		t.Fatalf("SignInCodeSMS(%q) = %q: no code", code, text)
	}
	requireOneSMS(t, "CancelNoticeSMS", market.CancelNoticeSMS(reference))
	if ref := market.OrderReference(reference); !strings.Contains(market.CancelNoticeSMS(ref), "Order "+ref+" ") {
		t.Fatalf("CancelNoticeSMS(%q) = %q: no reference", ref, market.CancelNoticeSMS(ref))
	}
}
