-- +goose Up
-- Prices are exact DECIMAL(12,2): money never passes through a binary float.
-- products_active_id serves the storefront's keyset pagination
-- (WHERE active AND id > ? ORDER BY id LIMIT ?) as one index range scan;
-- products_company_id serves a company's own listing and the foreign key.
CREATE TABLE products (
    id          BIGINT        NOT NULL AUTO_INCREMENT,
    company_id  BIGINT        NOT NULL,
    name        VARCHAR(120)  NOT NULL,
    description VARCHAR(1000) NOT NULL DEFAULT '',
    price       DECIMAL(12,2) NOT NULL,
    active      BOOLEAN       NOT NULL DEFAULT TRUE,
    version     BIGINT        NOT NULL DEFAULT 1,
    created_at  DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at  DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    KEY products_active_id (active, id),
    KEY products_company_id (company_id, id),
    CONSTRAINT products_company_fk FOREIGN KEY (company_id) REFERENCES companies (id),
    CONSTRAINT products_price_positive CHECK (price > 0)
) DEFAULT CHARSET = utf8mb4;

-- +goose Down
DROP TABLE products;
