package mysql_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

func pushSub(name string) market.PushSubscription {
	return market.PushSubscription{
		Endpoint: "https://fcm.googleapis.com/fcm/send/" + name,
		P256dh:   "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
		Auth:     "BTBZMqHH6r4Tts7J_aSIgg",
	}
}

// A carrier has one subscription, the latest; dispatch reaches active
// carriers by it or by phone; a subscription the push service said is
// gone is removed only while it is still the carrier's.
func TestPushStore(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	ctx := context.Background()
	carriers := mysql.NewCarrierStore(db)
	var ids []int64
	for i := range 3 {
		c, err := carriers.AddCarrier(ctx, market.Carrier{Name: fmt.Sprintf("Carrier %d", i), Phone: fmt.Sprintf("+3519100001%02d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	ana, rui, eva := ids[0], ids[1], ids[2]
	store := mysql.NewPushStore(db)
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)

	subscribed := func(carrier int64, want bool) {
		t.Helper()
		if got, err := store.Subscribed(ctx, carrier); err != nil || got != want {
			t.Errorf("Subscribed(%d) = %v, %v, want %v", carrier, got, err, want)
		}
	}
	contacts := func(want map[int64]market.CarrierContact) {
		t.Helper()
		got, err := store.CarrierContacts(ctx, append(ids, 99999))
		if err != nil || fmt.Sprintf("%+v", deref(got)) != fmt.Sprintf("%+v", deref(want)) {
			t.Errorf("CarrierContacts = %+v, %v\nwant %+v", deref(got), err, deref(want))
		}
	}

	subscribed(ana, false)
	if err := store.Save(ctx, ana, pushSub("old"), now); err != nil {
		t.Fatal(err)
	}
	if err := store.Save(ctx, ana, pushSub("new"), now.Add(time.Hour)); err != nil {
		t.Fatalf("Save() again = %v, want the subscription replaced", err)
	}
	if err := store.Save(ctx, rui, pushSub("rui"), now); err != nil {
		t.Fatal(err)
	}
	subscribed(ana, true)
	subscribed(eva, false)
	newSub, ruiSub := pushSub("new"), pushSub("rui")
	contacts(map[int64]market.CarrierContact{
		ana: {CarrierID: ana, Phone: "+351910000100", Push: &newSub},
		rui: {CarrierID: rui, Phone: "+351910000101", Push: &ruiSub},
		eva: {CarrierID: eva, Phone: "+351910000102"},
	})
	if got, err := store.CarrierContacts(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("CarrierContacts(none) = %v, %v", got, err)
	}

	// The push service said "old" is gone, but ana subscribed again since.
	if err := store.RemovePushSubscription(ctx, ana, pushSub("old").Endpoint); err != nil {
		t.Fatal(err)
	}
	subscribed(ana, true)
	if err := store.RemovePushSubscription(ctx, ana, pushSub("new").Endpoint); err != nil {
		t.Fatal(err)
	}
	subscribed(ana, false)
	if err := store.Delete(ctx, rui); err != nil {
		t.Fatal(err)
	}
	if err := store.Delete(ctx, rui); err != nil {
		t.Errorf("Delete() twice = %v, want nil", err)
	}
	subscribed(rui, false)

	// A suspended carrier is not reached at all.
	if err := store.Save(ctx, eva, pushSub("eva"), now); err != nil {
		t.Fatal(err)
	}
	if _, err := carriers.SetCarrierActive(ctx, "+351910000102", false); err != nil {
		t.Fatal(err)
	}
	contacts(map[int64]market.CarrierContact{
		ana: {CarrierID: ana, Phone: "+351910000100"},
		rui: {CarrierID: rui, Phone: "+351910000101"},
	})
}

// deref shows the subscriptions a map of contacts points to.
func deref(m map[int64]market.CarrierContact) map[int64]string {
	out := map[int64]string{}
	for id, c := range m {
		push := "none"
		if c.Push != nil {
			push = fmt.Sprintf("%+v", *c.Push)
		}
		out[id] = fmt.Sprintf("%d %s %s", c.CarrierID, c.Phone, push)
	}
	return out
}
