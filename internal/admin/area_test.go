package admin_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/deliverymarket/delivery/internal/admin"
	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

const lisbonPolygon = `{"type": "Polygon",
  "coordinates": [[[-9.25, 38.68], [-9.05, 38.68], [-9.05, 38.80], [-9.25, 38.80], [-9.25, 38.68]]]}`

// The functions the local runner's `area` command calls.
func TestAreaCommands(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	ctx := context.Background()
	store := mysql.NewAreaStore(db)

	if got, err := admin.ShowArea(ctx, store); err != nil || got.Set || string(got.Geometry) != "null" {
		t.Fatalf("ShowArea() with none = %+v, %v; want not set", got, err)
	}
	if _, err := admin.SetArea(ctx, store, []byte(`{"type": "FeatureCollection", "features": []}`)); market.ErrorCode(err) != market.CodeInvalid ||
		!strings.Contains(err.Error(), "exactly one feature") {
		t.Errorf("SetArea(empty collection) = %v, want %s saying what is wrong", err, market.CodeInvalid)
	}
	set, err := admin.SetArea(ctx, store, []byte(`{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "Lisboa"},
	  "geometry": `+lisbonPolygon+`}]}`))
	if err != nil || !set.Set || !strings.HasPrefix(string(set.Geometry), `{"type":"Polygon"`) {
		t.Fatalf("SetArea(collection) = %s, %v; want the polygon alone", set.Geometry, err)
	}
	shown, err := admin.ShowArea(ctx, store)
	if err != nil || !shown.Set || string(shown.Geometry) != string(set.Geometry) {
		t.Errorf("ShowArea() = %+v, %v; want %s", shown, err, set.Geometry)
	}
	if cleared, err := admin.ClearArea(ctx, store); err != nil || !cleared.Cleared || cleared.Set {
		t.Errorf("ClearArea() = %+v, %v; want cleared", cleared, err)
	}
	if cleared, err := admin.ClearArea(ctx, store); err != nil || cleared.Cleared {
		t.Errorf("ClearArea() again = %+v, %v; want nothing cleared", cleared, err)
	}
}

// The migrate function's area actions, as setup.sh invokes them.
func TestMigrateAreaActions(t *testing.T) {
	t.Parallel()
	db := dbtest.MustOpenDB(t)
	ctx := context.Background()
	// The area actions touch no carrier, so nothing syncs the topic.
	migrate := admin.Migrate(app.Deps{DB: db, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}, nil, nil)
	stored := func() int {
		t.Helper()
		var n int
		if err := db.Get(&n, `SELECT COUNT(*) FROM delivery_areas`); err != nil {
			t.Fatal(err)
		}
		return n
	}

	steps := []struct {
		name    string
		request string
		wantErr string
		// want is the response's JSON.
		want string
	}{
		{name: "nothing to show", request: `{"action": "area-show"}`, want: `{"area":{"set":false,"geometry":null}}`},
		{name: "no area", request: `{"action": "area-set"}`, wantErr: "area-set needs area"},
		{name: "not GeoJSON", request: `{"action": "area-set", "area": "Lisboa"}`, wantErr: "not a GeoJSON object"},
		{
			name:    "an open ring",
			request: `{"action": "area-set", "area": {"type": "Polygon", "coordinates": [[[-9.25, 38.68], [-9.05, 38.68], [-9.05, 38.80], [-9.25, 38.80]]]}}`,
			wantErr: "must end where it starts",
		},
		{
			name:    "a point",
			request: `{"action": "area-set", "area": {"type": "Point", "coordinates": [-9.1, 38.7]}}`,
			wantErr: "Polygon or MultiPolygon",
		},
		{
			name:    "set",
			request: `{"action": "area-set", "area": ` + lisbonPolygon + `}`,
			want:    `{"area":{"set":true,"geometry":{"type":"Polygon","coordinates":[[[-9.25,38.68],[-9.05,38.68],[-9.05,38.8],[-9.25,38.8],[-9.25,38.68]]]}}}`,
		},
		{
			name:    "shown",
			request: `{"action": "area-show"}`,
			want:    `{"area":{"set":true,"geometry":{"type":"Polygon","coordinates":[[[-9.25,38.68],[-9.05,38.68],[-9.05,38.8],[-9.25,38.8],[-9.25,38.68]]]}}}`,
		},
		{name: "a bad area keeps the one set", request: `{"action": "area-set", "area": {}}`, wantErr: "area-set"},
		{name: "cleared", request: `{"action": "area-clear"}`, want: `{"area":{"set":false,"geometry":null,"cleared":true}}`},
		{name: "cleared again", request: `{"action": "area-clear"}`, want: `{"area":{"set":false,"geometry":null}}`},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			var req admin.MigrateRequest
			if err := json.Unmarshal([]byte(step.request), &req); err != nil {
				t.Fatal(err)
			}
			before := stored()
			resp, err := migrate(ctx, req)
			if step.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), step.wantErr) {
					t.Errorf("migrate(%s) = %v, want an error saying %q", step.request, err, step.wantErr)
				}
				if after := stored(); after != before {
					t.Errorf("a refused area-set changed the stored areas from %d to %d", before, after)
				}
				return
			}
			if err != nil {
				t.Fatalf("migrate(%s) = %v", step.request, err)
			}
			got, err := json.Marshal(resp)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != step.want {
				t.Errorf("migrate(%s) = %s, want %s", step.request, got, step.want)
			}
		})
	}
}
