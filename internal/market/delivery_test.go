package market

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestDeliveryFee(t *testing.T) {
	rules := DeliveryRules{FeeBase: MustMoney("1.50"), FeePerKm: MustMoney("0.45")}
	tests := []struct {
		km   string
		want string
	}{
		{"0", "1.50"},
		{"1", "1.95"},
		{"2.70", "2.72"},  // 1.50 + 1.215 rounds up
		{"2.68", "2.71"},  // 1.50 + 1.206
		{"10.00", "6.00"}, // exact: no rounding
		{"0.01", "1.51"},  // 1.5045
		{"14.99", "8.25"}, // 1.50 + 6.7455
		{"100.00", "46.50"},
	}
	for _, tt := range tests {
		t.Run(tt.km, func(t *testing.T) {
			if got := rules.Fee(decimal.RequireFromString(tt.km)); got.String() != tt.want {
				t.Errorf("Fee(%s) = %s, want %s", tt.km, got, tt.want)
			}
		})
	}
}

type fakeShops map[int64]Shop

func (f fakeShops) Shops(_ context.Context, ids []int64) (map[int64]Shop, error) {
	out := map[int64]Shop{}
	for _, id := range ids {
		if s, ok := f[id]; ok {
			out[id] = s
		}
	}
	return out, nil
}

type fakeArea struct{ area *ServiceArea }

func (f fakeArea) ServiceArea(context.Context) (*ServiceArea, error) { return f.area, nil }

type routerFunc func(ctx context.Context, origins, destinations []Location) ([][]Leg, error)

func (f routerFunc) Matrix(ctx context.Context, origins, destinations []Location) ([][]Leg, error) {
	return f(ctx, origins, destinations)
}

func loc(lat, lng float64) *Location { return &Location{Lat: lat, Lng: lng} }

func TestDeliveryPlan(t *testing.T) {
	lisbon := mustZone(t, "Europe/Lisbon")
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC) // a Friday, noon in Lisbon
	area := mustArea(t, squareWithHole)
	shops := fakeShops{
		1: {ID: 1, Location: loc(38.72, -9.18), PrepMinutes: 15, Hours: AlwaysOpen()},
		2: {ID: 2, Location: loc(38.78, -9.12), PrepMinutes: 30, Hours: AlwaysOpen()},
		3: {ID: 3, Location: loc(38.71, -9.19), PrepMinutes: 10, Hours: AlwaysOpen(), Paused: true},
		4: {ID: 4, Location: loc(38.71, -9.19), PrepMinutes: 10, Hours: OpeningHours{}},
		5: {ID: 5, PrepMinutes: 20, Hours: AlwaysOpen()}, // no location
	}
	delivery := func(router Router, maxKm float64) *Delivery {
		return &Delivery{
			Rules: DeliveryRules{FeeBase: MustMoney("1.50"), FeePerKm: MustMoney("0.40"), MaxKm: maxKm, Zone: lisbon},
			Shops: shops, Area: fakeArea{area}, Router: router, Now: func() time.Time { return now },
		}
	}
	customer := loc(38.72, -9.16)

	t.Run("one shop, estimated", func(t *testing.T) {
		q, err := delivery(nil, 15).Plan(context.Background(), []int64{1}, customer, "deliverTo", false)
		if err != nil {
			t.Fatal(err)
		}
		want := roundKm(DistanceKm(*shops[1].Location, *customer) * EstimateDetourFactor)
		if q.DistanceKm != want || !q.Estimate {
			t.Errorf("distance %v estimate %v, want %v true", q.DistanceKm, q.Estimate, want)
		}
		if fee := (DeliveryRules{FeeBase: MustMoney("1.50"), FeePerKm: MustMoney("0.40")}).Fee(decimal.NewFromFloat(want)); q.Fee.String() != fee.String() {
			t.Errorf("fee %s, want %s", q.Fee, fee)
		}
		travel := time.Duration(want / EstimateSpeedKmh * float64(time.Hour))
		if q.ETA.Earliest.Before(now.Add(15*time.Minute+travel)) || q.ETA.Earliest.After(now.Add(15*time.Minute+travel+time.Minute)) {
			t.Errorf("earliest %v, want 15 min + %v after %v", q.ETA.Earliest, travel, now)
		}
		if q.ETA.Latest.Sub(q.ETA.Earliest) != 10*time.Minute {
			t.Errorf("an estimate's range is %v, want 10m", q.ETA.Latest.Sub(q.ETA.Earliest))
		}
		if *q.FirstPickup != *shops[1].Location || q.To != *customer {
			t.Errorf("first pickup %v to %v", q.FirstPickup, q.To)
		}
	})

	t.Run("route starts at the farthest shop and takes the longest preparation", func(t *testing.T) {
		var asked [][]Location
		router := routerFunc(func(_ context.Context, origins, destinations []Location) ([][]Leg, error) {
			asked = append(asked, origins, destinations)
			return estimateMatrix(origins, destinations), nil
		})
		q, err := delivery(router, 0).Plan(context.Background(), []int64{1, 2, 5}, customer, "deliverTo", false)
		if err != nil {
			t.Fatal(err)
		}
		if q.Estimate {
			t.Error("a routed answer says estimate")
		}
		if *q.FirstPickup != *shops[2].Location {
			t.Errorf("first pickup %v, want shop 2 (farthest from the customer)", q.FirstPickup)
		}
		if !reflect.DeepEqual(asked[0], []Location{*shops[1].Location, *shops[2].Location}) || len(asked[1]) != 3 {
			t.Errorf("asked %v", asked)
		}
		asked = nil
		if _, err := delivery(router, 0).Plan(context.Background(), []int64{1}, customer, "deliverTo", false); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(asked, [][]Location{{*shops[1].Location}, {*customer}}) {
			t.Errorf("one shop asked %v, want only its way to the customer", asked)
		}
		want := roundKm(EstimateLeg(*shops[2].Location, *shops[1].Location).Km + EstimateLeg(*shops[1].Location, *customer).Km)
		if math.Abs(q.DistanceKm-want) > 0.011 {
			t.Errorf("distance %v, want %v", q.DistanceKm, want)
		}
		if q.ETA.Earliest.Sub(now) < 30*time.Minute {
			t.Errorf("earliest %v is less than the longest preparation after now", q.ETA.Earliest)
		}
	})

	t.Run("a failing, slow or partial router gives the estimate", func(t *testing.T) {
		routers := map[string]Router{
			"error": routerFunc(func(context.Context, []Location, []Location) ([][]Leg, error) {
				return nil, errors.New("throttled")
			}),
			"slow": routerFunc(func(ctx context.Context, o, d []Location) ([][]Leg, error) {
				<-ctx.Done()
				return nil, ctx.Err()
			}),
			"partial": routerFunc(func(_ context.Context, o, d []Location) ([][]Leg, error) {
				return [][]Leg{{}}, nil
			}),
			"negative": routerFunc(func(_ context.Context, o, d []Location) ([][]Leg, error) {
				return [][]Leg{{{Km: -1, Seconds: 60}}}, nil
			}),
		}
		for name, router := range routers {
			d := delivery(router, 15)
			d.RouteTimeout = 20 * time.Millisecond
			q, err := d.Plan(context.Background(), []int64{1}, customer, "deliverTo", false)
			if err != nil || !q.Estimate {
				t.Errorf("%s: %+v, %v; want an estimate", name, q, err)
			}
		}
	})

	errorCases := []struct {
		name      string
		companies []int64
		to        *Location
		required  bool
		maxKm     float64
		wantCode  Code
		want      any
	}{
		{"paused shop", []int64{1, 3}, customer, false, 15, CodeShopClosed, map[string][]int64{"companyIds": {3}}},
		{"closed shops, even without a location", []int64{4, 3, 1}, nil, false, 15, CodeShopClosed, map[string][]int64{"companyIds": {3, 4}}},
		{"outside the area", []int64{1}, loc(38.81, -9.15), false, 15, CodeOutsideArea, map[string]any{"reason": "outside_area", "distanceKm": 1.11}},
		{"in a hole", []int64{1}, loc(38.75, -9.15), false, 15, CodeOutsideArea, nil},
		{"too far", []int64{2}, loc(38.705, -9.195), false, 5, CodeOutsideArea, nil},
		{"missing location", []int64{1}, nil, true, 15, CodeInvalid, map[string]string{"field": "deliverTo"}},
		{"invalid location", []int64{1}, loc(91, 0), false, 15, CodeInvalid, map[string]string{"field": "deliverTo.lat"}},
	}
	for _, tt := range errorCases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := delivery(nil, tt.maxKm).Plan(context.Background(), tt.companies, tt.to, "deliverTo", tt.required)
			var e *Error
			if !errors.As(err, &e) || e.Code != tt.wantCode {
				t.Fatalf("err = %v, want %s", err, tt.wantCode)
			}
			if tt.want != nil && !reflect.DeepEqual(e.Details, tt.want) {
				t.Errorf("details = %#v, want %#v", e.Details, tt.want)
			}
		})
	}

	t.Run("too far says how far", func(t *testing.T) {
		_, err := delivery(nil, 5).Plan(context.Background(), []int64{2}, loc(38.705, -9.195), "deliverTo", false)
		details := err.(*Error).Details.(map[string]any)
		if details["reason"] != "too_far" || details["maxKm"] != 5.0 || details["distanceKm"].(float64) <= 5 {
			t.Errorf("details = %v", details)
		}
	})

	t.Run("no area: a location is optional and anywhere within reach", func(t *testing.T) {
		d := delivery(nil, 15)
		d.Area = fakeArea{}
		if q, err := d.Plan(context.Background(), []int64{1}, nil, "customer.location", true); q != nil || err != nil {
			t.Errorf("without a location: %v, %v", q, err)
		}
		if _, err := d.Plan(context.Background(), []int64{1}, loc(38.69, -9.30), "customer.location", true); err != nil {
			t.Errorf("outside the demo square: %v", err)
		}
	})
}

func TestArrival(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 30, 0, time.UTC)
	got := arrival(now, 20, 40*60, false)
	want := ETA{Earliest: time.Date(2026, 12, 4, 13, 1, 0, 0, time.UTC), Latest: time.Date(2026, 12, 4, 13, 11, 0, 0, time.UTC)}
	if got != want {
		t.Errorf("routed: %v, want %v", got, want)
	}
	got = arrival(now, 20, 40*60, true)
	want.Latest = time.Date(2026, 12, 4, 13, 21, 0, 0, time.UTC)
	if got != want {
		t.Errorf("estimate: %v, want %v", got, want)
	}
}
