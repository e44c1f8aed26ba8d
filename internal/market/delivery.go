package market

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// Shop is what delivery needs of a company: where it is, how long it
// takes to prepare an order, and when it is open.
type Shop struct {
	ID          int64
	Location    *Location // nil: the shop never said where it is
	PrepMinutes int
	Hours       OpeningHours
	Paused      bool
}

// DefaultPrepMinutes is a shop's preparation time until it sets one.
const DefaultPrepMinutes = 15

// Bounds of a shop's preparation time.
const (
	MinPrepMinutes = 1
	MaxPrepMinutes = 240
)

// OpenAt reports whether the shop takes orders at t: not paused and within
// its hours.
func (s Shop) OpenAt(t time.Time, zone *time.Location) bool {
	return !s.Paused && s.Hours.OpenAt(t, zone)
}

// ShopStore reads the shops of an order.
type ShopStore interface {
	// Shops returns the shops with the given ids; unknown ids are absent.
	Shops(ctx context.Context, ids []int64) (map[int64]Shop, error)
}

// AreaStore keeps the marketplace's delivery area.
type AreaStore interface {
	// ServiceArea returns the delivery area, nil when none is set.
	ServiceArea(ctx context.Context) (*ServiceArea, error)
}

// Leg is the way from one point to another.
type Leg struct {
	Km      float64
	Seconds float64
}

// Router measures the legs between points: Matrix returns, for each
// origin, the leg to each destination. An adapter of a routing service
// (internal/awsroute) returns an error rather than a partial matrix.
type Router interface {
	Matrix(ctx context.Context, origins, destinations []Location) ([][]Leg, error)
}

// The straight-line estimate: a route through streets is about a third
// longer than the straight line, at the pace of a bicycle or scooter in
// city traffic.
const (
	EstimateDetourFactor = 1.3
	EstimateSpeedKmh     = 15
)

// EstimateLeg is the estimated leg from a to b.
func EstimateLeg(a, b Location) Leg {
	km := DistanceKm(a, b) * EstimateDetourFactor
	return Leg{Km: km, Seconds: km / EstimateSpeedKmh * 3600}
}

// estimateMatrix is Router.Matrix by EstimateLeg.
func estimateMatrix(origins, destinations []Location) [][]Leg {
	m := make([][]Leg, len(origins))
	for i, o := range origins {
		m[i] = make([]Leg, len(destinations))
		for j, d := range destinations {
			m[i][j] = EstimateLeg(o, d)
		}
	}
	return m
}

// DefaultRouteTimeout is how long a quote waits for the routing service
// before it estimates.
const DefaultRouteTimeout = 800 * time.Millisecond

// DeliveryRules are a marketplace's delivery settings.
type DeliveryRules struct {
	FeeBase  Money
	FeePerKm Money
	// MaxKm is the longest route delivered; 0 bounds nothing.
	MaxKm float64
	// Zone is the timezone of opening hours.
	Zone *time.Location
}

// DefaultDeliveryRules are the settings unless DELIVERY_* and
// MARKET_TIMEZONE say otherwise.
func DefaultDeliveryRules() DeliveryRules {
	zone, err := time.LoadLocation(DefaultTimezone)
	if err != nil {
		zone = time.UTC
	}
	return DeliveryRules{FeeBase: MustMoney("1.50"), FeePerKm: MustMoney("0.40"), MaxKm: 15, Zone: zone}
}

// Fee is the delivery fee of a route of km kilometres: base + per km ×
// km, rounded up to the cent.
func (r DeliveryRules) Fee(km decimal.Decimal) Money {
	fee := r.FeeBase.Add(r.FeePerKm.Mul(km))
	return NewMoney(fee.Mul(hundred).Ceil().Div(hundred))
}

var hundred = decimal.NewFromInt(100)

// ETA is when an order should arrive: a range, never a promise to the
// minute.
type ETA struct {
	Earliest time.Time `json:"earliest"`
	Latest   time.Time `json:"latest"`
}

// DeliveryQuote is the delivery part of a quote.
type DeliveryQuote struct {
	Fee Money `json:"fee"`
	// DistanceKm is the route's length rounded to 10 m: the fee is
	// computed from exactly this number.
	DistanceKm float64 `json:"distanceKm"`
	ETA        ETA     `json:"eta"`
	// Estimate says the distance and time are the straight-line estimate,
	// not a route from the routing service.
	Estimate bool `json:"estimate"`
	// To is where the order goes; FirstPickup where its route starts (nil
	// if no shop of the order has a location).
	To          Location  `json:"-"`
	FirstPickup *Location `json:"-"`
}

// Delivery applies the delivery rules: which shops are open, where the
// marketplace delivers, and the route, fee and ETA of an order.
type Delivery struct {
	Rules DeliveryRules
	Shops ShopStore
	Area  AreaStore
	// Router measures routes; nil, or failing, or slower than
	// RouteTimeout, and the straight-line estimate is used.
	Router       Router
	RouteTimeout time.Duration
	Now          func() time.Time
}

func (d *Delivery) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// ShopsClosed returns the CodeShopClosed error naming the companies of
// shops that are not open at now, or nil.
func ShopsClosed(shops map[int64]Shop, ids []int64, now time.Time, zone *time.Location) error {
	var closed []int64
	for _, id := range ids {
		if s, ok := shops[id]; ok && !s.OpenAt(now, zone) {
			closed = append(closed, id)
		}
	}
	if len(closed) == 0 {
		return nil
	}
	slices.Sort(closed)
	return &Error{
		Code:    CodeShopClosed,
		Message: "some items come from a shop that is closed now; remove them or order when it opens",
		Details: map[string][]int64{"companyIds": closed},
	}
}

// Plan checks that the shops of companies are open and, when to is not
// nil, that to is in the area and within reach, and prices the delivery.
// field names the location in errors ("deliverTo", "customer.location");
// a nil to is refused on it when required or an area is set.
func (d *Delivery) Plan(ctx context.Context, companies []int64, to *Location, field string, required bool) (*DeliveryQuote, error) {
	now := d.now()
	shops, err := d.Shops.Shops(ctx, companies)
	if err != nil {
		return nil, err
	}
	if err := ShopsClosed(shops, companies, now, d.Rules.Zone); err != nil {
		return nil, err
	}
	if to == nil && !required {
		// A quote of the cart alone: the area changes nothing.
		return nil, nil
	}
	area, err := d.Area.ServiceArea(ctx)
	if err != nil {
		return nil, err
	}
	if to == nil {
		if area != nil {
			return nil, FieldError(field, "%s is required: the marketplace delivers only within its area", field)
		}
		return nil, nil
	}
	point, err := ValidLocation(field, *to)
	if err != nil {
		return nil, err
	}
	if area != nil && !area.Contains(point) {
		return nil, &Error{
			Code:    CodeOutsideArea,
			Message: "the marketplace does not deliver there: the point is outside its delivery area",
			Details: map[string]any{"reason": "outside_area", "distanceKm": roundKm(area.OutsideKm(point))},
		}
	}
	route := d.route(ctx, shops, companies, point)
	km := decimal.NewFromFloat(route.km).Round(2)
	distance := km.InexactFloat64()
	if d.Rules.MaxKm > 0 && distance > d.Rules.MaxKm {
		return nil, &Error{
			Code:    CodeOutsideArea,
			Message: "the marketplace does not deliver there: the route is longer than it delivers",
			Details: map[string]any{"reason": "too_far", "distanceKm": distance, "maxKm": d.Rules.MaxKm},
		}
	}
	prep := 0
	for _, id := range companies {
		prep = max(prep, shops[id].PrepMinutes)
	}
	return &DeliveryQuote{
		Fee:         d.Rules.Fee(km),
		DistanceKm:  distance,
		ETA:         arrival(now, prep, route.seconds, route.estimate),
		Estimate:    route.estimate,
		To:          point,
		FirstPickup: route.first,
	}, nil
}

func roundKm(km float64) float64 { return math.Round(km*100) / 100 }

// arrival is the ETA of an order whose shops take prep minutes and whose
// route takes travel seconds, from now: the earliest rounded up to the
// minute, the latest a margin after it, wider for an estimate.
func arrival(now time.Time, prep int, travel float64, estimate bool) ETA {
	earliest := now.Add(time.Duration(prep)*time.Minute + time.Duration(travel*float64(time.Second)))
	if t := earliest.Truncate(time.Minute); !t.Equal(earliest) {
		earliest = t.Add(time.Minute)
	}
	margin := max(10*time.Minute, time.Duration(travel/2*float64(time.Second)))
	if !estimate {
		margin = max(5*time.Minute, time.Duration(travel/4*float64(time.Second)))
	}
	margin = margin.Round(time.Minute)
	return ETA{Earliest: earliest.UTC(), Latest: earliest.Add(margin).UTC()}
}

type route struct {
	km, seconds float64
	estimate    bool
	first       *Location
}

// route is the carrier's way: from the shop farthest from the customer,
// on to the nearest shop not yet visited, and last to the customer. Shops
// without a location are left out.
func (d *Delivery) route(ctx context.Context, shops map[int64]Shop, companies []int64, to Location) route {
	var stops []Location
	for _, id := range companies {
		if s, ok := shops[id]; ok && s.Location != nil {
			stops = append(stops, *s.Location)
		}
	}
	if len(stops) == 0 {
		return route{estimate: true}
	}
	if len(stops) == 1 {
		// The routing service bills each leg it measures: one shop
		// needs only its way to the customer.
		legs, estimate := d.matrix(ctx, stops, []Location{to})
		return route{km: legs[0][0].Km, seconds: legs[0][0].Seconds, estimate: estimate, first: &stops[0]}
	}
	destinations := append(slices.Clone(stops), to)
	legs, estimate := d.matrix(ctx, stops, destinations)
	customer := len(stops)
	current := 0
	for i := range stops {
		if legs[i][customer].Km > legs[current][customer].Km {
			current = i
		}
	}
	r := route{estimate: estimate, first: &stops[current]}
	visited := make([]bool, len(stops))
	visited[current] = true
	for range len(stops) - 1 {
		next := -1
		for j := range stops {
			if !visited[j] && (next < 0 || legs[current][j].Km < legs[current][next].Km) {
				next = j
			}
		}
		r.km += legs[current][next].Km
		r.seconds += legs[current][next].Seconds
		visited[next], current = true, next
	}
	r.km += legs[current][customer].Km
	r.seconds += legs[current][customer].Seconds
	return r
}

// matrix asks the router within the route timeout, and estimates when
// there is none, it fails or it answers with a matrix of the wrong shape.
func (d *Delivery) matrix(ctx context.Context, origins, destinations []Location) ([][]Leg, bool) {
	if d.Router != nil {
		timeout := d.RouteTimeout
		if timeout <= 0 {
			timeout = DefaultRouteTimeout
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		legs, err := d.Router.Matrix(ctx, origins, destinations)
		if err == nil && complete(legs, len(origins), len(destinations)) {
			return legs, false
		}
	}
	return estimateMatrix(origins, destinations), true
}

func complete(legs [][]Leg, rows, cols int) bool {
	if len(legs) != rows {
		return false
	}
	for _, row := range legs {
		if len(row) != cols {
			return false
		}
		for _, l := range row {
			if l.Km < 0 || l.Seconds < 0 || math.IsNaN(l.Km) || math.IsNaN(l.Seconds) || math.IsInf(l.Km, 0) || math.IsInf(l.Seconds, 0) {
				return false
			}
		}
	}
	return true
}
