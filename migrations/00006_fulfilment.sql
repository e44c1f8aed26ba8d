-- +goose Up
-- Fulfilment: who prepares, carries and signs in (see docs/orders.md).

-- A company's pickup details. phone is also where its people get their
-- sign-in codes, so it is unique; version makes profile edits
-- compare-and-swap, as product edits are.
ALTER TABLE companies ADD COLUMN address VARCHAR(300) NOT NULL DEFAULT '';
ALTER TABLE companies ADD COLUMN phone VARCHAR(16) NULL;
ALTER TABLE companies ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
CREATE UNIQUE INDEX companies_phone ON companies (phone);

-- Carriers sign in with a code sent to their phone; the phone is unique so
-- that a code names one carrier. An inactive carrier keeps its row (orders
-- name it) but can neither sign in nor receive the order SMS.
CREATE TABLE carriers (
    id         BIGINT       NOT NULL AUTO_INCREMENT,
    name       VARCHAR(100) NOT NULL,
    phone      VARCHAR(16)  NOT NULL,
    active     BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    UNIQUE KEY carriers_phone (phone)
) DEFAULT CHARSET = utf8mb4;

-- delivery_id is how carriers and companies name an order: the order id is
-- the shopper's capability (it reads and cancels the order), so nobody else
-- is shown it. It is a one-way hash of the id (market.DeliveryID), which
-- lets this migration fill it in for orders placed before it.
-- carrier_id is who holds the order; every status change is a conditional
-- UPDATE on status (market/lifecycle.go). offer_due_at is when the sweep
-- offers a still unclaimed order to the carriers again (NULL: no more).
ALTER TABLE orders ADD COLUMN delivery_id CHAR(20) NULL;
UPDATE orders SET delivery_id = LEFT(SHA2(CONCAT('delivery:', id), 256), 20);
CREATE UNIQUE INDEX orders_delivery_id ON orders (delivery_id);
ALTER TABLE orders ADD COLUMN carrier_id BIGINT NULL;
ALTER TABLE orders ADD COLUMN accepted_at DATETIME(6) NULL;
ALTER TABLE orders ADD COLUMN picked_up_at DATETIME(6) NULL;
ALTER TABLE orders ADD COLUMN delivered_at DATETIME(6) NULL;
ALTER TABLE orders ADD COLUMN cancelled_at DATETIME(6) NULL;
ALTER TABLE orders ADD COLUMN offers INT NOT NULL DEFAULT 1;
ALTER TABLE orders ADD COLUMN offer_due_at DATETIME(6) NULL;
-- Carriers' "available" list: placed orders, oldest first.
CREATE INDEX orders_status_id ON orders (status, id);
-- Carriers' "mine" list.
CREATE INDEX orders_carrier_id ON orders (carrier_id, id);
CREATE INDEX orders_offer_due ON orders (offer_due_at);

-- Each company's part of an order (its lines) and whether it is ready for
-- pickup. A carrier picks an order up only when every part is ready.
CREATE TABLE order_parts (
    order_id   VARCHAR(36) NOT NULL,
    company_id BIGINT      NOT NULL,
    state      VARCHAR(8)  NOT NULL DEFAULT 'new',
    ready_at   DATETIME(6) NULL,
    PRIMARY KEY (order_id, company_id),
    KEY order_parts_company (company_id, order_id),
    CONSTRAINT order_parts_order_fk FOREIGN KEY (order_id) REFERENCES orders (id)
) DEFAULT CHARSET = utf8mb4;
INSERT INTO order_parts (order_id, company_id)
SELECT DISTINCT order_id, company_id FROM order_items;

-- One row per step of an order: every status transition, a part made
-- ready, an offer repeated. Who did it is an actor kind and id, never a
-- phone or a name.
CREATE TABLE order_history (
    id          BIGINT       NOT NULL AUTO_INCREMENT,
    order_id    VARCHAR(36)  NOT NULL,
    at          DATETIME(6)  NOT NULL,
    step        VARCHAR(16)  NOT NULL,
    from_status VARCHAR(16)  NULL,
    to_status   VARCHAR(16)  NOT NULL,
    actor_kind  VARCHAR(8)   NOT NULL,
    actor_id    BIGINT       NULL,
    company_id  BIGINT       NULL,
    reason      VARCHAR(200) NULL,
    PRIMARY KEY (id),
    KEY order_history_order (order_id, id),
    CONSTRAINT order_history_order_fk FOREIGN KEY (order_id) REFERENCES orders (id)
) DEFAULT CHARSET = utf8mb4;
INSERT INTO order_history (order_id, at, step, from_status, to_status, actor_kind)
SELECT id, created_at, 'placed', NULL, 'placed', 'shopper' FROM orders;

-- Sign-in codes sent by SMS (market/signin.go). A row is written for every
-- request, for a phone that belongs to nobody too (subject_id NULL, no
-- code), so that the per-phone limit answers alike whoever asks. Only a
-- salted hash of the code is kept. Each request deletes a few rows past
-- market.SignInRetention (sign_in_codes_created_at), so the table holds
-- about a day of requests.
CREATE TABLE sign_in_codes (
    id         BIGINT      NOT NULL AUTO_INCREMENT,
    kind       VARCHAR(8)  NOT NULL,
    phone      VARCHAR(16) NOT NULL,
    subject_id BIGINT      NULL,
    code_hash  CHAR(64)    NULL,
    salt       CHAR(32)    NULL,
    attempts   INT         NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    used_at    DATETIME(6) NULL,
    PRIMARY KEY (id),
    KEY sign_in_codes_phone (kind, phone, created_at),
    KEY sign_in_codes_created_at (created_at)
) DEFAULT CHARSET = utf8mb4;

-- +goose Down
DROP TABLE sign_in_codes;
DROP TABLE order_history;
DROP TABLE order_parts;
DROP INDEX orders_offer_due ON orders;
DROP INDEX orders_carrier_id ON orders;
DROP INDEX orders_status_id ON orders;
ALTER TABLE orders DROP COLUMN offer_due_at;
ALTER TABLE orders DROP COLUMN offers;
ALTER TABLE orders DROP COLUMN cancelled_at;
ALTER TABLE orders DROP COLUMN delivered_at;
ALTER TABLE orders DROP COLUMN picked_up_at;
ALTER TABLE orders DROP COLUMN accepted_at;
ALTER TABLE orders DROP COLUMN carrier_id;
DROP INDEX orders_delivery_id ON orders;
ALTER TABLE orders DROP COLUMN delivery_id;
DROP TABLE carriers;
DROP INDEX companies_phone ON companies;
ALTER TABLE companies DROP COLUMN version;
ALTER TABLE companies DROP COLUMN phone;
ALTER TABLE companies DROP COLUMN address;
