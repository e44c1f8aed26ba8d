package market

import (
	"context"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// Limits on what a company may write about a product.
const (
	MaxNameRunes        = 120
	MaxDescriptionRunes = 1000
)

// MaxPrice is the highest unit price a company may set.
var MaxPrice = decimal.NewFromInt(1_000_000)

// ProductInput is the body a company sends to create or replace a product.
//
// No mass assignment: the company comes from the token and the id from the
// path, so a body naming companyId or id is refused rather than silently
// ignored, and any other unknown field is refused by the decoder. version
// is accepted as an alternative to the If-Match header when replacing.
type ProductInput struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Price       *Money  `json:"price"`
	Active      *bool   `json:"active"`
	Version     *int64  `json:"version"`
	// Raw, so that even "companyId": null counts as naming the field.
	CompanyID json.RawMessage `json:"companyId"`
	ID        json.RawMessage `json:"id"`
}

// ProductDraft is a validated ProductInput.
type ProductDraft struct {
	Name        string
	Description string
	Price       Money
	Active      bool
}

// Validate applies the catalog rules and returns the draft to store:
// name 1..120 characters after trimming and free of control characters,
// description at most 1000 characters (line breaks and tabs allowed), price
// above 0 and at most 1,000,000 with at most two decimals; active defaults
// to true.
func (in ProductInput) Validate() (ProductDraft, error) {
	if in.CompanyID != nil {
		return ProductDraft{}, FieldError("companyId", "companyId cannot be set: the product belongs to the company of the token")
	}
	if in.ID != nil {
		return ProductDraft{}, FieldError("id", "id cannot be set: it is assigned on creation and taken from the path afterwards")
	}
	if in.Name == nil {
		return ProductDraft{}, FieldError("name", "name is required")
	}
	name := strings.TrimSpace(*in.Name)
	if n := utf8.RuneCountInString(name); n < 1 || n > MaxNameRunes {
		return ProductDraft{}, FieldError("name", "name must be 1 to %d characters", MaxNameRunes)
	}
	if strings.ContainsFunc(name, unicode.IsControl) {
		return ProductDraft{}, FieldError("name", "name must not contain control characters")
	}
	var description string
	if in.Description != nil {
		description = strings.TrimSpace(*in.Description)
	}
	if utf8.RuneCountInString(description) > MaxDescriptionRunes {
		return ProductDraft{}, FieldError("description", "description must be at most %d characters", MaxDescriptionRunes)
	}
	if strings.ContainsFunc(description, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) {
		return ProductDraft{}, FieldError("description", "description must not contain control characters other than line breaks and tabs")
	}
	if in.Price == nil {
		return ProductDraft{}, FieldError("price", "price is required")
	}
	price := in.Price.Decimal
	if !price.IsPositive() || price.GreaterThan(MaxPrice) {
		return ProductDraft{}, FieldError("price", "price must be above 0 and at most %s", MaxPrice.StringFixed(2))
	}
	if !price.Equal(price.Truncate(2)) {
		return ProductDraft{}, FieldError("price", "price must have at most two decimals")
	}
	active := true
	if in.Active != nil {
		active = *in.Active
	}
	return ProductDraft{Name: name, Description: description, Price: NewMoney(price.Truncate(2)), Active: active}, nil
}

// CompanyProductStore is how a company manages its own products. Every
// method is scoped to one company: another company's product is treated
// exactly like a product that does not exist.
type CompanyProductStore interface {
	// ListByCompany returns a page of the company's products, archived
	// ones included, in id order.
	ListByCompany(ctx context.Context, companyID int64, page ProductPage) ([]Product, error)
	// CompanyProduct returns one of the company's products, archived or
	// not; CodeNotFound if it does not exist or belongs to another company.
	CompanyProduct(ctx context.Context, companyID, productID int64) (Product, error)
	// Create adds a product at version 1.
	Create(ctx context.Context, companyID int64, d ProductDraft) (Product, error)
	// Replace overwrites a product's fields and increments its version. It
	// returns CodeNotFound if the product does not exist or belongs to
	// another company, and CodePreconditionFailed if its version is not
	// version.
	Replace(ctx context.Context, companyID, productID, version int64, d ProductDraft) (Product, error)
	// Archive makes a product inactive (its row stays for order history)
	// and increments its version. version 0 skips the version check;
	// otherwise the codes are those of Replace.
	Archive(ctx context.Context, companyID, productID, version int64) (Product, error)
}

// CompanyStore reads companies.
type CompanyStore interface {
	// CompanyExists reports whether a company with id exists.
	CompanyExists(ctx context.Context, id int64) (bool, error)
}
