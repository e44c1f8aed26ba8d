package notify_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/notify"
)

// historyRow is one row of an order's history, as the re-offer writes it.
type historyRow struct {
	Step      string  `db:"step"`
	From      *string `db:"from_status"`
	To        string  `db:"to_status"`
	ActorKind string  `db:"actor_kind"`
	ActorID   *int64  `db:"actor_id"`
}

func history(t *testing.T, db *sqlx.DB, orderID string) []historyRow {
	t.Helper()
	var rows []historyRow
	if err := db.Select(&rows, `SELECT step, from_status, to_status, actor_kind, actor_id FROM order_history WHERE order_id = ? ORDER BY id`, orderID); err != nil {
		t.Fatal(err)
	}
	return rows
}

func offersOf(t *testing.T, db *sqlx.DB, orderID string) int {
	t.Helper()
	var n int
	if err := db.Get(&n, `SELECT offers FROM orders WHERE id = ?`, orderID); err != nil {
		t.Fatal(err)
	}
	return n
}

func sweep(t *testing.T, d *notify.Dispatcher) notify.SweepReport {
	t.Helper()
	r, err := d.Sweep(context.Background())
	if err != nil {
		t.Fatalf("Sweep = %v", err)
	}
	return r
}

// TestUnclaimedOrderOfferedAgainOnce: an order no carrier claims is
// offered again OfferAgainAfter after it was placed, not before, and only
// once; the repeated SMS is the first one's text, the history shows the
// step, and the first offer's notification state is untouched.
func TestUnclaimedOrderOfferedAgainOnce(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	r := s.post(t, "key-offer-again", "")
	placed := decodeOrder(t, r)
	s.invoker.Wait()

	s.clock.Set(placed.CreatedAt.Add(market.OfferAgainAfter - time.Second))
	if r := sweep(t, s.dispatcher); r.OfferedAgain != 0 {
		t.Errorf("Sweep before OfferAgainAfter = %+v, want no offer", r)
	}
	s.clock.Set(placed.CreatedAt.Add(market.OfferAgainAfter))
	if r := sweep(t, s.dispatcher); r.OfferedAgain != 1 || r.HandedOff != 0 {
		t.Errorf("Sweep at OfferAgainAfter = %+v, want the order offered again", r)
	}
	s.invoker.Wait()
	s.clock.Set(placed.CreatedAt.Add(time.Hour))
	if r := sweep(t, s.dispatcher); r.OfferedAgain != 0 {
		t.Errorf("Sweep an hour later = %+v, want no third offer", r)
	}
	s.invoker.Wait()

	msgs := s.outbox.Messages()
	if len(msgs) != 2 || msgs[1].Message != msgs[0].Message || msgs[1].OrderID != placed.ID {
		t.Fatalf("SMS = %+v, want the same SMS twice", msgs)
	}
	if got := offersOf(t, s.db, placed.ID); got != 2 {
		t.Errorf("offers = %d, want 2", got)
	}
	rows := history(t, s.db, placed.ID)
	last := rows[len(rows)-1]
	if len(rows) != 2 || last.Step != market.StepOfferedAgain || last.From == nil || *last.From != market.OrderPlaced ||
		last.To != market.OrderPlaced || last.ActorKind != string(market.ActorSystem) || last.ActorID != nil {
		t.Errorf("history = %+v, want placed, then offered_again placed→placed by the system", rows)
	}
	n := decodeOrder(t, s.get(t, placed.ID)).Notification
	if n == nil || n.Status != market.NotifyNotified || n.Attempts != 1 {
		t.Errorf("notification = %+v, want the first offer's: notified after 1 attempt", n)
	}
}

// TestOrderMovedOnIsNotOfferedAgain: a claimed or cancelled order is not
// offered again, even with its due time past (the status decides); one a
// carrier released is offered at the next sweep.
func TestOrderMovedOnIsNotOfferedAgain(t *testing.T) {
	t.Parallel()
	for _, status := range []string{market.OrderAccepted, market.OrderCancelled} {
		t.Run(status, func(t *testing.T) {
			inv := &acceptingInvoker{}
			db, d, clock, id := placeWith(t, inv)
			if _, err := db.Exec(`UPDATE orders SET status = ? WHERE id = ?`, status, id); err != nil {
				t.Fatal(err)
			}
			clock.Set(time.Now().Add(time.Hour))
			if r := sweep(t, d); r.OfferedAgain != 0 {
				t.Errorf("Sweep = %+v, want no offer of a %s order", r, status)
			}
			if rows := history(t, db, id); len(rows) != 1 {
				t.Errorf("history = %+v, want the placement only", rows)
			}
		})
	}
	t.Run("released", func(t *testing.T) {
		inv := &acceptingInvoker{}
		db, d, clock, id := placeWith(t, inv)
		now := time.Now().Add(time.Hour).UTC()
		clock.Set(now)
		if r := sweep(t, d); r.OfferedAgain != 1 {
			t.Fatalf("Sweep = %+v, want the order offered again", r)
		}
		// What a carrier's release does: the order is due again at once.
		if _, err := db.Exec(`UPDATE orders SET offer_due_at = ? WHERE id = ?`, now, id); err != nil {
			t.Fatal(err)
		}
		if r := sweep(t, d); r.OfferedAgain != 1 {
			t.Fatalf("Sweep after a release = %+v, want the order offered again", r)
		}
		// The first offer, never confirmed here, is handed off again too.
		var offers []int
		for _, e := range inv.events {
			if e.Offer > 1 {
				offers = append(offers, e.Offer)
			}
		}
		if len(offers) != 2 || offers[0] != 2 || offers[1] != 3 || offersOf(t, db, id) != 3 {
			t.Errorf("repeated offers made = %v (stored %d), want 2, 3", offers, offersOf(t, db, id))
		}
	})
}

// TestConcurrentSweepsOfferOnce: sweeps racing for a due offer make it
// once.
func TestConcurrentSweepsOfferOnce(t *testing.T) {
	t.Parallel()
	inv := &acceptingInvoker{}
	db, d, clock, id := placeWith(t, inv)
	clock.Set(time.Now().Add(market.OfferAgainAfter + time.Minute))
	// As in TestUnconfirmedHandOffIsRetried: concurrent on MySQL, in turn
	// on the embedded engine, which does not isolate concurrent statements.
	reports := make([]notify.SweepReport, 6)
	var wg sync.WaitGroup
	for i := range reports {
		if os.Getenv(dbtest.EnvDSN) == "" {
			reports[i] = sweep(t, d)
			continue
		}
		wg.Go(func() { reports[i], _ = d.Sweep(context.Background()) })
	}
	wg.Wait()
	total := 0
	for _, r := range reports {
		total += r.OfferedAgain
	}
	again := 0
	for _, e := range inv.events {
		if e.Offer == 2 {
			again++
		}
	}
	if total != 1 || again != 1 || offersOf(t, db, id) != 2 || len(history(t, db, id)) != 2 {
		t.Errorf("%d sweeps offered again %d times (events %+v, offers %d), want once", len(reports), total, inv.events, offersOf(t, db, id))
	}
}

// TestFailedRepeatedOfferKeepsFirstState: a repeated offer that cannot be
// handed off, or whose SMS fails, is logged and leaves the first offer's
// notification as it was.
func TestFailedRepeatedOfferKeepsFirstState(t *testing.T) {
	t.Parallel()
	t.Run("sms fails", func(t *testing.T) {
		s := newShop(t)
		placed := decodeOrder(t, s.post(t, "key-offer-fails", ""))
		s.invoker.Wait()
		s.outbox.FailWith(errors.New("sns: InternalError"))
		s.clock.Set(placed.CreatedAt.Add(market.OfferAgainAfter))
		sweep(t, s.dispatcher)
		s.invoker.Wait()
		n := decodeOrder(t, s.get(t, placed.ID)).Notification
		if n.Status != market.NotifyNotified || n.Attempts != 1 || n.LastError != nil || n.NextAttemptAt != nil {
			t.Errorf("notification after a failed repeated offer = %+v, want notified after 1 attempt", n)
		}
	})
	t.Run("hand-off fails", func(t *testing.T) {
		db, d, clock, id := placeWith(t, refusingInvoker{})
		before, _ := mysql.NewOrderStore(db).Order(context.Background(), id)
		clock.Set(before.CreatedAt.Add(market.OfferAgainAfter))
		r := sweep(t, d)
		after, _ := mysql.NewOrderStore(db).Order(context.Background(), id)
		// The sweep also retried the first offer (due after its backoff),
		// which failed again: that is the first offer's own state.
		if r.OfferedAgain != 0 || after.Notification.Status != market.NotifyFailed || offersOf(t, db, id) != 2 {
			t.Errorf("Sweep = %+v, notification %+v, want the offer taken (and logged as failed), not counted as made; the first offer still failed", r, after.Notification)
		}
	})
	t.Run("destination record of a repeated offer", func(t *testing.T) {
		inv := &acceptingInvoker{}
		db, d, _, id := placeWith(t, inv)
		h := notify.PlaceOrderEvents{Dispatcher: d}
		for _, name := range []string{"destination-failure.json", "destination-success.json"} {
			record := strings.ReplaceAll(string(readTestdata(t, name)), "REPLACED-BY-TEST", id)
			record = strings.Replace(record, `"attempt": 1`, `"offer": 2, "attempt": 1`, 1)
			if _, err := h.Handle(context.Background(), []byte(record)); err != nil {
				t.Fatalf("%s for offer 2: %v", name, err)
			}
			o, _ := mysql.NewOrderStore(db).Order(context.Background(), id)
			if o.Notification.Status != market.NotifyHandedOff || o.Notification.Attempts != 1 {
				t.Errorf("after %s for offer 2: %+v, want the first offer's state (handed off)", name, o.Notification)
			}
		}
	})
}
