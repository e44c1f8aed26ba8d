output "name" {
  description = "Name prefix of the deployment (<project>-<environment>)."
  value       = local.name
}

output "api_invoke_url" {
  description = "Base URL of the API stage (routes are below it: <url>/api/products). Not a way in: it answers only requests that came through the storefront's CloudFront (403 otherwise); use the storefront URL."
  value       = module.api.invoke_url
}

output "api_origin_domain_name" {
  description = "Host name of the API stage, for the storefront's CloudFront origin."
  value       = module.api.origin_domain_name
}

output "origin_verify_header_name" {
  description = "Header the storefront's CloudFront adds to every request to the API (its value is origin_verify_secret)."
  value       = local.origin_verify_header_name
}

output "origin_verify_secret" {
  description = "Secret CloudFront sends in origin_verify_header_name: the API's web ACL blocks, and its functions refuse, every request without it."
  value       = local.origin_verify_secret
  sensitive   = true
}

output "api_web_acl_arn" {
  description = "Regional WAF web ACL of the API stage, which blocks requests that did not come through CloudFront."
  value       = module.api.web_acl_arn
}

output "api_stage_name" {
  description = "Name of the API stage."
  value       = module.api.stage_name
}

output "api_rest_api_id" {
  description = "ID of the REST API."
  value       = module.api.rest_api_id
}

output "function_names" {
  description = "Deployed function names keyed by function key (lambdas/<key>)."
  value       = merge({ for k, f in module.function : k => f.function_name }, { for k, f in module.notifycarrier : k => f.function_name })
}

output "migrate_function_name" {
  description = "Function setup.sh invokes with {\"action\":\"migrate\"}, {\"action\":\"ensure-company\",\"name\":...} and the carrier-add, carrier-remove and carrier-list actions."
  value       = module.function["migrate"].function_name
}

output "jwt_signing_secret_arn" {
  description = "Secret holding the ES256 private key that signs tokens (read by setup.sh token and the signin function only)."
  value       = aws_secretsmanager_secret.jwt_signing.arn
}

output "jwt_public_key_secret_arn" {
  description = "Secret holding the ES256 public key the authorizer verifies with (JWT_PUBLIC_KEY_SECRET_ARN)."
  value       = aws_secretsmanager_secret.jwt_public.arn
}

output "jwt_issuer" {
  description = "Issuer of company tokens (JWT_ISSUER)."
  value       = local.jwt_issuer
}

output "jwt_audience" {
  description = "Audience of company tokens (JWT_AUDIENCE)."
  value       = local.jwt_audience
}

output "cors_allowed_origins" {
  description = "Origins the functions allow (CORS_ALLOWED_ORIGINS); includes the storefront once its state exists."
  value       = local.cors_allowed_origins
}

output "site_url" {
  description = "Public URL of the site in carrier SMS links (notifycarrier's SITE_URL): the storefront's; \"\" before the storefront exists (notifycarrier is not deployed then)."
  value       = local.site_url
}

output "uploads_bucket_name" {
  description = "Bucket the browsers POST product photos to (UPLOADS_BUCKET); anything in it is gone within a day."
  value       = module.photos.uploads_bucket_name
}

output "uploads_origin" {
  description = "Origin of the uploads bucket's regional endpoint, which the storefront's Content-Security-Policy lets pages connect to."
  value       = module.photos.uploads_origin
}

output "images_bucket_name" {
  description = "Bucket of the processed product photos (IMAGES_BUCKET), served by the storefront's CloudFront under /images/*."
  value       = module.photos.images_bucket_name
}

output "images_bucket_regional_domain_name" {
  description = "Regional domain name of the images bucket, the storefront's /images/* origin."
  value       = module.photos.images_bucket_regional_domain_name
}

output "images_reader_distribution_arns" {
  description = "CloudFront distributions the images bucket and its key let read the photos: the storefront's once its state exists (setup.sh deploy applies the backend again until it is there)."
  value       = local.photo_readers
}

output "sms_topic_arn" {
  description = "Carrier SMS topic (SMS_TOPIC_ARN)."
  value       = module.sms.topic_arn
}

output "notify_dlq_url" {
  description = "Dead-letter queue of failed carrier notifications."
  value       = aws_sqs_queue.notify_dlq.url
}

output "dispatch_queue_url" {
  description = "Queue of the timers of the waves of carrier offers (DISPATCH_QUEUE_URL): one message per wave, hidden until it is due, consumed by placeorder."
  value       = aws_sqs_queue.dispatch.url
}

output "dispatch_dlq_url" {
  description = "Dead-letter queue of wave timers placeorder failed on three times (the sweep starts those waves itself)."
  value       = aws_sqs_queue.dispatch_dlq.url
}

output "vapid_private_key_secret_arn" {
  description = "Secret holding the VAPID private key notifycarrier signs carrier pushes with (VAPID_PRIVATE_KEY_SECRET_ARN; setup.sh generates the pair)."
  value       = aws_secretsmanager_secret.vapid_private.arn
}

output "vapid_public_key_secret_arn" {
  description = "Secret holding the VAPID public key the carrier page subscribes to push with (fulfilment's VAPID_PUBLIC_KEY_SECRET_ARN)."
  value       = aws_secretsmanager_secret.vapid_public.arn
}

output "photos_dlq_url" {
  description = "Dead-letter queue of upload events imageprocessor failed on every retry."
  value       = aws_sqs_queue.photos_dlq.url
}

output "ops_topic_arn" {
  description = "SNS topic receiving the alarms."
  value       = module.alarms.topic_arn
}

output "manages_account_settings" {
  description = "Whether this environment owns the account's API Gateway CloudWatch Logs role and SMS preferences in the region (manage_account_settings)."
  value       = var.manage_account_settings
}

output "account_cloudwatch_role_arn" {
  description = "The API Gateway CloudWatch Logs role this environment set for the account and region (null when another environment owns it)."
  value       = module.api.account_cloudwatch_role_arn
}

output "sms_delivery_status_role_arn" {
  description = "The role SNS writes SMS delivery status with, set by this environment for the account and region (null when another environment owns the SMS preferences)."
  value       = module.sms.delivery_status_role_arn
}

output "route_calculator_name" {
  description = "Amazon Location route calculator that priceorder and placeorder route deliveries with (ROUTE_CALCULATOR_NAME)."
  value       = aws_location_route_calculator.routes.calculator_name
}
