variable "name" {
  description = "Name tag of the bucket, and its name prefix (\"<name>-\") unless bucket_prefix is set (for example \"delivery-prod-images\")."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,61}[a-z0-9]$", var.name))
    error_message = "name must be 3-63 lowercase letters, digits and hyphens."
  }
}

variable "bucket_prefix" {
  description = "Prefix of the bucket's name, which S3 completes with a unique suffix; null uses \"<name>-\"."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_prefix == null || can(regex("^[a-z0-9][a-z0-9-]{2,36}$", var.bucket_prefix))
    error_message = "bucket_prefix must be 3-37 lowercase letters, digits and hyphens."
  }
}

variable "kms_key_arn" {
  description = "KMS key encrypting the objects (SSE-KMS with a bucket key); null for SSE-S3 (AES256), the only encryption S3 server access logs are delivered to. Required, so that every caller chooses."
  type        = string

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be the ARN of a KMS key (arn:...:kms:<region>:<account>:key/...) or null."
  }
}

variable "versioning_enabled" {
  description = "Keep noncurrent versions of overwritten and deleted objects (expire them with a lifecycle rule); false leaves the bucket unversioned, so a delete really deletes."
  type        = bool
  default     = true
}

variable "lifecycle_rules" {
  description = "Lifecycle rules, all enabled: id, key prefix (null for the whole bucket) and the days after which current objects expire, noncurrent versions expire and incomplete multipart uploads are aborted (null for none)."
  type = list(object({
    id                                     = string
    prefix                                 = optional(string)
    expiration_days                        = optional(number)
    noncurrent_version_expiration_days     = optional(number)
    abort_incomplete_multipart_upload_days = optional(number)
  }))

  validation {
    condition     = length(var.lifecycle_rules) > 0
    error_message = "lifecycle_rules must hold at least one rule."
  }
}

variable "logging" {
  description = "S3 server access logging: target_bucket receives this bucket's logs under s3/<bucket name>/ (its policy must let logging.s3.amazonaws.com write there); null for none, for a log bucket itself. Required, so that every caller chooses."
  type = object({
    target_bucket = string
  })
}

variable "policy_documents" {
  description = "IAM policy documents (JSON) whose statements join the bucket policy's TLS-only deny (Sid DenyInsecureTransport, which they must not reuse)."
  type        = list(string)
  default     = []
}

variable "force_destroy" {
  description = "Let Terraform delete the bucket with its objects (and their old versions)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to the bucket."
  type        = map(string)
  default     = {}
}
