package app

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// ImageProcessorHandler is the handler of the imageprocessor Lambda: the
// ObjectCreated events of the uploads bucket, each upload made into its
// product's photo or refused (market.PhotoProcessor).
type ImageProcessorHandler struct {
	// Bucket, when set, is the uploads bucket: a record of another bucket
	// is skipped, since the object store reads the key from this one.
	Bucket string

	photos market.PhotoProcessor
	log    *slog.Logger
}

// ImageProcessor builds the imageprocessor handler from d: the uploads and
// images buckets (d.Objects) and the database the photos are recorded in.
func ImageProcessor(d Deps) (*ImageProcessorHandler, error) {
	if d.Objects == nil {
		return nil, errors.New("config: missing UPLOADS_BUCKET and IMAGES_BUCKET (the image processor reads uploads from one and writes photos to the other)")
	}
	if d.DB == nil {
		return nil, errors.New("config: the image processor needs the database")
	}
	log := d.Logger
	if log == nil {
		log = slog.Default()
	}
	return &ImageProcessorHandler{
		photos: market.PhotoProcessor{Objects: d.Objects, Images: mysql.NewProductStore(d.DB), Log: log},
		log:    log,
	}, nil
}

// Handle processes each ObjectCreated record of e. S3 sends one record per
// event; if several come, each is processed, and the event fails if any
// record failed for a reason of the moment: S3's asynchronous invocation
// then delivers the whole event again, and the records already done find
// their uploads gone.
func (h *ImageProcessorHandler) Handle(ctx context.Context, e events.S3Event) error {
	var errs []error
	for _, rec := range e.Records {
		if !strings.HasPrefix(rec.EventName, "ObjectCreated:") {
			h.log.Warn("imageprocessor: not an ObjectCreated event, skipped", "eventName", rec.EventName)
			continue
		}
		if h.Bucket != "" && rec.S3.Bucket.Name != h.Bucket {
			h.log.Warn("imageprocessor: an event of another bucket, skipped", "bucket", rec.S3.Bucket.Name)
			continue
		}
		// S3 sends keys URL-encoded (a space as "+"). aws-lambda-go
		// decodes them into URLDecodedKey when it unmarshals JSON, but an
		// event built in Go (the local runner's) has only Key.
		key, err := url.QueryUnescape(rec.S3.Object.Key)
		if err != nil {
			h.log.Warn("imageprocessor: a key that is not URL-encoded, skipped", "key", rec.S3.Object.Key)
			continue
		}
		if err := h.photos.Process(ctx, key); err != nil {
			h.log.Error("imageprocessor: failed, the event will be retried", "key", key, "error", err.Error())
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
