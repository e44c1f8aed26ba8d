package mysql_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
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

// placeIn places an order of the fulfilment fixture with its first pickup
// at pickup (nil: none) under settings.
func (f *fulfilmentFixture) placeIn(t *testing.T, settings market.DispatchSettings, pickup *market.Location) market.Order {
	t.Helper()
	o := newOrder(t, "key-"+randomSuffix(t), orderRequest(market.Item{ProductID: 1, Quantity: 1}, market.Item{ProductID: 2, Quantity: 1}))
	o.Dispatch = settings
	if pickup != nil {
		o.Delivery = &market.DeliveryQuote{
			Fee: market.MustMoney("3.40"), DistanceKm: 1.2, To: customerAt, FirstPickup: pickup,
			ETA: market.ETA{Earliest: o.CreatedAt.Add(20 * time.Minute), Latest: o.CreatedAt.Add(40 * time.Minute)},
		}
	}
	placed, _, err := f.orders.Place(context.Background(), o)
	if err != nil {
		t.Fatalf("Place: %v", err)
	}
	return placed
}

// dispatchRow is what placing and dispatch store on an order.
type dispatchRow struct {
	Wave        int        `db:"dispatch_wave"`
	NextWaveAt  *time.Time `db:"dispatch_next_at"`
	BroadcastAt *time.Time `db:"broadcast_at"`
	NotifyAt    *time.Time `db:"notify_next_at"`
	OfferDueAt  *time.Time `db:"offer_due_at"`
}

func readDispatch(t *testing.T, db *sqlx.DB, orderID string) dispatchRow {
	t.Helper()
	var r dispatchRow
	if err := db.Get(&r, `SELECT dispatch_wave, dispatch_next_at, broadcast_at, notify_next_at, offer_due_at
FROM orders WHERE id = ?`, orderID); err != nil {
		t.Fatal(err)
	}
	return r
}

func sameTime(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}

// TestPlaceDispatch: an order with a first pickup under waves settings
// waits for wave 1, with the sweep's and the topic's safety nets set;
// any other order is broadcast as it is placed, as before waves, with
// its broadcast recorded as its first offer.
func TestPlaceDispatch(t *testing.T) {
	t.Parallel()
	f := newFulfilmentFixture(t)
	waves := market.DefaultDispatchSettings()
	broadcast := waves
	broadcast.Mode = market.DispatchBroadcast
	for _, tt := range []struct {
		name     string
		settings market.DispatchSettings
		pickup   *market.Location
		waves    bool
	}{
		{"waves", waves, &routeStartsAt, true},
		{"waves without a pickup", waves, nil, false},
		{"broadcast mode", broadcast, &routeStartsAt, false},
		{"no settings", market.DispatchSettings{}, &routeStartsAt, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := f.placeIn(t, tt.settings, tt.pickup)
			got := readDispatch(t, f.db, o.ID)
			created := o.CreatedAt
			want := dispatchRow{
				Wave: 1, BroadcastAt: &created, NotifyAt: ptr(created.Add(market.HandOffGrace)),
				OfferDueAt: ptr(created.Add(market.OfferAgainAfter)),
			}
			wantOffers := []market.OfferRecord{{OrderID: o.ID, Wave: 1, Channel: market.ChannelBroadcast, State: market.OfferPending, OfferedAt: created}}
			if tt.waves {
				want = dispatchRow{NextWaveAt: &created, NotifyAt: ptr(tt.settings.BroadcastBy(created))}
				wantOffers = []market.OfferRecord{}
			}
			if got.Wave != want.Wave || !sameTime(got.NextWaveAt, want.NextWaveAt) || !sameTime(got.BroadcastAt, want.BroadcastAt) ||
				!sameTime(got.NotifyAt, want.NotifyAt) || !sameTime(got.OfferDueAt, want.OfferDueAt) {
				t.Errorf("stored %s, want %s", showDispatch(got), showDispatch(want))
			}
			if !sameTime(o.Notification.NextAttemptAt, got.NotifyAt) {
				t.Errorf("placed order's next notification = %v, stored %v", o.Notification.NextAttemptAt, got.NotifyAt)
			}
			offers, err := mysql.NewOfferStore(f.db).Offers(context.Background(), o.ID)
			if err != nil || !slices.EqualFunc(offers, wantOffers, sameOffer) {
				t.Errorf("Offers = %+v, %v; want %+v", offers, err, wantOffers)
			}
		})
	}
}

func showDispatch(r dispatchRow) string {
	show := func(t *time.Time) string {
		if t == nil {
			return "NULL"
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("{wave %d, next wave %s, broadcast %s, notify %s, offer due %s}",
		r.Wave, show(r.NextWaveAt), show(r.BroadcastAt), show(r.NotifyAt), show(r.OfferDueAt))
}

func sameOffer(a, b market.OfferRecord) bool {
	return a.OrderID == b.OrderID && a.CarrierID == b.CarrierID && a.Wave == b.Wave && a.Channel == b.Channel &&
		a.State == b.State && a.OfferedAt.Equal(b.OfferedAt) && sameTime(a.ClaimedAt, b.ClaimedAt)
}

func ptr[T any](v T) *T { return &v }

// TestOfferStore follows an order through its waves: the sweep finds wave
// 1 overdue; of two runners of one wave only one records it; its offers
// are recorded as sent or failed; the broadcast ends the waves and makes
// the order due for the offers to everyone.
func TestOfferStore(t *testing.T) {
	t.Parallel()
	f := newFulfilmentFixture(t)
	ctx := context.Background()
	offers := mysql.NewOfferStore(f.db)
	settings := market.DefaultDispatchSettings()
	o := f.placeIn(t, settings, &routeStartsAt)
	created := o.CreatedAt

	state, err := offers.DispatchState(ctx, o.ID)
	if err != nil || state.Status != market.OrderPlaced || state.Wave != 0 || state.Broadcast || len(state.Offered) != 0 ||
		state.Pickup == nil || *state.Pickup != routeStartsAt {
		t.Fatalf("DispatchState = %+v, %v; want placed, wave 0, the pickup, nobody offered", state, err)
	}
	if _, err := offers.DispatchState(ctx, "01m866a89kz1z7dgmnnrvb7r47459mn758bc"); market.ErrorCode(err) != market.CodeNotFound {
		t.Errorf("DispatchState(unknown) = %v, want not found", err)
	}
	if due, err := offers.DueWaves(ctx, created.Add(-time.Millisecond), 10); err != nil || len(due) != 0 {
		t.Errorf("DueWaves(before it was placed) = %v, %v; want none", due, err)
	}
	due, err := offers.DueWaves(ctx, created, 10)
	if want := []market.DueWave{{OrderID: o.ID, Wave: 1}}; err != nil || !slices.Equal(due, want) {
		t.Fatalf("DueWaves = %v, %v; want %v", due, err, want)
	}

	at := created.Add(time.Second)
	next := at.Add(settings.WaveInterval)
	wave1 := market.Wave{Number: 1, NextAt: &next, Offers: []market.WaveOffer{
		{CarrierID: rui.ID, Channel: market.ChannelPush}, {CarrierID: marta.ID, Channel: market.ChannelSMS},
	}}
	var wg sync.WaitGroup
	won := make([]bool, 2)
	for i := range won {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := offers.StartWave(ctx, o.ID, wave1, at, nil)
			if err != nil {
				t.Errorf("StartWave: %v", err)
			}
			won[i] = ok
		}()
	}
	wg.Wait()
	if won[0] == won[1] {
		t.Fatalf("two runners of wave 1 won %v, want exactly one", won)
	}
	for _, w := range []int{1, 3} {
		if ok, err := offers.StartWave(ctx, o.ID, market.Wave{Number: w, NextAt: &next}, at, nil); err != nil || ok {
			t.Errorf("StartWave(%d) after wave 1 = %v, %v; want false", w, ok, err)
		}
	}
	if got := readDispatch(t, f.db, o.ID); got.Wave != 1 || !sameTime(got.NextWaveAt, &next) || got.BroadcastAt != nil {
		t.Errorf("after wave 1: %s, want wave 1, next wave at %v", showDispatch(got), next)
	}
	state, err = offers.DispatchState(ctx, o.ID)
	if err != nil || state.Wave != 1 || !state.Offered[rui.ID] || !state.Offered[marta.ID] || len(state.Offered) != 2 {
		t.Errorf("DispatchState after wave 1 = %+v, %v; want wave 1 offered to carriers 1 and 2", state, err)
	}
	if due, err := offers.DueWaves(ctx, next.Add(-time.Millisecond), 10); err != nil || len(due) != 0 {
		t.Errorf("DueWaves(before wave 2) = %v, %v; want none", due, err)
	}
	if due, err := offers.DueWaves(ctx, next, 10); err != nil || !slices.Equal(due, []market.DueWave{{OrderID: o.ID, Wave: 2}}) {
		t.Errorf("DueWaves(wave 2 due) = %v, %v; want wave 2", due, err)
	}

	// Carrier 1's push failed and the SMS that replaced it went out;
	// carrier 2's SMS failed.
	if err := offers.RecordOffers(ctx, o.ID, 1, []market.OfferOutcome{
		{CarrierID: rui.ID, Channel: market.ChannelSMS, Sent: true},
		{CarrierID: marta.ID, Channel: market.ChannelSMS, Sent: false},
	}, at); err != nil {
		t.Fatal(err)
	}
	var sent []struct {
		At *time.Time `db:"sent_at"`
	}
	if err := f.db.Select(&sent, `SELECT sent_at FROM order_offers WHERE order_id = ? ORDER BY id`, o.ID); err != nil {
		t.Fatal(err)
	}
	if len(sent) != 2 || !sameTime(sent[0].At, &at) || sent[1].At != nil {
		t.Errorf("sent_at = %+v, want %v then NULL", sent, at)
	}

	broadcastAt := next
	offerAgainAt := broadcastAt.Add(market.OfferAgainAfter)
	if ok, err := offers.StartWave(ctx, o.ID, market.Wave{Number: 2, Broadcast: true}, broadcastAt, &offerAgainAt); err != nil || !ok {
		t.Fatalf("StartWave(2, broadcast) = %v, %v; want true", ok, err)
	}
	if got := readDispatch(t, f.db, o.ID); got.Wave != 2 || got.NextWaveAt != nil || !sameTime(got.BroadcastAt, &broadcastAt) ||
		!sameTime(got.OfferDueAt, &offerAgainAt) {
		t.Errorf("after the broadcast: %s, want wave 2, no next wave, broadcast at %v, offer due at %v", showDispatch(got), broadcastAt, offerAgainAt)
	}
	if ok, err := offers.StartWave(ctx, o.ID, market.Wave{Number: 3, Broadcast: true}, broadcastAt, nil); err != nil || ok {
		t.Errorf("StartWave(3) after the broadcast = %v, %v; want false", ok, err)
	}
	if due, err := offers.DueWaves(ctx, broadcastAt.Add(time.Hour), 10); err != nil || len(due) != 0 {
		t.Errorf("DueWaves after the broadcast = %v, %v; want none", due, err)
	}
	got, err := offers.Offers(ctx, o.ID)
	want := []market.OfferRecord{
		{OrderID: o.ID, CarrierID: rui.ID, Wave: 1, Channel: market.ChannelSMS, State: market.OfferSent, OfferedAt: at},
		{OrderID: o.ID, CarrierID: marta.ID, Wave: 1, Channel: market.ChannelSMS, State: market.OfferFailed, OfferedAt: at},
		{OrderID: o.ID, Wave: 2, Channel: market.ChannelBroadcast, State: market.OfferPending, OfferedAt: broadcastAt},
	}
	if err != nil || !slices.EqualFunc(got, want, sameOffer) {
		t.Errorf("Offers = %+v, %v;\nwant %+v", got, err, want)
	}
}

// TestBroadcastOfferState: a broadcast's record follows the topic
// hand-off recorded on its order, with nothing written to the record.
func TestBroadcastOfferState(t *testing.T) {
	t.Parallel()
	f := newFulfilmentFixture(t)
	ctx := context.Background()
	offers := mysql.NewOfferStore(f.db)
	for _, tt := range []struct {
		name string
		mark func(o market.Order) error
		want market.OfferState
	}{
		{"pending", func(market.Order) error { return nil }, market.OfferPending},
		{"handed off", func(o market.Order) error {
			return f.orders.MarkHandedOff(ctx, o.ID, 1, o.CreatedAt, o.CreatedAt.Add(time.Minute))
		}, market.OfferPending},
		{"failed, retried", func(o market.Order) error {
			return f.orders.MarkFailed(ctx, o.ID, 1, "publish_failed", ptr(o.CreatedAt.Add(time.Minute)))
		}, market.OfferPending},
		{"failed for good", func(o market.Order) error { return f.orders.MarkFailed(ctx, o.ID, 1, "publish_failed", nil) }, market.OfferFailed},
		{"notified", func(o market.Order) error { return f.orders.MarkNotified(ctx, o.ID, o.CreatedAt) }, market.OfferSent},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := f.placeIn(t, market.DispatchSettings{}, nil)
			if err := tt.mark(o); err != nil {
				t.Fatal(err)
			}
			got, err := offers.Offers(ctx, o.ID)
			if err != nil || len(got) != 1 || got[0].State != tt.want || got[0].CarrierID != 0 {
				t.Errorf("Offers = %+v, %v; want one broadcast %s", got, err, tt.want)
			}
		})
	}
}

// TestOfferVisibility: before its broadcast, an order is listed, shown
// and claimed only by the carriers offered it; anyone else is answered as
// if it did not exist. A claim is recorded on the offer; a release sends
// the order back to its next wave; a cancellation ends its waves.
func TestOfferVisibility(t *testing.T) {
	t.Parallel()
	f := newFulfilmentFixture(t)
	ctx := context.Background()
	offers := mysql.NewOfferStore(f.db)
	settings := market.DefaultDispatchSettings()
	o := f.placeIn(t, settings, &routeStartsAt)
	page := market.OrderListPage{Limit: 10}

	sees := func(t *testing.T, carrier market.Actor) bool {
		t.Helper()
		list, err := f.store.CarrierOrders(ctx, carrier.ID, market.ViewAvailable, page)
		if err != nil {
			t.Fatal(err)
		}
		listed := slices.ContainsFunc(list, func(c market.CarrierOrder) bool { return c.DeliveryID == o.DeliveryID })
		_, err = f.store.CarrierOrder(ctx, carrier.ID, o.DeliveryID, time.Now())
		if listed != (err == nil) {
			t.Fatalf("carrier %d: listed %v, but CarrierOrder = %v", carrier.ID, listed, err)
		}
		if err != nil && market.ErrorCode(err) != market.CodeNotFound {
			t.Fatalf("carrier %d: CarrierOrder = %v, want not found", carrier.ID, err)
		}
		return listed
	}
	if sees(t, rui) || sees(t, marta) {
		t.Fatal("an order in its waves is visible before any wave")
	}
	if err := f.move(o, market.ActionClaim, marta); market.ErrorCode(err) != market.CodeNotFound {
		t.Fatalf("claim before any wave = %v, want not found", err)
	}
	at := o.CreatedAt.Add(time.Second)
	next := at.Add(time.Minute)
	if ok, err := offers.StartWave(ctx, o.ID, market.Wave{Number: 1, NextAt: &next,
		Offers: []market.WaveOffer{{CarrierID: rui.ID, Channel: market.ChannelSMS}}}, at, nil); err != nil || !ok {
		t.Fatalf("StartWave = %v, %v", ok, err)
	}
	if !sees(t, rui) || sees(t, marta) {
		t.Fatal("after wave 1 to carrier 1: want carrier 1 alone to see it")
	}
	f.mustMove(t, o, market.ActionClaim, rui)
	if err := f.move(o, market.ActionClaim, marta); market.ErrorCode(err) != market.CodeNotFound {
		t.Errorf("claim by a carrier never offered it = %v, want not found", err)
	}
	if got := readDispatch(t, f.db, o.ID); got.NextWaveAt != nil {
		t.Errorf("after the claim: %s, want no next wave", showDispatch(got))
	}
	if n := countWhere(t, f.db, `SELECT COUNT(*) FROM order_offers WHERE order_id = ? AND carrier_id = ? AND claimed_at IS NOT NULL`,
		o.ID, rui.ID); n != 1 {
		t.Errorf("claimed offers of carrier 1 = %d, want 1", n)
	}

	releasedAt := time.Now().UTC().Truncate(time.Microsecond)
	moved, err := f.store.Move(ctx, market.Move{DeliveryID: o.DeliveryID, Action: market.ActionRelease, Actor: rui, At: releasedAt,
		Dispatch: settings})
	if err != nil || moved.NextWave != 2 {
		t.Fatalf("release = %+v, %v; want the next wave 2", moved, err)
	}
	if got := readDispatch(t, f.db, o.ID); !sameTime(got.NextWaveAt, &releasedAt) || got.OfferDueAt != nil ||
		!sameTime(got.NotifyAt, ptr(settings.BroadcastBy(releasedAt))) {
		t.Errorf("after the release: %s, want the next wave due at %v, no offer due, the topic at %v",
			showDispatch(got), releasedAt, settings.BroadcastBy(releasedAt))
	}
	if !sees(t, rui) || sees(t, marta) {
		t.Error("after the release: want the releasing carrier alone to see it")
	}

	f.mustMove(t, o, market.ActionCancel, shopper)
	if got := readDispatch(t, f.db, o.ID); got.NextWaveAt != nil {
		t.Errorf("after the cancellation: %s, want no next wave", showDispatch(got))
	}
}

// TestLateBroadcast: an order whose waves were all lost is due for the
// carriers' topic once it should have been broadcast; the sweep that
// claims its hand-off broadcasts it, so that every carrier texted may see
// it, and records the broadcast after its waves.
func TestLateBroadcast(t *testing.T) {
	t.Parallel()
	f := newFulfilmentFixture(t)
	ctx := context.Background()
	offers := mysql.NewOfferStore(f.db)
	settings := market.DefaultDispatchSettings()
	o := f.placeIn(t, settings, &routeStartsAt)
	next := o.CreatedAt.Add(settings.WaveInterval)
	if ok, err := offers.StartWave(ctx, o.ID, market.Wave{Number: 1, NextAt: &next,
		Offers: []market.WaveOffer{{CarrierID: rui.ID, Channel: market.ChannelSMS}}}, o.CreatedAt, nil); err != nil || !ok {
		t.Fatalf("StartWave = %v, %v", ok, err)
	}
	by := settings.BroadcastBy(o.CreatedAt)
	if due, err := f.orders.DueNotifications(ctx, by.Add(-time.Millisecond), 10); err != nil || len(due) != 0 {
		t.Fatalf("DueNotifications before it is broadcast at the latest = %v, %v; want none", due, err)
	}
	due, err := f.orders.DueNotifications(ctx, by, 10)
	if err != nil || len(due) != 1 || due[0].OrderID != o.ID {
		t.Fatalf("DueNotifications = %v, %v; want the order", due, err)
	}
	if ok, err := f.orders.ClaimNotification(ctx, o.ID, 0, by, by.Add(time.Minute)); err != nil || !ok {
		t.Fatalf("ClaimNotification = %v, %v", ok, err)
	}
	if ok, err := f.orders.ClaimNotification(ctx, o.ID, 0, by, by.Add(time.Minute)); err != nil || ok {
		t.Errorf("ClaimNotification again = %v, %v; want false", ok, err)
	}
	if got := readDispatch(t, f.db, o.ID); got.Wave != 2 || !sameTime(got.BroadcastAt, &by) || got.NextWaveAt != nil {
		t.Errorf("after the hand-off's claim: %s, want wave 2, broadcast at %v, no next wave", showDispatch(got), by)
	}
	records, err := offers.Offers(ctx, o.ID)
	if err != nil || len(records) != 2 || records[1].Channel != market.ChannelBroadcast || records[1].Wave != 2 || !records[1].OfferedAt.Equal(by) {
		t.Errorf("Offers = %+v, %v; want wave 1's offer, then the broadcast as wave 2", records, err)
	}
	if list, err := f.store.CarrierOrders(ctx, marta.ID, market.ViewAvailable, market.OrderListPage{Limit: 10}); err != nil || len(list) != 1 {
		t.Errorf("available to a carrier never offered it = %v, %v; want the broadcast order", list, err)
	}
}
