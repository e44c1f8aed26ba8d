package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// The retry policy.
const (
	// ConfirmTimeout is how long a handed-off order waits for Lambda's
	// report before the sweep hands it off again. It must exceed the time
	// Lambda may hold the event: notifycarrier's maximum event age (600 s,
	// set by Terraform) plus its retries.
	ConfirmTimeout = 15 * time.Minute
	// MaxAttempts is how many hand-offs an order gets before it is marked
	// failed for good (and logged at ERROR for the alarm).
	MaxAttempts = 8
	// invokeTimeout bounds one hand-off, so that a stuck endpoint cannot
	// hold the shopper's request; the order is retried instead.
	invokeTimeout = 5 * time.Second
	// recordTimeout bounds recording a hand-off's outcome (one UPDATE of
	// a few milliseconds; generous for a loaded database). The record does
	// not share the request's deadline (apigw.RequestTimeout): when that
	// deadline ends a slow Invoke (the SDK retries with backoff), the
	// failure must still be written, so that the order shows it and is
	// retried on its schedule rather than after HandOffGrace. A request
	// that places an order therefore takes at most 1.5 s + 2 s, far
	// below placeorder's 15 s timeout.
	recordTimeout = 2 * time.Second
	// sweepBatch is how many due orders one sweep handles.
	sweepBatch = 50
	// pruneBatch bounds the idempotency keys one sweep forgets; at one
	// sweep a minute that is far above any order rate this serves.
	pruneBatch = 1000
)

// The reasons recorded on an order (and shown by the API), a fixed
// vocabulary: error texts, which name accounts and functions, go to the
// logs only.
const (
	ReasonHandOff  = "the carrier notifier could not be reached"
	ReasonDelivery = "the SMS could not be sent"
	ReasonGaveUp   = "gave up after repeated failures"
)

// backoff is the wait before retrying after attempt number attempt failed:
// 1, 2, 4, 8, 16, then every 30 minutes.
func backoff(attempt int) time.Duration {
	d := time.Minute << min(max(attempt-1, 0), 5)
	return min(d, 30*time.Minute)
}

// Dispatcher hands orders to notifycarrier and keeps their notification
// state: placeorder's half of the notification path.
type Dispatcher struct {
	store   market.OrderStore
	invoker Invoker
	log     *slog.Logger
	now     func() time.Time
	// orderLocks keep this process from updating one order's notification
	// state from two goroutines at once: a hand-off is recorded before the
	// report of its outcome, which locally can arrive within microseconds.
	// MySQL orders such updates with row locks; the embedded engine of the
	// local runner does not, and would lose one of them.
	orderLocks [64]sync.Mutex
	// waves, when set (UseWaves), offer orders in waves before the
	// broadcast.
	waves *Waves
}

func (d *Dispatcher) lockOrder(id string) (unlock func()) {
	h := fnv.New32a()
	h.Write([]byte(id))
	m := &d.orderLocks[h.Sum32()%uint32(len(d.orderLocks))]
	m.Lock()
	return m.Unlock
}

var _ market.CarrierNotifier = (*Dispatcher)(nil)

// NewDispatcher returns a Dispatcher over store that hands off through
// invoker.
func NewDispatcher(store market.OrderStore, invoker Invoker, logger *slog.Logger) *Dispatcher {
	if logger == nil {
		logger = slog.Default()
	}
	return &Dispatcher{store: store, invoker: invoker, log: logger, now: time.Now}
}

// SetClock replaces the clock; for tests.
func (d *Dispatcher) SetClock(now func() time.Time) { d.now = now }

// HandOff hands a just-placed order to notifycarrier: its first attempt,
// which the order's HandOffGrace reserves for the request that placed it.
// An order offered in waves (UseWaves) is not broadcast yet: its first
// wave is scheduled instead.
func (d *Dispatcher) HandOff(ctx context.Context, o market.Order) {
	if d.waves != nil && d.waves.Settings.UsesWaves(firstPickup(o)) {
		d.startWaves(ctx, o.ID)
		return
	}
	d.attempt(ctx, o, 1)
}

// attempt makes attempt number n to hand o's first offer off and records
// the outcome. A failure to record is logged: the order stays due and the
// sweep retries.
func (d *Dispatcher) attempt(ctx context.Context, o market.Order, n int) {
	defer d.lockOrder(o.ID)()
	invokeCtx, cancel := context.WithTimeout(ctx, invokeTimeout)
	err := d.invoker.Invoke(invokeCtx, EventFor(o, 1, n))
	cancel()
	now := d.now().UTC()
	ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err != nil {
		d.log.ErrorContext(ctx, "notify: hand-off failed", "orderId", o.ID, "attempt", n, "error", err)
		err = d.fail(ctx, o.ID, n, ReasonHandOff, now)
	} else {
		d.log.InfoContext(ctx, "notify: handed off", "orderId", o.ID, "attempt", n)
		err = d.store.MarkHandedOff(ctx, o.ID, n, now, now.Add(ConfirmTimeout))
	}
	if err != nil {
		d.log.ErrorContext(ctx, "notify: record hand-off", "orderId", o.ID, "attempt", n, "error", err)
	}
}

// fail records that attempt n failed, scheduling a retry or giving up.
func (d *Dispatcher) fail(ctx context.Context, orderID string, n int, reason string, now time.Time) error {
	if n >= MaxAttempts {
		d.log.ErrorContext(ctx, "notify: order not notified, giving up", "orderId", orderID, "attempts", n)
		return d.store.MarkFailed(ctx, orderID, n, ReasonGaveUp, nil)
	}
	retryAt := now.Add(backoff(n))
	return d.store.MarkFailed(ctx, orderID, n, reason, &retryAt)
}

// SweepReport says what a sweep did.
type SweepReport struct {
	Due       int `json:"due"`
	HandedOff int `json:"handedOff"` // attempted; failures are recorded on the orders
	GaveUp    int `json:"gaveUp"`
	// OfferedAgain counts the orders offered to the carriers once more.
	OfferedAgain int `json:"offeredAgain"`
	// KeysPruned counts idempotency keys forgotten after their retention.
	KeysPruned int64 `json:"keysPruned"`
	// Waves counts the overdue waves started (their timers late or lost);
	// ShiftsEnded the shifts ended by themselves.
	Waves       int `json:"waves,omitempty"`
	ShiftsEnded int `json:"shiftsEnded,omitempty"`
}

// Sweep retries every order whose notification is due: placed but never
// handed off, failed, or handed off without confirmation for
// ConfirmTimeout. Then it offers again the orders no carrier has claimed
// for market.OfferAgainAfter, and those a carrier released. With waves
// (UseWaves), it starts the waves whose timers are overdue and ends the
// expired shifts. Concurrent sweeps do not hand off the same order, offer
// it, or start one of its waves, twice.
func (d *Dispatcher) Sweep(ctx context.Context) (SweepReport, error) {
	now := d.now().UTC()
	due, err := d.store.DueNotifications(ctx, now, sweepBatch)
	if err != nil {
		return SweepReport{}, fmt.Errorf("sweep: %w", err)
	}
	report := SweepReport{Due: len(due)}
	for _, n := range due {
		claimed, err := d.store.ClaimNotification(ctx, n.OrderID, n.Attempts, now, now.Add(HandOffLease))
		if err != nil {
			return report, fmt.Errorf("sweep: %w", err)
		}
		if !claimed {
			continue
		}
		if n.Attempts >= MaxAttempts {
			if err := d.fail(ctx, n.OrderID, n.Attempts, ReasonGaveUp, now); err != nil {
				return report, fmt.Errorf("sweep: %w", err)
			}
			report.GaveUp++
			continue
		}
		o, err := d.store.Order(ctx, n.OrderID)
		if err != nil {
			return report, fmt.Errorf("sweep: %w", err)
		}
		d.attempt(ctx, o, n.Attempts+1)
		report.HandedOff++
	}
	if err := d.offerDue(ctx, now, &report); err != nil {
		return report, fmt.Errorf("sweep: %w", err)
	}
	if d.waves != nil {
		if err := d.sweepWaves(ctx, now, &report); err != nil {
			return report, fmt.Errorf("sweep: %w", err)
		}
	}
	// The sweep is the orders' scheduled housekeeping, so it also keeps
	// the idempotency table bounded.
	report.KeysPruned, err = d.store.PruneIdempotencyKeys(ctx, now.Add(-market.IdempotencyKeyRetention), pruneBatch)
	if err != nil {
		return report, fmt.Errorf("sweep: %w", err)
	}
	if report.Due > 0 || report.OfferedAgain > 0 || report.KeysPruned > 0 || report.Waves > 0 || report.ShiftsEnded > 0 {
		d.log.InfoContext(ctx, "notify: sweep", "due", report.Due, "handedOff", report.HandedOff, "gaveUp", report.GaveUp,
			"offeredAgain", report.OfferedAgain, "keysPruned", report.KeysPruned, "waves", report.Waves, "shiftsEnded", report.ShiftsEnded)
	}
	return report, nil
}

// offerDue offers each due order to the carriers once more. The order's
// notification state belongs to its first offer, so a repeated offer is
// fire-and-forget: a failure is logged at ERROR, and the order stays in
// the carriers' list of available orders on the site.
func (d *Dispatcher) offerDue(ctx context.Context, now time.Time, report *SweepReport) error {
	due, err := d.store.DueOffers(ctx, now, sweepBatch)
	if err != nil {
		return err
	}
	for _, id := range due {
		offer, claimed, err := d.store.ClaimOffer(ctx, id, now)
		if err != nil {
			return err
		}
		if !claimed {
			continue
		}
		o, err := d.store.Order(ctx, id)
		if err != nil {
			return err
		}
		invokeCtx, cancel := context.WithTimeout(ctx, invokeTimeout)
		err = d.invoker.Invoke(invokeCtx, EventFor(o, offer, 1))
		cancel()
		if err != nil {
			d.log.ErrorContext(ctx, "notify: offer again failed", "orderId", id, "offer", offer, "error", err)
			continue
		}
		d.log.InfoContext(ctx, "notify: offered again", "orderId", id, "offer", offer)
		report.OfferedAgain++
	}
	return nil
}

// HandOffLease is how long a claimed order belongs to the sweep that
// claimed it before another sweep may take it.
const HandOffLease = market.HandOffGrace

// Conditions of a Lambda destination record.
const (
	ConditionSuccess          = "Success"
	ConditionRetriesExhausted = "RetriesExhausted"
	ConditionEventAgeExceeded = "EventAgeExceeded"
)

// DestinationRecord is what Lambda sends to a destination after an
// asynchronous invocation of notifycarrier succeeded or finally failed.
type DestinationRecord struct {
	Version        string `json:"version"`
	Timestamp      string `json:"timestamp"`
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionARN            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponseContext struct {
		StatusCode      int    `json:"statusCode"`
		ExecutedVersion string `json:"executedVersion"`
		FunctionError   string `json:"functionError"`
	} `json:"responseContext"`
	ResponsePayload json.RawMessage `json:"responsePayload"`
}

// Report records the outcome of a notifycarrier invocation on its order.
// An error makes Lambda retry the report.
func (d *Dispatcher) Report(ctx context.Context, r DestinationRecord) error {
	var e OrderEvent
	if err := json.Unmarshal(r.RequestPayload, &e); err != nil {
		return fmt.Errorf("destination record: request payload: %w", err)
	}
	if !market.ValidOrderID(e.OrderID) {
		return errors.New("destination record: no order id in the request payload")
	}
	ok := r.RequestContext.Condition == ConditionSuccess && r.ResponseContext.FunctionError == ""
	if !e.firstOffer() {
		// The order's notification state is its first offer's: a later
		// offer's outcome is only told.
		if ok {
			d.log.InfoContext(ctx, "notify: repeated offer confirmed", "orderId", e.OrderID, "offer", e.Offer)
		} else {
			d.log.ErrorContext(ctx, "notify: repeated offer not sent", "orderId", e.OrderID, "offer", e.Offer,
				"condition", r.RequestContext.Condition, "response", string(r.ResponsePayload))
		}
		return nil
	}
	defer d.lockOrder(e.OrderID)()
	now := d.now().UTC()
	if ok {
		d.log.InfoContext(ctx, "notify: sms confirmed", "orderId", e.OrderID, "attempt", e.Attempt)
		return d.store.MarkNotified(ctx, e.OrderID, now)
	}
	d.log.ErrorContext(ctx, "notify: notifier failed", "orderId", e.OrderID, "attempt", e.Attempt,
		"condition", r.RequestContext.Condition, "response", string(r.ResponsePayload))
	return d.fail(ctx, e.OrderID, e.Attempt, ReasonDelivery, now)
}
