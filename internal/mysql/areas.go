package mysql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
)

// AreaStore keeps the marketplace's delivery area. Every quote and order
// needs the area, and parsing a city's outline costs far more than a
// primary-key read, so the store keeps the parsed area and asks the
// database only for its version on each call. Share one store per process
// (NewAreaStore) so that the area is parsed once per change.
type AreaStore struct {
	db sqlx.ExtContext

	mu      sync.Mutex
	area    *market.ServiceArea // nil: none kept
	version int64               // area's
}

var _ market.AreaStore = (*AreaStore)(nil)

// NewAreaStore returns a store over db, a pool or a transaction.
func NewAreaStore(db sqlx.ExtContext) *AreaStore { return &AreaStore{db: db} }

// The area is the row with id 1. Its version only grows, also across a
// clear and a new set (SetArea), so that a process that kept the area
// before a clear never takes a new area for the one it holds.
const (
	areaVersion = `SELECT version FROM delivery_areas WHERE id = 1`
	areaRow     = `SELECT geojson, version FROM delivery_areas WHERE id = 1`
	upsertArea  = `INSERT INTO delivery_areas (id, geojson, version, updated_at) VALUES (1, ?, ?, ?)
ON DUPLICATE KEY UPDATE geojson = ?, version = GREATEST(version + 1, ?), updated_at = ?`
	deleteArea = `DELETE FROM delivery_areas WHERE id = 1`
)

// ServiceArea returns the delivery area, nil when none is set.
func (s *AreaStore) ServiceArea(ctx context.Context) (*market.ServiceArea, error) {
	var version int64
	err := sqlx.GetContext(ctx, s.db, &version, areaVersion)
	if errors.Is(err, sql.ErrNoRows) {
		s.keep(nil, 0)
		return nil, nil
	}
	if err != nil {
		return nil, translate("delivery area version", err)
	}
	if area, ok := s.kept(version); ok {
		return area, nil
	}
	return s.load(ctx)
}

func (s *AreaStore) kept(version int64) (*market.ServiceArea, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.area, s.area != nil && s.version == version
}

// keep holds area, unless a concurrent call already holds a newer
// version; a nil area drops what is held.
func (s *AreaStore) keep(area *market.ServiceArea, version int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if area == nil || s.area == nil || version >= s.version {
		s.area, s.version = area, version
	}
}

// load reads and parses the stored area. Concurrent calls may each parse
// it: a rare waste, where holding the lock across the query would queue
// every request behind one read.
func (s *AreaStore) load(ctx context.Context) (*market.ServiceArea, error) {
	var row struct {
		GeoJSON string `db:"geojson"`
		Version int64  `db:"version"`
	}
	err := sqlx.GetContext(ctx, s.db, &row, areaRow)
	if errors.Is(err, sql.ErrNoRows) {
		s.keep(nil, 0)
		return nil, nil
	}
	if err != nil {
		return nil, translate("delivery area", err)
	}
	area, err := market.ParseServiceArea([]byte(row.GeoJSON))
	if err != nil {
		// SetArea stores only what parses: the stored area is the
		// database's fault, never the request's.
		return nil, fmt.Errorf("stored delivery area, version %d: %s", row.Version, err.Error())
	}
	s.keep(area, row.Version)
	return area, nil
}

// AreaDocument returns the area's GeoJSON geometry and true, or false when
// none is set; it is ServiceArea's, through the same cache.
func (s *AreaStore) AreaDocument(ctx context.Context) (json.RawMessage, bool, error) {
	area, err := s.ServiceArea(ctx)
	if err != nil || area == nil {
		return nil, false, err
	}
	return area.GeoJSON(), true, nil
}

// SetArea parses doc (market.ParseServiceArea) and stores its geometry as
// the delivery area. A doc that does not parse is CodeInvalid and stores
// nothing. The new version is one more than the stored one, or the time
// in microseconds if that is more: a version that started again from 1
// after a clear could equal the one a process still holds.
func (s *AreaStore) SetArea(ctx context.Context, doc []byte) (*market.ServiceArea, error) {
	area, err := market.ParseServiceArea(doc)
	if err != nil {
		return nil, err
	}
	geometry := string(area.GeoJSON())
	now := time.Now().UTC()
	stamp := now.UnixMicro()
	if _, err := s.db.ExecContext(ctx, upsertArea, geometry, stamp, now, geometry, stamp, now); err != nil {
		return nil, translate("set delivery area", err)
	}
	return area, nil
}

// ClearArea removes the delivery area and reports whether there was one.
func (s *AreaStore) ClearArea(ctx context.Context) (bool, error) {
	res, err := s.db.ExecContext(ctx, deleteArea)
	if err != nil {
		return false, translate("clear delivery area", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, translate("clear delivery area", err)
	}
	s.keep(nil, 0)
	return n > 0, nil
}
