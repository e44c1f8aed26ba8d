variable "name" {
  description = "Name prefix of the buckets, distribution, WAF and policies (for example \"delivery-prod\")."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits and hyphens (it prefixes S3 bucket names)."
  }
}

variable "api_origin_domain_name" {
  description = "Host name of the API Gateway stage (<api-id>.execute-api.<region>.amazonaws.com) behind /api/*."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]+\\.execute-api\\.[a-z0-9-]+\\.amazonaws\\.com$", var.api_origin_domain_name))
    error_message = "api_origin_domain_name must be an execute-api host name."
  }
}

variable "api_origin_path" {
  description = "Path of the API stage prepended to /api/* requests (\"/<stage name>\")."
  type        = string

  validation {
    condition     = can(regex("^/[A-Za-z0-9_]+$", var.api_origin_path))
    error_message = "api_origin_path must look like /v1."
  }
}

variable "images_origin_domain_name" {
  description = "Regional domain name (<bucket>.s3.<region>.amazonaws.com) of the private product photos bucket behind /images/*, read with origin access control (its bucket and key policies must allow this distribution)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\\.s3\\.[a-z0-9-]+\\.amazonaws\\.com$", var.images_origin_domain_name))
    error_message = "images_origin_domain_name must be an S3 bucket's regional domain name."
  }
}

variable "connect_src_origins" {
  description = "Origins besides the site's own that its pages may send requests to (Content-Security-Policy connect-src), such as the photo uploads bucket's endpoint; used when content_security_policy is null."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for o in var.connect_src_origins : can(regex("^https://[a-z0-9.-]+$", o))])
    error_message = "connect_src_origins must be https origins (https://host, no path)."
  }
}

variable "acm_certificate_arn" {
  description = "ACM certificate in us-east-1 for the aliases; null serves only the *.cloudfront.net name with CloudFront's default certificate."
  type        = string
  default     = null

  validation {
    condition     = var.acm_certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/", var.acm_certificate_arn))
    error_message = "acm_certificate_arn must be an ACM certificate ARN in us-east-1."
  }
}

variable "aliases" {
  description = "Custom host names of the storefront (need acm_certificate_arn covering them, and DNS records pointing at the distribution)."
  type        = list(string)
  default     = []
}

variable "minimum_protocol_version" {
  description = "Viewer TLS policy used with a custom certificate."
  type        = string
  default     = "TLSv1.2_2021"

  validation {
    condition     = contains(["TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"], var.minimum_protocol_version)
    error_message = "minimum_protocol_version must be a TLS 1.2+ policy (TLSv1.2_2019, TLSv1.2_2021, TLSv1.2_2025 or TLSv1.3_2025)."
  }
}

variable "price_class" {
  description = "CloudFront price class (edge locations used)."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "geo_allowed_countries" {
  description = "ISO 3166-1 alpha-2 countries allowed to reach the site; empty allows all."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.geo_allowed_countries : can(regex("^[A-Z]{2}$", c))])
    error_message = "geo_allowed_countries must hold two-letter uppercase country codes."
  }
}

variable "content_security_policy" {
  description = "Content-Security-Policy of every response; null uses a strict same-origin policy fitting the ES-module storefront."
  type        = string
  default     = null
}

variable "catalog_max_ttl_seconds" {
  description = "Longest time CloudFront keeps a public catalog read, whatever its Cache-Control asks (the API asks for 30 s plus 30 s stale-while-revalidate)."
  type        = number
  default     = 300

  validation {
    condition     = var.catalog_max_ttl_seconds >= 60 && var.catalog_max_ttl_seconds <= 86400
    error_message = "catalog_max_ttl_seconds must be between 60 (the API's max-age plus stale-while-revalidate) and 86400."
  }
}

variable "waf_rate_limit_per_5_minutes" {
  description = "Requests one IP may send in any 5-minute window before WAF blocks it."
  type        = number
  default     = 2000

  validation {
    condition     = var.waf_rate_limit_per_5_minutes >= 10 && var.waf_rate_limit_per_5_minutes <= 2000000000
    error_message = "waf_rate_limit_per_5_minutes must be between 10 and 2000000000."
  }
}

variable "log_retention_days" {
  description = "Days CloudFront and S3 access logs are kept in the log bucket."
  type        = number
  default     = 90

  validation {
    condition     = var.log_retention_days >= 1
    error_message = "log_retention_days must be at least 1."
  }
}

variable "force_destroy" {
  description = "Let Terraform delete the buckets with their objects (the site is re-uploaded from site/ on every deploy; logs are lost)."
  type        = bool
  default     = false
}

variable "api_origin_verify_header_name" {
  description = "Header added to every request to the API origin, which the API requires (its web ACL and its functions)."
  type        = string
  default     = "X-Origin-Verify"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9-]{0,63}$", var.api_origin_verify_header_name))
    error_message = "api_origin_verify_header_name must be an HTTP header name."
  }
}

variable "api_origin_verify_secret" {
  description = "Value of api_origin_verify_header_name: the secret the backend generated and its API checks. null sends no header (the API then refuses every request)."
  type        = string
  default     = null
  sensitive   = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
