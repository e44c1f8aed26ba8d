variable "name" {
  description = "Name of the REST API (also the prefix of its log group and role)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$", var.name))
    error_message = "name must be 2-64 letters, digits, hyphens or underscores."
  }
}

variable "description" {
  description = "Description of the REST API."
  type        = string
  default     = "Delivery marketplace API"
}

variable "routes" {
  description = "The routes table (api/routes.json \"routes\"): method, API Gateway path template, function key and auth (\"public\", \"company\" or \"carrier\"; the last two go through the token authorizer). Unknown keys are ignored."
  type = list(object({
    method   = string
    path     = string
    function = string
    auth     = string
  }))

  validation {
    condition     = length(var.routes) > 0
    error_message = "The routes table is empty."
  }

  validation {
    condition     = alltrue([for r in var.routes : contains(["GET", "POST", "PUT", "PATCH", "DELETE"], r.method)])
    error_message = "Every route method must be GET, POST, PUT, PATCH or DELETE (OPTIONS is generated)."
  }

  validation {
    condition     = alltrue([for r in var.routes : can(regex("^(/[A-Za-z0-9._~-]+|/\\{[A-Za-z0-9_]+\\+?\\})+$", r.path))])
    error_message = "Every route path must be an API Gateway path template such as /api/products/{id}."
  }

  validation {
    condition     = alltrue([for r in var.routes : contains(["public", "company", "carrier"], r.auth)])
    error_message = "Every route auth must be \"public\", \"company\" or \"carrier\"."
  }
}

variable "functions" {
  description = "The functions the routes name, keyed by function key: name and invoke ARN."
  type = map(object({
    function_name = string
    invoke_arn    = string
  }))
}

variable "authorizer" {
  description = "The token authorizer function (company and carrier tokens): name and invoke ARN."
  type = object({
    function_name = string
    invoke_arn    = string
  })
}

variable "authorizer_cache_ttl" {
  description = "Seconds API Gateway caches an authorizer decision per token."
  type        = number
  default     = 300

  validation {
    condition     = var.authorizer_cache_ttl >= 0 && var.authorizer_cache_ttl <= 3600
    error_message = "authorizer_cache_ttl must be between 0 and 3600."
  }
}

variable "integration_timeout_ms" {
  description = "Integration timeout in milliseconds."
  type        = number
  default     = 29000

  validation {
    condition     = var.integration_timeout_ms >= 50 && var.integration_timeout_ms <= 29000
    error_message = "integration_timeout_ms must be between 50 and 29000."
  }
}

variable "stage_name" {
  description = "Name of the stage."
  type        = string
  default     = "v1"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,64}$", var.stage_name))
    error_message = "stage_name must be letters, digits or underscores."
  }
}

variable "throttling_rate_limit" {
  description = "Steady-state requests per second allowed on every method of the stage."
  type        = number
  default     = 50

  validation {
    condition     = var.throttling_rate_limit > 0
    error_message = "throttling_rate_limit must be positive."
  }
}

variable "throttling_burst_limit" {
  description = "Burst of requests allowed on every method of the stage."
  type        = number
  default     = 100

  validation {
    condition     = var.throttling_burst_limit > 0 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a positive whole number."
  }
}

variable "execution_logging_level" {
  description = "Execution logging level of the stage: OFF, ERROR or INFO (INFO logs much more)."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.execution_logging_level)
    error_message = "execution_logging_level must be OFF, ERROR or INFO."
  }
}

variable "cors_allow_origin" {
  description = "Origin put in Access-Control-Allow-Origin of API Gateway's own error responses; null omits the header (the storefront calls the API same-origin through CloudFront)."
  type        = string
  default     = null

  validation {
    condition     = var.cors_allow_origin == null || can(regex("^https?://[^/]+$", var.cors_allow_origin))
    error_message = "cors_allow_origin must be an origin like https://example.com (no path)."
  }
}

variable "manage_account_cloudwatch_role" {
  description = "Set the region-wide API Gateway CloudWatch Logs role (aws_api_gateway_account: one per account and region, needed for access logs); false where another configuration owns it, whose role this API's access logs then use."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention in days of the access log group."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention period CloudWatch Logs accepts."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key ARN that encrypts the access log group; null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "require_origin_header" {
  description = "Associate a regional WAF web ACL with the stage that blocks every request without origin_verify_header_name set to origin_verify_secret (what CloudFront adds), so that the execute-api address answers nothing else."
  type        = bool
  default     = false
}

variable "origin_verify_header_name" {
  description = "Name of the header CloudFront adds to every request to this API."
  type        = string
  default     = "X-Origin-Verify"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9-]{0,63}$", var.origin_verify_header_name))
    error_message = "origin_verify_header_name must be an HTTP header name."
  }
}

variable "origin_verify_secret" {
  description = "The header's value (the secret CloudFront sends); required with require_origin_header."
  type        = string
  default     = null
  sensitive   = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "gateway_responses" {
  description = "API Gateway's own responses by response type (UNAUTHORIZED, THROTTLED, DEFAULT_4XX...): status (null keeps API Gateway's), error code, message and static headers; the repository's api/gateway_responses.json."
  type = map(object({
    status  = optional(number)
    code    = string
    message = string
    headers = optional(map(string), {})
  }))

  # `||` does not short-circuit before Terraform 1.12: a null status would reach `>=` and fail. Only the chosen
  # branch of a conditional counts, on every version.
  validation {
    condition     = alltrue([for k, v in var.gateway_responses : can(regex("^[A-Z_0-9]+$", k)) && (v.status == null ? true : v.status >= 400 && v.status <= 599)])
    error_message = "gateway_responses keys must be API Gateway response types and statuses 4xx or 5xx."
  }
}
