package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/notify"
)

// shop is the placeorder function as deployed, on a fresh seeded database,
// with the in-process notifier and SMS outbox of the local runner.
type shop struct {
	db         *sqlx.DB
	outbox     *notify.Outbox
	dispatcher *notify.Dispatcher
	invoker    *notify.LocalInvoker
	handler    notify.PlaceOrderEvents
	clock      *testClock
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return time.Now()
	}
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testSite is where the carriers' SMS link to in these tests.
const testSite = "http://localhost:8080"

func newShop(t *testing.T) *shop {
	t.Helper()
	db := dbtest.MustOpenDB(t)
	if _, err := demo.SeedIfEmpty(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	s := &shop{db: db, outbox: notify.NewOutbox(nil), clock: &testClock{}}
	var err error
	s.dispatcher, s.invoker, err = notify.NewLocal(mysql.NewOrderStore(db), s.outbox, nil, testSite, quiet)
	if err != nil {
		t.Fatal(err)
	}
	s.dispatcher.SetClock(s.clock.Now)
	deps := app.Deps{DB: db, Currency: "USD", Logger: quiet, Notifier: s.dispatcher}
	s.handler = notify.PlaceOrderEvents{API: app.PlaceOrder(deps).Handle, Dispatcher: s.dispatcher}
	t.Cleanup(s.invoker.Wait)
	return s
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// invoke sends a raw event to the placeorder handler, as Lambda does.
func (s *shop) invoke(t *testing.T, raw []byte) (any, error) {
	t.Helper()
	return s.handler.Handle(context.Background(), raw)
}

func (s *shop) api(t *testing.T, event events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	t.Helper()
	raw, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.invoke(t, raw)
	if err != nil {
		t.Fatalf("Handle = %v", err)
	}
	return out.(events.APIGatewayProxyResponse)
}

// post sends testdata/place-order.json with key (none when empty) and
// body (the file's when empty).
func (s *shop) post(t *testing.T, key, body string) events.APIGatewayProxyResponse {
	t.Helper()
	var event events.APIGatewayProxyRequest
	if err := json.Unmarshal(readTestdata(t, "place-order.json"), &event); err != nil {
		t.Fatal(err)
	}
	delete(event.Headers, "Idempotency-Key")
	delete(event.MultiValueHeaders, "Idempotency-Key")
	if key != "" {
		event.Headers["idempotency-key"] = key // API Gateway keeps the client's case
	}
	if body != "" {
		event.Body = body
	}
	return s.api(t, event)
}

func (s *shop) get(t *testing.T, id string) events.APIGatewayProxyResponse {
	t.Helper()
	var event events.APIGatewayProxyRequest
	if err := json.Unmarshal(readTestdata(t, "get-order.json"), &event); err != nil {
		t.Fatal(err)
	}
	event.Path = "/api/orders/" + id
	event.PathParameters["orderId"] = id
	return s.api(t, event)
}

type orderBody struct {
	market.Order
	Notification *market.Notification `json:"notification"`
	Error        *struct {
		Code    string          `json:"code"`
		Details json.RawMessage `json:"details"`
	} `json:"error"`
}

func decodeOrder(t *testing.T, resp events.APIGatewayProxyResponse) orderBody {
	t.Helper()
	var b orderBody
	if err := json.Unmarshal([]byte(resp.Body), &b); err != nil {
		t.Fatalf("body %s: %v", resp.Body, err)
	}
	return b
}

func (s *shop) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := s.db.Get(&n, `SELECT COUNT(*) FROM `+table); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTwentyConcurrentRetries(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	const n = 20
	resps := make([]events.APIGatewayProxyResponse, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { resps[i] = s.post(t, "7d444840-9dc0-11d1-b245-5ffdce74fad2", "") })
	}
	wg.Wait()
	s.invoker.Wait()
	first := decodeOrder(t, resps[0])
	for i, r := range resps {
		got := decodeOrder(t, r)
		if r.StatusCode != http.StatusCreated || got.ID == "" || got.ID != first.ID {
			t.Errorf("POST #%d = %d %s, want 201 with order %s", i, r.StatusCode, r.Body, first.ID)
		}
	}
	if got := s.count(t, "orders"); got != 1 {
		t.Errorf("orders = %d, want 1", got)
	}
	msgs := s.outbox.Messages()
	if len(msgs) != 1 || msgs[0].OrderID != first.ID {
		t.Fatalf("SMS sent = %+v, want one for order %s", msgs, first.ID)
	}
	if first.Total.String() != "15.19" || first.ItemCount != 3 || first.Status != "placed" || first.Currency != "USD" || first.CreatedAt.IsZero() {
		t.Errorf("order = %+v, want 3 items, 15.19 USD, placed", first.Order)
	}
	sms := msgs[0].Message
	for _, private := range []string{"912345678", "Ana", "Ring", "Augusta"} {
		if strings.Contains(sms, private) {
			t.Errorf("SMS %q holds customer text %q", sms, private)
		}
	}
	if n, ok := market.GSM7Length(sms); !ok || n > 160 || !strings.Contains(sms, first.Reference) {
		t.Errorf("SMS %q: %d GSM-7 characters, want at most 160 naming %s", sms, n, first.Reference)
	}
	if link := testSite + "/carrier.html#d=" + market.DeliveryID(first.ID); !strings.HasSuffix(sms, "\n"+link) || strings.Contains(sms, first.ID) {
		t.Errorf("SMS %q, want it to end with the link %s and never name the order id", sms, link)
	}
	if msgs[0].TopicARN != notify.LocalTopicARN || msgs[0].PhoneNumber != "" {
		t.Errorf("SMS sent to %+v, want the carriers' topic", msgs[0])
	}
	got := decodeOrder(t, s.get(t, first.ID))
	if got.Notification == nil || got.Notification.Status != market.NotifyNotified || got.Notification.Attempts != 1 {
		t.Errorf("GET notification = %+v, want notified after 1 attempt", got.Notification)
	}
	if strings.Contains(s.get(t, first.ID).Body, "912345678") {
		t.Errorf("GET shows the customer's phone")
	}
}

func TestSameKeyOtherBody(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	if r := s.post(t, "key-conflict-1", ""); r.StatusCode != http.StatusCreated {
		t.Fatalf("POST = %d %s", r.StatusCode, r.Body)
	}
	other := `{"items":[{"productId":2,"quantity":1}],"customer":{"name":"Ana Silva","phone":"+351912345678","address":"Rua Augusta 10, Lisboa"}}`
	r := s.post(t, "key-conflict-1", other)
	if b := decodeOrder(t, r); r.StatusCode != http.StatusConflict || b.Error == nil || b.Error.Code != "conflict" {
		t.Errorf("POST(same key, other body) = %d %s, want 409 conflict", r.StatusCode, r.Body)
	}
	if r := s.post(t, "key-conflict-1", ""); r.StatusCode != http.StatusCreated || r.Headers["Idempotent-Replayed"] != "true" {
		t.Errorf("POST(same key, same body) = %d %v, want 201 replayed", r.StatusCode, r.Headers)
	}
}

func TestPlaceOrderValidation(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	tests := []struct {
		name, key, body string
		status          int
		code            string
	}{
		{"no key", "", "", http.StatusBadRequest, "invalid_request"},
		{"short key", "abc", "", http.StatusBadRequest, "invalid_request"},
		{"bad phone", "key-validation-1", `{"items":[{"productId":1,"quantity":1}],"customer":{"name":"A","phone":"912345678","address":"x"}}`, http.StatusBadRequest, "invalid_request"},
		{"unknown field", "key-validation-2", `{"items":[{"productId":1,"quantity":1}],"customer":{"name":"A","phone":"+351912345678","address":"x","email":"a@b"}}`, http.StatusBadRequest, "invalid_request"},
		{"unknown product", "key-validation-3", `{"items":[{"productId":999,"quantity":1}],"customer":{"name":"A","phone":"+351912345678","address":"x"}}`, http.StatusUnprocessableEntity, "unavailable_products"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.post(t, tt.key, tt.body)
			if b := decodeOrder(t, r); r.StatusCode != tt.status || b.Error == nil || b.Error.Code != tt.code {
				t.Errorf("POST = %d %s, want %d %s", r.StatusCode, r.Body, tt.status, tt.code)
			}
		})
	}
	if got := s.count(t, "orders"); got != 0 {
		t.Errorf("orders = %d, want 0", got)
	}
}

func TestInactiveProduct(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	if _, err := s.db.Exec(`UPDATE products SET active = FALSE WHERE id = 9`); err != nil {
		t.Fatal(err)
	}
	r := s.post(t, "key-inactive-1", "")
	b := decodeOrder(t, r)
	if r.StatusCode != http.StatusUnprocessableEntity || b.Error == nil || string(b.Error.Details) != `{"productIds":[9]}` {
		t.Errorf("POST(inactive) = %d %s, want 422 naming product 9", r.StatusCode, r.Body)
	}
	if len(s.outbox.Messages()) != 0 || s.count(t, "orders") != 0 {
		t.Errorf("a refused order was stored or notified")
	}
}

// TestPriceChangedBetweenQuoteAndOrder: the order is priced at placement,
// with the quote's code, and answers with that price.
func TestPriceChangedBetweenQuoteAndOrder(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	pricer := market.Pricer{Products: mysql.NewProductStore(s.db), Currency: "USD"}
	quote, err := pricer.Quote(context.Background(), []market.Item{{ProductID: 1, Quantity: 2}, {ProductID: 9, Quantity: 1}})
	if err != nil || quote.Total.String() != "15.19" {
		t.Fatalf("Quote = %v, %v", quote.Total, err)
	}
	if _, err := s.db.Exec(`UPDATE products SET price = 7.00, version = version + 1 WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	r := s.post(t, "key-price-1", "")
	b := decodeOrder(t, r)
	if r.StatusCode != http.StatusCreated || b.Total.String() != "16.19" || b.Lines[0].UnitPrice.String() != "7.00" || b.Lines[0].LineTotal.String() != "14.00" {
		t.Errorf("POST after a price change = %d %s, want total 16.19 at 7.00", r.StatusCode, r.Body)
	}
	s.invoker.Wait()
	if sms := s.outbox.Messages(); len(sms) != 1 || !strings.Contains(sms[0].Message, "16.19 USD") {
		t.Errorf("SMS = %+v, want the placed total", sms)
	}
}

// TestSNSFailingIsRetried: SNS down → the order is still stored and
// answered 201, shows failed on GET, and the sweep sends the SMS once SNS
// is back.
func TestSNSFailingIsRetried(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	s.outbox.FailWith(errors.New("sns: InternalError"))
	r := s.post(t, "key-sns-down", "")
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("POST with SNS down = %d %s, want 201", r.StatusCode, r.Body)
	}
	id := decodeOrder(t, r).ID
	s.invoker.Wait()
	n := decodeOrder(t, s.get(t, id)).Notification
	if n == nil || n.Status != market.NotifyFailed || n.Attempts != 1 || n.LastError == nil || *n.LastError != notify.ReasonDelivery || n.NextAttemptAt == nil {
		t.Fatalf("GET with SNS down = %+v, want failed after 1 attempt with a retry time", n)
	}
	if strings.Contains(s.get(t, id).Body, "InternalError") {
		t.Errorf("GET shows the error text")
	}
	// Not due yet: the sweep leaves it alone.
	if out, err := s.invoke(t, []byte(`{"action":"sweep"}`)); err != nil || out.(notify.SweepReport).HandedOff != 0 {
		t.Errorf("early sweep = %+v, %v, want nothing handed off", out, err)
	}
	s.outbox.FailWith(nil)
	s.clock.Set(n.NextAttemptAt.Add(time.Second))
	out, err := s.invoke(t, readTestdata(t, "scheduled-event.json"))
	if err != nil || out.(notify.SweepReport).HandedOff != 1 {
		t.Fatalf("sweep = %+v, %v, want one hand-off", out, err)
	}
	s.invoker.Wait()
	n = decodeOrder(t, s.get(t, id)).Notification
	if n.Status != market.NotifyNotified || n.Attempts != 2 || n.NotifiedAt == nil || n.LastError != nil {
		t.Errorf("GET after the retry = %+v, want notified after 2 attempts", n)
	}
	if msgs := s.outbox.Messages(); len(msgs) != 1 {
		t.Errorf("SMS sent = %d, want 1", len(msgs))
	}
}

// refusingInvoker fails every hand-off, as when the Lambda endpoint is
// unreachable; acceptingInvoker accepts every event and reports nothing.
type refusingInvoker struct{}

func (refusingInvoker) Invoke(context.Context, notify.OrderEvent) error {
	return errors.New("dial tcp: i/o timeout")
}

type acceptingInvoker struct {
	mu     sync.Mutex
	events []notify.OrderEvent
}

func (a *acceptingInvoker) Invoke(_ context.Context, e notify.OrderEvent) error {
	a.mu.Lock()
	a.events = append(a.events, e)
	a.mu.Unlock()
	return nil
}

func placeWith(t *testing.T, inv notify.Invoker) (*sqlx.DB, *notify.Dispatcher, *testClock, string) {
	t.Helper()
	db := dbtest.MustOpenDB(t)
	if _, err := demo.SeedIfEmpty(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	store := mysql.NewOrderStore(db)
	d := notify.NewDispatcher(store, inv, quiet)
	clock := &testClock{}
	d.SetClock(clock.Now)
	checkout := market.Checkout{Orders: store, Currency: "USD", Notifier: d}
	o, _, err := checkout.Place(context.Background(), "192.0.2.1", "key-handoff-1", market.OrderRequest{
		Items:    []market.Item{{ProductID: 1, Quantity: 1}},
		Customer: market.Customer{Name: "Ana", Phone: "+351912345678", Address: "Lisboa"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return db, d, clock, o.ID
}

func TestHandOffFailureStaysVisible(t *testing.T) {
	t.Parallel()
	db, _, _, id := placeWith(t, refusingInvoker{})
	o, err := mysql.NewOrderStore(db).Order(context.Background(), id)
	if err != nil {
		t.Fatalf("a failed hand-off lost the order: %v", err)
	}
	if n := o.Notification; n.Status != market.NotifyFailed || n.HandedOffAt != nil || *n.LastError != notify.ReasonHandOff {
		t.Errorf("notification = %+v, want failed, never handed off", n)
	}
}

// TestUnconfirmedHandOffIsRetried: an order handed off whose outcome
// never comes back is handed off again after ConfirmTimeout, not before,
// and by one sweep only.
func TestUnconfirmedHandOffIsRetried(t *testing.T) {
	t.Parallel()
	inv := &acceptingInvoker{}
	db, d, clock, id := placeWith(t, inv)
	o, _ := mysql.NewOrderStore(db).Order(context.Background(), id)
	if o.Notification.Status != market.NotifyHandedOff || len(inv.events) != 1 {
		t.Fatalf("after placing: %+v, %d events, want handed off once", o.Notification, len(inv.events))
	}
	clock.Set(o.Notification.HandedOffAt.Add(notify.ConfirmTimeout - time.Second))
	// Past OfferAgainAfter, so that sweep also offers the order again: an
	// offer that is not an attempt of the first one, and is made once.
	if r, _ := d.Sweep(context.Background()); r.HandedOff != 0 || r.OfferedAgain != 1 {
		t.Errorf("Sweep before ConfirmTimeout = %+v, want nothing handed off, the order offered again", r)
	}
	clock.Set(o.Notification.HandedOffAt.Add(notify.ConfirmTimeout + time.Second))
	// Concurrent sweeps are kept apart by MySQL's atomic conditional
	// update; the embedded engine does not isolate concurrent statements
	// (and the local runner has one sweeper), so there they take turns.
	var wg sync.WaitGroup
	reports := make([]notify.SweepReport, 4)
	for i := range reports {
		if os.Getenv(dbtest.EnvDSN) == "" {
			reports[i], _ = d.Sweep(context.Background())
			continue
		}
		wg.Go(func() { reports[i], _ = d.Sweep(context.Background()) })
	}
	wg.Wait()
	total := 0
	for _, r := range reports {
		total += r.HandedOff
	}
	var first []notify.OrderEvent
	offeredAgain := 0
	for i, e := range inv.events {
		if e.Offer == 1 {
			first = append(first, e)
		} else if e.Offer != 2 || i == 0 {
			t.Errorf("event %d = %+v, want offer 1 or, after the first, 2", i, e)
		}
	}
	for _, r := range reports {
		offeredAgain += r.OfferedAgain
	}
	if total != 1 || len(first) != 2 || first[1].Attempt != 2 || offeredAgain != 0 || len(inv.events) != 3 {
		t.Errorf("4 concurrent sweeps handed off %d times and offered again %d times (events %+v), want once, attempt 2, and no more offers", total, offeredAgain, inv.events)
	}
}

// TestDestinationRecords feeds the records Lambda sends to placeorder.
func TestDestinationRecords(t *testing.T) {
	t.Parallel()
	inv := &acceptingInvoker{}
	db, d, _, id := placeWith(t, inv)
	h := notify.PlaceOrderEvents{Dispatcher: d, NotifyFunction: "arn:aws:lambda:eu-west-1:123456789012:function:delivery-notifycarrier"}
	record := func(name string) []byte {
		return []byte(strings.ReplaceAll(string(readTestdata(t, name)), "REPLACED-BY-TEST", id))
	}
	if _, err := h.Handle(context.Background(), record("destination-failure.json")); err != nil {
		t.Fatalf("failure record: %v", err)
	}
	o, _ := mysql.NewOrderStore(db).Order(context.Background(), id)
	if o.Notification.Status != market.NotifyFailed || *o.Notification.LastError != notify.ReasonDelivery {
		t.Errorf("after a failure record = %+v, want failed", o.Notification)
	}
	foreign := notify.PlaceOrderEvents{Dispatcher: d, NotifyFunction: "arn:aws:lambda:eu-west-1:123456789012:function:other"}
	if _, err := foreign.Handle(context.Background(), record("destination-success.json")); err == nil {
		t.Errorf("a record from another function was accepted")
	}
	if _, err := h.Handle(context.Background(), record("destination-success.json")); err != nil {
		t.Fatalf("success record: %v", err)
	}
	o, _ = mysql.NewOrderStore(db).Order(context.Background(), id)
	if o.Notification.Status != market.NotifyNotified || o.Notification.NotifiedAt == nil {
		t.Errorf("after a success record = %+v, want notified", o.Notification)
	}
	if _, err := h.Handle(context.Background(), []byte(`{"hello":"world"}`)); err == nil {
		t.Errorf("an unknown event was accepted")
	}
}

func TestGetOrderNotFound(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	for _, id := range []string{"01m866a89kz1z7dgmnnrvb7r47459mn758bc", "1", "01M866A89KZ1Z7DGMNNRVB7R47459MN758BC", "'; DROP TABLE orders; --"} {
		r := s.get(t, id)
		if b := decodeOrder(t, r); r.StatusCode != http.StatusNotFound || b.Error == nil || b.Error.Code != "not_found" {
			t.Errorf("GET %q = %d %s, want 404 not_found", id, r.StatusCode, r.Body)
		}
	}
}
