// Package migrations holds the database schema as goose SQL migrations,
// and the few Go migrations that need Go code (00008: the search index),
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

// goMigrations are the Go migrations, numbered among the SQL files.
var goMigrations = []*goose.Migration{backfillCatalogSearch}

// Up applies every pending migration and returns the schema version reached.
func Up(ctx context.Context, db *sql.DB) (int64, error) {
	provider, err := newProvider(db)
	if err != nil {
		return 0, err
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

// newProvider is the one provider of every migration, SQL and Go.
func newProvider(db *sql.DB) (*goose.Provider, error) {
	provider, err := goose.NewProvider(goose.DialectMySQL, db, files, goose.WithGoMigrations(goMigrations...))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return provider, nil
}
