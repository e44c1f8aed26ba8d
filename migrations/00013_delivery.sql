-- +goose Up
-- Where everyone is: shops' locations and hours, the delivery area, and
-- each order's delivery (docs/delivery.md, market/delivery.go).

-- A shop's pickup point (NULL until it sets one), its preparation time,
-- its opening hours as market.OpeningHours JSON (NULL: open at every
-- hour) and whether it is paused. Coordinates keep six decimals, as
-- market.ValidLocation rounds them.
ALTER TABLE companies ADD COLUMN lat DECIMAL(9,6) NULL;
ALTER TABLE companies ADD COLUMN lng DECIMAL(9,6) NULL;
ALTER TABLE companies ADD COLUMN prep_minutes INT NOT NULL DEFAULT 15;
ALTER TABLE companies ADD COLUMN opening_hours TEXT NULL;
ALTER TABLE companies ADD COLUMN paused BOOLEAN NOT NULL DEFAULT FALSE;

-- The marketplace's one delivery area (id is always 1), as GeoJSON;
-- version lets each function keep the parsed area until it changes.
CREATE TABLE delivery_areas (
    id         TINYINT     NOT NULL,
    geojson    MEDIUMTEXT  NOT NULL,
    version    BIGINT      NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id)
) DEFAULT CHARSET = utf8mb4;

-- An order's delivery as quoted when it was placed: total is now the
-- subtotal (the items) plus the delivery fee. The delivery_* columns are
-- NULL for an order placed without a location; pickup_* is where its
-- route starts (the first pickup), which carriers' distances are
-- measured to.
ALTER TABLE orders ADD COLUMN subtotal DECIMAL(18,2) NULL;
UPDATE orders SET subtotal = total;
ALTER TABLE orders MODIFY COLUMN subtotal DECIMAL(18,2) NOT NULL;
ALTER TABLE orders ADD COLUMN delivery_fee DECIMAL(10,2) NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN delivery_km DECIMAL(8,2) NULL;
ALTER TABLE orders ADD COLUMN delivery_estimate BOOLEAN NULL;
ALTER TABLE orders ADD COLUMN delivery_lat DECIMAL(9,6) NULL;
ALTER TABLE orders ADD COLUMN delivery_lng DECIMAL(9,6) NULL;
ALTER TABLE orders ADD COLUMN pickup_lat DECIMAL(9,6) NULL;
ALTER TABLE orders ADD COLUMN pickup_lng DECIMAL(9,6) NULL;
ALTER TABLE orders ADD COLUMN eta_earliest DATETIME(6) NULL;
ALTER TABLE orders ADD COLUMN eta_latest DATETIME(6) NULL;

-- +goose Down
ALTER TABLE orders DROP COLUMN eta_latest;
ALTER TABLE orders DROP COLUMN eta_earliest;
ALTER TABLE orders DROP COLUMN pickup_lng;
ALTER TABLE orders DROP COLUMN pickup_lat;
ALTER TABLE orders DROP COLUMN delivery_lng;
ALTER TABLE orders DROP COLUMN delivery_lat;
ALTER TABLE orders DROP COLUMN delivery_estimate;
ALTER TABLE orders DROP COLUMN delivery_km;
ALTER TABLE orders DROP COLUMN delivery_fee;
ALTER TABLE orders DROP COLUMN subtotal;
DROP TABLE delivery_areas;
ALTER TABLE companies DROP COLUMN paused;
ALTER TABLE companies DROP COLUMN opening_hours;
ALTER TABLE companies DROP COLUMN prep_minutes;
ALTER TABLE companies DROP COLUMN lng;
ALTER TABLE companies DROP COLUMN lat;
