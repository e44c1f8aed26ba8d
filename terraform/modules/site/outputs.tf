output "distribution_id" {
  description = "ID of the CloudFront distribution (for invalidations)."
  value       = aws_cloudfront_distribution.this.id
}

output "distribution_arn" {
  description = "ARN of the CloudFront distribution."
  value       = aws_cloudfront_distribution.this.arn
}

output "domain_name" {
  description = "*.cloudfront.net host name of the distribution."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "url" {
  description = "Storefront URL (the first alias when set, else the cloudfront.net name)."
  value       = "https://${length(var.aliases) > 0 ? var.aliases[0] : aws_cloudfront_distribution.this.domain_name}"
}

output "origins" {
  description = "Every origin (scheme://host) the storefront is served from, for CORS_ALLOWED_ORIGINS."
  value       = concat(["https://${aws_cloudfront_distribution.this.domain_name}"], [for a in var.aliases : "https://${a}"])
}

output "bucket_name" {
  description = "Name of the private site bucket (upload target)."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the private site bucket."
  value       = aws_s3_bucket.this.arn
}

output "kms_key_arn" {
  description = "KMS key encrypting the site bucket (uploaders need kms:GenerateDataKey on it)."
  value       = aws_kms_key.this.arn
}

output "log_bucket_name" {
  description = "Bucket receiving CloudFront and S3 access logs."
  value       = aws_s3_bucket.logs.id
}

output "web_acl_arn" {
  description = "ARN of the WAF web ACL attached to the distribution."
  value       = aws_wafv2_web_acl.this.arn
}

output "api_origin_custom_headers" {
  description = "Headers CloudFront adds to every request to the API origin (name and value; the value is the origin secret)."
  value       = [for h in one([for o in aws_cloudfront_distribution.this.origin : o.custom_header if o.origin_id == local.api_origin_id]) : { name = h.name, value = h.value }]
  sensitive   = true
}
