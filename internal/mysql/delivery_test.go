package mysql_test

import (
	"context"
	"encoding/json"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// Two delivery areas far apart, and a point in each.
const (
	lisbonArea = `{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
	  "coordinates": [[[-9.25, 38.68], [-9.05, 38.68], [-9.05, 38.80], [-9.25, 38.80], [-9.25, 38.68]]]}}`
	portoArea = `{"type": "Polygon",
	  "coordinates": [[[-8.70, 41.10], [-8.55, 41.10], [-8.55, 41.20], [-8.70, 41.20], [-8.70, 41.10]]]}`
)

var (
	inLisbon = market.Location{Lat: 38.7105, Lng: -9.1365}
	inPorto  = market.Location{Lat: 41.15, Lng: -8.61}
)

// weekdayHours are 09:00-13:00 and 15:00-19:00 on weekdays, and a
// Saturday night that crosses midnight.
func weekdayHours(t *testing.T) market.OpeningHours {
	t.Helper()
	h, err := market.ParseOpeningHours("openingHours", json.RawMessage(`{
	  "mon": [{"open": "09:00", "close": "13:00"}, {"open": "15:00", "close": "19:00"}],
	  "tue": [{"open": "09:00", "close": "13:00"}, {"open": "15:00", "close": "19:00"}],
	  "wed": [{"open": "09:00", "close": "13:00"}, {"open": "15:00", "close": "19:00"}],
	  "thu": [{"open": "09:00", "close": "13:00"}, {"open": "15:00", "close": "19:00"}],
	  "fri": [{"open": "09:00", "close": "13:00"}, {"open": "15:00", "close": "19:00"}],
	  "sat": [{"open": "20:00", "close": "02:00"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return asStored(t, h)
}

// asStored is h as the store reads it back: a day without hours is an
// empty list, not nil, once written and read.
func asStored(t *testing.T, h market.OpeningHours) market.OpeningHours {
	t.Helper()
	text, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	h, err = market.ParseOpeningHours("openingHours", text)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// setShop stores a company's delivery columns as ReplaceProfile writes
// them.
func setShop(t *testing.T, db *sqlx.DB, id int64, l *market.Location, prep int, hours *market.OpeningHours, paused bool) {
	t.Helper()
	var lat, lng any
	if l != nil {
		lat, lng = l.Lat, l.Lng
	}
	var text any
	if hours != nil {
		b, err := json.Marshal(*hours)
		if err != nil {
			t.Fatal(err)
		}
		text = string(b)
	}
	if _, err := db.Exec(`UPDATE companies SET lat = ?, lng = ?, prep_minutes = ?, opening_hours = ?, paused = ? WHERE id = ?`,
		lat, lng, prep, text, paused, id); err != nil {
		t.Fatal(err)
	}
}

func TestShops(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	ctx := context.Background()
	plain := insertCompany(t, db, "Never set anything")
	bakery := insertCompany(t, db, "Padaria Sol")
	paused := insertCompany(t, db, "Closed for lunch")
	hours := weekdayHours(t)
	setShop(t, db, bakery, &inLisbon, 25, &hours, false)
	setShop(t, db, paused, &market.Location{Lat: -33.868820, Lng: 151.209296}, 1, nil, true)
	store := mysql.NewShopStore(db)

	tests := []struct {
		name string
		ids  []int64
		want map[int64]market.Shop
	}{
		{name: "none asked", ids: nil, want: map[int64]market.Shop{}},
		{name: "unknown ids are absent", ids: []int64{999, 1000}, want: map[int64]market.Shop{}},
		{
			name: "never set: no location, the default preparation, open at every hour",
			ids:  []int64{plain},
			want: map[int64]market.Shop{plain: {ID: plain, PrepMinutes: market.DefaultPrepMinutes, Hours: market.AlwaysOpen()}},
		},
		{
			name: "all set, and repeated or unknown ids",
			ids:  []int64{bakery, paused, bakery, 999},
			want: map[int64]market.Shop{
				bakery: {ID: bakery, Location: &inLisbon, PrepMinutes: 25, Hours: hours},
				paused: {ID: paused, Location: &market.Location{Lat: -33.868820, Lng: 151.209296}, PrepMinutes: 1,
					Hours: market.AlwaysOpen(), Paused: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := store.Shops(ctx, tt.ids)
			if err != nil {
				t.Fatalf("Shops(%v) error = %v", tt.ids, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Shops(%v) = %+v, want %+v", tt.ids, got, tt.want)
			}
		})
	}

	t.Run("hours are read on the wall clock", func(t *testing.T) {
		shops, err := store.Shops(ctx, []int64{bakery})
		if err != nil {
			t.Fatal(err)
		}
		lisbon, err := time.LoadLocation("Europe/Lisbon")
		if err != nil {
			t.Skip("no tz data:", err)
		}
		monday := time.Date(2026, 12, 7, 10, 0, 0, 0, lisbon)
		if !shops[bakery].OpenAt(monday, lisbon) || shops[bakery].OpenAt(monday.Add(4*time.Hour), lisbon) {
			t.Errorf("bakery at Monday 10:00 and 14:00 = %v, %v; want open, closed",
				shops[bakery].OpenAt(monday, lisbon), shops[bakery].OpenAt(monday.Add(4*time.Hour), lisbon))
		}
	})

	t.Run("stored hours that do not parse are an internal error", func(t *testing.T) {
		if _, err := db.Exec(`UPDATE companies SET opening_hours = '{"someday": []}' WHERE id = ?`, plain); err != nil {
			t.Fatal(err)
		}
		_, err := store.Shops(ctx, []int64{plain})
		if err == nil || market.ErrorCode(err) != market.CodeInternal {
			t.Errorf("Shops with broken stored hours = %v, want an internal error, not the request's fault", err)
		}
	})
}

func TestAreaStore(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	ctx := context.Background()
	// One store per process: kept keeps the area it read, operator is
	// another process changing it.
	kept, operator := mysql.NewAreaStore(db), mysql.NewAreaStore(db)

	contains := func(t *testing.T, s *mysql.AreaStore, l market.Location) bool {
		t.Helper()
		area, err := s.ServiceArea(ctx)
		if err != nil || area == nil {
			t.Fatalf("ServiceArea() = %v, %v; want an area", area, err)
		}
		return area.Contains(l)
	}
	none := func(t *testing.T, s *mysql.AreaStore) {
		t.Helper()
		if area, err := s.ServiceArea(ctx); area != nil || err != nil {
			t.Fatalf("ServiceArea() = %v, %v; want no area", area, err)
		}
		if doc, ok, err := s.AreaDocument(ctx); doc != nil || ok || err != nil {
			t.Fatalf("AreaDocument() = %s, %v, %v; want none", doc, ok, err)
		}
	}

	t.Run("none set", func(t *testing.T) { none(t, kept) })

	t.Run("bad GeoJSON stores nothing", func(t *testing.T) {
		for _, doc := range []string{``, `{}`, `{"type": "Point", "coordinates": [-9.1, 38.7]}`,
			`{"type": "Polygon", "coordinates": [[[-9.25, 38.68], [-9.05, 38.68], [-9.05, 38.80]]]}`} {
			if area, err := operator.SetArea(ctx, []byte(doc)); area != nil || market.ErrorCode(err) != market.CodeInvalid {
				t.Errorf("SetArea(%q) = %v, %v; want %s", doc, area, err, market.CodeInvalid)
			}
		}
		if n := countRows(t, db, "delivery_areas"); n != 0 {
			t.Errorf("delivery_areas holds %d rows after refused areas, want 0", n)
		}
		none(t, kept)
	})

	t.Run("set and read", func(t *testing.T) {
		area, err := operator.SetArea(ctx, []byte(lisbonArea))
		if err != nil || area == nil || !area.Contains(inLisbon) {
			t.Fatalf("SetArea(Lisbon) = %v, %v; want the area", area, err)
		}
		if !contains(t, kept, inLisbon) || contains(t, kept, inPorto) {
			t.Error("the stored area is not Lisbon's")
		}
		doc, ok, err := kept.AreaDocument(ctx)
		if err != nil || !ok || string(doc) != string(area.GeoJSON()) {
			t.Errorf("AreaDocument() = %s, %v, %v; want the normalized geometry %s", doc, ok, err, area.GeoJSON())
		}
		var stored string
		if err := db.Get(&stored, `SELECT geojson FROM delivery_areas WHERE id = 1`); err != nil || stored != string(area.GeoJSON()) {
			t.Errorf("stored geojson = %q, %v; want the geometry alone, %s", stored, err, area.GeoJSON())
		}
	})

	t.Run("kept while the version stays", func(t *testing.T) {
		// A change behind the store's back that keeps the version is not
		// seen: the store parsed the area once and only reads its version.
		if _, err := db.Exec(`UPDATE delivery_areas SET geojson = ? WHERE id = 1`, portoArea); err != nil {
			t.Fatal(err)
		}
		if !contains(t, kept, inLisbon) {
			t.Error("the store read the area again although its version did not change")
		}
		if !contains(t, mysql.NewAreaStore(db), inPorto) {
			t.Error("a new store does not read the stored area")
		}
	})

	t.Run("read again when the version changes", func(t *testing.T) {
		if _, err := db.Exec(`UPDATE delivery_areas SET version = version + 1 WHERE id = 1`); err != nil {
			t.Fatal(err)
		}
		if !contains(t, kept, inPorto) || contains(t, kept, inLisbon) {
			t.Error("the store kept the old area after its version changed")
		}
		if _, err := operator.SetArea(ctx, []byte(lisbonArea)); err != nil {
			t.Fatal(err)
		}
		if !contains(t, kept, inLisbon) {
			t.Error("the store kept the old area after SetArea")
		}
	})

	t.Run("a clear and a new set between two reads", func(t *testing.T) {
		var before int64
		if err := db.Get(&before, `SELECT version FROM delivery_areas WHERE id = 1`); err != nil {
			t.Fatal(err)
		}
		if cleared, err := operator.ClearArea(ctx); err != nil || !cleared {
			t.Fatalf("ClearArea() = %v, %v; want true", cleared, err)
		}
		if _, err := operator.SetArea(ctx, []byte(portoArea)); err != nil {
			t.Fatal(err)
		}
		var after int64
		if err := db.Get(&after, `SELECT version FROM delivery_areas WHERE id = 1`); err != nil || after <= before {
			t.Errorf("version after a clear and a set = %d, %v; want more than %d", after, err, before)
		}
		if !contains(t, kept, inPorto) {
			t.Error("the store kept the area of before the clear")
		}
	})

	t.Run("cleared", func(t *testing.T) {
		if cleared, err := operator.ClearArea(ctx); err != nil || !cleared {
			t.Fatalf("ClearArea() = %v, %v; want true", cleared, err)
		}
		none(t, kept)
		if cleared, err := operator.ClearArea(ctx); err != nil || cleared {
			t.Errorf("ClearArea() again = %v, %v; want false", cleared, err)
		}
	})

	t.Run("concurrent reads", func(t *testing.T) {
		if _, err := operator.SetArea(ctx, []byte(lisbonArea)); err != nil {
			t.Fatal(err)
		}
		shared := mysql.NewAreaStore(db)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				area, err := shared.ServiceArea(ctx)
				if err != nil || area == nil || !area.Contains(inLisbon) {
					t.Errorf("concurrent ServiceArea() = %v, %v; want Lisbon's", area, err)
				}
			})
		}
		wg.Wait()
	})

	t.Run("a stored area that does not parse is an internal error", func(t *testing.T) {
		if _, err := db.Exec(`UPDATE delivery_areas SET geojson = '{"type": "Point"}', version = version + 1 WHERE id = 1`); err != nil {
			t.Fatal(err)
		}
		if _, err := kept.ServiceArea(ctx); err == nil || market.ErrorCode(err) != market.CodeInternal {
			t.Errorf("ServiceArea() over a broken row = %v, want an internal error", err)
		}
	})
}

// profileDraft validates a PUT /api/company/profile body.
func profileDraft(t *testing.T, body string) market.ProfileDraft {
	t.Helper()
	var in market.ProfileInput
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		t.Fatal(err)
	}
	d, err := in.Validate()
	if err != nil {
		t.Fatalf("Validate(%s) = %v", body, err)
	}
	return d
}

func TestProfileDelivery(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	ctx := context.Background()
	id := insertCompany(t, db, "Padaria Sol")
	store := mysql.NewProfileStore(db)
	hours := weekdayHours(t)

	p, err := store.Profile(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := market.CompanyProfile{ID: id, Name: "Padaria Sol", Address: p.Address, Version: p.Version,
		PrepMinutes: market.DefaultPrepMinutes, OpeningHours: market.AlwaysOpen()}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("Profile() of a new company = %+v, want %+v", p, want)
	}

	steps := []struct {
		name string
		body string
		// change makes the expected profile from the one before.
		change func(p *market.CompanyProfile)
	}{
		{
			name: "everything set",
			body: `{"address": "Rua Augusta 10", "location": {"lat": 38.7105004, "lng": -9.1365}, "prepMinutes": 30,
			  "openingHours": {"mon": [{"open": "09:00", "close": "13:00"}, {"open": "15:00", "close": "19:00"}],
			    "tue": [{"open": "09:00", "close": "13:00"}, {"open": "15:00", "close": "19:00"}],
			    "wed": [{"open": "09:00", "close": "13:00"}, {"open": "15:00", "close": "19:00"}],
			    "thu": [{"open": "09:00", "close": "13:00"}, {"open": "15:00", "close": "19:00"}],
			    "fri": [{"open": "09:00", "close": "13:00"}, {"open": "15:00", "close": "19:00"}],
			    "sat": [{"open": "20:00", "close": "02:00"}]}, "paused": true}`,
			change: func(p *market.CompanyProfile) {
				p.Address, p.Location, p.PrepMinutes, p.OpeningHours, p.Paused = "Rua Augusta 10", &inLisbon, 30, hours, true
			},
		},
		{
			name:   "only the address: the rest is kept",
			body:   `{"address": "Rua Augusta 12"}`,
			change: func(p *market.CompanyProfile) { p.Address = "Rua Augusta 12" },
		},
		{
			name:   "resumed, faster",
			body:   `{"address": "Rua Augusta 12", "paused": false, "prepMinutes": 240}`,
			change: func(p *market.CompanyProfile) { p.Paused, p.PrepMinutes = false, 240 },
		},
		{
			name:   "location removed",
			body:   `{"address": "Rua Augusta 12", "location": null}`,
			change: func(p *market.CompanyProfile) { p.Location = nil },
		},
		{
			name: "location set again, closed every day",
			body: `{"address": "Rua Augusta 12", "location": {"lat": -33.86882, "lng": 151.209296}, "openingHours": {}}`,
			change: func(p *market.CompanyProfile) {
				p.Location, p.OpeningHours = &market.Location{Lat: -33.86882, Lng: 151.209296}, asStored(t, market.OpeningHours{})
			},
		},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			before, err := store.Profile(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			want := before
			step.change(&want)
			want.Version = before.Version + 1
			got, err := store.ReplaceProfile(ctx, id, before.Version, profileDraft(t, step.body))
			if err != nil {
				t.Fatalf("ReplaceProfile() error = %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ReplaceProfile() = %+v, want %+v", got, want)
			}
			if read, err := store.Profile(ctx, id); err != nil || !reflect.DeepEqual(read, want) {
				t.Errorf("Profile() after = %+v, %v; want %+v", read, err, want)
			}
		})
	}

	t.Run("a stale version changes nothing", func(t *testing.T) {
		before, err := store.Profile(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		_, err = store.ReplaceProfile(ctx, id, before.Version-1, profileDraft(t, `{"address": "Elsewhere", "location": null, "prepMinutes": 5, "paused": true}`))
		if market.ErrorCode(err) != market.CodePreconditionFailed {
			t.Errorf("ReplaceProfile(stale) = %v, want %s", err, market.CodePreconditionFailed)
		}
		if after, err := store.Profile(ctx, id); err != nil || !reflect.DeepEqual(after, before) {
			t.Errorf("Profile() after a stale edit = %+v, %v; want %+v", after, err, before)
		}
	})

	t.Run("the shops and the catalog read what the profile wrote", func(t *testing.T) {
		p, err := store.Profile(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		shops, err := mysql.NewShopStore(db).Shops(ctx, []int64{id})
		want := market.Shop{ID: id, Location: p.Location, PrepMinutes: p.PrepMinutes, Hours: p.OpeningHours, Paused: p.Paused}
		if err != nil || !reflect.DeepEqual(shops[id], want) {
			t.Errorf("Shops() = %+v, %v; want %+v", shops, err, want)
		}
	})
}

func TestCatalogCompaniesDelivery(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	ctx := context.Background()
	bakery := insertCompany(t, db, "Padaria Sol")
	deli := insertCompany(t, db, "Zebra Deli")
	insertDescribed(t, db, bakery, "Sourdough", "", true)
	insertDescribed(t, db, deli, "Pastrami", "", true)
	hours := weekdayHours(t)
	setShop(t, db, bakery, &inLisbon, 40, &hours, true)

	got, err := mysql.NewCompanyStore(db).CatalogCompanies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []market.CatalogCompany{
		{ID: bakery, Name: "Padaria Sol", ProductCount: 1, Location: &inLisbon, PrepMinutes: 40, Hours: hours, Paused: true},
		{ID: deli, Name: "Zebra Deli", ProductCount: 1, PrepMinutes: market.DefaultPrepMinutes, Hours: market.AlwaysOpen()},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CatalogCompanies() = %+v, want %+v", got, want)
	}
}

// sameOrder fails unless read is placed as the store read it back: the
// same answer, and the same delivery kept for the carriers.
func sameOrder(t *testing.T, read, placed market.Order) {
	t.Helper()
	read.Timeline, read.Cancellable = nil, nil
	a, err := json.Marshal(read)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(placed)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Errorf("order read back = %s\nwant as placed   %s", a, b)
	}
	if read.Area != placed.Area || read.DeliveryID != placed.DeliveryID {
		t.Errorf("order read back has area %q, delivery id %q; want %q, %q", read.Area, read.DeliveryID, placed.Area, placed.DeliveryID)
	}
	if (read.Delivery == nil) != (placed.Delivery == nil) {
		t.Fatalf("order read back has delivery %+v, want %+v", read.Delivery, placed.Delivery)
	}
	if read.Delivery == nil {
		return
	}
	r, p := *read.Delivery, *placed.Delivery
	if r.Fee.String() != p.Fee.String() || !r.Fee.Equal(p.Fee.Decimal) {
		t.Errorf("delivery fee read back = %s, want %s", r.Fee, p.Fee)
	}
	r.Fee, p.Fee = market.Money{}, market.Money{}
	if !reflect.DeepEqual(r, p) {
		t.Errorf("delivery read back = %+v, want %+v", r, p)
	}
}

func TestOrderDelivery(t *testing.T) {
	t.Parallel()
	db, store := orderFixture(t)
	ctx := context.Background()
	second := insertCompany(t, db, "Mercearia Lua")
	if _, err := db.Exec(`INSERT INTO products (id, company_id, name, price, active) VALUES (4, ?, 'Olive oil', 9.99, TRUE)`, second); err != nil {
		t.Fatal(err)
	}
	setShop(t, db, 1, &market.Location{Lat: 38.7139, Lng: -9.1334}, 20, nil, false)
	now := time.Date(2026, 12, 5, 10, 7, 31, 0, time.UTC)
	delivery := &market.Delivery{
		Rules: market.DefaultDeliveryRules(),
		Shops: mysql.NewShopStore(db),
		Area:  mysql.NewAreaStore(db),
		Now:   func() time.Time { return now },
	}
	if _, err := mysql.NewAreaStore(db).SetArea(ctx, []byte(lisbonArea)); err != nil {
		t.Fatal(err)
	}
	to := market.Location{Lat: 38.7369, Lng: -9.1427}

	tests := []struct {
		name   string
		items  []market.Item
		to     *market.Location
		pickup bool
	}{
		{name: "with a delivery", items: []market.Item{{ProductID: 1, Quantity: 2}, {ProductID: 2, Quantity: 1}}, to: &to, pickup: true},
		// Only the second shop, which has no location: the route has
		// no first pickup.
		{name: "from a shop without a location", items: []market.Item{{ProductID: 4, Quantity: 3}}, to: &to},
		{name: "without a location", items: []market.Item{{ProductID: 2, Quantity: 1}}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := orderRequest(tt.items...)
			req.Customer.Location = tt.to
			o := newOrder(t, "key-delivery-"+string(rune('a'+i)), req)
			if tt.to != nil {
				companies := map[int64]bool{}
				var ids []int64
				for _, it := range tt.items {
					var c int64
					if err := db.Get(&c, `SELECT company_id FROM products WHERE id = ?`, it.ProductID); err != nil {
						t.Fatal(err)
					}
					if !companies[c] {
						companies[c] = true
						ids = append(ids, c)
					}
				}
				d, err := delivery.Plan(ctx, ids, tt.to, "customer.location", true)
				if err != nil || d == nil || (d.FirstPickup != nil) != tt.pickup || (d.DistanceKm > 0) != tt.pickup {
					t.Fatalf("Plan() = %+v, %v; want a delivery, with a pickup %v", d, err, tt.pickup)
				}
				o.Delivery = d
			}
			placed, replayed, err := store.Place(ctx, o)
			if err != nil || replayed {
				t.Fatalf("Place() = %v, %v", replayed, err)
			}
			fee := "0.00"
			if o.Delivery != nil {
				fee = o.Delivery.Fee.String()
				if placed.ETA == nil || !placed.ETA.Earliest.After(now) {
					t.Errorf("placed ETA = %+v, want one after %s", placed.ETA, now)
				}
			}
			if placed.DeliveryFee.String() != fee || !placed.Total.Equal(placed.Subtotal.Add(placed.DeliveryFee.Decimal)) {
				t.Errorf("placed = subtotal %s + fee %s = total %s, want the fee %s", placed.Subtotal, placed.DeliveryFee, placed.Total, fee)
			}

			got, err := store.Order(ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			sameOrder(t, got, placed)
			again, replayed, err := store.Replay(ctx, o.KeyHash, o.RequestHash)
			if err != nil || !replayed {
				t.Fatalf("Replay() = %v, %v", replayed, err)
			}
			sameOrder(t, again, placed)

			var stored struct {
				Subtotal string `db:"subtotal"`
				Fee      string `db:"delivery_fee"`
				Total    string `db:"total"`
			}
			if err := db.Get(&stored, `SELECT subtotal, delivery_fee, total FROM orders WHERE id = ?`, o.ID); err != nil {
				t.Fatal(err)
			}
			if stored.Subtotal != placed.Subtotal.String() || stored.Fee != fee || stored.Total != placed.Total.String() {
				t.Errorf("stored subtotal, fee, total = %+v; want %s, %s, %s", stored, placed.Subtotal, fee, placed.Total)
			}
		})
	}
}
