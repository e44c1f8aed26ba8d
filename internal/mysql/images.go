package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
)

// Product photos (issue 12): the products' image_* columns (migration 9)
// hold the processed photo and the record of the last refused upload.
// Every product read selects them (productColumns) into a productRow.

const productImageColumns = `p.image_320, p.image_960, p.image_width, p.image_height,
    p.image_error_reason, p.image_error_message, p.image_error_upload, p.image_error_at`

// productRow is a product as the queries read it, with the nullable
// columns of its photo and of its last refused upload.
type productRow struct {
	market.Product
	Image320     *string    `db:"image_320"`
	Image960     *string    `db:"image_960"`
	ImageWidth   *int       `db:"image_width"`
	ImageHeight  *int       `db:"image_height"`
	ErrorReason  *string    `db:"image_error_reason"`
	ErrorMessage *string    `db:"image_error_message"`
	ErrorUpload  *string    `db:"image_error_upload"`
	ErrorAt      *time.Time `db:"image_error_at"`
}

// product returns the row as the domain sees it. The CHECKs of migration
// 9 keep each group of columns whole; a row that is not (which they make
// impossible) reads as having no photo rather than half of one.
func (r productRow) product() market.Product {
	p := r.Product
	p.Image = storedImage(r.Image320, r.Image960, r.ImageWidth, r.ImageHeight)
	if r.ErrorReason != nil && r.ErrorMessage != nil && r.ErrorUpload != nil && r.ErrorAt != nil {
		p.ImageError = &market.ImageError{
			Reason: *r.ErrorReason, Message: *r.ErrorMessage, UploadID: *r.ErrorUpload, At: r.ErrorAt.UTC(),
		}
	}
	return p
}

// storedImage is the public image of a photo's columns, nil without one.
func storedImage(key320, key960 *string, width, height *int) *market.ProductImage {
	if key320 == nil || key960 == nil || width == nil || height == nil {
		return nil
	}
	return market.StoredImage{Key320: *key320, Key960: *key960, Width: *width, Height: *height}.Public()
}

// lineImage returns the image_* values of an order line that snapshots
// img: NULLs for no photo. The line carries the photo as clients see it,
// so the keys are read back from its URLs, and a URL that
// market.ImageObjectKey did not make is an error rather than a guess.
func lineImage(img *market.ProductImage) ([]any, error) {
	if img == nil {
		return []any{nil, nil, nil, nil}, nil
	}
	key320, ok320 := imageKeyOf(img.URL320)
	key960, ok960 := imageKeyOf(img.URL960)
	if !ok320 || !ok960 {
		return nil, fmt.Errorf("order line photo %q, %q: not the URLs of processed photos", img.URL320, img.URL960)
	}
	return []any{key320, key960, img.Width, img.Height}, nil
}

// imageKeyOf returns the key (the variant's hex SHA-256) that a photo URL
// of StoredImage.Public names.
func imageKeyOf(url string) (string, bool) {
	key := strings.TrimSuffix(strings.TrimPrefix(url, market.ImagePathPrefix), ".jpg")
	return key, imageKey.MatchString(key) && "/"+market.ImageObjectKey(key) == url
}

// selectProducts runs a product query (one selecting productColumns) and
// returns its products; never nil.
func selectProducts(ctx context.Context, q sqlx.QueryerContext, query string, args ...any) ([]market.Product, error) {
	var rows []productRow
	if err := sqlx.SelectContext(ctx, q, &rows, query, args...); err != nil {
		return nil, err
	}
	products := make([]market.Product, len(rows))
	for i, r := range rows {
		products[i] = r.product()
	}
	return products, nil
}

var _ market.ImageStore = (*ProductStore)(nil)

// The photo writes lock as every product write does (products.go): the
// company's row, then the product's.
const (
	lockProductImage = `SELECT version, image_320 IS NOT NULL AS has_image, image_error_reason IS NOT NULL AS has_error
FROM products WHERE id = ? AND company_id = ? FOR UPDATE`
	setProductImage = `UPDATE products
SET image_320 = ?, image_960 = ?, image_width = ?, image_height = ?,
    image_error_reason = NULL, image_error_message = NULL, image_error_upload = NULL, image_error_at = NULL,
    version = version + 1, updated_at = CURRENT_TIMESTAMP(6)
WHERE id = ? AND company_id = ?`
	recordImageError = `UPDATE products
SET image_error_reason = ?, image_error_message = ?, image_error_upload = ?, image_error_at = ?
WHERE id = ? AND company_id = ?`
	removeProductImage = `UPDATE products
SET image_320 = NULL, image_960 = NULL, image_width = NULL, image_height = NULL,
    image_error_reason = NULL, image_error_message = NULL, image_error_upload = NULL, image_error_at = NULL,
    version = version + 1, updated_at = CURRENT_TIMESTAMP(6)
WHERE id = ? AND company_id = ? AND version = ?`
	clearImageError = `UPDATE products
SET image_error_reason = NULL, image_error_message = NULL, image_error_upload = NULL, image_error_at = NULL
WHERE id = ? AND company_id = ?`
)

// The widths of the image_error_* columns.
const (
	maxImageErrorReason  = 32
	maxImageErrorMessage = 255
)

var (
	imageKey = regexp.MustCompile(`^[0-9a-f]{64}$`)
	uploadID = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// imageLock is what a photo write reads of the product it has locked.
type imageLock struct {
	Version  int64 `db:"version"`
	HasImage bool  `db:"has_image"`
	HasError bool  `db:"has_error"`
}

// lockForImage locks the company's row, then the product's, and reads the
// product's version and whether it has a photo and a refusal on record;
// CodeNotFound if the product is not the company's.
func lockForImage(ctx context.Context, tx sqlx.ExtContext, companyID, productID int64) (imageLock, error) {
	_, err := lockCompanyRow(ctx, tx, companyID)
	if market.ErrorCode(err) == market.CodeNotFound {
		return imageLock{}, errProductNotFound(productID)
	}
	if err != nil {
		return imageLock{}, err
	}
	var lock imageLock
	err = sqlx.GetContext(ctx, tx, &lock, lockProductImage, productID, companyID)
	if errors.Is(err, sql.ErrNoRows) {
		return imageLock{}, errProductNotFound(productID)
	}
	if err != nil {
		return imageLock{}, fmt.Errorf("lock product: %w", err)
	}
	return lock, nil
}

// SetImage gives the company's product the photo img, clears the record of
// a refused upload and bumps the version. CodeNotFound if the product is
// not the company's; CodeInvalid if img is not a processed photo (keys of
// 64 lowercase hex digits, a positive size).
func (s *ProductStore) SetImage(ctx context.Context, companyID, productID int64, img market.StoredImage) (market.Product, error) {
	if !imageKey.MatchString(img.Key320) || !imageKey.MatchString(img.Key960) || img.Width < 1 || img.Height < 1 {
		return market.Product{}, market.Errorf(market.CodeInvalid, "a photo needs two SHA-256 keys and a positive size")
	}
	var changed market.Product
	err := s.write(ctx, func(tx sqlx.ExtContext) error {
		if _, err := lockForImage(ctx, tx, companyID, productID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, setProductImage, img.Key320, img.Key960, img.Width, img.Height, productID, companyID); err != nil {
			return fmt.Errorf("set product image: %w", err)
		}
		var err error
		changed, err = NewProductStore(tx).CompanyProduct(ctx, companyID, productID)
		return err
	})
	if err != nil {
		return market.Product{}, translate("set product image", err)
	}
	return changed, nil
}

// RecordImageError records why an upload for the company's product was
// refused, replacing any earlier record; the product's version stays, as
// its data does. A message longer than its column is cut at a character
// boundary. CodeNotFound if the product is not the company's; CodeInvalid
// if the reason or the upload id cannot be what the processor sends.
func (s *ProductStore) RecordImageError(ctx context.Context, companyID, productID int64, e market.ImageError) error {
	if e.Reason == "" || len(e.Reason) > maxImageErrorReason || !uploadID.MatchString(e.UploadID) {
		return market.Errorf(market.CodeInvalid, "a refused upload needs a reason of at most %d bytes and the upload's id", maxImageErrorReason)
	}
	message := truncateRunes(e.Message, maxImageErrorMessage)
	at := e.At.UTC().Truncate(time.Microsecond)
	err := s.write(ctx, func(tx sqlx.ExtContext) error {
		if _, err := lockForImage(ctx, tx, companyID, productID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, recordImageError, e.Reason, message, e.UploadID, at, productID, companyID); err != nil {
			return fmt.Errorf("record image error: %w", err)
		}
		return nil
	})
	return translate("record image error", err)
}

// RemoveImage drops the photo of the company's product if the product is at
// version, clearing the record of a refused upload too, and bumps the
// version. A product without a photo is left as it is, version included
// (only a refusal on record is cleared): there is nothing to remove, and a
// console repeating the request must not see a version it did not make.
// CodeNotFound if the product is not the company's; CodePreconditionFailed
// if version is stale.
func (s *ProductStore) RemoveImage(ctx context.Context, companyID, productID, version int64) (market.Product, error) {
	var changed market.Product
	err := s.write(ctx, func(tx sqlx.ExtContext) error {
		lock, err := lockForImage(ctx, tx, companyID, productID)
		if err != nil {
			return err
		}
		if lock.Version != version {
			return errStaleVersion(productID, lock.Version, version)
		}
		switch {
		case lock.HasImage:
			res, err := tx.ExecContext(ctx, removeProductImage, productID, companyID, version)
			if err != nil {
				return fmt.Errorf("remove product image: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				// Unreachable under the row lock (see change in products.go).
				current, readErr := NewProductStore(tx).CompanyProduct(ctx, companyID, productID)
				if readErr != nil {
					return readErr
				}
				return errStaleVersion(productID, current.Version, version)
			}
		case lock.HasError:
			if _, err := tx.ExecContext(ctx, clearImageError, productID, companyID); err != nil {
				return fmt.Errorf("clear image error: %w", err)
			}
		}
		changed, err = NewProductStore(tx).CompanyProduct(ctx, companyID, productID)
		return err
	})
	if err != nil {
		return market.Product{}, translate("remove product image", err)
	}
	return changed, nil
}

// truncateRunes cuts s to at most n characters, never inside one; bytes
// that are not UTF-8, which a utf8mb4 column refuses, become U+FFFD.
func truncateRunes(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}
