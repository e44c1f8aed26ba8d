package app

import (
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/notify"
)

// PlaceOrderEvents is the handler of the placeorder Lambda: the API
// (PlaceOrder), the retry sweep and the reports from notifycarrier's
// destinations. Placed orders are handed to notifycarrier through invoker
// (notifyFunction's name or ARN); d.Notifier is not used.
func PlaceOrderEvents(d Deps, invoker notify.Invoker, notifyFunction string) notify.PlaceOrderEvents {
	dispatcher := notify.NewDispatcher(mysql.NewOrderStore(d.DB), invoker, d.Logger)
	d.Notifier = dispatcher
	return notify.PlaceOrderEvents{API: PlaceOrder(d).Handle, Dispatcher: dispatcher, NotifyFunction: notifyFunction}
}
