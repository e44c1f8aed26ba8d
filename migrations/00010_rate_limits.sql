-- +goose Up
-- The counters of the rate limits (market.RateLimiter): how many events a
-- key had in one fixed window. The key is a kind and a hash of what is
-- limited (a client address, a phone, a carrier), never the address or
-- phone itself. expires_at is when the row no longer counts for any
-- window, so that every insert can forget a few expired rows and the table
-- stays bounded without a sweep.
CREATE TABLE rate_limits (
    bucket       VARCHAR(64) NOT NULL,
    window_start DATETIME(6) NOT NULL,
    hits         INT         NOT NULL,
    expires_at   DATETIME(6) NOT NULL,
    PRIMARY KEY (bucket, window_start),
    KEY rate_limits_expires (expires_at)
) DEFAULT CHARSET = utf8mb4;

-- +goose Down
DROP TABLE rate_limits;
