package mysql_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// orderFixture is a fresh database with one company and three products:
// 1 and 2 active, 3 inactive.
func orderFixture(t *testing.T) (*sqlx.DB, *mysql.OrderStore) {
	t.Helper()
	db := dbtest.MustOpenDB(t)
	for _, q := range []string{
		`INSERT INTO companies (id, name) VALUES (1, 'Padaria Sol')`,
		`INSERT INTO products (id, company_id, name, price, active) VALUES (1, 1, 'Sourdough loaf', 6.50, TRUE)`,
		`INSERT INTO products (id, company_id, name, price, active) VALUES (2, 1, 'Croissant', 2.75, TRUE)`,
		`INSERT INTO products (id, company_id, name, price, active) VALUES (3, 1, 'Old cake', 3.00, FALSE)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return db, mysql.NewOrderStore(db)
}

func orderRequest(items ...market.Item) market.OrderRequest {
	return market.OrderRequest{
		Items:    items,
		Customer: market.Customer{Name: "Ana Silva", Phone: "+351912345678", Address: "Rua Augusta 10, Lisboa"},
	}
}

// newOrder builds what market.Checkout would hand the store.
func newOrder(t *testing.T, key string, req market.OrderRequest) market.NewOrder {
	t.Helper()
	req, err := req.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	id, err := market.NewOrderID(now)
	if err != nil {
		t.Fatal(err)
	}
	return market.NewOrder{
		ID: id, KeyHash: market.HashIdempotencyKey(key), RequestHash: req.Hash(), Request: req,
		Currency: "USD", Area: market.DeliveryArea(req.Customer.Address), CreatedAt: now,
	}
}

func countRows(t *testing.T, db *sqlx.DB, table string) int {
	t.Helper()
	var n int
	if err := db.Get(&n, `SELECT COUNT(*) FROM `+table); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPlaceAndReadOrder(t *testing.T) {
	t.Parallel()
	_, store := orderFixture(t)
	ctx := context.Background()
	o := newOrder(t, "key-place-1", orderRequest(market.Item{ProductID: 2, Quantity: 3}, market.Item{ProductID: 1, Quantity: 1}))
	placed, replayed, err := store.Place(ctx, o)
	if err != nil || replayed {
		t.Fatalf("Place = %v, %v, want a new order", replayed, err)
	}
	if placed.ID != o.ID || placed.Total.String() != "14.75" || placed.ItemCount != 4 || placed.Status != market.OrderPlaced {
		t.Errorf("Place = %+v, want id %s, total 14.75, 4 items, placed", placed, o.ID)
	}
	got, err := store.Order(ctx, o.ID)
	if err != nil {
		t.Fatalf("Order(%s) = %v", o.ID, err)
	}
	if !got.CreatedAt.Equal(placed.CreatedAt) || got.Total.String() != placed.Total.String() || got.Area != "Lisboa" {
		t.Errorf("Order = %+v, want %+v", got, placed)
	}
	if len(got.Lines) != 2 || got.Lines[0].ProductID != 2 || got.Lines[0].UnitPrice.String() != "2.75" ||
		got.Lines[0].LineTotal.String() != "8.25" || got.Lines[1].CompanyName != "Padaria Sol" {
		t.Errorf("Order lines = %+v, want product 2 then 1 at the prices of the time", got.Lines)
	}
	n := got.Notification
	if n == nil || n.Status != market.NotifyPending || n.Attempts != 0 || n.NextAttemptAt == nil ||
		!n.NextAttemptAt.Equal(placed.CreatedAt.Add(market.HandOffGrace)) {
		t.Errorf("Order notification = %+v, want pending, due after the hand-off grace", n)
	}
	if _, err := store.Order(ctx, "00000000000000000000000000000000zzzz"); market.ErrorCode(err) != market.CodeNotFound {
		t.Errorf("Order(unknown) = %v, want %s", err, market.CodeNotFound)
	}
}

// TestPlaceConcurrentRetries is the idempotency guarantee: 20 requests with
// one key and one body at once place exactly one order, and all of them
// answer with it.
func TestPlaceConcurrentRetries(t *testing.T) {
	t.Parallel()
	db, store := orderFixture(t)
	req := orderRequest(market.Item{ProductID: 1, Quantity: 2})
	const n = 20
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			// Each retry is a fresh request: its own candidate id.
			var order market.Order
			order, _, errs[i] = store.Place(context.Background(), newOrder(t, "same-key-20", req))
			ids[i] = order.ID
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Place #%d = %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Errorf("Place #%d = order %s, want %s like #0", i, ids[i], ids[0])
		}
	}
	if got := countRows(t, db, "orders"); got != 1 {
		t.Errorf("orders rows = %d, want 1", got)
	}
	if got := countRows(t, db, "order_items"); got != 1 {
		t.Errorf("order_items rows = %d, want 1", got)
	}
}

func TestPlaceSameKeyOtherBody(t *testing.T) {
	t.Parallel()
	db, store := orderFixture(t)
	ctx := context.Background()
	first := newOrder(t, "key-conflict", orderRequest(market.Item{ProductID: 1, Quantity: 1}))
	if _, _, err := store.Place(ctx, first); err != nil {
		t.Fatal(err)
	}
	again := newOrder(t, "key-conflict", orderRequest(market.Item{ProductID: 1, Quantity: 1}))
	got, replayed, err := store.Place(ctx, again)
	if err != nil || !replayed || got.ID != first.ID {
		t.Errorf("Place(same key, same body) = %s, %v, %v, want %s replayed", got.ID, replayed, err, first.ID)
	}
	other := newOrder(t, "key-conflict", orderRequest(market.Item{ProductID: 1, Quantity: 2}))
	if _, _, err := store.Place(ctx, other); market.ErrorCode(err) != market.CodeConflict {
		t.Errorf("Place(same key, other body) = %v, want %s", err, market.CodeConflict)
	}
	if got := countRows(t, db, "orders"); got != 1 {
		t.Errorf("orders rows = %d, want 1", got)
	}
}

// TestPlacePriceChanged: a price that changes between the quote and the
// order is the one the order stores and returns.
func TestPlacePriceChanged(t *testing.T) {
	t.Parallel()
	db, store := orderFixture(t)
	ctx := context.Background()
	items := []market.Item{{ProductID: 1, Quantity: 2}}
	quote, err := market.Pricer{Products: mysql.NewProductStore(db), Currency: "USD"}.Quote(ctx, items)
	if err != nil || quote.Total.String() != "13.00" {
		t.Fatalf("Quote = %v, %v, want 13.00", quote.Total, err)
	}
	if _, err := db.Exec(`UPDATE products SET price = 7.25, version = version + 1 WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	placed, _, err := store.Place(ctx, newOrder(t, "key-price", orderRequest(items...)))
	if err != nil {
		t.Fatal(err)
	}
	if placed.Total.String() != "14.50" || placed.Lines[0].UnitPrice.String() != "7.25" {
		t.Errorf("Place after a price change = total %s, unit %s, want 14.50, 7.25", placed.Total, placed.Lines[0].UnitPrice)
	}
	// Later changes do not touch the stored order.
	if _, err := db.Exec(`UPDATE products SET price = 1.00 WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	got, err := store.Order(ctx, placed.ID)
	if err != nil || got.Total.String() != "14.50" || got.Lines[0].UnitPrice.String() != "7.25" {
		t.Errorf("Order after another change = %v, %v, want 14.50 at 7.25", got.Total, err)
	}
}

func TestPlaceUnavailableProducts(t *testing.T) {
	t.Parallel()
	db, store := orderFixture(t)
	ctx := context.Background()
	o := newOrder(t, "key-inactive", orderRequest(market.Item{ProductID: 1, Quantity: 1}, market.Item{ProductID: 3, Quantity: 1}, market.Item{ProductID: 99, Quantity: 1}))
	_, _, err := store.Place(ctx, o)
	var me *market.Error
	if market.ErrorCode(err) != market.CodeUnavailableProducts {
		t.Fatalf("Place(inactive) = %v, want %s", err, market.CodeUnavailableProducts)
	}
	if ok := asError(err, &me); !ok || fmt.Sprint(me.Details) != "map[productIds:[3 99]]" {
		t.Errorf("Place(inactive) details = %v, want productIds [3 99]", me.Details)
	}
	if got := countRows(t, db, "orders") + countRows(t, db, "order_idempotency"); got != 0 {
		t.Errorf("rows after a refused order = %d, want 0", got)
	}
	// The key was not used up: once the cart is fixed, the same key works.
	if _, _, err := store.Place(ctx, newOrder(t, "key-inactive", orderRequest(market.Item{ProductID: 1, Quantity: 1}))); err != nil {
		t.Errorf("Place(fixed cart, same key) = %v", err)
	}
}

func TestNotificationState(t *testing.T) {
	t.Parallel()
	_, store := orderFixture(t)
	ctx := context.Background()
	placed, _, err := store.Place(ctx, newOrder(t, "key-notify", orderRequest(market.Item{ProductID: 1, Quantity: 1})))
	if err != nil {
		t.Fatal(err)
	}
	id, t0 := placed.ID, placed.CreatedAt

	due := func(at time.Time) []market.NotificationDue {
		t.Helper()
		d, err := store.DueNotifications(ctx, at, 10)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := due(t0.Add(30 * time.Second)); len(d) != 0 {
		t.Errorf("DueNotifications(within grace) = %v, want none", d)
	}
	later := t0.Add(2 * time.Minute)
	if d := due(later); len(d) != 1 || d[0].OrderID != id || d[0].Attempts != 0 {
		t.Fatalf("DueNotifications(after grace) = %v, want %s with 0 attempts", d, id)
	}
	// Two sweeps race for it: one wins.
	won, err := store.ClaimNotification(ctx, id, 0, later, later.Add(time.Minute))
	if err != nil || !won {
		t.Fatalf("ClaimNotification = %v, %v, want true", won, err)
	}
	if again, err := store.ClaimNotification(ctx, id, 0, later, later.Add(time.Minute)); err != nil || again {
		t.Errorf("second ClaimNotification = %v, %v, want false", again, err)
	}
	retryAt := later.Add(time.Minute)
	if err := store.MarkFailed(ctx, id, 1, "the carrier notifier could not be reached", &retryAt); err != nil {
		t.Fatal(err)
	}
	got, err := store.Order(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if n := got.Notification; n.Status != market.NotifyFailed || n.Attempts != 1 || n.LastError == nil || !n.NextAttemptAt.Equal(retryAt) {
		t.Errorf("after MarkFailed = %+v, want failed, 1 attempt, retry at %v", n, retryAt)
	}
	if err := store.MarkHandedOff(ctx, id, 2, retryAt, retryAt.Add(15*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// A stale hand-off record (attempt 2 again) changes nothing.
	if err := store.MarkHandedOff(ctx, id, 2, retryAt.Add(time.Hour), retryAt.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err = store.Order(ctx, id); err != nil {
		t.Fatal(err)
	}
	if n := got.Notification; n.Status != market.NotifyHandedOff || n.Attempts != 2 || n.LastError != nil || !n.HandedOffAt.Equal(retryAt) {
		t.Errorf("after MarkHandedOff = %+v, want handed_off at %v, 2 attempts", n, retryAt)
	}
	notifiedAt := retryAt.Add(time.Second)
	if err := store.MarkNotified(ctx, id, notifiedAt); err != nil {
		t.Fatal(err)
	}
	// A late failure report for the same attempt does not undo it.
	if err := store.MarkFailed(ctx, id, 2, "the SMS could not be sent", &retryAt); err != nil {
		t.Fatal(err)
	}
	if got, err = store.Order(ctx, id); err != nil {
		t.Fatal(err)
	}
	if n := got.Notification; n.Status != market.NotifyNotified || n.NotifiedAt == nil || !n.NotifiedAt.Equal(notifiedAt) || n.NextAttemptAt != nil {
		t.Errorf("after MarkNotified = %+v, want notified at %v, nothing due", n, notifiedAt)
	}
	if d := due(later.Add(24 * time.Hour)); len(d) != 0 {
		t.Errorf("DueNotifications(notified) = %v, want none", d)
	}
}

func asError(err error, target **market.Error) bool { return errors.As(err, target) }

// TestPlaceConcurrentRetriesAcrossProcesses shows that on MySQL the
// primary key of order_idempotency alone keeps placement idempotent: each
// request has a pool of its own, as separate Lambda containers do. The embedded engine lacks the key locks this
// needs, so the test runs on DELIVERY_TEST_DSN only.
func TestPlaceConcurrentRetriesAcrossProcesses(t *testing.T) {
	if os.Getenv(dbtest.EnvDSN) == "" {
		t.Skip("needs MySQL or MariaDB: set " + dbtest.EnvDSN)
	}
	dsn := dbtest.NewDSN(t)
	seed, err := mysql.OpenDSN(dsn, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer seed.Close()
	if _, err := seed.Exec(`INSERT INTO companies (id, name) VALUES (1, 'Padaria Sol')`); err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Exec(`INSERT INTO products (id, company_id, name, price) VALUES (1, 1, 'Sourdough loaf', 6.50)`); err != nil {
		t.Fatal(err)
	}
	const n = 20
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			db, err := mysql.OpenDSN(dsn, 2)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			var order market.Order
			order, _, errs[i] = mysql.NewOrderStore(db).Place(context.Background(), newOrder(t, "same-key-processes", orderRequest(market.Item{ProductID: 1, Quantity: 1})))
			ids[i] = order.ID
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Errorf("Place #%d = %s, %v, want %s like #0", i, ids[i], errs[i], ids[0])
		}
	}
	if got := countRows(t, seed, "orders"); got != 1 {
		t.Errorf("orders rows = %d, want 1", got)
	}
}

// Keys past their retention are forgotten oldest first, in bounded
// batches; their orders stay, and a forgotten key places a new order.
func TestPruneIdempotencyKeys(t *testing.T) {
	t.Parallel()
	db, store := orderFixture(t)
	ctx := context.Background()
	req := orderRequest(market.Item{ProductID: 1, Quantity: 1})
	placed := map[string]string{}
	for _, key := range []string{"key-old-1", "key-old-2", "key-recent"} {
		o, _, err := store.Place(ctx, newOrder(t, key, req))
		if err != nil {
			t.Fatal(err)
		}
		placed[key] = o.ID
	}
	eightDaysAgo := time.Now().UTC().Add(-8 * 24 * time.Hour)
	for i, key := range []string{"key-old-1", "key-old-2"} {
		if _, err := db.Exec(`UPDATE order_idempotency SET created_at = ? WHERE key_hash = ?`,
			eightDaysAgo.Add(time.Duration(i)*time.Minute), market.HashIdempotencyKey(key)); err != nil {
			t.Fatal(err)
		}
	}
	before := time.Now().Add(-market.IdempotencyKeyRetention)
	for i, want := range []int64{1, 1, 0} {
		n, err := store.PruneIdempotencyKeys(ctx, before, 1)
		if err != nil || n != want {
			t.Fatalf("PruneIdempotencyKeys (call %d) = %d, %v; want %d", i+1, n, err, want)
		}
	}
	var orders int
	if err := db.Get(&orders, `SELECT COUNT(*) FROM orders`); err != nil || orders != 3 {
		t.Errorf("orders after pruning = %d (%v), want all 3", orders, err)
	}
	again, replayed, err := store.Place(ctx, newOrder(t, "key-recent", req))
	if err != nil || !replayed || again.ID != placed["key-recent"] {
		t.Errorf("Place(kept key) = %s, %v, %v; want the replay of %s", again.ID, replayed, err, placed["key-recent"])
	}
	fresh, replayed, err := store.Place(ctx, newOrder(t, "key-old-1", req))
	if err != nil || replayed || fresh.ID == placed["key-old-1"] {
		t.Errorf("Place(forgotten key) = %s, %v, %v; want a new order", fresh.ID, replayed, err)
	}
}
