package admin

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// OffersRecord is an order's offers as the operator sees them: to which
// carrier (by id), in which wave, by which channel, whether it was sent
// and claimed; the broadcast is the record without a carrier. An order
// broadcast as it was placed (broadcast mode, or placed without a
// location) has no record: its SMS is its notification, shown by
// GET /api/orders/{orderId}.
type OffersRecord struct {
	OrderID    string               `json:"orderId"`
	DeliveryID string               `json:"deliveryId"`
	Offers     []market.OfferRecord `json:"offers"`
}

// orderOfDelivery finds an order by the id carriers and companies name it
// with.
const orderOfDelivery = `SELECT id FROM orders WHERE delivery_id = ?`

// Offers lists the offers of order, an order id (the shopper's) or a
// delivery id (the carriers' and companies'), for
// `go run ./cmd/local offers` and the migrate function's offers action.
// CodeInvalid if order is neither, CodeNotFound if there is no such order.
func Offers(ctx context.Context, db *sqlx.DB, order string) (OffersRecord, error) {
	order = strings.TrimSpace(order)
	id := order
	switch {
	case market.ValidOrderID(order):
	case market.ValidDeliveryID(order):
		err := db.GetContext(ctx, &id, orderOfDelivery, order)
		if errors.Is(err, sql.ErrNoRows) {
			return OffersRecord{}, market.Errorf(market.CodeNotFound, "no order has delivery id %s", order)
		}
		if err != nil {
			return OffersRecord{}, err
		}
	default:
		return OffersRecord{}, market.FieldError("order", "want an order id (36 characters) or a delivery id (20 hexadecimal digits)")
	}
	store := mysql.NewOfferStore(db)
	// DispatchState tells an order without offers from no order at all.
	if _, err := store.DispatchState(ctx, id); err != nil {
		return OffersRecord{}, err
	}
	offers, err := store.Offers(ctx, id)
	if err != nil {
		return OffersRecord{}, err
	}
	if offers == nil {
		offers = []market.OfferRecord{}
	}
	return OffersRecord{OrderID: id, DeliveryID: market.DeliveryID(id), Offers: offers}, nil
}
