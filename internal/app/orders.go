package app

import (
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/notify"
)

// PlaceOrderEvents is the handler of the placeorder Lambda: the API
// (PlaceOrder), the retry sweep, the reports from notifycarrier's
// destinations and the waves' timers. Placed orders are handed to
// notifycarrier through invoker (notifyFunction's name or ARN), and
// offered in waves as EnableWaves says; d.Notifier is not used.
func PlaceOrderEvents(d Deps, invoker notify.Invoker, notifyFunction string) notify.PlaceOrderEvents {
	dispatcher := notify.NewDispatcher(mysql.NewOrderStore(d.DB), invoker, d.Logger)
	d = EnableWaves(d, dispatcher)
	d.Notifier = dispatcher
	return notify.PlaceOrderEvents{API: PlaceOrder(d).Handle, Dispatcher: dispatcher, NotifyFunction: notifyFunction}
}

// EnableWaves makes dispatcher offer orders in waves as d.Dispatch says,
// over the database's stores, when d has what runs them: the timer of
// the next waves (d.Waves) and the sender of offers (d.OfferSender). The
// sweep then also starts overdue waves and ends expired shifts. Without
// either, the Deps returned broadcast every order as it is placed,
// whatever d.Dispatch says, so that no order waits for waves nobody runs.
func EnableWaves(d Deps, dispatcher *notify.Dispatcher) Deps {
	if d.Waves == nil || d.OfferSender == nil {
		d.Dispatch = market.DispatchSettings{}
		return d
	}
	shifts := mysql.NewShiftStore(d.DB)
	dispatcher.UseWaves(notify.Waves{
		Settings: d.Dispatch, Limits: d.Limits,
		Offers: mysql.NewOfferStore(d.DB), Nearby: shifts, Contacts: mysql.NewPushStore(d.DB),
		Sender: d.OfferSender, Timer: d.Waves, Shifts: shifts,
	})
	return d
}
