package apigw

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/deliverymarket/delivery/internal/market"
)

type areaReply struct {
	Area     json.RawMessage `json:"area"`
	MaxKm    float64         `json:"maxKm"`
	Fee      areaFee         `json:"fee"`
	Currency string          `json:"currency"`
	Timezone string          `json:"timezone"`
}

type areaFee struct {
	Base  market.Money `json:"base"`
	PerKm market.Money `json:"perKm"`
}

// Area serves GET /api/area: where the marketplace delivers (a GeoJSON
// geometry, null when it has no area), how far, at what fee, and the
// timezone of the shops' hours; cacheable like the catalog.
func Area(areas market.AreaStore, rules market.DeliveryRules, currency string) Endpoint {
	return func(ctx context.Context, _ Input) (Reply, error) {
		area, err := areas.ServiceArea(ctx)
		if err != nil {
			return Reply{}, err
		}
		body := areaReply{
			Area:     json.RawMessage("null"),
			MaxKm:    rules.MaxKm,
			Fee:      areaFee{Base: rules.FeeBase, PerKm: rules.FeePerKm},
			Currency: currency,
			Timezone: rules.Zone.String(),
		}
		if area != nil {
			body.Area = area.GeoJSON()
		}
		return Reply{Status: http.StatusOK, Body: body, Cache: CatalogCache}, nil
	}
}
