package market

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// Dispatch: who is offered an order, when, and by which channel.
//
// An order is offered in waves. Wave 1 goes out when the order is placed
// (or released): to the WaveSize nearest on-shift carriers to its first
// pickup who are under their order limit. Each WaveInterval that passes
// without a claim, the next WaveSize nearest get it, outward, never
// anyone twice. After MaxWaves waves, or as soon as no carrier is left
// within RadiusKm, the order is broadcast: the carriers' topic texts every
// subscribed carrier, the seed's behaviour, and from then on every
// carrier sees it. Until then only the carriers it was offered to see it
// and may claim it (OfferVisible).
//
// Within a wave, push is preferred to SMS: of the pushReach × WaveSize
// nearest eligible carriers, those who can be reached by push come first,
// nearest first. A push costs nothing and an SMS costs money, and a
// carrier a few hundred metres further is as good as the nearest one.
//
// PlanWave decides; internal/notify carries the decision out (the store
// records it, the channels send it, a timer starts the next wave).

// DispatchMode says how orders are offered.
type DispatchMode string

// The dispatch modes.
const (
	// DispatchWaves offers each order to the nearest carriers first.
	DispatchWaves DispatchMode = "waves"
	// DispatchBroadcast texts every order to every subscribed carrier at
	// once, as the seed did.
	DispatchBroadcast DispatchMode = "broadcast"
)

// DispatchSettings are a marketplace's dispatch parameters
// (DISPATCH_MODE, DISPATCH_WAVE_SIZE, DISPATCH_WAVE_SECONDS,
// DISPATCH_MAX_WAVES, DISPATCH_RADIUS_KM).
type DispatchSettings struct {
	Mode         DispatchMode
	WaveSize     int
	WaveInterval time.Duration
	MaxWaves     int
	RadiusKm     float64
}

// DefaultDispatchSettings are the settings when none is set.
func DefaultDispatchSettings() DispatchSettings {
	return DispatchSettings{Mode: DispatchWaves, WaveSize: 3, WaveInterval: time.Minute, MaxWaves: 4, RadiusKm: 10}
}

// The bounds of the settings. A wave interval above 15 minutes could not
// be timed by an SQS delay, and is past any sensible wait anyway.
const (
	MaxWaveSize     = 50
	MinWaveInterval = 5 * time.Second
	MaxWaveInterval = 15 * time.Minute
	MaxDispatchWave = 20
	MaxRadiusKm     = 100
)

// Validate refuses settings outside their bounds, naming the variable.
func (s DispatchSettings) Validate() error {
	switch {
	case s.Mode != DispatchWaves && s.Mode != DispatchBroadcast:
		return fmt.Errorf("DISPATCH_MODE %q: want waves or broadcast", s.Mode)
	case s.WaveSize < 1 || s.WaveSize > MaxWaveSize:
		return fmt.Errorf("DISPATCH_WAVE_SIZE %d: want 1 to %d", s.WaveSize, MaxWaveSize)
	case s.WaveInterval < MinWaveInterval || s.WaveInterval > MaxWaveInterval:
		return fmt.Errorf("DISPATCH_WAVE_SECONDS %v: want %v to %v", s.WaveInterval.Seconds(), MinWaveInterval.Seconds(), MaxWaveInterval.Seconds())
	case s.MaxWaves < 1 || s.MaxWaves > MaxDispatchWave:
		return fmt.Errorf("DISPATCH_MAX_WAVES %d: want 1 to %d", s.MaxWaves, MaxDispatchWave)
	case !(s.RadiusKm > 0 && s.RadiusKm <= MaxRadiusKm):
		return fmt.Errorf("DISPATCH_RADIUS_KM %v: want more than 0 and at most %d", s.RadiusKm, MaxRadiusKm)
	}
	return nil
}

// Channel is how an offer reaches a carrier.
type Channel string

// The channels.
const (
	ChannelPush      Channel = "push"
	ChannelSMS       Channel = "sms"
	ChannelBroadcast Channel = "broadcast" // the carriers' topic: everyone
)

// ShiftCarrier is an on-shift carrier as dispatch sees it: where they
// last were, how many orders they hold, and whether push reaches them.
type ShiftCarrier struct {
	ID       int64
	Position Location
	Held     int
	Push     bool
}

// WaveOffer is one carrier offered an order in a wave.
type WaveOffer struct {
	CarrierID  int64
	Channel    Channel
	DistanceKm float64 // from the carrier to the first pickup
}

// Wave is what PlanWave decided for wave number Number of an order.
type Wave struct {
	Number int
	// Offers are the carriers offered the order now, nearest first within
	// each channel; none when Broadcast.
	Offers []WaveOffer
	// Broadcast says the order goes to the carriers' topic instead: no
	// wave is left, or nobody is left to offer it to.
	Broadcast bool
	// NextAt is when the next wave is due unless the order is claimed;
	// nil when Broadcast.
	NextAt *time.Time
}

// pushReach is how far down the nearest eligible carriers a wave looks
// for carriers reachable by push, in waves: of the 3 × WaveSize nearest,
// push ones first.
const pushReach = 3

// candidateReach is how many carriers per place in a wave a store is
// asked for. The store returns the nearest on shift whatever they hold,
// and at a busy hour the nearest to a shop are the carriers at its
// counter, at their limit: asking for only enough to fill the wave would
// find nobody eligible and broadcast an order that free carriers a little
// further away could take (tools/citysim shows it).
const candidateReach = 16

// CandidateCount is how many carriers nearest a pickup a store returns
// for a wave to choose from, given offered carriers already offered the
// order: enough to see past the busy ones, for the wave and its push
// preference.
func (s DispatchSettings) CandidateCount(offered int) int {
	return offered + candidateReach*s.WaveSize
}

// PlanWave decides wave number number (from 1) of an order whose first
// pickup is at pickup (nil: the order has no location), among nearby
// (on-shift carriers near the pickup, in any order), given the carriers
// already offered it and carrierLimit, the most orders one carrier may
// hold (0: no bound). now is when the wave starts.
func (s DispatchSettings) PlanWave(number int, pickup *Location, nearby []ShiftCarrier, offered map[int64]bool, carrierLimit int, now time.Time) Wave {
	broadcast := Wave{Number: number, Broadcast: true}
	if s.Mode == DispatchBroadcast || pickup == nil || number > s.MaxWaves {
		return broadcast
	}
	type candidate struct {
		ShiftCarrier
		km float64
	}
	eligible := make([]candidate, 0, len(nearby))
	for _, c := range nearby {
		if offered[c.ID] || (carrierLimit > 0 && c.Held >= carrierLimit) {
			continue
		}
		km := DistanceKm(*pickup, c.Position)
		if km > s.RadiusKm {
			continue
		}
		eligible = append(eligible, candidate{c, km})
	}
	if len(eligible) == 0 {
		return broadcast
	}
	byDistance := func(a, b candidate) int {
		return cmp.Or(cmp.Compare(a.km, b.km), cmp.Compare(a.ID, b.ID))
	}
	slices.SortFunc(eligible, byDistance)
	pool := eligible[:min(len(eligible), pushReach*s.WaveSize)]
	slices.SortStableFunc(pool, func(a, b candidate) int {
		switch {
		case a.Push == b.Push:
			return 0
		case a.Push:
			return -1
		}
		return 1
	})
	w := Wave{Number: number, NextAt: ptr(now.Add(s.WaveInterval))}
	for _, c := range pool[:min(len(pool), s.WaveSize)] {
		ch := ChannelSMS
		if c.Push {
			ch = ChannelPush
		}
		w.Offers = append(w.Offers, WaveOffer{CarrierID: c.ID, Channel: ch, DistanceKm: c.km})
	}
	return w
}

// OfferVisible is who may see and claim a placed order: every carrier
// once it is broadcast, and before that only the carriers it was offered
// to. Anyone else is answered as if it did not exist.
func OfferVisible(broadcast, offered bool) bool { return broadcast || offered }

// NearbyCarriers finds on-shift carriers.
type NearbyCarriers interface {
	// NearestOnShift returns at most n carriers on shift at now (their
	// shift not ended, with a known position), within radiusKm of p,
	// nearest first, each with the orders they hold and whether they
	// can be reached by push.
	NearestOnShift(ctx context.Context, p Location, radiusKm float64, n int, now time.Time) ([]ShiftCarrier, error)
}

// PushSubscription is a browser's Web Push subscription (the W3C Push
// API's PushSubscription.toJSON()): the push service's endpoint and the
// keys the payload is encrypted to.
type PushSubscription struct {
	Endpoint string `json:"endpoint"`
	P256dh   string `json:"p256dh"`
	Auth     string `json:"auth"`
}

// CarrierContact is how an offer reaches one carrier: by push when
// subscribed, else by SMS to the phone.
type CarrierContact struct {
	CarrierID int64
	Phone     string
	Push      *PushSubscription
}

// OfferOutcome is what became of one offer: the channel that carried it
// in the end (SMS when push failed), and whether it was sent. PushGone
// says the push service answered that the subscription no longer exists
// (404 or 410), so it must be removed.
type OfferOutcome struct {
	CarrierID int64   `json:"carrierId"`
	Channel   Channel `json:"channel"`
	Sent      bool    `json:"sent"`
	PushGone  bool    `json:"pushGone,omitempty"`
}

// WaveTimer starts wave number wave of an order at (or as soon as may be
// after) at. On AWS an SQS delay message; locally a timer in the process.
type WaveTimer interface {
	Schedule(ctx context.Context, orderID string, wave int, at time.Time) error
}

// UsesWaves reports whether an order whose first pickup is at pickup is
// offered in waves; otherwise it is broadcast as soon as it is placed,
// and any carrier may see and claim it.
func (s DispatchSettings) UsesWaves(pickup *Location) bool {
	return s.Mode == DispatchWaves && pickup != nil
}

// BroadcastBy is when an order placed (or released) at start is
// broadcast at the latest if no carrier claims it: after its last wave,
// and TimerGrace more for the sweep to notice a timer that never fired.
func (s DispatchSettings) BroadcastBy(start time.Time) time.Time {
	return start.Add(time.Duration(s.MaxWaves)*s.WaveInterval + TimerGrace)
}

// TimerGrace is how late a wave may be before the minute sweep starts it
// itself: a timer that fired late is not a timer that was lost.
const TimerGrace = 15 * time.Second

// DispatchState is what dispatch knows of an order.
type DispatchState struct {
	Status    string
	Pickup    *Location // nil: the order has no location
	Wave      int       // the waves started so far
	Broadcast bool
	// Offered are the carriers the order was offered to, in any wave.
	Offered map[int64]bool
}

// DueWave is an order whose next wave is due: its timer is late or lost.
type DueWave struct {
	OrderID string
	Wave    int // the number of the wave to start
}

// OfferState is how far an offer got.
type OfferState string

// The offer states.
const (
	OfferPending OfferState = "pending" // recorded, not yet sent
	OfferSent    OfferState = "sent"
	OfferFailed  OfferState = "failed"
)

// OfferRecord is one recorded offer, as the operator sees it. A broadcast
// is one record without a carrier.
type OfferRecord struct {
	OrderID   string     `json:"orderId"`
	CarrierID int64      `json:"carrierId,omitempty"`
	Wave      int        `json:"wave"`
	Channel   Channel    `json:"channel"`
	State     OfferState `json:"state"`
	OfferedAt time.Time  `json:"offeredAt"`
	ClaimedAt *time.Time `json:"claimedAt,omitempty"`
}

// OfferStore keeps the waves of offers of orders.
type OfferStore interface {
	// DispatchState returns what dispatch knows of an order; CodeNotFound
	// if there is no such order.
	DispatchState(ctx context.Context, orderID string) (DispatchState, error)
	// StartWave records wave w of an order, started at: its wave count
	// moves from w.Number-1 to w.Number (a compare-and-swap, so that of
	// two runners of one wave only one goes on), only while the order is
	// placed and not broadcast. It records the next wave's time
	// (w.NextAt), one pending offer per w.Offers, and, when w.Broadcast,
	// the broadcast (a record without carrier) and offerAgainAt, when the
	// sweep offers the order to everyone once more (nil: never). It
	// reports false, and changes nothing, when it lost.
	StartWave(ctx context.Context, orderID string, w Wave, at time.Time, offerAgainAt *time.Time) (bool, error)
	// RecordOffers records what became of wave's offers.
	RecordOffers(ctx context.Context, orderID string, wave int, outcomes []OfferOutcome, at time.Time) error
	// DueWaves lists placed orders not broadcast whose next wave was due
	// before due, oldest first, at most limit.
	DueWaves(ctx context.Context, due time.Time, limit int) ([]DueWave, error)
	// Offers lists an order's offers, in the order they were made.
	Offers(ctx context.Context, orderID string) ([]OfferRecord, error)
}

// ContactStore says how to reach carriers.
type ContactStore interface {
	// CarrierContacts returns the phone and push subscription of each of
	// the carriers that exists.
	CarrierContacts(ctx context.Context, carrierIDs []int64) (map[int64]CarrierContact, error)
	// RemovePushSubscription forgets a subscription the push service
	// said is gone, if it is still the carrier's.
	RemovePushSubscription(ctx context.Context, carrierID int64, endpoint string) error
}
