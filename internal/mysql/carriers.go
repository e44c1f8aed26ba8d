package mysql

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
)

// CarrierStore keeps the carrier records.
type CarrierStore struct {
	db sqlx.ExtContext
}

var _ market.CarrierStore = (*CarrierStore)(nil)

// NewCarrierStore returns a store over db, a pool or a transaction.
func NewCarrierStore(db sqlx.ExtContext) *CarrierStore { return &CarrierStore{db: db} }

const (
	carrierColumns   = `id, name, phone, active`
	insertCarrier    = `INSERT INTO carriers (name, phone, active) VALUES (?, ?, TRUE)`
	carrierByPhone   = `SELECT ` + carrierColumns + ` FROM carriers WHERE phone = ?`
	carrierByID      = `SELECT ` + carrierColumns + ` FROM carriers WHERE id = ?`
	listCarriers     = `SELECT ` + carrierColumns + ` FROM carriers ORDER BY id`
	setCarrierActive = `UPDATE carriers SET active = ?, updated_at = UTC_TIMESTAMP(6) WHERE phone = ?`
)

// AddCarrier stores a new active carrier.
func (s *CarrierStore) AddCarrier(ctx context.Context, c market.Carrier) (market.Carrier, error) {
	res, err := s.db.ExecContext(ctx, insertCarrier, c.Name, c.Phone)
	if isDuplicate(err) {
		return market.Carrier{}, &market.Error{
			Code:    market.CodeConflict,
			Message: "a carrier with this phone number exists already",
			Details: map[string]string{"field": "phone"},
		}
	}
	if err != nil {
		return market.Carrier{}, translate("insert carrier", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return market.Carrier{}, translate("insert carrier", err)
	}
	c.ID, c.Active = id, true
	return c, nil
}

// SetCarrierActive activates or deactivates the carrier with phone.
func (s *CarrierStore) SetCarrierActive(ctx context.Context, phone string, active bool) (market.Carrier, error) {
	if _, err := s.db.ExecContext(ctx, setCarrierActive, active, phone); err != nil {
		return market.Carrier{}, translate("set carrier active", err)
	}
	return s.CarrierByPhone(ctx, phone)
}

// Carriers lists every carrier in id order.
func (s *CarrierStore) Carriers(ctx context.Context) ([]market.Carrier, error) {
	carriers := []market.Carrier{}
	err := sqlx.SelectContext(ctx, s.db, &carriers, listCarriers)
	return carriers, translate("list carriers", err)
}

// CarrierByPhone returns the carrier with phone.
func (s *CarrierStore) CarrierByPhone(ctx context.Context, phone string) (market.Carrier, error) {
	return s.get(ctx, "carrier by phone", carrierByPhone, phone)
}

// CarrierByID returns the carrier with id.
func (s *CarrierStore) CarrierByID(ctx context.Context, id int64) (market.Carrier, error) {
	return s.get(ctx, "carrier by id", carrierByID, id)
}

func (s *CarrierStore) get(ctx context.Context, op, query string, arg any) (market.Carrier, error) {
	var c market.Carrier
	err := sqlx.GetContext(ctx, s.db, &c, query, arg)
	if errors.Is(err, sql.ErrNoRows) {
		return market.Carrier{}, market.Errorf(market.CodeNotFound, "no such carrier")
	}
	return c, translate(op, err)
}

const carrierReleases = `SELECT id, releases FROM carriers ORDER BY id`

// Releases returns how many orders each carrier has given back, by
// carrier id, for the operator's list of carriers: a carrier who releases
// often keeps orders from others and has each one texted to every carrier
// again.
func (s *CarrierStore) Releases(ctx context.Context) (map[int64]int, error) {
	var rows []struct {
		ID       int64 `db:"id"`
		Releases int   `db:"releases"`
	}
	if err := sqlx.SelectContext(ctx, s.db, &rows, carrierReleases); err != nil {
		return nil, translate("carrier releases", err)
	}
	counts := make(map[int64]int, len(rows))
	for _, r := range rows {
		counts[r.ID] = r.Releases
	}
	return counts, nil
}
