package market

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// MaxAreaVertices bounds the delivery area: a city's outline needs a few
// thousand points; more only slows every quote down.
const MaxAreaVertices = 20000

// ServiceArea is where the marketplace delivers: one polygon or several,
// holes included. Containment is planar in longitude and latitude, which
// for an area of a city is exact to well under a metre; a point on an edge
// or a vertex is inside.
type ServiceArea struct {
	shape orb.Geometry // orb.Polygon or orb.MultiPolygon, in degrees
	// projected is shape in kilometres on an equirectangular projection
	// about the area's centre, to measure how far outside a point is.
	projected orb.Geometry
	origin    orb.Point
	kmPerLng  float64
	geometry  json.RawMessage
}

// ParseServiceArea reads a GeoJSON Polygon or MultiPolygon: a geometry, a
// Feature holding one, or a FeatureCollection of exactly one such Feature.
// Rings must be closed, with at least four positions, and coordinates in
// range. It returns CodeInvalid saying what is wrong.
func ParseServiceArea(doc []byte) (*ServiceArea, error) {
	g, err := areaGeometry(bytes.TrimSpace(doc))
	if err != nil {
		return nil, &Error{Code: CodeInvalid, Message: "the delivery area: " + err.Error()}
	}
	var polygons orb.MultiPolygon
	switch shape := g.(type) {
	case orb.Polygon:
		polygons = orb.MultiPolygon{shape}
	case orb.MultiPolygon:
		polygons = shape
	default:
		return nil, Errorf(CodeInvalid, "the delivery area must be a GeoJSON Polygon or MultiPolygon, not %s", g.GeoJSONType())
	}
	if err := checkPolygons(polygons); err != nil {
		return nil, &Error{Code: CodeInvalid, Message: "the delivery area: " + err.Error()}
	}
	geometry, err := json.Marshal(struct {
		Type        string       `json:"type"`
		Coordinates orb.Geometry `json:"coordinates"`
	}{g.GeoJSONType(), g})
	if err != nil {
		return nil, fmt.Errorf("delivery area: %w", err)
	}
	a := &ServiceArea{shape: g, geometry: geometry}
	a.project(polygons)
	return a, nil
}

// geoJSONObject is the part of a GeoJSON object an area needs. orb's own
// geojson package is not used: it links the MongoDB driver into every
// binary that reads the area, for what is three nested arrays here.
type geoJSONObject struct {
	Type        string            `json:"type"`
	Coordinates json.RawMessage   `json:"coordinates"`
	Geometry    *geoJSONObject    `json:"geometry"`
	Features    []json.RawMessage `json:"features"`
}

func areaGeometry(doc []byte) (orb.Geometry, error) {
	var o geoJSONObject
	if err := json.Unmarshal(doc, &o); err != nil {
		return nil, errors.New("not a GeoJSON object")
	}
	switch o.Type {
	case "FeatureCollection":
		if len(o.Features) != 1 {
			return nil, fmt.Errorf("a FeatureCollection must hold exactly one feature, not %d", len(o.Features))
		}
		var f geoJSONObject
		if err := json.Unmarshal(o.Features[0], &f); err != nil || f.Type != "Feature" {
			return nil, errors.New("the FeatureCollection's feature is not a GeoJSON Feature")
		}
		o = f
		fallthrough
	case "Feature":
		if o.Geometry == nil {
			return nil, errors.New("the Feature has no geometry")
		}
		o = *o.Geometry
	}
	switch o.Type {
	case "Polygon":
		var rings [][]orb.Point
		if err := json.Unmarshal(o.Coordinates, &rings); err != nil {
			return nil, errors.New("a Polygon's coordinates must be a list of rings of [longitude, latitude] positions")
		}
		return toPolygon(rings), nil
	case "MultiPolygon":
		var polygons [][][]orb.Point
		if err := json.Unmarshal(o.Coordinates, &polygons); err != nil {
			return nil, errors.New("a MultiPolygon's coordinates must be a list of polygons")
		}
		mp := make(orb.MultiPolygon, len(polygons))
		for i, rings := range polygons {
			mp[i] = toPolygon(rings)
		}
		return mp, nil
	}
	return nil, fmt.Errorf("a GeoJSON Polygon or MultiPolygon is needed, not %q", o.Type)
}

func toPolygon(rings [][]orb.Point) orb.Polygon {
	p := make(orb.Polygon, len(rings))
	for i, r := range rings {
		p[i] = orb.Ring(r)
	}
	return p
}

func checkPolygons(polygons orb.MultiPolygon) error {
	if len(polygons) == 0 {
		return errors.New("it holds no polygon")
	}
	vertices := 0
	for i, p := range polygons {
		if len(p) == 0 {
			return fmt.Errorf("polygon %d has no ring", i)
		}
		for j, ring := range p {
			if len(ring) < 4 {
				return fmt.Errorf("polygon %d, ring %d: a ring needs at least four positions", i, j)
			}
			if !ring.Closed() {
				return fmt.Errorf("polygon %d, ring %d: a ring must end where it starts", i, j)
			}
			for _, pt := range ring {
				if _, err := ValidLocation("area", Location{Lat: pt[1], Lng: pt[0]}); err != nil || math.IsInf(pt[0], 0) || math.IsInf(pt[1], 0) {
					return fmt.Errorf("polygon %d, ring %d: [%v, %v] is not a [longitude, latitude] position", i, j, pt[0], pt[1])
				}
			}
			vertices += len(ring)
		}
	}
	if vertices > MaxAreaVertices {
		return fmt.Errorf("%d positions, more than %d", vertices, MaxAreaVertices)
	}
	return nil
}

// Kilometres per degree of latitude, and of longitude at the equator.
const kmPerDegree = 111.195

func (a *ServiceArea) project(polygons orb.MultiPolygon) {
	a.origin = polygons.Bound().Center()
	a.kmPerLng = kmPerDegree * math.Cos(a.origin[1]*math.Pi/180)
	projected := make(orb.MultiPolygon, len(polygons))
	for i, p := range polygons {
		projected[i] = make(orb.Polygon, len(p))
		for j, ring := range p {
			projected[i][j] = make(orb.Ring, len(ring))
			for k, pt := range ring {
				projected[i][j][k] = a.km(pt)
			}
		}
	}
	a.projected = projected
}

func (a *ServiceArea) km(p orb.Point) orb.Point {
	return orb.Point{(p[0] - a.origin[0]) * a.kmPerLng, (p[1] - a.origin[1]) * kmPerDegree}
}

// Contains reports whether l is in the area: inside an outer ring and in
// none of its holes, edges and vertices included.
func (a *ServiceArea) Contains(l Location) bool {
	switch shape := a.shape.(type) {
	case orb.Polygon:
		return planar.PolygonContains(shape, l.point())
	case orb.MultiPolygon:
		return planar.MultiPolygonContains(shape, l.point())
	}
	return false
}

// OutsideKm is how far l is from the area's nearest edge, 0 when it is
// inside: what a shopper outside is told.
func (a *ServiceArea) OutsideKm(l Location) float64 {
	if a.Contains(l) {
		return 0
	}
	return planar.DistanceFrom(a.projected, a.km(l.point()))
}

// GeoJSON is the area's geometry as GeoJSON.
func (a *ServiceArea) GeoJSON() json.RawMessage { return a.geometry }
