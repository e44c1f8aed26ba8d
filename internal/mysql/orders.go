package mysql

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
)

// OrderStore stores orders, their lines and their idempotency keys.
type OrderStore struct {
	db *sqlx.DB
}

var _ market.OrderStore = (*OrderStore)(nil)

// NewOrderStore returns a store over the pool db; it opens its own
// transactions.
func NewOrderStore(db *sqlx.DB) *OrderStore { return &OrderStore{db: db} }

// placeAttempts bounds how often Place starts over after losing a race
// that the database reports as a deadlock, or after seeing a key whose
// order is not visible yet.
const placeAttempts = 5

// errRaced says that another transaction held the key but its order could
// not be read: it rolled back, or (on engines without key locks) has not
// committed yet. Place starts over.
var errRaced = errors.New("idempotency key raced")

// Place stores an order in one transaction: first the idempotency record,
// whose primary key lets exactly one of any number of concurrent requests
// with the same key through; then the products are read and priced by
// market.Pricer.Quote, the very code of the quote endpoint, in the same
// transaction; then the order and its lines at those prices.
func (s *OrderStore) Place(ctx context.Context, o market.NewOrder) (market.Order, bool, error) {
	for attempt := 1; ; attempt++ {
		order, replayed, err := s.placeOnce(ctx, o)
		if (errors.Is(err, errRaced) || isDeadlock(err)) && attempt < placeAttempts {
			// Jitter so that the losers of one race do not meet again.
			delay := time.Duration(attempt)*20*time.Millisecond + rand.N(20*time.Millisecond)
			select {
			case <-time.After(delay):
				continue
			case <-ctx.Done():
				return market.Order{}, false, translate("place order", ctx.Err())
			}
		}
		if errors.Is(err, errRaced) {
			return market.Order{}, false, &market.Error{
				Code:    market.CodeUnavailable,
				Message: "an order with this Idempotency-Key is being placed; retry shortly",
				Err:     err,
			}
		}
		return order, replayed, translate("place order", err)
	}
}

const insertIdempotency = `INSERT INTO order_idempotency (key_hash, request_hash, order_id, created_at) VALUES (?, ?, ?, ?)`

const insertOrder = `INSERT INTO orders
    (id, delivery_id, status, currency, item_count, subtotal, delivery_fee, total,
     customer_name, customer_phone, customer_address, customer_note,
     delivery_area, notify_status, notify_attempts, notify_next_at, offers, offer_due_at, created_at, updated_at,
     dispatch_wave, dispatch_next_at, broadcast_at,
     delivery_km, delivery_estimate, delivery_lat, delivery_lng, pickup_lat, pickup_lng, eta_earliest, eta_latest)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// An order broadcast as it is placed records its broadcast as its first
// offer (market.DispatchStart).
const insertPlacedBroadcast = `INSERT INTO order_offers (order_id, carrier_id, wave, channel, state, offered_at)
VALUES (?, NULL, ?, ?, ?, ?)`

// deliveryColumns are the delivery_*, pickup_* and eta_* values of an
// order, all NULL for one placed without a location.
func deliveryColumns(d *market.DeliveryQuote) []any {
	if d == nil {
		return []any{nil, nil, nil, nil, nil, nil, nil, nil}
	}
	var pickupLat, pickupLng any
	if d.FirstPickup != nil {
		pickupLat, pickupLng = d.FirstPickup.Lat, d.FirstPickup.Lng
	}
	return []any{d.DistanceKm, d.Estimate, d.To.Lat, d.To.Lng, pickupLat, pickupLng, d.ETA.Earliest.UTC(), d.ETA.Latest.UTC()}
}

// insertOrderParts is completed with one orderPartValues per company: each
// company's part of the order starts new.
const (
	insertOrderParts = `INSERT INTO order_parts (order_id, company_id, state) VALUES `
	orderPartValues  = `(?, ?, 'new')`
)

const insertHistory = `INSERT INTO order_history
    (order_id, at, step, from_status, to_status, actor_kind, actor_id, company_id, reason)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

// insertOrderItems is completed with one orderItemValues per line: one
// statement for the whole order.
const (
	insertOrderItems = `INSERT INTO order_items
    (order_id, line_no, product_id, company_id, company_name, product_name, unit_price, quantity, line_total,
     image_320, image_960, image_width, image_height)
VALUES `
	orderItemValues = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

func (s *OrderStore) placeOnce(ctx context.Context, o market.NewOrder) (market.Order, bool, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return market.Order{}, false, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()

	if _, err := tx.ExecContext(ctx, insertIdempotency, o.KeyHash, o.RequestHash, o.ID, o.CreatedAt); err != nil {
		if !isDuplicate(err) {
			return market.Order{}, false, fmt.Errorf("insert idempotency key: %w", err)
		}
		tx.Rollback()
		order, err := s.replay(ctx, o.KeyHash, o.RequestHash)
		return order, err == nil, err
	}
	if o.Limits.OpenOrdersPerPhone > 0 {
		open, err := openOrdersOfPhone(ctx, tx, o.Request.Customer.Phone, o.CreatedAt)
		if err != nil {
			return market.Order{}, false, err
		}
		if err := market.CheckOpenOrders(open, o.Limits.OpenOrdersPerPhone); err != nil {
			return market.Order{}, false, err
		}
	}

	pricer := market.Pricer{Products: NewProductStore(tx), Currency: o.Currency}
	quote, err := pricer.Quote(ctx, o.Request.Items)
	if err != nil {
		return market.Order{}, false, err
	}
	order := market.OrderFromQuote(o, quote)
	start := o.DispatchStart()
	c := o.Request.Customer
	args := append([]any{
		order.ID, order.DeliveryID, order.Status, order.Currency, order.ItemCount, order.Subtotal, order.DeliveryFee, order.Total,
		c.Name, c.Phone, c.Address, c.Note, order.Area, order.Notification.Status,
		start.NotifyAt, start.OfferAgainAt, order.CreatedAt, order.CreatedAt,
		start.Wave, start.NextWaveAt, start.BroadcastAt,
	}, deliveryColumns(order.Delivery)...)
	if _, err := tx.ExecContext(ctx, insertOrder, args...); err != nil {
		return market.Order{}, false, fmt.Errorf("insert order: %w", err)
	}
	if start.BroadcastAt != nil {
		if _, err := tx.ExecContext(ctx, insertPlacedBroadcast, order.ID, start.Wave, market.ChannelBroadcast,
			market.OfferPending, *start.BroadcastAt); err != nil {
			return market.Order{}, false, fmt.Errorf("insert order broadcast: %w", err)
		}
	}
	values := make([]string, len(order.Lines))
	args = make([]any, 0, 13*len(order.Lines))
	var parts []string
	var partArgs []any
	seen := map[int64]bool{}
	for i, l := range order.Lines {
		values[i] = orderItemValues
		args = append(args, order.ID, i+1, l.ProductID, l.CompanyID, l.CompanyName, l.Name, l.UnitPrice, l.Quantity, l.LineTotal)
		image, err := lineImage(l.Image)
		if err != nil {
			return market.Order{}, false, err
		}
		args = append(args, image...)
		if !seen[l.CompanyID] {
			seen[l.CompanyID] = true
			parts = append(parts, orderPartValues)
			partArgs = append(partArgs, order.ID, l.CompanyID)
		}
	}
	if _, err := tx.ExecContext(ctx, insertOrderItems+strings.Join(values, ", "), args...); err != nil {
		return market.Order{}, false, fmt.Errorf("insert order items: %w", err)
	}
	if _, err := tx.ExecContext(ctx, insertOrderParts+strings.Join(parts, ", "), partArgs...); err != nil {
		return market.Order{}, false, fmt.Errorf("insert order parts: %w", err)
	}
	if _, err := tx.ExecContext(ctx, insertHistory, order.ID, order.CreatedAt, market.StepPlaced, nil, market.OrderPlaced,
		market.ActorShopper, nil, nil, nil); err != nil {
		return market.Order{}, false, fmt.Errorf("insert order history: %w", err)
	}
	if err := tx.Commit(); err != nil {
		if isDuplicate(err) { // engines that check the key at commit
			return market.Order{}, false, errRaced
		}
		return market.Order{}, false, fmt.Errorf("commit: %w", err)
	}
	return order, false, nil
}

// The open orders of a customer phone. The lock row is taken before the
// transaction's first plain read, so that the count, a consistent read,
// sees every order of the phone committed by the transactions that held
// the lock before.
const (
	lockPhone = `INSERT INTO order_phone_locks (phone_hash, locked_at) VALUES (?, ?)
ON DUPLICATE KEY UPDATE locked_at = ?`
	countOpenOrders = `SELECT COUNT(*) FROM orders
WHERE customer_phone = ? AND status IN ('placed', 'accepted', 'picked_up')`
)

// openOrdersOfPhone locks phone for tx and counts its orders not yet
// delivered or cancelled.
func openOrdersOfPhone(ctx context.Context, tx *sqlx.Tx, phone string, at time.Time) (int, error) {
	sum := sha256.Sum256([]byte(phone))
	key := hex.EncodeToString(sum[:])
	if _, err := tx.ExecContext(ctx, lockPhone, key, at, at); err != nil {
		return 0, fmt.Errorf("lock customer phone: %w", err)
	}
	var open int
	if err := sqlx.GetContext(ctx, tx, &open, countOpenOrders, phone); err != nil {
		return 0, fmt.Errorf("count open orders of a phone: %w", err)
	}
	return open, nil
}

const pruneIdempotencyKeys = `DELETE FROM order_idempotency WHERE created_at < ? ORDER BY created_at LIMIT ?`

// PruneIdempotencyKeys forgets idempotency keys past their retention.
func (s *OrderStore) PruneIdempotencyKeys(ctx context.Context, before time.Time, limit int) (int64, error) {
	n, err := s.exec(ctx, pruneIdempotencyKeys, before.UTC(), limit)
	return n, translate("prune idempotency keys", err)
}

const idempotencyByKey = `SELECT request_hash, order_id FROM order_idempotency WHERE key_hash = ?`

// Replay returns the order placed earlier with a key, if any.
func (s *OrderStore) Replay(ctx context.Context, keyHash, requestHash string) (market.Order, bool, error) {
	order, err := s.replay(ctx, keyHash, requestHash)
	if errors.Is(err, errRaced) {
		// Not placed, or not yet committed: Place decides.
		return market.Order{}, false, nil
	}
	if err != nil {
		return market.Order{}, false, translate("replay order", err)
	}
	return order, true, nil
}

// replay answers a key that is taken: with its order if the request is the
// same, with CodeConflict if not.
func (s *OrderStore) replay(ctx context.Context, keyHash, requestHash string) (market.Order, error) {
	var rec struct {
		RequestHash string `db:"request_hash"`
		OrderID     string `db:"order_id"`
	}
	err := sqlx.GetContext(ctx, s.db, &rec, idempotencyByKey, keyHash)
	if errors.Is(err, sql.ErrNoRows) {
		return market.Order{}, errRaced
	}
	if err != nil {
		return market.Order{}, fmt.Errorf("read idempotency key: %w", err)
	}
	if rec.RequestHash != requestHash {
		return market.Order{}, &market.Error{
			Code:    market.CodeConflict,
			Message: "this Idempotency-Key was already used for a different order; use a new key for a new order",
			Details: map[string]string{"field": "Idempotency-Key"},
		}
	}
	order, err := s.order(ctx, rec.OrderID)
	if market.ErrorCode(err) == market.CodeNotFound {
		return market.Order{}, errRaced
	}
	return order, err
}

const orderByID = `SELECT id, delivery_id, status, currency, item_count, subtotal, delivery_fee, total, delivery_area,
    notify_status, notify_attempts, notify_last_error, notify_next_at, handed_off_at, notified_at, created_at,
    delivery_km, delivery_estimate, delivery_lat, delivery_lng, pickup_lat, pickup_lng, eta_earliest, eta_latest
FROM orders WHERE id = ?`

const orderItemsByOrder = `SELECT product_id, company_id, company_name, product_name, unit_price, quantity, line_total,
    image_320, image_960, image_width, image_height
FROM order_items WHERE order_id = ? ORDER BY line_no`

type orderRow struct {
	ID              string       `db:"id"`
	DeliveryID      string       `db:"delivery_id"`
	Status          string       `db:"status"`
	Currency        string       `db:"currency"`
	ItemCount       int          `db:"item_count"`
	Subtotal        market.Money `db:"subtotal"`
	DeliveryFee     market.Money `db:"delivery_fee"`
	Total           market.Money `db:"total"`
	Area            string       `db:"delivery_area"`
	NotifyStatus    string       `db:"notify_status"`
	NotifyAttempts  int          `db:"notify_attempts"`
	NotifyLastError *string      `db:"notify_last_error"`
	NotifyNextAt    *time.Time   `db:"notify_next_at"`
	HandedOffAt     *time.Time   `db:"handed_off_at"`
	NotifiedAt      *time.Time   `db:"notified_at"`
	CreatedAt       time.Time    `db:"created_at"`
	deliveryRow
}

// deliveryRow is an order's delivery as it was quoted when the order was
// placed.
type deliveryRow struct {
	Km          *float64   `db:"delivery_km"`
	Estimate    *bool      `db:"delivery_estimate"`
	Lat         *float64   `db:"delivery_lat"`
	Lng         *float64   `db:"delivery_lng"`
	PickupLat   *float64   `db:"pickup_lat"`
	PickupLng   *float64   `db:"pickup_lng"`
	ETAEarliest *time.Time `db:"eta_earliest"`
	ETALatest   *time.Time `db:"eta_latest"`
}

// eta is nil for an order placed without a location.
func (r deliveryRow) eta() *market.ETA {
	if r.ETAEarliest == nil || r.ETALatest == nil {
		return nil
	}
	return &market.ETA{Earliest: r.ETAEarliest.UTC(), Latest: r.ETALatest.UTC()}
}

// delivery rebuilds the quote the order was placed with, nil for an order
// placed without a location.
func (r deliveryRow) delivery(fee market.Money) *market.DeliveryQuote {
	to := locationOf(r.Lat, r.Lng)
	if to == nil {
		return nil
	}
	d := &market.DeliveryQuote{Fee: fee, To: *to}
	if r.Km != nil {
		d.DistanceKm = *r.Km
	}
	if r.Estimate != nil {
		d.Estimate = *r.Estimate
	}
	if eta := r.eta(); eta != nil {
		d.ETA = *eta
	}
	d.FirstPickup = locationOf(r.PickupLat, r.PickupLng)
	return d
}

type orderItemRow struct {
	ProductID   int64        `db:"product_id"`
	CompanyID   int64        `db:"company_id"`
	CompanyName string       `db:"company_name"`
	Name        string       `db:"product_name"`
	UnitPrice   market.Money `db:"unit_price"`
	Quantity    int          `db:"quantity"`
	LineTotal   market.Money `db:"line_total"`
	Image320    *string      `db:"image_320"`
	Image960    *string      `db:"image_960"`
	ImageWidth  *int         `db:"image_width"`
	ImageHeight *int         `db:"image_height"`
}

// line returns the row as the order shows it.
func (r orderItemRow) line() market.OrderLine {
	return market.OrderLine{
		ProductID: r.ProductID, CompanyID: r.CompanyID, CompanyName: r.CompanyName, Name: r.Name,
		UnitPrice: r.UnitPrice, Quantity: r.Quantity, LineTotal: r.LineTotal,
		Image: storedImage(r.Image320, r.Image960, r.ImageWidth, r.ImageHeight),
	}
}

// Order returns the order with id, or CodeNotFound.
func (s *OrderStore) Order(ctx context.Context, id string) (market.Order, error) {
	return s.order(ctx, id)
}

func (s *OrderStore) order(ctx context.Context, id string) (market.Order, error) {
	var row orderRow
	var items []orderItemRow
	var steps []market.TimelineEntry
	err := inTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := sqlx.GetContext(ctx, tx, &row, orderByID, id); err != nil {
			return err
		}
		if err := sqlx.SelectContext(ctx, tx, &items, orderItemsByOrder, id); err != nil {
			return err
		}
		var err error
		steps, err = timeline(ctx, tx, id)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return market.Order{}, market.Errorf(market.CodeNotFound, "no order %s", id)
	}
	if err != nil {
		return market.Order{}, translate("get order", err)
	}
	order := market.Order{
		ID:          row.ID,
		Reference:   market.OrderReference(row.ID),
		Status:      row.Status,
		Lines:       make([]market.OrderLine, len(items)),
		ItemCount:   row.ItemCount,
		Subtotal:    row.Subtotal,
		DeliveryFee: row.DeliveryFee,
		Total:       row.Total,
		Currency:    row.Currency,
		ETA:         row.eta(),
		Delivery:    row.delivery(row.DeliveryFee),
		CreatedAt:   row.CreatedAt.UTC(),
		Area:        row.Area,
		DeliveryID:  row.DeliveryID,
		Timeline:    steps,
		Cancellable: ptr(market.Cancellable(row.Status)),
		Notification: &market.Notification{
			Status:        row.NotifyStatus,
			Attempts:      row.NotifyAttempts,
			LastError:     row.NotifyLastError,
			HandedOffAt:   utc(row.HandedOffAt),
			NotifiedAt:    utc(row.NotifiedAt),
			NextAttemptAt: utc(row.NotifyNextAt),
		},
	}
	for i, it := range items {
		order.Lines[i] = it.line()
	}
	return order, nil
}

func ptr[T any](v T) *T { return &v }

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Only placed orders are announced: one already claimed (from the list)
// or cancelled needs no SMS.
const dueNotifications = `SELECT id, notify_attempts FROM orders
WHERE notify_next_at <= ? AND notified_at IS NULL AND status = 'placed'
ORDER BY notify_next_at
LIMIT ?`

// DueNotifications lists un-notified orders whose next attempt is due.
func (s *OrderStore) DueNotifications(ctx context.Context, now time.Time, limit int) ([]market.NotificationDue, error) {
	var rows []struct {
		ID       string `db:"id"`
		Attempts int    `db:"notify_attempts"`
	}
	err := sqlx.SelectContext(ctx, s.db, &rows, dueNotifications, now.UTC(), limit)
	if err != nil {
		return nil, translate("due notifications", err)
	}
	due := make([]market.NotificationDue, len(rows))
	for i, r := range rows {
		due[i] = market.NotificationDue{OrderID: r.ID, Attempts: r.Attempts}
	}
	return due, nil
}

// claimNotification only succeeds for one of several sweeps: the first
// moves notify_next_at past now, and the others' condition then fails.
//
// An order offered in waves and not broadcast yet is due only once it
// should have been broadcast (market.DispatchStart): its waves were lost.
// Handing it to the carriers' topic broadcasts it, so that every carrier
// texted may see it, with its broadcast recorded as its last wave's; the
// claim's row lock orders the three statements against other sweeps.
const (
	claimNotification = `UPDATE orders SET notify_next_at = ?, updated_at = ?
WHERE id = ? AND notify_attempts = ? AND notified_at IS NULL AND notify_next_at <= ?`
	recordLateBroadcast = `INSERT INTO order_offers (order_id, carrier_id, wave, channel, state, offered_at)
SELECT id, NULL, dispatch_wave + 1, ?, ?, ? FROM orders WHERE id = ? AND broadcast_at IS NULL`
	markLateBroadcast = `UPDATE orders SET broadcast_at = ?, dispatch_wave = dispatch_wave + 1, dispatch_next_at = NULL
WHERE id = ? AND broadcast_at IS NULL`
)

// ClaimNotification takes the next attempt on an order that is due.
func (s *OrderStore) ClaimNotification(ctx context.Context, id string, attempts int, now, until time.Time) (bool, error) {
	now = now.UTC()
	claimed := false
	err := inTx(ctx, s.db, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, claimNotification, until.UTC(), now, id, attempts, now)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err
		}
		if _, err := tx.ExecContext(ctx, recordLateBroadcast, market.ChannelBroadcast, market.OfferPending, now, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, markLateBroadcast, now, id); err != nil {
			return err
		}
		claimed = true
		return nil
	})
	return claimed, translate("claim notification", err)
}

// markHandedOff leaves a notified order notified: locally and, rarely, on
// AWS the confirmation of the SMS can arrive before this update.
const markHandedOff = `UPDATE orders SET
    notify_status = CASE WHEN notified_at IS NULL THEN 'handed_off' ELSE notify_status END,
    notify_next_at = CASE WHEN notified_at IS NULL THEN ? ELSE NULL END,
    notify_attempts = ?, notify_last_error = NULL, handed_off_at = ?, updated_at = ?
WHERE id = ? AND notify_attempts = ?`

// MarkHandedOff records a successful hand-off of attempt number attempt.
func (s *OrderStore) MarkHandedOff(ctx context.Context, id string, attempt int, at, recheckAt time.Time) error {
	_, err := s.exec(ctx, markHandedOff, recheckAt.UTC(), attempt, at.UTC(), at.UTC(), id, attempt-1)
	return translate("mark order handed off", err)
}

// markFailed applies to the attempt that failed: the hand-off that was
// about to count it (attempts = attempt-1) or the delivery of one handed
// off (attempts = attempt), never a newer attempt.
const markFailed = `UPDATE orders SET notify_status = 'failed', notify_attempts = ?, notify_last_error = ?,
    notify_next_at = ?, updated_at = ?
WHERE id = ? AND notified_at IS NULL AND notify_attempts IN (?, ?)`

// MarkFailed records that attempt number attempt failed.
func (s *OrderStore) MarkFailed(ctx context.Context, id string, attempt int, reason string, retryAt *time.Time) error {
	var next *time.Time
	if retryAt != nil {
		next = utc(retryAt)
	}
	_, err := s.exec(ctx, markFailed, attempt, reason, next, time.Now().UTC(), id, attempt-1, attempt)
	return translate("mark order notification failed", err)
}

const markNotified = `UPDATE orders SET notify_status = 'notified', notified_at = ?, notify_next_at = NULL,
    notify_last_error = NULL, updated_at = ?
WHERE id = ? AND notified_at IS NULL`

// MarkNotified records that the order's SMS was sent.
func (s *OrderStore) MarkNotified(ctx context.Context, id string, at time.Time) error {
	_, err := s.exec(ctx, markNotified, at.UTC(), at.UTC(), id)
	return translate("mark order notified", err)
}

// exec runs one update and returns the number of rows it changed.
func (s *OrderStore) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// isDeadlock reports InnoDB's answer to some races on one unique key: the
// victim's transaction is rolled back and may simply start over.
func isDeadlock(err error) bool {
	var me *mysqldrv.MySQLError
	return errors.As(err, &me) && me.Number == errDeadlock
}
