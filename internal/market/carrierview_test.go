package market_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

func TestParseCarrierPosition(t *testing.T) {
	tests := []struct {
		name      string
		lat, lng  string
		want      *market.Location
		wantField string
	}{
		{name: "none", want: nil},
		{name: "both", lat: "38.71", lng: "-9.14", want: &market.Location{Lat: 38.71, Lng: -9.14}},
		{name: "kept to six decimals", lat: "38.7100004", lng: "-9.1400004", want: &market.Location{Lat: 38.71, Lng: -9.14}},
		{name: "the poles and the antimeridian", lat: "-90", lng: "180", want: &market.Location{Lat: -90, Lng: 180}},
		{name: "lat without lng", lat: "38.71", wantField: "lng"},
		{name: "lng without lat", lng: "-9.14", wantField: "lat"},
		{name: "lat not a number", lat: "north", lng: "-9.14", wantField: "lat"},
		{name: "lng not a number", lat: "38.71", lng: "-9,14", wantField: "lng"},
		{name: "lat NaN", lat: "NaN", lng: "-9.14", wantField: "lat"},
		{name: "lng NaN", lat: "38.71", lng: "nan", wantField: "lng"},
		{name: "lat infinite", lat: "+Inf", lng: "-9.14", wantField: "lat"},
		{name: "lat past the pole", lat: "90.000001", lng: "-9.14", wantField: "lat"},
		{name: "lng past the antimeridian", lat: "38.71", lng: "-180.5", wantField: "lng"},
		{name: "lat with spaces", lat: " 38.71", lng: "-9.14", wantField: "lat"},
		{name: "lat huge", lat: "1e400", lng: "-9.14", wantField: "lat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := market.ParseCarrierPosition(tt.lat, tt.lng)
			if tt.wantField != "" {
				var e *market.Error
				if !errors.As(err, &e) || e.Code != market.CodeInvalid {
					t.Fatalf("ParseCarrierPosition(%q, %q) = %v, %v; want invalid_request", tt.lat, tt.lng, got, err)
				}
				if d, _ := e.Details.(map[string]string); d["field"] != tt.wantField {
					t.Errorf("field = %v, want %s", e.Details, tt.wantField)
				}
				if strings.Contains(e.Message, "position") || !strings.Contains(e.Message, tt.wantField) {
					t.Errorf("message %q does not name the query's field %s", e.Message, tt.wantField)
				}
				return
			}
			if err != nil || (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
				t.Fatalf("ParseCarrierPosition(%q, %q) = %v, %v; want %v", tt.lat, tt.lng, got, err, tt.want)
			}
		})
	}
}

// Ten kilometres north of the pickup: 0.09° of latitude is 10.0 km on any
// of the usual Earth radii.
var (
	pickupOfTheRoute = market.Location{Lat: 38.71, Lng: -9.14}
	tenKmNorth       = market.Location{Lat: 38.80, Lng: -9.14}
)

func TestCarrierOrderFromPosition(t *testing.T) {
	tests := []struct {
		name     string
		pickup   *market.Location
		position *market.Location
		want     *float64
	}{
		{name: "both known", pickup: &pickupOfTheRoute, position: &tenKmNorth, want: km(10.0)},
		{name: "at the pickup", pickup: &pickupOfTheRoute, position: &pickupOfTheRoute, want: km(0.0)},
		{name: "rounded to 100 m", pickup: &pickupOfTheRoute, position: &market.Location{Lat: 38.7145, Lng: -9.14}, want: km(0.5)},
		{name: "no position", pickup: &pickupOfTheRoute, want: nil},
		{name: "no first pickup", position: &tenKmNorth, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := market.CarrierOrder{FirstPickup: tt.pickup, PickupKm: km(99.0)}
			o.FromPosition(tt.position)
			if (o.PickupKm == nil) != (tt.want == nil) || o.PickupKm != nil && *o.PickupKm != *tt.want {
				t.Errorf("PickupKm = %v, want %v", shownKm(o.PickupKm), shownKm(tt.want))
			}
		})
	}
}

func km(v float64) *float64 { return &v }

func shownKm(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// The first pickup's coordinates never reach the carrier: only the
// distance does; an order without a delivery shows a zero fee and null
// distances, never a missing field.
func TestCarrierOrderJSON(t *testing.T) {
	o := market.CarrierOrder{
		DeliveryID: "0123456789abcdef0123", Total: market.MustMoney("13"), DeliveryFee: market.MustMoney("0"),
		FirstPickup: &market.Location{Lat: 38.123456, Lng: -9.654321}, Pickups: []market.CarrierPickup{},
	}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got["deliveryFee"] != "0.00" || got["distanceKm"] != nil || got["pickupKm"] != nil {
		t.Errorf("deliveryFee, distanceKm, pickupKm = %v, %v, %v; want \"0.00\", null, null", got["deliveryFee"], got["distanceKm"], got["pickupKm"])
	}
	for _, k := range []string{"distanceKm", "pickupKm"} {
		if _, ok := got[k]; !ok {
			t.Errorf("%s is missing, want null", k)
		}
	}
	if s := string(b); strings.Contains(s, "38.123456") || strings.Contains(s, "9.654321") {
		t.Errorf("JSON %s shows the first pickup's coordinates", s)
	}
}

// carrierOrderStore answers one order, or a list of it, with a first
// pickup; it records nothing of the position, which it is never given.
type carrierOrderStore struct {
	market.FulfilmentStore
	order market.CarrierOrder
}

func (s carrierOrderStore) CarrierOrders(context.Context, int64, string, market.OrderListPage) ([]market.CarrierOrder, error) {
	return []market.CarrierOrder{s.order, s.order}, nil
}

func (s carrierOrderStore) CarrierOrder(context.Context, int64, string, time.Time) (market.CarrierOrder, error) {
	return s.order, nil
}

func TestFulfilmentMeasuresFromThePosition(t *testing.T) {
	f := market.Fulfilment{Store: carrierOrderStore{order: market.CarrierOrder{
		DeliveryID: "0123456789abcdef0123", FirstPickup: &pickupOfTheRoute,
	}}}
	ctx := context.Background()
	for _, tt := range []struct {
		name     string
		position *market.Location
		want     *float64
	}{
		{"with a position", &tenKmNorth, km(10.0)},
		{"without", nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			list, err := f.CarrierOrders(ctx, 1, market.ViewAvailable, market.OrderListPage{Limit: 5}, tt.position)
			if err != nil || len(list) != 2 {
				t.Fatalf("CarrierOrders = %v, %v", list, err)
			}
			one, err := f.CarrierOrder(ctx, 1, "0123456789abcdef0123", tt.position)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range append(list, one) {
				if (o.PickupKm == nil) != (tt.want == nil) || o.PickupKm != nil && *o.PickupKm != *tt.want {
					t.Errorf("PickupKm = %v, want %v", shownKm(o.PickupKm), shownKm(tt.want))
				}
			}
		})
	}
}
