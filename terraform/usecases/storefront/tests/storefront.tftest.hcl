# terraform test for the storefront usecase and its site module, with a mocked AWS provider: no account, no
# credentials, nothing created (.ci/terraform.sh runs it; by hand: terraform -chdir=terraform/usecases/storefront
# init -backend=false && terraform -chdir=terraform/usecases/storefront test).

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
      arn        = "arn:aws:iam::123456789012:user/ci"
      user_id    = "AIDAEXAMPLEUSERID"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition          = "aws"
      dns_suffix         = "amazonaws.com"
      reverse_dns_prefix = "com.amazonaws"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

# CloudFront's WAF web ACL lives in us-east-1, through the second provider configuration.
mock_provider "aws" {
  alias = "us_east_1"
}

variables {
  region       = "eu-west-1"
  state_bucket = "delivery-tfstate-123456789012-eu-west-1"
}

# The backend's outputs, as its state holds them after the first pass.
override_data {
  target = data.terraform_remote_state.backend
  values = {
    outputs = {
      api_origin_domain_name             = "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
      api_stage_name                     = "v1"
      images_bucket_regional_domain_name = "delivery-prod-images-abc123.s3.eu-west-1.amazonaws.com"
      uploads_origin                     = "https://delivery-prod-uploads-abc123.s3.eu-west-1.amazonaws.com"
    }
  }
}

# --- The whole usecase ------------------------------------------------------------------

run "storefront" {
  command = plan

  assert {
    condition     = length(output.storefront_origins) == 1
    error_message = "Without aliases the storefront has one origin, its cloudfront.net name."
  }
}

run "storefront_with_an_alias" {
  command = plan

  variables {
    aliases             = ["shop.example.com"]
    acm_certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition     = output.storefront_url == "https://shop.example.com"
    error_message = "With an alias the storefront's URL (and so SITE_URL in carrier SMS) is the alias."
  }
}

# --- The site module, as the storefront calls it -----------------------------------------

run "site" {
  command = plan

  module {
    source = "../../modules/site"
  }

  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  variables {
    name                      = "delivery-prod"
    api_origin_domain_name    = "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
    api_origin_path           = "/v1"
    images_origin_domain_name = "delivery-prod-images-abc123.s3.eu-west-1.amazonaws.com"
    connect_src_origins       = ["https://delivery-prod-uploads-abc123.s3.eu-west-1.amazonaws.com"]
  }

  # The catalog's cache key: exactly what GET /api/products and /api/companies answer on (internal/apigw).
  assert {
    condition     = aws_cloudfront_cache_policy.catalog.parameters_in_cache_key_and_forwarded_to_origin[0].query_strings_config[0].query_string_behavior == "whitelist" && aws_cloudfront_cache_policy.catalog.parameters_in_cache_key_and_forwarded_to_origin[0].query_strings_config[0].query_strings[0].items == toset(["companyId", "cursor", "limit", "q"])
    error_message = "The catalog is cached on its query parameters companyId, cursor, limit and q, and no other."
  }

  assert {
    condition     = aws_cloudfront_cache_policy.catalog.parameters_in_cache_key_and_forwarded_to_origin[0].headers_config[0].header_behavior == "whitelist" && aws_cloudfront_cache_policy.catalog.parameters_in_cache_key_and_forwarded_to_origin[0].headers_config[0].headers[0].items == toset(["Origin"])
    error_message = "The catalog's cache key holds Origin (the answer reflects it in Access-Control-Allow-Origin) and no other header: never Authorization."
  }

  assert {
    condition     = aws_cloudfront_cache_policy.catalog.parameters_in_cache_key_and_forwarded_to_origin[0].cookies_config[0].cookie_behavior == "none"
    error_message = "No cookie is part of the catalog's cache key."
  }

  assert {
    condition     = aws_cloudfront_cache_policy.catalog.default_ttl == 0 && aws_cloudfront_cache_policy.catalog.min_ttl == 0 && aws_cloudfront_cache_policy.catalog.max_ttl == 300
    error_message = "The API's Cache-Control decides (no TTL when it says nothing), capped at catalog_max_ttl_seconds."
  }

  # Cached paths come before /api/*, which would otherwise match them; the rest of the API is never cached.
  assert {
    condition     = [for b in aws_cloudfront_distribution.this.ordered_cache_behavior : b.path_pattern] == ["/images/*", "/api/products", "/api/companies", "/api/*"]
    error_message = "Behaviours: /images/*, the two catalog paths, then the rest of /api/*."
  }

  assert {
    condition     = [for b in aws_cloudfront_distribution.this.ordered_cache_behavior : b.cache_policy_id if b.path_pattern == "/api/*"] == ["4135ea2d-6df8-44a3-9df3-4b5a84be39ad"] && alltrue([for b in aws_cloudfront_distribution.this.ordered_cache_behavior : b.viewer_protocol_policy == "https-only" if startswith(b.path_pattern, "/api/")])
    error_message = "The rest of /api/* is never cached (managed CachingDisabled), and the API is HTTPS only."
  }

  # The WAF: a rate limit per IP, then AWS's managed rule groups.
  assert {
    condition     = aws_wafv2_web_acl.this.scope == "CLOUDFRONT" && length(aws_wafv2_web_acl.this.default_action[0].allow) == 1
    error_message = "The web ACL is CloudFront-scoped and allows what no rule blocks."
  }

  assert {
    condition = [for r in aws_wafv2_web_acl.this.rule : [r.priority, r.name, length(r.action) > 0 ? length(r.action[0].block) : 0] if length(r.statement[0].rate_based_statement) > 0] == [
      [0, "rate-limit-per-ip", 1],
    ] && one([for r in aws_wafv2_web_acl.this.rule : r.statement[0].rate_based_statement[0] if length(r.statement[0].rate_based_statement) > 0]).limit == 2000 && one([for r in aws_wafv2_web_acl.this.rule : r.statement[0].rate_based_statement[0] if length(r.statement[0].rate_based_statement) > 0]).aggregate_key_type == "IP"
    error_message = "The first rule blocks an IP above waf_rate_limit_per_5_minutes (2000) requests per 5 minutes."
  }

  assert {
    condition     = toset([for r in aws_wafv2_web_acl.this.rule : r.statement[0].managed_rule_group_statement[0].name if length(r.statement[0].managed_rule_group_statement) > 0]) == toset(["AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"])
    error_message = "The web ACL applies AWS's IP reputation, common and known-bad-inputs rule groups."
  }

  assert {
    condition     = alltrue([for r in aws_wafv2_web_acl.this.rule : length(r.override_action[0].none) == 1 if length(r.statement[0].managed_rule_group_statement) > 0])
    error_message = "The managed rule groups block (override_action none), not count."
  }
}

# A mocked apply (nothing is created): the distribution's links to the cache policy and the web ACL are ids
# the provider computes, known only after apply before Terraform 1.11.
run "site_wiring" {
  command = apply

  module {
    source = "../../modules/site"
  }

  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  variables {
    name                      = "delivery-prod"
    api_origin_domain_name    = "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
    api_origin_path           = "/v1"
    images_origin_domain_name = "delivery-prod-images-abc123.s3.eu-west-1.amazonaws.com"
    connect_src_origins       = ["https://delivery-prod-uploads-abc123.s3.eu-west-1.amazonaws.com"]
  }

  override_resource {
    target = aws_wafv2_web_acl.this
    values = { arn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/delivery-prod-cdn/11111111-2222-3333-4444-555555555555" }
  }
  override_resource {
    target = aws_cloudfront_cache_policy.catalog
    values = { id = "cccccccc-1111-2222-3333-444444444444" }
  }
  override_resource {
    target = aws_cloudfront_origin_request_policy.catalog
    values = { id = "oooooooo-1111-2222-3333-444444444444" }
  }
  override_resource {
    target = aws_s3_bucket.this
    values = { arn = "arn:aws:s3:::delivery-prod-site-abc123", bucket_regional_domain_name = "delivery-prod-site-abc123.s3.eu-west-1.amazonaws.com" }
  }
  override_resource {
    target = aws_s3_bucket.logs
    values = { arn = "arn:aws:s3:::delivery-prod-logs-abc123", bucket_domain_name = "delivery-prod-logs-abc123.s3.amazonaws.com" }
  }
  override_resource {
    target = aws_kms_key.this
    values = { arn = "arn:aws:kms:eu-west-1:123456789012:key/60000000-0000-0000-0000-000000000000" }
  }

  assert {
    condition     = aws_cloudfront_distribution.this.web_acl_id == "arn:aws:wafv2:us-east-1:123456789012:global/webacl/delivery-prod-cdn/11111111-2222-3333-4444-555555555555"
    error_message = "The distribution is behind the web ACL."
  }

  assert {
    condition = [for b in aws_cloudfront_distribution.this.ordered_cache_behavior : [b.path_pattern, b.cache_policy_id, b.origin_request_policy_id] if contains(["/api/products", "/api/companies"], b.path_pattern)] == [
      ["/api/products", "cccccccc-1111-2222-3333-444444444444", "oooooooo-1111-2222-3333-444444444444"],
      ["/api/companies", "cccccccc-1111-2222-3333-444444444444", "oooooooo-1111-2222-3333-444444444444"],
    ]
    error_message = "The two catalog paths are cached with the catalog cache policy and its origin request policy."
  }
}
