package mysql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
)

// ProfileStore keeps the companies' pickup details.
type ProfileStore struct {
	db sqlx.ExtContext
}

var _ market.ProfileStore = (*ProfileStore)(nil)

// NewProfileStore returns a store over db, a pool or a transaction.
func NewProfileStore(db sqlx.ExtContext) *ProfileStore { return &ProfileStore{db: db} }

const (
	profileByID = `SELECT id, name, address, COALESCE(phone, '') AS phone, version,
    lat, lng, prep_minutes, opening_hours, paused
FROM companies WHERE id = ?`
	// A compare-and-swap on version, as for products: a stale edit
	// changes nothing. The phone is not written here (PhoneChange). What
	// the draft leaves out keeps its stored value: a NULL for the
	// preparation time, the hours or the pause, a false flag for the
	// location (whose NULL removes it).
	replaceProfile = `UPDATE companies SET address = ?,
    lat = CASE WHEN ? THEN ? ELSE lat END,
    lng = CASE WHEN ? THEN ? ELSE lng END,
    prep_minutes = COALESCE(?, prep_minutes),
    opening_hours = COALESCE(?, opening_hours),
    paused = COALESCE(?, paused),
    version = version + 1, updated_at = UTC_TIMESTAMP(6)
WHERE id = ? AND version = ?`
	companyByPhone = `SELECT id FROM companies WHERE phone = ?`
	// A phone change revokes the company's tokens in the same statement,
	// and holds the old phone in its WHERE clause, so that of two
	// concurrent changes the second finds the phone moved.
	changePhone = `UPDATE companies SET phone = ?, version = version + 1,
	tokens_valid_from = GREATEST(tokens_valid_from, ?), updated_at = UTC_TIMESTAMP(6)
WHERE id = ? AND (? OR COALESCE(phone, '') = ?)`
)

type profileRow struct {
	ID      int64  `db:"id"`
	Name    string `db:"name"`
	Address string `db:"address"`
	Phone   string `db:"phone"`
	Version int64  `db:"version"`
	shopColumns
}

// Profile returns the company's profile, with the hours in effect: open
// at every hour until the company sets some.
func (s *ProfileStore) Profile(ctx context.Context, company int64) (market.CompanyProfile, error) {
	var r profileRow
	err := sqlx.GetContext(ctx, s.db, &r, profileByID, company)
	if errors.Is(err, sql.ErrNoRows) {
		return market.CompanyProfile{}, market.Errorf(market.CodeNotFound, "no such company")
	}
	if err != nil {
		return market.CompanyProfile{}, translate("company profile", err)
	}
	hours, err := r.hours(r.ID)
	if err != nil {
		return market.CompanyProfile{}, err
	}
	return market.CompanyProfile{
		ID: r.ID, Name: r.Name, Address: r.Address, Phone: r.Phone, Version: r.Version,
		Location: r.location(), PrepMinutes: r.PrepMinutes, OpeningHours: hours, Paused: r.Paused,
	}, nil
}

// ReplaceProfile stores d's address, and those of its location,
// preparation time, hours and pause that it sets, if the profile is still
// at version and d names no other phone.
func (s *ProfileStore) ReplaceProfile(ctx context.Context, company, version int64, d market.ProfileDraft) (market.CompanyProfile, error) {
	// The phone is checked before the write rather than in its WHERE
	// clause: the phone moves only with a change of version, which the
	// compare-and-swap then refuses.
	before, err := s.Profile(ctx, company)
	if err != nil {
		return market.CompanyProfile{}, err
	}
	if err := d.PhoneRefusal(before); err != nil {
		return market.CompanyProfile{}, err
	}
	var lat, lng *float64
	if d.Location != nil {
		lat, lng = &d.Location.Lat, &d.Location.Lng
	}
	var hours *string
	if d.OpeningHours != nil {
		text, err := json.Marshal(*d.OpeningHours)
		if err != nil {
			return market.CompanyProfile{}, err
		}
		hours = ptr(string(text))
	}
	res, err := s.db.ExecContext(ctx, replaceProfile, d.Address,
		d.SetLocation, lat, d.SetLocation, lng,
		d.PrepMinutes, hours, d.Paused,
		company, version)
	if err != nil {
		return market.CompanyProfile{}, translate("replace profile", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return market.CompanyProfile{}, translate("replace profile", err)
	}
	current, err := s.Profile(ctx, company)
	if err != nil {
		return market.CompanyProfile{}, err
	}
	if n == 0 && current.Version != version {
		return market.CompanyProfile{}, &market.Error{
			Code:    market.CodePreconditionFailed,
			Message: "the profile was changed since you read it; reload it and try again",
			Details: map[string]int64{"currentVersion": current.Version},
		}
	}
	return current, nil
}

// CompanyByPhone returns the id of the company whose phone it is.
func (s *ProfileStore) CompanyByPhone(ctx context.Context, phone string) (int64, error) {
	var id int64
	err := sqlx.GetContext(ctx, s.db, &id, companyByPhone, phone)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, market.Errorf(market.CodeNotFound, "no such company")
	}
	return id, translate("company by phone", err)
}

var _ market.PhoneStore = (*ProfileStore)(nil)

// ChangePhone sets the company's sign-in phone if it is still old (or
// whatever it is, anyOld) and revokes its tokens issued before from.
func (s *ProfileStore) ChangePhone(ctx context.Context, company int64, old, phone string, anyOld bool, from time.Time) (market.CompanyProfile, error) {
	res, err := s.db.ExecContext(ctx, changePhone, phone, from.UnixMilli(), company, anyOld, old)
	if isDuplicate(err) {
		return market.CompanyProfile{}, &market.Error{
			Code:    market.CodeConflict,
			Message: market.PhoneUnavailable,
			Details: map[string]string{"field": "phone"},
		}
	}
	if err != nil {
		return market.CompanyProfile{}, translate("change phone", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return market.CompanyProfile{}, translate("change phone", err)
	}
	current, err := s.Profile(ctx, company)
	if err != nil {
		return market.CompanyProfile{}, err
	}
	if n == 0 && current.Phone != phone {
		return market.CompanyProfile{}, market.Errorf(market.CodePreconditionFailed,
			"the sign-in phone was changed meanwhile; reload the profile and ask for new codes")
	}
	return current, nil
}
