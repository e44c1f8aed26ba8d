package market

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
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
	// Image is the product's photo; nil (JSON null) when it has none.
	Image *ProductImage `db:"-" json:"image"`
	// ImageError says why the last photo uploaded was refused; nil when
	// none was, or a photo was set or removed since. Only the company's
	// own views show it (as "imageError"): it is not for shoppers.
	ImageError *ImageError `db:"-" json:"-"`
}

// Page sizes of the product catalog.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// MaxQueryRunes bounds a catalog text search.
const MaxQueryRunes = 100

// ProductFilter narrows the catalog; the zero value lets every active
// product through.
type ProductFilter struct {
	CompanyID int64  // 0 for every company
	Query     string // trimmed; "" for no text search
}

// IsZero reports whether the filter lets every active product through.
func (f ProductFilter) IsZero() bool { return f == ProductFilter{} }

// ProductPage asks for the active products after a cursor position.
type ProductPage struct {
	AfterID int64 // 0 for the first page
	Limit   int
	Filter  ProductFilter
}

// ProductStore reads products.
type ProductStore interface {
	// ListActive returns up to page.Limit active products with ids above
	// page.AfterID that match page.Filter, in id order: Filter.CompanyID
	// selects one company's products, Filter.Query those it finds by the
	// rules of SearchTerms (search.go). A query without words is
	// CodeInvalid.
	ListActive(ctx context.Context, page ProductPage) ([]Product, error)
	// ProductsByID returns the products with the given ids, active or not,
	// in one round trip. Ids that do not exist are absent from the map.
	ProductsByID(ctx context.Context, ids []int64) (map[int64]Product, error)
}

// CatalogCompany is a company as the storefront's shop filter lists it.
type CatalogCompany struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	ProductCount int64     `json:"productCount"`
	Location     *Location `json:"location"`
	PrepMinutes  int       `json:"prepMinutes"`
	// Open is whether it takes orders now (Shop.OpenAt); OpensAt, when
	// it is closed and not paused, is when it opens next.
	Open    bool       `json:"open"`
	OpensAt *time.Time `json:"opensAt"`
	// Hours and Paused are what Open is computed from.
	Hours  OpeningHours `json:"-"`
	Paused bool         `json:"-"`
}

// WithOpening returns the companies with Open and OpensAt at now, leaving
// the slice it is given alone: a store may share it between requests.
func WithOpening(companies []CatalogCompany, now time.Time, zone *time.Location) []CatalogCompany {
	companies = slices.Clone(companies)
	for i := range companies {
		c := &companies[i]
		shop := Shop{Hours: c.Hours, Paused: c.Paused}
		c.Open, c.OpensAt = shop.OpenAt(now, zone), nil
		if !c.Open && !c.Paused {
			if at, ok := c.Hours.NextOpening(now, zone); ok {
				at = at.UTC()
				c.OpensAt = &at
			}
		}
	}
	return companies
}

// MaxCatalogCompanies bounds the list of companies shoppers filter by.
const MaxCatalogCompanies = 1000

// CatalogCompanyStore lists the companies shoppers can filter the catalog by.
type CatalogCompanyStore interface {
	// CatalogCompanies returns the companies that have at least one active
	// product, with how many, ordered by name: at most MaxCatalogCompanies.
	CatalogCompanies(ctx context.Context) ([]CatalogCompany, error)
}

// cursorPrefix versions the cursor format so that it can change without
// misreading cursors that clients still hold.
const cursorPrefix = "p1:"

// EncodeCursor returns the opaque cursor that continues the unfiltered
// catalog after product id.
func EncodeCursor(id int64) string { return EncodePageCursor(id, ProductFilter{}) }

// EncodePageCursor returns the opaque cursor that continues after product
// id under filter f. A filtered cursor carries a fingerprint of its filter,
// so that it is refused with any other filter: a position in one result is
// meaningless in another, and silently skipping products would be worse
// than a 400. The unfiltered cursor is the same as before filters existed.
func EncodePageCursor(id int64, f ProductFilter) string {
	text := cursorPrefix + strconv.FormatInt(id, 10)
	if !f.IsZero() {
		text += ":" + f.fingerprint()
	}
	return base64.RawURLEncoding.EncodeToString([]byte(text))
}

// fingerprint is a short digest of the filter: enough to tell filters
// apart, not a secret (the cursor is not a capability).
func (f ProductFilter) fingerprint() string {
	sum := sha256.Sum256([]byte(strconv.FormatInt(f.CompanyID, 10) + "\n" + f.Query))
	return base64.RawURLEncoding.EncodeToString(sum[:6])
}

// ParseProductPage validates the raw limit and cursor query parameters of
// an unfiltered listing; empty strings mean "not given".
func ParseProductPage(limit, cursor string) (ProductPage, error) {
	return ParseCatalogPage(limit, cursor, "", "")
}

// ParseCatalogPage validates the raw limit, cursor, companyId and q query
// parameters of the catalog; empty strings mean "not given". companyId is
// a positive integer; q is 1..MaxQueryRunes characters after trimming,
// without control characters. A cursor must come from a page with the same
// companyId and q. q must also be a search SearchTerms accepts (at least
// one word, at most MaxSearchWords).
func ParseCatalogPage(limit, cursor, companyID, q string) (ProductPage, error) {
	page := ProductPage{Limit: DefaultPageSize}
	if companyID != "" {
		id, ok := parseID(companyID)
		if !ok {
			return ProductPage{}, FieldError("companyId", "companyId must be a positive integer")
		}
		page.Filter.CompanyID = id
	}
	if q != "" {
		query := strings.TrimSpace(q)
		if !utf8.ValidString(query) {
			return ProductPage{}, FieldError("q", "q must be UTF-8 text")
		}
		if n := utf8.RuneCountInString(query); n < 1 || n > MaxQueryRunes {
			return ProductPage{}, FieldError("q", "q must be 1 to %d characters", MaxQueryRunes)
		}
		if strings.ContainsFunc(query, unicode.IsControl) {
			return ProductPage{}, FieldError("q", "q must not contain control characters")
		}
		if _, err := SearchTerms(query); err != nil {
			return ProductPage{}, err
		}
		page.Filter.Query = query
	}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxPageSize {
			return ProductPage{}, FieldError("limit", "limit must be an integer from 1 to %d", MaxPageSize)
		}
		page.Limit = n
	}
	if cursor != "" {
		id, fingerprint, ok := decodeCursor(cursor)
		if !ok {
			return ProductPage{}, FieldError("cursor", "cursor is not one this API returned")
		}
		want := ""
		if !page.Filter.IsZero() {
			want = page.Filter.fingerprint()
		}
		if fingerprint != want {
			return ProductPage{}, FieldError("cursor", "cursor belongs to another search: send the companyId and q of the page it came from, or start again without a cursor")
		}
		page.AfterID = id
	}
	return page, nil
}

// decodeCursor returns the product id of a cursor and the fingerprint of
// its filter ("" for the unfiltered catalog).
func decodeCursor(cursor string) (int64, string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, "", false
	}
	rest, ok := strings.CutPrefix(string(raw), cursorPrefix)
	if !ok {
		return 0, "", false
	}
	digits, fingerprint, filtered := strings.Cut(rest, ":")
	if filtered && fingerprint == "" {
		return 0, "", false
	}
	id, ok := parseID(digits)
	return id, fingerprint, ok
}

// parseID parses a positive decimal id written the one canonical way: no
// sign, no leading zeros, no spaces.
func parseID(digits string) (int64, bool) {
	id, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || id < 1 || strconv.FormatInt(id, 10) != digits {
		return 0, false
	}
	return id, true
}
