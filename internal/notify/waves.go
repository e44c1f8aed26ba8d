package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// Waves are what the Dispatcher needs to offer orders in waves
// (market/dispatch.go): the policy and its bounds, the stores dispatch
// reads and writes, the channel that sends a wave (notifycarrier) and the
// timer that starts the next one.
type Waves struct {
	Settings market.DispatchSettings
	// Limits give CarrierOrders, the most orders a carrier offered one
	// may hold, and OffersPerOrder, which bounds the broadcasts' offers
	// again as it does for an order broadcast when placed.
	Limits   market.Limits
	Offers   market.OfferStore
	Nearby   market.NearbyCarriers
	Contacts market.ContactStore
	Sender   OfferSender
	Timer    market.WaveTimer
	// Shifts, when not nil, are ended by the sweep once expired.
	Shifts ShiftEnder
}

// ShiftEnder ends the shifts that ended by themselves (market/shift.go):
// too long, or too long without a position, so that no position is kept
// longer than a shift.
type ShiftEnder interface {
	EndExpired(ctx context.Context, now time.Time, limit int) (int, error)
}

const (
	// sendTimeout bounds one wave's sending: notifycarrier's push and SMS
	// calls for WaveSize carriers, each bounded by its own client. Past
	// it, every offer of the wave is recorded failed, and the next wave
	// comes on its timer as usual.
	sendTimeout = 10 * time.Second
	// shiftBatch is how many expired shifts one sweep ends.
	shiftBatch = 500
)

// UseWaves makes d offer orders in waves as w says: HandOff starts wave 1
// of an order that UsesWaves, RunWave runs each wave, and Sweep starts
// the waves whose timers were lost and ends expired shifts. Without it,
// or in broadcast mode, every order is broadcast when placed.
func (d *Dispatcher) UseWaves(w Waves) { d.waves = &w }

// firstPickup is where the order's route starts, nil without a location.
func firstPickup(o market.Order) *market.Location {
	if o.Delivery == nil {
		return nil
	}
	return o.Delivery.FirstPickup
}

// startWaves schedules wave 1 of a just-placed order at once. Should the
// timer fail, the order's dispatch_next_at, stored with it, makes the
// sweep start the wave TimerGrace later.
func (d *Dispatcher) startWaves(ctx context.Context, orderID string) {
	if err := d.waves.Timer.Schedule(ctx, orderID, 1, d.now().UTC()); err != nil {
		d.log.ErrorContext(ctx, "notify: schedule wave", "orderId", orderID, "wave", 1, "error", err)
	}
}

// RunWave starts wave number wave of an order: the timer's event (SQS on
// AWS, an in-process timer locally) and the sweep both call it. A stale
// call (the order claimed, cancelled, broadcast, or the wave already run
// by another runner) does nothing. An error means nothing was started
// and the call may be repeated; once the wave is started, failures to
// send or record are logged and recorded, not returned, since running it
// again would not send it.
func (d *Dispatcher) RunWave(ctx context.Context, orderID string, wave int) error {
	if d.waves == nil {
		return errors.New("run wave: dispatch in waves is not configured")
	}
	w := d.waves
	st, err := w.Offers.DispatchState(ctx, orderID)
	if market.ErrorCode(err) == market.CodeNotFound {
		d.log.WarnContext(ctx, "notify: wave of an unknown order", "orderId", orderID, "wave", wave)
		return nil
	}
	if err != nil {
		return fmt.Errorf("run wave: %w", err)
	}
	if st.Status != market.OrderPlaced || st.Broadcast || st.Wave != wave-1 {
		d.log.DebugContext(ctx, "notify: stale wave", "orderId", orderID, "wave", wave, "started", st.Wave, "status", st.Status)
		return nil
	}
	now := d.now().UTC()
	var nearby []market.ShiftCarrier
	if w.Settings.UsesWaves(st.Pickup) && wave <= w.Settings.MaxWaves {
		nearby, err = w.Nearby.NearestOnShift(ctx, *st.Pickup, w.Settings.RadiusKm, w.Settings.CandidateCount(len(st.Offered)), now)
		if err != nil {
			return fmt.Errorf("run wave: %w", err)
		}
	}
	plan := w.Settings.PlanWave(wave, st.Pickup, nearby, st.Offered, w.Limits.CarrierOrders, now)
	o, err := d.store.Order(ctx, orderID)
	if err != nil {
		return fmt.Errorf("run wave: %w", err)
	}
	var contacts map[int64]market.CarrierContact
	var offerAgainAt *time.Time
	if plan.Broadcast {
		offerAgainAt = market.NextOffer(market.FirstOffer, w.Limits.OffersPerOrder, now.Add(market.OfferAgainAfter))
	} else if contacts, err = w.Contacts.CarrierContacts(ctx, offeredIDs(plan)); err != nil {
		return fmt.Errorf("run wave: %w", err)
	}
	unlock := d.lockOrder(orderID)
	started, err := w.Offers.StartWave(ctx, orderID, plan, now, offerAgainAt)
	unlock()
	if err != nil {
		return fmt.Errorf("run wave: %w", err)
	}
	if !started {
		d.log.DebugContext(ctx, "notify: wave run by another", "orderId", orderID, "wave", wave)
		return nil
	}
	if plan.Broadcast {
		if n := o.Notification; n != nil && n.Attempts > 0 {
			// The topic has the order already: its hand-off came due
			// (BroadcastBy) before waves held up by lost timers ended,
			// and the sweep retries it if need be. A second would text
			// every carrier twice.
			d.log.InfoContext(ctx, "notify: broadcast, handed off before", "orderId", orderID, "wave", wave)
			return nil
		}
		d.log.InfoContext(ctx, "notify: broadcast", "orderId", orderID, "wave", wave)
		d.attempt(ctx, o, 1)
		return nil
	}
	// The next wave is timed before this one is sent, so that a slow or
	// failed sending cannot hold it back.
	if err := w.Timer.Schedule(ctx, orderID, wave+1, *plan.NextAt); err != nil {
		d.log.ErrorContext(ctx, "notify: schedule wave", "orderId", orderID, "wave", wave+1, "error", err)
	}
	d.sendWave(ctx, o, plan, contacts)
	return nil
}

// offeredIDs are the carriers a wave offers its order to.
func offeredIDs(w market.Wave) []int64 {
	ids := make([]int64, len(w.Offers))
	for i, offer := range w.Offers {
		ids[i] = offer.CarrierID
	}
	return ids
}

// sendWave sends a started wave through the OfferSender and records what
// became of each offer. A carrier without a way to reach them, or a wave
// the sender failed as a whole, is recorded failed: the order stays
// offered to them, and the next wave goes on.
func (d *Dispatcher) sendWave(ctx context.Context, o market.Order, plan market.Wave, contacts map[int64]market.CarrierContact) {
	w := d.waves
	outcomes := make([]market.OfferOutcome, 0, len(plan.Offers))
	event := WaveEvent{Kind: WaveKind, Order: EventFor(o, market.FirstOffer, 1), Wave: plan.Number}
	var unreachable []int64
	for _, offer := range plan.Offers {
		c, ok := contacts[offer.CarrierID]
		target := OfferTarget{CarrierID: offer.CarrierID, Channel: offer.Channel, Phone: c.Phone, Push: c.Push}
		if target.Channel == market.ChannelPush && c.Push == nil {
			// The subscription went between planning and now.
			target.Channel = market.ChannelSMS
		}
		if !ok || (target.Channel == market.ChannelSMS && c.Phone == "") {
			outcomes = append(outcomes, market.OfferOutcome{CarrierID: offer.CarrierID, Channel: offer.Channel})
			unreachable = append(unreachable, offer.CarrierID)
			continue
		}
		event.To = append(event.To, target)
	}
	if len(unreachable) > 0 {
		d.log.ErrorContext(ctx, "notify: carriers offered without a contact", "orderId", o.ID, "wave", plan.Number, "carrierIds", unreachable)
	}
	if len(event.To) > 0 {
		outcomes = append(outcomes, d.send(ctx, event)...)
	}
	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := w.Offers.RecordOffers(recordCtx, o.ID, plan.Number, outcomes, d.now().UTC()); err != nil {
		d.log.ErrorContext(ctx, "notify: record offers", "orderId", o.ID, "wave", plan.Number, "error", err)
	}
}

// send hands event to the OfferSender and returns one outcome per target:
// each failed when the sender failed, or gave no outcome for it. A push
// subscription the push service says is gone is removed.
func (d *Dispatcher) send(ctx context.Context, event WaveEvent) []market.OfferOutcome {
	w := d.waves
	sendCtx, cancel := context.WithTimeout(ctx, sendTimeout)
	result, err := w.Sender.SendOffers(sendCtx, event)
	cancel()
	if err != nil {
		d.log.ErrorContext(ctx, "notify: wave not sent", "orderId", event.Order.OrderID, "wave", event.Wave, "error", err)
		result = WaveResult{}
	}
	got := make(map[int64]market.OfferOutcome, len(result.Outcomes))
	for _, r := range result.Outcomes {
		got[r.CarrierID] = r
	}
	outcomes := make([]market.OfferOutcome, 0, len(event.To))
	var sent, failed []int64
	var channels []market.Channel
	for _, t := range event.To {
		r, ok := got[t.CarrierID]
		if !ok {
			r = market.OfferOutcome{CarrierID: t.CarrierID, Channel: t.Channel}
		}
		if r.PushGone && t.Push != nil {
			if err := w.Contacts.RemovePushSubscription(context.WithoutCancel(ctx), t.CarrierID, t.Push.Endpoint); err != nil {
				d.log.ErrorContext(ctx, "notify: remove push subscription", "carrierId", t.CarrierID, "error", err)
			} else {
				d.log.InfoContext(ctx, "notify: push subscription gone, removed", "carrierId", t.CarrierID)
			}
		}
		if r.Sent {
			sent = append(sent, t.CarrierID)
			channels = append(channels, r.Channel)
		} else {
			failed = append(failed, t.CarrierID)
		}
		outcomes = append(outcomes, r)
	}
	if len(failed) > 0 && err == nil {
		d.log.ErrorContext(ctx, "notify: offers not sent", "orderId", event.Order.OrderID, "wave", event.Wave, "carrierIds", failed)
	}
	if len(sent) > 0 {
		d.log.InfoContext(ctx, "notify: wave sent", "orderId", event.Order.OrderID, "wave", event.Wave, "carrierIds", sent, "channels", channels)
	}
	return outcomes
}

// sweepWaves starts the waves whose timers are late past TimerGrace or
// lost, and ends the shifts that expired.
func (d *Dispatcher) sweepWaves(ctx context.Context, now time.Time, report *SweepReport) error {
	w := d.waves
	due, err := w.Offers.DueWaves(ctx, now.Add(-market.TimerGrace), sweepBatch)
	if err != nil {
		return err
	}
	for _, dw := range due {
		if err := d.RunWave(ctx, dw.OrderID, dw.Wave); err != nil {
			d.log.ErrorContext(ctx, "notify: overdue wave", "orderId", dw.OrderID, "wave", dw.Wave, "error", err)
			continue
		}
		report.Waves++
	}
	if w.Shifts != nil {
		if report.ShiftsEnded, err = w.Shifts.EndExpired(ctx, now, shiftBatch); err != nil {
			return err
		}
	}
	return nil
}
