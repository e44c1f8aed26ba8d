package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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

// OfferStore keeps the waves of offers of orders (market/dispatch.go):
// orders.dispatch_wave, dispatch_next_at and broadcast_at, and a row of
// order_offers per carrier offered an order, or without a carrier for
// its broadcast.
type OfferStore struct {
	db *sqlx.DB
}

var _ market.OfferStore = (*OfferStore)(nil)

// NewOfferStore returns a store over the pool db; it opens its own
// transactions.
func NewOfferStore(db *sqlx.DB) *OfferStore { return &OfferStore{db: db} }

const (
	dispatchOrder = `SELECT status, pickup_lat, pickup_lng, dispatch_wave, broadcast_at IS NOT NULL AS broadcast
FROM orders WHERE id = ?`
	dispatchOffered = `SELECT carrier_id FROM order_offers WHERE order_id = ? AND carrier_id IS NOT NULL`
)

// DispatchState returns what dispatch knows of an order.
func (s *OfferStore) DispatchState(ctx context.Context, orderID string) (market.DispatchState, error) {
	var row struct {
		Status    string   `db:"status"`
		PickupLat *float64 `db:"pickup_lat"`
		PickupLng *float64 `db:"pickup_lng"`
		Wave      int      `db:"dispatch_wave"`
		Broadcast bool     `db:"broadcast"`
	}
	var offered []int64
	err := inTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := sqlx.GetContext(ctx, tx, &row, dispatchOrder, orderID); err != nil {
			return err
		}
		return sqlx.SelectContext(ctx, tx, &offered, dispatchOffered, orderID)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return market.DispatchState{}, market.Errorf(market.CodeNotFound, "no such order")
	}
	if err != nil {
		return market.DispatchState{}, translate("dispatch state", err)
	}
	state := market.DispatchState{
		Status: row.Status, Pickup: locationOf(row.PickupLat, row.PickupLng), Wave: row.Wave, Broadcast: row.Broadcast,
		Offered: make(map[int64]bool, len(offered)),
	}
	for _, id := range offered {
		state.Offered[id] = true
	}
	return state, nil
}

// Starting a wave is a compare-and-swap on the wave count, so that of two
// runners of one wave (a timer and the sweep) only one records it. A
// broadcast is final: it clears the next wave's time and makes the order
// due for the sweep's offers to everyone.
const (
	startWave = `UPDATE orders SET dispatch_wave = ?, dispatch_next_at = ?, updated_at = ?
WHERE id = ? AND status = 'placed' AND broadcast_at IS NULL AND dispatch_wave = ?`
	startBroadcast = `UPDATE orders SET dispatch_wave = ?, dispatch_next_at = NULL, broadcast_at = ?, offer_due_at = ?, updated_at = ?
WHERE id = ? AND status = 'placed' AND broadcast_at IS NULL AND dispatch_wave = ?`
	// insertOffers is completed with one offerValues per offer.
	insertOffers = `INSERT INTO order_offers (order_id, carrier_id, wave, channel, state, offered_at) VALUES `
	offerValues  = `(?, ?, ?, ?, ?, ?)`
)

// StartWave records wave w of an order, started at, if it is the next.
func (s *OfferStore) StartWave(ctx context.Context, orderID string, w market.Wave, at time.Time, offerAgainAt *time.Time) (bool, error) {
	at = at.UTC()
	started := false
	err := inTxRetrying(ctx, s.db, func(tx *sqlx.Tx) error {
		var res sql.Result
		var err error
		if w.Broadcast {
			res, err = tx.ExecContext(ctx, startBroadcast, w.Number, at, utc(offerAgainAt), at, orderID, w.Number-1)
		} else {
			res, err = tx.ExecContext(ctx, startWave, w.Number, utc(w.NextAt), at, orderID, w.Number-1)
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err
		}
		values := []string{offerValues}
		args := []any{orderID, nil, w.Number, market.ChannelBroadcast, market.OfferPending, at}
		if !w.Broadcast {
			values, args = nil, nil
			for _, o := range w.Offers {
				values = append(values, offerValues)
				args = append(args, orderID, o.CarrierID, w.Number, o.Channel, market.OfferPending, at)
			}
		}
		if len(values) > 0 {
			if _, err := tx.ExecContext(ctx, insertOffers+strings.Join(values, ", "), args...); err != nil {
				return fmt.Errorf("insert offers: %w", err)
			}
		}
		started = true
		return nil
	})
	if err != nil {
		return false, translate("start wave", err)
	}
	return started, nil
}

// recordOffer leaves a claimed offer's claim alone: the carrier may have
// claimed the order from its push before the send was confirmed.
const recordOffer = `UPDATE order_offers SET state = ?, channel = ?, sent_at = ?
WHERE order_id = ? AND wave = ? AND carrier_id = ?`

// RecordOffers records what became of a wave's offers.
func (s *OfferStore) RecordOffers(ctx context.Context, orderID string, wave int, outcomes []market.OfferOutcome, at time.Time) error {
	if len(outcomes) == 0 {
		return nil
	}
	at = at.UTC()
	err := inTx(ctx, s.db, func(tx *sqlx.Tx) error {
		for _, o := range outcomes {
			state, sentAt := market.OfferFailed, (*time.Time)(nil)
			if o.Sent {
				state, sentAt = market.OfferSent, &at
			}
			if _, err := tx.ExecContext(ctx, recordOffer, state, o.Channel, sentAt, orderID, wave, o.CarrierID); err != nil {
				return err
			}
		}
		return nil
	})
	return translate("record offers", err)
}

const dueWaves = `SELECT id, dispatch_wave FROM orders
WHERE dispatch_next_at <= ? AND status = 'placed' AND broadcast_at IS NULL
ORDER BY dispatch_next_at, id
LIMIT ?`

// DueWaves lists placed orders in their waves whose next wave is overdue.
func (s *OfferStore) DueWaves(ctx context.Context, due time.Time, limit int) ([]market.DueWave, error) {
	var rows []struct {
		ID   string `db:"id"`
		Wave int    `db:"dispatch_wave"`
	}
	if err := sqlx.SelectContext(ctx, s.db, &rows, dueWaves, due.UTC(), limit); err != nil {
		return nil, translate("due waves", err)
	}
	waves := make([]market.DueWave, len(rows))
	for i, r := range rows {
		waves[i] = market.DueWave{OrderID: r.ID, Wave: r.Wave + 1}
	}
	return waves, nil
}

// A broadcast's state is the order's notification's: the topic hand-off
// (market.OrderStore's Mark*) records it on the order, and nothing else
// has to be written when it completes.
const orderOffers = `SELECT f.order_id, f.carrier_id, f.wave, f.channel, f.offered_at, f.claimed_at,
    CASE
        WHEN f.carrier_id IS NOT NULL THEN f.state
        WHEN o.notified_at IS NOT NULL THEN 'sent'
        WHEN o.notify_status = 'failed' AND o.notify_next_at IS NULL THEN 'failed'
        ELSE 'pending'
    END AS state
FROM order_offers f JOIN orders o ON o.id = f.order_id
WHERE f.order_id = ?
ORDER BY f.id`

// Offers lists an order's offers in the order they were made.
func (s *OfferStore) Offers(ctx context.Context, orderID string) ([]market.OfferRecord, error) {
	var rows []struct {
		OrderID   string     `db:"order_id"`
		CarrierID *int64     `db:"carrier_id"`
		Wave      int        `db:"wave"`
		Channel   string     `db:"channel"`
		State     string     `db:"state"`
		OfferedAt time.Time  `db:"offered_at"`
		ClaimedAt *time.Time `db:"claimed_at"`
	}
	if err := sqlx.SelectContext(ctx, s.db, &rows, orderOffers, orderID); err != nil {
		return nil, translate("order offers", err)
	}
	offers := make([]market.OfferRecord, len(rows))
	for i, r := range rows {
		offers[i] = market.OfferRecord{
			OrderID: r.OrderID, Wave: r.Wave, Channel: market.Channel(r.Channel), State: market.OfferState(r.State),
			OfferedAt: r.OfferedAt.UTC(), ClaimedAt: utc(r.ClaimedAt),
		}
		if r.CarrierID != nil {
			offers[i].CarrierID = *r.CarrierID
		}
	}
	return offers, nil
}
