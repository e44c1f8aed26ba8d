package market

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"time"
)

// Product photos (issue 12). A company's browser uploads a photo straight
// to object storage through a presigned POST whose policy pins the key the
// server chose (UploadKey), its size and its Content-Type. The storage
// event starts the image processor (photos.go), which re-encodes the file
// (internal/images) under content-addressed keys and sets the product's
// image, or records why it refused it.

// Limits of a photo upload.
const (
	MaxUploadBytes = 5 << 20         // the presigned POST's content-length-range
	UploadTTL      = 5 * time.Minute // how long a presigned POST is accepted
)

// UploadContentTypes are the Content-Types a presigned POST may carry; the
// processor decodes the file anyway, so a forged type gains nothing.
var UploadContentTypes = []string{"image/jpeg", "image/png", "image/webp"}

// ProductImage is a product's photo as the storefront shows it: two JPEG
// widths served from the site's own origin under ImagePathPrefix. Width
// and Height are those of the URL960 variant (the source's size when it is
// narrower than 960 px: photos are never upscaled), so the storefront can
// reserve the box before the picture arrives; URL320 has the same aspect
// ratio.
type ProductImage struct {
	URL320 string `json:"url320"`
	URL960 string `json:"url960"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// StoredImage is a processed photo as the database keeps it: the hex
// SHA-256 of each variant's bytes, and the URL960 variant's size.
type StoredImage struct {
	Key320 string
	Key960 string
	Width  int
	Height int
}

// ImagePathPrefix is where the site serves processed photos (CloudFront's
// /images/* behaviour on AWS, the local runner's /images/ locally). The
// object key in the images bucket is the URL path without its leading
// slash, so that CloudFront maps one to the other without rewriting.
const ImagePathPrefix = "/images/"

// ImageObjectKey is the images-bucket key of a variant whose bytes hash to
// sum (hex SHA-256).
func ImageObjectKey(sum string) string { return ImagePathPrefix[1:] + sum + ".jpg" }

// Public returns the image as clients see it.
func (s StoredImage) Public() *ProductImage {
	return &ProductImage{
		URL320: "/" + ImageObjectKey(s.Key320),
		URL960: "/" + ImageObjectKey(s.Key960),
		Width:  s.Width,
		Height: s.Height,
	}
}

// ImageError says why the last photo uploaded for a product was refused.
// Only the company sees it (GET /api/company/products/{id}); UploadID lets
// its console tell its own upload's refusal from an older one.
type ImageError struct {
	Reason   string    `json:"reason"`  // an images.Reason: too_large, too_many_pixels, unsupported_format, undecodable
	Message  string    `json:"message"` // for people; never contains upload bytes
	UploadID string    `json:"uploadId"`
	At       time.Time `json:"at"`
}

// UploadKey names an upload in the uploads bucket. The server chooses it
// (never a client-supplied file name) and the presigned policy pins it, so
// the processor can trust the company and product it names: only this
// service can sign a policy.
type UploadKey struct {
	CompanyID int64
	ProductID int64
	UploadID  string // 32 lowercase hex characters from crypto/rand
}

// UploadPrefix is the uploads bucket's prefix that the storage event is
// filtered on.
const UploadPrefix = "uploads/"

// NewUploadKey returns a fresh key for a photo of the company's product.
func NewUploadKey(companyID, productID int64) (UploadKey, error) {
	var b [16]byte
	if _, err := io.ReadFull(rand.Reader, b[:]); err != nil {
		return UploadKey{}, fmt.Errorf("upload id: %w", err)
	}
	return UploadKey{CompanyID: companyID, ProductID: productID, UploadID: hex.EncodeToString(b[:])}, nil
}

func (k UploadKey) String() string {
	return UploadPrefix + strconv.FormatInt(k.CompanyID, 10) + "/" + strconv.FormatInt(k.ProductID, 10) + "/" + k.UploadID
}

var uploadKeyPattern = regexp.MustCompile(`^uploads/([1-9][0-9]{0,18})/([1-9][0-9]{0,18})/([0-9a-f]{32})$`)

// ParseUploadKey reads a key NewUploadKey made; anything else (a key
// written some other way, an object outside the prefix) is refused.
func ParseUploadKey(key string) (UploadKey, error) {
	m := uploadKeyPattern.FindStringSubmatch(key)
	if m == nil {
		return UploadKey{}, fmt.Errorf("%q is not an upload key", key)
	}
	company, err1 := strconv.ParseInt(m[1], 10, 64)
	product, err2 := strconv.ParseInt(m[2], 10, 64)
	if err1 != nil || err2 != nil {
		return UploadKey{}, fmt.Errorf("%q is not an upload key", key)
	}
	return UploadKey{CompanyID: company, ProductID: product, UploadID: m[3]}, nil
}

// UploadForm is a presigned POST: the browser sends Fields, then the file
// as the last form field named "file", to URL before ExpiresAt.
type UploadForm struct {
	URL       string            `json:"url"`
	Fields    map[string]string `json:"fields"`
	ExpiresAt time.Time         `json:"expiresAt"`
	UploadID  string            `json:"uploadId"`
	MaxBytes  int64             `json:"maxBytes"`
}

// UploadSigner presigns uploads into the uploads bucket.
type UploadSigner interface {
	// SignUpload returns a presigned POST for exactly key, with a
	// content-length-range of 1..MaxUploadBytes, a Content-Type equal to
	// contentType, and an expiry of UploadTTL.
	SignUpload(ctx context.Context, key UploadKey, contentType string) (UploadForm, error)
}

// ImageStore keeps product photos in the database. Every method is scoped
// to a company: another company's product is CodeNotFound.
type ImageStore interface {
	// SetImage gives the product img, clears its ImageError and bumps its
	// version; it returns the product as it is after.
	SetImage(ctx context.Context, companyID, productID int64, img StoredImage) (Product, error)
	// RecordImageError records why an upload was refused, leaving the
	// product (and its version) as it was.
	RecordImageError(ctx context.Context, companyID, productID int64, e ImageError) error
	// RemoveImage drops the product's photo if it is at version, bumping
	// the version; CodePreconditionFailed if version is stale.
	RemoveImage(ctx context.Context, companyID, productID, version int64) (Product, error)
}

// ObjectStore is the object storage the processor reads uploads from and
// writes photos to.
type ObjectStore interface {
	// OpenUpload opens an upload; CodeNotFound if it is gone (an event
	// delivered twice, say).
	OpenUpload(ctx context.Context, key string) (io.ReadCloser, error)
	// DeleteUpload deletes an upload; deleting one that is gone succeeds.
	DeleteUpload(ctx context.Context, key string) error
	// PutImage writes a processed variant under ImageObjectKey(sum), with
	// immutable cache headers: the key is the hash of the bytes.
	PutImage(ctx context.Context, sum string, data []byte) error
}
