package localrun

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/deliverymarket/delivery/internal/market"
)

// An order id is the shopper's only key to the order: whoever reads it
// can follow and cancel the order. The runner's logs and console are
// read and pasted far more freely than its database, so nothing it writes
// holds one: each is replaced by the order's reference (the one-way short
// reference shoppers and carriers quote), which still ties the lines of
// one order together.

// redactedPrefix marks where an order id was.
const redactedPrefix = "order-ref:"

// WithoutOrderIDs returns a handler that hands h every record with each
// order id replaced by its reference: an attribute named orderId becomes
// orderRef, and an id inside any other text (a path, an error) becomes
// order-ref:<reference>. The runner logs through it; cmd/local hands it
// the server's own error log too.
func WithoutOrderIDs(h slog.Handler) slog.Handler {
	if r, ok := h.(redactingHandler); ok {
		return r
	}
	return redactingHandler{h}
}

type redactingHandler struct{ next slog.Handler }

func (r redactingHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return r.next.Enabled(ctx, level)
}

func (r redactingHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, redactText(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return r.next.Handle(ctx, out)
}

func (r redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = redactAttr(a)
	}
	return redactingHandler{r.next.WithAttrs(clean)}
}

func (r redactingHandler) WithGroup(name string) slog.Handler {
	return redactingHandler{r.next.WithGroup(name)}
}

// redactAttr is a with every order id in it replaced.
func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
		group := v.Group()
		clean := make([]any, len(group))
		for i, g := range group {
			clean[i] = redactAttr(g)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindString:
		if strings.EqualFold(a.Key, "orderId") && market.ValidOrderID(v.String()) {
			return slog.String("orderRef", market.OrderReference(v.String()))
		}
		return slog.String(a.Key, redactText(v.String()))
	case slog.KindAny:
		// Errors and Stringers are written as their text, which may quote
		// an id; other values (numbers, times) cannot hold one.
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, redactText(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, redactText(x.String()))
		case []byte:
			return slog.String(a.Key, redactText(string(x)))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// redactText replaces each order id in s: a run of letters and digits
// that has an order id's shape.
func redactText(s string) string {
	var b strings.Builder
	last, changed := 0, false
	for i := 0; i < len(s); {
		if !isWordByte(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isWordByte(s[j]) {
			j++
		}
		if market.ValidOrderID(s[i:j]) {
			b.WriteString(s[last:i])
			b.WriteString(redactedPrefix + market.OrderReference(s[i:j]))
			last, changed = j, true
		}
		i = j
	}
	if !changed {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// redactingWriter writes to w with every order id replaced, for text
// printed on the runner's console. Each Write is redacted on its own: the
// console's lines are each written whole.
type redactingWriter struct{ w io.Writer }

func (r redactingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, redactText(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
