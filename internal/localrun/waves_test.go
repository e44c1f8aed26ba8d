package localrun_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/localrun"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/notify/pushlocal"
)

// The customer of the order offered in waves: none of it may reach a
// carrier before the claim, by SMS, by push, or by the API.
const (
	wavesCustomerName    = "Leonor Privada"
	wavesCustomerPhone   = "+351934567812"
	wavesCustomerAddress = "Rua Secreta 77, 1100-053 Lisboa"
	wavesCustomerNote    = "code 4412 at the gate"
)

// shiftCarrier is a carrier the test puts on shift at a position.
type shiftCarrier struct {
	id    int64
	phone string
	token string
	at    market.Location
}

// TestWavesThroughTheRunner: an order placed with the runner's waves goes
// to the nearest carriers on shift alone, by push to the one subscribed
// and by SMS to the other; what they are sent holds nothing of its
// customer; and a carrier on shift outside the wave cannot
// see, open or claim it until it is broadcast.
func TestWavesThroughTheRunner(t *testing.T) {
	ctx := context.Background()
	db, keyring := newDemoDB(t)
	if _, err := demo.SeedArea(ctx, db); err != nil {
		t.Fatal(err)
	}
	settings := market.DefaultDispatchSettings()
	settings.WaveSize = 2
	r := startRunnerWith(t, localrun.Config{DB: db, Currency: "USD", Logger: slog.New(slog.DiscardHandler), Keyring: keyring, Dispatch: settings})

	// Padaria Sol, the first pickup of product 1, is at 38.7139,-9.1394;
	// 0.009° of latitude is 1 km.
	shop := demo.Companies[0].Location
	carriers := onShift(t, r, mysql.NewCarrierStore(db), []market.Location{
		{Lat: shop.Lat + 0.0018, Lng: shop.Lng}, // 0.2 km
		{Lat: shop.Lat - 0.0036, Lng: shop.Lng}, // 0.4 km
		{Lat: shop.Lat + 0.018, Lng: shop.Lng},  // 2 km: the next wave's
	})
	nearest, outside := carriers[:2], carriers[2]
	// The second nearest has subscribed to push on the carrier page.
	const endpoint = "https://push.example.net/send/wave-carrier-1"
	agent, sub, err := pushlocal.NewUserAgent(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if err := mysql.NewPushStore(db).Save(ctx, nearest[1].id, sub, time.Now()); err != nil {
		t.Fatal(err)
	}

	body := fmt.Sprintf(`{"items":[{"productId":1,"quantity":2}],"customer":{"name":%q,"phone":%q,"address":%q,"note":%q,
		"location":{"lat":38.7105,"lng":-9.1365}}}`, wavesCustomerName, wavesCustomerPhone, wavesCustomerAddress, wavesCustomerNote)
	resp, placed := r.do(t, http.MethodPost, "/api/orders", map[string]string{"Idempotency-Key": "waves-privacy-0001"}, body)
	var order struct {
		OrderID string `json:"orderId"`
	}
	if err := json.Unmarshal([]byte(placed), &order); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/orders = %d %s", resp.StatusCode, placed)
	}
	r.m.Wait()
	deliveryID := market.DeliveryID(order.OrderID)

	// Wave 1: a push to the subscribed carrier and an SMS to the other of
	// the two nearest, none to the topic or to the carrier further away.
	secrets := []string{wavesCustomerName, "Leonor", wavesCustomerPhone, "934567812", "Secreta", wavesCustomerNote, "4412"}
	var texted []string
	for _, m := range r.m.Outbox.Messages() {
		if m.TopicARN != "" {
			t.Errorf("the order was broadcast at once: %+v", m)
		}
		texted = append(texted, m.PhoneNumber)
		for _, secret := range secrets {
			if strings.Contains(m.Message, secret) {
				t.Errorf("an offer SMS carries the customer's %q: %q", secret, m.Message)
			}
		}
		if !strings.Contains(m.Message, "#d="+deliveryID) {
			t.Errorf("an offer SMS without the order's link: %q", m.Message)
		}
	}
	slices.Sort(texted)
	if want := []string{nearest[0].phone}; !slices.Equal(texted, want) {
		t.Errorf("SMS went to %v, want the nearest without push, %v", texted, want)
	}
	bodies := r.m.Push.Bodies(endpoint)
	if len(bodies) != 1 {
		t.Fatalf("pushes to the subscribed carrier = %d, want 1", len(bodies))
	}
	pushed, err := agent.Decrypt(bodies[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(pushed), deliveryID) {
		t.Errorf("the push does not link the order: %s", pushed)
	}
	for _, secret := range secrets {
		if strings.Contains(string(pushed), secret) {
			t.Errorf("the push carries the customer's %q: %s", secret, pushed)
		}
	}
	offers, err := mysql.NewOfferStore(db).Offers(ctx, order.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	if len(offers) != 2 || offers[0].State != market.OfferSent || offers[1].State != market.OfferSent {
		t.Errorf("offers recorded = %+v, want two sent in wave 1", offers)
	}

	// Who sees the order before its broadcast.
	for _, tt := range []struct {
		name   string
		c      shiftCarrier
		status int
	}{
		{"offered", nearest[0], http.StatusOK},
		{"outside the wave", outside, http.StatusNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			auth := map[string]string{"Authorization": "Bearer " + tt.c.token}
			if resp, body := r.do(t, http.MethodGet, "/api/carrier/orders/"+deliveryID, auth, ""); resp.StatusCode != tt.status {
				t.Errorf("GET the order = %d %s, want %d", resp.StatusCode, body, tt.status)
			} else if strings.Contains(body, wavesCustomerName) || strings.Contains(body, wavesCustomerPhone) {
				t.Errorf("GET the order before a claim shows the customer: %s", body)
			}
			_, list := r.do(t, http.MethodGet, "/api/carrier/orders?view=available", auth, "")
			if listed := strings.Contains(list, deliveryID); listed != (tt.status == http.StatusOK) {
				t.Errorf("available list = %s; listed %v, want %v", list, listed, tt.status == http.StatusOK)
			}
		})
	}
	auth := map[string]string{"Authorization": "Bearer " + outside.token}
	if resp, body := r.do(t, http.MethodPost, "/api/carrier/orders/"+deliveryID+"/claim", auth, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a claim from outside the wave = %d %s, want 404", resp.StatusCode, body)
	}
}

// onShift adds a carrier for each position and puts it on shift there
// through the API, as the carrier page does.
func onShift(t *testing.T, r runner, carriers *mysql.CarrierStore, at []market.Location) []shiftCarrier {
	t.Helper()
	ctx := context.Background()
	var out []shiftCarrier
	for i, p := range at {
		c, err := market.NewCarrier(fmt.Sprintf("Wave carrier %d", i), fmt.Sprintf("+35192000%04d", i))
		if err != nil {
			t.Fatal(err)
		}
		if c, err = carriers.AddCarrier(ctx, c); err != nil {
			t.Fatal(err)
		}
		token, err := r.keyring.MintCarrier(c.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		auth := map[string]string{"Authorization": "Bearer " + token}
		if resp, body := r.do(t, http.MethodPost, "/api/carrier/shift", auth, `{"onShift":true}`); resp.StatusCode != http.StatusOK {
			t.Fatalf("POST /api/carrier/shift = %d %s", resp.StatusCode, body)
		}
		if resp, body := r.do(t, http.MethodPost, "/api/carrier/location", auth,
			fmt.Sprintf(`{"lat":%v,"lng":%v,"accuracy":12}`, p.Lat, p.Lng)); resp.StatusCode != http.StatusOK {
			t.Fatalf("POST /api/carrier/location = %d %s", resp.StatusCode, body)
		}
		out = append(out, shiftCarrier{id: c.ID, phone: c.Phone, token: token, at: p})
	}
	return out
}
