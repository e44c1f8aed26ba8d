package admin

import (
	"context"
	"encoding/json"

	"github.com/deliverymarket/delivery/internal/mysql"
)

// AreaRecord is the delivery area as the operator sees it.
type AreaRecord struct {
	// Set says whether the marketplace has an area; without one it
	// delivers anywhere within DELIVERY_MAX_KM of the route.
	Set bool `json:"set"`
	// Geometry is the stored GeoJSON Polygon or MultiPolygon, as
	// GET /api/area shows it; null when none is set.
	Geometry json.RawMessage `json:"geometry"`
	// Cleared says, after a clear, whether there was an area to remove.
	Cleared bool `json:"cleared,omitempty"`
}

// SetArea makes doc the delivery area, for `go run ./cmd/local area set`
// and the migrate function's area-set alike. doc is a GeoJSON Polygon or
// MultiPolygon, a Feature holding one, or a FeatureCollection of exactly
// one such Feature; what else it says (properties, other members) is not
// kept. A doc that is not such an area is CodeInvalid, saying what is
// wrong, and stores nothing. Each function reads the new area at its next
// request.
func SetArea(ctx context.Context, store *mysql.AreaStore, doc []byte) (AreaRecord, error) {
	area, err := store.SetArea(ctx, doc)
	if err != nil {
		return AreaRecord{}, err
	}
	return AreaRecord{Set: true, Geometry: area.GeoJSON()}, nil
}

// ClearArea removes the delivery area: the marketplace then delivers
// anywhere within DELIVERY_MAX_KM of the route. Clearing when there is
// none changes nothing.
func ClearArea(ctx context.Context, store *mysql.AreaStore) (AreaRecord, error) {
	cleared, err := store.ClearArea(ctx)
	if err != nil {
		return AreaRecord{}, err
	}
	return AreaRecord{Geometry: json.RawMessage("null"), Cleared: cleared}, nil
}

// ShowArea returns the delivery area.
func ShowArea(ctx context.Context, store *mysql.AreaStore) (AreaRecord, error) {
	doc, ok, err := store.AreaDocument(ctx)
	if err != nil {
		return AreaRecord{}, err
	}
	if !ok {
		return AreaRecord{Geometry: json.RawMessage("null")}, nil
	}
	return AreaRecord{Set: true, Geometry: doc}, nil
}
