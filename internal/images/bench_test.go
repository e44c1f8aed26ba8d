package images

import (
	"bytes"
	"image"
	"image/color"
	"testing"
)

// photoLike is a w × h image with gradients and fine detail, so that the
// encoders and the resampler do the work a real photo asks of them (a flat
// image compresses to nothing and flatters every figure). Transparent
// pixels, when asked for, make Process flatten it over white first: the
// worst case for memory.
func photoLike(w, h int, transparent bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{
				R: uint8(x * 255 / w),
				G: uint8(y * 255 / h),
				B: uint8((x*x + y*y*3) >> 4),
				A: 255,
			}
			if transparent && (x/64+y/64)%5 == 0 {
				c.A = 0
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// BenchmarkProcess times one upload made into both widths, for the sizes
// companies send: a photo already sized for the web, a 12 MP phone photo,
// and the largest accepted (40 MP; as PNG with transparency, the most
// memory). B/op is what the imageprocessor function's memory is sized on
// (docs/performance.md, docs/deploy.md).
//
//	go test -run '^$' -bench Process -benchmem -count 6 ./internal/images/
func BenchmarkProcess(b *testing.B) {
	cases := []struct {
		name string
		file func(testing.TB) []byte
	}{
		{"jpeg-1600x1200", func(tb testing.TB) []byte { return encodeJPEG(tb, photoLike(1600, 1200, false)) }},
		{"jpeg-4032x3024", func(tb testing.TB) []byte { return encodeJPEG(tb, photoLike(4032, 3024, false)) }},
		{"png-alpha-7300x5475", func(tb testing.TB) []byte { return encodePNG(tb, photoLike(7300, 5475, true)) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			file := c.file(b)
			b.SetBytes(int64(len(file)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := Process(bytes.NewReader(file), int64(len(file))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
