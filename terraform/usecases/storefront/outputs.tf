output "storefront_url" {
  description = "URL of the storefront."
  value       = module.site.url
}

output "storefront_origins" {
  description = "Origins of the storefront; the backend reads them for CORS_ALLOWED_ORIGINS."
  value       = module.site.origins
}

output "api_url" {
  description = "The API as the storefront calls it (same origin, through CloudFront)."
  value       = "${module.site.url}/api"
}

output "distribution_id" {
  description = "CloudFront distribution to invalidate after an upload."
  value       = module.site.distribution_id
}

output "distribution_arn" {
  description = "CloudFront distribution ARN; the backend lets it alone read the product photos."
  value       = module.site.distribution_arn
}

output "bucket_name" {
  description = "Private bucket the site files are uploaded to."
  value       = module.site.bucket_name
}

output "log_bucket_name" {
  description = "Bucket of the CloudFront and S3 access logs."
  value       = module.site.log_bucket_name
}
