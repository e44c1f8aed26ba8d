package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/notify"
)

// The waves' tests run the Dispatcher over the real order store and the
// contracts' fakes below: each fake keeps the contract its interface's
// comment states, and nothing more.

// fakeOffers is a market.OfferStore in memory.
type fakeOffers struct {
	mu     sync.Mutex
	orders map[string]*fakeDispatch
}

type fakeDispatch struct {
	state        market.DispatchState
	nextAt       *time.Time
	offerAgainAt *time.Time
	records      []market.OfferRecord
}

func (f *fakeOffers) add(orderID string, pickup *market.Location, placedAt time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.orders == nil {
		f.orders = map[string]*fakeDispatch{}
	}
	f.orders[orderID] = &fakeDispatch{
		state:  market.DispatchState{Status: market.OrderPlaced, Pickup: pickup, Offered: map[int64]bool{}},
		nextAt: &placedAt,
	}
}

func (f *fakeOffers) get(orderID string) fakeDispatch {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := *f.orders[orderID]
	d.records = slices.Clone(d.records)
	return d
}

func (f *fakeOffers) setStatus(orderID, status string) {
	f.mu.Lock()
	f.orders[orderID].state.Status = status
	f.mu.Unlock()
}

func (f *fakeOffers) DispatchState(_ context.Context, orderID string) (market.DispatchState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.orders[orderID]
	if !ok {
		return market.DispatchState{}, market.Errorf(market.CodeNotFound, "no such order")
	}
	st := o.state
	st.Offered = map[int64]bool{}
	for id := range o.state.Offered {
		st.Offered[id] = true
	}
	return st, nil
}

func (f *fakeOffers) StartWave(_ context.Context, orderID string, w market.Wave, at time.Time, offerAgainAt *time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.orders[orderID]
	if o.state.Wave != w.Number-1 || o.state.Status != market.OrderPlaced || o.state.Broadcast {
		return false, nil
	}
	o.state.Wave = w.Number
	o.nextAt = w.NextAt
	for _, offer := range w.Offers {
		o.state.Offered[offer.CarrierID] = true
		o.records = append(o.records, market.OfferRecord{OrderID: orderID, CarrierID: offer.CarrierID, Wave: w.Number,
			Channel: offer.Channel, State: market.OfferPending, OfferedAt: at})
	}
	if w.Broadcast {
		o.state.Broadcast = true
		o.offerAgainAt = offerAgainAt
		o.records = append(o.records, market.OfferRecord{OrderID: orderID, Wave: w.Number, Channel: market.ChannelBroadcast,
			State: market.OfferSent, OfferedAt: at})
	}
	return true, nil
}

func (f *fakeOffers) RecordOffers(_ context.Context, orderID string, wave int, outcomes []market.OfferOutcome, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.orders[orderID]
	for _, r := range outcomes {
		for i := range o.records {
			if rec := &o.records[i]; rec.CarrierID == r.CarrierID && rec.Wave == wave {
				rec.Channel, rec.State = r.Channel, market.OfferFailed
				if r.Sent {
					rec.State = market.OfferSent
				}
			}
		}
	}
	return nil
}

func (f *fakeOffers) DueWaves(_ context.Context, due time.Time, limit int) ([]market.DueWave, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []market.DueWave
	for id, o := range f.orders {
		if o.state.Status == market.OrderPlaced && !o.state.Broadcast && o.nextAt != nil && o.nextAt.Before(due) && len(out) < limit {
			out = append(out, market.DueWave{OrderID: id, Wave: o.state.Wave + 1})
		}
	}
	return out, nil
}

func (f *fakeOffers) Offers(_ context.Context, orderID string) ([]market.OfferRecord, error) {
	return f.get(orderID).records, nil
}

// fakeNearby holds carriers on shift; NearestOnShift keeps its contract.
type fakeNearby struct{ carriers []market.ShiftCarrier }

func (f fakeNearby) NearestOnShift(_ context.Context, p market.Location, radiusKm float64, n int, _ time.Time) ([]market.ShiftCarrier, error) {
	var out []market.ShiftCarrier
	for _, c := range f.carriers {
		if market.DistanceKm(p, c.Position) <= radiusKm {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b market.ShiftCarrier) int {
		da, db := market.DistanceKm(p, a.Position), market.DistanceKm(p, b.Position)
		switch {
		case da < db:
			return -1
		case da > db:
			return 1
		}
		return 0
	})
	return out[:min(n, len(out))], nil
}

// fakeContacts reaches every carrier by a phone of their id, and by push
// those in push; it remembers the subscriptions removed.
type fakeContacts struct {
	mu      sync.Mutex
	push    map[int64]string // carrier → endpoint
	removed []string
}

func phoneOf(id int64) string {
	return "+3519100000" + string(rune('0'+id/10)) + string(rune('0'+id%10))
}

func (f *fakeContacts) CarrierContacts(_ context.Context, ids []int64) (map[int64]market.CarrierContact, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[int64]market.CarrierContact{}
	for _, id := range ids {
		c := market.CarrierContact{CarrierID: id, Phone: phoneOf(id)}
		if e, ok := f.push[id]; ok {
			c.Push = &market.PushSubscription{Endpoint: e, P256dh: "p", Auth: "a"}
		}
		out[id] = c
	}
	return out, nil
}

func (f *fakeContacts) RemovePushSubscription(_ context.Context, carrierID int64, endpoint string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.push[carrierID] == endpoint {
		delete(f.push, carrierID)
		f.removed = append(f.removed, endpoint)
	}
	return nil
}

// fakeSender sends every offer, except for the push endpoints in gone
// (answered gone, then sent by SMS), or fails the whole wave with fail.
type fakeSender struct {
	mu     sync.Mutex
	events []notify.WaveEvent
	gone   map[string]bool
	fail   error
}

func (f *fakeSender) SendOffers(_ context.Context, e notify.WaveEvent) (notify.WaveResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := e.Validate(); err != nil {
		return notify.WaveResult{}, err
	}
	f.events = append(f.events, e)
	if f.fail != nil {
		return notify.WaveResult{}, f.fail
	}
	r := notify.WaveResult{OrderID: e.Order.OrderID, Wave: e.Wave}
	for _, t := range e.To {
		o := market.OfferOutcome{CarrierID: t.CarrierID, Channel: t.Channel, Sent: true}
		if t.Push != nil && f.gone[t.Push.Endpoint] {
			o.Channel, o.PushGone = market.ChannelSMS, true
		}
		r.Outcomes = append(r.Outcomes, o)
	}
	return r, nil
}

func (f *fakeSender) sent() []notify.WaveEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

// fakeTimer keeps what is scheduled, to be run by the test.
type fakeTimer struct {
	mu    sync.Mutex
	calls []scheduled
	fail  error
}

type scheduled struct {
	OrderID string
	Wave    int
	At      time.Time
}

func (f *fakeTimer) Schedule(_ context.Context, orderID string, wave int, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.calls = append(f.calls, scheduled{orderID, wave, at})
	return nil
}

func (f *fakeTimer) scheduled() []scheduled {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// wavesKit is a Dispatcher offering a real placed order in waves, with
// the fakes and a clock the test sets.
type wavesKit struct {
	db       *sqlx.DB
	d        *notify.Dispatcher
	invoker  *acceptingInvoker
	offers   *fakeOffers
	contacts *fakeContacts
	sender   *fakeSender
	timer    *fakeTimer
	clock    *testClock
	orderID  string
	start    time.Time
}

// pickup is the order's first pickup in these tests; each carrier i of
// nearbyCarriers is i km north of it (0.009° of latitude is 1 km).
var pickup = market.Location{Lat: 38.7, Lng: -9.14}

func nearbyCarriers(n int) []market.ShiftCarrier {
	out := make([]market.ShiftCarrier, n)
	for i := range out {
		out[i] = market.ShiftCarrier{ID: int64(i + 1), Position: market.Location{Lat: pickup.Lat + 0.009*float64(i+1), Lng: pickup.Lng}}
	}
	return out
}

// The customer of the kit's order, which no wave may carry.
const (
	customerName    = "Beatriz Wavetest"
	customerPhone   = "+351919876543"
	customerAddress = "Rua das Ondas 12, Lisboa"
	customerNote    = "ring twice"
)

func newWavesKit(t *testing.T, settings market.DispatchSettings, carriers []market.ShiftCarrier) *wavesKit {
	t.Helper()
	db := dbtest.MustOpenDB(t)
	if _, err := demo.SeedIfEmpty(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	store := mysql.NewOrderStore(db)
	// Placed without a notifier, the order waits for the kit's Dispatcher.
	checkout := market.Checkout{Orders: store, Currency: "USD"}
	o, _, err := checkout.Place(context.Background(), "192.0.2.1", "key-waves-1", market.OrderRequest{
		Items:    []market.Item{{ProductID: 1, Quantity: 1}},
		Customer: market.Customer{Name: customerName, Phone: customerPhone, Address: customerAddress, Note: customerNote},
	})
	if err != nil {
		t.Fatal(err)
	}
	k := &wavesKit{
		db: db, invoker: &acceptingInvoker{}, offers: &fakeOffers{}, contacts: &fakeContacts{push: map[int64]string{}},
		sender: &fakeSender{gone: map[string]bool{}}, timer: &fakeTimer{}, clock: &testClock{},
		orderID: o.ID, start: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
	}
	k.clock.Set(k.start)
	k.offers.add(o.ID, &pickup, k.start)
	k.d = notify.NewDispatcher(store, k.invoker, quiet)
	k.d.SetClock(k.clock.Now)
	k.d.UseWaves(notify.Waves{
		Settings: settings,
		Limits:   market.Limits{CarrierOrders: 3, OffersPerOrder: 3},
		Offers:   k.offers, Nearby: fakeNearby{carriers}, Contacts: k.contacts, Sender: k.sender, Timer: k.timer,
	})
	return k
}

func (k *wavesKit) run(t *testing.T, wave int) {
	t.Helper()
	if err := k.d.RunWave(context.Background(), k.orderID, wave); err != nil {
		t.Fatalf("RunWave(%d) = %v", wave, err)
	}
}

func waveSettings(size, maxWaves int) market.DispatchSettings {
	s := market.DefaultDispatchSettings()
	s.WaveSize, s.MaxWaves = size, maxWaves
	return s
}

func carrierIDs(e notify.WaveEvent) []int64 {
	var ids []int64
	for _, t := range e.To {
		ids = append(ids, t.CarrierID)
	}
	return ids
}

// TestWavesOutwardThenBroadcast: wave 1 goes to the nearest carriers, the
// next wave after the interval to the next nearest, never anyone twice;
// after the last wave the order is broadcast on the carriers' topic, once,
// and offered again OfferAgainAfter later.
func TestWavesOutwardThenBroadcast(t *testing.T) {
	t.Parallel()
	k := newWavesKit(t, waveSettings(2, 2), nearbyCarriers(5))
	interval := market.DefaultDispatchSettings().WaveInterval

	k.run(t, 1)
	k.clock.Set(k.start.Add(interval))
	k.run(t, 2)
	k.clock.Set(k.start.Add(2 * interval))
	k.run(t, 3)

	sent := k.sender.sent()
	if len(sent) != 2 {
		t.Fatalf("waves sent = %d, want 2", len(sent))
	}
	for i, want := range [][]int64{{1, 2}, {3, 4}} {
		if got := carrierIDs(sent[i]); !slices.Equal(got, want) || sent[i].Wave != i+1 {
			t.Errorf("wave %d went to %v, want %v", sent[i].Wave, got, want)
		}
	}
	wantTimers := []scheduled{{k.orderID, 2, k.start.Add(interval)}, {k.orderID, 3, k.start.Add(2 * interval)}}
	if got := k.timer.scheduled(); !slices.Equal(got, wantTimers) {
		t.Errorf("timers = %v, want %v", got, wantTimers)
	}
	if len(k.invoker.events) != 1 || k.invoker.events[0].OrderID != k.orderID {
		t.Fatalf("broadcasts = %+v, want one of the order", k.invoker.events)
	}
	got := k.offers.get(k.orderID)
	if !got.state.Broadcast || got.state.Wave != 3 {
		t.Errorf("state = %+v, want broadcast in wave 3", got.state)
	}
	if want := k.start.Add(2*interval + market.OfferAgainAfter); got.offerAgainAt == nil || !got.offerAgainAt.Equal(want) {
		t.Errorf("offered again at %v, want %v", got.offerAgainAt, want)
	}
	for _, r := range got.records {
		if r.Channel != market.ChannelBroadcast && r.State != market.OfferSent {
			t.Errorf("offer %+v not recorded sent", r)
		}
	}
	o, err := mysql.NewOrderStore(k.db).Order(context.Background(), k.orderID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Notification.Status != market.NotifyHandedOff {
		t.Errorf("notification after the broadcast = %+v, want handed off", o.Notification)
	}
}

// TestWaveCarriesNoCustomerData: a wave's event names the carriers it
// reaches and the order as carriers are told about it: of what the
// customer typed, only the area (market.DeliveryArea), as in the
// broadcast.
func TestWaveCarriesNoCustomerData(t *testing.T) {
	t.Parallel()
	k := newWavesKit(t, waveSettings(3, 4), nearbyCarriers(3))
	k.run(t, 1)
	sent := k.sender.sent()
	if len(sent) != 1 {
		t.Fatalf("waves sent = %d, want 1", len(sent))
	}
	raw, err := json.Marshal(sent[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{customerName, customerPhone, customerAddress, customerNote, "Beatriz", "Ondas", "919876543"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the wave event carries %q: %s", secret, raw)
		}
	}
}

// TestNobodyNearbyBroadcastsAtOnce: with nobody on shift within the
// radius, wave 1 is the broadcast, as an order was before waves.
func TestNobodyNearbyBroadcastsAtOnce(t *testing.T) {
	t.Parallel()
	far := []market.ShiftCarrier{{ID: 9, Position: market.Location{Lat: pickup.Lat + 1, Lng: pickup.Lng}}}
	k := newWavesKit(t, waveSettings(3, 4), far)
	k.run(t, 1)
	if n := len(k.sender.sent()); n != 0 {
		t.Errorf("waves sent = %d, want none", n)
	}
	if len(k.invoker.events) != 1 {
		t.Errorf("broadcasts = %d, want 1", len(k.invoker.events))
	}
	if got := k.timer.scheduled(); len(got) != 0 {
		t.Errorf("timers = %v, want none after a broadcast", got)
	}
}

// TestBroadcastAfterTheSafetyNet: an order whose topic hand-off came due
// before its waves ended (their timers lost) is broadcast without a
// second SMS to every carrier.
func TestBroadcastAfterTheSafetyNet(t *testing.T) {
	t.Parallel()
	k := newWavesKit(t, waveSettings(1, 1), nearbyCarriers(3))
	k.run(t, 1)
	if err := mysql.NewOrderStore(k.db).MarkHandedOff(context.Background(), k.orderID, 1, k.start, k.start.Add(notify.ConfirmTimeout)); err != nil {
		t.Fatal(err)
	}
	k.run(t, 2)
	if got := k.offers.get(k.orderID).state; !got.Broadcast {
		t.Errorf("state = %+v, want broadcast", got)
	}
	if len(k.invoker.events) != 0 {
		t.Errorf("handed off again: %+v", k.invoker.events)
	}
}

// TestStaleWavesIgnored: a wave already run, one out of turn, and one of
// an order no longer placed, or of no order, change nothing and send
// nothing.
func TestStaleWavesIgnored(t *testing.T) {
	t.Parallel()
	k := newWavesKit(t, waveSettings(1, 4), nearbyCarriers(5))
	k.run(t, 1)
	before := k.offers.get(k.orderID)
	k.run(t, 1) // the sweep and the timer both
	k.run(t, 3) // out of turn
	k.offers.setStatus(k.orderID, market.OrderAccepted)
	k.run(t, 2) // claimed meanwhile
	if err := k.d.RunWave(context.Background(), "00000000-0000-4000-8000-000000000000", 1); err != nil {
		t.Errorf("RunWave of no order = %v, want nil", err)
	}
	after := k.offers.get(k.orderID)
	if n := len(k.sender.sent()); n != 1 {
		t.Errorf("waves sent = %d, want 1", n)
	}
	if after.state.Wave != before.state.Wave || len(after.records) != len(before.records) || len(k.invoker.events) != 0 {
		t.Errorf("state %+v changed to %+v", before.state, after.state)
	}
}

// TestWaveSendFailures: a sender that fails records every offer of the
// wave failed and leaves the next wave timed; a push the push service
// says is gone removes the subscription and goes by SMS.
func TestWaveSendFailures(t *testing.T) {
	t.Parallel()
	t.Run("sender fails", func(t *testing.T) {
		t.Parallel()
		k := newWavesKit(t, waveSettings(2, 4), nearbyCarriers(3))
		k.sender.fail = errors.New("notifycarrier: throttled")
		k.run(t, 1)
		records := k.offers.get(k.orderID).records
		if len(records) != 2 {
			t.Fatalf("offers = %+v, want 2", records)
		}
		for _, r := range records {
			if r.State != market.OfferFailed {
				t.Errorf("offer %+v, want failed", r)
			}
		}
		if got := k.timer.scheduled(); len(got) != 1 || got[0].Wave != 2 {
			t.Errorf("timers = %v, want wave 2's", got)
		}
	})
	t.Run("push gone", func(t *testing.T) {
		t.Parallel()
		carriers := nearbyCarriers(2)
		carriers[1].Push = true
		k := newWavesKit(t, waveSettings(1, 4), carriers)
		k.contacts.push[2] = "https://push.example/gone"
		k.sender.gone["https://push.example/gone"] = true
		k.run(t, 1)
		sent := k.sender.sent()
		if len(sent) != 1 || !slices.Equal(carrierIDs(sent[0]), []int64{2}) || sent[0].To[0].Channel != market.ChannelPush {
			t.Fatalf("wave = %+v, want carrier 2 by push (push first within reach)", sent)
		}
		if !slices.Equal(k.contacts.removed, []string{"https://push.example/gone"}) {
			t.Errorf("removed = %v, want the gone subscription", k.contacts.removed)
		}
		if r := k.offers.get(k.orderID).records; len(r) != 1 || r[0].Channel != market.ChannelSMS || r[0].State != market.OfferSent {
			t.Errorf("offers = %+v, want sent by SMS", r)
		}
	})
}

// TestHandOffSchedulesWaveOne: an order with a pickup is not broadcast
// when placed; its first wave is timed at once. A lost timer is the
// sweep's: it starts the wave once TimerGrace has passed, not before.
func TestHandOffSchedulesWaveOne(t *testing.T) {
	t.Parallel()
	k := newWavesKit(t, waveSettings(2, 4), nearbyCarriers(3))
	o := market.Order{ID: k.orderID, Delivery: &market.DeliveryQuote{FirstPickup: &pickup}}
	k.d.HandOff(context.Background(), o)
	if want := []scheduled{{k.orderID, 1, k.start}}; !slices.Equal(k.timer.scheduled(), want) {
		t.Errorf("timers = %v, want %v", k.timer.scheduled(), want)
	}
	if len(k.invoker.events) != 0 {
		t.Errorf("broadcast at once: %+v", k.invoker.events)
	}

	// The timer never fires.
	k.clock.Set(k.start.Add(market.TimerGrace))
	if r := sweep(t, k.d); r.Waves != 0 {
		t.Errorf("sweep within the grace started %d waves", r.Waves)
	}
	k.clock.Set(k.start.Add(market.TimerGrace + time.Second))
	if r := sweep(t, k.d); r.Waves != 1 {
		t.Errorf("sweep past the grace started %d waves, want 1", r.Waves)
	}
	if sent := k.sender.sent(); len(sent) != 1 || sent[0].Wave != 1 {
		t.Errorf("waves sent = %+v, want wave 1", sent)
	}
}

// TestHandOffBroadcastsWithoutWaves: an order without a location, and any
// order in broadcast mode, is handed to the carriers' topic at once.
func TestHandOffBroadcastsWithoutWaves(t *testing.T) {
	t.Parallel()
	broadcast := market.DefaultDispatchSettings()
	broadcast.Mode = market.DispatchBroadcast
	for _, tt := range []struct {
		name     string
		settings market.DispatchSettings
		pickup   *market.Location
	}{
		{"no location", market.DefaultDispatchSettings(), nil},
		{"broadcast mode", broadcast, &pickup},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := newWavesKit(t, tt.settings, nearbyCarriers(3))
			o, err := mysql.NewOrderStore(k.db).Order(context.Background(), k.orderID)
			if err != nil {
				t.Fatal(err)
			}
			o.Delivery = &market.DeliveryQuote{FirstPickup: tt.pickup}
			k.d.HandOff(context.Background(), o)
			if len(k.invoker.events) != 1 || len(k.timer.scheduled()) != 0 {
				t.Errorf("broadcasts %d, timers %v; want one broadcast, no timer", len(k.invoker.events), k.timer.scheduled())
			}
		})
	}
}

// TestShiftsEndedBySweep: the sweep ends the expired shifts.
func TestShiftsEndedBySweep(t *testing.T) {
	t.Parallel()
	k := newWavesKit(t, waveSettings(2, 4), nil)
	shifts := &fakeShifts{expired: 2}
	k.d.UseWaves(notify.Waves{Settings: waveSettings(2, 4), Offers: k.offers, Nearby: fakeNearby{}, Contacts: k.contacts,
		Sender: k.sender, Timer: k.timer, Shifts: shifts})
	if r := sweep(t, k.d); r.ShiftsEnded != 2 || shifts.at != k.start {
		t.Errorf("sweep = %+v at %v, want 2 shifts ended at %v", r, shifts.at, k.start)
	}
}

type fakeShifts struct {
	expired int
	at      time.Time
}

func (f *fakeShifts) EndExpired(_ context.Context, now time.Time, limit int) (int, error) {
	f.at = now
	return min(f.expired, limit), nil
}

// TestLocalTimer: a wave due now runs and Wait waits for it; one not yet
// due is cancelled by Stop, after which nothing is scheduled.
func TestLocalTimer(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var ran []int
	timer := notify.NewLocalTimer(func(_ context.Context, _ string, wave int) error {
		mu.Lock()
		ran = append(ran, wave)
		mu.Unlock()
		return nil
	}, quiet)
	ctx := context.Background()
	if err := timer.Schedule(ctx, "o", 1, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := timer.Schedule(ctx, "o", 2, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	timer.Wait()
	mu.Lock()
	if !slices.Equal(ran, []int{1}) {
		t.Errorf("ran %v, want wave 1 alone", ran)
	}
	mu.Unlock()
	timer.Stop()
	if err := timer.Schedule(ctx, "o", 3, time.Now()); err == nil {
		t.Error("Schedule after Stop = nil, want an error")
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(ran, []int{1}) {
		t.Errorf("after Stop ran %v, want wave 1 alone", ran)
	}
}
