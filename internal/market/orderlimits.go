package market

import (
	"fmt"
	"strconv"
	"time"
)

// The kinds of rate-limited events of orders and carriers, each counted
// apart by RateLimiter.
const (
	ordersPerClientKind = "orders-client"
	ordersTotalKind     = "orders-total"
	carrierReleaseKind  = "carrier-releases"
)

// OpenOrdersRetryAfter is the wait a shopper is told when their phone has
// as many open orders as it may: no clock frees a slot, only one of those
// orders being delivered or cancelled (which the shopper can do at once for
// a placed one), so this is a fair time to look again, not a promise.
const OpenOrdersRetryAfter = 15 * time.Minute

// CheckOpenOrders decides whether a customer phone with open orders not
// yet delivered or cancelled may place one more under bound
// (Limits.OpenOrdersPerPhone; 0 is no bound). Over the bound it answers
// CodeThrottled with a message that names the limit, never the phone.
func CheckOpenOrders(open, bound int) error {
	if bound <= 0 || open < bound {
		return nil
	}
	return Throttled(OpenOrdersRetryAfter, fmt.Sprintf(
		"this phone number already has %d orders that are not yet delivered or cancelled, the most one phone may have at once: "+
			"place another once one of them is delivered or cancelled", bound))
}

// NextOffer is when an order already offered to the carriers offers times
// is offered once more, from on: nil once it has had bound offers
// (Limits.OffersPerOrder; 0 is no bound). After its last offer an order
// stays on the carriers' list of available orders, but no SMS announces it
// again, so that placing and releasing orders cannot text every carrier
// without end.
func NextOffer(offers, bound int, from time.Time) *time.Time {
	if bound > 0 && offers >= bound {
		return nil
	}
	return &from
}

// FirstOffer is the number of the offer that placing an order makes.
const FirstOffer = 1

// orderRefusals are the messages of the order rate limits: they say which
// limit, so that a shopper behind a shared address knows it is not them.
func ordersPerClientRefusal(l Limit) string {
	return fmt.Sprintf("too many orders from this address: at most %s", perWindow(l))
}

func ordersTotalRefusal(l Limit) string {
	return fmt.Sprintf("the marketplace is taking as many orders as it can just now (%s from everyone)", perWindow(l))
}

func releasesRefusal(l Limit) string {
	return fmt.Sprintf("too many orders given back: a carrier may release at most %s", perWindow(l))
}

// perWindow says a limit for people: "30 per 10 minutes", "5 per hour".
func perWindow(l Limit) string {
	return fmt.Sprintf("%d per %s", l.Max, windowWords(l.Window))
}

func windowWords(d time.Duration) string {
	unit, size := "second", time.Second
	switch {
	case d%time.Hour == 0:
		unit, size = "hour", time.Hour
	case d%time.Minute == 0:
		unit, size = "minute", time.Minute
	}
	n := int64(d / size)
	if n == 1 {
		return unit
	}
	return strconv.FormatInt(n, 10) + " " + unit + "s"
}
