package market

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// squareWithHole is a 0.1° square with a 0.02° square hole in its middle,
// near Lisbon.
const squareWithHole = `{"type": "Polygon", "coordinates": [
	[[-9.20, 38.70], [-9.10, 38.70], [-9.10, 38.80], [-9.20, 38.80], [-9.20, 38.70]],
	[[-9.16, 38.74], [-9.14, 38.74], [-9.14, 38.76], [-9.16, 38.76], [-9.16, 38.74]]
]}`

func mustArea(t *testing.T, doc string) *ServiceArea {
	t.Helper()
	a, err := ParseServiceArea([]byte(doc))
	if err != nil {
		t.Fatalf("ParseServiceArea: %v", err)
	}
	return a
}

func TestServiceAreaContains(t *testing.T) {
	area := mustArea(t, squareWithHole)
	multi := mustArea(t, `{"type": "Feature", "properties": {}, "geometry": {"type": "MultiPolygon", "coordinates": [
		[[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
		[[[2, 2], [3, 2], [3, 3], [2, 3], [2, 2]]]
	]}}`)
	tests := []struct {
		name string
		area *ServiceArea
		at   Location
		want bool
	}{
		{"inside", area, Location{Lat: 38.72, Lng: -9.18}, true},
		{"outside to the east", area, Location{Lat: 38.75, Lng: -9.05}, false},
		{"outside to the north", area, Location{Lat: 38.81, Lng: -9.15}, false},
		{"in the hole", area, Location{Lat: 38.75, Lng: -9.15}, false},
		{"on an outer edge", area, Location{Lat: 38.75, Lng: -9.10}, true},
		{"on an outer vertex", area, Location{Lat: 38.70, Lng: -9.20}, true},
		// A hole keeps its own edge: a point on it is out of the area.
		{"on the hole's edge", area, Location{Lat: 38.74, Lng: -9.15}, false},
		{"on the hole's vertex", area, Location{Lat: 38.76, Lng: -9.16}, false},
		{"first polygon of several", multi, Location{Lat: 0.5, Lng: 0.5}, true},
		{"second polygon of several", multi, Location{Lat: 2.5, Lng: 2.5}, true},
		{"between the polygons", multi, Location{Lat: 1.5, Lng: 1.5}, false},
		{"on the second polygon's edge", multi, Location{Lat: 2, Lng: 2.5}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.area.Contains(tt.at); got != tt.want {
				t.Errorf("Contains(%v) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestServiceAreaOutsideKm(t *testing.T) {
	area := mustArea(t, squareWithHole)
	if got := area.OutsideKm(Location{Lat: 38.72, Lng: -9.18}); got != 0 {
		t.Errorf("inside: OutsideKm = %v, want 0", got)
	}
	// 0.01° of latitude north of the edge is 1.11 km.
	if got := area.OutsideKm(Location{Lat: 38.81, Lng: -9.15}); math.Abs(got-1.112) > 0.01 {
		t.Errorf("north: OutsideKm = %v, want about 1.11", got)
	}
	// In the hole, the nearest edge is the hole's: 0.01° of latitude.
	if got := area.OutsideKm(Location{Lat: 38.75, Lng: -9.15}); math.Abs(got-0.869) > 0.3 {
		t.Errorf("hole: OutsideKm = %v, want under a kilometre", got)
	}
}

func TestParseServiceArea(t *testing.T) {
	ring := `[[0, 0], [1, 0], [1, 1], [0, 0]]`
	tests := []struct {
		name, doc, wantErr string
	}{
		{"polygon", `{"type": "Polygon", "coordinates": [` + ring + `]}`, ""},
		{"feature collection of one", `{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [` + ring + `]}}]}`, ""},
		{"altitudes are dropped", `{"type": "Polygon", "coordinates": [[[0, 0, 5], [1, 0, 5], [1, 1, 5], [0, 0, 5]]]}`, ""},
		{"not JSON", `nope`, "not a GeoJSON object"},
		{"a point", `{"type": "Point", "coordinates": [0, 0]}`, "Polygon or MultiPolygon"},
		{"two features", `{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": null}, {"type": "Feature", "geometry": null}]}`, "exactly one feature"},
		{"feature without geometry", `{"type": "Feature", "geometry": null}`, "no geometry"},
		{"open ring", `{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}`, "end where it starts"},
		{"short ring", `{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}`, "at least four"},
		{"no rings", `{"type": "Polygon", "coordinates": []}`, "no ring"},
		{"latitude out of range", `{"type": "Polygon", "coordinates": [[[0, 0], [1, 95], [1, 1], [0, 0]]]}`, "not a [longitude, latitude]"},
		{"coordinates of strings", `{"type": "Polygon", "coordinates": [[["a", "b"]]]}`, "list of rings"},
		{"empty multipolygon", `{"type": "MultiPolygon", "coordinates": []}`, "no polygon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ParseServiceArea([]byte(tt.doc))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				var g struct{ Type string }
				if err := json.Unmarshal(a.GeoJSON(), &g); err != nil || g.Type != "Polygon" {
					t.Errorf("GeoJSON() = %s", a.GeoJSON())
				}
				return
			}
			if ErrorCode(err) != CodeInvalid || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want invalid_request with %q", err, tt.wantErr)
			}
		})
	}
}

func TestValidLocation(t *testing.T) {
	tests := []struct {
		name      string
		in        Location
		want      Location
		wantField string
	}{
		{"rounded to six decimals", Location{Lat: 38.71051234, Lng: -9.13649999}, Location{Lat: 38.710512, Lng: -9.1365}, ""},
		{"poles and antimeridian", Location{Lat: -90, Lng: 180}, Location{Lat: -90, Lng: 180}, ""},
		{"latitude too big", Location{Lat: 90.5, Lng: 0}, Location{}, "deliverTo.lat"},
		{"longitude too small", Location{Lat: 0, Lng: -180.1}, Location{}, "deliverTo.lng"},
		{"missing latitude", Location{Lat: math.NaN(), Lng: 1}, Location{}, "deliverTo.lat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidLocation("deliverTo", tt.in)
			if tt.wantField != "" {
				if fieldOf(err) != tt.wantField {
					t.Fatalf("err = %v, want one on %s", err, tt.wantField)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ValidLocation = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func fieldOf(err error) string {
	e, ok := err.(*Error)
	if !ok {
		return ""
	}
	d, _ := e.Details.(map[string]string)
	return d["field"]
}

func TestLocationJSON(t *testing.T) {
	var l Location
	if err := json.Unmarshal([]byte(`{"lat": 38.7}`), &l); err != nil {
		t.Fatal(err)
	}
	if _, err := ValidLocation("customer.location", l); fieldOf(err) != "customer.location.lng" {
		t.Errorf("a missing lng: err = %v, want one on customer.location.lng", err)
	}
	if err := json.Unmarshal([]byte(`{"lat": 1, "lng": 2, "alt": 3}`), &l); ErrorCode(err) != CodeInvalid {
		t.Errorf("an unknown field: err = %v", err)
	}
}
