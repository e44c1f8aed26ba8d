// Package migrations holds the database schema as goose SQL migrations,
// embedded so that every binary (the migrate Lambda, the local runner, the
// tests) applies exactly the same files.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/pressly/goose/v3"
)

//go:embed *.sql
var files embed.FS

// Up applies every pending migration and returns the schema version reached.
func Up(ctx context.Context, db *sql.DB) (int64, error) {
	provider, err := goose.NewProvider(goose.DialectMySQL, db, files)
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return 0, fmt.Errorf("migrations: up: %w", err)
	}
	version, err := provider.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrations: version: %w", err)
	}
	return version, nil
}
