package market

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/deliverymarket/delivery/internal/images"
)

// PhotoProcessor turns an upload into a product's photo: the storage event
// of each upload (the imageprocessor function) runs Process once, or again
// when it failed. An upload that cannot become a photo is deleted and
// recorded, never retried; one that could not be handled for a reason of
// the moment (storage or database unreachable) is kept and the error
// returned, so that the event is delivered again.
type PhotoProcessor struct {
	Objects ObjectStore
	Images  ImageStore
	Now     func() time.Time // time.Now when nil
	Log     *slog.Logger     // slog.Default() when nil
}

// Process handles the upload under key. It returns nil when the upload is
// done with (it became the product's photo, it was refused and the refusal
// recorded, it named no product of ours, or it was already gone), and an
// error, with the upload kept, when it may succeed later.
func (p PhotoProcessor) Process(ctx context.Context, key string) error {
	uk, err := ParseUploadKey(key)
	if err != nil {
		// Only this service signs upload policies, and only for keys it
		// made: anything else is not ours to process.
		p.log().Warn("photo: not an upload key, deleted", "key", key)
		return p.drop(ctx, key)
	}
	log := p.log().With("key", key, "companyId", uk.CompanyID, "productId", uk.ProductID, "uploadId", uk.UploadID)

	upload, err := p.Objects.OpenUpload(ctx, key)
	if ErrorCode(err) == CodeNotFound {
		// An event delivered twice, or retried after the upload was
		// handled: nothing is left to do.
		log.Info("photo: upload already gone")
		return nil
	}
	if err != nil {
		return fmt.Errorf("photo %s: %w", key, err)
	}
	result, err := images.Process(upload, MaxUploadBytes)
	upload.Close()

	var refusal *images.Error
	if errors.As(err, &refusal) {
		rec := ImageError{Reason: string(refusal.Reason), Message: refusal.Msg, UploadID: uk.UploadID, At: p.now().UTC()}
		err := p.Images.RecordImageError(ctx, uk.CompanyID, uk.ProductID, rec)
		if ErrorCode(err) == CodeNotFound {
			log.Warn("photo: refused, and no such product of that company; deleted", "reason", rec.Reason)
			return p.drop(ctx, key)
		}
		if err != nil {
			return fmt.Errorf("photo %s: record the refusal: %w", key, err)
		}
		log.Info("photo: refused", "reason", rec.Reason, "why", rec.Message)
		return p.drop(ctx, key)
	}
	if err != nil {
		// Reading the upload failed, not decoding it.
		return fmt.Errorf("photo %s: %w", key, err)
	}

	small, large := result.Variants[0], result.Variants[1]
	for _, v := range []images.Variant{small, large} {
		if err := p.Objects.PutImage(ctx, v.Key, v.Data); err != nil {
			return fmt.Errorf("photo %s: %w", key, err)
		}
	}
	img := StoredImage{Key320: small.Key, Key960: large.Key, Width: large.Width, Height: large.Height}
	product, err := p.Images.SetImage(ctx, uk.CompanyID, uk.ProductID, img)
	if ErrorCode(err) == CodeNotFound {
		// The variants stay in the images bucket: their keys are their
		// hashes, so they are harmless, and another product may share them.
		log.Warn("photo: no such product of that company; deleted")
		return p.drop(ctx, key)
	}
	if err != nil {
		return fmt.Errorf("photo %s: set the image: %w", key, err)
	}
	log.Info("photo: accepted", "format", result.Format, "width", large.Width, "height", large.Height, "version", product.Version)
	return p.drop(ctx, key)
}

// drop deletes an upload that is done with. If that fails, the error asks
// for the event again and the upload is processed again: the same bytes
// make the same keys, so the product ends with the same photo (one version
// later) or the same refusal.
func (p PhotoProcessor) drop(ctx context.Context, key string) error {
	if err := p.Objects.DeleteUpload(ctx, key); err != nil {
		return fmt.Errorf("photo %s: delete the upload: %w", key, err)
	}
	return nil
}

func (p PhotoProcessor) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

func (p PhotoProcessor) log() *slog.Logger {
	if p.Log == nil {
		return slog.Default()
	}
	return p.Log
}
