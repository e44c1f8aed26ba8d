data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # The key layout of internal/market/image.go: uploads/<companyId>/<productId>/<uploadId> (UploadKey) and
  # images/<sha256>.jpg (ImageObjectKey), which is also the path CloudFront serves it under.
  upload_prefix = "uploads/"
  image_prefix  = "images/"

  # An upload is processed within seconds of arriving; what is left after a day failed every retry.
  upload_expiration_days = 1

  cors_enabled = length(var.cors_allowed_origins) > 0
}

# --- Log bucket: S3 server access logs of both buckets (who uploaded from where, who read) ----------

# Its own access would be logged into itself, each log delivery producing another.
#tfsec:ignore:aws-s3-enable-bucket-logging the access log bucket itself: logging it into itself would never settle
resource "aws_s3_bucket" "logs" {
  bucket_prefix = "${var.name}-photolog-"
  force_destroy = var.force_destroy

  tags = merge(var.tags, { Name = "${var.name}-photo-logs" })
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# S3 server access logging writes only to targets encrypted with SSE-S3.
#tfsec:ignore:aws-s3-encryption-customer-key S3 server access logs cannot be delivered to a bucket encrypted with a KMS key
resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    id     = "expire-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.log_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 7
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.logs]
}

data "aws_iam_policy_document" "logs" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.logs.arn, "${aws_s3_bucket.logs.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "S3ServerAccessLogsOfThePhotoBuckets"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.logs.arn}/s3/*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.uploads.arn, aws_s3_bucket.images.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = data.aws_iam_policy_document.logs.json

  depends_on = [aws_s3_bucket_public_access_block.logs]
}

# --- Uploads bucket: the browser's presigned POSTs land here --------------------------------

# No versioning: the processor deletes every upload once it is handled (the originals carry their EXIF,
# GPS included, and may be hostile files), and with versioning each delete would keep the bytes as a
# noncurrent version. Nothing here is worth recovering: the processed copies live in the images bucket.
#tfsec:ignore:aws-s3-enable-versioning a one-day inbox whose deletes must really delete the originals (their metadata, hostile files)
resource "aws_s3_bucket" "uploads" {
  bucket_prefix = "${var.name}-uploads-"
  force_destroy = var.force_destroy

  tags = merge(var.tags, { Name = "${var.name}-uploads" })
}

resource "aws_s3_bucket_ownership_controls" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "uploads" {
  bucket                  = aws_s3_bucket.uploads.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# SSE-S3, not a customer key: a presigned POST is written with the signer's permissions, so a KMS key
# would need kms:GenerateDataKey for updateproduct (which signs the forms) and kms:Decrypt for the
# processor, for objects that live seconds and at most a day.
#tfsec:ignore:aws-s3-encryption-customer-key uploads live seconds (a day at most); a customer key would add KMS grants to the form signer and the processor
resource "aws_s3_bucket_server_side_encryption_configuration" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  rule {
    id     = "expire-uploads"
    status = "Enabled"

    filter {
      prefix = local.upload_prefix
    }

    expiration {
      days = local.upload_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = local.upload_expiration_days
    }
  }
}

# The console POSTs the form from the storefront's pages straight to the bucket's regional endpoint. Its
# XMLHttpRequest watches the upload's progress, which makes the browser send a preflight first; the form's
# Content-Type (multipart/form-data) needs no allowed header. Without an origin no browser can upload.
resource "aws_s3_bucket_cors_configuration" "uploads" {
  count = local.cors_enabled ? 1 : 0

  bucket = aws_s3_bucket.uploads.id

  cors_rule {
    id              = "presigned-post-from-the-site"
    allowed_methods = ["POST"]
    allowed_origins = var.cors_allowed_origins
    max_age_seconds = 3600
  }
}

resource "aws_s3_bucket_logging" "uploads" {
  bucket        = aws_s3_bucket.uploads.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3/${aws_s3_bucket.uploads.id}/"

  depends_on = [aws_s3_bucket_policy.logs]
}

data "aws_iam_policy_document" "uploads" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.uploads.arn, "${aws_s3_bucket.uploads.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  policy = data.aws_iam_policy_document.uploads.json

  depends_on = [aws_s3_bucket_public_access_block.uploads]
}

# --- Upload -> processor -----------------------------------------------------------------

# S3 may invoke the processor for this bucket of this account only (a bucket name can move to another
# account once deleted, hence source_account).
resource "aws_lambda_permission" "processor" {
  statement_id   = "AllowUploadsBucketEvents"
  action         = "lambda:InvokeFunction"
  function_name  = var.processor_function_arn
  principal      = "s3.amazonaws.com"
  source_arn     = aws_s3_bucket.uploads.arn
  source_account = local.account_id
}

# Asynchronous invocations: a failed one is retried by Lambda (the function's event invoke config).
resource "aws_s3_bucket_notification" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  lambda_function {
    id                  = "process-uploads"
    lambda_function_arn = var.processor_function_arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = local.upload_prefix
  }

  depends_on = [aws_lambda_permission.processor]
}

# --- Images bucket: the processed photos, read by CloudFront only ---------------------------

data "aws_iam_policy_document" "images_key" {
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  dynamic "statement" {
    for_each = length(var.cloudfront_distribution_arns) > 0 ? [var.cloudfront_distribution_arns] : []

    content {
      sid       = "CloudFrontReadsTheseDistributionsObjects"
      actions   = ["kms:Decrypt"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["cloudfront.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "AWS:SourceArn"
        values   = statement.value
      }
    }
  }
}

resource "aws_kms_key" "images" {
  description             = "Encrypts the ${var.name} product photos bucket"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.images_key.json

  tags = merge(var.tags, { Name = "${var.name}-images" })
}

resource "aws_kms_alias" "images" {
  name          = "alias/${var.name}-images"
  target_key_id = aws_kms_key.images.key_id
}

resource "aws_s3_bucket" "images" {
  bucket_prefix = "${var.name}-images-"
  force_destroy = var.force_destroy

  tags = merge(var.tags, { Name = "${var.name}-images" })
}

resource "aws_s3_bucket_ownership_controls" "images" {
  bucket = aws_s3_bucket.images.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "images" {
  bucket                  = aws_s3_bucket.images.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "images" {
  bucket = aws_s3_bucket.images.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.images.arn
    }
    bucket_key_enabled = true
  }
}

# Keys are content hashes, so nothing is ever overwritten; versioning keeps a photo deleted by mistake.
resource "aws_s3_bucket_versioning" "images" {
  bucket = aws_s3_bucket.images.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "images" {
  bucket = aws_s3_bucket.images.id

  rule {
    id     = "expire-old-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.images]
}

resource "aws_s3_bucket_logging" "images" {
  bucket        = aws_s3_bucket.images.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3/${aws_s3_bucket.images.id}/"

  depends_on = [aws_s3_bucket_policy.logs]
}

data "aws_iam_policy_document" "images" {
  dynamic "statement" {
    for_each = length(var.cloudfront_distribution_arns) > 0 ? [var.cloudfront_distribution_arns] : []

    content {
      sid       = "CloudFrontReadsThroughTheseDistributionsOnly"
      actions   = ["s3:GetObject"]
      resources = ["${aws_s3_bucket.images.arn}/${local.image_prefix}*"]

      principals {
        type        = "Service"
        identifiers = ["cloudfront.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "AWS:SourceArn"
        values   = statement.value
      }
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.images.arn, "${aws_s3_bucket.images.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "images" {
  bucket = aws_s3_bucket.images.id
  policy = data.aws_iam_policy_document.images.json

  depends_on = [aws_s3_bucket_public_access_block.images]
}

# --- The functions' way to S3 -------------------------------------------------------------

# The private subnets reach S3 through a gateway endpoint of their own; its policy lets this account's
# principals do exactly what the processor does there, so no function can use S3 from the VPC for
# anything else (nor reach another account's bucket) even with a broader role.
data "aws_iam_policy_document" "endpoint" {
  statement {
    sid       = "ProcessUploads"
    actions   = ["s3:GetObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.uploads.arn}/${local.upload_prefix}*"]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "TellGoneUploads"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.uploads.arn]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "WriteImages"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.images.arn}/${local.image_prefix}*"]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_vpc_endpoint_policy" "s3" {
  count = var.s3_endpoint_id != null ? 1 : 0

  vpc_endpoint_id = var.s3_endpoint_id
  policy          = data.aws_iam_policy_document.endpoint.json
}
