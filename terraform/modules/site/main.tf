data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # AWS managed CloudFront policies.
  caching_optimized_policy_id = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  caching_disabled_policy_id  = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
  custom_certificate          = var.acm_certificate_arn != null
  site_origin_id              = "site"
  api_origin_id               = "api"
  images_origin_id            = "images"
  # The cacheable API paths and the query parameters their answers depend on (internal/apigw/catalog.go; the
  # delivery area, internal/apigw/area.go, takes none).
  catalog_paths            = ["/api/products", "/api/companies", "/api/area"]
  catalog_query_parameters = ["companyId", "cursor", "limit", "q"]
  # The request headers the API reads (internal/apigw), besides Authorization; an origin request policy takes at
  # most 10 headers, the viewer's address included.
  api_request_headers = ["Access-Control-Request-Headers", "Access-Control-Request-Method", "Content-Type", "Idempotency-Key", "If-Match", "If-None-Match", "Origin", "User-Agent"]
  # Images from the site's own origin only (the product photos are under /images/); requests to it and to
  # connect_src_origins (the console's photo uploads go straight to the uploads bucket).
  connect_src                         = join(" ", concat(["'self'"], var.connect_src_origins))
  content_security_policy_same_origin = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src ${local.connect_src}; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; upgrade-insecure-requests"
}

# --- Log bucket (CloudFront's access log and S3 server access logs) ---------------

# S3 server access logs write with the log-delivery-write ACL and need SSE-S3 on the target bucket; CloudFront's access log (standard logging v2) is delivered under the bucket policy.
resource "aws_s3_bucket" "logs" {
  bucket_prefix = "${var.name}-logs-"
  force_destroy = var.force_destroy

  tags = merge(var.tags, { Name = "${var.name}-logs" })
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    object_ownership = "BucketOwnerPreferred"
  }
}

resource "aws_s3_bucket_acl" "logs" {
  bucket = aws_s3_bucket.logs.id
  acl    = "log-delivery-write"

  depends_on = [aws_s3_bucket_ownership_controls.logs]
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

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

data "aws_iam_policy_document" "logs_bucket" {
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

  # CloudFront's standard logging v2 (below) delivers through CloudWatch Logs' delivery service.
  statement {
    sid       = "CloudFrontAccessLogsV2"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.logs.arn}/AWSLogs/${local.account_id}/*"]

    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:logs:us-east-1:${local.account_id}:delivery-source:*"]
    }

    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }
  }

  statement {
    sid       = "S3ServerAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.logs.arn}/s3/*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
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
  policy = data.aws_iam_policy_document.logs_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.logs]
}

# --- Site bucket ---------------------------------------------------------------------------

data "aws_iam_policy_document" "key" {
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudFrontReadsThisDistributionsObjects"
    actions   = ["kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.this.arn]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "Encrypts the ${var.name} storefront bucket"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json

  tags = merge(var.tags, { Name = "${var.name}-site" })
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}-site"
  target_key_id = aws_kms_key.this.key_id
}

resource "aws_s3_bucket" "this" {
  bucket_prefix = "${var.name}-site-"
  force_destroy = var.force_destroy

  tags = merge(var.tags, { Name = "${var.name}-site" })
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

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

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  bucket        = aws_s3_bucket.this.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3/${aws_s3_bucket.this.id}/"
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid       = "CloudFrontReadsThroughThisDistributionOnly"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.this.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.this.arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]

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

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.bucket.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

# --- WAF (CloudFront scope lives in us-east-1) -----------------------------------

resource "aws_wafv2_web_acl" "this" {
  provider = aws.us_east_1

  name        = "${var.name}-cdn"
  description = "Managed protections and a per-IP rate limit for the ${var.name} storefront and API"
  scope       = "CLOUDFRONT"

  default_action {
    allow {}
  }

  rule {
    name     = "rate-limit-per-ip"
    priority = 0

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit              = var.waf_rate_limit_per_5_minutes
        aggregate_key_type = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-limit"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-ip-reputation"
    priority = 10

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesAmazonIpReputationList"
        vendor_name = "AWS"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-ip-reputation"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-common"
    priority = 20

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesCommonRuleSet"
        vendor_name = "AWS"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-common"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-known-bad-inputs"
    priority = 30

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
        vendor_name = "AWS"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.name}-cdn"
    sampled_requests_enabled   = true
  }

  tags = merge(var.tags, { Name = "${var.name}-cdn" })
}

# --- CloudFront -------------------------------------------------------------------

resource "aws_cloudfront_origin_access_control" "this" {
  name                              = "${var.name}-site"
  description                       = "Signed requests from CloudFront to the ${var.name} site bucket"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

# The product photos' bucket belongs to the backend; its bucket and key policies let this distribution read it.
resource "aws_cloudfront_origin_access_control" "images" {
  name                              = "${var.name}-images"
  description                       = "Signed requests from CloudFront to the ${var.name} product photos bucket"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_response_headers_policy" "security" {
  name    = "${var.name}-security-headers"
  comment = "Security headers for the ${var.name} storefront and API"

  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = 63072000
      include_subdomains         = true
      preload                    = false
      override                   = true
    }

    content_security_policy {
      content_security_policy = var.content_security_policy != null ? var.content_security_policy : local.content_security_policy_same_origin
      override                = true
    }

    frame_options {
      frame_option = "DENY"
      override     = true
    }

    content_type_options {
      override = true
    }

    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }
  }

  custom_headers_config {
    # The site's own pages ask where the device is: checkout's delivery place, the console's shop and the carrier's
    # shift.
    items {
      header   = "Permissions-Policy"
      value    = "camera=(), microphone=(), geolocation=(self), payment=()"
      override = true
    }
  }
}

# --- Product photos: images only -------------------------------------------------------------

# /images/* is served on the site's own origin, where a script would run with the site's rights (the carrier's
# token is in its localStorage). Only the image processor writes there, and only JPEGs, but should anything else
# ever land in the bucket (an operator's copy, a future writer), this function serves it as a 404 in plain text
# rather than with its own type: with nosniff and the site's CSP (the security headers policy above, also on
# /images/*) no browser renders it. A viewer-response function, because only the response knows the type; it
# runs on 2xx answers (CloudFront runs none on 4xx and 5xx), and a 304 carries no type and is left alone.
resource "aws_cloudfront_function" "images_only" {
  name    = "${var.name}-images-only"
  runtime = "cloudfront-js-2.0"
  comment = "Serves only image/* from /images/ of ${var.name}; anything else becomes a plain-text 404"
  publish = true
  code    = <<-EOT
    function handler(event) {
      var response = event.response;
      if (response.statusCode !== 200 && response.statusCode !== 206) {
        return response;
      }
      var type = response.headers['content-type'];
      if (type && /^image\/[a-z0-9.+-]+(;|$)/i.test(type.value.trim())) {
        return response;
      }
      response.statusCode = 404;
      response.statusDescription = 'Not Found';
      response.headers['content-type'] = { value: 'text/plain; charset=utf-8' };
      response.headers['cache-control'] = { value: 'no-store' };
      delete response.headers['content-disposition'];
      return response;
    }
  EOT
}

# --- API caching: the public catalog reads ----------------------------------------------

# GET /api/products, GET /api/companies and GET /api/area answer with Cache-Control: public, max-age, stale-while-revalidate and a
# strong ETag (internal/apigw/cache.go); every other answer says no-store. The cache key is exactly what those answers
# depend on: the catalog's query parameters and Origin (the function reflects an allowed Origin in
# Access-Control-Allow-Origin, so one origin's CORS answer must never be served to another; a same-origin storefront
# sends no Origin on GET, so shoppers share one entry per page). No cookies, no Authorization: the answers are the same
# for everyone. A TTL of 0 when the origin says nothing keeps API Gateway's own errors out of the cache, and max_ttl
# caps what a release could ask for by mistake.
resource "aws_cloudfront_cache_policy" "catalog" {
  name        = "${var.name}-catalog"
  comment     = "Public catalog reads of ${var.name}: keyed on their query parameters and Origin, TTL from the origin"
  min_ttl     = 0
  default_ttl = 0
  max_ttl     = var.catalog_max_ttl_seconds

  parameters_in_cache_key_and_forwarded_to_origin {
    enable_accept_encoding_gzip   = true
    enable_accept_encoding_brotli = true

    cookies_config {
      cookie_behavior = "none"
    }

    headers_config {
      header_behavior = "whitelist"

      headers {
        items = ["Origin"]
      }
    }

    query_strings_config {
      query_string_behavior = "whitelist"

      query_strings {
        items = local.catalog_query_parameters
      }
    }
  }
}

# The catalog paths serve reads only (a company creates products at /api/company/products), so the only thing besides
# the cache key that reaches the origin is what a cross-origin client's preflight (OPTIONS, never cached) needs.
resource "aws_cloudfront_origin_request_policy" "catalog" {
  name    = "${var.name}-catalog"
  comment = "What a CORS preflight of the cached catalog needs besides the cache key (${var.name})"

  cookies_config {
    cookie_behavior = "none"
  }

  headers_config {
    header_behavior = "whitelist"

    headers {
      items = ["Access-Control-Request-Headers", "Access-Control-Request-Method"]
    }
  }

  query_strings_config {
    query_string_behavior = "none"
  }
}

# --- The rest of the API ------------------------------------------------------------------------------

# The API functions limit orders and sign-ins per client, by the viewer's address as CloudFront saw it
# (CloudFront-Viewer-Address, trusted only with the origin header). No managed policy gives both that header and
# every viewer header but Host (forwarding the viewer's Host makes API Gateway refuse the request), so the origin
# request policy names the headers the API reads: a header the API starts to read needs a line here. The viewer's
# address is in no cache key.
resource "aws_cloudfront_origin_request_policy" "api" {
  name    = "${var.name}-api"
  comment = "What the ${var.name} API reads besides Authorization: its request headers and the viewer's address"

  cookies_config {
    cookie_behavior = "none"
  }

  headers_config {
    header_behavior = "whitelist"

    headers {
      items = concat(local.api_request_headers, ["CloudFront-Viewer-Address"])
    }
  }

  query_strings_config {
    query_string_behavior = "all"
  }
}

# An origin request policy cannot carry Authorization and a policy that never caches cannot name it either, so
# this one keys on it with a 1-second ceiling: every answer of these routes says Cache-Control: no-store (API
# Gateway's own included), which CloudFront obeys, so nothing is kept; the key only makes sure that nothing could
# ever be shared between two tokens, or two query strings.
resource "aws_cloudfront_cache_policy" "api" {
  name        = "${var.name}-api"
  comment     = "The ${var.name} API: never kept (its answers say no-store); passes Authorization to the origin"
  min_ttl     = 0
  default_ttl = 0
  max_ttl     = 1

  parameters_in_cache_key_and_forwarded_to_origin {
    enable_accept_encoding_gzip   = true
    enable_accept_encoding_brotli = true

    cookies_config {
      cookie_behavior = "none"
    }

    headers_config {
      header_behavior = "whitelist"

      headers {
        items = ["Authorization"]
      }
    }

    query_strings_config {
      query_string_behavior = "all"
    }
  }
}

# Its access log is standard logging v2 (aws_cloudwatch_log_delivery.access below), which tfsec does not see.
#tfsec:ignore:aws-cloudfront-enable-logging
resource "aws_cloudfront_distribution" "this" {
  enabled             = true
  comment             = "${var.name} storefront and API"
  default_root_object = "index.html"
  is_ipv6_enabled     = true
  http_version        = "http2and3"
  price_class         = var.price_class
  aliases             = var.aliases
  web_acl_id          = aws_wafv2_web_acl.this.arn

  origin {
    origin_id                = local.site_origin_id
    domain_name              = aws_s3_bucket.this.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.this.id
  }

  origin {
    origin_id                = local.images_origin_id
    domain_name              = var.images_origin_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.images.id
  }

  origin {
    origin_id   = local.api_origin_id
    domain_name = var.api_origin_domain_name
    origin_path = var.api_origin_path

    # Proof that a request came through this distribution: the API's web ACL blocks, and its functions refuse,
    # any request without it. CloudFront replaces a header of that name sent by a viewer.
    dynamic "custom_header" {
      for_each = nonsensitive(var.api_origin_verify_secret == null) ? [] : [var.api_origin_verify_header_name]

      content {
        name  = custom_header.value
        value = var.api_origin_verify_secret
      }
    }

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
  }

  default_cache_behavior {
    target_origin_id           = local.site_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = local.caching_optimized_policy_id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id
  }

  # The product photos: content-addressed keys (images/<sha256>.jpg) stored with Cache-Control: public,
  # max-age=31536000, immutable, so the managed CachingOptimized policy keeps them as long as the objects
  # say. JPEG gains nothing from gzip or Brotli, so compression is off.
  ordered_cache_behavior {
    path_pattern               = "/images/*"
    target_origin_id           = local.images_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = false
    cache_policy_id            = local.caching_optimized_policy_id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id

    function_association {
      event_type   = "viewer-response"
      function_arn = aws_cloudfront_function.images_only.arn
    }
  }

  # The public catalog reads, cached as their answers say (ordered before /api/*, which would otherwise match them).
  dynamic "ordered_cache_behavior" {
    for_each = local.catalog_paths

    content {
      path_pattern               = ordered_cache_behavior.value
      target_origin_id           = local.api_origin_id
      viewer_protocol_policy     = "https-only"
      allowed_methods            = ["GET", "HEAD", "OPTIONS"]
      cached_methods             = ["GET", "HEAD"]
      compress                   = true
      cache_policy_id            = aws_cloudfront_cache_policy.catalog.id
      origin_request_policy_id   = aws_cloudfront_origin_request_policy.catalog.id
      response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id
    }
  }

  # The rest of the API: never cached (every answer says no-store); Authorization through the cache policy, the
  # other headers the API reads and the viewer's address through the origin request policy.
  ordered_cache_behavior {
    path_pattern               = "/api/*"
    target_origin_id           = local.api_origin_id
    viewer_protocol_policy     = "https-only"
    allowed_methods            = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = aws_cloudfront_cache_policy.api.id
    origin_request_policy_id   = aws_cloudfront_origin_request_policy.api.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id
  }

  restrictions {
    geo_restriction {
      restriction_type = length(var.geo_allowed_countries) > 0 ? "whitelist" : "none"
      locations        = var.geo_allowed_countries
    }
  }

  # With the default *.cloudfront.net certificate CloudFront always negotiates its TLSv1 policy whatever is
  # configured (and asking for TLSv1.2_2021 only produces a perpetual diff): the tfsec ignore below is limited to
  # that case by its [cloudfront_default_certificate=true] qualifier. Set acm_certificate_arn (+ aliases) for TLS 1.2+.
  #tfsec:ignore:aws-cloudfront-use-secure-tls-policy[cloudfront_default_certificate=true]
  viewer_certificate {
    cloudfront_default_certificate = !local.custom_certificate
    acm_certificate_arn            = var.acm_certificate_arn
    ssl_support_method             = local.custom_certificate ? "sni-only" : null
    minimum_protocol_version       = local.custom_certificate ? var.minimum_protocol_version : "TLSv1"
  }

  tags = merge(var.tags, { Name = var.name })

  depends_on = [aws_s3_bucket_acl.logs]
}

# --- CloudFront's access log: standard logging v2, without the URL -------------------------------------

# The legacy standard log writes every request's path and query string, and /api/orders/<id> is the shopper's only
# key to an order. Standard logging v2 writes only the fields listed here: when, from where (the viewer's address,
# for a flood), how (method, protocol, TLS), what came of it (status, bytes, cache result, type, times), never the
# path, the query string, the Referer (the tracking page's address) or cookies. The API's access log keeps the
# route's template (/api/orders/{orderId}) for what was asked. The delivery lives in us-east-1, as CloudFront's.
locals {
  access_log_fields = [
    "timestamp", "date", "time", "x-edge-location", "c-ip", "c-port", "cs-method", "cs-protocol", "cs-protocol-version",
    "ssl-protocol", "sc-status", "sc-bytes", "cs-bytes", "sc-content-type", "x-edge-result-type",
    "x-edge-response-result-type", "x-edge-detailed-result-type", "x-edge-request-id", "time-taken", "time-to-first-byte",
    "cs(User-Agent)",
  ]
}

resource "aws_cloudwatch_log_delivery_source" "access" {
  provider = aws.us_east_1

  name         = "${var.name}-cdn-access"
  log_type     = "ACCESS_LOGS"
  resource_arn = aws_cloudfront_distribution.this.arn

  tags = var.tags
}

resource "aws_cloudwatch_log_delivery_destination" "access" {
  provider = aws.us_east_1

  name          = "${var.name}-cdn-access"
  output_format = "w3c"

  delivery_destination_configuration {
    destination_resource_arn = aws_s3_bucket.logs.arn
  }

  tags = var.tags
}

resource "aws_cloudwatch_log_delivery" "access" {
  provider = aws.us_east_1

  delivery_source_name     = aws_cloudwatch_log_delivery_source.access.name
  delivery_destination_arn = aws_cloudwatch_log_delivery_destination.access.arn
  record_fields            = local.access_log_fields

  tags = var.tags

  depends_on = [aws_s3_bucket_policy.logs]
}
