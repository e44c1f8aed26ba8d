// Package images turns an untrusted upload into safe, small JPEGs.
//
// A company's photo arrives from the browser, so every byte of it is hostile
// until proven otherwise. Process trusts nothing the upload says about itself
// (no file name, no Content-Type): it reads a bounded number of bytes, checks
// the declared dimensions before any pixel is decoded (a 50 KB PNG can declare
// 100,000 × 100,000 pixels and ask for 40 GB), accepts only JPEG, PNG and
// WebP, decodes the pixels for real, applies the EXIF orientation and
// re-encodes two widths from the pixels alone, so nothing of the original
// file survives: no EXIF (GPS, camera, thumbnail), no ICC, no comments and no
// trailing data such as a ZIP appended to a PNG.
//
// The package knows nothing of S3, HTTP or the database: the caller stores
// the variants under their keys and records a refusal's Reason.
package images

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	_ "image/png" // registered for image.DecodeConfig and image.Decode
	"io"

	"github.com/disintegration/imaging"
	_ "golang.org/x/image/webp" // decoding only: x/image has no WebP encoder
)

// Limits from issue 12. MaxPixels and MaxSide bound what a decode may
// allocate (40 MP as NRGBA is 160 MB); MaxUploadBytes matches the presigned
// POST's content-length-range.
const (
	MaxUploadBytes = 5 << 20
	MaxPixels      = 40_000_000
	MaxSide        = 8000
)

// Output encoding. Quality 82 is the usual point where JPEG artefacts stop
// being visible on product photos while the files stay small.
const (
	Quality     = 82
	ContentType = "image/jpeg"
	Ext         = ".jpg"
)

// widths are the variants written, smallest first; the storefront's srcset
// uses both. A source narrower than a width is never upscaled.
var widths = [...]int{320, 960}

// Reason says why an upload was refused, in a form a caller can store
// (the product's imageError) and a client can switch on.
type Reason string

const (
	ReasonTooLarge          Reason = "too_large"          // more bytes than maxBytes
	ReasonTooManyPixels     Reason = "too_many_pixels"    // declared size over MaxPixels or a side over MaxSide
	ReasonUnsupportedFormat Reason = "unsupported_format" // not JPEG, PNG or WebP (SVG, HTML, GIF, …)
	ReasonUndecodable       Reason = "undecodable"        // claims a supported format but its pixels do not decode
)

// Error is a refusal: the upload is not an image this service will serve.
// Any other error from Process (reading r failed) is not the upload's fault
// and may be retried.
type Error struct {
	Reason Reason
	Msg    string // for logs and the console; never contains upload bytes
	Err    error  // the decoder's error, if any
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("image refused (%s): %s: %v", e.Reason, e.Msg, e.Err)
	}
	return fmt.Sprintf("image refused (%s): %s", e.Reason, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// ReasonOf returns the Reason of a refusal, or "" if err is nil or not a
// refusal (an I/O error, say).
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// Variant is one encoded output.
type Variant struct {
	Target int    // the width asked for (320 or 960)
	Width  int    // the actual width: Target, or less if the source is narrower
	Height int    // keeps the source's aspect ratio
	Key    string // hex SHA-256 of Data: the same bytes always get the same key
	Data   []byte // a baseline JPEG with no APPn or COM segment at all
}

// Result is what Process made of an upload.
type Result struct {
	Format   string    // the format found by decoding: "jpeg", "png" or "webp"
	Width    int       // the source's size after EXIF orientation
	Height   int       //
	Variants []Variant // one per width, smallest first
}

// Process reads at most maxBytes from r and returns the upload re-encoded as
// JPEG at each width. It returns an *Error with a Reason if the upload is
// refused, and a plain error if reading r failed.
func Process(r io.Reader, maxBytes int64) (Result, error) {
	// The bytes are needed twice (DecodeConfig, then Decode with the EXIF
	// orientation), so they are buffered; maxBytes bounds the buffer. One byte
	// more is read to tell "exactly maxBytes" from "more".
	buf, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return Result{}, fmt.Errorf("read upload: %w", err)
	}
	if int64(len(buf)) > maxBytes {
		return Result{}, &Error{Reason: ReasonTooLarge, Msg: fmt.Sprintf("more than %d bytes", maxBytes)}
	}

	// The header only: this allocates nothing in proportion to the declared
	// size, so a decompression bomb is refused here.
	cfg, format, err := image.DecodeConfig(bytes.NewReader(buf))
	if errors.Is(err, image.ErrFormat) {
		return Result{}, &Error{Reason: ReasonUnsupportedFormat, Msg: "not a JPEG, PNG or WebP image"}
	}
	if err != nil {
		return Result{}, &Error{Reason: ReasonUndecodable, Msg: "unreadable image header", Err: err}
	}
	// imaging registers GIF, BMP and TIFF as a side effect of its import, so
	// image.DecodeConfig knows more formats than we accept: allow-list here.
	switch format {
	case "jpeg", "png", "webp":
	default:
		return Result{}, &Error{Reason: ReasonUnsupportedFormat, Msg: fmt.Sprintf("%s is not accepted; use JPEG, PNG or WebP", format)}
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return Result{}, &Error{Reason: ReasonUndecodable, Msg: "empty image"}
	}
	if cfg.Width > MaxSide || cfg.Height > MaxSide {
		return Result{}, &Error{Reason: ReasonTooManyPixels, Msg: fmt.Sprintf("%d × %d px: a side is over %d px", cfg.Width, cfg.Height, MaxSide)}
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return Result{}, &Error{Reason: ReasonTooManyPixels, Msg: fmt.Sprintf("%d × %d px is over %d megapixels", cfg.Width, cfg.Height, MaxPixels/1_000_000)}
	}

	// Decode for real: a file whose header says PNG but whose pixels do not
	// decode is refused here. image.Decode sniffs the same magic bytes as
	// DecodeConfig did, so it picks the same (allowed) decoder, and the Go
	// decoders allocate from the same header fields that were just checked
	// (x/image/webp also checks the VP8L frame against the VP8X canvas).
	// AutoOrientation reads the EXIF orientation of a JPEG and rotates or
	// flips the pixels, so the output needs no orientation tag.
	img, err := imaging.Decode(bytes.NewReader(buf), imaging.AutoOrientation(true))
	if err != nil {
		return Result{}, &Error{Reason: ReasonUndecodable, Msg: fmt.Sprintf("%s pixels do not decode", format), Err: err}
	}

	src := flatten(img)
	b := src.Bounds()
	res := Result{Format: format, Width: b.Dx(), Height: b.Dy()}

	// Widest first, then each narrower variant from the previous one: resizing
	// a 40 MP source once instead of twice, with no visible loss at these sizes.
	out := make([]Variant, len(widths))
	cur := src
	for i := len(widths) - 1; i >= 0; i-- {
		if w := widths[i]; cur.Bounds().Dx() > w {
			cur = imaging.Resize(cur, w, 0, imaging.Lanczos)
		}
		var enc bytes.Buffer
		// image/jpeg writes SOI, DQT, SOF, DHT, SOS and EOI only: no JFIF,
		// no EXIF, no ICC, no comment. The tests assert this on the bytes.
		if err := jpeg.Encode(&enc, asRGBA(cur), &jpeg.Options{Quality: Quality}); err != nil {
			return Result{}, fmt.Errorf("encode %d px: %w", widths[i], err)
		}
		sum := sha256.Sum256(enc.Bytes())
		out[i] = Variant{
			Target: widths[i],
			Width:  cur.Bounds().Dx(),
			Height: cur.Bounds().Dy(),
			Key:    hex.EncodeToString(sum[:]),
			Data:   enc.Bytes(),
		}
	}
	res.Variants = out
	return res, nil
}

// flatten draws img over white. JPEG has no alpha channel and image/jpeg
// drops it, so a transparent PNG or WebP would otherwise come out with
// whatever colour its transparent pixels happen to hold (often black).
func flatten(img image.Image) image.Image {
	if opaque, ok := img.(interface{ Opaque() bool }); ok && opaque.Opaque() {
		return img
	}
	b := img.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Over)
	return dst
}

// asRGBA returns img as an *image.RGBA. image/jpeg reads *image.RGBA (and
// YCbCr) rows directly but any other type one pixel at a time through At,
// which allocates a color.Color per pixel: for imaging's *image.NRGBA
// that was 768,000 allocations for the two widths of every photo (8 % of
// a 1600 × 1200 photo's time, BenchmarkProcess). The copy is of the small,
// resized variant only.
func asRGBA(img image.Image) *image.RGBA {
	if rgba, ok := img.(*image.RGBA); ok {
		return rgba
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	return dst
}
