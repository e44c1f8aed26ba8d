package mysql_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// TestOffers: an order placed is due for a second offer OfferAgainAfter
// later; claiming it counts the offer, records it in the history and
// makes it due no more; an order that moved on cannot be claimed.
func TestOffers(t *testing.T) {
	t.Parallel()
	db, store := orderFixture(t)
	ctx := context.Background()
	var placed []market.Order
	for _, key := range []string{"key-offers-1", "key-offers-2"} {
		o, _, err := store.Place(ctx, newOrder(t, key, orderRequest(market.Item{ProductID: 1, Quantity: 1})))
		if err != nil {
			t.Fatal(err)
		}
		placed = append(placed, o)
	}
	due := placed[1].CreatedAt.Add(market.OfferAgainAfter)

	if ids, err := store.DueOffers(ctx, due.Add(-time.Second), 10); err != nil || slices.Contains(ids, placed[1].ID) {
		t.Errorf("DueOffers(before) = %v, %v, want not the second order", ids, err)
	}
	ids, err := store.DueOffers(ctx, due, 10)
	if err != nil || !slices.Equal(ids, []string{placed[0].ID, placed[1].ID}) {
		t.Fatalf("DueOffers(due) = %v, %v, want both orders, oldest first", ids, err)
	}
	if ids, err := store.DueOffers(ctx, due, 1); err != nil || len(ids) != 1 {
		t.Errorf("DueOffers(limit 1) = %v, %v, want one", ids, err)
	}

	offer, ok, err := store.ClaimOffer(ctx, placed[0].ID, due)
	if err != nil || !ok || offer != 2 {
		t.Fatalf("ClaimOffer = %d, %v, %v, want offer 2", offer, ok, err)
	}
	if offer, ok, err := store.ClaimOffer(ctx, placed[0].ID, due); err != nil || ok || offer != 0 {
		t.Errorf("ClaimOffer again = %d, %v, %v, want false", offer, ok, err)
	}
	if ids, _ := store.DueOffers(ctx, due.Add(time.Hour), 10); !slices.Equal(ids, []string{placed[1].ID}) {
		t.Errorf("DueOffers after the claim = %v, want the second order only", ids)
	}
	var steps []struct {
		Step  string `db:"step"`
		From  string `db:"from_status"`
		To    string `db:"to_status"`
		Actor string `db:"actor_kind"`
	}
	if err := db.Select(&steps, `SELECT step, from_status, to_status, actor_kind FROM order_history
		WHERE order_id = ? AND step = ?`, placed[0].ID, market.StepOfferedAgain); err != nil {
		t.Fatal(err)
	}
	if len(steps) != 1 || steps[0].From != "placed" || steps[0].To != "placed" || steps[0].Actor != "system" {
		t.Errorf("offered_again history = %+v, want one row placed→placed by the system", steps)
	}

	if _, err := db.Exec(`UPDATE orders SET status = 'accepted' WHERE id = ?`, placed[1].ID); err != nil {
		t.Fatal(err)
	}
	if ids, _ := store.DueOffers(ctx, due.Add(time.Hour), 10); len(ids) != 0 {
		t.Errorf("DueOffers with the second order accepted = %v, want none", ids)
	}
	if _, ok, err := store.ClaimOffer(ctx, placed[1].ID, due); err != nil || ok {
		t.Errorf("ClaimOffer(accepted) = %v, %v, want false", ok, err)
	}
	if _, ok, err := store.ClaimOffer(ctx, "01m866a89kz1z7dgmnnrvb7r47459mn758bc", due); err != nil || ok {
		t.Errorf("ClaimOffer(unknown) = %v, %v, want false", ok, err)
	}
}
