package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
)

// FulfilmentStore moves orders through their lifecycle (market/lifecycle.go)
// and lists them for carriers and companies.
type FulfilmentStore struct {
	db *sqlx.DB
}

var _ market.FulfilmentStore = (*FulfilmentStore)(nil)

// NewFulfilmentStore returns a store over the pool db; it opens its own
// transactions.
func NewFulfilmentStore(db *sqlx.DB) *FulfilmentStore { return &FulfilmentStore{db: db} }

// One compare-and-swap UPDATE per transition: the WHERE clause holds every
// condition of the move (the status it starts from, who holds the order,
// every part ready), so of any number of concurrent movers exactly one
// changes the row and the others change nothing and learn why from
// diagnose. The subqueries are scalar and name the order by a parameter:
// the embedded engine evaluates neither EXISTS nor a correlated subquery
// in an UPDATE.
//
// A claim needs the order visible to the carrier (market.OfferVisible):
// broadcast, or offered to them in a wave. A release of an order never
// broadcast sends it back to its waves: its next wave is due at once
// (market.Fulfilment schedules it, and dispatch_next_at is the sweep's
// safety net), and the topic's own safety net moves on to when the order
// is broadcast at the latest counted from the release.
const (
	claimOrder = `UPDATE orders SET status = 'accepted', carrier_id = ?, accepted_at = ?, offer_due_at = NULL,
    dispatch_next_at = NULL, updated_at = ?
WHERE id = ? AND status = 'placed'
  AND (broadcast_at IS NOT NULL
    OR (SELECT COUNT(*) FROM order_offers f WHERE f.order_id = ? AND f.carrier_id = ?) > 0)`
	claimOffer   = `UPDATE order_offers SET claimed_at = ? WHERE order_id = ? AND carrier_id = ?`
	releaseOrder = `UPDATE orders SET status = 'placed', carrier_id = NULL, accepted_at = NULL, offer_due_at = ?, updated_at = ?
WHERE id = ? AND status = 'accepted' AND carrier_id = ? AND broadcast_at IS NOT NULL`
	releaseToWaves = `UPDATE orders SET status = 'placed', carrier_id = NULL, accepted_at = NULL, offer_due_at = NULL,
    dispatch_next_at = ?, notify_next_at = ?, updated_at = ?
WHERE id = ? AND status = 'accepted' AND carrier_id = ? AND broadcast_at IS NULL`
	pickUpOrder = `UPDATE orders SET status = 'picked_up', picked_up_at = ?, updated_at = ?
WHERE id = ? AND status = 'accepted' AND carrier_id = ?
  AND (SELECT COUNT(*) FROM order_parts p WHERE p.order_id = ? AND p.state <> 'ready') = 0`
	deliverOrder = `UPDATE orders SET status = 'delivered', delivered_at = ?, updated_at = ?
WHERE id = ? AND status = 'picked_up' AND carrier_id = ?`
	// A cancelled order is never offered or notified again.
	shopperCancelOrder = `UPDATE orders SET status = 'cancelled', cancelled_at = ?, offer_due_at = NULL, notify_next_at = NULL,
    dispatch_next_at = NULL, updated_at = ?
WHERE id = ? AND status = 'placed'`
	companyCancelOrder = `UPDATE orders SET status = 'cancelled', cancelled_at = ?, offer_due_at = NULL, notify_next_at = NULL,
    dispatch_next_at = NULL, updated_at = ?
WHERE id = ? AND status IN ('placed', 'accepted')
  AND (SELECT COUNT(*) FROM order_parts p WHERE p.order_id = ? AND p.company_id = ?) = 1`
)

// What a claim and a release do to the carrier besides the order. The
// carrier's row is locked before the claim's first plain read, so that the
// count of its orders, a consistent read, sees every claim of the same
// carrier that held the lock before: concurrent claims of one carrier are
// counted one after the other and never pass the bound together. A
// carrier's release takes the same lock first (by counting it), so that
// both take the carrier's row and then the order's, in that order.
const (
	lockCarrier      = `SELECT id FROM carriers WHERE id = ? FOR UPDATE`
	countCarrierHeld = `SELECT COUNT(*) FROM orders WHERE carrier_id = ? AND status IN ('accepted', 'picked_up')`
	countRelease     = `UPDATE carriers SET releases = releases + 1 WHERE id = ?`
)

// movedRow is the order as it stands after a move, or as diagnose finds it.
type movedRow struct {
	ID         string `db:"id"`
	DeliveryID string `db:"delivery_id"`
	Status     string `db:"status"`
	CarrierID  *int64 `db:"carrier_id"`
	Offers     int    `db:"offers"`
	// Wave is the waves the order was offered in; Broadcast whether it
	// went to every carrier, and Offered whether a wave offered it to
	// the acting carrier.
	Wave      int  `db:"dispatch_wave"`
	Broadcast bool `db:"broadcast"`
	Offered   bool `db:"offered"`
	// Part is whether the acting company has lines in the order, and
	// Unready how many parts are not ready yet.
	Part    bool `db:"part"`
	Unready int  `db:"unready"`
}

// movedColumns take the acting company's id (for part) and the acting
// carrier's (for offered); an id of the other kind matches nothing.
const movedColumns = `o.id, o.delivery_id, o.status, o.carrier_id, o.offers, o.dispatch_wave,
    o.broadcast_at IS NOT NULL AS broadcast,
    EXISTS (SELECT 1 FROM order_parts p WHERE p.order_id = o.id AND p.company_id = ?) AS part,
    EXISTS (SELECT 1 FROM order_offers f WHERE f.order_id = o.id AND f.carrier_id = ?) AS offered,
    (SELECT COUNT(*) FROM order_parts p WHERE p.order_id = o.id AND p.state <> 'ready') AS unready`

const movedByDeliveryID = `SELECT ` + movedColumns + ` FROM orders o WHERE o.delivery_id = ?`

const movedByOrderID = `SELECT ` + movedColumns + ` FROM orders o WHERE o.id = ?`

// Move makes one transition with its history row, in one transaction.
func (s *FulfilmentStore) Move(ctx context.Context, m market.Move) (market.Moved, error) {
	t, ok := market.TransitionFor(m.Action, m.Actor.Kind)
	if !ok {
		return market.Moved{}, fmt.Errorf("move: %s may never %s", m.Actor.Kind, m.Action)
	}
	at := m.At.UTC()
	var moved market.Moved
	err := inTxRetrying(ctx, s.db, func(tx *sqlx.Tx) error {
		bounded := m.Action == market.ActionClaim && m.Limits.CarrierOrders > 0
		if bounded {
			if err := lockCarrierRow(ctx, tx, m.Actor.ID); err != nil {
				return err
			}
		}
		if m.CountsRelease() {
			if _, err := tx.ExecContext(ctx, countRelease, m.Actor.ID); err != nil {
				return fmt.Errorf("count release: %w", err)
			}
		}
		// The id a delivery id names never changes; the status read here
		// may, and only the UPDATE's WHERE clause decides.
		row, err := s.read(ctx, tx, m)
		if err != nil {
			return err
		}
		// A claim of an order that is not placed (or a repeated one) is
		// answered by the UPDATE below, whatever the carrier holds.
		// Nor is the claim of an order the carrier may not see: it is
		// answered as if it did not exist, whatever the carrier holds.
		if bounded && row.Status == market.OrderPlaced && market.OfferVisible(row.Broadcast, row.Offered) {
			var held int
			if err := sqlx.GetContext(ctx, tx, &held, countCarrierHeld, m.Actor.ID); err != nil {
				return fmt.Errorf("count carrier's orders: %w", err)
			}
			if err := market.CheckCarrierLoad(held, m.Limits.CarrierOrders); err != nil {
				return err
			}
		}
		n, err := s.update(ctx, tx, row, m, at)
		if err != nil {
			return err
		}
		// After a successful UPDATE this transaction holds the row's lock,
		// so what it reads now is what it changed; after a failed one, the
		// state that made it fail.
		if row, err = s.read(ctx, tx, m); err != nil {
			return err
		}
		moved = market.Moved{
			OrderID: row.ID, DeliveryID: row.DeliveryID, Reference: market.OrderReference(row.ID),
			From: t.From[0], To: t.To,
		}
		if row.CarrierID != nil {
			moved.CarrierID = *row.CarrierID
		}
		if n == 0 {
			if m.Action == market.ActionClaim && row.Status == market.OrderAccepted && moved.CarrierID == m.Actor.ID {
				moved.From = market.OrderAccepted // a repeated claim: the carrier holds it already
				return nil
			}
			return diagnose(t, m, row)
		}
		// Only a cancellation starts from more than one status; a
		// cancelled order keeps its carrier, who is set only once accepted.
		if m.Action == market.ActionCancel && moved.CarrierID != 0 {
			moved.From = market.OrderAccepted
		}
		if m.Action == market.ActionRelease && !row.Broadcast {
			moved.NextWave = row.Wave + 1
		}
		if m.Action == market.ActionClaim {
			if _, err := tx.ExecContext(ctx, claimOffer, at, row.ID, m.Actor.ID); err != nil {
				return fmt.Errorf("mark offer claimed: %w", err)
			}
		}
		var actorID, companyID, reason any
		if m.Actor.ID != 0 {
			actorID = m.Actor.ID
		}
		if m.Actor.Kind == market.ActorCompany {
			companyID = m.Actor.ID
		}
		if m.Reason != "" {
			reason = m.Reason
		}
		if _, err := tx.ExecContext(ctx, insertHistory, row.ID, at, t.Step, moved.From, t.To,
			m.Actor.Kind, actorID, companyID, reason); err != nil {
			return fmt.Errorf("insert order history: %w", err)
		}
		return nil
	})
	if err != nil {
		return market.Moved{}, translate("move order", err)
	}
	return moved, nil
}

// read returns the order m names, or CodeNotFound.
func (s *FulfilmentStore) read(ctx context.Context, tx *sqlx.Tx, m market.Move) (movedRow, error) {
	var row movedRow
	var err error
	if m.OrderID != "" {
		err = sqlx.GetContext(ctx, tx, &row, movedByOrderID, m.Actor.ID, m.Actor.ID, m.OrderID)
	} else {
		err = sqlx.GetContext(ctx, tx, &row, movedByDeliveryID, m.Actor.ID, m.Actor.ID, m.DeliveryID)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return movedRow{}, market.Errorf(market.CodeNotFound, "no such order")
	}
	return row, err
}

// lockCarrierRow locks the carrier's row for tx. A carrier without a row
// (only in tests: the authorizer admits known carriers only) has nothing
// to lock.
func lockCarrierRow(ctx context.Context, tx *sqlx.Tx, carrier int64) error {
	var ids []int64
	if err := sqlx.SelectContext(ctx, tx, &ids, lockCarrier, carrier); err != nil {
		return fmt.Errorf("lock carrier: %w", err)
	}
	return nil
}

func (s *FulfilmentStore) update(ctx context.Context, tx *sqlx.Tx, row movedRow, m market.Move, at time.Time) (int64, error) {
	id := row.ID
	var res sql.Result
	var err error
	switch {
	case m.Action == market.ActionClaim:
		res, err = tx.ExecContext(ctx, claimOrder, m.Actor.ID, at, at, id, id, m.Actor.ID)
	case m.Action == market.ActionRelease && !row.Broadcast:
		// Broadcast is set once and never cleared, so the value read
		// above still holds; the WHERE clause checks it all the same.
		res, err = tx.ExecContext(ctx, releaseToWaves, at, m.Dispatch.BroadcastBy(at), at, id, m.HeldBy())
	case m.Action == market.ActionRelease:
		// Offered to the carriers again at the next sweep, unless it has
		// had its last offer. No offer is made while an order is
		// accepted, so the count read above still holds.
		res, err = tx.ExecContext(ctx, releaseOrder, market.NextOffer(row.Offers, m.Limits.OffersPerOrder, at), at, id, m.HeldBy())
	case m.Action == market.ActionPickUp:
		res, err = tx.ExecContext(ctx, pickUpOrder, at, at, id, m.Actor.ID, id)
	case m.Action == market.ActionDeliver:
		res, err = tx.ExecContext(ctx, deliverOrder, at, at, id, m.Actor.ID)
	case m.Action == market.ActionCancel && m.Actor.Kind == market.ActorShopper:
		res, err = tx.ExecContext(ctx, shopperCancelOrder, at, at, id)
	case m.Action == market.ActionCancel && m.Actor.Kind == market.ActorCompany:
		res, err = tx.ExecContext(ctx, companyCancelOrder, at, at, id, id, m.Actor.ID)
	default:
		return 0, fmt.Errorf("move: no statement for %s by %s", m.Action, m.Actor.Kind)
	}
	if err != nil {
		return 0, fmt.Errorf("%s order: %w", m.Action, err)
	}
	return res.RowsAffected()
}

// diagnose says why a move changed nothing: the order is not the actor's
// (404, as for another company's product), or was never offered to the
// claiming carrier (404, as if it did not exist), or its status does not
// allow the move (409 with the status), or not every part is ready (409).
func diagnose(t market.Transition, m market.Move, row movedRow) error {
	notFound := market.Errorf(market.CodeNotFound, "no such order")
	switch m.Actor.Kind {
	case market.ActorCarrier, market.ActorSystem:
		mine := row.CarrierID != nil && *row.CarrierID == m.HeldBy()
		if m.Action != market.ActionClaim && !mine {
			return notFound
		}
		if m.Action == market.ActionClaim && !market.OfferVisible(row.Broadcast, row.Offered) {
			return notFound
		}
		if m.Action == market.ActionPickUp && t.Allows(row.Status) && row.Unready > 0 {
			return market.NotReadyError()
		}
	case market.ActorCompany:
		if !row.Part {
			return notFound
		}
	}
	return market.ConflictError(m.Action, row.Status)
}

// moveAttempts bounds how often a move starts over after InnoDB chose it
// as a deadlock's victim: concurrent claims of one row can take its
// primary and secondary index entries in different orders, and the
// victim is rolled back whole, so starting over is safe.
const moveAttempts = 5

// inTxRetrying is inTx, started over with jitter while it loses deadlocks.
func inTxRetrying(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := inTx(ctx, db, fn)
		if !isDeadlock(err) || attempt == moveAttempts {
			return err
		}
		select {
		case <-time.After(time.Duration(attempt)*10*time.Millisecond + rand.N(10*time.Millisecond)):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// inTx runs fn in a transaction and commits it if fn succeeds.
func inTx(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// markReady names the order by a subquery so that the part changes only
// while its order is placed or accepted, in the same statement.
const markReady = `UPDATE order_parts SET state = 'ready', ready_at = ?
WHERE company_id = ? AND state = 'new'
  AND order_id = (SELECT o.id FROM orders o WHERE o.delivery_id = ? AND o.status IN ('placed', 'accepted'))`

// MarkReady marks company's part of an order ready.
func (s *FulfilmentStore) MarkReady(ctx context.Context, company int64, deliveryID string, at time.Time) (market.CompanyOrder, error) {
	at = at.UTC()
	err := inTxRetrying(ctx, s.db, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, markReady, at, company, deliveryID)
		if err != nil {
			return fmt.Errorf("mark part ready: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		row, err := s.read(ctx, tx, market.Move{DeliveryID: deliveryID, Actor: market.Actor{Kind: market.ActorCompany, ID: company}})
		if err != nil {
			return err
		}
		if !row.Part {
			return market.Errorf(market.CodeNotFound, "no such order")
		}
		if n == 0 {
			var state string
			if err := sqlx.GetContext(ctx, tx, &state, partState, row.ID, company); err != nil {
				return err
			}
			if state == market.PartReady {
				return nil // already ready: the same answer again
			}
			return market.ConflictError("mark ready", row.Status)
		}
		_, err = tx.ExecContext(ctx, insertHistory, row.ID, at, market.StepReady, row.Status, row.Status,
			market.ActorCompany, company, company, nil)
		return err
	})
	if err != nil {
		return market.CompanyOrder{}, translate("mark part ready", err)
	}
	return s.CompanyOrder(ctx, company, deliveryID)
}

const partState = `SELECT state FROM order_parts WHERE order_id = ? AND company_id = ?`

// The order lists. A page continues after the order its cursor names by
// delivery id; the subquery turns that into the order id the index is in,
// and order ids sort by creation time.
const (
	carrierOrderColumns = `o.id, o.delivery_id, o.status, o.carrier_id, o.delivery_area, o.item_count, o.total, o.currency,
    o.delivery_fee, o.delivery_km, o.pickup_lat, o.pickup_lng, o.created_at, o.accepted_at, o.delivered_at`
	// The available orders are those visible to the carrier
	// (market.OfferVisible). orders_available holds broadcast_at, so the
	// walk over the placed orders reads only the index, and each order
	// still in its waves costs one lookup of order_offers' unique key.
	// The count keeps it that way: an EXISTS (or IN) is turned into a
	// semi-join that reads every offer the carrier was ever made.
	availableOrders = `SELECT ` + carrierOrderColumns + ` FROM orders o
WHERE o.status = 'placed' AND o.id > COALESCE((SELECT c.id FROM orders c WHERE c.delivery_id = ?), '')
  AND (o.broadcast_at IS NOT NULL
    OR (SELECT COUNT(*) FROM order_offers f WHERE f.order_id = o.id AND f.carrier_id = ?) > 0)
ORDER BY o.id LIMIT ?`
	mineOrders = `SELECT ` + carrierOrderColumns + ` FROM orders o
WHERE o.carrier_id = ? AND o.status IN ('accepted', 'picked_up')
  AND o.id > COALESCE((SELECT c.id FROM orders c WHERE c.delivery_id = ?), '')
ORDER BY o.id LIMIT ?`
	carrierOrderByDeliveryID = `SELECT ` + carrierOrderColumns + `, o.broadcast_at IS NOT NULL AS broadcast,
    EXISTS (SELECT 1 FROM order_offers f WHERE f.order_id = o.id AND f.carrier_id = ?) AS offered
FROM orders o WHERE o.delivery_id = ?`

	// Each company's part, with the names and counts as the order's lines
	// kept them.
	orderPickups = `SELECT p.order_id, p.company_id, p.state, MIN(i.company_name) AS company_name,
    SUM(i.quantity) AS item_count
FROM order_parts p JOIN order_items i ON i.order_id = p.order_id AND i.company_id = p.company_id
WHERE p.order_id IN (?)
GROUP BY p.order_id, p.company_id, p.state
ORDER BY p.order_id, MIN(i.line_no)`
)

type carrierOrderRow struct {
	ID          string       `db:"id"`
	DeliveryID  string       `db:"delivery_id"`
	Status      string       `db:"status"`
	CarrierID   *int64       `db:"carrier_id"`
	Area        string       `db:"delivery_area"`
	ItemCount   int          `db:"item_count"`
	Total       market.Money `db:"total"`
	Currency    string       `db:"currency"`
	DeliveryFee market.Money `db:"delivery_fee"`
	DeliveryKm  *float64     `db:"delivery_km"`
	PickupLat   *float64     `db:"pickup_lat"`
	PickupLng   *float64     `db:"pickup_lng"`
	CreatedAt   time.Time    `db:"created_at"`
	AcceptedAt  *time.Time   `db:"accepted_at"`
	DeliveredAt *time.Time   `db:"delivered_at"`
	// Broadcast and Offered say whether the carrier may see the order
	// while it is placed (market.OfferVisible); only one order's read
	// fills them in, the lists filter on them.
	Broadcast bool `db:"broadcast"`
	Offered   bool `db:"offered"`
}

type pickupRow struct {
	OrderID     string `db:"order_id"`
	CompanyID   int64  `db:"company_id"`
	State       string `db:"state"`
	CompanyName string `db:"company_name"`
	ItemCount   int    `db:"item_count"`
}

func (r carrierOrderRow) view(carrier int64) market.CarrierOrder {
	o := market.CarrierOrder{
		DeliveryID:  r.DeliveryID,
		Reference:   market.OrderReference(r.ID),
		Status:      r.Status,
		Mine:        r.CarrierID != nil && *r.CarrierID == carrier,
		Area:        r.Area,
		ItemCount:   r.ItemCount,
		Total:       r.Total,
		Currency:    r.Currency,
		DeliveryFee: r.DeliveryFee,
		DistanceKm:  r.DeliveryKm,
		Pickups:     []market.CarrierPickup{},
		CreatedAt:   r.CreatedAt.UTC(),
		AcceptedAt:  utc(r.AcceptedAt),
	}
	o.FirstPickup = locationOf(r.PickupLat, r.PickupLng)
	return o
}

// CarrierOrders lists the available orders or the carrier's own. A list
// never carries delivery details, addresses, phones or lines.
func (s *FulfilmentStore) CarrierOrders(ctx context.Context, carrier int64, view string, page market.OrderListPage) ([]market.CarrierOrder, error) {
	var rows []carrierOrderRow
	var err error
	if view == market.ViewMine {
		err = sqlx.SelectContext(ctx, s.db, &rows, mineOrders, carrier, page.After, page.Limit)
	} else {
		err = sqlx.SelectContext(ctx, s.db, &rows, availableOrders, page.After, carrier, page.Limit)
	}
	if err != nil {
		return nil, translate("list carrier orders", err)
	}
	orders := make([]market.CarrierOrder, len(rows))
	index := make(map[string]int, len(rows))
	ids := make([]string, len(rows))
	for i, r := range rows {
		orders[i] = r.view(carrier)
		index[r.ID] = i
		ids[i] = r.ID
	}
	if len(ids) == 0 {
		return orders, nil
	}
	pickups, err := s.pickups(ctx, s.db, ids)
	if err != nil {
		return nil, err
	}
	for _, p := range pickups {
		i := index[p.OrderID]
		orders[i].Pickups = append(orders[i].Pickups, market.CarrierPickup{
			CompanyID: p.CompanyID, CompanyName: p.CompanyName, State: p.State, ItemCount: p.ItemCount,
		})
	}
	return orders, nil
}

func (s *FulfilmentStore) pickups(ctx context.Context, q sqlx.QueryerContext, orderIDs []string) ([]pickupRow, error) {
	query, args, err := sqlx.In(orderPickups, orderIDs)
	if err != nil {
		return nil, translate("order pickups", err)
	}
	var rows []pickupRow
	err = sqlx.SelectContext(ctx, q, &rows, query, args...)
	return rows, translate("order pickups", err)
}

// What only the carrier holding an order sees.
const (
	orderCustomer  = `SELECT customer_name, customer_phone, customer_address, customer_note, delivery_lat, delivery_lng FROM orders WHERE id = ?`
	pickupContacts = `SELECT id, address, COALESCE(phone, '') AS phone FROM companies WHERE id IN (?)`
	orderLines     = `SELECT order_id, company_id, product_id, product_name, quantity, unit_price, line_total
FROM order_items WHERE order_id = ? ORDER BY line_no`
)

type lineRow struct {
	OrderID   string       `db:"order_id"`
	CompanyID int64        `db:"company_id"`
	ProductID int64        `db:"product_id"`
	Name      string       `db:"product_name"`
	Quantity  int          `db:"quantity"`
	UnitPrice market.Money `db:"unit_price"`
	LineTotal market.Money `db:"line_total"`
}

func (l lineRow) partLine() market.PartLine {
	return market.PartLine{ProductID: l.ProductID, Name: l.Name, Quantity: l.Quantity, UnitPrice: l.UnitPrice, LineTotal: l.LineTotal}
}

// CarrierOrder returns an order as carrier sees it: a placed order (to
// claim) or one the carrier holds or held; with the delivery details only
// while market.DetailsVisible.
func (s *FulfilmentStore) CarrierOrder(ctx context.Context, carrier int64, deliveryID string, now time.Time) (market.CarrierOrder, error) {
	var order market.CarrierOrder
	err := inTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var row carrierOrderRow
		if err := sqlx.GetContext(ctx, tx, &row, carrierOrderByDeliveryID, carrier, deliveryID); err != nil {
			return err
		}
		order = row.view(carrier)
		placed := row.Status == market.OrderPlaced
		if placed && !market.OfferVisible(row.Broadcast, row.Offered) || !placed && !order.Mine {
			return sql.ErrNoRows // another carrier's, or never offered to this one
		}
		pickups, err := s.pickups(ctx, tx, []string{row.ID})
		if err != nil {
			return err
		}
		for _, p := range pickups {
			order.Pickups = append(order.Pickups, market.CarrierPickup{
				CompanyID: p.CompanyID, CompanyName: p.CompanyName, State: p.State, ItemCount: p.ItemCount,
			})
		}
		if !market.DetailsVisible(row.Status, order.Mine, row.DeliveredAt, now) {
			return nil
		}
		return s.addDetails(ctx, tx, row.ID, &order)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return market.CarrierOrder{}, market.Errorf(market.CodeNotFound, "no such order")
	}
	if err != nil {
		return market.CarrierOrder{}, translate("carrier order", err)
	}
	return order, nil
}

func (s *FulfilmentStore) addDetails(ctx context.Context, tx *sqlx.Tx, orderID string, order *market.CarrierOrder) error {
	var c struct {
		Name    string   `db:"customer_name"`
		Phone   string   `db:"customer_phone"`
		Address string   `db:"customer_address"`
		Note    string   `db:"customer_note"`
		Lat     *float64 `db:"delivery_lat"`
		Lng     *float64 `db:"delivery_lng"`
	}
	if err := sqlx.GetContext(ctx, tx, &c, orderCustomer, orderID); err != nil {
		return err
	}
	order.Details = &market.DeliveryDetails{Customer: market.Customer{Name: c.Name, Phone: c.Phone, Address: c.Address, Note: c.Note}}
	order.Details.Customer.Location = locationOf(c.Lat, c.Lng)
	if len(order.Pickups) == 0 {
		return nil
	}
	ids := make([]int64, len(order.Pickups))
	byCompany := map[int64]*market.CarrierPickup{}
	for i := range order.Pickups {
		ids[i] = order.Pickups[i].CompanyID
		byCompany[ids[i]] = &order.Pickups[i]
	}
	query, args, err := sqlx.In(pickupContacts, ids)
	if err != nil {
		return err
	}
	var contacts []struct {
		ID      int64  `db:"id"`
		Address string `db:"address"`
		Phone   string `db:"phone"`
	}
	if err := sqlx.SelectContext(ctx, tx, &contacts, query, args...); err != nil {
		return err
	}
	for _, c := range contacts {
		byCompany[c.ID].Address, byCompany[c.ID].Phone = c.Address, c.Phone
	}
	var lines []lineRow
	if err := sqlx.SelectContext(ctx, tx, &lines, orderLines, orderID); err != nil {
		return err
	}
	for _, l := range lines {
		if p := byCompany[l.CompanyID]; p != nil {
			p.Lines = append(p.Lines, l.partLine())
		}
	}
	return nil
}

// The companies' order list: the parts of company, newest order first,
// through order_parts_company (company_id, order_id).
const (
	companyOrderColumns = `o.id, o.delivery_id, o.status, o.delivery_area, o.currency, o.created_at, p.state, p.ready_at`
	companyOrders       = `SELECT ` + companyOrderColumns + `
FROM order_parts p JOIN orders o ON o.id = p.order_id
WHERE p.company_id = ? AND (? = '' OR o.status = ?)
  AND (? = '' OR p.order_id < (SELECT c.id FROM orders c WHERE c.delivery_id = ?))
ORDER BY p.order_id DESC LIMIT ?`
	companyOrderByDeliveryID = `SELECT ` + companyOrderColumns + `
FROM order_parts p JOIN orders o ON o.id = p.order_id
WHERE p.company_id = ? AND o.delivery_id = ?`
	companyLines = `SELECT order_id, company_id, product_id, product_name, quantity, unit_price, line_total
FROM order_items WHERE company_id = ? AND order_id IN (?) ORDER BY order_id, line_no`
)

type companyOrderRow struct {
	ID         string     `db:"id"`
	DeliveryID string     `db:"delivery_id"`
	Status     string     `db:"status"`
	Area       string     `db:"delivery_area"`
	Currency   string     `db:"currency"`
	CreatedAt  time.Time  `db:"created_at"`
	State      string     `db:"state"`
	ReadyAt    *time.Time `db:"ready_at"`
}

// CompanyOrders lists the orders with company's lines, newest first.
func (s *FulfilmentStore) CompanyOrders(ctx context.Context, company int64, status string, page market.OrderListPage) ([]market.CompanyOrder, error) {
	var rows []companyOrderRow
	if err := sqlx.SelectContext(ctx, s.db, &rows, companyOrders, company, status, status, page.After, page.After, page.Limit); err != nil {
		return nil, translate("list company orders", err)
	}
	return s.companyOrders(ctx, s.db, company, rows)
}

// CompanyOrder returns one order with company's lines.
func (s *FulfilmentStore) CompanyOrder(ctx context.Context, company int64, deliveryID string) (market.CompanyOrder, error) {
	var rows []companyOrderRow
	if err := sqlx.SelectContext(ctx, s.db, &rows, companyOrderByDeliveryID, company, deliveryID); err != nil {
		return market.CompanyOrder{}, translate("company order", err)
	}
	if len(rows) == 0 {
		return market.CompanyOrder{}, market.Errorf(market.CodeNotFound, "no such order")
	}
	orders, err := s.companyOrders(ctx, s.db, company, rows)
	if err != nil {
		return market.CompanyOrder{}, err
	}
	return orders[0], nil
}

// companyOrders completes rows with the company's lines and totals.
func (s *FulfilmentStore) companyOrders(ctx context.Context, q sqlx.QueryerContext, company int64, rows []companyOrderRow) ([]market.CompanyOrder, error) {
	orders := make([]market.CompanyOrder, len(rows))
	if len(rows) == 0 {
		return orders, nil
	}
	index := make(map[string]int, len(rows))
	ids := make([]string, len(rows))
	for i, r := range rows {
		orders[i] = market.CompanyOrder{
			DeliveryID: r.DeliveryID, Reference: market.OrderReference(r.ID), Status: r.Status,
			PartState: r.State, ReadyAt: utc(r.ReadyAt), Area: r.Area, Lines: []market.PartLine{},
			Total: market.Money{}, Currency: r.Currency, CreatedAt: r.CreatedAt.UTC(),
		}
		index[r.ID] = i
		ids[i] = r.ID
	}
	query, args, err := sqlx.In(companyLines, company, ids)
	if err != nil {
		return nil, translate("company order lines", err)
	}
	var lines []lineRow
	if err := sqlx.SelectContext(ctx, q, &lines, query, args...); err != nil {
		return nil, translate("company order lines", err)
	}
	for _, l := range lines {
		o := &orders[index[l.OrderID]]
		o.Lines = append(o.Lines, l.partLine())
		o.ItemCount += l.Quantity
		o.Total = market.NewMoney(o.Total.Add(l.LineTotal.Decimal))
	}
	return orders, nil
}

// The timeline names carriers by their display name and companies by
// theirs; nothing else of either.
const orderTimeline = `SELECT h.step, h.to_status, h.at, COALESCE(h.reason, '') AS reason,
    COALESCE(ca.name, '') AS carrier_name, COALESCE(co.name, '') AS company_name
FROM order_history h
LEFT JOIN carriers ca ON h.actor_kind = 'carrier' AND ca.id = h.actor_id
LEFT JOIN companies co ON co.id = h.company_id
WHERE h.order_id = ?
ORDER BY h.id`

// Timeline returns an order's steps, oldest first.
func (s *FulfilmentStore) Timeline(ctx context.Context, orderID string) ([]market.TimelineEntry, error) {
	return timeline(ctx, s.db, orderID)
}

func timeline(ctx context.Context, q sqlx.QueryerContext, orderID string) ([]market.TimelineEntry, error) {
	var rows []struct {
		Step        string    `db:"step"`
		Status      string    `db:"to_status"`
		At          time.Time `db:"at"`
		Reason      string    `db:"reason"`
		CarrierName string    `db:"carrier_name"`
		CompanyName string    `db:"company_name"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, orderTimeline, orderID); err != nil {
		return nil, translate("order timeline", err)
	}
	entries := make([]market.TimelineEntry, len(rows))
	for i, r := range rows {
		entries[i] = market.TimelineEntry{
			Step: r.Step, Status: r.Status, At: r.At.UTC(), Reason: r.Reason,
			CarrierName: r.CarrierName, CompanyName: r.CompanyName,
		}
	}
	return entries, nil
}

const carrierPhone = `SELECT phone FROM carriers WHERE id = ?`

// CarrierPhone returns a carrier's phone.
func (s *FulfilmentStore) CarrierPhone(ctx context.Context, carrier int64) (string, error) {
	var phone string
	err := sqlx.GetContext(ctx, s.db, &phone, carrierPhone, carrier)
	if errors.Is(err, sql.ErrNoRows) {
		return "", market.Errorf(market.CodeNotFound, "no such carrier")
	}
	return phone, translate("carrier phone", err)
}
