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
      origin_verify_header_name          = "X-Origin-Verify"
      origin_verify_secret               = "0123456789abcdefghijABCDEFGHIJ0123456789abcdefgh"
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

  # The backend's origin secret reaches CloudFront's API origin, and the API origin alone.
  assert {
    condition = [for o in module.site.api_origin_custom_headers : [o.name, o.value]] == [
      ["X-Origin-Verify", "0123456789abcdefghijABCDEFGHIJ0123456789abcdefgh"],
    ]
    error_message = "CloudFront sends X-Origin-Verify with the backend's secret to the API origin."
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
    api_origin_verify_secret  = "0123456789abcdefghijABCDEFGHIJ0123456789abcdefgh"
  }

  # Only the API origin gets the secret header.
  assert {
    condition = { for o in aws_cloudfront_distribution.this.origin : o.origin_id => [for h in o.custom_header : [h.name, h.value]] } == {
      site   = []
      images = []
      api    = [["X-Origin-Verify", "0123456789abcdefghijABCDEFGHIJ0123456789abcdefgh"]]
    }
    error_message = "The API origin, and no other, gets X-Origin-Verify with the secret."
  }

  # The rest of the API: the viewer's address reaches the origin through the origin request policy, and is in no
  # cache key; Authorization through the cache policy, which never keeps anything longer than a second.
  assert {
    condition     = aws_cloudfront_origin_request_policy.api.headers_config[0].header_behavior == "whitelist" && contains(aws_cloudfront_origin_request_policy.api.headers_config[0].headers[0].items, "CloudFront-Viewer-Address") && length(aws_cloudfront_origin_request_policy.api.headers_config[0].headers[0].items) <= 10
    error_message = "The API's origin request policy forwards CloudFront-Viewer-Address (and at most 10 headers, CloudFront's limit)."
  }

  assert {
    condition     = toset(aws_cloudfront_origin_request_policy.api.headers_config[0].headers[0].items) == toset(["Access-Control-Request-Headers", "Access-Control-Request-Method", "Content-Type", "Idempotency-Key", "If-Match", "If-None-Match", "Origin", "User-Agent", "CloudFront-Viewer-Address"]) && aws_cloudfront_origin_request_policy.api.query_strings_config[0].query_string_behavior == "all" && aws_cloudfront_origin_request_policy.api.cookies_config[0].cookie_behavior == "none"
    error_message = "The API gets the headers it reads, every query string and no cookie."
  }

  assert {
    condition     = aws_cloudfront_cache_policy.api.parameters_in_cache_key_and_forwarded_to_origin[0].headers_config[0].headers[0].items == toset(["Authorization"]) && aws_cloudfront_cache_policy.api.max_ttl == 1 && aws_cloudfront_cache_policy.api.default_ttl == 0 && aws_cloudfront_cache_policy.api.min_ttl == 0
    error_message = "The API's cache policy passes Authorization and keeps nothing the origin does not allow, at most a second."
  }

  assert {
    condition = alltrue([
      for p in [aws_cloudfront_cache_policy.api, aws_cloudfront_cache_policy.catalog] :
      !contains(p.parameters_in_cache_key_and_forwarded_to_origin[0].headers_config[0].headers[0].items, "CloudFront-Viewer-Address")
    ]) && !contains(aws_cloudfront_origin_request_policy.catalog.headers_config[0].headers[0].items, "CloudFront-Viewer-Address")
    error_message = "The viewer's address is in no cache key."
  }

  # /images/*: the security headers (nosniff, the site's CSP) and the function that serves only images.
  assert {
    condition = one([for b in aws_cloudfront_distribution.this.ordered_cache_behavior : [for f in b.function_association : f.event_type] if b.path_pattern == "/images/*"]) == ["viewer-response"] && alltrue([
      for b in aws_cloudfront_distribution.this.ordered_cache_behavior : length(b.function_association) == 0 if b.path_pattern != "/images/*"
    ])
    error_message = "/images/* runs the images-only function on the viewer response; no other behaviour runs a function."
  }

  assert {
    condition     = aws_cloudfront_function.images_only.runtime == "cloudfront-js-2.0" && aws_cloudfront_function.images_only.publish && strcontains(aws_cloudfront_function.images_only.code, "image") && strcontains(aws_cloudfront_function.images_only.code, "statusCode = 404")
    error_message = "The images-only function is published and turns a non-image answer into a 404."
  }

  assert {
    condition     = aws_cloudfront_response_headers_policy.security.security_headers_config[0].content_type_options[0].override && strcontains(aws_cloudfront_response_headers_policy.security.security_headers_config[0].content_security_policy[0].content_security_policy, "default-src 'self'") && strcontains(aws_cloudfront_response_headers_policy.security.security_headers_config[0].content_security_policy[0].content_security_policy, "img-src 'self'")
    error_message = "The security headers policy (on /images/* too) sends nosniff and the site's Content-Security-Policy."
  }

  # CloudFront's access log: standard logging v2, and never the URL (an order's id is in /api/orders/<id>).
  assert {
    condition     = length(aws_cloudfront_distribution.this.logging_config) == 0 && aws_cloudwatch_log_delivery_source.access.log_type == "ACCESS_LOGS"
    error_message = "The distribution has no legacy standard log (it writes the URL); its access log is standard logging v2."
  }

  assert {
    condition     = length(setintersection(toset(aws_cloudwatch_log_delivery.access.record_fields), toset(["cs-uri-stem", "cs-uri-query", "cs(Referer)", "cs(Cookie)"]))) == 0 && contains(aws_cloudwatch_log_delivery.access.record_fields, "c-ip") && contains(aws_cloudwatch_log_delivery.access.record_fields, "sc-status")
    error_message = "The access log has the viewer's address and the status, never the path, the query string, the Referer or cookies."
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
    condition     = [for b in aws_cloudfront_distribution.this.ordered_cache_behavior : b.path_pattern] == ["/images/*", "/api/products", "/api/companies", "/api/area", "/api/*"]
    error_message = "Behaviours: /images/*, the three cached public reads (catalog and delivery area), then the rest of /api/*."
  }

  assert {
    condition     = alltrue([for b in aws_cloudfront_distribution.this.ordered_cache_behavior : b.viewer_protocol_policy == "https-only" if startswith(b.path_pattern, "/api/")])
    error_message = "The API is HTTPS only."
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
    target = aws_cloudfront_cache_policy.api
    values = { id = "aaaaaaaa-1111-2222-3333-444444444444" }
  }
  override_resource {
    target = aws_cloudfront_origin_request_policy.api
    values = { id = "pppppppp-1111-2222-3333-444444444444" }
  }
  override_resource {
    target = aws_cloudfront_function.images_only
    values = { arn = "arn:aws:cloudfront::123456789012:function/delivery-prod-images-only" }
  }
  override_resource {
    target = aws_cloudfront_distribution.this
    values = { arn = "arn:aws:cloudfront::123456789012:distribution/E2QWRUHEXAMPLE" }
  }
  override_resource {
    target = aws_cloudwatch_log_delivery_destination.access
    values = { arn = "arn:aws:logs:us-east-1:123456789012:delivery-destination:delivery-prod-cdn-access" }
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
    condition = [for b in aws_cloudfront_distribution.this.ordered_cache_behavior : [b.path_pattern, b.cache_policy_id, b.origin_request_policy_id] if contains(["/api/products", "/api/companies", "/api/area"], b.path_pattern)] == [
      ["/api/products", "cccccccc-1111-2222-3333-444444444444", "oooooooo-1111-2222-3333-444444444444"],
      ["/api/companies", "cccccccc-1111-2222-3333-444444444444", "oooooooo-1111-2222-3333-444444444444"],
      ["/api/area", "cccccccc-1111-2222-3333-444444444444", "oooooooo-1111-2222-3333-444444444444"],
    ]
    error_message = "The catalog paths and the delivery area are cached with the catalog cache policy and its origin request policy."
  }

  assert {
    condition     = [for b in aws_cloudfront_distribution.this.ordered_cache_behavior : [b.cache_policy_id, b.origin_request_policy_id] if b.path_pattern == "/api/*"] == [["aaaaaaaa-1111-2222-3333-444444444444", "pppppppp-1111-2222-3333-444444444444"]]
    error_message = "The rest of /api/* uses the API's cache policy (Authorization, nothing kept) and origin request policy (the viewer's address)."
  }

  assert {
    condition     = one([for b in aws_cloudfront_distribution.this.ordered_cache_behavior : [for f in b.function_association : f.function_arn] if b.path_pattern == "/images/*"]) == ["arn:aws:cloudfront::123456789012:function/delivery-prod-images-only"]
    error_message = "/images/* runs the images-only function."
  }

  assert {
    condition     = aws_cloudwatch_log_delivery_source.access.resource_arn == aws_cloudfront_distribution.this.arn && aws_cloudwatch_log_delivery_destination.access.delivery_destination_configuration[0].destination_resource_arn == "arn:aws:s3:::delivery-prod-logs-abc123"
    error_message = "The distribution's access log goes to the log bucket."
  }
}
