package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/admin"
	"github.com/deliverymarket/delivery/internal/cli"
	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

func offersCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr syncBuffer
	err := run(context.Background(), append([]string{"offers"}, args...), &stdout, &stderr, nil)
	return stdout.String(), err
}

// waveOrder places an order in waves in the database at dsn and offers it
// to carrier 4 in wave 1.
func waveOrder(t *testing.T, dsn string) market.Order {
	t.Helper()
	ctx := context.Background()
	db, err := openCarrierDatabase(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
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
		ID: id, KeyHash: market.HashIdempotencyKey("key-cli-offers"), RequestHash: req.Hash(), Request: req,
		Currency: "USD", Area: "Lisboa", CreatedAt: now, Dispatch: market.DefaultDispatchSettings(),
		Delivery: &market.DeliveryQuote{Fee: market.MustMoney("2.00"), DistanceKm: 1, To: pickup, FirstPickup: &pickup,
			ETA: market.ETA{Earliest: now.Add(20 * time.Minute), Latest: now.Add(40 * time.Minute)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	next := now.Add(time.Minute)
	wave := market.Wave{Number: 1, NextAt: &next, Offers: []market.WaveOffer{{CarrierID: 4, Channel: market.ChannelSMS}}}
	if ok, err := mysql.NewOfferStore(db).StartWave(ctx, o.ID, wave, now, nil); err != nil || !ok {
		t.Fatalf("StartWave = %v, %v", ok, err)
	}
	return o
}

func TestOffersCommand(t *testing.T) {
	t.Setenv("DELIVERY_DSN", "")
	dsn := dbtest.NewDSN(t)
	o := waveOrder(t, dsn)

	out, err := offersCLI(t, o.DeliveryID, "-dsn", dsn)
	if err != nil || !strings.Contains(out, o.ID) || !strings.Contains(out, "WAVE") ||
		!strings.Contains(out, "1     4        sms      pending") {
		t.Errorf("offers = %q, %v; want the table with carrier 4's pending SMS", out, err)
	}
	out, err = offersCLI(t, o.ID, "-dsn", dsn, "-json")
	var record admin.OffersRecord
	if err != nil || json.Unmarshal([]byte(out), &record) != nil || len(record.Offers) != 1 || record.Offers[0].CarrierID != 4 {
		t.Errorf("offers -json = %q, %v; want carrier 4's offer", out, err)
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no order", nil, "name the order"},
		{"a flag for the order", []string{"-dsn", dsn}, "name the order"},
		{"no database", []string{o.ID}, "needs -dsn"},
		{"not an id", []string{"FZYGX028", "-dsn", dsn}, "order id"},
		{"no such order", []string{strings.Repeat("ab", 10), "-dsn", dsn}, "no order"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := offersCLI(t, tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("offers %v = %v, want an error saying %q", tt.args, err, tt.want)
			}
		})
	}
	if _, err := offersCLI(t); !errors.Is(err, cli.ErrUsage) {
		t.Errorf("offers without an order = %v, want a usage error", err)
	}
}
