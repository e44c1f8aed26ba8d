variable "name" {
  description = "Name prefix of the buckets, the key and the alias (for example \"delivery-prod\")."
  type        = string

  validation {
    # "<name>-photolog-" is the longest bucket_prefix here, and a bucket_prefix is at most 37 characters.
    condition     = can(regex("^[a-z][a-z0-9-]{1,25}[a-z0-9]$", var.name))
    error_message = "name must be 3-27 lowercase letters, digits and hyphens (it prefixes S3 bucket names)."
  }
}

variable "processor_function_arn" {
  description = "ARN of the function S3 invokes for every object created under uploads/ (the image processor)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+$", var.processor_function_arn))
    error_message = "processor_function_arn must be the unqualified ARN of a Lambda function."
  }
}

variable "cors_allowed_origins" {
  description = "Origins (scheme://host) whose pages may POST presigned uploads to the uploads bucket: the storefront's; empty adds no CORS rule, so no browser can upload."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for o in var.cors_allowed_origins : can(regex("^https?://[^/*]+$", o))])
    error_message = "cors_allowed_origins must be origins like https://example.com (scheme and host, no path, no wildcard)."
  }
}

variable "cloudfront_distribution_arns" {
  description = "CloudFront distributions allowed to read the images bucket through origin access control (bucket policy and key policy); empty lets none (before the storefront exists)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.cloudfront_distribution_arns : can(regex("^arn:aws[a-z-]*:cloudfront::[0-9]{12}:distribution/[A-Z0-9]+$", a))])
    error_message = "cloudfront_distribution_arns must hold CloudFront distribution ARNs."
  }
}

variable "s3_endpoint_id" {
  description = "S3 gateway endpoint of the processor's subnets: its policy is set to the processor's reads and deletes of uploads and writes of images, nothing else; null leaves every endpoint policy alone."
  type        = string
  default     = null

  validation {
    condition     = var.s3_endpoint_id == null || can(regex("^vpce-[0-9a-f]+$", var.s3_endpoint_id))
    error_message = "s3_endpoint_id must be a VPC endpoint ID (vpce-...)."
  }
}

variable "log_retention_days" {
  description = "Days the S3 server access logs of both buckets are kept."
  type        = number
  default     = 90

  validation {
    condition     = var.log_retention_days >= 1
    error_message = "log_retention_days must be at least 1."
  }
}

variable "force_destroy" {
  description = "Let Terraform delete the buckets with their objects (every product photo is lost; setup.sh destroy sets it)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
