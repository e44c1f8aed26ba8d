package mysql

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
)

// PushStore keeps the carriers' Web Push subscriptions
// (carrier_push_subscriptions: one row per carrier, the latest
// subscription) and tells dispatch how to reach carriers.
type PushStore struct {
	db *sqlx.DB
}

var (
	_ market.PushSubscriptionStore = (*PushStore)(nil)
	_ market.ContactStore          = (*PushStore)(nil)
)

// NewPushStore returns a store over db.
func NewPushStore(db *sqlx.DB) *PushStore { return &PushStore{db: db} }

const (
	savePush = `INSERT INTO carrier_push_subscriptions (carrier_id, endpoint, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE endpoint = VALUES(endpoint), p256dh = VALUES(p256dh), auth = VALUES(auth), created_at = VALUES(created_at)`
	deletePush     = `DELETE FROM carrier_push_subscriptions WHERE carrier_id = ?`
	subscribedPush = `SELECT COUNT(*) FROM carrier_push_subscriptions WHERE carrier_id = ?`
	// Only the endpoint the push service said is gone is removed: the
	// carrier may have subscribed again since the wave read it.
	removeGonePush = `DELETE FROM carrier_push_subscriptions WHERE carrier_id = ? AND endpoint = ?`
	// A suspended carrier is offered nothing: dispatch gets no contact,
	// and records the offer failed.
	carrierContacts = `SELECT c.id, c.phone, p.endpoint, p.p256dh, p.auth
FROM carriers c LEFT JOIN carrier_push_subscriptions p ON p.carrier_id = c.id
WHERE c.id IN (?) AND c.active`
)

// Save makes sub carrier's subscription, replacing any other: a phone
// subscribes again when its browser renews the subscription, and a
// carrier reached on a new phone is no longer reached on the old one.
func (s *PushStore) Save(ctx context.Context, carrier int64, sub market.PushSubscription, now time.Time) error {
	if _, err := s.db.ExecContext(ctx, savePush, carrier, sub.Endpoint, sub.P256dh, sub.Auth, now.UTC()); err != nil {
		return translate("save push subscription", err)
	}
	return nil
}

// Delete forgets carrier's subscription, if any.
func (s *PushStore) Delete(ctx context.Context, carrier int64) error {
	if _, err := s.db.ExecContext(ctx, deletePush, carrier); err != nil {
		return translate("delete push subscription", err)
	}
	return nil
}

// Subscribed reports whether carrier has a subscription.
func (s *PushStore) Subscribed(ctx context.Context, carrier int64) (bool, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, subscribedPush, carrier); err != nil {
		return false, translate("push subscription", err)
	}
	return n > 0, nil
}

// RemovePushSubscription forgets carrier's subscription at endpoint, the
// one the push service said is gone, unless another replaced it.
func (s *PushStore) RemovePushSubscription(ctx context.Context, carrier int64, endpoint string) error {
	if _, err := s.db.ExecContext(ctx, removeGonePush, carrier, endpoint); err != nil {
		return translate("remove push subscription", err)
	}
	return nil
}

// CarrierContacts returns the phone and push subscription (nil: none) of
// each active carrier of carrierIDs; the others are left out.
func (s *PushStore) CarrierContacts(ctx context.Context, carrierIDs []int64) (map[int64]market.CarrierContact, error) {
	contacts := make(map[int64]market.CarrierContact, len(carrierIDs))
	if len(carrierIDs) == 0 {
		return contacts, nil
	}
	query, args, err := sqlx.In(carrierContacts, carrierIDs)
	if err != nil {
		return nil, translate("carrier contacts", err)
	}
	var rows []struct {
		ID       int64   `db:"id"`
		Phone    string  `db:"phone"`
		Endpoint *string `db:"endpoint"`
		P256dh   *string `db:"p256dh"`
		Auth     *string `db:"auth"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(query), args...); err != nil {
		return nil, translate("carrier contacts", err)
	}
	for _, r := range rows {
		c := market.CarrierContact{CarrierID: r.ID, Phone: r.Phone}
		if r.Endpoint != nil && r.P256dh != nil && r.Auth != nil {
			c.Push = &market.PushSubscription{Endpoint: *r.Endpoint, P256dh: *r.P256dh, Auth: *r.Auth}
		}
		contacts[r.ID] = c
	}
	return contacts, nil
}
