package mysql

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
)

// ShiftStore keeps the carriers' shifts (carrier_shifts: one row per
// carrier on shift, deleted when the shift ends) and finds the on-shift
// carriers nearest a point for dispatch.
type ShiftStore struct {
	db *sqlx.DB
}

var (
	_ market.ShiftStore     = (*ShiftStore)(nil)
	_ market.NearbyCarriers = (*ShiftStore)(nil)
)

// NewShiftStore returns a store over db.
func NewShiftStore(db *sqlx.DB) *ShiftStore { return &ShiftStore{db: db} }

const shiftColumns = `carrier_id, started_at, ends_at, lat, lng, accuracy_m, located_at`

// shiftRow is a row of carrier_shifts.
type shiftRow struct {
	CarrierID int64      `db:"carrier_id"`
	StartedAt time.Time  `db:"started_at"`
	EndsAt    time.Time  `db:"ends_at"`
	Lat       *float64   `db:"lat"`
	Lng       *float64   `db:"lng"`
	AccuracyM *int       `db:"accuracy_m"`
	LocatedAt *time.Time `db:"located_at"`
}

func (r shiftRow) record() market.ShiftRecord {
	rec := market.ShiftRecord{CarrierID: r.CarrierID, StartedAt: r.StartedAt.UTC(), EndsAt: r.EndsAt.UTC()}
	if loc := locationOf(r.Lat, r.Lng); loc != nil && r.LocatedAt != nil {
		rec.Position = &market.ShiftPosition{Lat: loc.Lat, Lng: loc.Lng, Accuracy: r.AccuracyM, At: r.LocatedAt.UTC()}
	}
	return rec
}

const (
	liveShift = `SELECT ` + shiftColumns + ` FROM carrier_shifts WHERE carrier_id = ? AND ends_at > ?`
	// An ended shift not yet swept is deleted before a new one starts, so
	// that INSERT IGNORE leaves alone only a shift still on.
	deleteEndedShift = `DELETE FROM carrier_shifts WHERE carrier_id = ? AND ends_at <= ?`
	startShift       = `INSERT IGNORE INTO carrier_shifts (carrier_id, started_at, ends_at) VALUES (?, ?, ?)`
	endShift         = `DELETE FROM carrier_shifts WHERE carrier_id = ?`
)

// Start puts carrier on shift at now unless they are on shift already.
func (s *ShiftStore) Start(ctx context.Context, carrier int64, now time.Time) (market.ShiftRecord, error) {
	r := market.NewShiftRecord(carrier, now)
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return market.ShiftRecord{}, translate("start shift", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, deleteEndedShift, carrier, r.StartedAt); err != nil {
		return market.ShiftRecord{}, translate("start shift: ended", err)
	}
	if _, err := tx.ExecContext(ctx, startShift, carrier, r.StartedAt, r.EndsAt); err != nil {
		return market.ShiftRecord{}, translate("start shift", err)
	}
	var row shiftRow
	if err := sqlx.GetContext(ctx, tx, &row, liveShift, carrier, r.StartedAt); err != nil {
		return market.ShiftRecord{}, translate("start shift: read", err)
	}
	if err := tx.Commit(); err != nil {
		return market.ShiftRecord{}, translate("start shift", err)
	}
	return row.record(), nil
}

// End ends carrier's shift, if any.
func (s *ShiftStore) End(ctx context.Context, carrier int64) error {
	_, err := s.db.ExecContext(ctx, endShift, carrier)
	return translate("end shift", err)
}

// Shift returns carrier's shift, nil when they are not on shift at now.
func (s *ShiftStore) Shift(ctx context.Context, carrier int64, now time.Time) (*market.ShiftRecord, error) {
	var row shiftRow
	err := sqlx.GetContext(ctx, s.db, &row, liveShift, carrier, now.UTC())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, translate("shift", err)
	}
	r := row.record()
	return &r, nil
}

const (
	lockShift = `SELECT ` + shiftColumns + ` FROM carrier_shifts WHERE carrier_id = ? FOR UPDATE`
	locate    = `UPDATE carrier_shifts SET lat = ?, lng = ?, accuracy_m = ?, located_at = ?, ends_at = ?
WHERE carrier_id = ?`
)

// Locate stores where carrier is, as market.Locate decides on their
// shift, locked meanwhile so that of two positions sent at once the
// second sees the first.
func (s *ShiftStore) Locate(ctx context.Context, carrier int64, p market.Position, now time.Time) (market.ShiftRecord, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return market.ShiftRecord{}, translate("locate", err)
	}
	defer tx.Rollback()
	var row shiftRow
	var current *market.ShiftRecord
	switch err := sqlx.GetContext(ctx, tx, &row, lockShift, carrier); {
	case err == nil:
		r := row.record()
		current = &r
	case !errors.Is(err, sql.ErrNoRows):
		return market.ShiftRecord{}, translate("locate: shift", err)
	}
	next, err := market.Locate(current, p, now)
	if err != nil {
		return market.ShiftRecord{}, err
	}
	pos := next.Position
	if _, err := tx.ExecContext(ctx, locate, pos.Lat, pos.Lng, pos.Accuracy, pos.At, next.EndsAt, carrier); err != nil {
		return market.ShiftRecord{}, translate("locate", err)
	}
	if err := tx.Commit(); err != nil {
		return market.ShiftRecord{}, translate("locate", err)
	}
	return next, nil
}

// As the sign-in codes and rate counters are, ended shifts are read
// without locks and deleted by primary key, the end checked again so that
// a shift started meanwhile stays.
const (
	endedShifts       = `SELECT carrier_id FROM carrier_shifts WHERE ends_at <= ? ORDER BY ends_at LIMIT ?`
	deleteEndedShifts = `DELETE FROM carrier_shifts WHERE carrier_id IN (?) AND ends_at <= ?`
)

// EndExpired forgets at most limit shifts that ended by now.
func (s *ShiftStore) EndExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	now = now.UTC()
	var ids []int64
	if err := sqlx.SelectContext(ctx, s.db, &ids, endedShifts, now, limit); err != nil {
		return 0, translate("ended shifts", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	query, args, err := sqlx.In(deleteEndedShifts, ids, now)
	if err != nil {
		return 0, translate("end expired shifts", err)
	}
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, translate("end expired shifts", err)
	}
	n, err := res.RowsAffected()
	return int(n), translate("end expired shifts", err)
}

// The nearest on-shift carriers are found in a box around the point,
// served by carrier_shifts_position (lat, lng, ends_at: the box's rows
// are read from the index alone), and measured exactly here. The box
// starts at nearestStartKm, which in a city holds the few carriers a
// wave needs, and doubles until it holds n carriers within the circle it
// bounds, or reaches the radius: a carrier in the box but outside that
// circle may not be among the n nearest, one further out in a larger box
// may be nearer.
const (
	nearestStartKm = 1.0
	onShiftInBox   = `SELECT carrier_id, lat, lng FROM carrier_shifts
WHERE lat BETWEEN ? AND ? AND lng BETWEEN ? AND ? AND ends_at > ?`
	// One round trip for the held orders (orders_carrier_status) and the
	// push subscriptions of the carriers chosen.
	carrierLoads = `SELECT carrier_id, COUNT(*) AS held, 0 AS push FROM orders
WHERE carrier_id IN (?) AND status IN (?, ?) GROUP BY carrier_id
UNION ALL
SELECT carrier_id, 0 AS held, 1 AS push FROM carrier_push_subscriptions WHERE carrier_id IN (?)`
)

// earthRadiusKm is the sphere market.DistanceKm measures on (orb's
// WGS84 equatorial radius), so that a box and the distances agree.
const earthRadiusKm = 6378.137

// box is the range of latitudes and longitudes, in degrees, of the
// points within km of p. Near a pole the circle takes in every
// longitude; a circle across the antimeridian is cut at it, as no
// delivery area spans it.
func box(p market.Location, km float64) (minLat, maxLat, minLng, maxLng float64) {
	angle := km / earthRadiusKm // radians
	dLat := angle * 180 / math.Pi
	minLat, maxLat = max(p.Lat-dLat, -90), min(p.Lat+dLat, 90)
	cosLat := math.Cos(p.Lat * math.Pi / 180)
	if maxLat == 90 || minLat == -90 || math.Sin(angle) >= cosLat {
		return minLat, maxLat, -180, 180
	}
	dLng := math.Asin(math.Sin(angle)/cosLat) * 180 / math.Pi
	return minLat, maxLat, max(p.Lng-dLng, -180), min(p.Lng+dLng, 180)
}

type nearbyCarrier struct {
	market.ShiftCarrier
	km float64
}

// NearestOnShift returns at most n carriers on shift at now within
// radiusKm of p, nearest first (ties by id).
func (s *ShiftStore) NearestOnShift(ctx context.Context, p market.Location, radiusKm float64, n int, now time.Time) ([]market.ShiftCarrier, error) {
	if n <= 0 || !(radiusKm > 0) {
		return []market.ShiftCarrier{}, nil
	}
	now = now.UTC()
	var within []nearbyCarrier
	for km := min(nearestStartKm, radiusKm); ; km = min(2*km, radiusKm) {
		minLat, maxLat, minLng, maxLng := box(p, km)
		var rows []struct {
			ID  int64   `db:"carrier_id"`
			Lat float64 `db:"lat"`
			Lng float64 `db:"lng"`
		}
		if err := sqlx.SelectContext(ctx, s.db, &rows, onShiftInBox, minLat, maxLat, minLng, maxLng, now); err != nil {
			return nil, translate("carriers on shift nearby", err)
		}
		within = within[:0]
		for _, r := range rows {
			c := market.ShiftCarrier{ID: r.ID, Position: market.Location{Lat: r.Lat, Lng: r.Lng}}
			if d := market.DistanceKm(p, c.Position); d <= km {
				within = append(within, nearbyCarrier{c, d})
			}
		}
		if len(within) >= n || km >= radiusKm {
			break
		}
	}
	slices.SortFunc(within, func(a, b nearbyCarrier) int {
		return cmp.Or(cmp.Compare(a.km, b.km), cmp.Compare(a.ID, b.ID))
	})
	within = within[:min(len(within), n)]
	carriers := make([]market.ShiftCarrier, len(within))
	for i, c := range within {
		carriers[i] = c.ShiftCarrier
	}
	if len(carriers) == 0 {
		return carriers, nil
	}
	return carriers, s.loads(ctx, carriers)
}

// loads fills in the orders each carrier holds and whether push reaches
// them.
func (s *ShiftStore) loads(ctx context.Context, carriers []market.ShiftCarrier) error {
	ids := make([]int64, len(carriers))
	index := make(map[int64]int, len(carriers))
	for i, c := range carriers {
		ids[i], index[c.ID] = c.ID, i
	}
	query, args, err := sqlx.In(carrierLoads, ids, market.OrderAccepted, market.OrderPickedUp, ids)
	if err != nil {
		return translate("carrier loads", err)
	}
	var rows []struct {
		ID   int64 `db:"carrier_id"`
		Held int   `db:"held"`
		Push int   `db:"push"`
	}
	if err := sqlx.SelectContext(ctx, s.db, &rows, query, args...); err != nil {
		return translate("carrier loads", err)
	}
	for _, r := range rows {
		c := &carriers[index[r.ID]]
		c.Held += r.Held
		c.Push = c.Push || r.Push == 1
	}
	return nil
}
