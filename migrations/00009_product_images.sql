-- +goose Up
-- Product photos (issue 12). A product's photo is two JPEG variants in the
-- images bucket, each named by the hex SHA-256 of its bytes
-- (market.ImageObjectKey), and the size of the 960 px one, which the
-- storefront reserves before the picture arrives. The four columns are set
-- together or not at all: NULL is "no photo", never half of one. (A CHECK
-- passes when it is NULL, hence the COALESCE: a NULL size must fail it.)
ALTER TABLE products ADD COLUMN image_320 CHAR(64) NULL;
ALTER TABLE products ADD COLUMN image_960 CHAR(64) NULL;
ALTER TABLE products ADD COLUMN image_width INT NULL;
ALTER TABLE products ADD COLUMN image_height INT NULL;
ALTER TABLE products ADD CONSTRAINT products_image_whole CHECK (
    (image_320 IS NULL AND image_960 IS NULL AND image_width IS NULL AND image_height IS NULL)
    OR (image_320 IS NOT NULL AND image_960 IS NOT NULL AND COALESCE(image_width, 0) > 0 AND COALESCE(image_height, 0) > 0));

-- Why the processor refused the last upload, for the company's console
-- only: the reason (an images.Reason), a message for people, the upload it
-- was about (so a console tells its own upload's refusal from an older
-- one) and when. Setting or removing the photo clears it. It is not
-- product data: recording it leaves the product's version as it was.
ALTER TABLE products ADD COLUMN image_error_reason VARCHAR(32) NULL;
ALTER TABLE products ADD COLUMN image_error_message VARCHAR(255) NULL;
ALTER TABLE products ADD COLUMN image_error_upload CHAR(32) NULL;
ALTER TABLE products ADD COLUMN image_error_at DATETIME(6) NULL;
ALTER TABLE products ADD CONSTRAINT products_image_error_whole CHECK (
    (image_error_reason IS NULL AND image_error_message IS NULL AND image_error_upload IS NULL AND image_error_at IS NULL)
    OR (image_error_reason IS NOT NULL AND image_error_message IS NOT NULL AND image_error_upload IS NOT NULL AND image_error_at IS NOT NULL));

-- An order's lines keep the photo the product had when it was ordered, as
-- they keep its name and price: the variants' keys never change meaning
-- (they are hashes of the bytes), and the images bucket keeps every photo
-- once written, so an old order still shows what was bought.
ALTER TABLE order_items ADD COLUMN image_320 CHAR(64) NULL;
ALTER TABLE order_items ADD COLUMN image_960 CHAR(64) NULL;
ALTER TABLE order_items ADD COLUMN image_width INT NULL;
ALTER TABLE order_items ADD COLUMN image_height INT NULL;
ALTER TABLE order_items ADD CONSTRAINT order_items_image_whole CHECK (
    (image_320 IS NULL AND image_960 IS NULL AND image_width IS NULL AND image_height IS NULL)
    OR (image_320 IS NOT NULL AND image_960 IS NOT NULL AND COALESCE(image_width, 0) > 0 AND COALESCE(image_height, 0) > 0));

-- +goose Down
ALTER TABLE order_items DROP CONSTRAINT order_items_image_whole;
ALTER TABLE order_items DROP COLUMN image_height;
ALTER TABLE order_items DROP COLUMN image_width;
ALTER TABLE order_items DROP COLUMN image_960;
ALTER TABLE order_items DROP COLUMN image_320;
ALTER TABLE products DROP CONSTRAINT products_image_error_whole;
ALTER TABLE products DROP COLUMN image_error_at;
ALTER TABLE products DROP COLUMN image_error_upload;
ALTER TABLE products DROP COLUMN image_error_message;
ALTER TABLE products DROP COLUMN image_error_reason;
ALTER TABLE products DROP CONSTRAINT products_image_whole;
ALTER TABLE products DROP COLUMN image_height;
ALTER TABLE products DROP COLUMN image_width;
ALTER TABLE products DROP COLUMN image_960;
ALTER TABLE products DROP COLUMN image_320;
