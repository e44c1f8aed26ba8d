package apigw_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/market"
)

// carrierRouteStart is where the route of the carrier fakes' one order
// starts: a delivery of 4.75 km for 3.40.
var carrierRouteStart = market.Location{Lat: 38.7105, Lng: -9.1365}

const carrierDeliveryID = "0123456789abcdef0123"

// carrierOrders is a market.FulfilmentStore with one placed order,
// counting the reads of it; the methods the carrier views do not use are
// left to the nil interface.
type carrierOrders struct {
	market.FulfilmentStore
	mu    sync.Mutex
	reads int
}

func (s *carrierOrders) order(carrier int64) market.CarrierOrder {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	km := 4.75
	start := carrierRouteStart
	return market.CarrierOrder{
		DeliveryID: carrierDeliveryID, Reference: "ABC-123", Status: market.OrderPlaced, Mine: false,
		Total: market.MustMoney("16.40"), Currency: "USD", DeliveryFee: market.MustMoney("3.40"), DistanceKm: &km,
		FirstPickup: &start, Pickups: []market.CarrierPickup{}, CreatedAt: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC),
	}
}

func (s *carrierOrders) CarrierOrders(_ context.Context, carrier int64, _ string, _ market.OrderListPage) ([]market.CarrierOrder, error) {
	return []market.CarrierOrder{s.order(carrier)}, nil
}

func (s *carrierOrders) CarrierOrder(_ context.Context, carrier int64, _ string, _ time.Time) (market.CarrierOrder, error) {
	return s.order(carrier), nil
}

func (s *carrierOrders) readCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// carrierEvent is a carrier's GET of resource with query.
func carrierEvent(t *testing.T, carrier, resource string, query map[string]string) events.APIGatewayProxyRequest {
	t.Helper()
	e := loadEvent(t, "image-upload.json")
	e.HTTPMethod, e.Resource, e.Body = http.MethodGet, resource, ""
	e.Path = strings.Replace(resource, "{deliveryId}", carrierDeliveryID, 1)
	e.PathParameters = nil
	if strings.Contains(resource, "{deliveryId}") {
		e.PathParameters = map[string]string{"deliveryId": carrierDeliveryID}
	}
	e.RequestContext.HTTPMethod, e.RequestContext.ResourcePath = http.MethodGet, resource
	e.RequestContext.Authorizer = map[string]any{
		"principalId": "carrier/" + carrier, apigw.ContextCarrierID: carrier, "scopes": "deliveries", "expiresAt": "4102444800",
	}
	setQuery(&e, query)
	return e
}

const (
	carrierListResource  = "/api/carrier/orders"
	carrierOrderResource = "/api/carrier/orders/{deliveryId}"
)

// The carrier's position measures each order's distance in one answer and
// goes nowhere else: not to the store, not to the log.
func TestCarrierOrderDistances(t *testing.T) {
	carrierAt := market.Location{Lat: 38.8, Lng: -9.1365}
	wantKm := math.Round(market.DistanceKm(carrierAt, carrierRouteStart)*10) / 10
	at := map[string]string{"lat": "38.8", "lng": "-9.1365"}
	withView := func(q map[string]string) map[string]string {
		out := map[string]string{"view": "available"}
		for k, v := range q {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name         string
		resource     string
		query        map[string]string
		wantPickupKm any
	}{
		{"list with a position", carrierListResource, withView(at), wantKm},
		{"list without", carrierListResource, withView(nil), nil},
		{"one order with a position", carrierOrderResource, at, wantKm},
		{"one order without", carrierOrderResource, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &carrierOrders{}
			h := newHarness(t, apigw.Fulfilment{Service: market.Fulfilment{Store: store}}.Endpoints())
			resp := h.handle(t, carrierEvent(t, "2", tt.resource, tt.query))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %d %s", tt.resource, resp.StatusCode, resp.Body)
			}
			order := decodeJSON(t, resp.Body)
			if orders, ok := order["orders"].([]any); ok && len(orders) == 1 {
				order = orders[0].(map[string]any)
			}
			if order["deliveryFee"] != "3.40" || order["distanceKm"] != json.Number("4.75") {
				t.Errorf("deliveryFee, distanceKm = %v, %v; want \"3.40\", 4.75", order["deliveryFee"], order["distanceKm"])
			}
			got, present := order["pickupKm"]
			if want, _ := tt.wantPickupKm.(float64); !present || tt.wantPickupKm == nil && got != nil ||
				tt.wantPickupKm != nil && got != json.Number(jsonFloat(want)) {
				t.Errorf("pickupKm = %v (present %v), want %v", got, present, tt.wantPickupKm)
			}
			if strings.Contains(resp.Body, "38.8") || strings.Contains(resp.Body, "38.7105") {
				t.Errorf("the answer %s shows the carrier's position or the pickup's coordinates", resp.Body)
			}
			if logs := h.logs.String(); strings.Contains(logs, "38.8") || strings.Contains(logs, "9.1365") {
				t.Errorf("the log holds the carrier's position: %s", logs)
			}
		})
	}
}

func jsonFloat(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func TestCarrierPositionRefused(t *testing.T) {
	tests := []struct {
		name      string
		query     map[string]string
		wantField string
	}{
		{"lat without lng", map[string]string{"lat": "38.71"}, "lng"},
		{"lng without lat", map[string]string{"lng": "-9.14"}, "lat"},
		{"lat not a number", map[string]string{"lat": "38,71", "lng": "-9.14"}, "lat"},
		{"lng not a number", map[string]string{"lat": "38.71", "lng": "west"}, "lng"},
		{"lat NaN", map[string]string{"lat": "NaN", "lng": "-9.14"}, "lat"},
		{"lat past the pole", map[string]string{"lat": "90.5", "lng": "-9.14"}, "lat"},
		{"lng past the antimeridian", map[string]string{"lat": "38.71", "lng": "181"}, "lng"},
		{"lng infinite", map[string]string{"lat": "38.71", "lng": "-Inf"}, "lng"},
		{"lat empty, lng set", map[string]string{"lat": "", "lng": "-9.14"}, "lat"},
	}
	for _, resource := range []string{carrierListResource, carrierOrderResource} {
		for _, tt := range tests {
			t.Run(resource+" "+tt.name, func(t *testing.T) {
				store := &carrierOrders{}
				h := newHarness(t, apigw.Fulfilment{Service: market.Fulfilment{Store: store}}.Endpoints())
				resp := h.handle(t, carrierEvent(t, "1", resource, tt.query))
				if resp.StatusCode != http.StatusBadRequest {
					t.Fatalf("GET %s %v = %d %s, want 400", resource, tt.query, resp.StatusCode, resp.Body)
				}
				e := errorOf(t, resp)
				var details struct {
					Field string `json:"field"`
				}
				if err := json.Unmarshal(e.Details, &details); err != nil || e.Code != market.CodeInvalid || details.Field != tt.wantField {
					t.Errorf("error = %+v, want invalid_request on %s", e, tt.wantField)
				}
				if n := store.readCount(); n != 0 {
					t.Errorf("the store was read %d times for a refused request", n)
				}
			})
		}
	}
}
