package app

import (
	"maps"

	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// Fulfilment is the handler of the fulfilment Lambda: carriers claiming,
// picking up and delivering orders, and companies preparing them and
// keeping their pickup details.
func Fulfilment(d Deps) *apigw.Function {
	f := apigw.Fulfilment{Service: fulfilmentService(d), Profiles: mysql.NewProfileStore(d.DB), Timezone: d.deliveryRules().Zone.String()}
	endpoints := f.Endpoints()
	maps.Copy(endpoints, carrierShift(d).Endpoints())
	maps.Copy(endpoints, carrierPush(d).Endpoints())
	return apigw.NewFunction("fulfilment", d.api(), endpoints)
}

// carrierShift are the carriers' shift and position routes.
func carrierShift(d Deps) apigw.CarrierShift {
	return apigw.CarrierShift{Shifts: market.Shifts{Store: mysql.NewShiftStore(d.DB), Limiter: d.limiter(), Changes: d.Limits.ShiftsPerCarrier}}
}

// carrierPush are the carriers' push-subscription routes.
func carrierPush(d Deps) apigw.CarrierPush {
	return apigw.CarrierPush{Push: market.PushSubscriptions{
		Store: mysql.NewPushStore(d.DB), PublicKey: d.VAPIDPublicKey, Limiter: d.limiter(), Changes: d.Limits.PushChangesPerCarrier,
	}}
}

func fulfilmentService(d Deps) market.Fulfilment {
	return market.Fulfilment{
		Store: mysql.NewFulfilmentStore(d.DB), Texts: d.Texts, Log: d.Logger, Limits: d.Limits, Limiter: d.limiter(),
		Waves: d.Waves, Dispatch: d.Dispatch,
	}
}
