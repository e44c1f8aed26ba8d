package mysql

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
)

// The repeated offers of an order to the carriers. orders.offer_due_at is
// when the sweep offers a placed order again: OfferAgainAfter after it was
// placed, now when a carrier releases it, NULL once it is claimed or
// offered again; orders.offers counts the offers made.

const offersDue = `SELECT id FROM orders
WHERE offer_due_at <= ? AND status = ?
ORDER BY offer_due_at, id
LIMIT ?`

// DueOffers lists placed orders whose next offer is due.
func (s *OrderStore) DueOffers(ctx context.Context, now time.Time, limit int) ([]string, error) {
	ids := []string{}
	err := sqlx.SelectContext(ctx, s.db, &ids, offersDue, now.UTC(), market.OrderPlaced, limit)
	return ids, translate("due offers", err)
}

// offerClaim succeeds for one of several sweeps: the first clears
// offer_due_at, and the others' condition then fails; so does a claim by a
// carrier or a cancellation, which move the status on.
const (
	offerClaim = `UPDATE orders SET offer_due_at = NULL, offers = offers + 1, updated_at = ?
WHERE id = ? AND status = ? AND offer_due_at <= ?`
	offerCount   = `SELECT offers FROM orders WHERE id = ?`
	offerHistory = `INSERT INTO order_history (order_id, at, step, from_status, to_status, actor_kind)
VALUES (?, ?, ?, ?, ?, ?)`
)

// ClaimOffer takes the due offer of a placed order, with its history row,
// in one transaction.
func (s *OrderStore) ClaimOffer(ctx context.Context, orderID string, now time.Time) (int, bool, error) {
	now = now.UTC()
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, false, translate("claim offer", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, offerClaim, now, orderID, market.OrderPlaced, now)
	if err != nil {
		return 0, false, translate("claim offer", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return 0, false, translate("claim offer", err)
	}
	var offer int
	if err := sqlx.GetContext(ctx, tx, &offer, offerCount, orderID); err != nil {
		return 0, false, translate("claim offer", err)
	}
	if _, err := tx.ExecContext(ctx, offerHistory, orderID, now, market.StepOfferedAgain,
		market.OrderPlaced, market.OrderPlaced, market.ActorSystem); err != nil {
		return 0, false, translate("claim offer: history", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, false, translate("claim offer", err)
	}
	return offer, true, nil
}
