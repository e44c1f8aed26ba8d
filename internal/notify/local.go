package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// LocalTopicARN is the topic the local runner pretends to publish to.
const LocalTopicARN = "arn:aws:sns:local:000000000000:delivery-carriers"

// LocalInvoker plays Lambda's asynchronous invocation in one process: it
// accepts the event at once, JSON-encoded as Lambda would carry it, runs
// the Carrier in a goroutine and reports the outcome as the destination
// record Lambda would send, through the same Dispatcher.Report. It does
// not repeat Lambda's two retries: a failure goes straight to the report,
// and the sweep retries.
type LocalInvoker struct {
	carrier *Carrier
	report  func(context.Context, DestinationRecord) error
	log     *slog.Logger
	wg      sync.WaitGroup
}

// Invoke queues e for the carrier.
func (l *LocalInvoker) Invoke(ctx context.Context, e OrderEvent) error {
	payload, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("local invoke: %w", err)
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		// Like Lambda, the invocation outlives the request that made it.
		ctx := context.WithoutCancel(ctx)
		var event OrderEvent
		record := DestinationRecord{Version: "1.0", Timestamp: time.Now().UTC().Format(time.RFC3339Nano), RequestPayload: payload}
		record.RequestContext.FunctionARN = "arn:aws:lambda:local:000000000000:function:notifycarrier:$LATEST"
		record.RequestContext.ApproximateInvokeCount = 1
		record.ResponseContext.StatusCode = http.StatusOK
		record.ResponseContext.ExecutedVersion = "$LATEST"
		var result any
		err := json.Unmarshal(payload, &event)
		if err == nil {
			result, err = l.carrier.Handle(ctx, event)
		}
		if err != nil {
			record.RequestContext.Condition = ConditionRetriesExhausted
			record.ResponseContext.FunctionError = "Unhandled"
			result = map[string]string{"errorMessage": err.Error()}
		} else {
			record.RequestContext.Condition = ConditionSuccess
		}
		record.ResponsePayload, _ = json.Marshal(result)
		if err := l.report(ctx, record); err != nil {
			l.log.ErrorContext(ctx, "local notify: report", "orderId", event.OrderID, "error", err)
		}
	}()
	return nil
}

// Wait blocks until every invocation made so far has finished.
func (l *LocalInvoker) Wait() { l.wg.Wait() }

// Carrier is the in-process notifycarrier, the runner's OfferSender: on
// AWS placeorder invokes it synchronously for each wave.
func (l *LocalInvoker) Carrier() *Carrier { return l.carrier }

// NewLocal returns a Dispatcher over store whose hand-offs run a Carrier
// in-process, publishing through p and pushing through push (nil: no
// push) with links to the site at siteURL, and the LocalInvoker that runs
// them.
func NewLocal(store market.OrderStore, p Publisher, push PushSender, siteURL string, logger *slog.Logger) (*Dispatcher, *LocalInvoker, error) {
	if logger == nil {
		logger = slog.Default()
	}
	carrier, err := NewCarrier(p, push, LocalTopicARN, siteURL, logger)
	if err != nil {
		return nil, nil, err
	}
	inv := &LocalInvoker{carrier: carrier, log: logger}
	d := NewDispatcher(store, inv, logger)
	inv.report = d.Report
	return d, inv, nil
}

// RunSweeps runs d.Sweep every interval until ctx ends, as the schedule
// does on AWS.
func RunSweeps(ctx context.Context, d *Dispatcher, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := d.Sweep(ctx); err != nil && ctx.Err() == nil {
				d.log.ErrorContext(ctx, "local notify: sweep", "error", err)
			}
		}
	}
}

// OutboxMessage is one SMS in the local outbox: to the carriers' topic
// (TopicARN, with the order's id) or to one phone (PhoneNumber).
type OutboxMessage struct {
	TopicARN    string    `json:"topicArn,omitempty"`
	PhoneNumber string    `json:"phoneNumber,omitempty"`
	Message     string    `json:"message"`
	OrderID     string    `json:"orderId,omitempty"`
	SentAt      time.Time `json:"sentAt"`
}

// Outbox stands in for SNS locally: it keeps every SMS, prints it, and
// lists them over HTTP, so that a developer sees exactly what carriers
// would receive. An SMS to one phone (a sign-in code) is printed with the
// number masked and without its text, as a log would show it; its text is
// at GET /_local/sms.
type Outbox struct {
	out io.Writer

	mu       sync.Mutex
	messages []OutboxMessage
	fail     error
}

var (
	_ Publisher         = (*Outbox)(nil)
	_ market.TextSender = (*Outbox)(nil)
)

// NewOutbox returns an outbox that prints each SMS to out (nil: silent).
func NewOutbox(out io.Writer) *Outbox { return &Outbox{out: out} }

// FailWith makes every Publish and SendText fail with err until called
// with nil; for tests of what happens when SNS is down.
func (o *Outbox) FailWith(err error) {
	o.mu.Lock()
	o.fail = err
	o.mu.Unlock()
}

// Publish keeps m.
func (o *Outbox) Publish(_ context.Context, m SMS) (string, error) {
	if err := m.Check(); err != nil {
		return "", err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fail != nil {
		return "", o.fail
	}
	msg := OutboxMessage{TopicARN: m.TopicARN, PhoneNumber: m.PhoneNumber, Message: m.Message, OrderID: m.OrderID, SentAt: time.Now().UTC()}
	o.messages = append(o.messages, msg)
	if o.out != nil {
		if m.PhoneNumber != "" {
			fmt.Fprintf(o.out, "SMS to %s (text at /_local/sms)\n", MaskPhone(m.PhoneNumber))
		} else {
			fmt.Fprintf(o.out, "SMS to carriers (order %s): %s\n", m.OrderID, m.Message)
		}
	}
	return "local-" + strconv.Itoa(len(o.messages)), nil
}

// SendText keeps an SMS to phone alone.
func (o *Outbox) SendText(ctx context.Context, phone, text string) error {
	_, err := o.Publish(ctx, SMS{PhoneNumber: phone, Message: text})
	return err
}

// Messages returns a copy of the SMS sent so far, oldest first.
func (o *Outbox) Messages() []OutboxMessage {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]OutboxMessage{}, o.messages...)
}

// ServeHTTP answers GET /_local/sms with {"messages": [...]}.
func (o *Outbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, `{"error":{"code":"method_not_allowed","message":"GET only"}}`, http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(struct {
		Messages []OutboxMessage `json:"messages"`
	}{o.Messages()})
}

// LocalTimer plays the waves' SQS delay queue in one process: each
// Schedule starts a timer that runs the wave in a goroutine when due,
// with a context of its own, as a message delivered later would.
type LocalTimer struct {
	run func(ctx context.Context, orderID string, wave int) error
	log *slog.Logger

	mu      sync.Mutex
	idle    *sync.Cond
	pending map[*time.Timer]bool // whether its wave is running or due
	running int
	stopped bool
}

var _ market.WaveTimer = (*LocalTimer)(nil)

// NewLocalTimer returns a timer that runs each wave with run, d.RunWave
// in the runner, and logs its failures to logger.
func NewLocalTimer(run func(ctx context.Context, orderID string, wave int) error, logger *slog.Logger) *LocalTimer {
	if logger == nil {
		logger = slog.Default()
	}
	t := &LocalTimer{run: run, log: logger, pending: map[*time.Timer]bool{}}
	t.idle = sync.NewCond(&t.mu)
	return t
}

// Schedule runs wave number wave of the order at at; at once if at has
// passed. After Stop it refuses, as a deleted queue would.
func (t *LocalTimer) Schedule(_ context.Context, orderID string, wave int, at time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return errors.New("local timer: stopped")
	}
	delay := time.Until(at)
	if delay <= 0 {
		// Due now: Wait waits for it from this moment on.
		t.running++
	}
	var timer *time.Timer
	timer = time.AfterFunc(max(delay, 0), func() {
		// Schedule holds the lock until timer is set.
		t.mu.Lock()
		if !t.pending[timer] {
			t.running++
		}
		delete(t.pending, timer)
		t.mu.Unlock()
		defer t.done()
		if err := t.run(context.Background(), orderID, wave); err != nil {
			t.log.Error("local notify: wave", "orderId", orderID, "wave", wave, "error", err)
		}
	})
	t.pending[timer] = delay <= 0
	return nil
}

func (t *LocalTimer) done() {
	t.mu.Lock()
	t.running--
	if t.running == 0 {
		t.idle.Broadcast()
	}
	t.mu.Unlock()
}

// Wait blocks until no wave is running or due: the waves due so far have
// run, and only later ones remain timed.
func (t *LocalTimer) Wait() {
	t.mu.Lock()
	for t.running > 0 {
		t.idle.Wait()
	}
	t.mu.Unlock()
}

// Stop cancels the waves not yet due, refuses new ones, and waits for
// those running. The sweep starts a cancelled wave once the runner
// starts again, as it does a lost SQS message.
func (t *LocalTimer) Stop() {
	t.mu.Lock()
	t.stopped = true
	for timer, due := range t.pending {
		if !due && timer.Stop() {
			delete(t.pending, timer)
		}
	}
	t.mu.Unlock()
	t.Wait()
}
