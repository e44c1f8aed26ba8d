package market

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCheckOpenOrders(t *testing.T) {
	tests := []struct {
		name        string
		open, bound int
		wantRefused bool
	}{
		{name: "no bound", open: 100, bound: 0},
		{name: "first order", open: 0, bound: 5},
		{name: "the last one allowed", open: 4, bound: 5},
		{name: "at the bound", open: 5, bound: 5, wantRefused: true},
		{name: "over the bound (the setting was lowered)", open: 9, bound: 5, wantRefused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckOpenOrders(tt.open, tt.bound)
			if !tt.wantRefused {
				if err != nil {
					t.Fatalf("CheckOpenOrders(%d, %d) = %v, want nil", tt.open, tt.bound, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeThrottled || e.Details != (RetryAfter{Seconds: int(OpenOrdersRetryAfter / time.Second)}) {
				t.Fatalf("CheckOpenOrders(%d, %d) = %#v, want throttled with a Retry-After", tt.open, tt.bound, err)
			}
			if !strings.Contains(e.Message, "5 orders that are not yet delivered or cancelled") || strings.Contains(e.Message, "+") {
				t.Errorf("message %q should name the limit and no phone", e.Message)
			}
		})
	}
}

func TestCheckCarrierLoad(t *testing.T) {
	tests := []struct {
		name        string
		held, bound int
		wantRefused bool
	}{
		{name: "no bound", held: 50, bound: 0},
		{name: "holds none", held: 0, bound: 3},
		{name: "the last one allowed", held: 2, bound: 3},
		{name: "at the bound", held: 3, bound: 3, wantRefused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckCarrierLoad(tt.held, tt.bound)
			if !tt.wantRefused {
				if err != nil {
					t.Fatalf("CheckCarrierLoad(%d, %d) = %v, want nil", tt.held, tt.bound, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeCarrierLimit || e.Details != (CarrierLimit{Limit: 3}) ||
				!strings.Contains(e.Message, "3 orders") {
				t.Fatalf("CheckCarrierLoad(%d, %d) = %#v, want carrier_limit naming 3", tt.held, tt.bound, err)
			}
		})
	}
}

func TestNextOffer(t *testing.T) {
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name          string
		offers, bound int
		wantOffer     bool
	}{
		{name: "no bound", offers: 40, bound: 0, wantOffer: true},
		{name: "after the first of three", offers: 1, bound: 3, wantOffer: true},
		{name: "after the second of three", offers: 2, bound: 3, wantOffer: true},
		{name: "after the last", offers: 3, bound: 3},
		{name: "one offer only", offers: FirstOffer, bound: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NextOffer(tt.offers, tt.bound, at)
			if (got != nil) != tt.wantOffer || (got != nil && !got.Equal(at)) {
				t.Fatalf("NextOffer(%d, %d) = %v, want an offer: %v", tt.offers, tt.bound, got, tt.wantOffer)
			}
		})
	}
	o := NewOrder{CreatedAt: at, Limits: Limits{OffersPerOrder: 3}}
	if got := o.OfferAgainAt(); got == nil || !got.Equal(at.Add(OfferAgainAfter)) {
		t.Errorf("OfferAgainAt() = %v, want %v", got, at.Add(OfferAgainAfter))
	}
}

func TestPerWindow(t *testing.T) {
	tests := map[Limit]string{
		{Max: 30, Window: 10 * time.Minute}:  "30 per 10 minutes",
		{Max: 5, Window: time.Hour}:          "5 per hour",
		{Max: 2, Window: 2 * time.Hour}:      "2 per 2 hours",
		{Max: 1, Window: 90 * time.Second}:   "1 per 90 seconds",
		{Max: 1000, Window: 24 * time.Hour}:  "1000 per 24 hours",
		{Max: 3, Window: time.Minute}:        "3 per minute",
		{Max: 3, Window: 1500 * time.Second}: "3 per 25 minutes",
	}
	for l, want := range tests {
		if got := perWindow(l); got != want {
			t.Errorf("perWindow(%v) = %q, want %q", l, got, want)
		}
	}
}

// placedOrders is an OrderStore that places every order it is given and
// remembers its keys, as far as Checkout's own rules need.
type placedOrders struct {
	OrderStore
	byKey   map[string]Order
	lastNew NewOrder
	places  int
}

func (s *placedOrders) Place(_ context.Context, o NewOrder) (Order, bool, error) {
	if prior, ok := s.byKey[o.KeyHash]; ok {
		return prior, true, nil
	}
	s.places++
	s.lastNew = o
	order := Order{ID: o.ID, Reference: OrderReference(o.ID), Status: OrderPlaced, Notification: &Notification{Status: NotifyPending}}
	s.byKey[o.KeyHash] = order
	return order, false, nil
}

func (s *placedOrders) Replay(_ context.Context, keyHash, _ string) (Order, bool, error) {
	o, ok := s.byKey[keyHash]
	return o, ok, nil
}

// TestCheckoutLimits follows the order of Checkout's checks: bad input
// counts nothing, a retry is answered before any limit, the client's own
// bound comes before everyone's, and the phone's bound reaches the store.
func TestCheckoutLimits(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 30, 0, time.UTC)
	req := OrderRequest{
		Items:    []Item{{ProductID: 1, Quantity: 1}},
		Customer: Customer{Name: "Ana", Phone: "+351912345678", Address: "Rua Augusta 10, Lisboa"},
	}
	bad := req
	bad.Customer.Phone = "12"
	type call struct {
		client, key string
		req         OrderRequest
		want        Code // "" for placed
		wantReplay  bool
		wantMessage string
	}
	tests := []struct {
		name   string
		limits Limits
		calls  []call
	}{
		{
			name:   "per client, then a retry and another client",
			limits: Limits{OrdersPerClient: Limit{Max: 2, Window: 10 * time.Minute}, OpenOrdersPerPhone: 5, OffersPerOrder: 3},
			calls: []call{
				{client: "198.51.100.7", key: "key-bad-0001", req: bad, want: CodeInvalid},
				{client: "198.51.100.7", key: "key-0001", req: req},
				{client: "198.51.100.7", key: "key-0002", req: req},
				{client: "198.51.100.7", key: "key-0003", req: req, want: CodeThrottled, wantMessage: "too many orders from this address: at most 2 per 10 minutes"},
				{client: "198.51.100.7", key: "key-0001", req: req, wantReplay: true},
				{client: "198.51.100.8", key: "key-0004", req: req},
			},
		},
		{
			name:   "bad input counts nothing",
			limits: Limits{OrdersPerClient: Limit{Max: 1, Window: time.Minute}},
			calls: []call{
				{client: "198.51.100.7", key: "short", req: req, want: CodeInvalid},
				{client: "198.51.100.7", key: "key-bad-0001", req: bad, want: CodeInvalid},
				{client: "198.51.100.7", key: "key-0001", req: req},
			},
		},
		{
			name:   "everyone together",
			limits: Limits{OrdersPerClient: Limit{Max: 5, Window: time.Minute}, OrdersTotal: Limit{Max: 2, Window: time.Minute}},
			calls: []call{
				{client: "198.51.100.7", key: "key-0001", req: req},
				{client: "198.51.100.8", key: "key-0002", req: req},
				{client: "198.51.100.9", key: "key-0003", req: req, want: CodeThrottled, wantMessage: "2 per minute from everyone"},
				{client: "198.51.100.7", key: "key-0002", req: req, wantReplay: true},
			},
		},
		{
			name:   "one IPv6 subscriber is one client",
			limits: Limits{OrdersPerClient: Limit{Max: 1, Window: time.Minute}},
			calls: []call{
				{client: "2001:db8:1:2::1", key: "key-0001", req: req},
				{client: "2001:db8:1:2::99", key: "key-0002", req: req, want: CodeThrottled},
				{client: "2001:db8:1:3::1", key: "key-0003", req: req},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &placedOrders{byKey: map[string]Order{}}
			rates := memoryRates{}
			c := Checkout{Orders: store, Currency: "USD", Now: func() time.Time { return now }, Limits: tt.limits,
				Limiter: &RateLimiter{Store: rates, Now: func() time.Time { return now }}}
			for i, call := range tt.calls {
				before := len(rates)
				order, replayed, err := c.Place(context.Background(), call.client, call.key, call.req)
				if ErrorCode(err) != call.want && !(call.want == "" && err == nil) {
					t.Fatalf("call %d: Place = %v, want %q", i+1, err, call.want)
				}
				if call.want == CodeInvalid && len(rates) != before {
					t.Errorf("call %d: a bad request was counted", i+1)
				}
				if call.wantMessage != "" && !strings.Contains(err.Error(), call.wantMessage) {
					t.Errorf("call %d: %v, want the message to say %q", i+1, err, call.wantMessage)
				}
				if err != nil {
					continue
				}
				if replayed != call.wantReplay || order.Notification != nil {
					t.Errorf("call %d: replayed %v, notification %v; want replayed %v and no notification", i+1, replayed, order.Notification, call.wantReplay)
				}
				if !replayed && store.lastNew.Limits != tt.limits {
					t.Errorf("call %d: the store got limits %+v, want %+v", i+1, store.lastNew.Limits, tt.limits)
				}
			}
		})
	}
}

// Without a rate limit the store is not asked for a retry first: Place
// answers one itself.
func TestCheckoutWithoutRateLimits(t *testing.T) {
	store := &placedOrders{byKey: map[string]Order{}}
	c := Checkout{Orders: store, Currency: "USD", Limits: Limits{OpenOrdersPerPhone: 5}}
	if c.rateLimited() {
		t.Fatal("rateLimited without a limiter")
	}
	c.Limiter = &RateLimiter{Store: memoryRates{}}
	if c.rateLimited() {
		t.Fatal("rateLimited with every rate off")
	}
}

// carrierOrders is a FulfilmentStore of one order held by carrier 1.
type carrierOrders struct {
	FulfilmentStore
	status string
	holder int64
	moves  []Move
}

func (s *carrierOrders) CarrierOrder(_ context.Context, carrier int64, id string, _ time.Time) (CarrierOrder, error) {
	if s.holder != carrier && s.status != OrderPlaced {
		return CarrierOrder{}, Errorf(CodeNotFound, "no such order")
	}
	return CarrierOrder{DeliveryID: id, Status: s.status, Mine: s.holder == carrier}, nil
}

func (s *carrierOrders) Move(_ context.Context, m Move) (Moved, error) {
	s.moves = append(s.moves, m)
	if m.Action == ActionRelease && (s.status != OrderAccepted || s.holder != m.Actor.ID) {
		return Moved{}, ConflictError(m.Action, s.status)
	}
	return Moved{}, nil
}

// Releases are counted per carrier, and only those that can happen.
func TestReleaseLimit(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 30, 0, time.UTC)
	id := DeliveryID("01m866a89kz1z7dgmnnrvb7r47459mn758bc")
	tests := []struct {
		name    string
		status  string
		carrier int64
		want    []Code // one per release, "" for done
	}{
		{name: "its own accepted order", status: OrderAccepted, carrier: 1, want: []Code{"", "", CodeThrottled, CodeThrottled}},
		{name: "an order it does not hold is not counted", status: OrderPlaced, carrier: 1, want: []Code{CodeConflict, CodeConflict, CodeConflict}},
		{name: "another carrier's", status: OrderAccepted, carrier: 2, want: []Code{CodeNotFound, CodeNotFound, CodeNotFound}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &carrierOrders{status: tt.status, holder: 1}
			limits := Limits{ReleasesPerCarrier: Limit{Max: 2, Window: time.Hour}, CarrierOrders: 3, OffersPerOrder: 3}
			f := Fulfilment{Store: store, Now: func() time.Time { return now }, Limits: limits,
				Limiter: &RateLimiter{Store: memoryRates{}, Now: func() time.Time { return now }}}
			for i, want := range tt.want {
				_, err := f.CarrierMove(context.Background(), tt.carrier, id, ActionRelease)
				if ErrorCode(err) != want && !(want == "" && err == nil) {
					t.Fatalf("release %d = %v, want %q", i+1, err, want)
				}
				if want == CodeThrottled && !strings.Contains(err.Error(), "at most 2 per hour") {
					t.Errorf("release %d: %v, want the limit named", i+1, err)
				}
			}
			for _, m := range store.moves {
				if m.Limits != limits {
					t.Errorf("move %s got limits %+v, want %+v", m.Action, m.Limits, limits)
				}
			}
		})
	}
}

func TestCountsRelease(t *testing.T) {
	tests := []struct {
		move Move
		want bool
	}{
		{Move{Action: ActionRelease, Actor: Actor{Kind: ActorCarrier, ID: 1}}, true},
		{Move{Action: ActionRelease, Actor: Actor{Kind: ActorSystem}, Holder: 1}, false},
		{Move{Action: ActionClaim, Actor: Actor{Kind: ActorCarrier, ID: 1}}, false},
	}
	for _, tt := range tests {
		if got := tt.move.CountsRelease(); got != tt.want {
			t.Errorf("%s by %s: CountsRelease() = %v, want %v", tt.move.Action, tt.move.Actor.Kind, got, tt.want)
		}
	}
}
