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

// Quote is an exact bill for a list of items at current prices.
type Quote struct {
	Currency  string `json:"currency"`
	Lines     []Line `json:"lines"`
	ItemCount int    `json:"itemCount"`
	Total     Money  `json:"total"`
}

// QuoteRequest is the body of a quote.
type QuoteRequest struct {
	Items []Item `json:"items"`
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
	q.Total = NewMoney(total)
	return q, nil
}
