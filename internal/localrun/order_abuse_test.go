package localrun_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/localrun"
	"github.com/deliverymarket/delivery/internal/market"
)

// These tests flood the runner with orders, and hoard orders as a
// carrier, over HTTP only, with the limits the runner has by default.

// orderAnswer is one answer to an order route.
type orderAnswer struct {
	answer
	replayed bool
	order    struct {
		ID     string `json:"orderId"`
		Status string `json:"status"`
	}
	err struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	}
}

// request sends one request from c with headers and decodes the answer.
func (c client) request(t *testing.T, method, path string, headers map[string]string, body string) orderAnswer {
	t.Helper()
	req, err := http.NewRequest(method, c.r.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := orderAnswer{answer: answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: string(b)},
		replayed: resp.Header.Get("Idempotent-Replayed") == "true"}
	var envelope struct {
		Error *json.RawMessage `json:"error"`
	}
	if json.Unmarshal(b, &envelope) == nil && envelope.Error != nil {
		if err := json.Unmarshal(*envelope.Error, &a.err); err != nil {
			t.Fatalf("error body %s: %v", b, err)
		}
	} else if err := json.Unmarshal(b, &a.order); err != nil {
		t.Fatalf("%s %s answered %d %s", method, path, resp.StatusCode, b)
	}
	return a
}

// order places an order for phone with key.
func (c client) order(t *testing.T, key, phone string) orderAnswer {
	t.Helper()
	body := fmt.Sprintf(`{"items":[{"productId":1,"quantity":1}],"customer":{"name":"Ana","phone":%q,"address":"Rua Augusta 10, Lisboa"}}`, phone)
	return c.request(t, http.MethodPost, "/api/orders", map[string]string{"Idempotency-Key": key}, body)
}

// orderPhone is the nth of many customers' phones.
func orderPhone(n int) string { return fmt.Sprintf("+35191300%04d", n) }

// A flood from one address: the first OrdersPerClient orders are placed,
// the rest refused with Retry-After and a message that says which limit;
// carriers were texted for the placed orders only; a retry of a placed
// order still answers with it, and another address orders as before.
func TestOrderFlood(t *testing.T) {
	t.Parallel()
	r := newLimitedRunner(t)
	flood := clientAt(t, r, "127.0.0.2")
	bound := app.DefaultLimits.OrdersPerClient.Max
	placed := map[string]bool{}
	var first orderAnswer
	for i := range bound + 10 {
		a := flood.order(t, fmt.Sprintf("flood-key-%04d", i), orderPhone(i))
		if i == 0 {
			first = a
		}
		if i < bound {
			if a.status != http.StatusCreated {
				t.Fatalf("order %d = %d %s, want 201", i+1, a.status, a.body)
			}
			placed[a.order.ID] = true
			continue
		}
		wantThrottled(t, fmt.Sprintf("order %d", i+1), a.answer)
		if !strings.Contains(a.err.Message, "too many orders from this address") {
			t.Errorf("order %d: message %q does not say which limit", i+1, a.err.Message)
		}
	}
	if len(placed) != bound {
		t.Fatalf("%d orders placed, want %d", len(placed), bound)
	}

	again := flood.order(t, "flood-key-0000", orderPhone(0))
	if again.status != http.StatusCreated || !again.replayed || again.order.ID != first.order.ID {
		t.Errorf("a retry of the first order over the limit = %d %s (replayed %v), want it again", again.status, again.body, again.replayed)
	}
	if a := clientAt(t, r, "127.0.0.3").order(t, "other-client-0001", orderPhone(999)); a.status != http.StatusCreated {
		t.Errorf("another address = %d %s, want 201", a.status, a.body)
	} else {
		placed[a.order.ID] = true
	}

	r.m.Wait()
	texted := 0
	for _, msg := range r.m.Outbox.Messages() {
		if msg.TopicARN == "" {
			continue
		}
		texted++
		if !placed[msg.OrderID] {
			t.Errorf("carriers were texted for an order that was not placed: %s", msg.Message)
		}
	}
	if texted > len(placed) {
		t.Errorf("%d SMS to the carriers for %d orders placed", texted, len(placed))
	}
}

// One phone with five open orders is refused a sixth, whoever asks, with
// a message that names the limit and not the phone; a retry of an order
// it placed still answers; a cancelled order frees a place.
func TestOpenOrdersOfOnePhone(t *testing.T) {
	t.Parallel()
	r := newLimitedRunner(t)
	bound := app.DefaultLimits.OpenOrdersPerPhone
	phone := "+351913555777"
	var orders []orderAnswer
	for i := range bound {
		c := clientAt(t, r, fmt.Sprintf("127.0.0.%d", 10+i))
		a := c.order(t, fmt.Sprintf("phone-key-%04d", i), phone)
		if a.status != http.StatusCreated {
			t.Fatalf("open order %d = %d %s, want 201", i+1, a.status, a.body)
		}
		orders = append(orders, a)
	}
	shopper := clientAt(t, r, "127.0.0.20")
	over := shopper.order(t, "phone-key-over", phone)
	wantThrottled(t, "a sixth open order", over.answer)
	if !strings.Contains(over.err.Message, fmt.Sprintf("already has %d orders that are not yet delivered or cancelled", bound)) ||
		strings.Contains(over.body, phone) || strings.Contains(over.body, "5555777") {
		t.Errorf("the refusal %s should name the limit and never the phone", over.body)
	}

	again := shopper.order(t, "phone-key-0004", phone)
	if again.status != http.StatusCreated || !again.replayed || again.order.ID != orders[4].order.ID {
		t.Errorf("a retry of the fifth order = %d %s (replayed %v), want it again", again.status, again.body, again.replayed)
	}

	if a := shopper.request(t, http.MethodPost, "/api/orders/"+orders[0].order.ID+"/cancel", nil, ""); a.status != http.StatusOK {
		t.Fatalf("cancel = %d %s", a.status, a.body)
	}
	if a := shopper.order(t, "phone-key-over", phone); a.status != http.StatusCreated || a.replayed {
		t.Errorf("after a cancel, the refused key = %d %s (replayed %v), want a new order", a.status, a.body, a.replayed)
	}
}

// A carrier holds at most CarrierOrders orders: the next claim is 409
// carrier_limit, saying the limit and carrying no customer's details. Its
// releases within the hour are counted, and one too many is 429.
func TestCarrierHoarding(t *testing.T) {
	t.Parallel()
	db, keyring := newDemoDB(t)
	r := startRunnerWith(t, localrun.Config{DB: db, Currency: "USD", Logger: slog.New(slog.DiscardHandler), Keyring: keyring, Limits: app.DefaultLimits})
	shops := clientAt(t, r, "127.0.0.30")
	var ids []string
	for i := range 4 {
		a := shops.order(t, fmt.Sprintf("hoard-key-%04d", i), orderPhone(500+i))
		if a.status != http.StatusCreated {
			t.Fatalf("order %d = %d %s", i+1, a.status, a.body)
		}
		ids = append(ids, a.order.ID)
	}
	var deliveryIDs []string
	for _, id := range ids {
		deliveryIDs = append(deliveryIDs, market.DeliveryID(id))
	}
	token, err := r.keyring.MintCarrier(1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	carrier := clientAt(t, r, "127.0.0.31")
	auth := map[string]string{"Authorization": "Bearer " + token}
	act := func(action, deliveryID string) orderAnswer {
		t.Helper()
		return carrier.request(t, http.MethodPost, "/api/carrier/orders/"+deliveryID+"/"+action, auth, "")
	}
	bound := app.DefaultLimits.CarrierOrders
	for i := range bound {
		if a := act("claim", deliveryIDs[i]); a.status != http.StatusOK {
			t.Fatalf("claim %d = %d %s, want 200", i+1, a.status, a.body)
		}
	}
	over := act("claim", deliveryIDs[bound])
	if over.status != http.StatusConflict || over.err.Code != "carrier_limit" ||
		!strings.Contains(over.err.Message, fmt.Sprintf("%d orders", bound)) {
		t.Errorf("claim %d = %d %s, want 409 carrier_limit naming the limit", bound+1, over.status, over.body)
	}
	for _, private := range []string{"customer", "Ana", "Rua Augusta", orderPhone(500 + bound)} {
		if strings.Contains(over.body, private) {
			t.Errorf("the refused claim shows %q: %s", private, over.body)
		}
	}

	releases := app.DefaultLimits.ReleasesPerCarrier.Max
	held := deliveryIDs[0]
	for i := range releases {
		if a := act("release", held); a.status != http.StatusOK {
			t.Fatalf("release %d = %d %s, want 200", i+1, a.status, a.body)
		}
		if a := act("claim", held); a.status != http.StatusOK {
			t.Fatalf("claim after release %d = %d %s, want 200", i+1, a.status, a.body)
		}
	}
	extra := act("release", held)
	wantThrottled(t, fmt.Sprintf("release %d within the hour", releases+1), extra.answer)
	if !strings.Contains(extra.err.Message, "release at most") {
		t.Errorf("the refused release says %q, not which limit", extra.err.Message)
	}
	var counted int
	if err := db.Get(&counted, `SELECT releases FROM carriers WHERE id = 1`); err != nil || counted != releases {
		t.Errorf("carrier's releases = %d, %v; want %d", counted, err, releases)
	}
}
