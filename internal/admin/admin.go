// Package admin is the operator's side of the marketplace: the migrate
// function's actions (the schema, a first company, the carriers, whose
// phones the carriers' SMS topic follows) and the carrier changes that
// `go run ./cmd/local carrier` makes on a local database. It is apart from
// internal/app so that only the migrate function and the local runner
// link the migrations and goose.
package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/notify"
	"github.com/deliverymarket/delivery/migrations"
)

// MigrateRequest is the payload setup.sh invokes the migrate Lambda with.
type MigrateRequest struct {
	// Action is one of
	//   - "migrate": apply pending migrations (every deploy), create or
	//     update the functions' MySQL users and their grants, then make the
	//     carriers' SMS subscriptions follow the carriers table;
	//   - "ensure-company": create the company called Name unless it exists;
	//   - "carrier-add": add the carrier Name with Phone, or reactivate it;
	//   - "carrier-remove": deactivate the carrier with Phone;
	//   - "carrier-list": list the carriers, with their phones;
	//   - "area-set": make Area the delivery area (SetArea);
	//   - "area-show": show the delivery area;
	//   - "area-clear": remove the delivery area;
	//   - "offers": list the offers of Order (Offers).
	// Adding and removing a carrier subscribe and unsubscribe its phone.
	Action string `json:"action"`
	Name   string `json:"name,omitempty"`
	Phone  string `json:"phone,omitempty"`
	// Area is the GeoJSON document of area-set, as it is: a Polygon or
	// MultiPolygon, a Feature or a FeatureCollection of one Feature.
	Area json.RawMessage `json:"area,omitempty"`
	// Order is the order id or delivery id of offers.
	Order string `json:"order,omitempty"`
}

// CarrierRecord is a carrier as the operator sees it: with the phone,
// which the API never shows.
type CarrierRecord struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Phone  string `json:"phone"`
	Active bool   `json:"active"`
}

func carrierRecord(c market.Carrier) *CarrierRecord {
	return &CarrierRecord{ID: c.ID, Name: c.Name, Phone: c.Phone, Active: c.Active}
}

// MigrateResponse is the migrate Lambda's answer, for the operator who
// invoked it; nothing of it is logged.
type MigrateResponse struct {
	Version       int64              `json:"version,omitempty"`
	Users         map[string]string  `json:"users,omitempty"`
	CompanyID     int64              `json:"companyId,omitempty"`
	Carrier       *CarrierRecord     `json:"carrier,omitempty"`
	Carriers      []CarrierRecord    `json:"carriers,omitempty"`
	Subscriptions *notify.SyncReport `json:"subscriptions,omitempty"`
	// Handover says what became of a removed carrier's orders.
	Handover *market.Handover `json:"handover,omitempty"`
	// Area is the delivery area after area-set, area-show or area-clear.
	Area *AreaRecord `json:"area,omitempty"`
	// Offers are an order's offers after offers.
	Offers *OffersRecord `json:"offers,omitempty"`
}

// SyncSubscriptions makes the carriers' SMS topic send the order SMS to
// exactly activePhones (snssms.Topic.Sync on AWS).
type SyncSubscriptions func(ctx context.Context, activePhones []string) (notify.SyncReport, error)

// Migrate is the handler of the migrate Lambda, the only way a deployment
// changes its schema (it runs the same embedded migrations as the local
// runner and the tests), its functions' database users (users, by
// function: see EnsureUsers) and its carriers. d.DB is the master user's.
// An error fails the invocation, which setup.sh reports as a failed deploy
// or command.
func Migrate(d app.Deps, syncTopic SyncSubscriptions, users map[string]mysql.CredentialSource) func(context.Context, MigrateRequest) (MigrateResponse, error) {
	carriers := mysql.NewCarrierStore(d.DB)
	areas := mysql.NewAreaStore(d.DB)
	// sync makes the topic's SMS subscriptions those of the active
	// carriers: after each change, and on each deploy, so that a change
	// whose sync failed is made good by the next run.
	sync := func(ctx context.Context, resp MigrateResponse) (MigrateResponse, error) {
		all, err := carriers.Carriers(ctx)
		if err != nil {
			return resp, err
		}
		report, err := syncTopic(ctx, ActivePhones(all))
		if err != nil {
			return resp, fmt.Errorf("carriers' sms subscriptions: %w", err)
		}
		d.Logger.InfoContext(ctx, "carriers' sms subscriptions synced",
			"active", report.Active, "subscribed", report.Subscribed, "unsubscribed", report.Unsubscribed)
		resp.Subscriptions = &report
		return resp, nil
	}
	return func(ctx context.Context, req MigrateRequest) (MigrateResponse, error) {
		switch req.Action {
		case "migrate":
			version, err := migrations.Up(ctx, d.DB.DB)
			if err != nil {
				return MigrateResponse{}, err
			}
			d.Logger.InfoContext(ctx, "migrated", "version", version)
			// After the migrations, so that a table they create is granted
			// in the same run.
			report, err := EnsureUsers(ctx, d.DB, users)
			if err != nil {
				return MigrateResponse{}, err
			}
			d.Logger.InfoContext(ctx, "function users ensured", "users", report.Users)
			return sync(ctx, MigrateResponse{Version: version, Users: report.Users})
		case "ensure-company":
			name := strings.TrimSpace(req.Name)
			if name == "" || utf8.RuneCountInString(name) > 120 {
				return MigrateResponse{}, fmt.Errorf("ensure-company: name must be 1 to 120 characters")
			}
			id, err := mysql.NewCompanyStore(d.DB).Ensure(ctx, name)
			if err != nil {
				return MigrateResponse{}, err
			}
			d.Logger.InfoContext(ctx, "company ensured", "companyId", id, "name", name)
			return MigrateResponse{CompanyID: id}, nil
		case "carrier-add":
			c, err := AddCarrier(ctx, carriers, req.Name, req.Phone)
			if err != nil {
				return MigrateResponse{}, fmt.Errorf("carrier-add: %w", err)
			}
			d.Logger.InfoContext(ctx, "carrier added", "carrierId", c.ID, "phone", notify.MaskPhone(c.Phone))
			return sync(ctx, MigrateResponse{Carrier: carrierRecord(c)})
		case "carrier-remove":
			c, handover, err := RemoveCarrier(ctx, carriers, market.Fulfilment{Store: mysql.NewFulfilmentStore(d.DB), Texts: d.Texts, Log: d.Logger}, req.Phone)
			if err != nil {
				return MigrateResponse{}, fmt.Errorf("carrier-remove: %w", err)
			}
			d.Logger.InfoContext(ctx, "carrier removed", "carrierId", c.ID, "phone", notify.MaskPhone(c.Phone),
				"released", handover.Released, "stillHeld", len(handover.StillHeld))
			return sync(ctx, MigrateResponse{Carrier: carrierRecord(c), Handover: &handover})
		case "area-set", "area-show", "area-clear":
			area, err := areaAction(ctx, areas, req)
			if err != nil {
				return MigrateResponse{}, fmt.Errorf("%s: %w", req.Action, err)
			}
			if req.Action != "area-show" {
				d.Logger.InfoContext(ctx, "delivery area changed", "action", req.Action, "set", area.Set)
			}
			return MigrateResponse{Area: &area}, nil
		case "offers":
			offers, err := Offers(ctx, d.DB, req.Order)
			if err != nil {
				return MigrateResponse{}, fmt.Errorf("offers: %w", err)
			}
			return MigrateResponse{Offers: &offers}, nil
		case "carrier-list":
			all, err := carriers.Carriers(ctx)
			if err != nil {
				return MigrateResponse{}, err
			}
			resp := MigrateResponse{Carriers: make([]CarrierRecord, len(all))}
			for i, c := range all {
				resp.Carriers[i] = *carrierRecord(c)
			}
			return resp, nil
		}
		if resp, ok, err := accessAction(ctx, d, req, sync); ok {
			return resp, err
		}
		return MigrateResponse{}, fmt.Errorf("unknown action %q: want migrate, ensure-company, carrier-add, carrier-remove, carrier-list, "+
			"company-disable, company-enable, company-phone, carrier-suspend, carrier-resume, area-set, area-show, area-clear or offers", req.Action)
	}
}

// areaAction runs area-set, area-show and area-clear.
func areaAction(ctx context.Context, areas *mysql.AreaStore, req MigrateRequest) (AreaRecord, error) {
	switch req.Action {
	case "area-set":
		if len(req.Area) == 0 {
			return AreaRecord{}, market.FieldError("area", "area-set needs area: the GeoJSON Polygon or MultiPolygon of the delivery area")
		}
		return SetArea(ctx, areas, req.Area)
	case "area-clear":
		return ClearArea(ctx, areas)
	}
	return ShowArea(ctx, areas)
}

// AddCarrier adds an active carrier, for `go run ./cmd/local carrier add`
// and the migrate Lambda alike. Adding a carrier that is there already,
// under the same name, changes nothing; a removed one comes back. A phone
// that is another carrier's (by name) is CodeConflict, a malformed name or
// phone CodeInvalid.
func AddCarrier(ctx context.Context, store market.CarrierStore, name, phone string) (market.Carrier, error) {
	c, err := market.NewCarrier(name, phone)
	if err != nil {
		return market.Carrier{}, err
	}
	existing, err := store.CarrierByPhone(ctx, c.Phone)
	switch {
	case market.ErrorCode(err) == market.CodeNotFound:
		return store.AddCarrier(ctx, c)
	case err != nil:
		return market.Carrier{}, err
	case existing.Name != c.Name:
		return market.Carrier{}, &market.Error{
			Code:    market.CodeConflict,
			Message: fmt.Sprintf("this phone is carrier %d's, %q; add it under that name to keep or reactivate it", existing.ID, existing.Name),
			Details: map[string]string{"field": "phone"},
		}
	case existing.Active:
		return existing, nil
	}
	return store.SetCarrierActive(ctx, c.Phone, true)
}

// RemoveCarrier deactivates the carrier with phone: it no longer gets the
// order SMS nor signs in, and its record stays for the orders it carried.
// The orders it had accepted are released to the other carriers; those it
// has picked up are reported. CodeNotFound if no carrier has that phone.
func RemoveCarrier(ctx context.Context, store market.CarrierStore, fulfilment market.Fulfilment, phone string) (market.Carrier, market.Handover, error) {
	phone, err := market.NormalizePhoneField("phone", phone)
	if err != nil {
		return market.Carrier{}, market.Handover{}, err
	}
	c, err := store.SetCarrierActive(ctx, phone, false)
	if err != nil {
		return market.Carrier{}, market.Handover{}, err
	}
	h, err := fulfilment.ReleaseCarrierOrders(ctx, c.ID)
	return c, h, err
}

// ActivePhones returns the phones of the active carriers: those the
// carriers' topic sends the order SMS to.
func ActivePhones(carriers []market.Carrier) []string {
	var phones []string
	for _, c := range carriers {
		if c.Active {
			phones = append(phones, c.Phone)
		}
	}
	return phones
}
