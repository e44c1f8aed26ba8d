output "bucket_name" {
  description = "Name of the bucket, known once its bucket policy is in place, so that a bucket logging here (logging.target_bucket) waits for the policy that lets S3 deliver the logs."
  value       = aws_s3_bucket.this.id

  depends_on = [aws_s3_bucket_policy.this]
}

output "bucket_arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn
}

output "bucket_regional_domain_name" {
  description = "Regional domain name of the bucket (<bucket>.s3.<region>.amazonaws.com): a CloudFront origin with origin access control, or the endpoint browsers upload to."
  value       = aws_s3_bucket.this.bucket_regional_domain_name
}
