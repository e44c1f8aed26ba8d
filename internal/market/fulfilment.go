package market

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// orderCursorPrefix versions the order-list cursor. A cursor names the
// last order of a page by its delivery id, never by its order id, which is
// the shopper's capability.
const orderCursorPrefix = "o1:"

// EncodeOrderCursor returns the cursor that continues a list after the
// order with deliveryID.
func EncodeOrderCursor(deliveryID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(orderCursorPrefix + deliveryID))
}

// OrderListPage is a validated page of an order list: After is the
// delivery id of the last order already seen ("" for the first page).
type OrderListPage struct {
	After string
	Limit int
}

// ParseOrderPage validates the limit and cursor query parameters of an
// order list.
func ParseOrderPage(limit, cursor string) (OrderListPage, error) {
	page := OrderListPage{Limit: DefaultPageSize}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxPageSize {
			return OrderListPage{}, FieldError("limit", "limit must be an integer from 1 to %d", MaxPageSize)
		}
		page.Limit = n
	}
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		id, ok := strings.CutPrefix(string(raw), orderCursorPrefix)
		if err != nil || !ok || !ValidDeliveryID(id) {
			return OrderListPage{}, FieldError("cursor", "cursor is not one this API returned")
		}
		page.After = id
	}
	return page, nil
}

// ParseOrderStatus validates a status filter: "" (any) or one of the
// order statuses.
func ParseOrderStatus(status string) (string, error) {
	switch status {
	case "", OrderPlaced, OrderAccepted, OrderPickedUp, OrderDelivered, OrderCancelled:
		return status, nil
	}
	return "", FieldError("status", "status must be one of placed, accepted, picked_up, delivered, cancelled")
}

// ParseCarrierView validates the view of a carrier's order list; the
// default is the available orders.
func ParseCarrierView(view string) (string, error) {
	switch view {
	case "":
		return ViewAvailable, nil
	case ViewAvailable, ViewMine:
		return view, nil
	}
	return "", FieldError("view", "view must be available or mine")
}

// ParseCarrierPosition validates where a carrier says they are, from the
// lat and lng query parameters: both or neither (nil). The position only
// measures the distance to each order's first pickup in one answer, so it
// is never stored nor logged.
func ParseCarrierPosition(lat, lng string) (*Location, error) {
	if lat == "" && lng == "" {
		return nil, nil
	}
	var l Location
	for _, c := range []struct {
		field, text string
		v           *float64
	}{{"lat", lat, &l.Lat}, {"lng", lng, &l.Lng}} {
		if c.text == "" {
			return nil, FieldError(c.field, "lat and lng go together: %s is missing", c.field)
		}
		v, err := strconv.ParseFloat(c.text, 64)
		if err != nil {
			return nil, FieldError(c.field, "%s must be a number in decimal degrees", c.field)
		}
		*c.v = v
	}
	l, err := ValidLocation(positionField, l)
	if err != nil {
		return nil, queryField(err)
	}
	return &l, nil
}

// positionField is what ValidLocation names a carrier's position; the
// query names its coordinates lat and lng alone.
const positionField = "position"

func queryField(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	d, _ := e.Details.(map[string]string)
	field := strings.TrimPrefix(d["field"], positionField+".")
	return FieldError(field, "%s", strings.Replace(e.Message, positionField+".", "", 1))
}

// Fulfilment carries out what carriers, companies and shoppers do to an
// order after it is placed. The rules of which move is legal live in the
// transitions table; this type adds who is told.
type Fulfilment struct {
	Store FulfilmentStore
	// Texts sends the one SMS of this service: to the carrier who held an
	// order its shop cancelled. nil sends none.
	Texts TextSender
	Log   *slog.Logger
	Now   func() time.Time
	// Limits bound the orders one carrier holds (CarrierOrders) and gives
	// back (ReleasesPerCarrier, counted by Limiter), and how often a
	// released order is offered again (OffersPerOrder); the zero Limits
	// bound nothing.
	Limits Limits
	// Limiter counts the carriers' releases; nil counts none.
	Limiter *RateLimiter
	// Waves starts the next wave of a released order that was never
	// broadcast; nil starts none, and the sweep starts it TimerGrace
	// later. Dispatch says when such an order is broadcast at the latest.
	Waves    WaveTimer
	Dispatch DispatchSettings
}

func (f Fulfilment) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// at is the time a step is recorded with: DATETIME(6) keeps microseconds.
func (f Fulfilment) at() time.Time { return f.now().UTC().Truncate(time.Microsecond) }

// CarrierMove lets carrier claim, pick up, deliver or release an order and
// returns the order as the carrier now sees it.
func (f Fulfilment) CarrierMove(ctx context.Context, carrier int64, deliveryID string, action Action) (CarrierOrder, error) {
	if !ValidDeliveryID(deliveryID) {
		return CarrierOrder{}, Errorf(CodeNotFound, "no such order")
	}
	if action == ActionRelease {
		if err := f.allowRelease(ctx, carrier, deliveryID); err != nil {
			return CarrierOrder{}, err
		}
	}
	moved, err := f.Store.Move(ctx, Move{
		DeliveryID: deliveryID, Action: action, Actor: Actor{Kind: ActorCarrier, ID: carrier}, At: f.at(), Limits: f.Limits,
		Dispatch: f.Dispatch,
	})
	if err != nil {
		return CarrierOrder{}, err
	}
	f.scheduleWave(ctx, moved)
	return f.Store.CarrierOrder(ctx, carrier, deliveryID, f.now())
}

// scheduleWave starts the next wave of an order a release sent back to
// its waves. A failure is logged, not returned: the release is done, and
// the sweep starts the wave once it is overdue.
func (f Fulfilment) scheduleWave(ctx context.Context, moved Moved) {
	if moved.NextWave == 0 || f.Waves == nil {
		return
	}
	if err := f.Waves.Schedule(ctx, moved.OrderID, moved.NextWave, f.now()); err != nil {
		f.logger().ErrorContext(ctx, "fulfilment: could not schedule the next wave of a released order",
			"deliveryId", moved.DeliveryID, "wave", moved.NextWave, "error", err)
	}
}

func (f Fulfilment) logger() *slog.Logger {
	if f.Log == nil {
		return slog.Default()
	}
	return f.Log
}

// allowRelease counts a carrier's release against ReleasesPerCarrier: each
// one offers the order again (to every carrier, or to a wave of them),
// so giving orders back without end would text them without end. Only a
// release that can happen is counted: one of an order the carrier does
// not hold (a double tap, a stale page) is left to Move to refuse, and
// costs nothing.
func (f Fulfilment) allowRelease(ctx context.Context, carrier int64, deliveryID string) error {
	l := f.Limits.ReleasesPerCarrier
	if f.Limiter == nil || l.Off() {
		return nil
	}
	o, err := f.Store.CarrierOrder(ctx, carrier, deliveryID, f.now())
	if err != nil || !o.Mine || o.Status != OrderAccepted {
		return err
	}
	return f.Limiter.Allow(ctx, carrierReleaseKind, strconv.FormatInt(carrier, 10), l, releasesRefusal(l))
}

// CarrierOrders lists a view for carrier, each order with its distance
// from position (nil: none).
func (f Fulfilment) CarrierOrders(ctx context.Context, carrier int64, view string, page OrderListPage, position *Location) ([]CarrierOrder, error) {
	orders, err := f.Store.CarrierOrders(ctx, carrier, view, page)
	if err != nil {
		return nil, err
	}
	for i := range orders {
		orders[i].FromPosition(position)
	}
	return orders, nil
}

// CarrierOrder returns one order as carrier sees it, with its distance
// from position (nil: none).
func (f Fulfilment) CarrierOrder(ctx context.Context, carrier int64, deliveryID string, position *Location) (CarrierOrder, error) {
	if !ValidDeliveryID(deliveryID) {
		return CarrierOrder{}, Errorf(CodeNotFound, "no such order")
	}
	o, err := f.Store.CarrierOrder(ctx, carrier, deliveryID, f.now())
	if err != nil {
		return CarrierOrder{}, err
	}
	o.FromPosition(position)
	return o, nil
}

// CompanyReady marks company's part of an order ready for pickup.
func (f Fulfilment) CompanyReady(ctx context.Context, company int64, deliveryID string) (CompanyOrder, error) {
	if !ValidDeliveryID(deliveryID) {
		return CompanyOrder{}, Errorf(CodeNotFound, "no such order")
	}
	return f.Store.MarkReady(ctx, company, deliveryID, f.at())
}

// CompanyCancel cancels an order that has company's products in it, for a
// reason the shopper is shown. A carrier who had claimed it is told by
// SMS; that SMS failing is logged, not undone: the order is cancelled.
func (f Fulfilment) CompanyCancel(ctx context.Context, company int64, deliveryID, reason string) (CompanyOrder, error) {
	if !ValidDeliveryID(deliveryID) {
		return CompanyOrder{}, Errorf(CodeNotFound, "no such order")
	}
	reason, err := ValidateCancelReason(reason)
	if err != nil {
		return CompanyOrder{}, err
	}
	moved, err := f.Store.Move(ctx, Move{
		DeliveryID: deliveryID, Action: ActionCancel, Actor: Actor{Kind: ActorCompany, ID: company}, Reason: reason, At: f.at(),
	})
	if err != nil {
		return CompanyOrder{}, err
	}
	if moved.From == OrderAccepted && moved.CarrierID != 0 {
		f.tellCarrier(ctx, moved)
	}
	return f.Store.CompanyOrder(ctx, company, deliveryID)
}

func (f Fulfilment) tellCarrier(ctx context.Context, moved Moved) {
	log := f.logger()
	if f.Texts == nil {
		return
	}
	phone, err := f.Store.CarrierPhone(ctx, moved.CarrierID)
	if err == nil {
		err = f.Texts.SendText(ctx, phone, CancelNoticeSMS(moved.Reference))
	}
	if err != nil {
		log.ErrorContext(ctx, "fulfilment: could not tell the carrier of a cancelled order",
			"deliveryId", moved.DeliveryID, "carrierId", moved.CarrierID, "error", err)
	}
}

// ShopperCancel cancels an order while it is placed; the order id is the
// capability.
func (f Fulfilment) ShopperCancel(ctx context.Context, orderID string) error {
	if !ValidOrderID(orderID) {
		return Errorf(CodeNotFound, "no such order")
	}
	_, err := f.Store.Move(ctx, Move{OrderID: orderID, Action: ActionCancel, Actor: Actor{Kind: ActorShopper}, At: f.at()})
	return err
}

// Handover is what became of the orders of a carrier the operator removed.
type Handover struct {
	// Released counts the accepted orders given back to the carriers.
	Released int `json:"released"`
	// StillHeld are the references of the orders the carrier has picked
	// up: the goods are with them, so an operator must settle those.
	StillHeld []string `json:"stillHeld,omitempty"`
}

// ReleaseCarrierOrders gives back every order carrier holds but has not
// picked up, so that a removed carrier's orders are offered to the others
// (in their next wave, or to everyone at the next sweep) rather than
// waiting for someone who will not come.
func (f Fulfilment) ReleaseCarrierOrders(ctx context.Context, carrier int64) (Handover, error) {
	var h Handover
	page := OrderListPage{Limit: MaxPageSize}
	for {
		orders, err := f.Store.CarrierOrders(ctx, carrier, ViewMine, page)
		if err != nil {
			return h, err
		}
		for _, o := range orders {
			if o.Status == OrderPickedUp {
				h.StillHeld = append(h.StillHeld, o.Reference)
				continue
			}
			moved, err := f.Store.Move(ctx, Move{
				DeliveryID: o.DeliveryID, Action: ActionRelease, Actor: Actor{Kind: ActorSystem}, Holder: carrier, At: f.at(),
				Limits: f.Limits, Dispatch: f.Dispatch,
			})
			switch {
			case err == nil:
				h.Released++
				f.scheduleWave(ctx, moved)
			case ErrorCode(err) != CodeConflict && ErrorCode(err) != CodeNotFound:
				return h, err
			}
			// A conflict or not-found: the carrier moved it meanwhile.
		}
		if len(orders) < page.Limit {
			return h, nil
		}
		page.After = orders[len(orders)-1].DeliveryID
	}
}
