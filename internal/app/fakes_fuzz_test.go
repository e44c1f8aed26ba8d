package app_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// In-memory stores for FuzzGateway: a database per fuzz iteration would
// be far too slow. Each keeps a small fixed world (two companies, four
// products, one order, a carrier and a company that can sign in) and
// answers only with the codes its interface documents (not found,
// conflict, version mismatch), never an internal error, so that any 500
// the fuzz target sees comes from the code under test.

// The fixed world.
const (
	fuzzOrderID       = "01jdx5m4kq7a8b9c0d1e2f3g4h5j6k7m8n9p" // placed
	fuzzAcceptedID    = "01jdx5m4kq7a8b9c0d1e2f3g4h5j6k7m8n9q" // accepted by fuzzCarrierID, ready
	fuzzPickedUpID    = "01jdx5m4kq7a8b9c0d1e2f3g4h5j6k7m8n9r" // picked up by fuzzCarrierID
	fuzzCarrierPhone  = "+351912000001"
	fuzzCompanyPhone  = "+351912000002"
	fuzzSignInCode    = "123456"
	fuzzSignInSalt    = "00112233445566778899aabbccddeeff"
	fuzzCarrierID     = 1
	fuzzCompanyID     = 1
	fuzzOtherCompany  = 2
	fuzzUnknownParty  = 99
	fuzzProfileVer    = 1
	fuzzFirstNewID    = 100
	fuzzCodeTTL       = time.Hour
	fuzzOrderCurrency = "USD"
)

// fuzzProducts is the catalog and the companies' product management.
type fuzzProducts struct {
	products map[int64]market.Product
	nextID   int64
}

func newFuzzProducts() *fuzzProducts {
	p := &fuzzProducts{nextID: fuzzFirstNewID, products: map[int64]market.Product{}}
	for _, pr := range []market.Product{
		{ID: 1, CompanyID: fuzzCompanyID, CompanyName: "Padaria Sol", Name: "Sourdough loaf", Description: "Naturally leavened.", Price: market.MustMoney("6.50"), Active: true, Version: 1},
		{ID: 2, CompanyID: fuzzCompanyID, CompanyName: "Padaria Sol", Name: "Pão de queijo (6)", Price: market.MustMoney("4.20"), Active: true, Version: 3},
		{ID: 3, CompanyID: fuzzOtherCompany, CompanyName: "Green Basket", Name: "Old stock", Price: market.MustMoney("1.00"), Active: false, Version: 2},
		{ID: 4, CompanyID: fuzzOtherCompany, CompanyName: "Green Basket", Name: "Cherry tomatoes 500 g", Price: market.MustMoney("3.29"), Active: true, Version: 1},
	} {
		p.products[pr.ID] = pr
	}
	return p
}

func (s *fuzzProducts) sorted() []market.Product {
	var out []market.Product
	for _, p := range s.products {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b market.Product) int { return int(a.ID - b.ID) })
	return out
}

func (s *fuzzProducts) ListActive(_ context.Context, page market.ProductPage) ([]market.Product, error) {
	var terms []string
	if page.Filter.Query != "" {
		var err error
		if terms, err = market.SearchTerms(page.Filter.Query); err != nil {
			return nil, err
		}
	}
	var out []market.Product
	for _, p := range s.sorted() {
		if !p.Active || p.ID <= page.AfterID || (page.Filter.CompanyID != 0 && p.CompanyID != page.Filter.CompanyID) {
			continue
		}
		words := market.IndexWords(p.Name, p.Description, p.CompanyName)
		if !allPrefixes(terms, words) {
			continue
		}
		if len(out) == page.Limit {
			break
		}
		out = append(out, p)
	}
	return out, nil
}

func allPrefixes(terms, words []string) bool {
	for _, t := range terms {
		if !slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, t) }) {
			return false
		}
	}
	return true
}

func (s *fuzzProducts) ProductsByID(_ context.Context, ids []int64) (map[int64]market.Product, error) {
	out := map[int64]market.Product{}
	for _, id := range ids {
		if p, ok := s.products[id]; ok {
			out[id] = p
		}
	}
	return out, nil
}

func (s *fuzzProducts) CatalogCompanies(context.Context) ([]market.CatalogCompany, error) {
	return []market.CatalogCompany{{ID: fuzzOtherCompany, Name: "Green Basket", ProductCount: 1}, {ID: fuzzCompanyID, Name: "Padaria Sol", ProductCount: 2}}, nil
}

func (s *fuzzProducts) ListByCompany(_ context.Context, company int64, page market.ProductPage) ([]market.Product, error) {
	var out []market.Product
	for _, p := range s.sorted() {
		if p.CompanyID == company && p.ID > page.AfterID && len(out) < page.Limit {
			out = append(out, p)
		}
	}
	return out, nil
}

func (s *fuzzProducts) CompanyProduct(_ context.Context, company, id int64) (market.Product, error) {
	p, ok := s.products[id]
	if !ok || p.CompanyID != company {
		return market.Product{}, market.Errorf(market.CodeNotFound, "product %d not found", id)
	}
	return p, nil
}

func (s *fuzzProducts) Create(_ context.Context, company int64, d market.ProductDraft) (market.Product, error) {
	p := market.Product{ID: s.nextID, CompanyID: company, CompanyName: "Company", Name: d.Name, Description: d.Description, Price: d.Price, Active: d.Active, Version: 1}
	s.nextID++
	s.products[p.ID] = p
	return p, nil
}

func (s *fuzzProducts) Replace(ctx context.Context, company, id, version int64, d market.ProductDraft) (market.Product, error) {
	p, err := s.CompanyProduct(ctx, company, id)
	if err != nil {
		return market.Product{}, err
	}
	if p.Version != version {
		return market.Product{}, market.Errorf(market.CodePreconditionFailed, "product %d is at version %d", id, p.Version)
	}
	p.Name, p.Description, p.Price, p.Active, p.Version = d.Name, d.Description, d.Price, d.Active, p.Version+1
	s.products[id] = p
	return p, nil
}

func (s *fuzzProducts) Archive(ctx context.Context, company, id, version int64) (market.Product, error) {
	p, err := s.CompanyProduct(ctx, company, id)
	if err != nil {
		return market.Product{}, err
	}
	if version != 0 && p.Version != version {
		return market.Product{}, market.Errorf(market.CodePreconditionFailed, "product %d is at version %d", id, p.Version)
	}
	p.Active, p.Version = false, p.Version+1
	s.products[id] = p
	return p, nil
}

// fuzzOrders stores orders priced as the MySQL store prices them. The
// sweep's methods are never called by an API route: the embedded
// interface makes such a call a nil-pointer panic, which the fuzz target
// would report as a 500.
type fuzzOrders struct {
	market.OrderStore
	products *fuzzProducts
	orders   map[string]market.Order
	keys     map[string][2]string // key hash → request hash, order id
	world    *fuzzFulfilment
}

func (s *fuzzOrders) Place(ctx context.Context, o market.NewOrder) (market.Order, bool, error) {
	if prior, ok := s.keys[o.KeyHash]; ok {
		if prior[0] != o.RequestHash {
			return market.Order{}, false, market.Errorf(market.CodeConflict, "the Idempotency-Key was used with another request")
		}
		return s.orders[prior[1]], true, nil
	}
	products, _ := s.products.ProductsByID(ctx, itemIDs(o.Request.Items))
	q, err := market.Price(o.Currency, o.Request.Items, products)
	if err != nil {
		return market.Order{}, false, err
	}
	order := market.OrderFromQuote(o, q)
	s.orders[o.ID] = order
	s.keys[o.KeyHash] = [2]string{o.RequestHash, o.ID}
	return order, false, nil
}

func itemIDs(items []market.Item) []int64 {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ProductID
	}
	return ids
}

func (s *fuzzOrders) Order(_ context.Context, id string) (market.Order, error) {
	o, ok := s.orders[id]
	if !ok {
		return market.Order{}, market.Errorf(market.CodeNotFound, "no such order")
	}
	if f, ok := s.world.byOrder(id); ok {
		o.Status = f.status
	}
	return o, nil
}

// fuzzFulfilment holds the lifecycle of the one known order.
type fuzzFulfilment struct {
	orders map[string]*fuzzLifecycle // by delivery id
}

type fuzzLifecycle struct {
	orderID, status string
	carrier         int64
	ready           bool
}

func (s *fuzzFulfilment) byOrder(orderID string) (*fuzzLifecycle, bool) {
	o, ok := s.orders[market.DeliveryID(orderID)]
	return o, ok
}

func (s *fuzzFulfilment) find(m market.Move) (string, *fuzzLifecycle, error) {
	id := m.DeliveryID
	if m.OrderID != "" {
		id = market.DeliveryID(m.OrderID)
	}
	o, ok := s.orders[id]
	if !ok {
		return "", nil, market.Errorf(market.CodeNotFound, "no such order")
	}
	return id, o, nil
}

func (s *fuzzFulfilment) Move(_ context.Context, m market.Move) (market.Moved, error) {
	id, o, err := s.find(m)
	if err != nil {
		return market.Moved{}, err
	}
	t, ok := market.TransitionFor(m.Action, m.Actor.Kind)
	if !ok {
		return market.Moved{}, market.Errorf(market.CodeNotFound, "no such order")
	}
	switch m.Actor.Kind {
	case market.ActorCompany:
		if m.Actor.ID != fuzzCompanyID {
			return market.Moved{}, market.Errorf(market.CodeNotFound, "no such order")
		}
	case market.ActorCarrier:
		if m.Action != market.ActionClaim && o.carrier != m.HeldBy() {
			return market.Moved{}, market.Errorf(market.CodeNotFound, "no such order")
		}
	}
	if !t.Allows(o.status) {
		return market.Moved{}, market.ConflictError(m.Action, o.status)
	}
	if m.Action == market.ActionPickUp && !o.ready {
		return market.Moved{}, market.NotReadyError()
	}
	moved := market.Moved{OrderID: o.orderID, DeliveryID: id, Reference: market.OrderReference(o.orderID), From: o.status, To: t.To, CarrierID: o.carrier}
	o.status = t.To
	switch m.Action {
	case market.ActionClaim:
		o.carrier = m.Actor.ID
	case market.ActionRelease:
		o.carrier = 0
	}
	return moved, nil
}

func (s *fuzzFulfilment) companyOrder(company int64, id string) (market.CompanyOrder, error) {
	o, ok := s.orders[id]
	if !ok || company != fuzzCompanyID {
		return market.CompanyOrder{}, market.Errorf(market.CodeNotFound, "no such order")
	}
	state := market.PartNew
	if o.ready {
		state = market.PartReady
	}
	return market.CompanyOrder{DeliveryID: id, Reference: market.OrderReference(o.orderID), Status: o.status, PartState: state,
		Area: "Lisboa", Lines: []market.PartLine{{ProductID: 1, Name: "Sourdough loaf", Quantity: 2, UnitPrice: market.MustMoney("6.50"), LineTotal: market.MustMoney("13.00")}},
		ItemCount: 2, Total: market.MustMoney("13.00"), Currency: fuzzOrderCurrency}, nil
}

func (s *fuzzFulfilment) MarkReady(_ context.Context, company int64, id string, _ time.Time) (market.CompanyOrder, error) {
	co, err := s.companyOrder(company, id)
	if err != nil {
		return co, err
	}
	if o := s.orders[id]; o.status != market.OrderPlaced && o.status != market.OrderAccepted {
		return market.CompanyOrder{}, market.ConflictError("ready", o.status)
	}
	s.orders[id].ready = true
	return s.companyOrder(company, id)
}

func (s *fuzzFulfilment) carrierOrder(carrier int64, id string, details bool) (market.CarrierOrder, bool) {
	o, ok := s.orders[id]
	if !ok || (o.status != market.OrderPlaced && o.carrier != carrier) {
		return market.CarrierOrder{}, false
	}
	co := market.CarrierOrder{DeliveryID: id, Reference: market.OrderReference(o.orderID), Status: o.status, Mine: o.carrier == carrier,
		Area: "Lisboa", ItemCount: 2, Total: market.MustMoney("13.00"), Currency: fuzzOrderCurrency,
		Pickups: []market.CarrierPickup{{CompanyID: fuzzCompanyID, CompanyName: "Padaria Sol", State: market.PartNew, ItemCount: 2}}}
	if details && market.DetailsVisible(o.status, co.Mine, nil, time.Now()) {
		co.Details = &market.DeliveryDetails{Customer: market.Customer{Name: "Ana", Phone: "+5511987654321", Address: "Rua A, Lisboa"}}
	}
	return co, true
}

func (s *fuzzFulfilment) CarrierOrders(_ context.Context, carrier int64, view string, page market.OrderListPage) ([]market.CarrierOrder, error) {
	var out []market.CarrierOrder
	for id, o := range s.orders {
		wanted := (view == market.ViewAvailable && o.status == market.OrderPlaced) || (view == market.ViewMine && o.carrier == carrier && o.status != market.OrderDelivered)
		if co, ok := s.carrierOrder(carrier, id, false); ok && wanted && id > page.After && len(out) < page.Limit {
			out = append(out, co)
		}
	}
	return out, nil
}

func (s *fuzzFulfilment) CarrierOrder(_ context.Context, carrier int64, id string, _ time.Time) (market.CarrierOrder, error) {
	co, ok := s.carrierOrder(carrier, id, true)
	if !ok {
		return market.CarrierOrder{}, market.Errorf(market.CodeNotFound, "no such order")
	}
	return co, nil
}

func (s *fuzzFulfilment) CompanyOrders(_ context.Context, company int64, status string, page market.OrderListPage) ([]market.CompanyOrder, error) {
	var out []market.CompanyOrder
	for id, o := range s.orders {
		if co, err := s.companyOrder(company, id); err == nil && (status == "" || status == o.status) && id > page.After && len(out) < page.Limit {
			out = append(out, co)
		}
	}
	return out, nil
}

func (s *fuzzFulfilment) CompanyOrder(_ context.Context, company int64, id string) (market.CompanyOrder, error) {
	return s.companyOrder(company, id)
}

func (s *fuzzFulfilment) Timeline(context.Context, string) ([]market.TimelineEntry, error) {
	return []market.TimelineEntry{{Step: market.StepPlaced, Status: market.OrderPlaced, At: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}}, nil
}

func (s *fuzzFulfilment) CarrierPhone(_ context.Context, carrier int64) (string, error) {
	return "+3519120" + strconv.FormatInt(10000+carrier%10000, 10), nil
}

// fuzzProfiles are the companies' pickup details.
type fuzzProfiles struct {
	profiles map[int64]market.CompanyProfile
}

func (s *fuzzProfiles) Profile(_ context.Context, company int64) (market.CompanyProfile, error) {
	p, ok := s.profiles[company]
	if !ok {
		return market.CompanyProfile{}, market.Errorf(market.CodeNotFound, "no such company")
	}
	return p, nil
}

func (s *fuzzProfiles) ReplaceProfile(ctx context.Context, company, version int64, d market.ProfileDraft) (market.CompanyProfile, error) {
	p, err := s.Profile(ctx, company)
	if err != nil {
		return p, err
	}
	if p.Version != version {
		return market.CompanyProfile{}, market.Errorf(market.CodePreconditionFailed, "the profile is at version %d", p.Version)
	}
	if err := d.PhoneRefusal(p); err != nil {
		return market.CompanyProfile{}, err
	}
	p.Address, p.Version = d.Address, p.Version+1
	s.profiles[company] = p
	return p, nil
}

func (s *fuzzProfiles) CompanyByPhone(_ context.Context, phone string) (int64, error) {
	for id, p := range s.profiles {
		if p.Phone == phone {
			return id, nil
		}
	}
	return 0, market.Errorf(market.CodeNotFound, "no company with that phone")
}

// fuzzSignIns knows one carrier and one company phone, each with the live
// code fuzzSignInCode.
type fuzzSignIns struct {
	next int64
}

func (s *fuzzSignIns) subject(kind market.SignInKind, phone string) (market.SignInSubject, bool) {
	switch {
	case kind == market.SignInCarrier && phone == fuzzCarrierPhone:
		return market.SignInSubject{ID: fuzzCarrierID, Name: "Rui"}, true
	case kind == market.SignInCompany && phone == fuzzCompanyPhone:
		return market.SignInSubject{ID: fuzzCompanyID, Name: "Padaria Sol"}, true
	}
	return market.SignInSubject{}, false
}

func (s *fuzzSignIns) SignInSubject(_ context.Context, kind market.SignInKind, phone string) (market.SignInSubject, error) {
	if subject, ok := s.subject(kind, phone); ok {
		return subject, nil
	}
	return market.SignInSubject{}, market.Errorf(market.CodeNotFound, "no such account")
}

func (s *fuzzSignIns) AddCode(context.Context, market.SignInCode, time.Time) (int64, []time.Time, error) {
	s.next++
	return s.next, nil, nil
}

func (s *fuzzSignIns) RemoveCode(context.Context, int64) error          { return nil }
func (s *fuzzSignIns) PruneCodes(context.Context, time.Time, int) error { return nil }
func (s *fuzzSignIns) CountAttempt(context.Context, int64, int, time.Time) (bool, error) {
	return true, nil
}
func (s *fuzzSignIns) UseCode(context.Context, int64, time.Time) (bool, error) { return true, nil }

func (s *fuzzSignIns) LiveCodes(ctx context.Context, kind market.SignInKind, phone string, now time.Time, _ int) ([]market.SignInCode, error) {
	c, err := s.NewestCode(ctx, kind, phone, now)
	if market.ErrorCode(err) == market.CodeNotFound {
		return nil, nil
	}
	return []market.SignInCode{c}, err
}

func (s *fuzzSignIns) NewestCode(_ context.Context, kind market.SignInKind, phone string, now time.Time) (market.SignInCode, error) {
	subject, ok := s.subject(kind, phone)
	if !ok {
		return market.SignInCode{}, market.Errorf(market.CodeNotFound, "no live code")
	}
	salt, _ := hex.DecodeString(fuzzSignInSalt)
	mac := hmac.New(sha256.New, salt)
	mac.Write([]byte(fuzzSignInCode))
	hash, saltHex := hex.EncodeToString(mac.Sum(nil)), fuzzSignInSalt
	return market.SignInCode{ID: 1, Kind: kind, Phone: phone, SubjectID: &subject.ID, Hash: &hash, Salt: &saltHex,
		CreatedAt: now.Add(-time.Minute), ExpiresAt: now.Add(fuzzCodeTTL)}, nil
}

// fuzzTexts records the SMS sent to one phone.
type fuzzTexts struct {
	sent []string
}

func (s *fuzzTexts) SendText(_ context.Context, _, text string) error {
	s.sent = append(s.sent, text)
	return nil
}
