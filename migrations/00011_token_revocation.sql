-- +goose Up
-- Revoking tokens, disabling companies (market/access.go).

-- tokens_valid_from is when a principal's tokens start to count, in Unix
-- milliseconds: the authorizer refuses a token issued before it. Signing
-- out, a phone change, disabling a company and suspending a carrier move it
-- forward, never back, so every token issued until then stops working
-- while tokens minted offline by the operator afterwards still do.
ALTER TABLE companies ADD COLUMN tokens_valid_from BIGINT NOT NULL DEFAULT 0;
ALTER TABLE carriers ADD COLUMN tokens_valid_from BIGINT NOT NULL DEFAULT 0;

-- A disabled company keeps its rows (orders name it, its products stay in
-- the catalog) but can neither sign in nor use a token. Carriers have
-- active for the same.
ALTER TABLE companies ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE companies DROP COLUMN disabled;
ALTER TABLE carriers DROP COLUMN tokens_valid_from;
ALTER TABLE companies DROP COLUMN tokens_valid_from;
