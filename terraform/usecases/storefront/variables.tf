variable "project" {
  description = "Project name, the first part of every resource name."
  type        = string
  default     = "delivery"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.project))
    error_message = "project must be 2-16 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (prod, staging, dev, ...), the second part of every resource name."
  type        = string
  default     = "prod"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.environment))
    error_message = "environment must be 2-10 lowercase letters or digits, starting with a letter."
  }
}

variable "region" {
  description = "AWS region of the deployment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region code such as eu-west-1."
  }
}

variable "tags" {
  description = "Extra tags put on every resource (Project and Environment are always set)."
  type        = map(string)
  default     = {}
}

variable "state_bucket" {
  description = "S3 bucket holding the Terraform states of the usecases (the same as the backend's)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket))
    error_message = "state_bucket must be an S3 bucket name."
  }
}

variable "state_key_prefix" {
  description = "Prefix of the state keys: the states are <prefix>/foundation.tfstate, <prefix>/backend.tfstate and <prefix>/storefront.tfstate."
  type        = string
  default     = "delivery/prod"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]+[^/]$", var.state_key_prefix))
    error_message = "state_key_prefix must be a non-empty S3 key prefix without a trailing slash."
  }
}

variable "state_region" {
  description = "Region of the state bucket; null means the deployment region."
  type        = string
  default     = null
}

variable "acm_certificate_arn" {
  description = "ACM certificate (us-east-1) for custom storefront host names; null uses the cloudfront.net name."
  type        = string
  default     = null
}

variable "aliases" {
  description = "Custom host names of the storefront (need acm_certificate_arn)."
  type        = list(string)
  default     = []
}

variable "price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"
}

variable "catalog_max_ttl_seconds" {
  description = "Longest time CloudFront keeps a public catalog read (GET /api/products, /api/companies) or the delivery area (GET /api/area), whatever the API's Cache-Control asks."
  type        = number
  default     = 300
}

variable "waf_rate_limit_per_5_minutes" {
  description = "Requests per IP per 5 minutes before WAF blocks it."
  type        = number
  default     = 2000
}

variable "force_destroy" {
  description = "Let destroy delete the site and log buckets with their objects (setup.sh destroy sets it)."
  type        = bool
  default     = false
}
