package main

import (
	"cmp"
	"container/heap"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/market"
)

// config is one city and how its carriers behave.
type config struct {
	Carriers       int
	OrdersPerHour  float64
	Hours          float64
	Seed           uint64
	Push           float64 // the share of carriers reachable by push
	CarrierLimit   int     // the orders one carrier holds at once (Limits.CarrierOrders)
	OffersPerOrder int     // the broadcasts of one order at most (Limits.OffersPerOrder)
	Shops          int
	Accept         float64 // the chance that a carrier free to take an offer takes it
	Waves          market.DispatchSettings
}

// The behaviour of the simulated people, the same in both modes.
const (
	speedKmh = 15.0 // a bicycle or a scooter in town, in a straight line
	// A carrier who takes an offer answers within these many seconds of
	// receiving it: a push shows on the lock screen, an SMS is read later.
	pushAnswerMin, pushAnswerMax = 5.0, 40.0
	smsAnswerMin, smsAnswerMax   = 15.0, 120.0
	// A carrier who has just delivered looks at the available list this
	// many seconds later, and may take the nearest order it shows; an
	// idle carrier waits for offers.
	lookMin, lookMax = 30.0, 120.0
	// At the shop's counter, and at the customer's door.
	counterMin, counterMax = 60.0, 180.0
	doorMin, doorMax       = 60.0, 120.0
	// An idle carrier moves to a spot at most wanderKm away, waits there
	// pauseMin to pauseMax seconds, and moves on.
	wanderKm           = 1.5
	pauseMin, pauseMax = 120.0, 600.0
	// Customers live within customerKm of the shop they order from.
	customerMinKm, customerKm = 0.3, 3.0
	// The simulation goes on this long after the last order is placed, so
	// that the last orders have their chance to be claimed and delivered.
	drainSeconds = 3600.0
	// lateClaim is the claim time the report counts orders beyond: the
	// seed's broadcast offers an order again after as long.
	lateClaim = float64(market.OfferAgainAfter / time.Second)
)

// city is the demo area's bounding box: Alcântara to Alfama, the river
// to Campo Grande (internal/demo.Area).
var city = struct{ minLat, maxLat, minLng, maxLng float64 }{38.700, 38.765, -9.185, -9.105}

// start is when every simulation begins: a Saturday's lunch.
var start = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

type order struct {
	id         int
	placed     float64
	shop       market.Location
	customer   market.Location
	offered    map[int64]bool
	broadcasts int
	sms        int // the SMS that offered it, broadcasts included
	pushes     int
	claimed    bool
	claimedAt  float64
	claimer    int64
	pickupKm   float64 // from the claiming carrier to the shop, when claimed
	delivered  float64 // 0 until delivered
}

type carrier struct {
	id   int64
	push bool
	// The carrier moves from from (at t0) to to (at t1) in a straight
	// line, and stays at to afterwards.
	from, to market.Location
	t0, t1   float64
	jobs     []*order // held, the first being worked on
	offers   []*order // orders offered to the carrier alone, maybe claimed since
	idleGen  int      // moves on when the carrier gets work, voiding the pending wander
}

func (c *carrier) at(t float64) market.Location {
	if t >= c.t1 || c.t1 <= c.t0 {
		return c.to
	}
	f := (t - c.t0) / (c.t1 - c.t0)
	return market.Location{Lat: c.from.Lat + f*(c.to.Lat-c.from.Lat), Lng: c.from.Lng + f*(c.to.Lng-c.from.Lng)}
}

func (c *carrier) moveTo(t float64, dest market.Location) {
	c.from, c.to, c.t0 = c.at(t), dest, t
	c.t1 = t + market.DistanceKm(c.from, dest)/speedKmh*3600
}

type eventKind int

const (
	evPlace eventKind = iota
	evWave
	evBroadcastAgain
	evAnswer // a carrier takes an offer
	evLook
	evWander
	evAtShop
	evPickedUp
	evDelivered
)

type event struct {
	at      float64
	seq     int // keeps events at the same instant in the order they were made
	kind    eventKind
	order   *order
	carrier *carrier
	n       int // the wave's number, or the carrier's idleGen
}

type queue []event

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	return cmp.Or(cmp.Compare(q[i].at, q[j].at), cmp.Compare(q[i].seq, q[j].seq)) < 0
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// result is what one mode did with the day's orders.
type result struct {
	Mode      market.DispatchMode
	Orders    []*order
	SMS       int
	Pushes    int
	Broadcast int // orders broadcast at least once
	// EarlyBroadcast counts the orders broadcast before their last wave:
	// nobody near was left to offer them to.
	EarlyBroadcast int
	MaxHeld        int // the most orders one carrier held at once
}

// sim runs one mode over the same city and orders as the other.
type sim struct {
	cfg      config
	settings market.DispatchSettings
	rng      *rand.Rand // the carriers' wandering and timing
	carriers []*carrier
	orders   []*order
	open     []*order // broadcast and not yet claimed, maybe claimed since
	events   queue
	seq      int
	res      result
}

// run simulates cfg in mode: the orders and the carriers' places and
// push reach come from the seed alone, so both modes see the same city.
func run(cfg config, mode market.DispatchMode) result {
	settings := cfg.Waves
	settings.Mode = mode
	s := &sim{cfg: cfg, settings: settings, rng: rand.New(rand.NewPCG(cfg.Seed, 3))}
	s.res.Mode = mode
	cityRNG := rand.New(rand.NewPCG(cfg.Seed, 1))
	for i := range cfg.Carriers {
		p := randomSpot(cityRNG)
		c := &carrier{id: int64(i + 1), push: cityRNG.Float64() < cfg.Push, from: p, to: p}
		s.carriers = append(s.carriers, c)
		s.idle(c, 0)
	}
	for i, o := range makeOrders(cfg, rand.New(rand.NewPCG(cfg.Seed, 2))) {
		o.id = i + 1
		s.orders = append(s.orders, o)
		s.schedule(event{at: o.placed, kind: evPlace, order: o})
	}
	end := cfg.Hours*3600 + drainSeconds
	for len(s.events) > 0 {
		e := heap.Pop(&s.events).(event)
		if e.at > end {
			break
		}
		s.handle(e)
	}
	s.res.Orders = s.orders
	return s.res
}

// makeOrders places orders as a Poisson process, each from a random shop
// to a customer near it.
func makeOrders(cfg config, r *rand.Rand) []*order {
	shops := make([]market.Location, 0, max(cfg.Shops, len(demo.Companies)))
	for _, c := range demo.Companies {
		shops = append(shops, c.Location)
	}
	for len(shops) < cfg.Shops {
		shops = append(shops, randomSpot(r))
	}
	var orders []*order
	if cfg.OrdersPerHour <= 0 {
		return orders
	}
	for t := r.ExpFloat64() * 3600 / cfg.OrdersPerHour; t < cfg.Hours*3600; t += r.ExpFloat64() * 3600 / cfg.OrdersPerHour {
		shop := shops[r.IntN(len(shops))]
		orders = append(orders, &order{placed: t, shop: shop, customer: near(r, shop, customerMinKm, customerKm), offered: map[int64]bool{}})
	}
	return orders
}

func randomSpot(r *rand.Rand) market.Location {
	return market.Location{
		Lat: city.minLat + r.Float64()*(city.maxLat-city.minLat),
		Lng: city.minLng + r.Float64()*(city.maxLng-city.minLng),
	}
}

// near is a spot between minKm and maxKm from p, kept within the city.
func near(r *rand.Rand, p market.Location, minKm, maxKm float64) market.Location {
	km := minKm + r.Float64()*(maxKm-minKm)
	angle := r.Float64() * 2 * math.Pi
	const kmPerDegree = 111.2
	q := market.Location{
		Lat: p.Lat + km*math.Sin(angle)/kmPerDegree,
		Lng: p.Lng + km*math.Cos(angle)/(kmPerDegree*math.Cos(p.Lat*math.Pi/180)),
	}
	q.Lat = min(max(q.Lat, city.minLat), city.maxLat)
	q.Lng = min(max(q.Lng, city.minLng), city.maxLng)
	return q
}

func (s *sim) schedule(e event) {
	s.seq++
	e.seq = s.seq
	heap.Push(&s.events, e)
}

func (s *sim) uniform(lo, hi float64) float64 { return lo + s.rng.Float64()*(hi-lo) }

func (s *sim) handle(e event) {
	switch e.kind {
	case evPlace:
		s.wave(e.order, 1, e.at)
	case evWave:
		s.wave(e.order, e.n, e.at)
	case evBroadcastAgain:
		if !e.order.claimed {
			s.broadcast(e.order, e.at)
		}
	case evAnswer:
		if !e.order.claimed && s.hasRoom(e.carrier) {
			s.claim(e.order, e.carrier, e.at)
		}
	case evLook:
		s.look(e.carrier, e.at)
	case evWander:
		if e.n == e.carrier.idleGen {
			c := e.carrier
			c.moveTo(e.at, near(s.rng, c.at(e.at), 0, wanderKm))
			s.schedule(event{at: c.t1 + s.uniform(pauseMin, pauseMax), kind: evWander, carrier: c, n: c.idleGen})
		}
	case evAtShop:
		s.schedule(event{at: e.at + s.uniform(counterMin, counterMax), kind: evPickedUp, carrier: e.carrier, order: e.order})
	case evPickedUp:
		c := e.carrier
		c.moveTo(e.at, e.order.customer)
		s.schedule(event{at: c.t1 + s.uniform(doorMin, doorMax), kind: evDelivered, carrier: c, order: e.order})
	case evDelivered:
		c := e.carrier
		e.order.delivered = e.at
		c.jobs = c.jobs[1:]
		if s.hasRoom(c) {
			s.schedule(event{at: e.at + s.uniform(lookMin, lookMax), kind: evLook, carrier: c})
		}
		if len(c.jobs) > 0 {
			s.work(c, e.at)
		} else {
			s.idle(c, e.at)
		}
	}
}

// wave runs wave number n of o through the real policy, given the
// carriers a store's NearestOnShift would return.
func (s *sim) wave(o *order, n int, t float64) {
	if o.claimed {
		return
	}
	now := start.Add(time.Duration(t * float64(time.Second)))
	var nearby []market.ShiftCarrier
	if s.settings.UsesWaves(&o.shop) {
		nearby = s.nearest(o.shop, s.settings.CandidateCount(len(o.offered)), t)
	}
	w := s.settings.PlanWave(n, &o.shop, nearby, o.offered, s.cfg.CarrierLimit, now)
	if w.Broadcast {
		if s.settings.UsesWaves(&o.shop) && n <= s.settings.MaxWaves {
			s.res.EarlyBroadcast++
		}
		s.broadcast(o, t)
		return
	}
	for _, offer := range w.Offers {
		c := s.carriers[offer.CarrierID-1]
		o.offered[c.id] = true
		c.offers = append(c.offers, o)
		if offer.Channel == market.ChannelPush {
			o.pushes++
			s.res.Pushes++
		} else {
			o.sms++
			s.res.SMS++
		}
		s.offer(o, c, 0, offer.Channel, t)
	}
	s.schedule(event{at: w.NextAt.Sub(start).Seconds(), kind: evWave, order: o, n: n + 1})
}

// broadcast texts o to every carrier, as the carriers' topic does, and
// has the sweep offer it again later while OffersPerOrder allows.
func (s *sim) broadcast(o *order, t float64) {
	if o.broadcasts == 0 {
		s.res.Broadcast++
		s.open = append(s.open, o)
	}
	o.broadcasts++
	o.sms += len(s.carriers)
	s.res.SMS += len(s.carriers)
	for _, c := range s.carriers {
		s.offer(o, c, o.broadcasts, market.ChannelBroadcast, t)
	}
	if s.cfg.OffersPerOrder == 0 || o.broadcasts < s.cfg.OffersPerOrder {
		s.schedule(event{at: t + lateClaim, kind: evBroadcastAgain, order: o})
	}
}

// offer is c receiving o: whether and when c takes it is drawn from the
// order, the carrier and the round alone, so that a carrier answers an
// order the same way in both modes when offered it the same way.
func (s *sim) offer(o *order, c *carrier, round int, ch market.Channel, t float64) {
	if !s.hasRoom(c) {
		return // busy: the message is ignored
	}
	r := rand.New(rand.NewPCG(s.cfg.Seed^0x9e3779b97f4a7c15, uint64(o.id)<<24|uint64(c.id)<<8|uint64(round)))
	if r.Float64() >= s.cfg.Accept {
		return
	}
	lo, hi := smsAnswerMin, smsAnswerMax
	if ch == market.ChannelPush {
		lo, hi = pushAnswerMin, pushAnswerMax
	}
	s.schedule(event{at: t + lo + r.Float64()*(hi-lo), kind: evAnswer, order: o, carrier: c})
}

// look is c glancing at the available list: the broadcast orders and the
// ones offered to c. c takes the nearest within the radius, as likely as
// it takes an offer.
func (s *sim) look(c *carrier, t float64) {
	s.open = slices.DeleteFunc(s.open, func(o *order) bool { return o.claimed })
	c.offers = slices.DeleteFunc(c.offers, func(o *order) bool { return o.claimed })
	if !s.hasRoom(c) || s.rng.Float64() >= s.cfg.Accept {
		return
	}
	p := c.at(t)
	var best *order
	bestKm := s.settings.RadiusKm
	for _, list := range [][]*order{c.offers, s.open} {
		for _, o := range list {
			if km := market.DistanceKm(p, o.shop); km <= bestKm {
				best, bestKm = o, km
			}
		}
	}
	if best != nil {
		s.claim(best, c, t)
	}
}

func (s *sim) hasRoom(c *carrier) bool {
	return s.cfg.CarrierLimit == 0 || len(c.jobs) < s.cfg.CarrierLimit
}

func (s *sim) claim(o *order, c *carrier, t float64) {
	o.claimed, o.claimedAt, o.claimer = true, t, c.id
	o.pickupKm = market.DistanceKm(c.at(t), o.shop)
	c.jobs = append(c.jobs, o)
	s.res.MaxHeld = max(s.res.MaxHeld, len(c.jobs))
	if len(c.jobs) == 1 {
		c.idleGen++
		s.work(c, t)
	}
}

// work sends c to the shop of the first order it holds.
func (s *sim) work(c *carrier, t float64) {
	c.moveTo(t, c.jobs[0].shop)
	s.schedule(event{at: c.t1, kind: evAtShop, carrier: c, order: c.jobs[0]})
}

func (s *sim) idle(c *carrier, t float64) {
	c.idleGen++
	s.schedule(event{at: t, kind: evWander, carrier: c, n: c.idleGen})
}

// nearest is what NearestOnShift returns: at most n carriers within the
// radius of p, nearest first (ties by id), each with the orders it holds.
// Every simulated carrier is on shift and shares its position.
func (s *sim) nearest(p market.Location, n int, t float64) []market.ShiftCarrier {
	type near struct {
		market.ShiftCarrier
		km float64
	}
	var within []near
	for _, c := range s.carriers {
		pos := c.at(t)
		if km := market.DistanceKm(p, pos); km <= s.settings.RadiusKm {
			within = append(within, near{market.ShiftCarrier{ID: c.id, Position: pos, Held: len(c.jobs), Push: c.push}, km})
		}
	}
	slices.SortFunc(within, func(a, b near) int { return cmp.Or(cmp.Compare(a.km, b.km), cmp.Compare(a.ID, b.ID)) })
	out := make([]market.ShiftCarrier, 0, min(n, len(within)))
	for _, c := range within[:min(n, len(within))] {
		out = append(out, c.ShiftCarrier)
	}
	return out
}
