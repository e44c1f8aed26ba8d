package mysql

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
)

// ShopStore reads what delivery needs of the companies: where they are,
// how long they take and when they are open.
type ShopStore struct {
	db sqlx.ExtContext
}

var _ market.ShopStore = (*ShopStore)(nil)

// NewShopStore returns a store over db, a pool or a transaction.
func NewShopStore(db sqlx.ExtContext) *ShopStore { return &ShopStore{db: db} }

const shopsByID = `SELECT id, lat, lng, prep_minutes, opening_hours, paused FROM companies WHERE id IN (?)`

// shopColumns are a company's delivery columns, as the shops, the
// profile and the catalog's companies read them.
type shopColumns struct {
	Lat          *float64 `db:"lat"`
	Lng          *float64 `db:"lng"`
	PrepMinutes  int      `db:"prep_minutes"`
	OpeningHours *string  `db:"opening_hours"`
	Paused       bool     `db:"paused"`
}

// location is nil until the company sets one.
func (c shopColumns) location() *market.Location { return locationOf(c.Lat, c.Lng) }

// locationOf reads a pair of nullable coordinate columns: both are written
// together, so one without the other is no location either.
func locationOf(lat, lng *float64) *market.Location {
	if lat == nil || lng == nil {
		return nil
	}
	return &market.Location{Lat: *lat, Lng: *lng}
}

// hours are the stored opening hours, AlwaysOpen for a company that never
// set any. Hours that no longer parse are the database's fault, not the
// caller's: the error is internal, never a CodeInvalid that would blame
// the request.
func (c shopColumns) hours(company int64) (market.OpeningHours, error) {
	if c.OpeningHours == nil {
		return market.AlwaysOpen(), nil
	}
	h, err := market.ParseOpeningHours("opening_hours", json.RawMessage(*c.OpeningHours))
	if err != nil {
		return market.OpeningHours{}, fmt.Errorf("company %d: stored opening hours: %s", company, err.Error())
	}
	return h, nil
}

// Shops returns the shops with the given ids, in one query.
func (s *ShopStore) Shops(ctx context.Context, ids []int64) (map[int64]market.Shop, error) {
	shops := make(map[int64]market.Shop, len(ids))
	if len(ids) == 0 {
		return shops, nil
	}
	query, args, err := sqlx.In(shopsByID, ids)
	if err != nil {
		return nil, translate("shops", err)
	}
	var rows []struct {
		ID int64 `db:"id"`
		shopColumns
	}
	if err := sqlx.SelectContext(ctx, s.db, &rows, query, args...); err != nil {
		return nil, translate("shops", err)
	}
	for _, r := range rows {
		hours, err := r.hours(r.ID)
		if err != nil {
			return nil, err
		}
		shops[r.ID] = market.Shop{
			ID:          r.ID,
			Location:    r.location(),
			PrepMinutes: r.PrepMinutes,
			Hours:       hours,
			Paused:      r.Paused,
		}
	}
	return shops, nil
}
