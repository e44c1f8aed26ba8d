output "uploads_bucket_name" {
  description = "Name of the uploads bucket (UPLOADS_BUCKET)."
  value       = module.uploads.bucket_name
}

output "uploads_bucket_arn" {
  description = "ARN of the uploads bucket (grant form signers s3:PutObject and the processor s3:GetObject and s3:DeleteObject on <arn>/uploads/*)."
  value       = module.uploads.bucket_arn
}

output "uploads_origin" {
  description = "Origin (https://<bucket>.s3.<region>.amazonaws.com) browsers POST uploads to: the site's Content-Security-Policy connect-src needs it."
  value       = "https://${module.uploads.bucket_regional_domain_name}"
}

output "images_bucket_name" {
  description = "Name of the images bucket (IMAGES_BUCKET)."
  value       = module.images.bucket_name
}

output "images_bucket_arn" {
  description = "ARN of the images bucket (grant the processor s3:PutObject on <arn>/images/*)."
  value       = module.images.bucket_arn
}

output "images_bucket_regional_domain_name" {
  description = "Regional domain name of the images bucket, for a CloudFront origin with origin access control."
  value       = module.images.bucket_regional_domain_name
}

output "images_kms_key_arn" {
  description = "KMS key encrypting the images bucket (writers need kms:GenerateDataKey on it)."
  value       = aws_kms_key.images.arn
}
