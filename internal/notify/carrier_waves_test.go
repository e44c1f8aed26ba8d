package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/notify"
)

// fakePush is a push service: each endpoint answers as fail says (nil:
// delivered), and every push is kept.
type fakePush struct {
	mu     sync.Mutex
	fail   map[string]error
	pushes []fakePushed
}

type fakePushed struct {
	endpoint, topic string
	payload         []byte
}

func (p *fakePush) Send(_ context.Context, sub market.PushSubscription, topic string, payload []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pushes = append(p.pushes, fakePushed{sub.Endpoint, topic, payload})
	return p.fail[sub.Endpoint]
}

func (p *fakePush) sent() []fakePushed {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]fakePushed{}, p.pushes...)
}

// failingPhones is an SNS that refuses some numbers, as it does an
// opted-out phone, and keeps the others' SMS in an outbox.
type failingPhones struct {
	*notify.Outbox
	refuse map[string]bool
}

func (f failingPhones) Publish(ctx context.Context, m notify.SMS) (string, error) {
	if f.refuse[m.PhoneNumber] {
		return "", fmt.Errorf("sns publish: phone %s opted out", m.PhoneNumber)
	}
	return f.Outbox.Publish(ctx, m)
}

func subscription(name string) *market.PushSubscription {
	return &market.PushSubscription{Endpoint: "https://push.example/send/" + name, P256dh: "BCVxsr7N", Auth: "BTBZMqHH"}
}

func waveEvent(to ...notify.OfferTarget) notify.WaveEvent {
	return notify.WaveEvent{Kind: notify.WaveKind, Order: testEvent(), Wave: 2, To: to}
}

// TestSendOffers: push where the wave chose it, SMS where it chose SMS or
// the push failed; a subscription the push service says is gone is
// reported; each outcome in the event's order, logged without a phone or
// an endpoint.
func TestSendOffers(t *testing.T) {
	push := &fakePush{fail: map[string]error{
		subscription("gone").Endpoint:   fmt.Errorf("webpush: 410 Gone: %w", notify.ErrPushGone),
		subscription("broken").Endpoint: errors.New("webpush: 500 Internal Server Error"),
	}}
	outbox := notify.NewOutbox(nil)
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := notify.NewCarrier(failingPhones{outbox, map[string]bool{"+351910000006": true}}, push, notify.LocalTopicARN, testSite, logger)
	if err != nil {
		t.Fatal(err)
	}
	e := waveEvent(
		notify.OfferTarget{CarrierID: 1, Channel: market.ChannelPush, Phone: "+351910000001", Push: subscription("ok")},
		notify.OfferTarget{CarrierID: 2, Channel: market.ChannelPush, Phone: "+351910000002", Push: subscription("gone")},
		notify.OfferTarget{CarrierID: 3, Channel: market.ChannelPush, Phone: "+351910000003", Push: subscription("broken")},
		notify.OfferTarget{CarrierID: 4, Channel: market.ChannelSMS, Phone: "+351910000004"},
		notify.OfferTarget{CarrierID: 5, Channel: market.ChannelPush, Push: subscription("broken")},
		notify.OfferTarget{CarrierID: 6, Channel: market.ChannelSMS, Phone: "+351910000006"},
	)
	got, err := c.SendOffers(context.Background(), e)
	if err != nil {
		t.Fatalf("SendOffers: %v", err)
	}
	want := []market.OfferOutcome{
		{CarrierID: 1, Channel: market.ChannelPush, Sent: true},
		{CarrierID: 2, Channel: market.ChannelSMS, Sent: true, PushGone: true},
		{CarrierID: 3, Channel: market.ChannelSMS, Sent: true},
		{CarrierID: 4, Channel: market.ChannelSMS, Sent: true},
		{CarrierID: 5, Channel: market.ChannelSMS}, // no phone to fall back on
		{CarrierID: 6, Channel: market.ChannelSMS}, // SNS refused it
	}
	if got.OrderID != e.Order.OrderID || got.Wave != e.Wave || fmt.Sprint(got.Outcomes) != fmt.Sprint(want) {
		t.Errorf("SendOffers = %+v\nwant outcomes %+v", got, want)
	}

	pushes := push.sent()
	if len(pushes) != 4 {
		t.Fatalf("pushes = %d, want 4 (one per push target)", len(pushes))
	}
	var m market.PushMessage
	if err := json.Unmarshal(pushes[0].payload, &m); err != nil {
		t.Fatal(err)
	}
	wantURL := market.ClaimLink(testSite, e.Order.DeliveryID)
	for _, p := range pushes {
		if p.topic != e.Order.DeliveryID {
			t.Errorf("push topic = %q, want the delivery id %q", p.topic, e.Order.DeliveryID)
		}
	}
	if m.URL != wantURL || m.Tag != e.Order.DeliveryID || !strings.Contains(m.Title, e.Order.Reference) {
		t.Errorf("push message = %+v, want the claim link %s and the reference", m, wantURL)
	}

	sms := map[string]string{}
	for _, msg := range outbox.Messages() {
		if msg.TopicARN != "" {
			t.Errorf("an offer went to the topic: %+v", msg)
		}
		sms[msg.PhoneNumber] = msg.Message
	}
	wantSMS, _ := e.Order.Notice(testSite).SMS()
	for _, phone := range []string{"+351910000002", "+351910000003", "+351910000004"} {
		if sms[phone] != wantSMS {
			t.Errorf("SMS to %s = %q, want %q", phone, sms[phone], wantSMS)
		}
	}
	if len(sms) != 3 {
		t.Errorf("SMS sent to %d phones, want 3", len(sms))
	}

	for _, secret := range []string{"+351910000", "push.example", "/send/"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs hold %q:\n%s", secret, logs.String())
		}
	}
	for _, want := range []string{`"carrierId":2`, `"gone":true`, `"channel":"push"`, `"orderId":"` + e.Order.OrderID} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs.String())
		}
	}
}

// TestSendOffersWithoutPush: a Carrier without push (no VAPID key) texts
// every offer.
func TestSendOffersWithoutPush(t *testing.T) {
	outbox := notify.NewOutbox(nil)
	c, err := notify.NewCarrier(outbox, nil, notify.LocalTopicARN, testSite, quiet)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.SendOffers(context.Background(), waveEvent(
		notify.OfferTarget{CarrierID: 1, Channel: market.ChannelPush, Phone: "+351910000001", Push: subscription("ok")},
	))
	want := []market.OfferOutcome{{CarrierID: 1, Channel: market.ChannelSMS, Sent: true}}
	if err != nil || fmt.Sprint(got.Outcomes) != fmt.Sprint(want) {
		t.Errorf("SendOffers = %+v, %v, want %+v", got.Outcomes, err, want)
	}
	if n := len(outbox.Messages()); n != 1 {
		t.Errorf("SMS sent = %d, want 1", n)
	}
}

// TestSendOffersSuppressesDuplicates: the same wave to the same carrier
// is sent once (placeorder may repeat an invocation whose answer it lost);
// the next wave, or a carrier whose offer failed, is sent again.
func TestSendOffersSuppressesDuplicates(t *testing.T) {
	push := &fakePush{}
	outbox := notify.NewOutbox(nil)
	c, err := notify.NewCarrier(outbox, push, notify.LocalTopicARN, testSite, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e := waveEvent(
		notify.OfferTarget{CarrierID: 1, Channel: market.ChannelPush, Phone: "+351910000001", Push: subscription("ok")},
		notify.OfferTarget{CarrierID: 2, Channel: market.ChannelSMS, Phone: "+351910000002"},
	)
	outbox.FailWith(errors.New("sns down"))
	if r, _ := c.SendOffers(ctx, e); r.Outcomes[1].Sent {
		t.Fatalf("SendOffers with SNS down = %+v, want carrier 2 not sent", r.Outcomes)
	}
	outbox.FailWith(nil)
	for i := range 2 {
		r, err := c.SendOffers(ctx, e)
		if err != nil || !r.Outcomes[0].Sent || !r.Outcomes[1].Sent {
			t.Errorf("SendOffers #%d = %+v, %v, want both sent", i, r.Outcomes, err)
		}
	}
	next := e
	next.Wave = 3
	if _, err := c.SendOffers(ctx, next); err != nil {
		t.Fatal(err)
	}
	if p, s := len(push.sent()), len(outbox.Messages()); p != 2 || s != 2 {
		t.Errorf("pushes, SMS = %d, %d, want 2, 2: one each per wave", p, s)
	}
}

// blockingPush holds every push until released, counting how many wait
// at once.
type blockingPush struct {
	mu       sync.Mutex
	cond     *sync.Cond
	inFlight int
	most     int
	released bool
}

func (p *blockingPush) Send(context.Context, market.PushSubscription, string, []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inFlight++
	p.most = max(p.most, p.inFlight)
	p.cond.Broadcast()
	for !p.released {
		p.cond.Wait()
	}
	p.inFlight--
	return nil
}

// TestSendOffersBounded: a large wave is sent eight offers at a time, at
// once rather than one after another.
func TestSendOffersBounded(t *testing.T) {
	push := &blockingPush{}
	push.cond = sync.NewCond(&push.mu)
	c, err := notify.NewCarrier(notify.NewOutbox(nil), push, notify.LocalTopicARN, testSite, quiet)
	if err != nil {
		t.Fatal(err)
	}
	var to []notify.OfferTarget
	for i := range market.MaxWaveSize {
		to = append(to, notify.OfferTarget{CarrierID: int64(i + 1), Channel: market.ChannelPush, Phone: "+351910000001", Push: subscription(fmt.Sprint(i))})
	}
	done := make(chan notify.WaveResult)
	go func() {
		r, _ := c.SendOffers(context.Background(), waveEvent(to...))
		done <- r
	}()
	push.mu.Lock()
	for push.inFlight < 8 {
		push.cond.Wait()
	}
	push.released = true
	push.cond.Broadcast()
	push.mu.Unlock()
	r := <-done
	for _, o := range r.Outcomes {
		if !o.Sent || o.Channel != market.ChannelPush {
			t.Fatalf("outcome %+v, want pushed", o)
		}
	}
	if push.most > 8 {
		t.Errorf("pushes at once = %d, want at most 8", push.most)
	}
}

// TestHandleEventRoutesByShape: notifycarrier's one entry point sends a
// wave event's offers and publishes an order event to the topic.
func TestHandleEventRoutesByShape(t *testing.T) {
	outbox := notify.NewOutbox(nil)
	c, err := notify.NewCarrier(outbox, &fakePush{}, notify.LocalTopicARN, testSite, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	wave, _ := json.Marshal(waveEvent(notify.OfferTarget{CarrierID: 7, Channel: market.ChannelPush, Phone: "+351910000007", Push: subscription("ok")}))
	got, err := c.HandleEvent(ctx, wave)
	if r, ok := got.(notify.WaveResult); err != nil || !ok || len(r.Outcomes) != 1 || !r.Outcomes[0].Sent {
		t.Errorf("HandleEvent(wave) = %#v, %v, want a WaveResult with carrier 7 pushed", got, err)
	}
	order, _ := json.Marshal(testEvent())
	got, err = c.HandleEvent(ctx, order)
	if r, ok := got.(notify.Result); err != nil || !ok || r.MessageID == "" {
		t.Errorf("HandleEvent(order) = %#v, %v, want a topic SMS's Result", got, err)
	}
	if msgs := outbox.Messages(); len(msgs) != 1 || msgs[0].TopicARN != notify.LocalTopicARN {
		t.Errorf("outbox = %+v, want the order's one topic SMS", msgs)
	}
	for _, bad := range []string{`[]`, `{"kind":"wave"}`, `{"kind":"wave","to":"x"}`, `{}`} {
		if got, err := c.HandleEvent(ctx, json.RawMessage(bad)); err == nil {
			t.Errorf("HandleEvent(%s) = %#v, want it refused", bad, got)
		}
	}
}
