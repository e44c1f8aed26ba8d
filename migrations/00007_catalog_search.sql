-- +goose Up
-- The catalog search index (internal/mysql/search.go explains the choice):
-- one row per word of each active product's name, description and company
-- name, folded by market.IndexWords (accents dropped, case folded), so the
-- database compares bytes only: utf8mb4_bin, where a word prefix is a key
-- range. The primary key serves "products with a word starting with t";
-- product_words_product serves "does product p have such a word" and the
-- rewrite of a product's words. No foreign key: products are never
-- deleted, and the bulk seed would pay for a lookup per row.
CREATE TABLE product_words (
    word       VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    product_id BIGINT      NOT NULL,
    PRIMARY KEY (word, product_id),
    KEY product_words_product (product_id, word)
) DEFAULT CHARSET = utf8mb4;

-- Each company's count of active products, moved by every product write
-- in its transaction, so that the shop list never counts products.
ALTER TABLE companies ADD COLUMN active_products BIGINT NOT NULL DEFAULT 0;

-- Both are filled for the products that exist by migration 8, in Go: SQL
-- cannot run the tokenizer (migrations/catalog_index.go).

-- +goose Down
ALTER TABLE companies DROP COLUMN active_products;
DROP TABLE product_words;
