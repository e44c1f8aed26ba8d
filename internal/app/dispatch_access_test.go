package app_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/api"
	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/localgw"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// scheduledWaves is a market.WaveTimer that keeps what it was asked to
// start, and starts nothing: the test starts waves itself.
type scheduledWaves struct {
	mu    sync.Mutex
	waves []market.DueWave
}

func (s *scheduledWaves) Schedule(_ context.Context, orderID string, wave int, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waves = append(s.waves, market.DueWave{OrderID: orderID, Wave: wave})
	return nil
}

func (s *scheduledWaves) all() []market.DueWave {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]market.DueWave(nil), s.waves...)
}

// dispatchAPI is the whole API offering orders in waves, with no notifier
// and no wave runner: nothing but the test starts a wave.
type dispatchAPI struct {
	*companyAPI
	timer *scheduledWaves
	// ids are the test's own carriers, apart from the demo's, and tokens
	// their tokens by id.
	ids    []int64
	tokens map[int64]string
}

func newDispatchAPI(t *testing.T, carriers int) *dispatchAPI {
	t.Helper()
	db := dbtest.MustOpenDB(t)
	ctx := context.Background()
	if _, err := demo.SeedIfEmpty(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.SeedArea(ctx, db); err != nil {
		t.Fatal(err)
	}
	keyring := newKeyring(t)
	timer := &scheduledWaves{}
	keys := func(context.Context) (auth.Keyring, error) { return keyring, nil }
	deps := app.Deps{
		DB: db, Currency: "USD", Logger: slog.New(slog.DiscardHandler), Keyring: keys, Signer: keys,
		Dispatch: market.DefaultDispatchSettings(), Waves: timer,
	}
	handlers := map[string]localgw.Handler{}
	for name, fn := range app.Functions(deps) {
		handlers[name] = fn.Handle
	}
	authorizer, err := app.Authorizer(deps)
	if err != nil {
		t.Fatal(err)
	}
	routes, err := api.Routes()
	if err != nil {
		t.Fatal(err)
	}
	gateway, err := localgw.New(routes, handlers, authorizer.Handle)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gateway)
	t.Cleanup(srv.Close)

	d := &dispatchAPI{companyAPI: &companyAPI{url: srv.URL, db: db, keyring: keyring}, timer: timer, tokens: map[int64]string{}}
	for i := range carriers {
		res, err := db.Exec(`INSERT INTO carriers (name, phone) VALUES (?, ?)`, "Wave Carrier "+strconv.Itoa(i+1), "+35191888880"+strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		id, _ := res.LastInsertId()
		if d.tokens[id], err = keyring.MintCarrier(id, time.Hour); err != nil {
			t.Fatal(err)
		}
		d.ids = append(d.ids, id)
	}
	return d
}

// place orders bread from the Padaria, delivered to location ("": none),
// and returns the order id and its delivery id.
func (d *dispatchAPI) place(t *testing.T, location string) (string, string) {
	t.Helper()
	key := map[string]string{"Idempotency-Key": "waves-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	r := d.do(t, http.MethodPost, "/api/orders", "", key, orderJSON(d.firstProduct(t, "Padaria Sol"), location))
	expectStatus(t, "POST /api/orders", r, http.StatusCreated, "")
	orderID := r.body["orderId"].(string)
	return orderID, market.DeliveryID(orderID)
}

// sees reports whether carrier finds the order in the available list,
// and checks that GET answers alike: 200 if listed, 404 if not.
func (d *dispatchAPI) sees(t *testing.T, carrier int64, deliveryID string) bool {
	t.Helper()
	list := d.do(t, http.MethodGet, "/api/carrier/orders?view=available&limit=100", d.tokens[carrier], nil, "")
	expectStatus(t, "the available list", list, http.StatusOK, "")
	listed := false
	for _, o := range list.body["orders"].([]any) {
		listed = listed || o.(map[string]any)["deliveryId"] == deliveryID
	}
	one := d.do(t, http.MethodGet, "/api/carrier/orders/"+deliveryID, d.tokens[carrier], nil, "")
	if listed && one.status != http.StatusOK || !listed && one.status != http.StatusNotFound {
		t.Fatalf("carrier %d: listed %v, but GET = %d %s", carrier, listed, one.status, one.rawBody)
	}
	return listed
}

func (d *dispatchAPI) move(t *testing.T, carrier int64, deliveryID string, action market.Action) reply {
	t.Helper()
	return d.do(t, http.MethodPost, "/api/carrier/orders/"+deliveryID+"/"+string(action), d.tokens[carrier], nil, "")
}

// TestDispatchAccess: until an order in its waves is broadcast, only the
// carriers it was offered to see it, GET it and claim it; to anyone else
// it does not exist. A release sends it back to its waves and asks the
// timer for the next one; once broadcast, every carrier sees it.
func TestDispatchAccess(t *testing.T) {
	d := newDispatchAPI(t, 3)
	ctx := context.Background()
	offers := mysql.NewOfferStore(d.db)
	x, y, z := d.ids[0], d.ids[1], d.ids[2] // x and y are offered the order, z never is
	orderID, id := d.place(t, inLisbon)
	state, err := offers.DispatchState(ctx, orderID)
	if err != nil || state.Broadcast || state.Wave != 0 || state.Pickup == nil {
		t.Fatalf("DispatchState = %+v, %v; want an order with a pickup waiting for wave 1", state, err)
	}

	t.Run("before wave 1 nobody sees it", func(t *testing.T) {
		for _, c := range []int64{x, y, z} {
			if d.sees(t, c, id) {
				t.Errorf("carrier %d sees the order", c)
			}
		}
		expectStatus(t, "claim before wave 1", d.move(t, z, id, market.ActionClaim), http.StatusNotFound, "not_found")
	})

	now := time.Now().UTC()
	next := now.Add(time.Minute)
	wave1 := market.Wave{Number: 1, NextAt: &next, Offers: []market.WaveOffer{
		{CarrierID: x, Channel: market.ChannelPush}, {CarrierID: y, Channel: market.ChannelSMS},
	}}
	if ok, err := offers.StartWave(ctx, orderID, wave1, now, nil); err != nil || !ok {
		t.Fatalf("StartWave(1) = %v, %v", ok, err)
	}

	t.Run("wave 1 shows it to the carriers offered it alone", func(t *testing.T) {
		if !d.sees(t, x, id) || !d.sees(t, y, id) {
			t.Error("a carrier offered the order does not see it")
		}
		if d.sees(t, z, id) {
			t.Error("a carrier never offered the order sees it")
		}
		expectStatus(t, "claim by a carrier never offered it", d.move(t, z, id, market.ActionClaim), http.StatusNotFound, "not_found")
	})

	t.Run("an offered carrier claims it", func(t *testing.T) {
		expectStatus(t, "claim by an offered carrier", d.move(t, x, id, market.ActionClaim), http.StatusOK, "")
		expectStatus(t, "claim by another offered carrier", d.move(t, y, id, market.ActionClaim), http.StatusConflict, "")
		expectStatus(t, "claim by a carrier never offered it", d.move(t, z, id, market.ActionClaim), http.StatusNotFound, "not_found")
		records, err := offers.Offers(ctx, orderID)
		if err != nil || len(records) != 2 || records[0].CarrierID != x || records[0].ClaimedAt == nil || records[1].ClaimedAt != nil {
			t.Errorf("Offers = %+v, %v; want carrier %d's offer claimed, carrier %d's not", records, err, x, y)
		}
	})

	t.Run("a release sends it back to its waves", func(t *testing.T) {
		expectStatus(t, "release", d.move(t, x, id, market.ActionRelease), http.StatusOK, "")
		if got := d.timer.all(); len(got) != 1 || got[0] != (market.DueWave{OrderID: orderID, Wave: 2}) {
			t.Errorf("timer asked for %v, want wave 2 of the order", got)
		}
		if !d.sees(t, x, id) || d.sees(t, z, id) {
			t.Error("after the release: want the carriers offered it, and only them, to see it")
		}
		if due, err := offers.DueWaves(ctx, time.Now().Add(time.Hour), 10); err != nil || len(due) != 1 || due[0].Wave != 2 {
			t.Errorf("DueWaves = %v, %v; want wave 2 of the order, the sweep's safety net", due, err)
		}
	})

	t.Run("once broadcast everyone sees it", func(t *testing.T) {
		again := time.Now().Add(market.OfferAgainAfter)
		if ok, err := offers.StartWave(ctx, orderID, market.Wave{Number: 2, Broadcast: true}, time.Now(), &again); err != nil || !ok {
			t.Fatalf("StartWave(2, broadcast) = %v, %v", ok, err)
		}
		if !d.sees(t, z, id) {
			t.Fatal("a broadcast order is not visible to every carrier")
		}
		expectStatus(t, "claim of a broadcast order", d.move(t, z, id, market.ActionClaim), http.StatusOK, "")
		expectStatus(t, "release of a broadcast order", d.move(t, z, id, market.ActionRelease), http.StatusOK, "")
		if got := d.timer.all(); len(got) != 1 {
			t.Errorf("timer asked for %v after a broadcast order's release, want no more waves", got)
		}
	})

	t.Run("an order without a location is broadcast at once", func(t *testing.T) {
		// Without an area the marketplace takes orders without a location.
		if _, err := d.db.Exec(`DELETE FROM delivery_areas`); err != nil {
			t.Fatal(err)
		}
		_, plain := d.place(t, "")
		if !d.sees(t, z, plain) {
			t.Error("an order without a location is not visible to every carrier")
		}
	})
}
