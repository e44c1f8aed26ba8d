package market

import (
	"context"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"
)

// Limits of one order.
const (
	MaxDistinctProducts = 100
	MaxQuantity         = 999
)

// Item is one requested line: a product and how many of it.
type Item struct {
	ProductID int64 `json:"productId"`
	Quantity  int   `json:"quantity"`
}

// Line is one priced line of a quote.
type Line struct {
	ProductID   int64  `json:"productId"`
	CompanyID   int64  `json:"companyId"`
	CompanyName string `json:"companyName"`
	Name        string `json:"name"`
	UnitPrice   Money  `json:"unitPrice"`
	Quantity    int    `json:"quantity"`
	LineTotal   Money  `json:"lineTotal"`
	// Image is the product's photo now, so that the cart shows it; nil
	// (JSON null) when it has none.
	Image *ProductImage `json:"image"`
}

// Quote is an exact bill for a list of items at current prices, with the
// delivery when the quote names where to.
type Quote struct {
	Currency  string `json:"currency"`
	Lines     []Line `json:"lines"`
	ItemCount int    `json:"itemCount"`
	// Subtotal is the items; Total adds the delivery fee.
	Subtotal Money          `json:"subtotal"`
	Delivery *DeliveryQuote `json:"delivery"`
	Total    Money          `json:"total"`
}

// QuoteRequest is the body of a quote.
type QuoteRequest struct {
	Items     []Item    `json:"items"`
	DeliverTo *Location `json:"deliverTo"`
}

// Companies are the companies of the quote's lines, in order of first
// appearance.
func (q Quote) Companies() []int64 {
	var ids []int64
	for _, l := range q.Lines {
		if !slices.Contains(ids, l.CompanyID) {
			ids = append(ids, l.CompanyID)
		}
	}
	return ids
}

// withDelivery adds d to the bill.
func (q Quote) withDelivery(d *DeliveryQuote) Quote {
	q.Delivery = d
	q.Total = q.Subtotal
	if d != nil {
		q.Total = NewMoney(q.Subtotal.Add(d.Fee.Decimal))
	}
	return q
}

// NormalizeItems validates items and merges repeated product ids, keeping
// the order in which each product first appears.
func NormalizeItems(items []Item) ([]Item, error) {
	if len(items) == 0 {
		return nil, FieldError("items", "items must list at least one product")
	}
	merged := make([]Item, 0, len(items))
	index := make(map[int64]int, len(items))
	for i, it := range items {
		if it.ProductID < 1 {
			return nil, FieldError(fmt.Sprintf("items[%d].productId", i), "productId must be a positive integer")
		}
		if it.Quantity < 1 || it.Quantity > MaxQuantity {
			return nil, FieldError(fmt.Sprintf("items[%d].quantity", i), "quantity must be an integer from 1 to %d", MaxQuantity)
		}
		if j, seen := index[it.ProductID]; seen {
			merged[j].Quantity += it.Quantity
			if merged[j].Quantity > MaxQuantity {
				return nil, FieldError(fmt.Sprintf("items[%d].quantity", i),
					"the quantities of product %d add up to more than %d", it.ProductID, MaxQuantity)
			}
			continue
		}
		if len(merged) == MaxDistinctProducts {
			return nil, FieldError("items", "an order holds at most %d different products", MaxDistinctProducts)
		}
		index[it.ProductID] = len(merged)
		merged = append(merged, it)
	}
	return merged, nil
}

// Pricer prices lists of items against the catalog.
type Pricer struct {
	Products ProductStore
	Currency string
	// Delivery checks the shops' hours and prices the delivery; nil
	// checks no hours and prices none (the order's own transaction,
	// which re-prices only the items).
	Delivery *Delivery
}

// QuoteDelivery prices req's items as Quote does, refuses them with
// CodeShopClosed when a shop is closed, and prices the delivery to
// req.DeliverTo (Delivery.Plan), reported on field: required says an
// order needs one once an area is set.
func (p Pricer) QuoteDelivery(ctx context.Context, req QuoteRequest, field string, required bool) (Quote, error) {
	q, err := p.Quote(ctx, req.Items)
	if err != nil || p.Delivery == nil {
		return q, err
	}
	d, err := p.Delivery.Plan(ctx, q.Companies(), req.DeliverTo, field, required)
	if err != nil {
		return Quote{}, err
	}
	return q.withDelivery(d), nil
}

// Quote validates items and prices them at current prices with one store
// round trip. It returns CodeInvalid for malformed items and
// CodeUnavailableProducts, naming the ids, when a product is unknown or
// inactive.
func (p Pricer) Quote(ctx context.Context, items []Item) (Quote, error) {
	items, err := NormalizeItems(items)
	if err != nil {
		return Quote{}, err
	}
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ProductID
	}
	products, err := p.Products.ProductsByID(ctx, ids)
	if err != nil {
		return Quote{}, fmt.Errorf("quote: %w", err)
	}
	return Price(p.Currency, items, products)
}

// Price prices normalized items with the given products. No rounding
// happens anywhere: unit prices have at most two decimals and quantities
// are integers, so every line total and the total are exact.
func Price(currency string, items []Item, products map[int64]Product) (Quote, error) {
	var unavailable []int64
	for _, it := range items {
		if p, ok := products[it.ProductID]; !ok || !p.Active {
			unavailable = append(unavailable, it.ProductID)
		}
	}
	if len(unavailable) > 0 {
		slices.Sort(unavailable)
		return Quote{}, &Error{
			Code:    CodeUnavailableProducts,
			Message: fmt.Sprintf("%d product(s) are unknown or no longer available", len(unavailable)),
			Details: map[string][]int64{"productIds": unavailable},
		}
	}
	q := Quote{Currency: currency, Lines: make([]Line, 0, len(items))}
	total := decimal.Zero
	for _, it := range items {
		p := products[it.ProductID]
		lineTotal := p.Price.Mul(decimal.NewFromInt(int64(it.Quantity)))
		q.Lines = append(q.Lines, Line{
			ProductID:   p.ID,
			CompanyID:   p.CompanyID,
			CompanyName: p.CompanyName,
			Name:        p.Name,
			UnitPrice:   p.Price,
			Quantity:    it.Quantity,
			LineTotal:   NewMoney(lineTotal),
			Image:       p.Image,
		})
		q.ItemCount += it.Quantity
		total = total.Add(lineTotal)
	}
	q.Subtotal = NewMoney(total)
	q.Total = q.Subtotal
	return q, nil
}
