package notify_test

import (
	"context"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/notify"
)

// TestOffersBounded: with OffersPerOrder 3, the sweep offers an order
// again after OfferAgainAfter and once after a carrier's release, and
// after that third offer a release leaves it on the carriers' list of
// available orders without a fourth SMS.
func TestOffersBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.MustOpenDB(t)
	if _, err := demo.SeedIfEmpty(ctx, db); err != nil {
		t.Fatal(err)
	}
	limits := market.Limits{OffersPerOrder: 3}
	store := mysql.NewOrderStore(db)
	inv := &acceptingInvoker{}
	d := notify.NewDispatcher(store, inv, quiet)
	clock := &testClock{}
	d.SetClock(clock.Now)
	checkout := market.Checkout{Orders: store, Currency: "USD", Notifier: d, Limits: limits}
	o, _, err := checkout.Place(ctx, "192.0.2.1", "key-bounded-offers", market.OrderRequest{
		Items:    []market.Item{{ProductID: 1, Quantity: 1}},
		Customer: market.Customer{Name: "Ana", Phone: "+351912345678", Address: "Lisboa"},
	})
	if err != nil {
		t.Fatal(err)
	}
	fulfilment := market.Fulfilment{Store: mysql.NewFulfilmentStore(db), Limits: limits}
	const carrier = 1
	claimAndRelease := func() {
		t.Helper()
		for _, action := range []market.Action{market.ActionClaim, market.ActionRelease} {
			if _, err := fulfilment.CarrierMove(ctx, carrier, o.DeliveryID, action); err != nil {
				t.Fatalf("%s: %v", action, err)
			}
		}
	}

	steps := []struct {
		name      string
		before    func()
		at        time.Duration // after placing
		wantOffer bool
	}{
		{name: "the second offer, after OfferAgainAfter", at: market.OfferAgainAfter, wantOffer: true},
		{name: "the third, after a release", before: claimAndRelease, at: market.OfferAgainAfter + time.Minute, wantOffer: true},
		{name: "none after a release past the last", before: claimAndRelease, at: market.OfferAgainAfter + 2*time.Minute},
		{name: "none later either", at: 3 * time.Hour},
	}
	for _, step := range steps {
		if step.before != nil {
			step.before()
		}
		clock.Set(o.CreatedAt.Add(step.at))
		r := sweep(t, d)
		if got := r.OfferedAgain == 1; got != step.wantOffer {
			t.Fatalf("%s: Sweep = %+v, want an offer: %v", step.name, r, step.wantOffer)
		}
	}
	repeated := 0
	for _, e := range inv.events {
		if e.Offer > market.FirstOffer {
			repeated++
		}
	}
	if repeated != 2 || offersOf(t, db, o.ID) != 3 {
		t.Errorf("%d repeated offers handed off, %d stored; want 2 and 3", repeated, offersOf(t, db, o.ID))
	}
	available, err := fulfilment.Store.CarrierOrders(ctx, 2, market.ViewAvailable, market.OrderListPage{Limit: 10})
	if err != nil || len(available) != 1 || available[0].DeliveryID != o.DeliveryID {
		t.Errorf("available = %+v, %v; want the order still listed", available, err)
	}
}
