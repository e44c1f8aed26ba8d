package market

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"golang.org/x/text/unicode/norm"
)

// Order statuses. An order is "placed" once it is stored; later issues
// (acceptance, delivery) add more.
const OrderPlaced = "placed"

// Notification statuses: where the carriers' SMS for an order stands.
const (
	NotifyPending   = "pending"    // stored, not yet handed to the notifier
	NotifyHandedOff = "handed_off" // the notifier accepted the event; SMS not yet confirmed
	NotifyNotified  = "notified"   // the SMS was accepted by SNS
	NotifyFailed    = "failed"     // the last attempt failed; retried at NextAttemptAt unless that is null
)

// Limits of the customer fields, in characters.
const (
	MaxCustomerName    = 100
	MaxCustomerAddress = 300
	MaxCustomerNote    = 500
)

// Idempotency-Key bounds: long enough that independent clients do not
// collide by accident (a UUID is 36 characters), short enough to index.
const (
	MinIdempotencyKey = 8
	MaxIdempotencyKey = 128
)

// HandOffGrace is how long a just-placed order belongs to the request that
// placed it: that request hands it to the notifier within this time, and
// only after it has passed does the retry sweep consider the order.
const HandOffGrace = time.Minute

// Customer is who ordered and where to deliver. It is stored with the
// order but never shown by the API and never put in an SMS.
type Customer struct {
	Name    string `json:"name"`
	Phone   string `json:"phone"`
	Address string `json:"address"`
	Note    string `json:"note,omitempty"`
	// Location is where the carrier goes: required once the marketplace
	// has a delivery area (Delivery.Plan).
	Location *Location `json:"location,omitempty"`
}

// OrderRequest is the body of POST /api/orders.
type OrderRequest struct {
	Items    []Item   `json:"items"`
	Customer Customer `json:"customer"`
}

// Normalize validates r and returns it in canonical form: items merged as
// the quote merges them, customer fields trimmed and the phone number in
// E.164. It returns CodeInvalid naming the first offending field.
func (r OrderRequest) Normalize() (OrderRequest, error) {
	items, err := NormalizeItems(r.Items)
	if err != nil {
		return OrderRequest{}, err
	}
	c := r.Customer
	if c.Name, err = cleanText("customer.name", c.Name, 1, MaxCustomerName); err != nil {
		return OrderRequest{}, err
	}
	if c.Address, err = cleanText("customer.address", c.Address, 1, MaxCustomerAddress); err != nil {
		return OrderRequest{}, err
	}
	if c.Note, err = cleanText("customer.note", c.Note, 0, MaxCustomerNote); err != nil {
		return OrderRequest{}, err
	}
	if c.Phone, err = NormalizePhone(c.Phone); err != nil {
		return OrderRequest{}, err
	}
	if c.Location != nil {
		l, err := ValidLocation("customer.location", *c.Location)
		if err != nil {
			return OrderRequest{}, err
		}
		c.Location = &l
	}
	return OrderRequest{Items: items, Customer: c}, nil
}

// Hash identifies a normalized request for idempotency: two requests with
// the same hash ask for the same order, whatever their JSON spelling
// (whitespace, field order, repeated product lines).
func (r OrderRequest) Hash() string {
	b, err := json.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("market: hash order request: %v", err)) // only plain fields: cannot happen
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// e164 is a "+", a country code that does not start with 0, and at most 15
// digits in all. Seven is the shortest real number (small island states).
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// NormalizePhone accepts a phone number in E.164, allowing the spaces,
// hyphens, dots and parentheses people type between digit groups, and
// returns it without them ("+351 912-345 678" → "+351912345678").
func NormalizePhone(phone string) (string, error) {
	return NormalizePhoneField("customer.phone", phone)
}

// NormalizePhoneField is NormalizePhone for a phone number in field.
func NormalizePhoneField(field, phone string) (string, error) {
	compact := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')':
			return -1
		}
		return r
	}, strings.TrimSpace(phone))
	if !e164.MatchString(compact) {
		return "", FieldError(field, "%s must be in international E.164 form, such as +351912345678", field)
	}
	return compact, nil
}

// cleanText trims s and checks its length in characters and that it holds
// no control or bidirectional-override characters, which could hide or
// reorder what an operator reads.
func cleanText(field, s string, minLen, maxLen int) (string, error) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n < minLen {
		return "", FieldError(field, "%s is required", field)
	}
	if n > maxLen {
		return "", FieldError(field, "%s must be at most %d characters", field, maxLen)
	}
	for _, r := range s {
		if unicode.IsControl(r) || isBidiControl(r) || r == '\u2028' || r == '\u2029' || r == utf8.RuneError {
			return "", FieldError(field, "%s must not contain control characters", field)
		}
	}
	return s, nil
}

func isBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069') || r == '\u200E' || r == '\u200F'
}

// idempotencyKey is the character set of an Idempotency-Key: what UUIDs,
// ULIDs and base64url tokens use.
var idempotencyKey = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)

// ValidateIdempotencyKey checks the Idempotency-Key header of an order.
func ValidateIdempotencyKey(key string) error {
	const field = "Idempotency-Key"
	switch n := len(key); {
	case n == 0:
		return FieldError(field, "the Idempotency-Key header is required: send a new random value (a UUID) per order and repeat it on retries")
	case n < MinIdempotencyKey || n > MaxIdempotencyKey || !idempotencyKey.MatchString(key):
		return FieldError(field, "the Idempotency-Key header must be %d to %d characters of A-Z, a-z, 0-9, '_', '.', ':' or '-'", MinIdempotencyKey, MaxIdempotencyKey)
	}
	return nil
}

// HashIdempotencyKey is what the store keeps of a key: fixed length, and
// case-sensitive whatever the column collation.
func HashIdempotencyKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Order ids: 10 characters of millisecond time (so that ids sort by
// creation and insert at the end of the primary key) followed by 26
// characters of 128 random bits, in lower-case Crockford base32. The random
// part makes an id unguessable: it is the capability to read the order.
const (
	orderIDLen     = 36
	orderIDAlpha   = "0123456789abcdefghjkmnpqrstvwxyz"
	orderRefLen    = 8
	orderIDTimeLen = 10
)

var orderIDEncoding = base32.NewEncoding(orderIDAlpha).WithPadding(base32.NoPadding)

// NewOrderID returns a fresh order id for an order created at t.
func NewOrderID(t time.Time) (string, error) {
	var random [16]byte
	if _, err := rand.Read(random[:]); err != nil {
		return "", fmt.Errorf("order id: %w", err)
	}
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(t.UnixMilli())<<14) // 50 bits of ms, left-aligned in 64
	return orderIDEncoding.EncodeToString(ts[:])[:orderIDTimeLen] + orderIDEncoding.EncodeToString(random[:]), nil
}

// ValidOrderID reports whether id has the shape of an order id, so that
// junk is answered without a database round trip.
func ValidOrderID(id string) bool {
	if len(id) != orderIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if strings.IndexByte(orderIDAlpha, id[i]) < 0 {
			return false
		}
	}
	return true
}

// OrderReference is the short reference carriers and shoppers quote for an
// order: 8 characters derived from the id by a one-way hash, so that the
// SMS reveals nothing of the id itself.
func OrderReference(id string) string {
	sum := sha256.Sum256([]byte("order-reference:" + id))
	return strings.ToUpper(orderIDEncoding.EncodeToString(sum[:5]))[:orderRefLen]
}

// OrderLine is one priced line of an order, at the unit price at the time
// the order was placed; names and the photo are kept as they were then.
type OrderLine struct {
	ProductID   int64  `json:"productId"`
	CompanyID   int64  `json:"companyId"`
	CompanyName string `json:"companyName"`
	Name        string `json:"name"`
	UnitPrice   Money  `json:"unitPrice"`
	Quantity    int    `json:"quantity"`
	LineTotal   Money  `json:"lineTotal"`
	// Image is the product's photo when the order was placed; nil (JSON
	// null) when it had none. It is no part of the request's hash: a
	// retry with the same key and body replays the order as placed, photo
	// included, whatever the product's photo is by then.
	Image *ProductImage `json:"image"`
}

// Notification is where the carriers' SMS for an order stands. LastError
// comes from a fixed vocabulary, never from an error's text.
type Notification struct {
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	LastError     *string    `json:"lastError"`
	HandedOffAt   *time.Time `json:"handedOffAt"`
	NotifiedAt    *time.Time `json:"notifiedAt"`
	NextAttemptAt *time.Time `json:"nextAttemptAt"`
}

// Order is a placed order as the API shows it. The customer's details are
// stored but not part of it: the order id alone must not reveal them.
type Order struct {
	ID           string        `json:"orderId"`
	Reference    string        `json:"reference"`
	Status       string        `json:"status"`
	Lines        []OrderLine   `json:"lines"`
	ItemCount    int           `json:"itemCount"`
	Subtotal     Money         `json:"subtotal"`
	DeliveryFee  Money         `json:"deliveryFee"`
	Total        Money         `json:"total"`
	Currency     string        `json:"currency"`
	ETA          *ETA          `json:"eta"`
	CreatedAt    time.Time     `json:"createdAt"`
	Notification *Notification `json:"notification,omitempty"`
	// Timeline is the order's steps, oldest first; Cancellable says
	// whether the shopper may still cancel it. Both are filled in when an
	// order is read, not in the answer to placing it.
	Timeline    []TimelineEntry `json:"timeline,omitempty"`
	Cancellable *bool           `json:"cancellable,omitempty"`
	// Area is the delivery area carriers are told (see DeliveryArea).
	Area string `json:"-"`
	// DeliveryID is how carriers and companies name the order; the
	// shopper has no use for it.
	DeliveryID string `json:"-"`
	// Delivery is the delivery quoted when the order was placed, nil for
	// an order placed without a location.
	Delivery *DeliveryQuote `json:"-"`
}

// NewOrder is what the store needs to place an order.
type NewOrder struct {
	ID          string
	KeyHash     string // HashIdempotencyKey of the Idempotency-Key
	RequestHash string // OrderRequest.Hash of the normalized request
	Request     OrderRequest
	Currency    string
	Area        string
	// Delivery is the delivery quoted before the order's transaction,
	// nil when the order has no location.
	Delivery  *DeliveryQuote
	CreatedAt time.Time
	// Limits are the bounds the store applies in the order's transaction:
	// OpenOrdersPerPhone (CheckOpenOrders) and OffersPerOrder (NextOffer).
	Limits Limits
	// Dispatch says whether the order is offered in waves or broadcast
	// at once (DispatchStart); the zero settings broadcast.
	Dispatch DispatchSettings
}

// OfferAgainAt is when the sweep first offers the order again, or nil if
// its first offer is also its last.
func (o NewOrder) OfferAgainAt() *time.Time {
	return NextOffer(FirstOffer, o.Limits.OffersPerOrder, o.CreatedAt.Add(OfferAgainAfter))
}

// DispatchStart is how a new order starts being offered: what the store
// records with it.
type DispatchStart struct {
	// Wave is the waves started with the order: 1, the broadcast, or 0
	// when wave 1 is still to come.
	Wave int
	// BroadcastAt is when the order went to every carrier: when it was
	// placed, or nil while it goes in waves.
	BroadcastAt *time.Time
	// NextWaveAt is when wave 1 is due: at once, the request that
	// placed the order schedules it, and the sweep starts it TimerGrace
	// later if that request did not; nil when it is broadcast.
	NextWaveAt *time.Time
	// NotifyAt is when the carriers' topic is due to be told of it.
	NotifyAt time.Time
	// OfferAgainAt is when the sweep offers it to everyone once more;
	// nil in waves, whose last wave sets it when it broadcasts.
	OfferAgainAt *time.Time
}

// DispatchStart decides how the order starts being offered. In waves,
// wave 1 is due at once, and the topic hand-off waits until the order is
// broadcast at the latest (BroadcastBy), as its own safety net, since the
// last wave normally hands it off earlier. Otherwise it is broadcast as
// it is placed, and handed off after HandOffGrace as before waves.
func (o NewOrder) DispatchStart() DispatchStart {
	var pickup *Location
	if o.Delivery != nil {
		pickup = o.Delivery.FirstPickup
	}
	if o.Dispatch.UsesWaves(pickup) {
		return DispatchStart{
			NextWaveAt: ptr(o.CreatedAt),
			NotifyAt:   o.Dispatch.BroadcastBy(o.CreatedAt),
		}
	}
	return DispatchStart{
		Wave:         1,
		BroadcastAt:  ptr(o.CreatedAt),
		NotifyAt:     o.CreatedAt.Add(HandOffGrace),
		OfferAgainAt: o.OfferAgainAt(),
	}
}

// NotificationDue is an order whose notification the retry sweep must look at.
type NotificationDue struct {
	OrderID  string
	Attempts int
}

// OrderStore stores orders.
// IdempotencyKeyRetention is how long an Idempotency-Key keeps answering
// with its order. Clients retry within seconds or minutes; a key reused
// after a week places a new order. Keeping keys forever would grow the
// table without bound.
const IdempotencyKeyRetention = 7 * 24 * time.Hour

type OrderStore interface {
	// Place stores o with its lines, priced by Pricer.Quote inside the
	// same transaction that claims the idempotency key. When the key was
	// already used with the same request it returns that order and true;
	// with another request, CodeConflict. It returns CodeInvalid and
	// CodeUnavailableProducts as Pricer.Quote does, and CodeThrottled
	// (CheckOpenOrders) when the customer's phone has as many open orders
	// as o.Limits allow, counted in the same transaction under a lock of
	// that phone, so that concurrent orders of one phone never pass the
	// bound together. A refused order leaves its key unused.
	Place(ctx context.Context, o NewOrder) (Order, bool, error)
	// Replay returns the order placed earlier with the key whose hash is
	// keyHash and true, or false if the key has placed no order (yet);
	// CodeConflict if it placed one for another request.
	Replay(ctx context.Context, keyHash, requestHash string) (Order, bool, error)
	// PruneIdempotencyKeys forgets up to limit idempotency keys created
	// before before, oldest first, and says how many it forgot. Their
	// orders stay.
	PruneIdempotencyKeys(ctx context.Context, before time.Time, limit int) (int64, error)
	// Order returns the order with its lines and notification state, or
	// CodeNotFound.
	Order(ctx context.Context, id string) (Order, error)
	// DueNotifications lists up to limit un-notified orders whose next
	// notification attempt is due at now, oldest first.
	DueNotifications(ctx context.Context, now time.Time, limit int) ([]NotificationDue, error)
	// ClaimNotification gives the caller the next attempt on an order that
	// is still due at now with the given attempt count, by moving its due
	// time to until; false if someone else claimed it first.
	ClaimNotification(ctx context.Context, id string, attempts int, now, until time.Time) (bool, error)
	// MarkHandedOff records that attempt number attempt handed the order to
	// the notifier at at; the sweep looks again at recheckAt unless the SMS
	// is confirmed first.
	MarkHandedOff(ctx context.Context, id string, attempt int, at, recheckAt time.Time) error
	// MarkFailed records that attempt number attempt failed for reason;
	// retryAt nil means no more attempts.
	MarkFailed(ctx context.Context, id string, attempt int, reason string, retryAt *time.Time) error
	// MarkNotified records that the SMS for the order was sent at at.
	MarkNotified(ctx context.Context, id string, at time.Time) error
	// DueOffers lists up to limit placed orders whose next offer to the
	// carriers is due at now (OfferAgainAfter after placing, or at once
	// after a carrier released it), the longest due first.
	DueOffers(ctx context.Context, now time.Time, limit int) ([]string, error)
	// ClaimOffer takes the due offer of a placed order for the caller: it
	// counts the offer, records it in the order's history
	// (StepOfferedAgain) and returns its number; false if another sweep
	// took it first, or the order was claimed or cancelled meanwhile.
	ClaimOffer(ctx context.Context, orderID string, now time.Time) (int, bool, error)
}

// CarrierNotifier hands a placed order to the carriers' notifier. It never
// fails the order: failures are recorded on the order and retried.
type CarrierNotifier interface {
	HandOff(ctx context.Context, o Order)
}

// Checkout places orders.
type Checkout struct {
	Orders OrderStore
	// Pricer quotes the order before it is stored, when it has a
	// Delivery: the shops must be open and the location in the area, and
	// the delivery is priced. The items are priced again in the order's
	// own transaction.
	Pricer   Pricer
	Currency string
	Notifier CarrierNotifier // nil: orders stay pending for the sweep
	Now      func() time.Time
	// Limits bound the orders of one client address and of everyone
	// together (OrdersPerClient, OrdersTotal, counted by Limiter), the
	// open orders of one customer phone (OpenOrdersPerPhone) and how
	// often an order is offered to the carriers (OffersPerOrder); the
	// zero Limits bound nothing.
	Limits Limits
	// Limiter counts the rate-limited orders; nil counts none.
	Limiter *RateLimiter
	// Dispatch says how orders are offered to the carriers; the zero
	// settings broadcast every order.
	Dispatch DispatchSettings
}

// Place validates and stores an order at current prices, once per
// idempotency key, and hands a newly placed order to the notifier. It
// reports whether the order is one placed earlier with the same key.
// client is the address the request came from (apigw.Input.Client).
//
// The checks run in an order that spares real shoppers: a malformed
// request is refused before anything is counted; a retry of an order
// already placed is answered with it before any limit, so a shopper whose
// answer was lost always gets their order back; then the client's own
// bound, so that one client's flood is refused before it spends what
// everyone shares; then the bound of everyone together; and last, in the
// order's own transaction, the customer phone's open orders.
func (c Checkout) Place(ctx context.Context, client, key string, req OrderRequest) (Order, bool, error) {
	if err := ValidateIdempotencyKey(key); err != nil {
		return Order{}, false, err
	}
	req, err := req.Normalize()
	if err != nil {
		return Order{}, false, err
	}
	keyHash, requestHash := HashIdempotencyKey(key), req.Hash()
	if c.rateLimited() || c.Pricer.Delivery != nil {
		prior, replayed, err := c.Orders.Replay(ctx, keyHash, requestHash)
		if err != nil {
			return Order{}, false, err
		}
		if replayed {
			return answered(prior), true, nil
		}
	}
	if c.rateLimited() {
		if err := c.Limiter.Allow(ctx, ordersPerClientKind, ClientKey(client), c.Limits.OrdersPerClient,
			ordersPerClientRefusal(c.Limits.OrdersPerClient)); err != nil {
			return Order{}, false, err
		}
		if err := c.Limiter.Allow(ctx, ordersTotalKind, "", c.Limits.OrdersTotal,
			ordersTotalRefusal(c.Limits.OrdersTotal)); err != nil {
			return Order{}, false, err
		}
	}
	var delivery *DeliveryQuote
	if c.Pricer.Delivery != nil {
		q, err := c.Pricer.QuoteDelivery(ctx, QuoteRequest{Items: req.Items, DeliverTo: req.Customer.Location}, "customer.location", true)
		if err != nil {
			return Order{}, false, err
		}
		delivery = q.Delivery
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	// DATETIME(6) keeps microseconds: truncate so that the order returned
	// now and the one read back later are equal.
	createdAt := now().UTC().Truncate(time.Microsecond)
	id, err := NewOrderID(createdAt)
	if err != nil {
		return Order{}, false, err
	}
	order, replayed, err := c.Orders.Place(ctx, NewOrder{
		ID:          id,
		KeyHash:     keyHash,
		RequestHash: requestHash,
		Request:     req,
		Currency:    c.Currency,
		Area:        DeliveryArea(req.Customer.Address),
		Delivery:    delivery,
		CreatedAt:   createdAt,
		Limits:      c.Limits,
		Dispatch:    c.Dispatch,
	})
	if err != nil {
		return Order{}, false, err
	}
	if !replayed && c.Notifier != nil {
		c.Notifier.HandOff(ctx, order)
	}
	return answered(order), replayed, nil
}

// rateLimited reports whether placing an order counts against a rate
// limit. Only then must a retry be told from a new order before the
// store places it.
func (c Checkout) rateLimited() bool {
	return c.Limiter != nil && (!c.Limits.OrdersPerClient.Off() || !c.Limits.OrdersTotal.Off())
}

// answered is an order as placing it answers: the answer to a retry is
// the answer to the first request.
func answered(o Order) Order {
	o.Notification, o.Timeline, o.Cancellable = nil, nil, nil
	return o
}

// OrderFromQuote builds the order a store places from the quote priced in
// its transaction and the delivery quoted before it.
func OrderFromQuote(o NewOrder, q Quote) Order {
	q = q.withDelivery(o.Delivery)
	order := Order{
		ID:          o.ID,
		Reference:   OrderReference(o.ID),
		Status:      OrderPlaced,
		Lines:       make([]OrderLine, len(q.Lines)),
		ItemCount:   q.ItemCount,
		Subtotal:    q.Subtotal,
		DeliveryFee: NewMoney(decimal.Zero),
		Total:       q.Total,
		Currency:    q.Currency,
		Delivery:    o.Delivery,
		CreatedAt:   o.CreatedAt,
		Area:        o.Area,
		DeliveryID:  DeliveryID(o.ID),
		Notification: &Notification{
			Status:        NotifyPending,
			NextAttemptAt: ptr(o.DispatchStart().NotifyAt),
		},
	}
	if o.Delivery != nil {
		order.DeliveryFee = o.Delivery.Fee
		order.ETA = &o.Delivery.ETA
	}
	for i, l := range q.Lines {
		order.Lines[i] = OrderLine{
			ProductID: l.ProductID, CompanyID: l.CompanyID, CompanyName: l.CompanyName, Name: l.Name,
			UnitPrice: l.UnitPrice, Quantity: l.Quantity, LineTotal: l.LineTotal, Image: l.Image,
		}
	}
	return order
}

func ptr[T any](v T) *T { return &v }

// Limits of what carriers are told.
const (
	MaxSMSLength      = 160 // GSM-7 characters of one SMS
	MaxAreaLength     = 20  // characters of a delivery area
	maxSMSCompanyName = 24
	shortCompanyName  = 12 // a company name when the full ones do not fit
)

// ClaimPath is the carrier page of the site; ClaimLink puts the delivery
// id in its fragment, which the browser keeps to itself (no server or CDN
// log sees it).
const ClaimPath = "/carrier.html#d="

// ClaimLink is where a carrier claims an order on the site at siteURL
// (absolute, without a trailing slash).
func ClaimLink(siteURL, deliveryID string) string {
	return siteURL + ClaimPath + deliveryID
}

// CarrierNotice is everything carriers are told about an order: nothing a
// customer typed except the delivery area, reduced by DeliveryArea to
// letters, spaces, hyphens and apostrophes, and the link to claim it.
type CarrierNotice struct {
	Reference string
	ItemCount int
	Total     Money
	Currency  string
	Companies []string // pickup companies, in order of first appearance
	Area      string
	Link      string // ClaimLink of the order; always sent whole
}

// NoticeFor returns the notice for an order, linking to the site at
// siteURL.
func NoticeFor(o Order, siteURL string) CarrierNotice {
	n := CarrierNotice{
		Reference: o.Reference, ItemCount: o.ItemCount, Total: o.Total, Currency: o.Currency, Area: o.Area,
		Link: ClaimLink(siteURL, DeliveryID(o.ID)),
	}
	seen := map[string]bool{}
	for _, l := range o.Lines {
		if !seen[l.CompanyName] {
			seen[l.CompanyName] = true
			n.Companies = append(n.Companies, l.CompanyName)
		}
	}
	return n
}

// SMS composes the carriers' text: one SMS of at most 160 GSM-7
// characters, such as
//
//	Order K7Q2M9XD: 3 items, 42.50 USD. Pickup: Padaria Sol, Casa Nonna Kitchen. Area: Lisboa
//	https://d111.cloudfront.net/carrier.html#d=5f1c0e7a9b2d4c6e8a01
//
// The reference, the items and total, the area and the link always stay,
// and the link is never cut: when the text is too long, the pickup list
// gives way first (names cut to 12 characters, then the names that do
// not fit counted as "+3 more", then only counted, then left out). It is
// an error only when even those parts do not fit, or the link holds a
// character that is not plain GSM-7: sending a broken link would be worse
// than sending nothing. Every other field is reduced to characters that
// count one each in GSM-7 (so the message is never split or sent as
// UCS-2), whoever built the notice.
func (n CarrierNotice) SMS() (string, error) {
	items := "items"
	if n.ItemCount == 1 {
		items = "item"
	}
	head := fmt.Sprintf("Order %s: %d %s, %s %s.",
		gsmText(n.Reference, orderRefLen), n.ItemCount, items, n.Total.StringFixed(2), gsmText(n.Currency, 3))
	area := gsmArea(n.Area, MaxAreaLength)
	if area == "" {
		area = "unknown"
	}
	tail := " Area: " + area
	if n.Link == "" || strings.IndexFunc(n.Link, func(r rune) bool { return !gsmSafe(r) || r == ' ' }) >= 0 {
		return "", fmt.Errorf("carrier sms: the link %q is not plain GSM-7 text", n.Link)
	}
	tail += "\n" + n.Link
	budget := MaxSMSLength - len(head) - len(tail)
	if budget < 0 {
		return "", fmt.Errorf("carrier sms: %d characters without the pickup list, more than %d", len(head)+len(tail), MaxSMSLength)
	}
	if pickup := pickupList(n.Companies, budget-len(" Pickup: .")); pickup != "" {
		head += " Pickup: " + pickup + "."
	}
	return head + tail, nil
}

// pickupList names the companies in at most budget characters: as many as
// fit, full names before shortened ones, the rest counted; "" when not even
// the count fits.
func pickupList(companies []string, budget int) string {
	var full, short []string
	for _, c := range companies {
		if name := gsmText(c, maxSMSCompanyName); name != "" {
			full = append(full, name)
			short = append(short, gsmText(c, shortCompanyName))
		}
	}
	for k := len(full); k > 0; k-- {
		for _, names := range [][]string{full, short} {
			list := strings.Join(names[:k], ", ")
			if rest := len(names) - k; rest > 0 {
				list += fmt.Sprintf(" +%d more", rest)
			}
			if len(list) <= budget {
				return list
			}
		}
	}
	count := fmt.Sprintf("%d companies", len(full))
	if len(full) == 1 {
		count = "1 company"
	}
	if len(full) == 0 || len(count) > budget {
		return ""
	}
	return count
}

// DeliveryArea derives the area carriers are told from a delivery address:
// its last comma-separated part ("Rua Augusta 10, 1100-053 Lisboa" →
// "Lisboa"), reduced to at most 20 characters of letters (accents
// dropped), spaces, hyphens and apostrophes. Digits and punctuation go, so
// that the part of an SMS a customer influences cannot carry a phone
// number, a link or an address for e-mail.
func DeliveryArea(address string) string {
	parts := strings.Split(address, ",")
	for i := len(parts) - 1; i >= 0; i-- {
		if area := gsmArea(parts[i], MaxAreaLength); area != "" {
			return area
		}
	}
	return ""
}

// gsmArea keeps ASCII letters (after dropping accents), single spaces,
// hyphens and apostrophes, and cuts to max characters at a word boundary
// where it can.
func gsmArea(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r < utf8.RuneSelf && unicode.IsLetter(r), r == '-', r == '\'':
			return r
		}
		return ' '
	}, foldToASCII(s))
	s = strings.Trim(strings.Join(strings.Fields(s), " "), " -'")
	if len(s) > max {
		cut := s[:max]
		if i := strings.LastIndexByte(cut, ' '); i >= max/2 {
			cut = cut[:i]
		}
		s = strings.Trim(cut, " -'")
	}
	return s
}

// gsmSafe is the printable ASCII that GSM-7 encodes in one septet each:
// everything but the characters of its extension table and the backquote.
func gsmSafe(r rune) bool {
	return r >= ' ' && r <= '~' && !strings.ContainsRune("`[\\]^{|}~", r)
}

// gsmText reduces s to gsmSafe characters with single spaces, cut to max
// characters with ".." when it is longer.
func gsmText(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if gsmSafe(r) {
			return r
		}
		if unicode.IsSpace(r) {
			return ' '
		}
		return -1
	}, foldToASCII(s))
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = strings.TrimSpace(s[:max-2]) + ".."
	}
	return s
}

// foldToASCII drops accents ("São" → "Sao") and spells out the letters
// that do not decompose.
func foldToASCII(s string) string { return dropAccents(s, norm.NFD) }

// dropAccents decomposes s in form, drops the combining marks and spells
// out the letters that do not decompose (foldSpecial).
func dropAccents(s string, form norm.Form) string {
	var b strings.Builder
	for _, r := range form.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if ascii, ok := foldSpecial[r]; ok {
			b.WriteString(ascii)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

var foldSpecial = map[rune]string{
	'ß': "ss", 'æ': "ae", 'Æ': "AE", 'ø': "o", 'Ø': "O", 'œ': "oe", 'Œ': "OE",
	'ł': "l", 'Ł': "L", 'đ': "d", 'Đ': "D", 'þ': "th", 'Þ': "Th", 'ð': "d", 'Ð': "D",
}

// gsmBasic and gsmExtension are the GSM 03.38 default alphabet and its
// extension table (whose characters take two septets).
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtension = "\f^{}\\[~]|€"
)

// GSM7Length returns how many septets s takes in the GSM-7 alphabet, and
// false if s holds a character GSM-7 cannot encode (which would make the
// SMS UCS-2, with 70 characters per message).
func GSM7Length(s string) (int, bool) {
	n := 0
	for _, r := range s {
		switch {
		case strings.ContainsRune(gsmBasic, r):
			n++
		case strings.ContainsRune(gsmExtension, r):
			n += 2
		default:
			return n, false
		}
	}
	return n, true
}
