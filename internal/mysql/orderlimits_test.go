package mysql_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// placeAll places one order per key at once, each with limits, and returns
// what each got.
func placeAll(t *testing.T, place func(context.Context, market.NewOrder) (market.Order, bool, error), orders []market.NewOrder) []error {
	t.Helper()
	errs := make([]error, len(orders))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, o := range orders {
		wg.Go(func() {
			<-start
			_, _, errs[i] = place(context.Background(), o)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// Ten orders of one phone at once, with a bound of five open orders per
// phone: exactly five are placed, the others are throttled and use up
// nothing (neither their key nor an order row); a cancelled or delivered
// order frees a place, and other phones are not affected.
func TestOpenOrdersPerPhone(t *testing.T) {
	t.Parallel()
	f := newFulfilmentFixture(t)
	ctx := context.Background()
	limits := market.Limits{OpenOrdersPerPhone: 5}
	req := orderRequest(market.Item{ProductID: 1, Quantity: 1})
	var batch []market.NewOrder
	for i := range 10 {
		o := newOrder(t, fmt.Sprintf("key-phone-%02d", i), req)
		o.Limits = limits
		batch = append(batch, o)
	}
	errs := placeAll(t, f.orders.Place, batch)
	placed, throttled := 0, 0
	var refused market.NewOrder
	for i, err := range errs {
		switch market.ErrorCode(err) {
		case market.CodeThrottled:
			throttled++
			refused = batch[i]
		default:
			if err != nil {
				t.Fatalf("order %d: %v", i, err)
			}
			placed++
		}
	}
	if placed != 5 || throttled != 5 {
		t.Fatalf("%d placed and %d throttled of 10, want 5 and 5", placed, throttled)
	}
	if n := countWhere(t, f.db, `SELECT COUNT(*) FROM orders WHERE customer_phone = ?`, req.Customer.Phone); n != 5 {
		t.Errorf("%d orders stored for the phone, want 5", n)
	}
	if n := countRows(t, f.db, "order_idempotency"); n != 5 {
		t.Errorf("%d idempotency keys used, want 5: a refused order leaves its key unused", n)
	}
	if _, found, err := f.orders.Replay(ctx, refused.KeyHash, refused.RequestHash); err != nil || found {
		t.Errorf("Replay(a refused key) = %v, %v; want not found", found, err)
	}

	// Another phone orders as before.
	other := orderRequest(market.Item{ProductID: 1, Quantity: 1})
	other.Customer.Phone = "+351912000999"
	o := newOrder(t, "key-other-phone", other)
	o.Limits = limits
	if _, _, err := f.orders.Place(ctx, o); err != nil {
		t.Fatalf("another phone: %v", err)
	}

	// A shopper's cancel, and a delivery, each free a place.
	var ids []string
	if err := f.db.Select(&ids, `SELECT id FROM orders WHERE customer_phone = ? ORDER BY id`, req.Customer.Phone); err != nil {
		t.Fatal(err)
	}
	first := market.Order{ID: ids[0], DeliveryID: market.DeliveryID(ids[0])}
	second := market.Order{ID: ids[1], DeliveryID: market.DeliveryID(ids[1])}
	f.mustMove(t, first, market.ActionCancel, shopper)
	f.mustMove(t, second, market.ActionClaim, rui)
	if _, err := f.store.MarkReady(ctx, padaria.ID, second.DeliveryID, time.Now()); err != nil {
		t.Fatal(err)
	}
	f.mustMove(t, second, market.ActionPickUp, rui)
	f.mustMove(t, second, market.ActionDeliver, rui)
	for i, key := range []string{"key-after-1", "key-after-2", "key-after-3"} {
		o := newOrder(t, key, req)
		o.Limits = limits
		_, _, err := f.orders.Place(ctx, o)
		if i < 2 && err != nil {
			t.Errorf("order %d after a cancel and a delivery: %v", i+1, err)
		}
		if i == 2 && market.ErrorCode(err) != market.CodeThrottled {
			t.Errorf("a sixth open order = %v, want throttled", err)
		}
	}
	// The lock table holds no phone number.
	if n := countWhere(t, f.db, `SELECT COUNT(*) FROM order_phone_locks WHERE phone_hash LIKE '%+%'`); n != 0 {
		t.Errorf("%d lock rows hold a phone number", n)
	}
}

// Replay answers a used key with its order, another body with a conflict,
// and an unused key with nothing.
func TestReplay(t *testing.T) {
	t.Parallel()
	_, store := orderFixture(t)
	ctx := context.Background()
	o := newOrder(t, "key-replay", orderRequest(market.Item{ProductID: 1, Quantity: 1}))
	placed, _, err := store.Place(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	other := newOrder(t, "key-replay", orderRequest(market.Item{ProductID: 2, Quantity: 1}))
	unused := newOrder(t, "key-unused", orderRequest(market.Item{ProductID: 1, Quantity: 1}))
	tests := []struct {
		name      string
		o         market.NewOrder
		wantFound bool
		wantCode  market.Code
	}{
		{name: "same key, same body", o: o, wantFound: true},
		{name: "same key, another body", o: other, wantCode: market.CodeConflict},
		{name: "unused key", o: unused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found, err := store.Replay(ctx, tt.o.KeyHash, tt.o.RequestHash)
			if found != tt.wantFound || (tt.wantCode == "" && err != nil) || (tt.wantCode != "" && market.ErrorCode(err) != tt.wantCode) {
				t.Fatalf("Replay = %v, %v; want found %v, code %q", found, err, tt.wantFound, tt.wantCode)
			}
			if found && got.ID != placed.ID {
				t.Errorf("Replay = order %s, want %s", got.ID, placed.ID)
			}
		})
	}
}

// Five claims of one carrier at once, with a bound of three orders held:
// exactly three win, two get carrier_limit; a repeated claim of a held
// order still answers; a delivered order frees a place, a picked-up one
// does not.
func TestCarrierOrdersBound(t *testing.T) {
	t.Parallel()
	f := newFulfilmentFixture(t)
	ctx := context.Background()
	limits := market.Limits{CarrierOrders: 3}
	var orders []market.Order
	for range 6 {
		orders = append(orders, f.place(t))
	}
	claim := func(o market.Order) error {
		_, err := f.store.Move(ctx, market.Move{DeliveryID: o.DeliveryID, Action: market.ActionClaim, Actor: rui, At: time.Now(), Limits: limits})
		return err
	}
	errs := make([]error, 5)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			<-start
			errs[i] = claim(orders[i])
		})
	}
	close(start)
	wg.Wait()
	var won []market.Order
	limited := 0
	for i, err := range errs {
		switch market.ErrorCode(err) {
		case market.CodeCarrierLimit:
			limited++
		default:
			if err != nil {
				t.Fatalf("claim %d: %v", i, err)
			}
			won = append(won, orders[i])
		}
	}
	if len(won) != 3 || limited != 2 {
		t.Fatalf("%d claims won and %d limited of 5, want 3 and 2", len(won), limited)
	}
	if n := countWhere(t, f.db, `SELECT COUNT(*) FROM orders WHERE carrier_id = ?`, rui.ID); n != 3 {
		t.Errorf("the carrier holds %d orders, want 3", n)
	}
	if err := claim(won[0]); err != nil {
		t.Errorf("a repeated claim of a held order = %v, want it answered", err)
	}
	if err := claim(orders[5]); market.ErrorCode(err) != market.CodeCarrierLimit {
		t.Errorf("a fourth claim = %v, want carrier_limit", err)
	}
	// Another carrier is not bound by this one's orders.
	if _, err := f.store.Move(ctx, market.Move{DeliveryID: orders[5].DeliveryID, Action: market.ActionClaim, Actor: marta, At: time.Now(), Limits: limits}); err != nil {
		t.Errorf("another carrier's claim: %v", err)
	}
	// A claim of an order that is not placed is a conflict, whatever the
	// carrier holds.
	if err := claim(orders[5]); market.ErrorCode(err) != market.CodeConflict {
		t.Errorf("a claim of another carrier's order at the bound = %v, want conflict", err)
	}
	f.readyAll(t, won[0])
	f.mustMove(t, won[0], market.ActionPickUp, rui)
	free := f.place(t)
	if err := claim(free); market.ErrorCode(err) != market.CodeCarrierLimit {
		t.Errorf("a claim with a picked-up order among three = %v, want carrier_limit", err)
	}
	f.mustMove(t, won[0], market.ActionDeliver, rui)
	if err := claim(free); err != nil {
		t.Errorf("a claim after a delivery = %v", err)
	}
}

// A carrier's release is counted on the carrier, the system's is not; and
// a released order is offered again only while it has offers left.
func TestReleasesAndOffers(t *testing.T) {
	t.Parallel()
	f := newFulfilmentFixture(t)
	ctx := context.Background()
	limits := market.Limits{OffersPerOrder: 2}
	release := func(o market.Order, actor market.Actor) {
		t.Helper()
		m := market.Move{DeliveryID: o.DeliveryID, Action: market.ActionRelease, Actor: actor, Holder: rui.ID, At: time.Now(), Limits: limits}
		if _, err := f.store.Move(ctx, m); err != nil {
			t.Fatalf("release by %s: %v", actor.Kind, err)
		}
	}
	offerDue := func(o market.Order) bool {
		t.Helper()
		return countWhere(t, f.db, `SELECT COUNT(*) FROM orders WHERE id = ? AND offer_due_at IS NOT NULL`, o.ID) == 1
	}
	o := f.place(t)
	f.mustMove(t, o, market.ActionClaim, rui)
	release(o, rui)
	if !offerDue(o) {
		t.Error("an order offered once, released, is not due for its second offer")
	}
	if _, ok, err := f.orders.ClaimOffer(ctx, o.ID, time.Now().Add(time.Second)); err != nil || !ok {
		t.Fatalf("ClaimOffer = %v, %v", ok, err)
	}
	f.mustMove(t, o, market.ActionClaim, rui)
	release(o, rui)
	if offerDue(o) {
		t.Error("an order that had its last offer is due for another")
	}
	if ids, err := f.orders.DueOffers(ctx, time.Now().Add(time.Hour), 10); err != nil || len(ids) != 0 {
		t.Errorf("DueOffers = %v, %v; want none", ids, err)
	}
	f.mustMove(t, o, market.ActionClaim, rui)
	release(o, market.Actor{Kind: market.ActorSystem})
	if f.status(t, o) != market.OrderPlaced {
		t.Error("released order is not placed, so not on the carriers' list")
	}

	releases, err := mysql.NewCarrierStore(f.db).Releases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if releases[rui.ID] != 2 || releases[marta.ID] != 0 {
		t.Errorf("releases = %v, want carrier %d: 2 (the system's not counted), carrier %d: 0", releases, rui.ID, marta.ID)
	}
	// A refused release counts nothing.
	if err := f.move(o, market.ActionRelease, rui); market.ErrorCode(err) != market.CodeNotFound {
		t.Errorf("release of an order not held = %v, want not_found", err)
	}
	if releases, _ := mysql.NewCarrierStore(f.db).Releases(ctx); releases[rui.ID] != 2 {
		t.Errorf("a refused release was counted: %v", releases)
	}

	// An order placed with one offer only is never due again.
	one := newOrder(t, "key-one-offer", orderRequest(market.Item{ProductID: 1, Quantity: 1}))
	one.Limits = market.Limits{OffersPerOrder: 1}
	placed, _, err := f.orders.Place(ctx, one)
	if err != nil {
		t.Fatal(err)
	}
	if offerDue(placed) {
		t.Error("an order with one offer allowed is due for a second")
	}
}
