package mysql

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
)

// RateStore keeps the rate limits' counters.
type RateStore struct {
	db sqlx.ExtContext
}

var _ market.RateStore = (*RateStore)(nil)

// NewRateStore returns a store over db.
func NewRateStore(db sqlx.ExtContext) *RateStore { return &RateStore{db: db} }

// ratePruneBatch rows at most are forgotten when a counter starts: more
// than the one it adds, so that the table stays bounded without a sweep.
const ratePruneBatch = 10

const (
	readRate = `SELECT hits FROM rate_limits WHERE bucket = ? AND window_start = ?`
	// Each statement commits on its own. The conditional UPDATE is the
	// compare-and-swap: the row lock orders concurrent ones, and each
	// sees the count the one before it left.
	startRate = `INSERT IGNORE INTO rate_limits (bucket, window_start, hits, expires_at) VALUES (?, ?, 0, ?)`
	addRate   = `UPDATE rate_limits SET hits = hits + 1 WHERE bucket = ? AND window_start = ? AND hits < ?`
	// As with the sign-in codes, the rows to forget are read without
	// locks and deleted by primary key, so that pruning takes no range
	// lock where concurrent requests insert.
	expiredRates = `SELECT bucket, window_start FROM rate_limits WHERE expires_at < ? ORDER BY expires_at LIMIT ?`
	deleteRate   = `DELETE FROM rate_limits WHERE bucket = ? AND window_start = ?`
)

// Count returns key's count in the window that starts at window.
func (s *RateStore) Count(ctx context.Context, key string, window time.Time) (int, error) {
	var hits int
	err := sqlx.GetContext(ctx, s.db, &hits, readRate, key, window.UTC())
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return hits, translate("read rate", err)
}

// Add adds one event to key's window if it holds fewer than capacity.
func (s *RateStore) Add(ctx context.Context, key string, window time.Time, capacity int, expires time.Time) (bool, error) {
	window = window.UTC()
	res, err := s.db.ExecContext(ctx, startRate, key, window, expires.UTC())
	if err != nil {
		return false, translate("start rate", err)
	}
	if started, err := res.RowsAffected(); err == nil && started == 1 {
		if err := s.prune(ctx, window); err != nil {
			return false, err
		}
	}
	res, err = s.db.ExecContext(ctx, addRate, key, window, capacity)
	if err != nil {
		return false, translate("add rate", err)
	}
	added, err := res.RowsAffected()
	return added == 1, translate("add rate", err)
}

// prune forgets a few counters that expired before before.
func (s *RateStore) prune(ctx context.Context, before time.Time) error {
	var rows []struct {
		Bucket string    `db:"bucket"`
		Start  time.Time `db:"window_start"`
	}
	if err := sqlx.SelectContext(ctx, s.db, &rows, expiredRates, before, ratePruneBatch); err != nil {
		return translate("expired rates", err)
	}
	for _, r := range rows {
		if _, err := s.db.ExecContext(ctx, deleteRate, r.Bucket, r.Start); err != nil {
			return translate("prune rates", err)
		}
	}
	return nil
}
