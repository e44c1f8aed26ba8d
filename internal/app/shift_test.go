package app_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/localrun"
	"github.com/deliverymarket/delivery/internal/market"
)

// newShiftAPI is the whole API on a fresh seeded database whose carriers
// may change shifts changes times an hour, with two carriers' tokens.
func newShiftAPI(t *testing.T, changes int) (api *companyAPI, carrierA, carrierB string) {
	t.Helper()
	db := dbtest.MustOpenDB(t)
	if _, err := demo.SeedIfEmpty(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	keyring := newKeyring(t)
	m, err := localrun.New(localrun.Config{DB: db, Currency: "USD", Logger: slog.New(slog.DiscardHandler), Keyring: keyring,
		Limits: market.Limits{ShiftsPerCarrier: market.Limit{Max: changes, Window: time.Hour}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.Handler)
	t.Cleanup(m.Wait)
	t.Cleanup(srv.Close)
	api = &companyAPI{url: srv.URL, db: db, keyring: keyring}
	var tokens []string
	for _, phone := range []string{carrierPhoneA, carrierPhoneB} {
		res, err := db.Exec(`INSERT INTO carriers (name, phone) VALUES ('Shift Carrier', ?)`, phone)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := res.LastInsertId()
		token, err := keyring.MintCarrier(id, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, token)
	}
	return api, tokens[0], tokens[1]
}

const somewhere = `{"lat":38.7105004,"lng":-9.1365,"accuracy":14.2}`

// A carrier goes on shift once however often they say so, sends where
// they are no more often than every 10 seconds and only on shift, sees
// their own position and nobody else's, and is off shift once it ended.
func TestShiftOverHTTP(t *testing.T) {
	api, carrierA, carrierB := newShiftAPI(t, 30)

	off := api.do(t, http.MethodGet, "/api/carrier/shift", carrierA, nil, "")
	expectStatus(t, "GET the shift before any", off, http.StatusOK, "")
	if off.rawBody != `{"onShift":false,"startedAt":null,"endsAt":null,"position":null}` {
		t.Errorf("GET the shift before any = %s", off.rawBody)
	}
	refused := api.do(t, http.MethodPost, "/api/carrier/location", carrierA, nil, somewhere)
	expectStatus(t, "a position off shift", refused, http.StatusConflict, "conflict")

	on := api.do(t, http.MethodPost, "/api/carrier/shift", carrierA, nil, `{"onShift":true}`)
	expectStatus(t, "start a shift", on, http.StatusOK, "")
	if on.body["onShift"] != true || on.body["startedAt"] == nil || on.body["position"] != nil {
		t.Fatalf("start a shift = %s", on.rawBody)
	}
	again := api.do(t, http.MethodPost, "/api/carrier/shift", carrierA, nil, `{"onShift":true}`)
	expectStatus(t, "start it again", again, http.StatusOK, "")
	if again.body["startedAt"] != on.body["startedAt"] {
		t.Errorf("starting again moved the start: %s, then %s", on.rawBody, again.rawBody)
	}

	located := api.do(t, http.MethodPost, "/api/carrier/location", carrierA, nil, somewhere)
	expectStatus(t, "a position on shift", located, http.StatusOK, "")
	pos, _ := located.body["position"].(map[string]any)
	if pos["lat"] != 38.7105 || pos["lng"] != -9.1365 || pos["accuracy"] != float64(15) || pos["at"] == nil {
		t.Errorf("a position on shift = %s", located.rawBody)
	}
	// The second comes at once, well within 10 seconds of the first.
	soon := api.do(t, http.MethodPost, "/api/carrier/location", carrierA, nil, somewhere)
	expectStatus(t, "a second position at once", soon, http.StatusTooManyRequests, "throttled")
	if soon.header.Get("Retry-After") == "" {
		t.Errorf("a second position at once has no Retry-After: %v", soon.header)
	}

	mine := api.do(t, http.MethodGet, "/api/carrier/shift", carrierA, nil, "")
	if mine.body["onShift"] != true || !strings.Contains(mine.rawBody, "38.7105") {
		t.Errorf("GET the shift = %s, want on shift with the position", mine.rawBody)
	}
	other := api.do(t, http.MethodGet, "/api/carrier/shift", carrierB, nil, "")
	if other.body["onShift"] != false || strings.Contains(other.rawBody, "38.7105") {
		t.Errorf("another carrier's GET the shift = %s, want off shift and no position", other.rawBody)
	}

	// The shift ends by itself: it is off, and positions are refused.
	if _, err := api.db.Exec(`UPDATE carrier_shifts SET ends_at = ?`, time.Now().UTC().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	ended := api.do(t, http.MethodGet, "/api/carrier/shift", carrierA, nil, "")
	if ended.body["onShift"] != false || ended.body["position"] != nil {
		t.Errorf("GET the shift once ended = %s", ended.rawBody)
	}
	expectStatus(t, "a position once the shift ended", api.do(t, http.MethodPost, "/api/carrier/location", carrierA, nil, somewhere), http.StatusConflict, "conflict")

	restarted := api.do(t, http.MethodPost, "/api/carrier/shift", carrierA, nil, `{"onShift":true}`)
	if restarted.body["onShift"] != true || restarted.body["startedAt"] == on.body["startedAt"] || restarted.body["position"] != nil {
		t.Errorf("a shift started after one ended = %s, want a new one", restarted.rawBody)
	}
	ending := api.do(t, http.MethodPost, "/api/carrier/shift", carrierA, nil, `{"onShift":false}`)
	expectStatus(t, "end the shift", ending, http.StatusOK, "")
	if ending.body["onShift"] != false {
		t.Errorf("end the shift = %s", ending.rawBody)
	}
	if n := api.count(t, "carrier_shifts"); n != 0 {
		t.Errorf("%d shifts kept after the end, want none", n)
	}
}

// Shift changes are bounded per carrier.
func TestShiftChangesThrottled(t *testing.T) {
	api, carrierA, carrierB := newShiftAPI(t, 2)
	for _, body := range []string{`{"onShift":true}`, `{"onShift":false}`} {
		expectStatus(t, "change "+body, api.do(t, http.MethodPost, "/api/carrier/shift", carrierA, nil, body), http.StatusOK, "")
	}
	third := api.do(t, http.MethodPost, "/api/carrier/shift", carrierA, nil, `{"onShift":true}`)
	expectStatus(t, "a third change in an hour", third, http.StatusTooManyRequests, "throttled")
	if third.header.Get("Retry-After") == "" {
		t.Errorf("a third change has no Retry-After")
	}
	expectStatus(t, "another carrier's change", api.do(t, http.MethodPost, "/api/carrier/shift", carrierB, nil, `{"onShift":true}`), http.StatusOK, "")
}

func TestShiftAndLocationRefuseBadInput(t *testing.T) {
	api, carrierA, _ := newShiftAPI(t, 100)
	expectStatus(t, "start a shift", api.do(t, http.MethodPost, "/api/carrier/shift", carrierA, nil, `{"onShift":true}`), http.StatusOK, "")
	tests := []struct {
		name, path, body string
		field            string
	}{
		{name: "shift without onShift", path: "/api/carrier/shift", body: `{}`, field: "onShift"},
		{name: "shift with a string", path: "/api/carrier/shift", body: `{"onShift":"yes"}`, field: "onShift"},
		{name: "shift with another field", path: "/api/carrier/shift", body: `{"onShift":true,"until":"18:00"}`, field: "until"},
		{name: "shift twice in one body", path: "/api/carrier/shift", body: `{"onShift":true,"onShift":false}`},
		{name: "shift as an array", path: "/api/carrier/shift", body: `[true]`},
		{name: "shift empty", path: "/api/carrier/shift", body: ``},
		{name: "location without lat", path: "/api/carrier/location", body: `{"lng":-9.1}`, field: "lat"},
		{name: "location without lng", path: "/api/carrier/location", body: `{"lat":38.7}`, field: "lng"},
		{name: "location off the globe", path: "/api/carrier/location", body: `{"lat":91,"lng":-9.1}`, field: "position.lat"},
		{name: "location with a string", path: "/api/carrier/location", body: `{"lat":"38.7","lng":-9.1}`, field: "lat"},
		{name: "location with no accuracy", path: "/api/carrier/location", body: `{"lat":38.7,"lng":-9.1,"accuracy":0}`, field: "accuracy"},
		{name: "location with an accuracy too coarse", path: "/api/carrier/location", body: `{"lat":38.7,"lng":-9.1,"accuracy":20000}`, field: "accuracy"},
		{name: "location with another field", path: "/api/carrier/location", body: `{"lat":38.7,"lng":-9.1,"speed":3}`, field: "speed"},
		{name: "location not JSON", path: "/api/carrier/location", body: `lat=38.7`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := api.do(t, http.MethodPost, tt.path, carrierA, nil, tt.body)
			expectStatus(t, tt.name, r, http.StatusBadRequest, "invalid_request")
			if details, _ := r.body["error"].(map[string]any)["details"].(map[string]any); tt.field != "" && details["field"] != tt.field {
				t.Errorf("%s names %v, want %s: %s", tt.name, details["field"], tt.field, r.rawBody)
			}
		})
	}
	if r := api.do(t, http.MethodGet, "/api/carrier/shift", carrierA, nil, ""); r.body["position"] != nil {
		t.Errorf("a refused position was kept: %s", r.rawBody)
	}
	company := api.token(t, 1)
	expectStatus(t, "a company's token", api.do(t, http.MethodGet, "/api/carrier/shift", company, nil, ""), http.StatusForbidden, "")
	expectStatus(t, "no token", api.do(t, http.MethodPost, "/api/carrier/location", "", nil, somewhere), http.StatusUnauthorized, "")
}
