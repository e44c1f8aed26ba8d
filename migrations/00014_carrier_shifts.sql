-- +goose Up
-- Carriers on shift and how to reach them (market/shift.go, dispatch.go).

-- One row per carrier on shift, deleted when the shift ends, by the
-- carrier or by itself (ends_at: 12 hours after it started, or 30 minutes
-- after the last position, whichever is sooner), so that a position is
-- kept only while its carrier is on shift; decimal degrees to 6 places
-- (about 10 cm), as every location. (lat, lng, ends_at) serves the
-- bounding box in which dispatch looks for the carriers nearest a pickup,
-- on both engines: the rows of the box are read from the index alone.
CREATE TABLE carrier_shifts (
    carrier_id BIGINT      NOT NULL,
    started_at DATETIME(6) NOT NULL,
    ends_at    DATETIME(6) NOT NULL,
    lat        DECIMAL(9,6) NULL,
    lng        DECIMAL(9,6) NULL,
    accuracy_m INT          NULL,
    located_at DATETIME(6) NULL,
    PRIMARY KEY (carrier_id),
    KEY carrier_shifts_position (lat, lng, ends_at),
    KEY carrier_shifts_ends_at (ends_at),
    CONSTRAINT carrier_shifts_carrier_fk FOREIGN KEY (carrier_id) REFERENCES carriers (id)
) DEFAULT CHARSET = utf8mb4;

-- The Web Push subscription of a carrier's phone (one per carrier: the
-- latest replaces the one before): the push service's endpoint and the
-- keys an offer is encrypted to.
CREATE TABLE carrier_push_subscriptions (
    carrier_id BIGINT        NOT NULL,
    endpoint   VARCHAR(1024) NOT NULL,
    p256dh     VARCHAR(128)  NOT NULL,
    auth       VARCHAR(64)   NOT NULL,
    created_at DATETIME(6)   NOT NULL,
    PRIMARY KEY (carrier_id),
    CONSTRAINT carrier_push_subscriptions_carrier_fk FOREIGN KEY (carrier_id) REFERENCES carriers (id)
) DEFAULT CHARSET = utf8mb4;

-- The orders each carrier nearest a pickup holds: orders_carrier_id
-- (carrier_id, id) would read every order a carrier ever delivered.
CREATE INDEX orders_carrier_status ON orders (carrier_id, status);

-- +goose Down
DROP INDEX orders_carrier_status ON orders;
DROP TABLE carrier_push_subscriptions;
DROP TABLE carrier_shifts;
