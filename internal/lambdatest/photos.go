package lambdatest

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"

	"github.com/deliverymarket/delivery/internal/market"
)

// PhotoEventFile is a real S3 ObjectCreated event of the uploads bucket,
// as S3 sends it to imageprocessor; its key is uploads/REPLACED-BY-TEST.
const PhotoEventFile = "lambdas/imageprocessor/testdata/s3-object-created.json"

// Photo is a w×h JPEG of smooth gradients, decoded and resized like a
// camera's photo of the same size.
func Photo(w, h int) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x + y) % 256), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// PhotoUpload puts data in s's uploads bucket under a fresh key for the
// company's product, as the browser's POST would, and returns the S3 event
// that announces it (from root's testdata) and the key.
func (s *Stack) PhotoUpload(root string, companyID, productID int64, data []byte) ([]byte, string, error) {
	if s.S3 == nil {
		return nil, "", errors.New("lambdatest: the stack has no S3 stand-in")
	}
	key, err := market.NewUploadKey(companyID, productID)
	if err != nil {
		return nil, "", err
	}
	if err := s.S3.Put(UploadsBucket, key.String(), data, "image/jpeg"); err != nil {
		return nil, "", err
	}
	event, err := PhotoEvent(root, key.String())
	return event, key.String(), err
}

// PhotoEvent is the S3 event of an upload under key, from root's testdata.
func PhotoEvent(root, key string) ([]byte, error) {
	event, err := os.ReadFile(filepath.Join(root, PhotoEventFile))
	if err != nil {
		return nil, err
	}
	return bytes.ReplaceAll(event, []byte("uploads/REPLACED-BY-TEST"), []byte(key)), nil
}
