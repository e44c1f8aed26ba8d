package admin_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/admin"
	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// placeInWaves places an order whose first pickup is in Lisbon, in
// waves, and starts its first wave to carriers 7 (by push) and 8 (SMS).
func placeInWaves(t *testing.T, db *sqlx.DB) market.Order {
	t.Helper()
	ctx := context.Background()
	if _, err := demo.SeedIfEmpty(ctx, db); err != nil {
		t.Fatal(err)
	}
	req, err := market.OrderRequest{
		Items:    []market.Item{{ProductID: 1, Quantity: 1}},
		Customer: market.Customer{Name: "Ana Silva", Phone: "+351912345678", Address: "Rua Augusta 10, Lisboa"},
	}.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	id, err := market.NewOrderID(now)
	if err != nil {
		t.Fatal(err)
	}
	pickup := market.Location{Lat: 38.71, Lng: -9.14}
	o, _, err := mysql.NewOrderStore(db).Place(ctx, market.NewOrder{
		ID: id, KeyHash: market.HashIdempotencyKey("key-admin-offers"), RequestHash: req.Hash(), Request: req,
		Currency: "USD", Area: "Lisboa", CreatedAt: now, Dispatch: market.DefaultDispatchSettings(),
		Delivery: &market.DeliveryQuote{Fee: market.MustMoney("2.00"), DistanceKm: 1, To: pickup, FirstPickup: &pickup,
			ETA: market.ETA{Earliest: now.Add(20 * time.Minute), Latest: now.Add(40 * time.Minute)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	next := now.Add(time.Minute)
	wave := market.Wave{Number: 1, NextAt: &next, Offers: []market.WaveOffer{
		{CarrierID: 7, Channel: market.ChannelPush, DistanceKm: 0.4}, {CarrierID: 8, Channel: market.ChannelSMS, DistanceKm: 0.9},
	}}
	offers := mysql.NewOfferStore(db)
	if ok, err := offers.StartWave(ctx, o.ID, wave, now, nil); err != nil || !ok {
		t.Fatalf("StartWave = %v, %v", ok, err)
	}
	if err := offers.RecordOffers(ctx, o.ID, 1, []market.OfferOutcome{
		{CarrierID: 7, Channel: market.ChannelPush, Sent: true}, {CarrierID: 8, Channel: market.ChannelSMS},
	}, now); err != nil {
		t.Fatal(err)
	}
	return o
}

// TestOffers: the operator finds an order's offers by either of its ids;
// anything else is refused, and an order that is not there is not found.
func TestOffers(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	o := placeInWaves(t, db)
	ctx := context.Background()
	for _, tt := range []struct {
		name, order string
		wantCode    market.Code
	}{
		{name: "order id", order: o.ID},
		{name: "delivery id", order: " " + o.DeliveryID + "\n"},
		{name: "neither", order: "FZYGX028", wantCode: market.CodeInvalid},
		{name: "no such order", order: "01m866a89kz1z7dgmnnrvb7r47459mn758bc", wantCode: market.CodeNotFound},
		{name: "no such delivery", order: strings.Repeat("ab", 10), wantCode: market.CodeNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := admin.Offers(ctx, db, tt.order)
			if tt.wantCode != "" {
				if market.ErrorCode(err) != tt.wantCode {
					t.Errorf("Offers(%q) = %+v, %v, want %s", tt.order, got, err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("Offers(%q) = %v", tt.order, err)
			}
			if got.OrderID != o.ID || got.DeliveryID != o.DeliveryID || len(got.Offers) != 2 {
				t.Fatalf("Offers(%q) = %+v, want the order's two offers", tt.order, got)
			}
			for i, want := range []market.OfferRecord{
				{OrderID: o.ID, CarrierID: 7, Wave: 1, Channel: market.ChannelPush, State: market.OfferSent},
				{OrderID: o.ID, CarrierID: 8, Wave: 1, Channel: market.ChannelSMS, State: market.OfferFailed},
			} {
				r := got.Offers[i]
				r.OfferedAt = time.Time{}
				if r != want {
					t.Errorf("offer %d = %+v, want %+v", i, r, want)
				}
			}
		})
	}
}

// The migrate function's offers action, as `./setup.sh offers` invokes it.
func TestMigrateOffersAction(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	o := placeInWaves(t, db)
	migrate := admin.Migrate(app.Deps{DB: db, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}, nil, nil)
	resp, err := migrate(context.Background(), admin.MigrateRequest{Action: "offers", Order: o.DeliveryID})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"offers":{"orderId":"` + o.ID + `"`, `"carrierId":7,"wave":1,"channel":"push","state":"sent"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("offers answer %s, want %s in it", raw, want)
		}
	}
	if _, err := migrate(context.Background(), admin.MigrateRequest{Action: "offers"}); err == nil || !strings.Contains(err.Error(), "offers:") {
		t.Errorf("offers without an order = %v, want refused", err)
	}
}
