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

// The keys of the authorizer context that the company routes read. API
// Gateway hands every context value to the integration as a string.
const (
	ContextCompanyID = "companyId"
	ContextScopes    = "scopes"
	ContextExpiresAt = "expiresAt"
)

// companyID returns the company the authorizer vouched for. The company is
// never read from the request itself. A missing context means the route was
// deployed without the authorizer: refuse rather than trust the caller. A
// policy API Gateway cached past the token's expiry is refused here too.
func companyID(in Input, now time.Time) (int64, error) {
	return principalID(in, now, ContextCompanyID, "company")
}

// principalID reads the id under key from the authorizer context, for a
// token of the kind named.
func principalID(in Input, now time.Time, key, kind string) (int64, error) {
	authz := in.Event.RequestContext.Authorizer
	id, err := strconv.ParseInt(contextString(authz[key]), 10, 64)
	if err != nil || id < 1 {
		return 0, market.Errorf(market.CodeUnauthorized, "a %s token is required", kind)
	}
	if exp, err := strconv.ParseInt(contextString(authz[ContextExpiresAt]), 10, 64); err == nil && now.Unix() >= exp {
		return 0, market.Errorf(market.CodeUnauthorized, "the %s token has expired", kind)
	}
	return id, nil
}

func contextString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// productID parses the {id} path parameter. A malformed id cannot name a
// product, so it is simply not found.
func productID(in Input) (int64, error) {
	raw := in.Event.PathParameters["id"]
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		return 0, market.Errorf(market.CodeNotFound, "product %q not found", raw)
	}
	return id, nil
}

// expectedVersion reads the version a change is conditional on, from
// If-Match ("3", a quoted "\"3\"" or W/"3") or from the body. Both given
// and different is a contradiction; neither gives 0.
func expectedVersion(in Input, body *int64) (int64, error) {
	var fromHeader int64
	if h := strings.TrimSpace(in.Header("If-Match")); h != "" {
		tag := strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
		v, err := strconv.ParseInt(tag, 10, 64)
		if err != nil || v < 1 {
			return 0, market.FieldError("If-Match", "If-Match must be a version such as \"3\"")
		}
		fromHeader = v
	}
	if body != nil {
		if *body < 1 {
			return 0, market.FieldError("version", "version must be a positive integer")
		}
		if fromHeader != 0 && fromHeader != *body {
			return 0, market.FieldError("version", "If-Match says version %d but the body says %d", fromHeader, *body)
		}
		return *body, nil
	}
	return fromHeader, nil
}

// requiredVersion is expectedVersion for a replacement, which must name
// the version it replaces.
func requiredVersion(in Input, body *int64) (int64, error) {
	version, err := expectedVersion(in, body)
	if err == nil && version == 0 {
		return 0, market.Errorf(market.CodePreconditionRequired,
			"send the version you are changing, in If-Match or as version in the body, so that nobody's change is lost")
	}
	return version, err
}

func productReply(status int, p market.Product, currency string) Reply {
	headers := map[string]string{"ETag": fmt.Sprintf("%q", strconv.FormatInt(p.Version, 10))}
	if status == http.StatusCreated {
		headers["Location"] = fmt.Sprintf("/api/company/products/%d", p.ID)
	}
	return Reply{Status: status, Body: companyProductView(p, currency), Headers: headers}
}

// companyProductJSON shows a company its own product, with its status and
// why its last photo upload was refused (null if it was not, or a photo
// was set or removed since).
type companyProductJSON struct {
	productJSON
	Active     bool               `json:"active"`
	ImageError *market.ImageError `json:"imageError"`
}

func companyProductView(p market.Product, currency string) companyProductJSON {
	return companyProductJSON{productJSON: productJSON{Product: p, Currency: currency}, Active: p.Active, ImageError: p.ImageError}
}

type companyProductList struct {
	Products   []companyProductJSON `json:"products"`
	NextCursor *string              `json:"nextCursor"`
}

// CompanyProducts are the endpoints through which a company manages its
// own products.
type CompanyProducts struct {
	Store    market.CompanyProductStore
	Currency string
	Now      func() time.Time
}

func (c CompanyProducts) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// List serves GET /api/company/products: the company's own products,
// archived included, one keyset page at a time.
func (c CompanyProducts) List(ctx context.Context, in Input) (Reply, error) {
	company, err := companyID(in, c.now())
	if err != nil {
		return Reply{}, err
	}
	q := in.Event.QueryStringParameters
	page, err := market.ParseProductPage(q["limit"], q["cursor"])
	if err != nil {
		return Reply{}, err
	}
	asked := page.Limit
	page.Limit++
	products, err := c.Store.ListByCompany(ctx, company, page)
	if err != nil {
		return Reply{}, err
	}
	var next *string
	if len(products) > asked {
		products = products[:asked]
		cursor := market.EncodeCursor(products[asked-1].ID)
		next = &cursor
	}
	list := make([]companyProductJSON, len(products))
	for i, p := range products {
		list[i] = companyProductView(p, c.Currency)
	}
	return Reply{Status: http.StatusOK, Body: companyProductList{Products: list, NextCursor: next}}, nil
}

// Get serves GET /api/company/products/{id}: one of the company's own
// products, archived or not, with its version as ETag (what a console
// reloads after a 412).
func (c CompanyProducts) Get(ctx context.Context, in Input) (Reply, error) {
	company, id, err := c.target(in)
	if err != nil {
		return Reply{}, err
	}
	p, err := c.Store.CompanyProduct(ctx, company, id)
	if err != nil {
		return Reply{}, err
	}
	return productReply(http.StatusOK, p, c.Currency), nil
}

// Create serves POST /api/company/products. The write lives apart from
// GET /api/products, the public list, whose path CloudFront caches.
func (c CompanyProducts) Create(ctx context.Context, in Input) (Reply, error) {
	company, err := companyID(in, c.now())
	if err != nil {
		return Reply{}, err
	}
	var input market.ProductInput
	if err := DecodeStrict(in.Body, &input); err != nil {
		return Reply{}, err
	}
	if input.Version != nil {
		return Reply{}, market.FieldError("version", "a new product has no version to match")
	}
	draft, err := input.Validate()
	if err != nil {
		return Reply{}, err
	}
	p, err := c.Store.Create(ctx, company, draft)
	if err != nil {
		return Reply{}, err
	}
	return productReply(http.StatusCreated, p, c.Currency), nil
}

// Endpoints are the updateproduct Lambda's routes.
func (c CompanyProducts) Endpoints() map[string]Endpoint {
	return map[string]Endpoint{
		"GET /api/company/products":      c.List,
		"GET /api/company/products/{id}": c.Get,
		"POST /api/company/products":     c.Create,
		"PUT /api/products/{id}":         c.Replace,
		"DELETE /api/products/{id}":      c.Archive,
	}
}

// target returns the company acting and the product it names in the path.
func (c CompanyProducts) target(in Input) (company, product int64, err error) {
	return target(in, c.now())
}

// target returns the company the authorizer vouched for and the product
// the path names.
func target(in Input, now time.Time) (company, product int64, err error) {
	if company, err = companyID(in, now); err != nil {
		return 0, 0, err
	}
	product, err = productID(in)
	return company, product, err
}

// Replace serves PUT /api/products/{id}: a full replacement, conditional
// on the version the company last saw.
func (c CompanyProducts) Replace(ctx context.Context, in Input) (Reply, error) {
	company, id, err := c.target(in)
	if err != nil {
		return Reply{}, err
	}
	var input market.ProductInput
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
	p, err := c.Store.Replace(ctx, company, id, version, draft)
	if err != nil {
		return Reply{}, err
	}
	return productReply(http.StatusOK, p, c.Currency), nil
}

// Archive serves DELETE /api/products/{id}: the product becomes inactive
// and leaves the catalog, but its row stays for the orders that name it.
// If-Match is optional here: archiving is the same whatever was changed.
func (c CompanyProducts) Archive(ctx context.Context, in Input) (Reply, error) {
	company, id, err := c.target(in)
	if err != nil {
		return Reply{}, err
	}
	if len(strings.TrimSpace(string(in.Body))) > 0 {
		return Reply{}, market.Errorf(market.CodeInvalid, "DELETE takes no body; send the version in If-Match")
	}
	version, err := expectedVersion(in, nil)
	if err != nil {
		return Reply{}, err
	}
	p, err := c.Store.Archive(ctx, company, id, version)
	if err != nil {
		return Reply{}, err
	}
	return productReply(http.StatusOK, p, c.Currency), nil
}
