package mysql_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// photo returns a processed photo whose variants' keys derive from seed.
func photo(seed string, width, height int) market.StoredImage {
	key := func(variant string) string {
		sum := sha256.Sum256([]byte(seed + variant))
		return hex.EncodeToString(sum[:])
	}
	return market.StoredImage{Key320: key("320"), Key960: key("960"), Width: width, Height: height}
}

// refusal is a record of a refused upload at a time with microseconds, as
// DATETIME(6) keeps it.
func refusal(reason string) market.ImageError {
	return market.ImageError{
		Reason: reason, Message: "the file is not an image we can read", UploadID: strings.Repeat("0f", 16),
		At: time.Date(2026, 11, 30, 12, 0, 0, 123456000, time.UTC),
	}
}

// imageFixture is a fresh database with two companies, each with one
// product made through the store, so that search finds them.
type imageFixture struct {
	db              *sqlx.DB
	store           *mysql.ProductStore
	companyA, prodA int64
	companyB, prodB int64
	ctx             context.Context
}

func newImageFixture(t *testing.T) *imageFixture {
	t.Helper()
	f := &imageFixture{db: dbtest.MustOpenDB(t), ctx: context.Background()}
	f.store = mysql.NewProductStore(f.db)
	f.companyA = insertCompany(t, f.db, "Padaria Sol")
	f.companyB = insertCompany(t, f.db, "Green Basket")
	for _, p := range []struct {
		company int64
		id      *int64
		name    string
	}{{f.companyA, &f.prodA, "Sourdough loaf"}, {f.companyB, &f.prodB, "Cherry tomatoes"}} {
		created, err := f.store.Create(f.ctx, p.company, market.ProductDraft{Name: p.name, Price: market.MustMoney("4.50"), Active: true})
		if err != nil {
			t.Fatal(err)
		}
		*p.id = created.ID
	}
	return f
}

// companyProduct reads a product through the company's view.
func (f *imageFixture) companyProduct(t *testing.T, company, id int64) market.Product {
	t.Helper()
	p, err := f.store.CompanyProduct(f.ctx, company, id)
	if err != nil {
		t.Fatalf("CompanyProduct(%d, %d) = %v", company, id, err)
	}
	return p
}

// TestEveryProductReadShowsTheImage: the catalog (each of its plans), the
// quote's lookup and the company's views all read the photo, and none has
// one before it is set.
func TestEveryProductReadShowsTheImage(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t)
	img := photo("loaf", 960, 720)
	reads := []struct {
		name string
		read func(t *testing.T) market.Product
	}{
		{"catalog", func(t *testing.T) market.Product { return f.only(t, market.ProductPage{Limit: 1}) }},
		{"catalog of the company", func(t *testing.T) market.Product {
			return f.only(t, market.ProductPage{Limit: 10, Filter: market.ProductFilter{CompanyID: f.companyA}})
		}},
		{"search from the term", func(t *testing.T) market.Product {
			return f.onlyFrom(t, mysql.NewProductStoreScanCap(f.db, 1000), market.ProductPage{Limit: 10, Filter: market.ProductFilter{Query: "sourdough"}})
		}},
		{"search by scan", func(t *testing.T) market.Product {
			return f.onlyFrom(t, mysql.NewProductStoreScanCap(f.db, 1), market.ProductPage{Limit: 10, Filter: market.ProductFilter{Query: "sourdough"}})
		}},
		{"search in the company", func(t *testing.T) market.Product {
			return f.only(t, market.ProductPage{Limit: 10, Filter: market.ProductFilter{CompanyID: f.companyA, Query: "loaf"}})
		}},
		{"by id", func(t *testing.T) market.Product {
			found, err := f.store.ProductsByID(f.ctx, []int64{f.prodA})
			if err != nil {
				t.Fatal(err)
			}
			return found[f.prodA]
		}},
		{"company list", func(t *testing.T) market.Product {
			list, err := f.store.ListByCompany(f.ctx, f.companyA, market.ProductPage{Limit: 10})
			if err != nil || len(list) != 1 {
				t.Fatalf("ListByCompany = %v, %v, want one product", list, err)
			}
			return list[0]
		}},
		{"company product", func(t *testing.T) market.Product { return f.companyProduct(t, f.companyA, f.prodA) }},
	}
	for _, r := range reads {
		if p := r.read(t); p.ID != f.prodA || p.Image != nil || p.ImageError != nil {
			t.Errorf("%s before SetImage = %+v, want product %d without a photo", r.name, p, f.prodA)
		}
	}
	if _, err := f.store.SetImage(f.ctx, f.companyA, f.prodA, img); err != nil {
		t.Fatalf("SetImage = %v", err)
	}
	for _, r := range reads {
		t.Run(r.name, func(t *testing.T) {
			if p := r.read(t); p.Image == nil || *p.Image != *img.Public() {
				t.Errorf("%s after SetImage: image = %+v, want %+v", r.name, p.Image, img.Public())
			}
		})
	}
}

func (f *imageFixture) only(t *testing.T, page market.ProductPage) market.Product {
	t.Helper()
	return f.onlyFrom(t, f.store, page)
}

func (f *imageFixture) onlyFrom(t *testing.T, store *mysql.ProductStore, page market.ProductPage) market.Product {
	t.Helper()
	list, err := store.ListActive(f.ctx, page)
	if err != nil || len(list) == 0 {
		t.Fatalf("ListActive(%+v) = %v, %v, want products", page, list, err)
	}
	return list[0]
}

func TestSetImage(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t)
	if err := f.store.RecordImageError(f.ctx, f.companyA, f.prodA, refusal("undecodable")); err != nil {
		t.Fatal(err)
	}
	before := f.companyProduct(t, f.companyA, f.prodA)
	img := photo("loaf", 640, 480)
	got, err := f.store.SetImage(f.ctx, f.companyA, f.prodA, img)
	if err != nil {
		t.Fatalf("SetImage = %v", err)
	}
	if got.Version != before.Version+1 || got.Image == nil || *got.Image != *img.Public() || got.ImageError != nil {
		t.Errorf("SetImage = version %d, image %+v, error %+v; want version %d, %+v, no error",
			got.Version, got.Image, got.ImageError, before.Version+1, img.Public())
	}
	if got.Name != before.Name || !got.Price.Equal(before.Price.Decimal) || got.Active != before.Active {
		t.Errorf("SetImage changed the product's data: %+v, was %+v", got, before)
	}
	if reread := f.companyProduct(t, f.companyA, f.prodA); !reflect.DeepEqual(reread, got) {
		t.Errorf("CompanyProduct after SetImage = %+v, want what SetImage answered, %+v", reread, got)
	}

	tests := []struct {
		name             string
		company, product int64
		img              market.StoredImage
		want             market.Code
	}{
		{"another company's product", f.companyB, f.prodA, photo("x", 10, 10), market.CodeNotFound},
		{"unknown product", f.companyA, 9999, photo("x", 10, 10), market.CodeNotFound},
		{"unknown company", 9999, f.prodA, photo("x", 10, 10), market.CodeNotFound},
		{"key not a hash", f.companyA, f.prodA, market.StoredImage{Key320: "../etc", Key960: photo("x", 1, 1).Key960, Width: 1, Height: 1}, market.CodeInvalid},
		{"upper-case key", f.companyA, f.prodA, market.StoredImage{Key320: strings.ToUpper(img.Key320), Key960: img.Key960, Width: 1, Height: 1}, market.CodeInvalid},
		{"no size", f.companyA, f.prodA, photo("x", 0, 10), market.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.store.SetImage(f.ctx, tt.company, tt.product, tt.img); market.ErrorCode(err) != tt.want {
				t.Errorf("SetImage(%d, %d) = %v, want %s", tt.company, tt.product, err, tt.want)
			}
			if p := f.companyProduct(t, f.companyA, f.prodA); !reflect.DeepEqual(p, got) {
				t.Errorf("product after a refused SetImage = %+v, want it untouched: %+v", p, got)
			}
		})
	}
}

func TestRecordImageError(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t)
	before := f.companyProduct(t, f.companyA, f.prodA)
	e := refusal("too_large")
	if err := f.store.RecordImageError(f.ctx, f.companyA, f.prodA, e); err != nil {
		t.Fatalf("RecordImageError = %v", err)
	}
	got := f.companyProduct(t, f.companyA, f.prodA)
	if got.Version != before.Version || got.ImageError == nil || *got.ImageError != e {
		t.Errorf("after RecordImageError: version %d, error %+v; want version %d, %+v", got.Version, got.ImageError, before.Version, e)
	}

	// A later refusal replaces the record; a long message is cut to its
	// column, at a character boundary.
	later := refusal("undecodable")
	later.UploadID = strings.Repeat("a1", 16)
	later.Message = strings.Repeat("é", 300)
	later.At = later.At.Add(time.Minute).In(time.FixedZone("Lisbon summer", 3600))
	if err := f.store.RecordImageError(f.ctx, f.companyA, f.prodA, later); err != nil {
		t.Fatalf("RecordImageError(later) = %v", err)
	}
	got = f.companyProduct(t, f.companyA, f.prodA)
	want := later
	want.Message, want.At = strings.Repeat("é", 255), later.At.UTC()
	if got.ImageError == nil || *got.ImageError != want {
		t.Errorf("after a later refusal: error %+v, want %+v", got.ImageError, want)
	}

	tests := []struct {
		name             string
		company, product int64
		e                market.ImageError
		want             market.Code
	}{
		{"another company's product", f.companyB, f.prodA, e, market.CodeNotFound},
		{"unknown product", f.companyA, 9999, e, market.CodeNotFound},
		{"no reason", f.companyA, f.prodA, market.ImageError{UploadID: e.UploadID, At: e.At}, market.CodeInvalid},
		{"reason too long", f.companyA, f.prodA, market.ImageError{Reason: strings.Repeat("r", 33), UploadID: e.UploadID, At: e.At}, market.CodeInvalid},
		{"upload id not one we make", f.companyA, f.prodA, market.ImageError{Reason: "undecodable", UploadID: "photo.jpg", At: e.At}, market.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := f.store.RecordImageError(f.ctx, tt.company, tt.product, tt.e); market.ErrorCode(err) != tt.want {
				t.Errorf("RecordImageError(%d, %d) = %v, want %s", tt.company, tt.product, err, tt.want)
			}
			if p := f.companyProduct(t, f.companyA, f.prodA); !reflect.DeepEqual(p, got) {
				t.Errorf("product after a refused RecordImageError = %+v, want it untouched: %+v", p, got)
			}
		})
	}
}

func TestRemoveImage(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(t *testing.T, f *imageFixture)
		company  func(f *imageFixture) int64
		staleBy  int64 // how far behind the product the If-Match version is
		wantCode market.Code
		wantBump bool
	}{
		{
			name:     "photo and refusal",
			setup:    func(t *testing.T, f *imageFixture) { f.setImage(t); f.recordError(t) },
			wantBump: true,
		},
		{
			name:     "photo",
			setup:    func(t *testing.T, f *imageFixture) { f.setImage(t) },
			wantBump: true,
		},
		{
			name:  "refusal only: cleared, version kept",
			setup: func(t *testing.T, f *imageFixture) { f.recordError(t) },
		},
		{
			name:  "nothing to remove",
			setup: func(*testing.T, *imageFixture) {},
		},
		{
			name:     "stale version",
			setup:    func(t *testing.T, f *imageFixture) { f.setImage(t) },
			staleBy:  1,
			wantCode: market.CodePreconditionFailed,
		},
		{
			name:     "another company's product",
			setup:    func(t *testing.T, f *imageFixture) { f.setImage(t) },
			company:  func(f *imageFixture) int64 { return f.companyB },
			wantCode: market.CodeNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newImageFixture(t)
			tt.setup(t, f)
			before := f.companyProduct(t, f.companyA, f.prodA)
			company := f.companyA
			if tt.company != nil {
				company = tt.company(f)
			}
			got, err := f.store.RemoveImage(f.ctx, company, f.prodA, before.Version-tt.staleBy)
			if market.ErrorCode(err) != tt.wantCode && (err != nil || tt.wantCode != "") {
				t.Fatalf("RemoveImage = %v, want %q", err, tt.wantCode)
			}
			after := f.companyProduct(t, f.companyA, f.prodA)
			if tt.wantCode != "" {
				if !reflect.DeepEqual(after, before) {
					t.Errorf("product after a refused RemoveImage = %+v, want it untouched: %+v", after, before)
				}
				return
			}
			wantVersion := before.Version
			if tt.wantBump {
				wantVersion++
			}
			if after.Version != wantVersion || after.Image != nil || after.ImageError != nil {
				t.Errorf("after RemoveImage: version %d, image %+v, error %+v; want version %d, neither", after.Version, after.Image, after.ImageError, wantVersion)
			}
			if !reflect.DeepEqual(got, after) {
				t.Errorf("RemoveImage = %+v, want the product as stored, %+v", got, after)
			}
		})
	}
}

func (f *imageFixture) setImage(t *testing.T) {
	t.Helper()
	if _, err := f.store.SetImage(f.ctx, f.companyA, f.prodA, photo("loaf", 960, 640)); err != nil {
		t.Fatal(err)
	}
}

func (f *imageFixture) recordError(t *testing.T) {
	t.Helper()
	if err := f.store.RecordImageError(f.ctx, f.companyA, f.prodA, refusal("undecodable")); err != nil {
		t.Fatal(err)
	}
}

// TestPhotoWritesKeepVersionsWhole: photo writes and replacements of one
// product at once lose no increment, whatever the engine's locking.
func TestPhotoWritesKeepVersionsWhole(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t)
	const rounds = 8
	var wg sync.WaitGroup
	errs := make(chan error, 2*rounds)
	for i := range rounds {
		wg.Go(func() {
			_, err := f.store.SetImage(f.ctx, f.companyA, f.prodA, photo(string(rune('a'+i)), 320, 320))
			errs <- err
		})
		wg.Go(func() {
			errs <- f.store.RecordImageError(f.ctx, f.companyA, f.prodA, refusal("too_many_pixels"))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a concurrent photo write = %v", err)
		}
	}
	if got := f.companyProduct(t, f.companyA, f.prodA); got.Version != 1+rounds || got.Image == nil {
		t.Errorf("after %d SetImage at once: version %d, image %+v; want version %d with a photo", rounds, got.Version, got.Image, 1+rounds)
	}
}

// TestOrderLinesSnapshotThePhoto: an order keeps the photo its products had
// when it was placed, through later changes and removal, and a retry with
// the same key replays the order exactly as first answered.
func TestOrderLinesSnapshotThePhoto(t *testing.T) {
	t.Parallel()
	db, orders := orderFixture(t)
	products := mysql.NewProductStore(db)
	ctx := context.Background()
	first := photo("loaf", 960, 720)
	if _, err := products.SetImage(ctx, 1, 1, first); err != nil {
		t.Fatal(err)
	}
	req := orderRequest(market.Item{ProductID: 1, Quantity: 1}, market.Item{ProductID: 2, Quantity: 2})
	placed, _, err := orders.Place(ctx, newOrder(t, "key-photo", req))
	if err != nil {
		t.Fatal(err)
	}
	if placed.Lines[0].Image == nil || *placed.Lines[0].Image != *first.Public() || placed.Lines[1].Image != nil {
		t.Fatalf("Place lines' images = %+v, %+v; want %+v and none", placed.Lines[0].Image, placed.Lines[1].Image, first.Public())
	}

	p, err := products.SetImage(ctx, 1, 1, photo("new loaf", 500, 500))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := products.SetImage(ctx, 1, 2, photo("croissant", 500, 500)); err != nil {
		t.Fatal(err)
	}
	got, err := orders.Order(ctx, placed.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Lines, placed.Lines) {
		t.Errorf("Order lines after the photos changed = %+v, want them as placed: %+v", got.Lines, placed.Lines)
	}
	if _, err := products.RemoveImage(ctx, 1, 1, p.Version); err != nil {
		t.Fatal(err)
	}
	replayed, wasReplay, err := orders.Place(ctx, newOrder(t, "key-photo", req))
	if err != nil || !wasReplay {
		t.Fatalf("Place(same key, same body) = %v, %v; want the order replayed", wasReplay, err)
	}
	if replayed.ID != placed.ID || !reflect.DeepEqual(replayed.Lines, placed.Lines) {
		t.Errorf("replayed lines = %+v, want the first answer's %+v", replayed.Lines, placed.Lines)
	}
}
