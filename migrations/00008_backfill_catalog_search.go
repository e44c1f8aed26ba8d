package migrations

import (
	"context"
	"database/sql"

	"github.com/jmoiron/sqlx"
	"github.com/jmoiron/sqlx/reflectx"
	"github.com/pressly/goose/v3"

	"github.com/deliverymarket/delivery/internal/mysql"
)

// backfillCatalogSearch fills the search index and the companies' counts
// that migration 7 added for the products that existed before it, with the
// very tokenizer the product writes use. It runs in goose's transaction:
// all or nothing, and on goose's own connection, which a pool of one (the
// embedded engine's) requires. Batches keep each statement small; a
// catalog of a million products would make it a long transaction, which a
// migrate Lambda's timeout may not allow: such a catalog is seeded after
// this migration (cmd/local seed) rather than backfilled by it. Down has
// nothing to undo: migration 7's drops the table and the column.
var backfillCatalogSearch = goose.NewGoMigration(8,
	&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
		return mysql.RebuildCatalogIndex(ctx, &sqlx.Tx{Tx: tx, Mapper: reflectx.NewMapperFunc("db", sqlx.NameMapper)})
	}},
	nil,
)
