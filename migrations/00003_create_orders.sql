-- +goose Up
-- An order and its lines, priced when placed. id is the public, unguessable
-- order id (time prefix + 128 random bits, see market.NewOrderID), never an
-- auto-increment: knowing it is what lets a shopper read the order.
-- Totals are DECIMAL(18,2): 100 lines of 999 units at the largest
-- DECIMAL(12,2) price still fit.
-- The notify_* columns track the carriers' SMS (see docs/orders.md):
-- notify_next_at is when the retry sweep next looks at the order, NULL once
-- it is notified or given up; orders_notify_due serves that sweep.
CREATE TABLE orders (
    id                VARCHAR(36)   NOT NULL,
    status            VARCHAR(16)   NOT NULL DEFAULT 'placed',
    currency          CHAR(3)       NOT NULL,
    item_count        INT           NOT NULL,
    total             DECIMAL(18,2) NOT NULL,
    customer_name     VARCHAR(100)  NOT NULL,
    customer_phone    VARCHAR(16)   NOT NULL,
    customer_address  VARCHAR(300)  NOT NULL,
    customer_note     VARCHAR(500)  NOT NULL DEFAULT '',
    delivery_area     VARCHAR(32)   NOT NULL DEFAULT '',
    notify_status     VARCHAR(16)   NOT NULL DEFAULT 'pending',
    notify_attempts   INT           NOT NULL DEFAULT 0,
    notify_last_error VARCHAR(200)  NULL,
    notify_next_at    DATETIME(6)   NULL,
    handed_off_at     DATETIME(6)   NULL,
    notified_at       DATETIME(6)   NULL,
    created_at        DATETIME(6)   NOT NULL,
    updated_at        DATETIME(6)   NOT NULL,
    PRIMARY KEY (id),
    KEY orders_notify_due (notify_next_at),
    CONSTRAINT orders_total_positive CHECK (total > 0),
    CONSTRAINT orders_item_count_positive CHECK (item_count > 0)
) DEFAULT CHARSET = utf8mb4;

-- Lines keep the product and company names and the unit price as they were
-- when the order was placed, so an order never changes with the catalog;
-- product_id has no foreign key for the same reason.
CREATE TABLE order_items (
    order_id     VARCHAR(36)   NOT NULL,
    line_no      INT           NOT NULL,
    product_id   BIGINT        NOT NULL,
    company_id   BIGINT        NOT NULL,
    company_name VARCHAR(120)  NOT NULL,
    product_name VARCHAR(120)  NOT NULL,
    unit_price   DECIMAL(12,2) NOT NULL,
    quantity     INT           NOT NULL,
    line_total   DECIMAL(18,2) NOT NULL,
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT order_items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id),
    CONSTRAINT order_items_quantity_positive CHECK (quantity > 0)
) DEFAULT CHARSET = utf8mb4;

-- +goose Down
DROP TABLE order_items;
DROP TABLE orders;
