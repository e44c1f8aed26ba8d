-- +goose Up
-- Idempotency records are kept for market.IdempotencyKeyRetention and then
-- pruned, oldest first, by the minute sweep; this index keeps that DELETE a
-- range scan however large the table grows.
CREATE INDEX order_idempotency_created_at ON order_idempotency (created_at);

-- +goose Down
DROP INDEX order_idempotency_created_at ON order_idempotency;
