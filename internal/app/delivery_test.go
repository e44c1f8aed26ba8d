package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/localrun"
	"github.com/deliverymarket/delivery/internal/market"
)

// inLisbon is a point in the demo area; offshore is south of it, in the
// river; farAway is in the demo area's north-west corner.
const (
	inLisbon = `{"lat": 38.7169, "lng": -9.1399}`
	offshore = `{"lat": 38.6800, "lng": -9.1400}`
	farAway  = `{"lat": 38.7500, "lng": -9.1600}`
)

// newDeliveryAPI is the whole API on a database with the demo shops and
// the demo area, with rules.
func newDeliveryAPI(t *testing.T, rules market.DeliveryRules) *companyAPI {
	t.Helper()
	api := newCompanyAPI(t)
	if _, err := demo.SeedArea(context.Background(), api.db); err != nil {
		t.Fatal(err)
	}
	if rules.Zone != nil {
		market, err := localrun.New(localrun.Config{DB: api.db, Currency: "USD", Logger: slog.New(slog.DiscardHandler),
			Keyring: api.keyring, Delivery: rules})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(market.Handler)
		t.Cleanup(market.Wait)
		t.Cleanup(srv.Close)
		api.url = srv.URL
	}
	return api
}

func (c *companyAPI) companyID(t *testing.T, name string) int64 {
	t.Helper()
	var id int64
	if err := c.db.GetContext(context.Background(), &id, `SELECT id FROM companies WHERE name = ?`, name); err != nil {
		t.Fatal(err)
	}
	return id
}

// firstProduct is an active product of the company called name.
func (c *companyAPI) firstProduct(t *testing.T, name string) int64 {
	t.Helper()
	var id int64
	err := c.db.GetContext(context.Background(), &id,
		`SELECT p.id FROM products p JOIN companies c ON c.id = p.company_id WHERE c.name = ? AND p.active ORDER BY p.id LIMIT 1`, name)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func orderJSON(product int64, location string) string {
	customer := `"name": "Ana Silva", "phone": "+351912345678", "address": "Rua Augusta 10, 1100-053 Lisboa"`
	if location != "" {
		customer += `, "location": ` + location
	}
	return fmt.Sprintf(`{"items": [{"productId": %d, "quantity": 2}], "customer": {%s}}`, product, customer)
}

func money(t *testing.T, v any) decimal.Decimal {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%v is not an amount in a string", v)
	}
	return decimal.RequireFromString(s)
}

func TestDeliveryThroughTheAPI(t *testing.T) {
	api := newDeliveryAPI(t, market.DeliveryRules{})
	bread := api.firstProduct(t, "Padaria Sol")
	pasta := api.firstProduct(t, "Casa Nonna Kitchen")
	quote := func(body string) reply { return api.do(t, http.MethodPost, "/api/orders/quote", "", nil, body) }

	t.Run("the area is public", func(t *testing.T) {
		r := api.do(t, http.MethodGet, "/api/area", "", nil, "")
		area, _ := r.body["area"].(map[string]any)
		fee, _ := r.body["fee"].(map[string]any)
		if r.status != 200 || area["type"] != "Polygon" || r.body["timezone"] != "Europe/Lisbon" || fee["base"] != "1.50" || r.body["maxKm"] != 15.0 {
			t.Fatalf("GET /api/area = %d %s", r.status, r.rawBody)
		}
		if !strings.Contains(r.header.Get("Cache-Control"), "max-age") {
			t.Errorf("Cache-Control = %q, want the catalog's", r.header.Get("Cache-Control"))
		}
	})

	t.Run("companies say where they are and that they are open", func(t *testing.T) {
		r := api.do(t, http.MethodGet, "/api/companies", "", nil, "")
		companies, _ := r.body["companies"].([]any)
		if r.status != 200 || len(companies) == 0 {
			t.Fatalf("GET /api/companies = %d %s", r.status, r.rawBody)
		}
		for _, c := range companies {
			c := c.(map[string]any)
			if c["open"] != true || c["opensAt"] != nil || c["prepMinutes"] != 15.0 || c["location"] == nil {
				t.Errorf("company %v", c)
			}
		}
	})

	t.Run("a quote without a location has no delivery", func(t *testing.T) {
		r := quote(fmt.Sprintf(`{"items": [{"productId": %d, "quantity": 2}]}`, bread))
		if r.status != 200 || r.body["delivery"] != nil || r.body["subtotal"] != r.body["total"] {
			t.Fatalf("quote = %d %s", r.status, r.rawBody)
		}
	})

	t.Run("a quote with a location adds the fee and the ETA", func(t *testing.T) {
		r := quote(fmt.Sprintf(`{"items": [{"productId": %d, "quantity": 2}, {"productId": %d, "quantity": 1}], "deliverTo": %s}`, bread, pasta, inLisbon))
		d, _ := r.body["delivery"].(map[string]any)
		if r.status != 200 || d == nil {
			t.Fatalf("quote = %d %s", r.status, r.rawBody)
		}
		fee := money(t, d["fee"])
		if !money(t, r.body["total"]).Equal(money(t, r.body["subtotal"]).Add(fee)) {
			t.Errorf("total %v is not subtotal %v + fee %v", r.body["total"], r.body["subtotal"], d["fee"])
		}
		km := decimal.NewFromFloat(d["distanceKm"].(float64))
		want := km.Mul(decimal.RequireFromString("0.40")).Add(decimal.RequireFromString("1.50")).Mul(decimal.NewFromInt(100)).Ceil().Div(decimal.NewFromInt(100))
		if !fee.Equal(want) || km.Sign() <= 0 {
			t.Errorf("fee %s for %s km, want %s", fee, km, want)
		}
		eta, _ := d["eta"].(map[string]any)
		earliest, err1 := time.Parse(time.RFC3339, fmt.Sprint(eta["earliest"]))
		latest, err2 := time.Parse(time.RFC3339, fmt.Sprint(eta["latest"]))
		if err1 != nil || err2 != nil || !latest.After(earliest) || earliest.Before(time.Now().Add(15*time.Minute)) {
			t.Errorf("eta %v", eta)
		}
		if d["estimate"] != true {
			t.Errorf("estimate = %v: the runner has no routing service", d["estimate"])
		}
	})

	refusals := []struct {
		name, path, body string
		status           int
		code, field      string
		reason           string
	}{
		{"a quote outside the area", "/api/orders/quote", fmt.Sprintf(`{"items": [{"productId": %d, "quantity": 1}], "deliverTo": %s}`, bread, offshore), 422, "outside_delivery_area", "", "outside_area"},
		{"an order outside the area", "/api/orders", orderJSON(bread, offshore), 422, "outside_delivery_area", "", "outside_area"},
		{"an order without a location", "/api/orders", orderJSON(bread, ""), 400, "invalid_request", "customer.location", ""},
		{"an order with half a location", "/api/orders", orderJSON(bread, `{"lat": 38.7}`), 400, "invalid_request", "customer.location.lng", ""},
		{"an order with a location out of range", "/api/orders", orderJSON(bread, `{"lat": 38.7, "lng": 200}`), 400, "invalid_request", "customer.location.lng", ""},
		{"a location that is not an object", "/api/orders", orderJSON(bread, `"Lisbon"`), 400, "invalid_request", "", ""},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			before := api.count(t, "orders")
			r := api.do(t, http.MethodPost, tt.path, "", map[string]string{"Idempotency-Key": "delivery-" + strings.ReplaceAll(tt.name, " ", "-")}, tt.body)
			if r.status != tt.status || r.errorCode() != tt.code {
				t.Fatalf("%d %s, want %d %s", r.status, r.rawBody, tt.status, tt.code)
			}
			details, _ := r.body["error"].(map[string]any)["details"].(map[string]any)
			if tt.field != "" && details["field"] != tt.field {
				t.Errorf("details %v, want field %s", details, tt.field)
			}
			if tt.reason != "" && (details["reason"] != tt.reason || details["distanceKm"].(float64) <= 0) {
				t.Errorf("details %v, want reason %s with a distance", details, tt.reason)
			}
			if after := api.count(t, "orders"); after != before {
				t.Errorf("orders went from %d to %d", before, after)
			}
		})
	}

	t.Run("an order keeps its delivery, and the location is part of the request", func(t *testing.T) {
		key := map[string]string{"Idempotency-Key": "delivery-kept-1"}
		placed := api.do(t, http.MethodPost, "/api/orders", "", key, orderJSON(bread, inLisbon))
		if placed.status != 201 {
			t.Fatalf("place = %d %s", placed.status, placed.rawBody)
		}
		fee := money(t, placed.body["deliveryFee"])
		if fee.Sign() <= 0 || !money(t, placed.body["total"]).Equal(money(t, placed.body["subtotal"]).Add(fee)) || placed.body["eta"] == nil {
			t.Errorf("placed %s", placed.rawBody)
		}
		read := api.do(t, http.MethodGet, "/api/orders/"+placed.body["orderId"].(string), "", nil, "")
		for _, field := range []string{"subtotal", "deliveryFee", "total"} {
			if read.body[field] != placed.body[field] {
				t.Errorf("%s read back %v, placed %v", field, read.body[field], placed.body[field])
			}
		}
		if fmt.Sprint(read.body["eta"]) != fmt.Sprint(placed.body["eta"]) {
			t.Errorf("eta read back %v, placed %v", read.body["eta"], placed.body["eta"])
		}
		if again := api.do(t, http.MethodPost, "/api/orders", "", key, orderJSON(bread, inLisbon)); again.status != 201 || again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay = %d %s", again.status, again.rawBody)
		}
		if moved := api.do(t, http.MethodPost, "/api/orders", "", key, orderJSON(bread, farAway)); moved.status != 409 {
			t.Errorf("the same key to another place = %d %s, want 409", moved.status, moved.rawBody)
		}
	})

	t.Run("a paused shop takes no orders", func(t *testing.T) {
		nonna := api.companyID(t, "Casa Nonna Kitchen")
		token := api.token(t, nonna)
		profile := api.do(t, http.MethodGet, "/api/company/profile", token, nil, "")
		body := fmt.Sprintf(`{"address": %q, "version": %v, "paused": true}`, profile.body["address"], profile.body["version"])
		if r := api.do(t, http.MethodPut, "/api/company/profile", token, nil, body); r.status != 200 || r.body["paused"] != true {
			t.Fatalf("pause = %d %s", r.status, r.rawBody)
		}
		for _, path := range []string{"/api/orders/quote", "/api/orders"} {
			r := api.do(t, http.MethodPost, path, "", map[string]string{"Idempotency-Key": "delivery-paused-1"}, orderJSON(pasta, inLisbon))
			if path == "/api/orders/quote" {
				r = quote(fmt.Sprintf(`{"items": [{"productId": %d, "quantity": 1}, {"productId": %d, "quantity": 1}]}`, bread, pasta))
			}
			details, _ := r.body["error"].(map[string]any)["details"].(map[string]any)
			if r.status != 422 || r.errorCode() != "shop_closed" || fmt.Sprint(details["companyIds"]) != fmt.Sprintf("[%d]", nonna) {
				t.Errorf("%s = %d %s, want 422 shop_closed naming %d", path, r.status, r.rawBody, nonna)
			}
		}
		list := api.do(t, http.MethodGet, "/api/companies", "", nil, "")
		for _, c := range list.body["companies"].([]any) {
			c := c.(map[string]any)
			if c["id"] == float64(nonna) && (c["open"] != false || c["opensAt"] != nil) {
				t.Errorf("the paused shop is listed as %v", c)
			}
		}
	})
}

func TestDeliveryTooFar(t *testing.T) {
	rules := market.DefaultDeliveryRules()
	rules.MaxKm = 1
	api := newDeliveryAPI(t, rules)
	bread := api.firstProduct(t, "Padaria Sol")
	r := api.do(t, http.MethodPost, "/api/orders/quote", "", nil,
		fmt.Sprintf(`{"items": [{"productId": %d, "quantity": 1}], "deliverTo": %s}`, bread, farAway))
	details, _ := r.body["error"].(map[string]any)["details"].(map[string]any)
	if r.status != 422 || r.errorCode() != "outside_delivery_area" || details["reason"] != "too_far" || details["maxKm"] != 1.0 {
		t.Fatalf("quote = %d %s, want 422 too_far", r.status, r.rawBody)
	}
}

func TestProfileHours(t *testing.T) {
	api := newDeliveryAPI(t, market.DeliveryRules{})
	sol := api.companyID(t, "Padaria Sol")
	token := api.token(t, sol)
	profile := api.do(t, http.MethodGet, "/api/company/profile", token, nil, "")
	if profile.body["timezone"] != "Europe/Lisbon" || profile.body["prepMinutes"] != 15.0 || profile.body["location"] == nil {
		t.Fatalf("profile %s", profile.rawBody)
	}
	put := func(fields string) reply {
		current := api.do(t, http.MethodGet, "/api/company/profile", token, nil, "")
		return api.do(t, http.MethodPut, "/api/company/profile", token, nil,
			fmt.Sprintf(`{"address": %q, "version": %v, %s}`, current.body["address"], current.body["version"], fields))
	}
	// Closed at every hour but one minute a week: closed now, almost surely,
	// and opening within the week.
	now := time.Now().In(mustLisbon(t))
	day := [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}[(now.Weekday()+3)%7]
	r := put(fmt.Sprintf(`"openingHours": {%q: [{"open": "10:00", "close": "10:01"}]}, "prepMinutes": 40, "location": {"lat": 38.72, "lng": -9.14}`, day))
	if r.status != 200 || r.body["prepMinutes"] != 40.0 {
		t.Fatalf("put = %d %s", r.status, r.rawBody)
	}
	hours, _ := r.body["openingHours"].(map[string]any)
	if len(hours) != 7 || fmt.Sprint(hours[day]) != "[map[close:10:01 open:10:00]]" {
		t.Errorf("hours %v", hours)
	}
	list := api.do(t, http.MethodGet, "/api/companies", "", nil, "")
	for _, c := range list.body["companies"].([]any) {
		c := c.(map[string]any)
		if c["id"] == float64(sol) && (c["open"] != false || c["opensAt"] == nil || c["prepMinutes"] != 40.0) {
			t.Errorf("the closed shop is listed as %v", c)
		}
	}
	if r := put(`"location": null`); r.status != 200 || r.body["location"] != nil || r.body["prepMinutes"] != 40.0 {
		t.Errorf("clearing the location = %d %s", r.status, r.rawBody)
	}
	for _, bad := range []string{`"prepMinutes": 0`, `"openingHours": {"mon": [{"open": "25:00", "close": "26:00"}]}`, `"location": {"lat": 100, "lng": 0}`, `"paused": "yes"`} {
		before := api.do(t, http.MethodGet, "/api/company/profile", token, nil, "")
		if r := put(bad); r.status != 400 {
			t.Errorf("%s = %d %s, want 400", bad, r.status, r.rawBody)
		}
		if after := api.do(t, http.MethodGet, "/api/company/profile", token, nil, ""); after.rawBody != before.rawBody {
			t.Errorf("%s changed the profile", bad)
		}
	}
}

func mustLisbon(t *testing.T) *time.Location {
	t.Helper()
	zone, err := time.LoadLocation("Europe/Lisbon")
	if err != nil {
		t.Fatal(err)
	}
	return zone
}

func (c *companyAPI) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := c.db.GetContext(context.Background(), &n, "SELECT COUNT(*) FROM "+table); err != nil {
		t.Fatal(err)
	}
	return n
}
