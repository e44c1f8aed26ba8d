-- +goose Up
-- One row per Idempotency-Key that placed an order. The primary key is what
-- makes placement idempotent under concurrent retries: the row is inserted
-- first in the order's transaction, so a second transaction with the same
-- key fails on it (after waiting for the first to commit or roll back)
-- rather than placing a second order. key_hash is the SHA-256 of the key
-- (fixed length, case-sensitive whatever the collation); request_hash that
-- of the normalized request, to refuse the same key with another body.
-- order_id has no foreign key because this row is written before the order
-- in the same transaction; the transaction keeps them together.
CREATE TABLE order_idempotency (
    key_hash     CHAR(64)    NOT NULL,
    request_hash CHAR(64)    NOT NULL,
    order_id     VARCHAR(36) NOT NULL,
    created_at   DATETIME(6) NOT NULL,
    PRIMARY KEY (key_hash)
) DEFAULT CHARSET = utf8mb4;

-- +goose Down
DROP TABLE order_idempotency;
