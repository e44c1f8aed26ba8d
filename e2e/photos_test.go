package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// processTimeout bounds the wait for an upload to come back processed:
// the console polls with a backoff up to 3 s, and the processor decodes
// and re-encodes the photo (slow under -race on a shared machine).
const processTimeout = 90 * time.Second

// photoJPEG is a w×h JPEG that looks like something: bands of colour.
func photoJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{uint8(200 - y*120/h), uint8(80 + x*150/w), uint8((x / 40 % 2) * 90), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type productImage struct {
	URL320 string `json:"url320"`
	URL960 string `json:"url960"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// companyImage is the product's photo as the company's own view shows it.
func companyImage(t *testing.T, s *stack, token string, id int64) *productImage {
	t.Helper()
	var p struct {
		Image *productImage `json:"image"`
	}
	if status := s.call(t, http.MethodGet, fmt.Sprintf("/api/company/products/%d", id), token, nil, nil, &p); status != http.StatusOK {
		t.Fatalf("GET company product %d = %d", id, status)
	}
	return p.Image
}

// imgAttrs are what the storefront's <img> of a product says and whether
// it loaded.
type imgAttrs struct {
	Src, Srcset, Sizes, Alt, Loading, Decoding string
	Width, Height                              string
	Loaded                                     bool
}

func imgOf(tb *tab, css string) imgAttrs {
	tb.t.Helper()
	raw := eval[string](tb, fmt.Sprintf(`(() => { const i = document.querySelector(%q); const a = (n) => i.getAttribute(n) || "";
		return JSON.stringify({Src: a("src"), Srcset: a("srcset"), Sizes: a("sizes"), Alt: a("alt"), Loading: a("loading"), Decoding: a("decoding"),
			Width: a("width"), Height: a("height"), Loaded: i.complete && i.naturalWidth > 0}); })()`, css))
	var attrs imgAttrs
	if err := json.Unmarshal([]byte(raw), &attrs); err != nil {
		tb.t.Fatal(err)
	}
	return attrs
}

// TestPhotos: a company chooses a photo in the console, which uploads it
// to the local S3 and shows it once the image processor has made it; the
// storefront then shows it on the product's card (srcset, sizes, its box,
// the name as alt) and in the cart. Files the console or the processor
// refuse are explained, and a removed photo leaves the CSS placeholder.
func TestPhotos(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the browser tests in -short mode")
	}
	// A marketplace of its own: only the browser is shared with the
	// other flows, which run beside it while it waits on its pages.
	t.Parallel()
	b := startBrowser(t)
	s := startStack(t)
	if _, err := s.Market.SeedPhotos(t.Context()); err != nil {
		t.Fatalf("seed the demo photos: %v", err)
	}
	dir := t.TempDir()
	files := map[string][]byte{
		"photo.jpg":   photoJPEG(t, 1200, 900),
		"big.jpg":     make([]byte, 6<<20),
		"notes.txt":   []byte("not a photo"),
		"drawing.png": []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><circle r="4"/></svg>`),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	choose := func(tb *tab, productID int64, file string) {
		tb.t.Helper()
		tb.do("choose "+file, chromedp.SetUploadFiles(chromedp.CSS(fmt.Sprintf("#photo-%d", productID)), []string{filepath.Join(dir, file)}))
	}
	status := func(productID int64) string {
		return fmt.Sprintf(`(document.getElementById("photo-status-%d")?.textContent || "")`, productID)
	}
	token := s.token(t, 1)
	shots := screenshotDir(t)

	t.Run("the console uploads, explains refusals and removes", func(t *testing.T) {
		tb := b.tabFor(t, 3*processTimeout)
		tb.viewport(desktop)
		openConsole(tb, s, token)

		// Refused in the browser, before any upload.
		for _, tt := range []struct{ file, want string }{
			{file: "notes.txt", want: "not a photo we can take"},
			{file: "big.jpg", want: "at most 5 MB"},
		} {
			choose(tb, paoQueijo, tt.file)
			tb.waitFor(tt.file+" refused", fmt.Sprintf(`%s.includes(%q)`, status(paoQueijo), tt.want))
		}

		// Refused by the processor: the browser believes the name.
		demoPhoto := companyImage(t, s, token, paoQueijo)
		choose(tb, paoQueijo, "drawing.png")
		tb.waitWithin(processTimeout, "the processor's refusal", status(paoQueijo)+`.includes("whatever its name says")`)
		if got := companyImage(t, s, token, paoQueijo); got == nil || demoPhoto == nil || *got != *demoPhoto {
			t.Errorf("a refused upload changed the photo: %+v → %+v", demoPhoto, got)
		}

		// Accepted: the processed 320 px photo replaces the demo one.
		choose(tb, sourdough, "photo.jpg")
		row := fmt.Sprintf(`#admin-products [data-product-id="%d"]`, sourdough)
		tb.waitWithin(processTimeout, "the processed photo", fmt.Sprintf(`%s.startsWith("Done") && document.querySelector('%s img.thumb')?.complete`, status(sourdough), row))
		img := companyImage(t, s, token, sourdough)
		if img == nil || img.Width != 960 || img.Height != 720 {
			t.Fatalf("product %d photo = %+v, want 960×720", sourdough, img)
		}
		if got := imgOf(tb, row+" img.thumb"); got.Src != img.URL320 || !got.Loaded {
			t.Errorf("console shows %+v, want %s loaded", got, img.URL320)
		}
		if p := eval[float64](tb, fmt.Sprintf(`document.querySelector('%s progress').value`, row)); p != 1 {
			t.Errorf("upload progress ended at %v, want 1", p)
		}
		tb.screenshot(shots, "desktop-5-console-photos")

		// Removed: the placeholder, in the console and (below) the shop.
		tb.click(fmt.Sprintf(`[data-product-id="%d"] [data-action="unphoto"]`, croissant))
		tb.waitFor("the placeholder", fmt.Sprintf(`document.querySelector('[data-product-id="%d"] .thumb.ph') && %s.includes("removed")`, croissant, status(croissant)))
		if got := companyImage(t, s, token, croissant); got != nil {
			t.Errorf("product %d still has a photo: %+v", croissant, got)
		}
	})

	t.Run("the storefront shows it", func(t *testing.T) {
		img := companyImage(t, s, token, sourdough)
		for _, v := range []viewportSize{desktop, phone} {
			tb := b.tab(t)
			tb.viewport(v)
			openShop(tb, s)
			card := fmt.Sprintf(`#products [data-product-id="%d"] img`, sourdough)
			tb.waitFor("the photo", fmt.Sprintf(`document.querySelector('%s')?.complete`, card))
			got := imgOf(tb, card)
			want := imgAttrs{
				Src: img.URL320, Srcset: img.URL320 + " 320w, " + img.URL960 + " 960w", Sizes: got.Sizes,
				Alt: "Sourdough loaf", Decoding: "async", Width: "320", Height: "240", Loaded: true,
			}
			if got != want || got.Sizes == "" {
				t.Errorf("%s card <img> = %+v, want %+v with sizes", v.name, got, want)
			}
			// Cards past the first row wait until they are scrolled to.
			if later := imgOf(tb, fmt.Sprintf(`#products [data-product-id="%d"] img`, lasagna)); later.Loading != "lazy" || later.Width != "320" || later.Alt != "Lasagna for two" {
				t.Errorf("a card below the fold = %+v, want loading=lazy, its box and name", later)
			}
			if n := eval[int](tb, fmt.Sprintf(`document.querySelectorAll('#products [data-product-id="%d"] img').length + !document.querySelector('#products [data-product-id="%d"] .pic.ph')`, croissant, croissant)); n != 0 {
				t.Errorf("the product without a photo has no placeholder, or an <img>")
			}
			if bad := eval[string](tb, `[...document.images].filter(i => !i.getAttribute("src").startsWith("/images/") || !i.width || !i.height).map(i => i.outerHTML).join()`); bad != "" {
				t.Errorf("images not from /images/ or without a box: %s", bad)
			}
			tb.do("scroll to the top", chromeScrollTop())
			tb.screenshot(shots, v.name+"-6-catalog-photos")

			addToCart(tb, sourdough)
			tb.navigate(s.URL + "/#cart")
			line := fmt.Sprintf(`#cart-lines [data-product-id="%d"] img.thumb`, sourdough)
			tb.waitFor("the cart's photo", fmt.Sprintf(`document.querySelector('%s')?.complete`, line))
			if got := imgOf(tb, line); got.Src != img.URL320 || got.Alt != "Sourdough loaf" || got.Width != "64" || got.Height != "48" || !got.Loaded {
				t.Errorf("%s cart line <img> = %+v, want %s at 64×48", v.name, got, img.URL320)
			}
			if !strings.HasPrefix(eval[string](tb, `document.querySelector("#cart-lines .thumb").getAttribute("src")`), "/images/") {
				t.Errorf("the cart's photo is not the site's own")
			}
		}
	})
}
