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

# Its own access would be logged into itself, each log delivery producing another; and S3 server access
# logging writes only to targets encrypted with SSE-S3. (tfsec evaluates sibling module calls once each, in
# the order of their names: this one's name must sort before the buckets logging into it, or tfsec sees
# their logging target as null and reports them unlogged.)
#tfsec:ignore:aws-s3-enable-bucket-logging the access log bucket itself: logging it into itself would never settle
#tfsec:ignore:aws-s3-encryption-customer-key S3 server access logs cannot be delivered to a bucket encrypted with a KMS key
module "access_logs" {
  source = "../private_bucket"

  name             = "${var.name}-photo-logs"
  bucket_prefix    = "${var.name}-photolog-"
  kms_key_arn      = null
  logging          = null
  policy_documents = [data.aws_iam_policy_document.access_logs.json]
  force_destroy    = var.force_destroy
  tags             = var.tags

  lifecycle_rules = [{
    id                                     = "expire-logs"
    expiration_days                        = var.log_retention_days
    noncurrent_version_expiration_days     = 7
    abort_incomplete_multipart_upload_days = 7
  }]
}

data "aws_iam_policy_document" "access_logs" {
  statement {
    sid       = "S3ServerAccessLogsOfThePhotoBuckets"
    actions   = ["s3:PutObject"]
    resources = ["${module.access_logs.bucket_arn}/s3/*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [module.uploads.bucket_arn, module.images.bucket_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# --- Uploads bucket: the browser's presigned POSTs land here --------------------------------

# No versioning: the processor deletes every upload once it is handled (the originals carry their EXIF,
# GPS included, and may be hostile files), and with versioning each delete would keep the bytes as a
# noncurrent version. Nothing here is worth recovering: the processed copies live in the images bucket.
# SSE-S3, not a customer key: a presigned POST is written with the signer's permissions, so a KMS key
# would need kms:GenerateDataKey for updateproduct (which signs the forms) and kms:Decrypt for the
# processor, for objects that live seconds and at most a day.
#tfsec:ignore:aws-s3-enable-versioning a one-day inbox whose deletes must really delete the originals (their metadata, hostile files)
#tfsec:ignore:aws-s3-encryption-customer-key uploads live seconds (a day at most); a customer key would add KMS grants to the form signer and the processor
module "uploads" {
  source = "../private_bucket"

  name               = "${var.name}-uploads"
  kms_key_arn        = null
  versioning_enabled = false
  logging            = { target_bucket = module.access_logs.bucket_name }
  force_destroy      = var.force_destroy
  tags               = var.tags

  lifecycle_rules = [{
    id                                     = "expire-uploads"
    prefix                                 = local.upload_prefix
    expiration_days                        = local.upload_expiration_days
    abort_incomplete_multipart_upload_days = local.upload_expiration_days
  }]
}

# The console POSTs the form from the storefront's pages straight to the bucket's regional endpoint. Its
# XMLHttpRequest watches the upload's progress, which makes the browser send a preflight first; the form's
# Content-Type (multipart/form-data) needs no allowed header. Without an origin no browser can upload.
resource "aws_s3_bucket_cors_configuration" "uploads" {
  count = local.cors_enabled ? 1 : 0

  bucket = module.uploads.bucket_name

  cors_rule {
    id              = "presigned-post-from-the-site"
    allowed_methods = ["POST"]
    allowed_origins = var.cors_allowed_origins
    max_age_seconds = 3600
  }
}

# --- Upload -> processor -----------------------------------------------------------------

# S3 may invoke the processor for this bucket of this account only (a bucket name can move to another
# account once deleted, hence source_account).
resource "aws_lambda_permission" "processor" {
  statement_id   = "AllowUploadsBucketEvents"
  action         = "lambda:InvokeFunction"
  function_name  = var.processor_function_arn
  principal      = "s3.amazonaws.com"
  source_arn     = module.uploads.bucket_arn
  source_account = local.account_id
}

# Asynchronous invocations: a failed one is retried by Lambda (the function's event invoke config).
resource "aws_s3_bucket_notification" "uploads" {
  bucket = module.uploads.bucket_name

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

# Keys are content hashes, so nothing is ever overwritten; versioning keeps a photo deleted by mistake.
module "images" {
  source = "../private_bucket"

  name             = "${var.name}-images"
  kms_key_arn      = aws_kms_key.images.arn
  logging          = { target_bucket = module.access_logs.bucket_name }
  policy_documents = data.aws_iam_policy_document.images[*].json
  force_destroy    = var.force_destroy
  tags             = var.tags

  lifecycle_rules = [{
    id                                     = "expire-old-versions"
    noncurrent_version_expiration_days     = 30
    abort_incomplete_multipart_upload_days = 7
  }]
}

# Only once a distribution may read: before the storefront exists the policy is the TLS-only deny alone.
data "aws_iam_policy_document" "images" {
  count = length(var.cloudfront_distribution_arns) > 0 ? 1 : 0

  statement {
    sid       = "CloudFrontReadsThroughTheseDistributionsOnly"
    actions   = ["s3:GetObject"]
    resources = ["${module.images.bucket_arn}/${local.image_prefix}*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = var.cloudfront_distribution_arns
    }
  }
}

# --- The functions' way to S3 -------------------------------------------------------------

# The private subnets reach S3 through a gateway endpoint of their own; its policy lets this account's
# principals do exactly what the processor does there, so no function can use S3 from the VPC for
# anything else (nor reach another account's bucket) even with a broader role.
data "aws_iam_policy_document" "endpoint" {
  statement {
    sid       = "ProcessUploads"
    actions   = ["s3:GetObject", "s3:DeleteObject"]
    resources = ["${module.uploads.bucket_arn}/${local.upload_prefix}*"]

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
    resources = [module.uploads.bucket_arn]

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
    resources = ["${module.images.bucket_arn}/${local.image_prefix}*"]

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
