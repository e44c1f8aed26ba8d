package market

import (
	"bytes"
	"encoding/json"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// Location is a point on Earth in WGS84 decimal degrees, as GeoJSON and
// the Geolocation API give it. Coordinates are not money: float64 is their
// natural type, and six decimals (about 0.1 m) are all that is kept.
type Location struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// locationScale keeps six decimals, the precision of the DECIMAL(9,6)
// columns, so that a location reads back exactly as it was accepted and
// hashes the same whatever digits the client sent beyond it.
const locationScale = 1e6

// ValidLocation checks the ranges of l, reported on field, and returns it
// rounded to six decimals.
func ValidLocation(field string, l Location) (Location, error) {
	if math.IsNaN(l.Lat) || l.Lat < -90 || l.Lat > 90 {
		return Location{}, FieldError(field+".lat", "%s.lat must be a latitude in decimal degrees, from -90 to 90", field)
	}
	if math.IsNaN(l.Lng) || l.Lng < -180 || l.Lng > 180 {
		return Location{}, FieldError(field+".lng", "%s.lng must be a longitude in decimal degrees, from -180 to 180", field)
	}
	return Location{Lat: roundCoordinate(l.Lat), Lng: roundCoordinate(l.Lng)}, nil
}

func roundCoordinate(v float64) float64 {
	r := math.Round(v*locationScale) / locationScale
	if r == 0 {
		return 0 // no "-0" in JSON
	}
	return r
}

// point is l as orb orders coordinates: longitude first, as GeoJSON does.
func (l Location) point() orb.Point { return orb.Point{l.Lng, l.Lat} }

// DistanceKm is the great-circle (haversine) distance between a and b.
func DistanceKm(a, b Location) float64 {
	return geo.DistanceHaversine(a.point(), b.point()) / 1000
}

// UnmarshalJSON reads {"lat": …, "lng": …}. A coordinate left out reads
// as NaN, which ValidLocation refuses naming the field, rather than as 0:
// a point on the equator or the meridian of Greenwich is a place too.
func (l *Location) UnmarshalJSON(doc []byte) error {
	var fields struct {
		Lat *float64 `json:"lat"`
		Lng *float64 `json:"lng"`
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fields); err != nil {
		return errNotALocation
	}
	*l = Location{Lat: math.NaN(), Lng: math.NaN()}
	if fields.Lat != nil {
		l.Lat = *fields.Lat
	}
	if fields.Lng != nil {
		l.Lng = *fields.Lng
	}
	return nil
}

var errNotALocation = &Error{Code: CodeInvalid, Message: `a location must be {"lat": 38.7105, "lng": -9.1365}, in decimal degrees`}
