package app_test

import (
	"context"
	"sync"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// fuzzPushSubscription is a phone's subscription as the carrier page
// posts it (the RFC 8291 example's keys).
const fuzzPushSubscription = `{"endpoint":"https://fcm.googleapis.com/fcm/send/fuzz","expirationTime":null,` +
	`"keys":{"p256dh":"BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4","auth":"BTBZMqHH6r4Tts7J_aSIgg"}}`

func fuzzVAPIDKey(context.Context) (string, error) {
	return "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8", nil
}

// fuzzPush keeps push subscriptions in memory.
type fuzzPush struct {
	mu   sync.Mutex
	subs map[int64]market.PushSubscription
}

func newFuzzPush() *fuzzPush { return &fuzzPush{subs: map[int64]market.PushSubscription{}} }

func (p *fuzzPush) Save(_ context.Context, carrier int64, sub market.PushSubscription, _ time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.subs[carrier] = sub
	return nil
}

func (p *fuzzPush) Delete(_ context.Context, carrier int64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.subs, carrier)
	return nil
}

func (p *fuzzPush) Subscribed(_ context.Context, carrier int64) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.subs[carrier]
	return ok, nil
}
