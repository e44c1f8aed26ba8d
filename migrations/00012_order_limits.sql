-- +goose Up
-- The bounds of orders and carriers (market/orderlimits.go, lifecycle.go).

-- A customer phone's open orders are counted when it orders again; this
-- index makes that count a short range scan however many orders exist.
CREATE INDEX orders_customer_phone ON orders (customer_phone, status);

-- One row per customer phone that has ordered, locked by each order of
-- that phone for its transaction, so that concurrent orders of one phone
-- count its open orders one after the other and never pass the bound
-- together (a locking read of the count itself would take gap locks that
-- make concurrent orders deadlock instead). The phone is kept only as a
-- SHA-256, which is all a lock needs.
CREATE TABLE order_phone_locks (
    phone_hash CHAR(64)    NOT NULL,
    locked_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (phone_hash)
) DEFAULT CHARSET = utf8mb4;

-- How many orders each carrier has given back, for the operator.
ALTER TABLE carriers ADD COLUMN releases INT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE carriers DROP COLUMN releases;
DROP TABLE order_phone_locks;
DROP INDEX orders_customer_phone ON orders;
