package apigw

import (
	"context"
	"net/http"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// productJSON is a product as the API shows it.
type productJSON struct {
	market.Product
	Currency string `json:"currency"`
}

type productList struct {
	Products   []productJSON `json:"products"`
	NextCursor *string       `json:"nextCursor"`
}

// ListProducts serves GET /api/products?limit=N&cursor=C&companyId=I&q=T:
// active products in id order, one keyset page at a time, optionally of one
// company and matching a text. A page's nextCursor carries its filters and
// is refused with others. Pages are public and cacheable for CatalogCache.
func ListProducts(store market.ProductStore, currency string) Endpoint {
	return func(ctx context.Context, in Input) (Reply, error) {
		q := in.Event.QueryStringParameters
		page, err := market.ParseCatalogPage(q["limit"], q["cursor"], q["companyId"], q["q"])
		if err != nil {
			return Reply{}, err
		}
		// One row more than asked says whether another page exists
		// without a second query.
		asked := page.Limit
		page.Limit++
		products, err := store.ListActive(ctx, page)
		if err != nil {
			return Reply{}, err
		}
		list := productList{Products: make([]productJSON, 0, len(products))}
		if len(products) > asked {
			products = products[:asked]
			next := market.EncodePageCursor(products[asked-1].ID, page.Filter)
			list.NextCursor = &next
		}
		for _, p := range products {
			list.Products = append(list.Products, productJSON{Product: p, Currency: currency})
		}
		return Reply{Status: http.StatusOK, Body: list, Cache: CatalogCache}, nil
	}
}

type companyList struct {
	Companies []market.CatalogCompany `json:"companies"`
}

// ListCompanies serves GET /api/companies: the companies that have active
// products, by name, for the storefront's shop filter, with where they are
// and whether they are open now in zone; cacheable for CatalogCache, which
// may show a shop open for that long after it closed: a quote and an
// order check the hours again.
func ListCompanies(store market.CatalogCompanyStore, zone *time.Location, now func() time.Time) Endpoint {
	return func(ctx context.Context, _ Input) (Reply, error) {
		companies, err := store.CatalogCompanies(ctx)
		if err != nil {
			return Reply{}, err
		}
		companies = market.WithOpening(companies, now(), zone)
		return Reply{Status: http.StatusOK, Body: companyList{Companies: companies}, Cache: CatalogCache}, nil
	}
}

// Quote serves POST /api/orders/quote: an exact bill at current prices,
// with the delivery to deliverTo when the body names it; 422 shop_closed
// or outside_delivery_area (market.Delivery.Plan).
func Quote(pricer market.Pricer) Endpoint {
	return func(ctx context.Context, in Input) (Reply, error) {
		var req market.QuoteRequest
		if err := DecodeStrict(in.Body, &req); err != nil {
			return Reply{}, err
		}
		quote, err := pricer.QuoteDelivery(ctx, req, "deliverTo", false)
		if err != nil {
			return Reply{}, err
		}
		return Reply{Status: http.StatusOK, Body: quote}, nil
	}
}
