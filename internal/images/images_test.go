package images

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

var (
	red  = color.NRGBA{R: 255, A: 255}
	blue = color.NRGBA{B: 255, A: 255}
)

// halves is a w × h image whose left half is red and right half blue, so a
// rotation is visible in the output's pixels.
func halves(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if x < w/2 {
				img.SetNRGBA(x, y, red)
			} else {
				img.SetNRGBA(x, y, blue)
			}
		}
	}
	return img
}

func encodeJPEG(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// bitWriter packs bits least-significant first, as VP8L wants them.
type bitWriter struct {
	buf   []byte
	acc   uint64
	nbits uint
}

func (w *bitWriter) write(v uint64, n uint) {
	w.acc |= v << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc >>= 8
		w.nbits -= 8
	}
}

func (w *bitWriter) bytes() []byte {
	if w.nbits > 0 {
		w.buf = append(w.buf, byte(w.acc))
	}
	return w.buf
}

// solidWebP builds a lossless WebP (VP8L) of one colour by hand, since
// x/image has no WebP encoder and a test should not need a binary fixture.
// With no transform, no colour cache and a single-symbol ("simple") prefix
// code for each of green, red, blue, alpha and distance, every pixel costs
// zero bits, so the file is a few dozen bytes whatever its declared size —
// which also makes it a genuine decompression bomb when w × h is large.
func solidWebP(w, h int, c color.NRGBA) []byte {
	var bw bitWriter
	bw.write(0x2f, 8)         // VP8L signature
	bw.write(uint64(w-1), 14) // image width - 1
	bw.write(uint64(h-1), 14) // image height - 1
	bw.write(1, 1)            // alpha_is_used (a hint)
	bw.write(0, 3)            // version 0
	bw.write(0, 1)            // no transform
	bw.write(0, 1)            // no colour cache
	bw.write(0, 1)            // no meta prefix codes
	// One prefix code each for green, red, blue, alpha and distance.
	for _, sym := range []uint8{c.G, c.R, c.B, c.A, 0} {
		bw.write(1, 1) // simple code
		bw.write(0, 1) // one symbol
		bw.write(1, 1) // the symbol takes 8 bits
		bw.write(uint64(sym), 8)
	}
	chunk := bw.bytes()
	if len(chunk)%2 == 1 {
		chunk = append(chunk, 0) // RIFF chunks are padded to even length
	}
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(4+8+len(chunk)))
	b.WriteString("WEBPVP8L")
	binary.Write(&b, binary.LittleEndian, uint32(len(chunk)))
	b.Write(chunk)
	return b.Bytes()
}

// exif builds an APP1 Exif payload (little-endian TIFF) with an Orientation
// tag and, if gps, a GPS IFD holding a latitude reference and a version: the
// kind of metadata that must never reach the storefront.
func exif(orientation uint16, gps bool) []byte {
	le := binary.LittleEndian
	var t bytes.Buffer
	t.WriteString("II*\x00")
	binary.Write(&t, le, uint32(8)) // IFD0 at offset 8
	n := uint16(1)
	if gps {
		n = 2
	}
	binary.Write(&t, le, n)
	// Orientation: tag 0x0112, SHORT, count 1, value in the first 2 bytes.
	binary.Write(&t, le, []uint16{0x0112, 3})
	binary.Write(&t, le, uint32(1))
	binary.Write(&t, le, []uint16{orientation, 0})
	if gps {
		gpsOff := uint32(8 + 2 + 12*2 + 4)
		binary.Write(&t, le, []uint16{0x8825, 4}) // GPSInfo IFD pointer, LONG
		binary.Write(&t, le, []uint32{1, gpsOff})
	}
	binary.Write(&t, le, uint32(0)) // no next IFD
	if gps {
		binary.Write(&t, le, uint16(2))
		binary.Write(&t, le, []uint16{0x0000, 1}) // GPSVersionID, BYTE × 4
		binary.Write(&t, le, uint32(4))
		t.Write([]byte{2, 3, 0, 0})
		binary.Write(&t, le, []uint16{0x0001, 2}) // GPSLatitudeRef, ASCII × 2
		binary.Write(&t, le, uint32(2))
		t.Write([]byte{'N', 0, 0, 0})
		binary.Write(&t, le, uint32(0))
	}
	return append([]byte("Exif\x00\x00"), t.Bytes()...)
}

// withAPP1 inserts an APP1 segment right after a JPEG's SOI marker.
func withAPP1(jpg, payload []byte) []byte {
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

// withPNGSize rewrites the IHDR of a PNG to declare w × h, with a valid CRC,
// leaving the (tiny) pixel data as it was: a decompression bomb's header.
func withPNGSize(p []byte, w, h uint32) []byte {
	out := append([]byte{}, p...)
	// Signature (8), length (4), "IHDR" (4), then width and height.
	binary.BigEndian.PutUint32(out[16:], w)
	binary.BigEndian.PutUint32(out[20:], h)
	binary.BigEndian.PutUint32(out[29:], crc32.ChecksumIEEE(out[12:29]))
	return out
}

// jpegMarkers lists the markers of a JPEG up to and including SOS, parsing
// the segment lengths, so a 0xFF 0xE1 inside a table is not mistaken for one.
func jpegMarkers(tb testing.TB, b []byte) []byte {
	tb.Helper()
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		tb.Fatalf("output does not start with SOI")
	}
	var ms []byte
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			tb.Fatalf("no marker at offset %d", i)
		}
		m := b[i+1]
		ms = append(ms, m)
		if m == 0xDA { // SOS: entropy-coded data follows
			return ms
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
	}
	tb.Fatalf("no SOS marker")
	return nil
}

// assertClean checks that an output JPEG carries no metadata and nothing
// after its EOI.
func assertClean(t *testing.T, data []byte) {
	t.Helper()
	for _, m := range jpegMarkers(t, data) {
		if m >= 0xE0 && m <= 0xEF || m == 0xFE {
			t.Errorf("output has marker 0xFF%02X (APPn or COM); want none", m)
		}
	}
	if bytes.Contains(data, []byte("Exif\x00\x00")) {
		t.Errorf("output contains an Exif header")
	}
	if bytes.Contains(data, []byte{0xFF, 0xE1}) {
		t.Errorf("output contains the APP1 marker 0xFFE1")
	}
	if !bytes.HasSuffix(data, []byte{0xFF, 0xD9}) {
		t.Errorf("output does not end with EOI: trailing data")
	}
}

func TestProcessAccepts(t *testing.T) {
	pngWithZip := func() []byte {
		var z bytes.Buffer
		zw := zip.NewWriter(&z)
		f, _ := zw.Create("payload.html")
		f.Write([]byte("<script>alert(1)</script>"))
		zw.Close()
		return append(encodePNG(t, halves(600, 400)), z.Bytes()...)
	}

	tests := []struct {
		name       string
		in         []byte
		format     string
		srcW, srcH int       // after orientation
		sizes      [2][2]int // {w, h} of the 320 and 960 variants
	}{
		{"jpeg", encodeJPEG(t, halves(1200, 800)), "jpeg", 1200, 800, [2][2]int{{320, 213}, {960, 640}}},
		{"png", encodePNG(t, halves(2000, 1000)), "png", 2000, 1000, [2][2]int{{320, 160}, {960, 480}}},
		{"webp", solidWebP(1600, 1200, blue), "webp", 1600, 1200, [2][2]int{{320, 240}, {960, 720}}},
		{"no upscale between widths", encodePNG(t, halves(500, 250)), "png", 500, 250, [2][2]int{{320, 160}, {500, 250}}},
		{"no upscale below both", solidWebP(100, 50, red), "webp", 100, 50, [2][2]int{{100, 50}, {100, 50}}},
		{"exactly 960", encodeJPEG(t, halves(960, 480)), "jpeg", 960, 480, [2][2]int{{320, 160}, {960, 480}}},
		// Orientation 6: the camera was turned 90° clockwise; the stored
		// 1200 × 600 pixels display as 600 × 1200.
		{"exif orientation 6", withAPP1(encodeJPEG(t, halves(1200, 600)), exif(6, false)), "jpeg", 600, 1200, [2][2]int{{320, 640}, {600, 1200}}},
		{"exif gps stripped", withAPP1(encodeJPEG(t, halves(800, 600)), exif(1, true)), "jpeg", 800, 600, [2][2]int{{320, 240}, {800, 600}}},
		// A PNG with a ZIP appended is still a PNG: the decoder stops at
		// IEND, and the output is re-encoded pixels, so the ZIP is gone.
		{"png/zip polyglot", pngWithZip(), "png", 600, 400, [2][2]int{{320, 213}, {600, 400}}},
		// Nothing reads a Content-Type or a file name: a PNG uploaded as
		// "photo.jpg" with image/jpeg is found to be, and treated as, a PNG.
		{"png declared as jpeg", encodePNG(t, halves(400, 400)), "png", 400, 400, [2][2]int{{320, 320}, {400, 400}}},
		{"transparent png", encodePNG(t, image.NewNRGBA(image.Rect(0, 0, 10, 10))), "png", 10, 10, [2][2]int{{10, 10}, {10, 10}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Process(bytes.NewReader(tt.in), MaxUploadBytes)
			if err != nil {
				t.Fatalf("Process() error = %v, want nil", err)
			}
			if res.Format != tt.format || res.Width != tt.srcW || res.Height != tt.srcH {
				t.Errorf("Process() = %s %d × %d, want %s %d × %d", res.Format, res.Width, res.Height, tt.format, tt.srcW, tt.srcH)
			}
			if len(res.Variants) != 2 {
				t.Fatalf("Process() gave %d variants, want 2", len(res.Variants))
			}
			for i, v := range res.Variants {
				if want := []int{320, 960}[i]; v.Target != want {
					t.Errorf("variant %d Target = %d, want %d", i, v.Target, want)
				}
				if v.Width != tt.sizes[i][0] || v.Height != tt.sizes[i][1] {
					t.Errorf("variant %d = %d × %d, want %d × %d", v.Target, v.Width, v.Height, tt.sizes[i][0], tt.sizes[i][1])
				}
				cfg, format, err := image.DecodeConfig(bytes.NewReader(v.Data))
				if err != nil || format != "jpeg" || cfg.Width != v.Width || cfg.Height != v.Height {
					t.Errorf("variant %d decodes as %s %d × %d (%v), want jpeg %d × %d", v.Target, format, cfg.Width, cfg.Height, err, v.Width, v.Height)
				}
				if len(v.Key) != 64 || strings.Trim(v.Key, "0123456789abcdef") != "" {
					t.Errorf("variant %d Key = %q, want 64 hex digits", v.Target, v.Key)
				}
				assertClean(t, v.Data)
			}
			if bytes.Contains(res.Variants[1].Data, []byte("PK\x03\x04")) {
				t.Errorf("output still carries the appended ZIP")
			}
		})
	}
}

// WebP pixels decode to the right colour, and a transparent pixel comes out
// white, not whatever colour it held, since JPEG has no alpha.
func TestProcessColours(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want color.NRGBA
	}{
		{"opaque webp", solidWebP(40, 40, blue), blue},
		{"transparent webp", solidWebP(40, 40, color.NRGBA{R: 10}), color.NRGBA{R: 255, G: 255, B: 255, A: 255}},
		{"transparent png", encodePNG(t, image.NewNRGBA(image.Rect(0, 0, 40, 40))), color.NRGBA{R: 255, G: 255, B: 255, A: 255}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Process(bytes.NewReader(tt.in), MaxUploadBytes)
			if err != nil {
				t.Fatal(err)
			}
			img, err := jpeg.Decode(bytes.NewReader(res.Variants[0].Data))
			if err != nil {
				t.Fatal(err)
			}
			got := color.NRGBAModel.Convert(img.At(20, 20)).(color.NRGBA)
			if diff(got.R, tt.want.R) > 16 || diff(got.G, tt.want.G) > 16 || diff(got.B, tt.want.B) > 16 {
				t.Errorf("pixel = %v, want about %v", got, tt.want)
			}
		})
	}
}

func diff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// The orientation is applied to the pixels, not only to the reported size:
// rotating the red-left/blue-right image 90° clockwise puts red on top.
func TestProcessOrientationPixels(t *testing.T) {
	in := withAPP1(encodeJPEG(t, halves(400, 200)), exif(6, false))
	res, err := Process(bytes.NewReader(in), MaxUploadBytes)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(res.Variants[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	top := color.NRGBAModel.Convert(img.At(b.Dx()/2, b.Dy()/4)).(color.NRGBA)
	bottom := color.NRGBAModel.Convert(img.At(b.Dx()/2, 3*b.Dy()/4)).(color.NRGBA)
	if top.R < 200 || top.B > 60 || bottom.B < 200 || bottom.R > 60 {
		t.Errorf("top = %v, bottom = %v; want red on top, blue below", top, bottom)
	}
}

// The same pixels give the same bytes and so the same key; different pixels
// give a different key.
func TestProcessKeysAreContentAddressed(t *testing.T) {
	in := encodePNG(t, halves(700, 300))
	a, errA := Process(bytes.NewReader(in), MaxUploadBytes)
	b, errB := Process(bytes.NewReader(in), MaxUploadBytes)
	c, errC := Process(bytes.NewReader(encodePNG(t, halves(701, 300))), MaxUploadBytes)
	if err := errors.Join(errA, errB, errC); err != nil {
		t.Fatal(err)
	}
	if a.Variants[1].Key != b.Variants[1].Key {
		t.Errorf("same input, keys %s and %s; want equal", a.Variants[1].Key, b.Variants[1].Key)
	}
	if a.Variants[1].Key == c.Variants[1].Key {
		t.Errorf("different inputs, same key %s", a.Variants[1].Key)
	}
	if a.Variants[0].Key == a.Variants[1].Key {
		t.Errorf("320 and 960 variants share key %s", a.Variants[0].Key)
	}
}

func TestProcessRefuses(t *testing.T) {
	small := encodePNG(t, halves(10, 10))
	jpg := encodeJPEG(t, halves(300, 200))
	var gifBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, halves(10, 10), nil); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		in       []byte
		maxBytes int64
		want     Reason
	}{
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>`), MaxUploadBytes, ReasonUnsupportedFormat},
		// An HTML page uploaded with Content-Type image/png: nothing reads
		// the type, and the bytes are not an image.
		{"html declared as png", []byte("<!doctype html><html><body><script>alert(1)</script></body></html>"), MaxUploadBytes, ReasonUnsupportedFormat},
		{"gif (decodable, not accepted)", gifBuf.Bytes(), MaxUploadBytes, ReasonUnsupportedFormat},
		{"empty", nil, MaxUploadBytes, ReasonUnsupportedFormat},
		{"zip before png", append([]byte("PK\x03\x04"), small...), MaxUploadBytes, ReasonUnsupportedFormat},
		{"forged png magic", append(append([]byte{}, small[:8]...), "this is not an IHDR chunk at all"...), MaxUploadBytes, ReasonUndecodable},
		{"truncated png header", small[:20], MaxUploadBytes, ReasonUndecodable},
		{"truncated png pixels", small[:len(small)-20], MaxUploadBytes, ReasonUndecodable},
		{"truncated jpeg", jpg[:len(jpg)/2], MaxUploadBytes, ReasonUndecodable},
		{"truncated webp", solidWebP(10, 10, red)[:24], MaxUploadBytes, ReasonUndecodable},
		{"over maxBytes", small, int64(len(small) - 1), ReasonTooLarge},
		{"png bomb 100000 × 100000", withPNGSize(small, 100_000, 100_000), MaxUploadBytes, ReasonTooManyPixels},
		{"png side over 8000", withPNGSize(small, 8001, 10), MaxUploadBytes, ReasonTooManyPixels},
		{"png over 40 MP", withPNGSize(small, 8000, 5001), MaxUploadBytes, ReasonTooManyPixels},
		// Decodable in full at zero bits per pixel: a real 1 GB bomb.
		{"webp bomb 16000 × 16000", solidWebP(16000, 16000, red), MaxUploadBytes, ReasonTooManyPixels},
		{"webp over 40 MP", solidWebP(7000, 7000, red), MaxUploadBytes, ReasonTooManyPixels},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Process(bytes.NewReader(tt.in), tt.maxBytes)
			if got := ReasonOf(err); got != tt.want {
				t.Fatalf("Process() = %+v, %v; want reason %q", res, err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Error() == "" {
				t.Errorf("Process() error %v is not a described *Error", err)
			}
		})
	}
}

// Exactly maxBytes is allowed; the limit is on what is read, so a reader
// that never ends is refused after maxBytes+1 bytes, not read to the end.
func TestProcessByteLimit(t *testing.T) {
	in := encodePNG(t, halves(50, 50))
	if _, err := Process(bytes.NewReader(in), int64(len(in))); err != nil {
		t.Errorf("Process(exactly maxBytes) = %v, want nil", err)
	}
	endless := &countingReader{}
	if _, err := Process(endless, 1<<20); ReasonOf(err) != ReasonTooLarge {
		t.Errorf("Process(endless) = %v, want %s", err, ReasonTooLarge)
	}
	if endless.n > 1<<20+1 {
		t.Errorf("read %d bytes from an endless reader, want at most %d", endless.n, 1<<20+1)
	}
}

type countingReader struct{ n int64 }

func (r *countingReader) Read(p []byte) (int, error) {
	r.n += int64(len(p))
	return len(p), nil
}

// A failing reader is not the upload's fault: a plain error, no Reason, so
// the caller can retry rather than record a refusal.
func TestProcessReadError(t *testing.T) {
	_, err := Process(iotest.ErrReader(errors.New("connection reset")), MaxUploadBytes)
	if err == nil || ReasonOf(err) != "" {
		t.Errorf("Process(failing reader) = %v, want a plain error", err)
	}
}

// The bombs are refused from their header alone: the memory allocated around
// the call stays tiny, where decoding would need 40 GB (PNG) or 1 GB (WebP).
func TestProcessBombAllocatesLittle(t *testing.T) {
	bombs := map[string][]byte{
		"png":  withPNGSize(encodePNG(t, halves(10, 10)), 100_000, 100_000),
		"webp": solidWebP(16000, 16000, red),
	}
	for name, in := range bombs {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := Process(bytes.NewReader(in), MaxUploadBytes)
			runtime.ReadMemStats(&after)
			if ReasonOf(err) != ReasonTooManyPixels {
				t.Fatalf("Process(bomb) = %v, want %s", err, ReasonTooManyPixels)
			}
			const limit = 50 << 20
			if d := after.TotalAlloc - before.TotalAlloc; d > limit {
				t.Errorf("Process(bomb) allocated %d bytes, want under %d", d, limit)
			}
		})
	}
}
