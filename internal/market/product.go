package market

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
)

// Product is an item a company sells. Price is the current unit price.
type Product struct {
	ID          int64  `db:"id" json:"id"`
	CompanyID   int64  `db:"company_id" json:"companyId"`
	CompanyName string `db:"company_name" json:"companyName"`
	Name        string `db:"name" json:"name"`
	Description string `db:"description" json:"description"`
	Price       Money  `db:"price" json:"price"`
	Active      bool   `db:"active" json:"-"`
	Version     int64  `db:"version" json:"version"`
}

// Page sizes of the product catalog.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// ProductPage asks for the active products after a cursor position.
type ProductPage struct {
	AfterID int64 // 0 for the first page
	Limit   int
}

// ProductStore reads products.
type ProductStore interface {
	// ListActive returns up to page.Limit active products with ids above
	// page.AfterID, in id order.
	ListActive(ctx context.Context, page ProductPage) ([]Product, error)
	// ProductsByID returns the products with the given ids, active or not,
	// in one round trip. Ids that do not exist are absent from the map.
	ProductsByID(ctx context.Context, ids []int64) (map[int64]Product, error)
}

// cursorPrefix versions the cursor format so that it can change without
// misreading cursors that clients still hold.
const cursorPrefix = "p1:"

// EncodeCursor returns the opaque cursor that continues after product id.
func EncodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(id, 10)))
}

// ParseProductPage validates the raw limit and cursor query parameters;
// empty strings mean "not given".
func ParseProductPage(limit, cursor string) (ProductPage, error) {
	page := ProductPage{Limit: DefaultPageSize}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxPageSize {
			return ProductPage{}, FieldError("limit", "limit must be an integer from 1 to %d", MaxPageSize)
		}
		page.Limit = n
	}
	if cursor != "" {
		id, ok := decodeCursor(cursor)
		if !ok {
			return ProductPage{}, FieldError("cursor", "cursor is not one this API returned")
		}
		page.AfterID = id
	}
	return page, nil
}

func decodeCursor(cursor string) (int64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, false
	}
	digits, ok := strings.CutPrefix(string(raw), cursorPrefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || id < 1 || strconv.FormatInt(id, 10) != digits {
		return 0, false
	}
	return id, true
}
