package mysql_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// Actors of the fulfilment fixture: two companies with products in every
// order, a third with none, and carriers 1 and 2.
var (
	rui     = market.Actor{Kind: market.ActorCarrier, ID: 1}
	marta   = market.Actor{Kind: market.ActorCarrier, ID: 2}
	padaria = market.Actor{Kind: market.ActorCompany, ID: 1}
	green   = market.Actor{Kind: market.ActorCompany, ID: 2}
	nonna   = market.Actor{Kind: market.ActorCompany, ID: 3}
	shopper = market.Actor{Kind: market.ActorShopper}
)

type fulfilmentFixture struct {
	db      *sqlx.DB
	orders  *mysql.OrderStore
	store   *mysql.FulfilmentStore
	texts   *recordedTexts
	service market.Fulfilment
}

// recordedTexts is a market.TextSender that keeps what it was asked to send.
type recordedTexts struct {
	mu   sync.Mutex
	sent []string // "phone: text"
}

func (r *recordedTexts) SendText(_ context.Context, phone, text string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, phone+": "+text)
	return nil
}

func (r *recordedTexts) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.sent...)
}

func newFulfilmentFixture(t *testing.T) *fulfilmentFixture {
	t.Helper()
	db := dbtest.MustOpenDB(t)
	for _, q := range []string{
		`INSERT INTO companies (id, name, address, phone) VALUES (1, 'Padaria Sol', 'Rua do Pão 1, Lisboa', '+351210000001')`,
		`INSERT INTO companies (id, name, address, phone) VALUES (2, 'Green Basket', 'Rua Verde 2, Lisboa', '+351210000002')`,
		`INSERT INTO companies (id, name) VALUES (3, 'Casa Nonna')`,
		`INSERT INTO products (id, company_id, name, price) VALUES (1, 1, 'Sourdough loaf', 6.50)`,
		`INSERT INTO products (id, company_id, name, price) VALUES (2, 2, 'Avocados (3)', 4.49)`,
		`INSERT INTO products (id, company_id, name, price) VALUES (3, 3, 'Tiramisu', 6.90)`,
		`INSERT INTO carriers (id, name, phone) VALUES (1, 'Rui Costa', '+351910000001')`,
		`INSERT INTO carriers (id, name, phone) VALUES (2, 'Marta Lima', '+351910000002')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	store := mysql.NewFulfilmentStore(db)
	texts := &recordedTexts{}
	return &fulfilmentFixture{
		db: db, orders: mysql.NewOrderStore(db), store: store, texts: texts,
		service: market.Fulfilment{Store: store, Texts: texts},
	}
}

// place stores an order with lines of companies 1 and 2 and returns it.
func (f *fulfilmentFixture) place(t *testing.T) market.Order {
	t.Helper()
	req := orderRequest(market.Item{ProductID: 1, Quantity: 2}, market.Item{ProductID: 2, Quantity: 1})
	req.Customer.Note = "Ring twice"
	o, _, err := f.orders.Place(context.Background(), newOrder(t, "key-"+randomSuffix(t), req))
	if err != nil {
		t.Fatalf("Place: %v", err)
	}
	return o
}

var suffixes struct {
	sync.Mutex
	n int
}

func randomSuffix(t *testing.T) string {
	t.Helper()
	suffixes.Lock()
	defer suffixes.Unlock()
	suffixes.n++
	return fmt.Sprintf("%s-%06d", strings.ReplaceAll(t.Name(), "/", "-"), suffixes.n)
}

func (f *fulfilmentFixture) move(o market.Order, action market.Action, actor market.Actor) error {
	m := market.Move{DeliveryID: o.DeliveryID, Action: action, Actor: actor, At: time.Now(), Reason: ""}
	if actor.Kind == market.ActorShopper {
		m = market.Move{OrderID: o.ID, Action: action, Actor: actor, At: time.Now()}
	}
	if actor.Kind == market.ActorCompany && action == market.ActionCancel {
		m.Reason = "Out of flour"
	}
	_, err := f.store.Move(context.Background(), m)
	return err
}

func (f *fulfilmentFixture) mustMove(t *testing.T, o market.Order, action market.Action, actor market.Actor) {
	t.Helper()
	if err := f.move(o, action, actor); err != nil {
		t.Fatalf("%s by %s %d: %v", action, actor.Kind, actor.ID, err)
	}
}

func (f *fulfilmentFixture) status(t *testing.T, o market.Order) string {
	t.Helper()
	var status string
	if err := f.db.Get(&status, `SELECT status FROM orders WHERE id = ?`, o.ID); err != nil {
		t.Fatal(err)
	}
	return status
}

func (f *fulfilmentFixture) readyAll(t *testing.T, o market.Order) {
	t.Helper()
	for _, c := range []market.Actor{padaria, green} {
		if _, err := f.store.MarkReady(context.Background(), c.ID, o.DeliveryID, time.Now()); err != nil {
			t.Fatalf("MarkReady(%d): %v", c.ID, err)
		}
	}
}

// orderIn returns an order brought to status by legal moves.
func (f *fulfilmentFixture) orderIn(t *testing.T, status string) market.Order {
	t.Helper()
	o := f.place(t)
	switch status {
	case market.OrderAccepted:
		f.mustMove(t, o, market.ActionClaim, rui)
	case market.OrderPickedUp, market.OrderDelivered:
		f.mustMove(t, o, market.ActionClaim, rui)
		f.readyAll(t, o)
		f.mustMove(t, o, market.ActionPickUp, rui)
		if status == market.OrderDelivered {
			f.mustMove(t, o, market.ActionDeliver, rui)
		}
	case market.OrderCancelled:
		f.mustMove(t, o, market.ActionCancel, shopper)
	}
	if got := f.status(t, o); got != status {
		t.Fatalf("fixture order is %s, want %s", got, status)
	}
	return o
}

func TestLifecycleHappyPath(t *testing.T) {
	t.Parallel()
	f := newFulfilmentFixture(t)
	ctx := context.Background()
	o := f.place(t)
	f.mustMove(t, o, market.ActionClaim, rui)
	f.readyAll(t, o)
	f.mustMove(t, o, market.ActionPickUp, rui)
	f.mustMove(t, o, market.ActionDeliver, rui)

	got, err := f.orders.Order(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != market.OrderDelivered || *got.Cancellable {
		t.Errorf("Order = %s, cancellable %v; want delivered, not cancellable", got.Status, *got.Cancellable)
	}
	var steps []string
	for _, e := range got.Timeline {
		step := e.Step + ">" + e.Status
		if e.CarrierName != "" {
			step += " " + e.CarrierName
		}
		if e.CompanyName != "" {
			step += " " + e.CompanyName
		}
		steps = append(steps, step)
	}
	want := "placed>placed|accepted>accepted Rui Costa|ready>accepted Padaria Sol|ready>accepted Green Basket|" +
		"picked_up>picked_up Rui Costa|delivered>delivered Rui Costa"
	if strings.Join(steps, "|") != want {
		t.Errorf("timeline = %s\nwant       %s", strings.Join(steps, "|"), want)
	}
	var history []struct {
		Kind string  `db:"actor_kind"`
		ID   *int64  `db:"actor_id"`
		From *string `db:"from_status"`
		To   string  `db:"to_status"`
	}
	if err := f.db.Select(&history, `SELECT actor_kind, actor_id, from_status, to_status FROM order_history WHERE order_id = ? ORDER BY id`, o.ID); err != nil {
		t.Fatal(err)
	}
	if len(history) != 6 || history[1].Kind != "carrier" || *history[1].ID != 1 || *history[1].From != "placed" || history[1].To != "accepted" {
		t.Errorf("history rows = %+v", history)
	}
}

// Every action by every kind of actor from every status: the legal ones
// succeed, the others are 409 with the current status (or 404 where the
// order is not the actor's), and change nothing.
func TestTransitions(t *testing.T) {
	t.Parallel()
	f := newFulfilmentFixture(t)
	statuses := []string{market.OrderPlaced, market.OrderAccepted, market.OrderPickedUp, market.OrderDelivered, market.OrderCancelled}
	moves := []struct {
		action market.Action
		actor  market.Actor
		legal  map[string]bool
	}{
		{market.ActionClaim, marta, map[string]bool{market.OrderPlaced: true}},
		{market.ActionRelease, rui, map[string]bool{market.OrderAccepted: true}},
		{market.ActionPickUp, rui, map[string]bool{market.OrderAccepted: true}},
		{market.ActionDeliver, rui, map[string]bool{market.OrderPickedUp: true}},
		{market.ActionCancel, shopper, map[string]bool{market.OrderPlaced: true}},
		{market.ActionCancel, padaria, map[string]bool{market.OrderPlaced: true, market.OrderAccepted: true}},
	}
	for _, status := range statuses {
		for _, m := range moves {
			t.Run(fmt.Sprintf("%s by %s from %s", m.action, m.actor.Kind, status), func(t *testing.T) {
				o := f.orderIn(t, status)
				if m.action == market.ActionPickUp && status == market.OrderAccepted {
					f.readyAll(t, o)
				}
				err := f.move(o, m.action, m.actor)
				after := f.status(t, o)
				if m.legal[status] {
					if err != nil {
						t.Fatalf("legal move failed: %v", err)
					}
					return
				}
				code := market.ErrorCode(err)
				// A carrier who does not hold an order (never accepted,
				// or released) is told it does not exist.
				notHeld := m.actor.Kind == market.ActorCarrier && m.action != market.ActionClaim &&
					(status == market.OrderPlaced || status == market.OrderCancelled)
				switch {
				case notHeld && code != market.CodeNotFound:
					t.Errorf("error = %v, want not_found", err)
				case !notHeld && code != market.CodeConflict:
					t.Errorf("error = %v, want conflict", err)
				case !notHeld:
					var me *market.Error
					if !asError(err, &me) || me.Details.(map[string]string)["status"] != status {
						t.Errorf("conflict details = %+v, want the status %s", me, status)
					}
				}
				if after != status {
					t.Errorf("status after a refused move = %s, want %s unchanged", after, status)
				}
			})
		}
	}
}

func TestNotYours(t *testing.T) {
	t.Parallel()
	f := newFulfilmentFixture(t)
	ctx := context.Background()
	o := f.orderIn(t, market.OrderAccepted) // held by rui
	for _, action := range []market.Action{market.ActionPickUp, market.ActionDeliver, market.ActionRelease} {
		if err := f.move(o, action, marta); market.ErrorCode(err) != market.CodeNotFound {
			t.Errorf("%s by another carrier = %v, want not_found", action, err)
		}
	}
	if _, err := f.store.CarrierOrder(ctx, marta.ID, o.DeliveryID, time.Now()); market.ErrorCode(err) != market.CodeNotFound {
		t.Errorf("CarrierOrder by another carrier = %v, want not_found", err)
	}
	if err := f.move(o, market.ActionCancel, nonna); market.ErrorCode(err) != market.CodeNotFound {
		t.Errorf("cancel by a company without lines = %v, want not_found", err)
	}
	if _, err := f.store.MarkReady(ctx, nonna.ID, o.DeliveryID, time.Now()); market.ErrorCode(err) != market.CodeNotFound {
		t.Errorf("MarkReady by a company without lines = %v, want not_found", err)
	}
	if _, err := f.store.CompanyOrder(ctx, nonna.ID, o.DeliveryID); market.ErrorCode(err) != market.CodeNotFound {
		t.Errorf("CompanyOrder by a company without lines = %v, want not_found", err)
	}
	list, err := f.store.CompanyOrders(ctx, nonna.ID, "", market.OrderListPage{Limit: 10})
	if err != nil || len(list) != 0 {
		t.Errorf("CompanyOrders of a company without lines = %v, %v; want none", list, err)
	}
	mine, err := f.store.CarrierOrders(ctx, marta.ID, market.ViewMine, market.OrderListPage{Limit: 10})
	if err != nil || len(mine) != 0 {
		t.Errorf("another carrier's mine = %v, %v; want none", mine, err)
	}
	if _, err := f.store.Move(ctx, market.Move{DeliveryID: market.DeliveryID("nope"), Action: market.ActionClaim, Actor: rui, At: time.Now()}); market.ErrorCode(err) != market.CodeNotFound {
		t.Errorf("claim of no order = %v, want not_found", err)
	}
	if f.status(t, o) != market.OrderAccepted {
		t.Error("refused moves changed the order")
	}
}

// Ten carriers claim one order at once: exactly one wins, the others get
// 409 with the order accepted, and the winner holds it.
func TestConcurrentClaim(t *testing.T) {
	t.Parallel()
	f := newFulfilmentFixture(t)
	for id := 3; id <= 10; id++ {
		if _, err := f.db.Exec(`INSERT INTO carriers (id, name, phone) VALUES (?, ?, ?)`, id, fmt.Sprintf("Carrier %d", id), fmt.Sprintf("+3519100000%02d", id)); err != nil {
			t.Fatal(err)
		}
	}
	o := f.place(t)
	var wg sync.WaitGroup
	errs := make([]error, 10)
	start := make(chan struct{})
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = f.move(o, market.ActionClaim, market.Actor{Kind: market.ActorCarrier, ID: int64(i + 1)})
		}()
	}
	close(start)
	wg.Wait()
	winners := 0
	var winner int64
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
			winner = int64(i + 1)
		case market.ErrorCode(err) != market.CodeConflict:
			t.Errorf("carrier %d: %v, want conflict", i+1, err)
		}
	}
	if winners != 1 {
		t.Fatalf("%d carriers won the claim, want exactly 1 (errors %v)", winners, errs)
	}
	var holder int64
	if err := f.db.Get(&holder, `SELECT carrier_id FROM orders WHERE id = ?`, o.ID); err != nil || holder != winner {
		t.Errorf("holder = %d, %v; want the winner %d", holder, err, winner)
	}
	if n := countWhere(t, f.db, `SELECT COUNT(*) FROM order_history WHERE order_id = ? AND step = 'accepted'`, o.ID); n != 1 {
		t.Errorf("%d accepted history rows, want 1", n)
	}
}

func countWhere(t *testing.T, db *sqlx.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Get(&n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPickUpNeedsEveryPartReady(t *testing.T) {
	t.Parallel()
	f := newFulfilmentFixture(t)
	ctx := context.Background()
	o := f.orderIn(t, market.OrderAccepted)
	if _, err := f.store.MarkReady(ctx, padaria.ID, o.DeliveryID, time.Now()); err != nil {
		t.Fatal(err)
	}
	err := f.move(o, market.ActionPickUp, rui)
	var me *market.Error
	if !asError(err, &me) || me.Code != market.CodeConflict || me.Details.(map[string]string)["reason"] != "parts_not_ready" {
		t.Fatalf("pickup with one part new = %v, want conflict parts_not_ready", err)
	}
	part, err := f.store.MarkReady(ctx, green.ID, o.DeliveryID, time.Now())
	if err != nil || part.PartState != market.PartReady || part.ReadyAt == nil {
		t.Fatalf("MarkReady = %+v, %v", part, err)
	}
	if again, err := f.store.MarkReady(ctx, green.ID, o.DeliveryID, time.Now()); err != nil || again.PartState != market.PartReady {
		t.Errorf("MarkReady again = %+v, %v; want the same answer", again, err)
	}
	if n := countWhere(t, f.db, `SELECT COUNT(*) FROM order_history WHERE order_id = ? AND step = 'ready'`, o.ID); n != 2 {
		t.Errorf("%d ready history rows, want 2 (a repeat adds none)", n)
	}
	f.mustMove(t, o, market.ActionPickUp, rui)
	if _, err := f.store.MarkReady(ctx, padaria.ID, f.orderIn(t, market.OrderCancelled).DeliveryID, time.Now()); market.ErrorCode(err) != market.CodeConflict {
		t.Errorf("MarkReady on a cancelled order = %v, want conflict", err)
	}
}

// The delivery details: only the carrier holding the order, only while it
// is accepted or picked up and for 24 hours after delivery; never in a list.
func TestDeliveryDetailsVisibility(t *testing.T) {
	t.Parallel()
	f := newFulfilmentFixture(t)
	ctx := context.Background()
	o := f.place(t)
	now := time.Now()

	before, err := f.store.CarrierOrder(ctx, rui.ID, o.DeliveryID, now)
	if err != nil || before.Details != nil || before.Mine || before.Pickups[0].Address != "" || len(before.Pickups[0].Lines) != 0 {
		t.Fatalf("placed order = %+v, %v; want no details", before, err)
	}
	f.mustMove(t, o, market.ActionClaim, rui)
	held, err := f.store.CarrierOrder(ctx, rui.ID, o.DeliveryID, now)
	if err != nil || held.Details == nil {
		t.Fatalf("held order = %+v, %v; want details", held, err)
	}
	c := held.Details.Customer
	if c.Name != "Ana Silva" || c.Phone != "+351912345678" || c.Note != "Ring twice" || !strings.HasPrefix(c.Address, "Rua Augusta") {
		t.Errorf("customer = %+v", c)
	}
	if p := held.Pickups[0]; p.CompanyName != "Padaria Sol" || p.Phone != "+351210000001" || p.Address == "" || len(p.Lines) != 1 || p.Lines[0].Quantity != 2 {
		t.Errorf("pickup = %+v", p)
	}
	for _, view := range []string{market.ViewAvailable, market.ViewMine} {
		list, err := f.store.CarrierOrders(ctx, rui.ID, view, market.OrderListPage{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range list {
			if item.Details != nil || item.Pickups[0].Phone != "" || item.Pickups[0].Address != "" || item.Pickups[0].Lines != nil {
				t.Errorf("%s list item carries details: %+v", view, item)
			}
		}
	}
	f.readyAll(t, o)
	f.mustMove(t, o, market.ActionPickUp, rui)
	f.mustMove(t, o, market.ActionDeliver, rui)
	for _, tt := range []struct {
		name  string
		at    time.Time
		shown bool
	}{
		{"just delivered", now, true},
		{"23 hours later", now.Add(23 * time.Hour), true},
		{"25 hours later", now.Add(25 * time.Hour), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.store.CarrierOrder(ctx, rui.ID, o.DeliveryID, tt.at)
			if err != nil || (got.Details != nil) != tt.shown {
				t.Errorf("CarrierOrder = details %v, %v; want shown %v", got.Details != nil, err, tt.shown)
			}
		})
	}
}

func TestCarrierLists(t *testing.T) {
	t.Parallel()
	f := newFulfilmentFixture(t)
	ctx := context.Background()
	var placed []market.Order
	for range 3 {
		placed = append(placed, f.place(t))
	}
	f.mustMove(t, placed[1], market.ActionClaim, rui)

	page1, err := f.store.CarrierOrders(ctx, marta.ID, market.ViewAvailable, market.OrderListPage{Limit: 1})
	if err != nil || len(page1) != 1 || page1[0].DeliveryID != placed[0].DeliveryID {
		t.Fatalf("available page 1 = %+v, %v", page1, err)
	}
	page2, err := f.store.CarrierOrders(ctx, marta.ID, market.ViewAvailable, market.OrderListPage{After: page1[0].DeliveryID, Limit: 5})
	if err != nil || len(page2) != 1 || page2[0].DeliveryID != placed[2].DeliveryID {
		t.Fatalf("available page 2 = %+v, %v; want the third order only (the second is claimed)", page2, err)
	}
	if p := page2[0].Pickups; len(p) != 2 || p[0].CompanyName != "Padaria Sol" || p[0].ItemCount != 2 || p[1].State != market.PartNew {
		t.Errorf("pickups = %+v", p)
	}
	mine, err := f.store.CarrierOrders(ctx, rui.ID, market.ViewMine, market.OrderListPage{Limit: 5})
	if err != nil || len(mine) != 1 || !mine[0].Mine || mine[0].Status != market.OrderAccepted {
		t.Errorf("mine = %+v, %v", mine, err)
	}
	f.mustMove(t, placed[1], market.ActionRelease, rui)
	mine, _ = f.store.CarrierOrders(ctx, rui.ID, market.ViewMine, market.OrderListPage{Limit: 5})
	available, _ := f.store.CarrierOrders(ctx, marta.ID, market.ViewAvailable, market.OrderListPage{Limit: 5})
	if len(mine) != 0 || len(available) != 3 {
		t.Errorf("after release: mine %d, available %d; want 0 and 3", len(mine), len(available))
	}
	var due *time.Time
	if err := f.db.Get(&due, `SELECT offer_due_at FROM orders WHERE id = ?`, placed[1].ID); err != nil || due == nil {
		t.Errorf("a released order's offer_due_at = %v, %v; want it offered again", due, err)
	}
}

func TestCompanyOrders(t *testing.T) {
	t.Parallel()
	f := newFulfilmentFixture(t)
	ctx := context.Background()
	first, second := f.place(t), f.place(t)
	f.mustMove(t, second, market.ActionClaim, rui)

	list, err := f.store.CompanyOrders(ctx, green.ID, "", market.OrderListPage{Limit: 1})
	if err != nil || len(list) != 1 || list[0].DeliveryID != second.DeliveryID {
		t.Fatalf("newest first = %+v, %v", list, err)
	}
	o := list[0]
	if len(o.Lines) != 1 || o.Lines[0].Name != "Avocados (3)" || o.Total.String() != "4.49" || o.ItemCount != 1 ||
		o.PartState != market.PartNew || o.Status != market.OrderAccepted || o.Area != "Lisboa" {
		t.Errorf("company order = %+v; want only Green Basket's line", o)
	}
	next, err := f.store.CompanyOrders(ctx, green.ID, "", market.OrderListPage{After: o.DeliveryID, Limit: 5})
	if err != nil || len(next) != 1 || next[0].DeliveryID != first.DeliveryID {
		t.Errorf("page 2 = %+v, %v", next, err)
	}
	placedOnly, err := f.store.CompanyOrders(ctx, green.ID, market.OrderPlaced, market.OrderListPage{Limit: 5})
	if err != nil || len(placedOnly) != 1 || placedOnly[0].DeliveryID != first.DeliveryID {
		t.Errorf("status=placed = %+v, %v", placedOnly, err)
	}
}

// A company cancelling an order a carrier held tells that carrier by SMS,
// with the reference only; the shopper sees the reason in the timeline.
func TestCompanyCancelTellsCarrier(t *testing.T) {
	t.Parallel()
	f := newFulfilmentFixture(t)
	ctx := context.Background()
	unclaimed, held := f.place(t), f.orderIn(t, market.OrderAccepted)

	if _, err := f.service.CompanyCancel(ctx, padaria.ID, unclaimed.DeliveryID, "Out of flour"); err != nil {
		t.Fatal(err)
	}
	if sent := f.texts.all(); len(sent) != 0 {
		t.Errorf("cancelling an unclaimed order sent %q", sent)
	}
	got, err := f.service.CompanyCancel(ctx, padaria.ID, held.DeliveryID, "  Oven broke down  ")
	if err != nil || got.Status != market.OrderCancelled {
		t.Fatalf("CompanyCancel = %+v, %v", got, err)
	}
	want := "+351910000001: Order " + held.Reference + " was cancelled by the shop. Do not pick it up."
	if sent := f.texts.all(); len(sent) != 1 || sent[0] != want {
		t.Errorf("sent %q, want [%q]", sent, want)
	}
	order, err := f.orders.Order(ctx, held.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := order.Timeline[len(order.Timeline)-1]
	if last.Step != market.StepCancelled || last.Reason != "Oven broke down" || last.CompanyName != "Padaria Sol" {
		t.Errorf("last step = %+v", last)
	}
	for _, reason := range []string{"", "   ", strings.Repeat("x", 201), "bad\x00reason"} {
		if _, err := f.service.CompanyCancel(ctx, padaria.ID, f.place(t).DeliveryID, reason); market.ErrorCode(err) != market.CodeInvalid {
			t.Errorf("CompanyCancel(reason %q) = %v, want invalid_request", reason, err)
		}
	}
}

func TestShopperCancel(t *testing.T) {
	t.Parallel()
	f := newFulfilmentFixture(t)
	ctx := context.Background()
	o := f.place(t)
	if err := f.service.ShopperCancel(ctx, o.ID); err != nil {
		t.Fatal(err)
	}
	var next *time.Time
	if err := f.db.Get(&next, `SELECT notify_next_at FROM orders WHERE id = ?`, o.ID); err != nil || next != nil {
		t.Errorf("a cancelled order stays due for its SMS: %v, %v", next, err)
	}
	if err := f.service.ShopperCancel(ctx, o.ID); market.ErrorCode(err) != market.CodeConflict {
		t.Errorf("second cancel = %v, want conflict", err)
	}
	accepted := f.orderIn(t, market.OrderAccepted)
	if err := f.service.ShopperCancel(ctx, accepted.ID); market.ErrorCode(err) != market.CodeConflict {
		t.Errorf("cancel after acceptance = %v, want conflict", err)
	}
	if err := f.service.ShopperCancel(ctx, "not-an-order-id"); market.ErrorCode(err) != market.CodeNotFound {
		t.Errorf("cancel of junk = %v, want not_found", err)
	}
}

func TestProfiles(t *testing.T) {
	t.Parallel()
	f := newFulfilmentFixture(t)
	ctx := context.Background()
	store := mysql.NewProfileStore(f.db)
	p, err := store.Profile(ctx, 1)
	if err != nil || p.Name != "Padaria Sol" || p.Phone != "+351210000001" || p.Version != 1 {
		t.Fatalf("Profile = %+v, %v", p, err)
	}
	d := market.ProfileDraft{Address: "Rua Nova 5, Lisboa", Phone: "+351210000001"}
	updated, err := store.ReplaceProfile(ctx, 1, 1, d)
	if err != nil || updated.Version != 2 || updated.Address != d.Address {
		t.Fatalf("ReplaceProfile = %+v, %v", updated, err)
	}
	if _, err := store.ReplaceProfile(ctx, 1, 1, d); market.ErrorCode(err) != market.CodePreconditionFailed {
		t.Errorf("stale ReplaceProfile = %v, want version_mismatch", err)
	}
	// The phone moves only with codes (PhoneChange): another is refused.
	if _, err := store.ReplaceProfile(ctx, 2, 1, d); market.ErrorCode(err) != market.CodeInvalid {
		t.Errorf("ReplaceProfile with another phone = %v, want invalid_request", err)
	}
	if id, err := store.CompanyByPhone(ctx, "+351210000001"); err != nil || id != 1 {
		t.Errorf("CompanyByPhone = %d, %v", id, err)
	}
	if _, err := store.Profile(ctx, 99); market.ErrorCode(err) != market.CodeNotFound {
		t.Errorf("Profile(99) = %v, want not_found", err)
	}
}

// A carrier the operator removes gives back the orders it accepted; the
// ones it picked up are reported, since the goods are with it.
func TestReleaseCarrierOrders(t *testing.T) {
	t.Parallel()
	f := newFulfilmentFixture(t)
	ctx := context.Background()
	accepted1, accepted2 := f.orderIn(t, market.OrderAccepted), f.orderIn(t, market.OrderAccepted)
	pickedUp := f.orderIn(t, market.OrderPickedUp)
	others := f.place(t)
	f.mustMove(t, others, market.ActionClaim, marta)

	h, err := f.service.ReleaseCarrierOrders(ctx, rui.ID)
	if err != nil {
		t.Fatal(err)
	}
	if h.Released != 2 || len(h.StillHeld) != 1 || h.StillHeld[0] != pickedUp.Reference {
		t.Errorf("handover = %+v, want 2 released and %s still held", h, pickedUp.Reference)
	}
	for _, o := range []market.Order{accepted1, accepted2} {
		if got := f.status(t, o); got != market.OrderPlaced {
			t.Errorf("a released order is %s, want placed", got)
		}
		n := countWhere(t, f.db, `SELECT COUNT(*) FROM order_history WHERE order_id = ? AND step = 'released' AND actor_kind = 'system'`, o.ID)
		if n != 1 {
			t.Errorf("%d system release rows, want 1", n)
		}
	}
	if f.status(t, pickedUp) != market.OrderPickedUp || f.status(t, others) != market.OrderAccepted {
		t.Error("orders the removed carrier could not give back, or never held, moved")
	}
	if _, err := f.store.Move(ctx, market.Move{DeliveryID: others.DeliveryID, Action: market.ActionRelease,
		Actor: market.Actor{Kind: market.ActorSystem}, Holder: rui.ID, At: time.Now()}); market.ErrorCode(err) != market.CodeNotFound {
		t.Errorf("a system release naming the wrong carrier = %v, want not_found", err)
	}
}

// Where an order's delivery goes and starts, as placing an order with a
// location stores it: the customer at Rua Augusta, the route starting at
// the Padaria.
var (
	customerAt    = market.Location{Lat: 38.710012, Lng: -9.136789}
	routeStartsAt = market.Location{Lat: 38.7105, Lng: -9.1365}
	// About 9.9 km north of routeStartsAt in a straight line.
	carrierAt = market.Location{Lat: 38.8, Lng: -9.1365}
)

// placeDelivered stores an order as placing it with a location does: its
// fee, route length, first pickup and customer location set on the row.
func (f *fulfilmentFixture) placeDelivered(t *testing.T, fee string, km float64) market.Order {
	t.Helper()
	o := f.place(t)
	if _, err := f.db.Exec(`UPDATE orders SET delivery_fee = ?, delivery_km = ?, pickup_lat = ?, pickup_lng = ?,
    delivery_lat = ?, delivery_lng = ? WHERE id = ?`, fee, km, routeStartsAt.Lat, routeStartsAt.Lng,
		customerAt.Lat, customerAt.Lng, o.ID); err != nil {
		t.Fatal(err)
	}
	return o
}

// carrierOrderJSON is o as the carrier's page reads it.
func carrierOrderJSON(t *testing.T, o market.CarrierOrder) map[string]any {
	t.Helper()
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// Each order a carrier sees carries what the delivery pays and how long
// it is, and how far the carrier is from where it starts when the carrier
// said where they are; only the holder's details show where the customer
// is.
func TestCarrierViewsOfTheDelivery(t *testing.T) {
	t.Parallel()
	f := newFulfilmentFixture(t)
	ctx := context.Background()
	delivered := f.placeDelivered(t, "3.40", 4.75)
	plain := f.place(t) // placed without a location
	wantPickupKm := math.Round(market.DistanceKm(carrierAt, routeStartsAt)*10) / 10

	type want struct {
		fee        string
		distanceKm any // float64 or nil, as JSON decodes it
		pickupKm   any
	}
	check := func(t *testing.T, what string, o market.CarrierOrder, w want) {
		t.Helper()
		v := carrierOrderJSON(t, o)
		if v["deliveryFee"] != w.fee || v["distanceKm"] != w.distanceKm || v["pickupKm"] != w.pickupKm {
			t.Errorf("%s: deliveryFee, distanceKm, pickupKm = %v, %v, %v; want %v, %v, %v", what,
				v["deliveryFee"], v["distanceKm"], v["pickupKm"], w.fee, w.distanceKm, w.pickupKm)
		}
		if d, ok := v["details"].(map[string]any); ok {
			if c, _ := d["customer"].(map[string]any); c["location"] != nil {
				t.Errorf("%s: details.customer.location = %v outside the holder's view", what, c["location"])
			}
		}
	}
	byID := func(list []market.CarrierOrder, id string) market.CarrierOrder {
		t.Helper()
		for _, o := range list {
			if o.DeliveryID == id {
				return o
			}
		}
		t.Fatalf("order %s is not in the list", id)
		return market.CarrierOrder{}
	}

	t.Run("available list", func(t *testing.T) {
		for _, tt := range []struct {
			name     string
			position *market.Location
			pickupKm any
		}{
			{"with a position", &carrierAt, wantPickupKm},
			{"without", nil, nil},
		} {
			t.Run(tt.name, func(t *testing.T) {
				list, err := f.service.CarrierOrders(ctx, marta.ID, market.ViewAvailable, market.OrderListPage{Limit: 10}, tt.position)
				if err != nil {
					t.Fatal(err)
				}
				check(t, "the order with a delivery", byID(list, delivered.DeliveryID), want{"3.40", 4.75, tt.pickupKm})
				check(t, "the order without", byID(list, plain.DeliveryID), want{"0.00", nil, nil})
				for _, o := range list {
					if o.Details != nil {
						t.Errorf("a list item carries details: %+v", o)
					}
				}
			})
		}
	})
	t.Run("one placed order", func(t *testing.T) {
		o, err := f.service.CarrierOrder(ctx, marta.ID, delivered.DeliveryID, &carrierAt)
		if err != nil {
			t.Fatal(err)
		}
		check(t, "placed", o, want{"3.40", 4.75, wantPickupKm})
		if o.Details != nil {
			t.Errorf("a placed order shows details: %+v", o.Details)
		}
	})

	claimed, err := f.service.CarrierMove(ctx, rui.ID, delivered.DeliveryID, market.ActionClaim)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the claim's answer", func(t *testing.T) {
		if claimed.Details == nil || claimed.Details.Customer.Location == nil || *claimed.Details.Customer.Location != customerAt {
			t.Fatalf("claimed order's details = %+v, want the customer's location %v", claimed.Details, customerAt)
		}
		claimed.Details = nil
		check(t, "claimed", claimed, want{"3.40", 4.75, nil})
	})
	t.Run("the holder's view", func(t *testing.T) {
		o, err := f.service.CarrierOrder(ctx, rui.ID, delivered.DeliveryID, &carrierAt)
		if err != nil {
			t.Fatal(err)
		}
		if o.Details == nil || o.Details.Customer.Location == nil || *o.Details.Customer.Location != customerAt {
			t.Fatalf("holder's details = %+v, want the customer's location %v", o.Details, customerAt)
		}
		loc := carrierOrderJSON(t, o)["details"].(map[string]any)["customer"].(map[string]any)["location"]
		if l, _ := loc.(map[string]any); l["lat"] != customerAt.Lat || l["lng"] != customerAt.Lng {
			t.Errorf("details.customer.location = %v, want %v", loc, customerAt)
		}
		o.Details = nil
		check(t, "held", o, want{"3.40", 4.75, wantPickupKm})
	})
	t.Run("the holder's list", func(t *testing.T) {
		list, err := f.service.CarrierOrders(ctx, rui.ID, market.ViewMine, market.OrderListPage{Limit: 10}, nil)
		if err != nil {
			t.Fatal(err)
		}
		check(t, "mine", byID(list, delivered.DeliveryID), want{"3.40", 4.75, nil})
	})
	t.Run("another carrier", func(t *testing.T) {
		if _, err := f.service.CarrierOrder(ctx, marta.ID, delivered.DeliveryID, &carrierAt); market.ErrorCode(err) != market.CodeNotFound {
			t.Errorf("another carrier's view of a held order = %v, want not_found", err)
		}
	})
	t.Run("an order placed without a location", func(t *testing.T) {
		o, err := f.service.CarrierMove(ctx, rui.ID, plain.DeliveryID, market.ActionClaim)
		if err != nil {
			t.Fatal(err)
		}
		if o.Details == nil || o.Details.Customer.Location != nil {
			t.Fatalf("details = %+v, want them without a location", o.Details)
		}
		o.Details = nil
		check(t, "held, no delivery", o, want{"0.00", nil, nil})
	})
}
