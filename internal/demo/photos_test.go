package demo_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/jpeg"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

func TestPhoto(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, product string
	}{
		{name: "plain", product: "Croissant"},
		{name: "accented initial", product: "Éclair"},
		{name: "starts with punctuation", product: "(6) Pão de queijo"},
		{name: "no letter at all", product: "---"},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, err := demo.Photo(tt.product)
			if err != nil {
				t.Fatalf("Photo(%q): %v", tt.product, err)
			}
			again, err := demo.Photo(tt.product)
			if err != nil || !bytes.Equal(first, again) {
				t.Fatalf("Photo(%q) twice differs (err %v): the keys would change between runs", tt.product, err)
			}
			cfg, format, err := image.DecodeConfig(bytes.NewReader(first))
			if err != nil || format != "jpeg" || cfg.Width != demo.PhotoWidth || cfg.Height != demo.PhotoHeight {
				t.Fatalf("Photo(%q) = %s %d×%d (%v), want a %d×%d JPEG", tt.product, format, cfg.Width, cfg.Height, err, demo.PhotoWidth, demo.PhotoHeight)
			}
			if _, err := jpeg.Decode(bytes.NewReader(first)); err != nil {
				t.Fatalf("Photo(%q) does not decode: %v", tt.product, err)
			}
			sum := sha256.Sum256(first)
			if other, ok := seen[hex.EncodeToString(sum[:])]; ok {
				t.Errorf("Photo(%q) = Photo(%q): each product should get its own", tt.product, other)
			}
			seen[hex.EncodeToString(sum[:])] = tt.product
		})
	}
}

// memObjects is object storage in a map.
type memObjects struct {
	mu   sync.Mutex
	puts int
	objs map[string][]byte
}

func (m *memObjects) OpenUpload(context.Context, string) (io.ReadCloser, error) {
	return nil, market.Errorf(market.CodeNotFound, "no uploads here")
}

func (m *memObjects) DeleteUpload(context.Context, string) error { return nil }

func (m *memObjects) PutImage(_ context.Context, sum string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.puts++
	m.objs[market.ImageObjectKey(sum)] = bytes.Clone(data)
	return nil
}

type photoRow struct {
	ID       int64   `db:"id"`
	Name     string  `db:"name"`
	Version  int64   `db:"version"`
	Image320 *string `db:"image_320"`
	Image960 *string `db:"image_960"`
	Width    *int    `db:"image_width"`
	Height   *int    `db:"image_height"`
}

// Seeding photos gives each demo product one, written under its hash; a
// second run writes the same bytes again (the local storage is in
// memory) but changes no product, and never replaces a company's photo.
func TestSeedPhotos(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.MustOpenDB(t)
	if _, err := demo.SeedIfEmpty(ctx, db); err != nil {
		t.Fatal(err)
	}
	// A product of a demo company that is not in the demo gets no photo;
	// one with a company's own photo keeps it.
	company, err := mysql.NewProductStore(db).Create(ctx, 1, market.ProductDraft{Name: "Bolo de arroz", Price: market.MustMoney("1.80"), Active: true})
	if err != nil {
		t.Fatal(err)
	}
	own := market.StoredImage{Key320: strings.Repeat("a", 64), Key960: strings.Repeat("b", 64), Width: 960, Height: 720}
	if _, err := mysql.NewProductStore(db).SetImage(ctx, 1, 2, own); err != nil {
		t.Fatal(err)
	}
	objects := &memObjects{objs: map[string][]byte{}}

	rows := func() map[int64]photoRow {
		t.Helper()
		var rs []photoRow
		if err := db.Select(&rs, `SELECT id, name, version, image_320, image_960, image_width, image_height FROM products`); err != nil {
			t.Fatal(err)
		}
		m := map[int64]photoRow{}
		for _, r := range rs {
			m[r.ID] = r
		}
		return m
	}

	given, err := demo.SeedPhotos(ctx, db, objects)
	if err != nil || given != 23 {
		t.Fatalf("SeedPhotos = %d, %v; want 23 (24 demo products, one with its own photo)", given, err)
	}
	first := rows()
	for id, r := range first {
		t.Run(r.Name, func(t *testing.T) {
			switch id {
			case company.ID:
				if r.Image320 != nil {
					t.Errorf("product %d, not a demo product, got a photo", id)
				}
				return
			case 2:
				if *r.Image320 != own.Key320 {
					t.Errorf("product 2 lost its own photo: %s", *r.Image320)
				}
				return
			}
			if r.Image320 == nil || r.Image960 == nil {
				t.Fatalf("product %d has no photo", id)
			}
			if *r.Width != demo.PhotoWidth || *r.Height != demo.PhotoHeight {
				t.Errorf("product %d photo %d×%d, want the drawn %d×%d (never upscaled to 960)", id, *r.Width, *r.Height, demo.PhotoWidth, demo.PhotoHeight)
			}
			for _, key := range []string{*r.Image320, *r.Image960} {
				data, ok := objects.objs[market.ImageObjectKey(key)]
				sum := sha256.Sum256(data)
				if !ok || hex.EncodeToString(sum[:]) != key {
					t.Errorf("product %d: object %s missing or not its hash", id, key)
				}
			}
			small, err := jpeg.DecodeConfig(bytes.NewReader(objects.objs[market.ImageObjectKey(*r.Image320)]))
			if err != nil || small.Width != 320 || small.Height != 240 {
				t.Errorf("product %d 320 variant %d×%d (%v), want 320×240", id, small.Width, small.Height, err)
			}
		})
	}

	puts := objects.puts
	objects.objs = map[string][]byte{}
	given, err = demo.SeedPhotos(ctx, db, objects)
	if err != nil || given != 0 {
		t.Fatalf("SeedPhotos again = %d, %v; want 0", given, err)
	}
	if objects.puts != 2*puts || len(objects.objs) != 48 {
		t.Errorf("second run put %d objects (%d keys), want %d again (48 keys): the storage may have forgotten them", objects.puts-puts, len(objects.objs), puts)
	}
	for id, r := range rows() {
		if r.Version != first[id].Version {
			t.Errorf("product %d version %d → %d on a second run", id, first[id].Version, r.Version)
		}
	}
}
