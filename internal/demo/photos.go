package demo

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"unicode"

	"github.com/jmoiron/sqlx"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/deliverymarket/delivery/internal/images"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// The demo products' photos are drawn, not shipped: a gradient in colours
// that the product's name picks, a plate with the name's initial and a few
// scattered dots. Nothing is fetched and no image file lives in the
// repository, and the same name always gives the same bytes, so the
// content-addressed keys come out the same on every run and on every
// machine.

// The size of a drawn photo, before images.Process makes its variants.
const (
	PhotoWidth  = 800
	PhotoHeight = 600
)

// Photo returns the demo photo of the product called name, as a JPEG.
func Photo(name string) ([]byte, error) {
	face, err := initialFace()
	if err != nil {
		return nil, err
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	seed := h.Sum64()
	hue := float64(seed % 360)
	img := image.NewRGBA(image.Rect(0, 0, PhotoWidth, PhotoHeight))

	// The diagonal gradient: each row is the row above shifted, so one
	// row of colours wide enough for all of them is computed once.
	from, to := hsl(hue, .55, .80), hsl(hue+35, .50, .58)
	steps := make([]color.RGBA, PhotoWidth+PhotoHeight)
	for i := range steps {
		steps[i] = blend(from, to, float64(i)/float64(len(steps)))
	}
	for y := range PhotoHeight {
		for x := range PhotoWidth {
			// (x/W + y/H)/2 with the height scaled to the width's steps.
			c := steps[(x+y*PhotoWidth/PhotoHeight)*len(steps)/(2*PhotoWidth)]
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
		}
	}
	rng := rand.New(rand.NewPCG(seed, seed>>32))
	for range 14 {
		x, y := rng.Float64()*PhotoWidth, rng.Float64()*PhotoHeight
		c := hsl(hue+rng.Float64()*120-60, .6, .35+rng.Float64()*.5)
		disc(img, x, y, 6+rng.Float64()*16, 1.5, c, .85)
	}
	const cx, cy, r = PhotoWidth / 2, PhotoHeight/2 + 10, 215
	disc(img, cx+10, cy+18, r, 28, color.RGBA{0, 0, 0, 255}, .28) // the plate's shadow
	disc(img, cx, cy, r, 1.5, color.RGBA{251, 250, 246, 255}, 1)
	disc(img, cx, cy, r*.78, 3, color.RGBA{236, 232, 222, 255}, 1)
	disc(img, cx, cy, r*.74, 3, color.RGBA{250, 248, 243, 255}, 1)

	d := font.Drawer{Dst: img, Src: image.NewUniform(hsl(hue, .55, .32)), Face: face}
	letter := initial(name)
	bounds, _ := d.BoundString(letter)
	d.Dot = fixed.Point26_6{
		X: fixed.I(cx) - (bounds.Min.X+bounds.Max.X)/2,
		Y: fixed.I(cy) - (bounds.Min.Y+bounds.Max.Y)/2,
	}
	d.DrawString(letter)

	var out bytes.Buffer
	if err := jpeg.Encode(&out, img, &jpeg.Options{Quality: 92}); err != nil {
		return nil, fmt.Errorf("demo photo: %w", err)
	}
	return out.Bytes(), nil
}

// boldFont is Go Bold, parsed once.
var boldFont = sync.OnceValues(func() (*opentype.Font, error) { return opentype.Parse(gobold.TTF) })

// initialFace is Go Bold at the size of a plate's initial. A face keeps
// buffers of its own, so each photo gets one: photos are drawn in parallel.
func initialFace() (font.Face, error) {
	f, err := boldFont()
	if err != nil {
		return nil, fmt.Errorf("demo photo font: %w", err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 190, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil, fmt.Errorf("demo photo font: %w", err)
	}
	return face, nil
}

// initial is the first letter or digit of name, upper case.
func initial(name string) string {
	if i := strings.IndexFunc(name, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }); i >= 0 {
		return strings.ToUpper(string([]rune(name[i:])[:1]))
	}
	return "?"
}

// disc paints a disc of radius r centred on (cx, cy) in c at opacity
// alpha, its edge fading over soft pixels: 1.5 is an anti-aliased edge, a
// few dozen a shadow.
func disc(img *image.RGBA, cx, cy, r, soft float64, c color.RGBA, alpha float64) {
	reach := r + soft
	solid := max(0, r-soft) * max(0, r-soft) // inside it, no square root
	box := image.Rect(int(cx-reach), int(cy-reach), int(cx+reach)+1, int(cy+reach)+1).Intersect(img.Rect)
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			dx, dy := float64(x)+.5-cx, float64(y)+.5-cy
			d2 := dx*dx + dy*dy
			if d2 >= reach*reach {
				continue
			}
			cover := alpha
			if d2 > solid {
				cover *= min(1, (reach-math.Sqrt(d2))/(2*soft))
			}
			img.SetRGBA(x, y, blend(img.RGBAAt(x, y), c, cover))
		}
	}
}

func blend(a, b color.RGBA, t float64) color.RGBA {
	lerp := func(p, q uint8) uint8 { return uint8(math.Round(float64(p) + (float64(q)-float64(p))*t)) }
	return color.RGBA{lerp(a.R, b.R), lerp(a.G, b.G), lerp(a.B, b.B), 255}
}

// hsl converts a hue in degrees (any value), a saturation and a lightness
// in 0..1 to an opaque colour.
func hsl(h, s, l float64) color.RGBA {
	h = math.Mod(math.Mod(h, 360)+360, 360) / 60
	c := (1 - math.Abs(2*l-1)) * s
	x := c * (1 - math.Abs(math.Mod(h, 2)-1))
	var r, g, b float64
	switch int(h) {
	case 0:
		r, g = c, x
	case 1:
		r, g = x, c
	case 2:
		g, b = c, x
	case 3:
		g, b = x, c
	case 4:
		r, b = x, c
	default:
		r, b = c, x
	}
	m := l - c/2
	to := func(v float64) uint8 { return uint8(math.Round((v + m) * 255)) }
	return color.RGBA{to(r), to(g), to(b), 255}
}

// processed is each demo product's photo as images.Process makes it,
// computed once per process: the runner and the tests seed many times.
var processed sync.Map // product name → *processedPhoto

type processedPhoto struct {
	once sync.Once
	res  images.Result
	err  error
}

// ProcessedPhoto returns the demo photo of the product called name as
// the image processor stores it.
func ProcessedPhoto(name string) (images.Result, error) {
	v, _ := processed.LoadOrStore(name, &processedPhoto{})
	p := v.(*processedPhoto)
	p.once.Do(func() {
		raw, err := Photo(name)
		if err != nil {
			p.err = err
			return
		}
		p.res, p.err = images.Process(bytes.NewReader(raw), market.MaxUploadBytes)
		if p.err != nil {
			p.err = fmt.Errorf("demo photo of %q: %w", name, p.err)
		}
	})
	return p.res, p.err
}

// warm makes the photos of names on every core: drawing and processing
// 24 photos one after the other is most of a local runner's start.
func warm(names []string) {
	var wg sync.WaitGroup
	work := make(chan string)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for name := range work {
				ProcessedPhoto(name) // an error is returned again to the caller's own call
			}
		})
	}
	for _, name := range names {
		work <- name
	}
	close(work)
	wg.Wait()
}

const demoProducts = `SELECT p.id, p.company_id, p.name, c.name AS company_name, p.image_320 IS NOT NULL AS has_image
FROM products p JOIN companies c ON c.id = p.company_id
WHERE c.name IN (?) ORDER BY p.id`

// SeedPhotos writes the photo of every demo product in db to objects and
// gives it to each such product that has no photo, through the same
// stores the image processor uses. It is meant to run on every start of
// the local runner, whose object storage lives in memory: the bytes are
// written again whatever the product has (the same bytes under the same
// keys), and a product that has a photo keeps it, a company's own
// included. It returns how many products it gave a photo.
func SeedPhotos(ctx context.Context, db *sqlx.DB, objects market.ObjectStore) (int, error) {
	names := make([]string, len(Companies))
	demo := map[[2]string]bool{}
	for i, c := range Companies {
		names[i] = c.Name
		for _, p := range c.Products {
			demo[[2]string{c.Name, p.Name}] = true
		}
	}
	query, args, err := sqlx.In(demoProducts, names)
	if err != nil {
		return 0, fmt.Errorf("demo photos: %w", err)
	}
	var rows []struct {
		ID          int64  `db:"id"`
		CompanyID   int64  `db:"company_id"`
		Name        string `db:"name"`
		CompanyName string `db:"company_name"`
		HasImage    bool   `db:"has_image"`
	}
	if err := db.SelectContext(ctx, &rows, db.Rebind(query), args...); err != nil {
		return 0, fmt.Errorf("demo photos: find products: %w", err)
	}
	var wanted []string
	for _, row := range rows {
		if demo[[2]string{row.CompanyName, row.Name}] {
			wanted = append(wanted, row.Name)
		}
	}
	warm(wanted)
	var store market.ImageStore = mysql.NewProductStore(db)
	given := 0
	for _, row := range rows {
		if !demo[[2]string{row.CompanyName, row.Name}] {
			continue
		}
		res, err := ProcessedPhoto(row.Name)
		if err != nil {
			return given, err
		}
		for _, v := range res.Variants {
			if err := objects.PutImage(ctx, v.Key, v.Data); err != nil {
				return given, fmt.Errorf("demo photos: %w", err)
			}
		}
		if row.HasImage {
			continue
		}
		img := market.StoredImage{Key320: res.Variants[0].Key, Key960: res.Variants[1].Key, Width: res.Variants[1].Width, Height: res.Variants[1].Height}
		if _, err := store.SetImage(ctx, row.CompanyID, row.ID, img); err != nil {
			return given, fmt.Errorf("demo photos: set the photo of product %d: %w", row.ID, err)
		}
		given++
	}
	return given, nil
}
