-- +goose Up
-- The waves of offers of each order (market/dispatch.go).

-- dispatch_wave counts the waves an order was offered in;
-- dispatch_next_at is when its next wave is due (NULL: none is), which
-- the minute sweep looks at for a timer that never fired; broadcast_at is
-- when it went to every carrier. Orders placed before waves existed were
-- broadcast when they were placed.
ALTER TABLE orders ADD COLUMN dispatch_wave INT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN dispatch_next_at DATETIME(6) NULL;
ALTER TABLE orders ADD COLUMN broadcast_at DATETIME(6) NULL;
UPDATE orders SET broadcast_at = created_at;
CREATE INDEX orders_dispatch_next_at ON orders (dispatch_next_at);

-- The carriers' available list walks the placed orders in id order and
-- passes over those still in their waves without reading their rows.
CREATE INDEX orders_available ON orders (status, id, broadcast_at);
DROP INDEX orders_status_id ON orders;

-- One row per carrier an order was offered to (carrier_id NULL: the
-- broadcast): in which wave, by which channel, whether it was sent and
-- whether that carrier claimed it.
CREATE TABLE order_offers (
    id         BIGINT      NOT NULL AUTO_INCREMENT,
    order_id   VARCHAR(36) NOT NULL,
    carrier_id BIGINT      NULL,
    wave       INT         NOT NULL,
    channel    VARCHAR(16) NOT NULL,
    state      VARCHAR(16) NOT NULL,
    offered_at DATETIME(6) NOT NULL,
    sent_at    DATETIME(6) NULL,
    claimed_at DATETIME(6) NULL,
    PRIMARY KEY (id),
    UNIQUE KEY order_offers_order_carrier (order_id, carrier_id),
    KEY order_offers_carrier (carrier_id, order_id),
    CONSTRAINT order_offers_order_fk FOREIGN KEY (order_id) REFERENCES orders (id)
) DEFAULT CHARSET = utf8mb4;

-- +goose Down
DROP TABLE order_offers;
CREATE INDEX orders_status_id ON orders (status, id);
DROP INDEX orders_available ON orders;
DROP INDEX orders_dispatch_next_at ON orders;
ALTER TABLE orders DROP COLUMN broadcast_at;
ALTER TABLE orders DROP COLUMN dispatch_next_at;
ALTER TABLE orders DROP COLUMN dispatch_wave;
