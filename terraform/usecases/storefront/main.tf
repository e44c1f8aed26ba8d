# Storefront: private S3 bucket + CloudFront (with /api/* to the backend's API stage and /images/* to the
# backend's photo bucket) + WAF. Reads the backend's outputs from its state.

data "terraform_remote_state" "backend" {
  backend = "s3"

  config = {
    bucket = var.state_bucket
    key    = "${var.state_key_prefix}/backend.tfstate"
    region = coalesce(var.state_region, var.region)
  }
}

locals {
  name    = "${var.project}-${var.environment}"
  backend = data.terraform_remote_state.backend.outputs

  tags = merge(var.tags, {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
    Usecase     = "storefront"
  })
}

module "site" {
  source = "../../modules/site"

  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  name                         = local.name
  api_origin_domain_name       = local.backend.api_origin_domain_name
  api_origin_path              = "/${local.backend.api_stage_name}"
  images_origin_domain_name    = local.backend.images_bucket_regional_domain_name
  connect_src_origins          = [local.backend.uploads_origin]
  acm_certificate_arn          = var.acm_certificate_arn
  aliases                      = var.aliases
  price_class                  = var.price_class
  catalog_max_ttl_seconds      = var.catalog_max_ttl_seconds
  waf_rate_limit_per_5_minutes = var.waf_rate_limit_per_5_minutes

  # The backend's secret, which its API requires of every request (a backend state from before it has none: then
  # CloudFront sends no header, and the backend's next apply, which creates it, is followed by this one's).
  api_origin_verify_header_name = try(local.backend.origin_verify_header_name, "X-Origin-Verify")
  api_origin_verify_secret      = try(local.backend.origin_verify_secret, null)
  force_destroy                 = var.force_destroy
}
