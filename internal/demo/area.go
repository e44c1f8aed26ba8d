package demo

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/mysql"
)

// Area is the demo delivery area: central Lisbon around the demo shops,
// from Alcântara to the east of Alfama and north to Campo Grande, the
// river its southern edge.
const Area = `{"type": "Polygon", "coordinates": [[
	[-9.1800, 38.7000], [-9.1450, 38.7040], [-9.1150, 38.7080], [-9.1050, 38.7250],
	[-9.1200, 38.7600], [-9.1550, 38.7650], [-9.1850, 38.7400], [-9.1800, 38.7000]
]]}`

// SeedArea gives a database that holds the demo companies and has no
// delivery area the demo's, and reports whether it did. It is apart from
// SeedIfEmpty: with an area, every order must say where it goes, and
// only the runner's demo needs one.
func SeedArea(ctx context.Context, db *sqlx.DB) (bool, error) {
	var areas, demoShops int
	if err := db.GetContext(ctx, &areas, `SELECT COUNT(*) FROM delivery_areas`); err != nil {
		return false, fmt.Errorf("demo: count areas: %w", err)
	}
	if err := db.GetContext(ctx, &demoShops, `SELECT COUNT(*) FROM companies WHERE name = ?`, Companies[0].Name); err != nil {
		return false, fmt.Errorf("demo: find company: %w", err)
	}
	if areas > 0 || demoShops == 0 {
		return false, nil
	}
	if _, err := mysql.NewAreaStore(db).SetArea(ctx, []byte(Area)); err != nil {
		return false, fmt.Errorf("demo: set area: %w", err)
	}
	return true, nil
}
