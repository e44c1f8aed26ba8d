package apigw

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// Fulfilment are the endpoints through which carriers move orders and
// companies prepare them: the fulfilment Lambda.
type Fulfilment struct {
	Service  market.Fulfilment
	Profiles market.ProfileStore
	// Timezone is the marketplace's, in which profiles' hours are read.
	Timezone string
}

func (f Fulfilment) now() time.Time {
	if f.Service.Now != nil {
		return f.Service.Now()
	}
	return time.Now()
}

// Endpoints are the fulfilment Lambda's routes.
func (f Fulfilment) Endpoints() map[string]Endpoint {
	return map[string]Endpoint{
		"GET /api/carrier/orders":                       f.CarrierOrders,
		"GET /api/carrier/orders/{deliveryId}":          f.CarrierOrder,
		"POST /api/carrier/orders/{deliveryId}/claim":   f.CarrierMove(market.ActionClaim),
		"POST /api/carrier/orders/{deliveryId}/pickup":  f.CarrierMove(market.ActionPickUp),
		"POST /api/carrier/orders/{deliveryId}/deliver": f.CarrierMove(market.ActionDeliver),
		"POST /api/carrier/orders/{deliveryId}/release": f.CarrierMove(market.ActionRelease),
		"GET /api/company/profile":                      f.Profile,
		"PUT /api/company/profile":                      f.ReplaceProfile,
		"GET /api/company/orders":                       f.CompanyOrders,
		"POST /api/company/orders/{deliveryId}/ready":   f.CompanyReady,
		"POST /api/company/orders/{deliveryId}/cancel":  f.CompanyCancel,
	}
}

// orderList is a page of an order list.
type orderList[T any] struct {
	Orders     []T     `json:"orders"`
	NextCursor *string `json:"nextCursor"`
}

// pageOf trims a page fetched one order long and names the cursor of the
// next page, if there is one.
func pageOf[T any](items []T, limit int, deliveryID func(T) string) orderList[T] {
	var next *string
	if len(items) > limit {
		items = items[:limit]
		cursor := market.EncodeOrderCursor(deliveryID(items[limit-1]))
		next = &cursor
	}
	return orderList[T]{Orders: items, NextCursor: next}
}

// listOrders serves one page of an order list: it reads the limit and
// cursor, asks fetch for one order more than the client did (to know
// whether a next page exists) and trims the answer back.
func listOrders[T any](in Input, fetch func(market.OrderListPage) ([]T, error), deliveryID func(T) string) (Reply, error) {
	q := in.Event.QueryStringParameters
	page, err := market.ParseOrderPage(q["limit"], q["cursor"])
	if err != nil {
		return Reply{}, err
	}
	asked := page.Limit
	page.Limit++
	orders, err := fetch(page)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: pageOf(orders, asked, deliveryID)}, nil
}

// noBody refuses a body on an action that takes none, so that a client
// sending one by mistake learns it was ignored rather than guessing.
func noBody(in Input) error {
	if body := strings.TrimSpace(string(in.Body)); body != "" && body != "{}" {
		return market.Errorf(market.CodeInvalid, "this action takes no body")
	}
	return nil
}

// carrierPosition reads where the carrier is from ?lat=&lng=, if the
// page sent it.
func carrierPosition(in Input) (*market.Location, error) {
	q := in.Event.QueryStringParameters
	return market.ParseCarrierPosition(q["lat"], q["lng"])
}

// CarrierOrders serves GET /api/carrier/orders?view=available|mine, with
// each order's distance from the carrier's position when lat and lng say
// where that is.
func (f Fulfilment) CarrierOrders(ctx context.Context, in Input) (Reply, error) {
	carrier, err := carrierID(in, f.now())
	if err != nil {
		return Reply{}, err
	}
	q := in.Event.QueryStringParameters
	view, err := market.ParseCarrierView(q["view"])
	if err != nil {
		return Reply{}, err
	}
	position, err := carrierPosition(in)
	if err != nil {
		return Reply{}, err
	}
	return listOrders(in, func(page market.OrderListPage) ([]market.CarrierOrder, error) {
		return f.Service.CarrierOrders(ctx, carrier, view, page, position)
	}, func(o market.CarrierOrder) string { return o.DeliveryID })
}

// CarrierOrder serves GET /api/carrier/orders/{deliveryId}: an order to
// claim, or one the carrier holds, with the delivery details while the
// privacy rule allows, and its distance from ?lat=&lng= when sent.
func (f Fulfilment) CarrierOrder(ctx context.Context, in Input) (Reply, error) {
	carrier, err := carrierID(in, f.now())
	if err != nil {
		return Reply{}, err
	}
	position, err := carrierPosition(in)
	if err != nil {
		return Reply{}, err
	}
	order, err := f.Service.CarrierOrder(ctx, carrier, in.Event.PathParameters["deliveryId"], position)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: order}, nil
}

// CarrierMove serves POST /api/carrier/orders/{deliveryId}/<action>.
func (f Fulfilment) CarrierMove(action market.Action) Endpoint {
	return func(ctx context.Context, in Input) (Reply, error) {
		carrier, err := carrierID(in, f.now())
		if err != nil {
			return Reply{}, err
		}
		if err := noBody(in); err != nil {
			return Reply{}, err
		}
		order, err := f.Service.CarrierMove(ctx, carrier, in.Event.PathParameters["deliveryId"], action)
		if err != nil {
			return Reply{}, err
		}
		return Reply{Status: http.StatusOK, Body: order}, nil
	}
}

// CompanyOrders serves GET /api/company/orders?status=: the orders with
// the company's products, newest first, with only its own lines.
func (f Fulfilment) CompanyOrders(ctx context.Context, in Input) (Reply, error) {
	company, err := companyID(in, f.now())
	if err != nil {
		return Reply{}, err
	}
	q := in.Event.QueryStringParameters
	status, err := market.ParseOrderStatus(q["status"])
	if err != nil {
		return Reply{}, err
	}
	return listOrders(in, func(page market.OrderListPage) ([]market.CompanyOrder, error) {
		return f.Service.Store.CompanyOrders(ctx, company, status, page)
	}, func(o market.CompanyOrder) string { return o.DeliveryID })
}

// CompanyReady serves POST /api/company/orders/{deliveryId}/ready.
func (f Fulfilment) CompanyReady(ctx context.Context, in Input) (Reply, error) {
	company, err := companyID(in, f.now())
	if err != nil {
		return Reply{}, err
	}
	if err := noBody(in); err != nil {
		return Reply{}, err
	}
	order, err := f.Service.CompanyReady(ctx, company, in.Event.PathParameters["deliveryId"])
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: order}, nil
}

// cancelRequest is the body of a company's cancellation.
type cancelRequest struct {
	Reason *string `json:"reason"`
}

// CompanyCancel serves POST /api/company/orders/{deliveryId}/cancel
// {"reason"}: the whole order is cancelled while it is placed or accepted.
func (f Fulfilment) CompanyCancel(ctx context.Context, in Input) (Reply, error) {
	company, err := companyID(in, f.now())
	if err != nil {
		return Reply{}, err
	}
	var req cancelRequest
	if err := DecodeStrict(in.Body, &req); err != nil {
		return Reply{}, err
	}
	if req.Reason == nil {
		return Reply{}, market.FieldError("reason", "reason is required: the shopper is shown it")
	}
	order, err := f.Service.CompanyCancel(ctx, company, in.Event.PathParameters["deliveryId"], *req.Reason)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: order}, nil
}

func (f Fulfilment) profileReply(p market.CompanyProfile) Reply {
	p.Timezone = f.Timezone
	return Reply{Status: http.StatusOK, Body: p, Headers: map[string]string{"ETag": fmt.Sprintf("%q", strconv.FormatInt(p.Version, 10))}}
}

// Profile serves GET /api/company/profile: the company's pickup details.
func (f Fulfilment) Profile(ctx context.Context, in Input) (Reply, error) {
	company, err := companyID(in, f.now())
	if err != nil {
		return Reply{}, err
	}
	p, err := f.Profiles.Profile(ctx, company)
	if err != nil {
		return Reply{}, err
	}
	return f.profileReply(p), nil
}

// ReplaceProfile serves PUT /api/company/profile, conditional on the
// version the company last saw, as product edits are.
func (f Fulfilment) ReplaceProfile(ctx context.Context, in Input) (Reply, error) {
	company, err := companyID(in, f.now())
	if err != nil {
		return Reply{}, err
	}
	var input market.ProfileInput
	if err := DecodeStrict(in.Body, &input); err != nil {
		return Reply{}, err
	}
	draft, err := input.Validate()
	if err != nil {
		return Reply{}, err
	}
	version, err := requiredVersion(in, input.Version)
	if err != nil {
		return Reply{}, err
	}
	p, err := f.Profiles.ReplaceProfile(ctx, company, version, draft)
	if err != nil {
		return Reply{}, err
	}
	return f.profileReply(p), nil
}
