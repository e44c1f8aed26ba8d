package localrun

import (
	"context"
	"fmt"
	"io"

	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/notify"
)

// smsConsole is SNS for the runner: the outbox keeps each SMS (for
// /_local/sms and the tests) and the console shows it as it is sent. A
// carrier SMS is printed whole, with its order's reference rather than its
// id (the id is the shopper's key). A text to one phone (a sign-in code)
// is printed with the number masked and, while the outbox page is served,
// without its text, as a log would show it; with the page hidden the
// console is the only place its code reaches, and the runner's own
// terminal is read by whoever started it and by nobody over the network.
type smsConsole struct {
	outbox *notify.Outbox
	// out is nil for a silent console.
	out       io.Writer
	showTexts bool
}

var (
	_ notify.Publisher  = smsConsole{}
	_ market.TextSender = smsConsole{}
)

func newSMSConsole(outbox *notify.Outbox, out io.Writer, showTexts bool) smsConsole {
	if out != nil {
		out = redactingWriter{out}
	}
	return smsConsole{outbox: outbox, out: out, showTexts: showTexts}
}

// Publish keeps m in the outbox and prints it.
func (c smsConsole) Publish(ctx context.Context, m notify.SMS) (string, error) {
	id, err := c.outbox.Publish(ctx, m)
	if err != nil || c.out == nil {
		return id, err
	}
	switch {
	case m.PhoneNumber == "":
		fmt.Fprintf(c.out, "SMS to carriers (order %s): %s\n", market.OrderReference(m.OrderID), m.Message)
	case c.showTexts:
		fmt.Fprintf(c.out, "SMS to %s: %s\n", notify.MaskPhone(m.PhoneNumber), m.Message)
	default:
		fmt.Fprintf(c.out, "SMS to %s (text at /_local/sms)\n", notify.MaskPhone(m.PhoneNumber))
	}
	return id, nil
}

// SendText keeps and prints an SMS to phone alone.
func (c smsConsole) SendText(ctx context.Context, phone, text string) error {
	_, err := c.Publish(ctx, notify.SMS{PhoneNumber: phone, Message: text})
	return err
}
