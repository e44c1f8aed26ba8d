package apigw

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// ProductReader reads one of a company's products; CodeNotFound if it does
// not exist or belongs to another company.
type ProductReader interface {
	CompanyProduct(ctx context.Context, companyID, productID int64) (market.Product, error)
}

// ProductPhotos are the endpoints through which a company gives its
// products a photo (issue 12). The photo itself never passes through
// here: the browser uploads it straight to the uploads bucket with the
// presigned POST this answers, and the image processor sets it.
type ProductPhotos struct {
	Store    market.ImageStore
	Products ProductReader
	// Signer presigns uploads; nil (no uploads bucket configured) answers
	// 503 service_unavailable.
	Signer   market.UploadSigner
	Currency string
	Now      func() time.Time
}

func (p ProductPhotos) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Endpoints are the photo routes of the updateproduct Lambda.
func (p ProductPhotos) Endpoints() map[string]Endpoint {
	return map[string]Endpoint{
		"POST /api/products/{id}/image-uploads": p.CreateUpload,
		"DELETE /api/products/{id}/image":       p.Remove,
	}
}

// UploadRequest is the body of POST /api/products/{id}/image-uploads.
type UploadRequest struct {
	ContentType string `json:"contentType"`
	// Size is the file's size in bytes, when the browser knows it, so
	// that a file over the limit is refused before it is uploaded (the
	// policy refuses it anyway).
	Size *int64 `json:"size"`
}

// uploadContentType returns the allowed Content-Type that ct names, in the
// form the policy pins (lower case), whatever the case the browser sent.
func uploadContentType(ct string) (string, bool) {
	for _, allowed := range market.UploadContentTypes {
		if strings.EqualFold(strings.TrimSpace(ct), allowed) {
			return allowed, true
		}
	}
	return "", false
}

// decodeUploadRequest reads the body of an upload request, with its
// ContentType in the form the policy is to pin. A body that is not exactly
// one UploadRequest, a type that is not an allowed one and a size past
// MaxUploadBytes are CodeInvalid, naming the field.
func decodeUploadRequest(body []byte) (UploadRequest, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return UploadRequest{}, market.FieldError("contentType",
			"send the photo's contentType (%s) as a JSON object", strings.Join(market.UploadContentTypes, ", "))
	}
	var req UploadRequest
	if err := DecodeStrict(body, &req); err != nil {
		return UploadRequest{}, err
	}
	contentType, ok := uploadContentType(req.ContentType)
	if !ok {
		return UploadRequest{}, market.FieldError("contentType",
			"contentType must be one of %s: the photo must be a JPEG, PNG or WebP image", strings.Join(market.UploadContentTypes, ", "))
	}
	req.ContentType = contentType
	if req.Size != nil {
		switch size := *req.Size; {
		case size < 1:
			return UploadRequest{}, market.FieldError("size", "size must be the photo's size in bytes, at least 1")
		case size > market.MaxUploadBytes:
			return UploadRequest{}, market.FieldError("size", "the photo is %d bytes; the limit is %d MB (%d bytes)",
				size, market.MaxUploadBytes>>20, market.MaxUploadBytes)
		}
	}
	return req, nil
}

// CreateUpload serves POST /api/products/{id}/image-uploads: a presigned
// POST for one photo of one of the company's own products, into a key
// the server chooses. Another company's product is not found, and nothing
// is signed for it.
func (p ProductPhotos) CreateUpload(ctx context.Context, in Input) (Reply, error) {
	company, id, err := target(in, p.now())
	if err != nil {
		return Reply{}, err
	}
	req, err := decodeUploadRequest(in.Body)
	if err != nil {
		return Reply{}, err
	}
	if p.Signer == nil {
		return Reply{}, market.Errorf(market.CodeUnavailable, "photo uploads are not available here")
	}
	if _, err := p.Products.CompanyProduct(ctx, company, id); err != nil {
		return Reply{}, err
	}
	key, err := market.NewUploadKey(company, id)
	if err != nil {
		return Reply{}, err
	}
	form, err := p.Signer.SignUpload(ctx, key, req.ContentType)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusCreated, Body: form}, nil
}

// Remove serves DELETE /api/products/{id}/image: the product no longer
// has a photo. Like a replacement it names the version it changes, in
// If-Match; a product without a photo is answered as it is.
func (p ProductPhotos) Remove(ctx context.Context, in Input) (Reply, error) {
	company, id, err := target(in, p.now())
	if err != nil {
		return Reply{}, err
	}
	if len(bytes.TrimSpace(in.Body)) > 0 {
		return Reply{}, market.Errorf(market.CodeInvalid, "DELETE takes no body; send the version in If-Match")
	}
	version, err := expectedVersion(in, nil)
	if err != nil {
		return Reply{}, err
	}
	if version == 0 {
		return Reply{}, market.Errorf(market.CodePreconditionRequired,
			"send the version you are changing in If-Match, so that nobody's change is lost")
	}
	product, err := p.Store.RemoveImage(ctx, company, id, version)
	if err != nil {
		return Reply{}, err
	}
	return productReply(http.StatusOK, product, p.Currency), nil
}
