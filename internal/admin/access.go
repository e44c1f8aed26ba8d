package admin

import (
	"context"
	"fmt"
	"time"

	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/notify"
)

// SetCompanyEnabled disables or enables the company with id, for
// `go run ./cmd/local company disable|enable` and the migrate function's
// company-disable and company-enable. A disabled company can no longer
// sign in (it is answered as a phone nobody has), and every token it had
// is refused by the authorizer at its next uncached call; enabled again, it
// signs in anew, its earlier tokens staying refused. Its products stay in
// the catalog: disabling is the answer to a stolen token or phone, which
// must not take the shop off the market. CodeNotFound if there is no such
// company.
func SetCompanyEnabled(ctx context.Context, store market.AccessStore, id int64, enabled bool, now time.Time) error {
	return store.SetEnabled(ctx, market.PrincipalCompany, id, enabled, market.OperatorCutoff(now))
}

// SetCarrierSuspended suspends or resumes the carrier with id. Suspended,
// the carrier is inactive as a removed one is (no order SMS, no sign-in),
// every token it had is refused, and the orders it had accepted are
// released to the others (those picked up are reported); resumed, it is
// active again and signs in anew. CodeNotFound if there is no such
// carrier.
func SetCarrierSuspended(ctx context.Context, access market.AccessStore, carriers market.CarrierStore, fulfilment market.Fulfilment, id int64, suspended bool, now time.Time) (market.Carrier, market.Handover, error) {
	if err := access.SetEnabled(ctx, market.PrincipalCarrier, id, !suspended, market.OperatorCutoff(now)); err != nil {
		return market.Carrier{}, market.Handover{}, err
	}
	c, err := carriers.CarrierByID(ctx, id)
	if err != nil || !suspended {
		return c, market.Handover{}, err
	}
	h, err := fulfilment.ReleaseCarrierOrders(ctx, id)
	return c, h, err
}

// accessAction runs the migrate function's actions on companies' and
// carriers' access, and reports whether req.Action is one of them:
//   - "company-disable", "company-enable": the company called Name;
//   - "company-phone": give the company called Name the sign-in phone
//     Phone, for a company that lost its old one (its tokens are revoked
//     and the old number told);
//   - "carrier-suspend", "carrier-resume": the carrier with Phone.
//
// Suspending and resuming a carrier change whom the SMS topic texts, so
// they end with sync.
func accessAction(ctx context.Context, d app.Deps, req MigrateRequest, sync func(context.Context, MigrateResponse) (MigrateResponse, error)) (MigrateResponse, bool, error) {
	now := time.Now()
	access := mysql.NewAccessStore(d.DB)
	switch req.Action {
	case "company-disable", "company-enable":
		id, err := companyByName(ctx, d, req.Name)
		if err != nil {
			return MigrateResponse{}, true, fmt.Errorf("%s: %w", req.Action, err)
		}
		enabled := req.Action == "company-enable"
		if err := SetCompanyEnabled(ctx, access, id, enabled, now); err != nil {
			return MigrateResponse{}, true, fmt.Errorf("%s: %w", req.Action, err)
		}
		d.Logger.InfoContext(ctx, "company access set", "companyId", id, "enabled", enabled)
		return MigrateResponse{CompanyID: id}, true, nil
	case "company-phone":
		id, err := companyByName(ctx, d, req.Name)
		if err != nil {
			return MigrateResponse{}, true, fmt.Errorf("company-phone: %w", err)
		}
		if _, err := market.SetCompanyPhone(ctx, mysql.NewProfileStore(d.DB), d.Texts, id, req.Phone, now); err != nil {
			return MigrateResponse{}, true, fmt.Errorf("company-phone: %w", err)
		}
		d.Logger.InfoContext(ctx, "company sign-in phone set", "companyId", id, "phone", notify.MaskPhone(req.Phone))
		return MigrateResponse{CompanyID: id}, true, nil
	case "carrier-suspend", "carrier-resume":
		carriers := mysql.NewCarrierStore(d.DB)
		phone, err := market.NormalizePhoneField("phone", req.Phone)
		if err != nil {
			return MigrateResponse{}, true, fmt.Errorf("%s: %w", req.Action, err)
		}
		c, err := carriers.CarrierByPhone(ctx, phone)
		if err != nil {
			return MigrateResponse{}, true, fmt.Errorf("%s: %w", req.Action, err)
		}
		suspended := req.Action == "carrier-suspend"
		fulfilment := market.Fulfilment{Store: mysql.NewFulfilmentStore(d.DB), Texts: d.Texts, Log: d.Logger}
		c, handover, err := SetCarrierSuspended(ctx, access, carriers, fulfilment, c.ID, suspended, now)
		if err != nil {
			return MigrateResponse{}, true, fmt.Errorf("%s: %w", req.Action, err)
		}
		d.Logger.InfoContext(ctx, "carrier access set", "carrierId", c.ID, "suspended", suspended, "released", handover.Released)
		resp := MigrateResponse{Carrier: carrierRecord(c)}
		if suspended {
			resp.Handover = &handover
		}
		resp, err = sync(ctx, resp)
		return resp, true, err
	}
	return MigrateResponse{}, false, nil
}

// companyByName returns the id of the company called name.
func companyByName(ctx context.Context, d app.Deps, name string) (int64, error) {
	return mysql.NewCompanyStore(d.DB).CompanyID(ctx, name)
}
