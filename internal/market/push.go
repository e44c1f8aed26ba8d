package market

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Limits of an offer's push message. Push services accept 4 KB of
// encrypted payload, and the message is padded to its record; a bound
// well below it keeps any notice, whoever built it, from being refused.
const (
	MaxPushPayload = 1024
	// pushPickupBudget is how much of the body the pickup list may take:
	// a phone shows a few lines of a notification.
	pushPickupBudget = 120
)

// PushMessage is an offer as a Web Push message, which the carrier
// page's service worker shows as a notification: tag, the delivery id,
// makes a newer notification of the same order replace the older one.
type PushMessage struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	URL   string `json:"url"`
	Tag   string `json:"tag"`
}

// PushPayload is the JSON of the offer's push message. It says exactly
// what the SMS says (the reference, the items and total, the pickup
// companies, the area, the claim link), reduced to the same characters,
// and never anything a customer typed besides the area. It is an error
// when the link is not a claim link, since a push that opens nothing is
// worse than the SMS that follows its failure.
func (n CarrierNotice) PushPayload() ([]byte, error) {
	_, id, ok := strings.Cut(n.Link, ClaimPath)
	if !ok || !ValidDeliveryID(id) || !(strings.HasPrefix(n.Link, "https://") || strings.HasPrefix(n.Link, "http://")) ||
		strings.IndexFunc(n.Link, func(r rune) bool { return !gsmSafe(r) || r == ' ' }) >= 0 {
		return nil, fmt.Errorf("carrier push: the link %q is not a claim link", n.Link)
	}
	items := "items"
	if n.ItemCount == 1 {
		items = "item"
	}
	area := gsmArea(n.Area, MaxAreaLength)
	if area == "" {
		area = "unknown"
	}
	body := fmt.Sprintf("%d %s.", n.ItemCount, items)
	if pickup := pickupList(n.Companies, pushPickupBudget); pickup != "" {
		body += " Pickup: " + pickup + "."
	}
	body += " Area: " + area
	m := PushMessage{
		Title: fmt.Sprintf("Order %s: %s %s", gsmText(n.Reference, orderRefLen), n.Total.StringFixed(2), gsmText(n.Currency, 3)),
		Body:  body,
		URL:   n.Link,
		Tag:   id,
	}
	payload, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("carrier push: %w", err)
	}
	if len(payload) > MaxPushPayload {
		return nil, fmt.Errorf("carrier push: %d bytes, more than %d", len(payload), MaxPushPayload)
	}
	return payload, nil
}
