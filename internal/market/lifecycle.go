package market

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"time"
)

// The order lifecycle, the one state machine of an order:
//
//	placed ──claim──► accepted ──pickup──► picked_up ──deliver──► delivered
//	  ▲                  │
//	  └─────release──────┘
//	placed, accepted ──cancel──► cancelled
//
// Every transition is one conditional UPDATE ... WHERE status IN (from)
// (a compare-and-swap), so of two actors racing for the same order exactly
// one wins and the other gets CodeConflict with the status it lost to.
const (
	OrderAccepted  = "accepted"
	OrderPickedUp  = "picked_up"
	OrderDelivered = "delivered"
	OrderCancelled = "cancelled"
)

// The pickup state of a company's part of an order (its lines).
const (
	PartNew   = "new"
	PartReady = "ready"
)

// ActorKind says who moved an order; the history keeps it with an id,
// never a name or a phone number.
type ActorKind string

// The kinds of actor.
const (
	ActorShopper ActorKind = "shopper" // whoever holds the order id
	ActorCompany ActorKind = "company"
	ActorCarrier ActorKind = "carrier"
	ActorSystem  ActorKind = "system" // the sweep
)

// Actor is who moves an order.
type Actor struct {
	Kind ActorKind
	ID   int64 // the company's or carrier's id; 0 for shoppers and the system
}

// Action is what an actor does to an order.
type Action string

// The actions, and the steps the order history records. StepPlaced,
// StepReady and StepOfferedAgain are steps that are not actions on the
// order's status.
const (
	ActionClaim   Action = "claim"
	ActionRelease Action = "release"
	ActionPickUp  Action = "pickup"
	ActionDeliver Action = "deliver"
	ActionCancel  Action = "cancel"
)

// Steps of the order history, as the timeline names them.
const (
	StepPlaced       = "placed"
	StepAccepted     = "accepted"
	StepReleased     = "released"
	StepOfferedAgain = "offered_again"
	StepReady        = "ready"
	StepPickedUp     = "picked_up"
	StepDelivered    = "delivered"
	StepCancelled    = "cancelled"
)

// Transition is one legal move of the state machine.
type Transition struct {
	Action Action
	From   []string // the statuses it may start from
	To     string
	Step   string      // what the history records
	Actors []ActorKind // who may make it
}

// transitions is the state machine: no other transition exists.
var transitions = []Transition{
	{ActionClaim, []string{OrderPlaced}, OrderAccepted, StepAccepted, []ActorKind{ActorCarrier}},
	// The system releases the orders of a carrier the operator removes.
	{ActionRelease, []string{OrderAccepted}, OrderPlaced, StepReleased, []ActorKind{ActorCarrier, ActorSystem}},
	{ActionPickUp, []string{OrderAccepted}, OrderPickedUp, StepPickedUp, []ActorKind{ActorCarrier}},
	{ActionDeliver, []string{OrderPickedUp}, OrderDelivered, StepDelivered, []ActorKind{ActorCarrier}},
	// A shopper may cancel only before a carrier has committed to the
	// order; the shop may cancel until it is picked up (out of stock, a
	// broken oven), and the carrier who held it is told.
	{ActionCancel, []string{OrderPlaced}, OrderCancelled, StepCancelled, []ActorKind{ActorShopper}},
	{ActionCancel, []string{OrderPlaced, OrderAccepted}, OrderCancelled, StepCancelled, []ActorKind{ActorCompany}},
}

// TransitionFor returns the transition action means for actor, or false if
// actor may never make it.
func TransitionFor(action Action, actor ActorKind) (Transition, bool) {
	for _, t := range transitions {
		if t.Action == action && slices.Contains(t.Actors, actor) {
			return t, true
		}
	}
	return Transition{}, false
}

// Allows reports whether t may start from status.
func (t Transition) Allows(status string) bool { return slices.Contains(t.From, status) }

// ConflictError is the answer to a transition the order's current status
// does not allow: 409 with the current status in the details.
func ConflictError(action Action, status string) *Error {
	return &Error{
		Code:    CodeConflict,
		Message: fmt.Sprintf("the order is %s: it cannot %s now", status, action),
		Details: map[string]string{"status": status},
	}
}

// NotReadyError answers a pickup before every company has its part ready.
func NotReadyError() *Error {
	return &Error{
		Code:    CodeConflict,
		Message: "not every shop has marked its part ready for pickup",
		Details: map[string]string{"status": OrderAccepted, "reason": "parts_not_ready"},
	}
}

// Lifecycle timings.
const (
	// OfferAgainAfter is how long an order waits for a carrier before the
	// sweep offers it to the carriers once more.
	OfferAgainAfter = 10 * time.Minute
	// DetailsAfterDelivery is how long the carrier who delivered an order
	// still sees the customer's details (a forgotten doorbell, a complaint).
	DetailsAfterDelivery = 24 * time.Hour
	// MaxCancelReason bounds the reason a company gives for a cancellation.
	MaxCancelReason = 200
)

// DeliveryID is how carriers and companies name an order: a one-way hash
// of the order id (20 hex characters, 80 bits). The order id itself is the
// shopper's capability to read and cancel the order and is shown to nobody
// else. migrations/00006 computes the same value in SQL.
func DeliveryID(orderID string) string {
	sum := sha256.Sum256([]byte("delivery:" + orderID))
	return hex.EncodeToString(sum[:])[:deliveryIDLen]
}

const deliveryIDLen = 20

// ValidDeliveryID reports whether id has the shape of a delivery id.
func ValidDeliveryID(id string) bool {
	if len(id) != deliveryIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Move asks the store to make one transition.
type Move struct {
	DeliveryID string // how carriers and companies name the order
	OrderID    string // how shoppers name it; one of the two is set
	Action     Action
	Actor      Actor
	Reason     string // for a cancellation
	// Holder is the carrier whose order the system releases; a carrier
	// actor releases only its own.
	Holder int64
	At     time.Time
	// Limits are the bounds the store applies in the move's transaction:
	// for a claim, the orders the carrier may hold (CheckCarrierLoad); for
	// a release, how often the order is offered (NextOffer).
	Limits Limits
	// Dispatch says, for the release of an order never broadcast, when
	// it is broadcast at the latest (BroadcastBy) now that its waves
	// start again.
	Dispatch DispatchSettings
}

// CountsRelease reports whether the move is a release the carrier is
// counted for: its own giving back, not the system's release of the
// orders of a carrier the operator removed.
func (m Move) CountsRelease() bool {
	return m.Action == ActionRelease && m.Actor.Kind == ActorCarrier
}

// CheckCarrierLoad decides whether a carrier holding held orders not yet
// delivered (accepted or picked up) may claim one more under bound
// (Limits.CarrierOrders; 0 is no bound): over it, CodeCarrierLimit with
// the bound, so that no carrier can take many orders, and their
// customers' details, at once. The store counts held inside the claim's
// transaction under a lock of the carrier, so that concurrent claims of
// one carrier never pass the bound together.
func CheckCarrierLoad(held, bound int) error {
	if bound <= 0 || held < bound {
		return nil
	}
	return &Error{
		Code: CodeCarrierLimit,
		Message: fmt.Sprintf("you already hold %d orders that are not yet delivered, the most a carrier may hold at once: "+
			"deliver or release one before claiming another", bound),
		Details: CarrierLimit{Limit: bound},
	}
}

// CarrierLimit is the detail of a CodeCarrierLimit error.
type CarrierLimit struct {
	Limit int `json:"limit"`
}

// HeldBy is the carrier who must hold the order for the move to apply.
func (m Move) HeldBy() int64 {
	if m.Actor.Kind == ActorSystem {
		return m.Holder
	}
	return m.Actor.ID
}

// Moved is the outcome of a transition.
type Moved struct {
	OrderID    string
	DeliveryID string
	Reference  string
	From, To   string
	// CarrierID is the carrier who held the order before the move (0 if
	// none): a company's cancellation tells that carrier.
	CarrierID int64
	// NextWave is the wave a released order that was never broadcast is
	// offered in next (0: none): it goes back to its waves, not to
	// everyone.
	NextWave int
}

// TimelineEntry is one step of an order as the shopper sees it: no phone,
// no address; the carrier's display name once one has accepted.
type TimelineEntry struct {
	Step        string    `json:"step"`
	Status      string    `json:"status"` // the order's status after the step
	At          time.Time `json:"at"`
	CarrierName string    `json:"carrierName,omitempty"`
	CompanyName string    `json:"companyName,omitempty"`
	Reason      string    `json:"reason,omitempty"`
}

// Cancellable reports whether a shopper may still cancel an order in status.
func Cancellable(status string) bool {
	t, _ := TransitionFor(ActionCancel, ActorShopper)
	return t.Allows(status)
}

// ValidateCancelReason checks the reason a company gives.
func ValidateCancelReason(reason string) (string, error) {
	return cleanText("reason", reason, 1, MaxCancelReason)
}

// PartLine is one of a company's lines in an order.
type PartLine struct {
	ProductID int64  `json:"productId"`
	Name      string `json:"name"`
	Quantity  int    `json:"quantity"`
	UnitPrice Money  `json:"unitPrice"`
	LineTotal Money  `json:"lineTotal"`
}

// CompanyOrder is an order as one of its companies sees it: only that
// company's lines and part, the order's status, reference and delivery
// area; never the customer's name, phone, address or note.
type CompanyOrder struct {
	DeliveryID string     `json:"deliveryId"`
	Reference  string     `json:"reference"`
	Status     string     `json:"status"`
	PartState  string     `json:"partState"`
	ReadyAt    *time.Time `json:"readyAt"`
	Area       string     `json:"area"`
	Lines      []PartLine `json:"lines"`
	ItemCount  int        `json:"itemCount"`
	Total      Money      `json:"total"` // of this company's lines
	Currency   string     `json:"currency"`
	CreatedAt  time.Time  `json:"createdAt"`
}

// CarrierPickup is one company a carrier collects from.
type CarrierPickup struct {
	CompanyID   int64      `json:"companyId"`
	CompanyName string     `json:"companyName"`
	State       string     `json:"state"`
	ItemCount   int        `json:"itemCount"`
	Address     string     `json:"address,omitempty"` // only with the delivery details
	Phone       string     `json:"phone,omitempty"`   // only with the delivery details
	Lines       []PartLine `json:"lines,omitempty"`   // only with the delivery details
}

// DeliveryDetails are what only the assigned carrier sees, and only while
// the order is accepted or picked up and for DetailsAfterDelivery after.
type DeliveryDetails struct {
	Customer Customer `json:"customer"`
}

// CarrierOrder is an order as a carrier sees it. Details and the pickups'
// addresses, phones and lines are there only when DetailsVisible.
type CarrierOrder struct {
	DeliveryID string `json:"deliveryId"`
	Reference  string `json:"reference"`
	Status     string `json:"status"`
	Mine       bool   `json:"mine"`
	Area       string `json:"area"`
	ItemCount  int    `json:"itemCount"`
	Total      Money  `json:"total"`
	Currency   string `json:"currency"`
	// DeliveryFee is what the carrier earns: zero for an order placed
	// without a location. DistanceKm is its route, nil without one.
	DeliveryFee Money    `json:"deliveryFee"`
	DistanceKm  *float64 `json:"distanceKm"`
	// PickupKm is how far the carrier is from the first pickup, in a
	// straight line (FromPosition); nil unless the carrier sent where
	// they are and the order's route has a first pickup.
	PickupKm *float64 `json:"pickupKm"`
	// FirstPickup is where the order's route starts; carriers learn only
	// their distance to it.
	FirstPickup *Location        `json:"-"`
	Pickups     []CarrierPickup  `json:"pickups"`
	CreatedAt   time.Time        `json:"createdAt"`
	AcceptedAt  *time.Time       `json:"acceptedAt"`
	Details     *DeliveryDetails `json:"details,omitempty"`
}

// FromPosition sets PickupKm: the straight-line distance from position
// (nil: the carrier sent none) to the first pickup, to 100 m, which is as
// much as choosing an order needs.
func (o *CarrierOrder) FromPosition(position *Location) {
	o.PickupKm = nil
	if position == nil || o.FirstPickup == nil {
		return
	}
	km := math.Round(DistanceKm(*position, *o.FirstPickup)*10) / 10
	o.PickupKm = &km
}

// DetailsVisible is the privacy rule for delivery details: the carrier
// holding the order sees them while it is accepted or picked up, and for
// DetailsAfterDelivery after delivering it; nobody else, never in a list.
func DetailsVisible(status string, mine bool, deliveredAt *time.Time, now time.Time) bool {
	if !mine {
		return false
	}
	switch status {
	case OrderAccepted, OrderPickedUp:
		return true
	case OrderDelivered:
		return deliveredAt != nil && now.Before(deliveredAt.Add(DetailsAfterDelivery))
	}
	return false
}

// Carrier views of the order lists.
const (
	ViewAvailable = "available" // placed and unclaimed, oldest first
	ViewMine      = "mine"      // held by the carrier, not yet delivered
)

// FulfilmentStore moves orders through their lifecycle and lists them for
// the people who fulfil them.
type FulfilmentStore interface {
	// Move makes one transition in one transaction with its history row.
	// It returns CodeNotFound if the order does not exist or (for a
	// carrier other than the one holding it, or a company with no lines
	// in it) is not the actor's, and CodeConflict (ConflictError,
	// NotReadyError) if its status does not allow the move. A claim of a
	// placed order by a carrier who holds m.Limits.CarrierOrders already
	// returns CodeCarrierLimit (CheckCarrierLoad); a release the carrier
	// is counted for (Move.CountsRelease) adds one to the carrier's
	// releases; a released order is due for its next offer as NextOffer
	// says.
	Move(ctx context.Context, m Move) (Moved, error)
	// MarkReady marks company's part of the order ready; already ready is
	// not an error. CodeNotFound as for Move; CodeConflict unless the
	// order is placed or accepted.
	MarkReady(ctx context.Context, company int64, deliveryID string, at time.Time) (CompanyOrder, error)
	// CarrierOrders lists a view (ViewAvailable or ViewMine) for carrier.
	CarrierOrders(ctx context.Context, carrier int64, view string, page OrderListPage) ([]CarrierOrder, error)
	// CarrierOrder returns one order for carrier, with the delivery
	// details when DetailsVisible at now. Another carrier's order (one
	// that is neither placed nor held by carrier) is CodeNotFound.
	CarrierOrder(ctx context.Context, carrier int64, deliveryID string, now time.Time) (CarrierOrder, error)
	// CompanyOrders lists the orders with company's lines, newest first,
	// optionally only those in status.
	CompanyOrders(ctx context.Context, company int64, status string, page OrderListPage) ([]CompanyOrder, error)
	// CompanyOrder returns one order with company's lines, or
	// CodeNotFound if it has none.
	CompanyOrder(ctx context.Context, company int64, deliveryID string) (CompanyOrder, error)
	// Timeline returns the steps of an order, oldest first.
	Timeline(ctx context.Context, orderID string) ([]TimelineEntry, error)
	// CarrierPhone returns the phone of a carrier, for the one SMS that
	// tells them an order they held was cancelled.
	CarrierPhone(ctx context.Context, carrier int64) (string, error)
}

// TextSender sends one SMS to one phone number (not to the carriers'
// topic): sign-in codes, and the notice of a cancelled order.
type TextSender interface {
	SendText(ctx context.Context, phone, text string) error
}

// CancelNoticeSMS is what the carrier holding an order is told when its
// shop cancels it: the reference only, no customer data, no reason text.
func CancelNoticeSMS(reference string) string {
	return fmt.Sprintf("Order %s was cancelled by the shop. Do not pick it up.", gsmText(reference, orderRefLen))
}
