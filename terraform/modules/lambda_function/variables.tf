variable "function_name" {
  description = "Name of the Lambda function."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1-64 letters, digits, hyphens or underscores."
  }
}

variable "description" {
  description = "Description of the function."
  type        = string
  default     = ""
}

variable "zip_path" {
  description = "Path of the deployment zip holding the bootstrap executable (linux/arm64); its hash triggers updates."
  type        = string

  validation {
    condition     = endswith(var.zip_path, ".zip")
    error_message = "zip_path must point at a .zip file."
  }
}

variable "memory_size" {
  description = "Memory in MB (CPU scales with it)."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB between 128 and 10240."
  }
}

variable "timeout" {
  description = "Timeout in seconds (API Gateway waits at most 29 s for a proxied function)."
  type        = number
  default     = 10

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be between 1 and 900 seconds."
  }
}

variable "reserved_concurrent_executions" {
  description = "Concurrency reserved for (and capping) the function; -1 leaves it unreserved. Caps protect the database's connection limit."
  type        = number
  default     = 10

  validation {
    condition     = var.reserved_concurrent_executions >= -1 && floor(var.reserved_concurrent_executions) == var.reserved_concurrent_executions
    error_message = "reserved_concurrent_executions must be -1 or a whole number >= 0."
  }
}

variable "environment" {
  description = "Environment variables of the function."
  type        = map(string)
  default     = {}
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the environment variables at rest; null uses the AWS-managed Lambda key."
  type        = string
  default     = null
}

variable "vpc_subnet_ids" {
  description = "Subnets to run the function in; empty runs it outside any VPC."
  type        = list(string)
  default     = []
}

variable "vpc_security_group_ids" {
  description = "Security groups of the function in the VPC (required when vpc_subnet_ids is set)."
  type        = list(string)
  default     = []
}

variable "policy_statements" {
  description = "Extra IAM statements for the execution role, each on exact resource ARNs."
  type = list(object({
    sid       = optional(string)
    effect    = optional(string, "Allow")
    actions   = list(string)
    resources = list(string)
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.policy_statements : !contains(s.resources, "*") && length(s.resources) > 0])
    error_message = "policy_statements must name exact resources, never \"*\"."
  }
}

variable "allow_direct_sms" {
  description = "Let the function send SMS straight to phone numbers (SNS Publish with PhoneNumber) and publish to nothing else: sns:Publish is allowed on \"*\" (a phone number has no ARN) and denied on every SNS topic and endpoint ARN."
  type        = bool
  default     = false
}

variable "direct_sms_topic_arns" {
  description = "With allow_direct_sms, the topics the role also publishes to (its policy_statements allow them). IAM cannot deny every SNS ARN but these, so the direct-sms-only policy then denies platform endpoints alone, not topics; empty keeps the Deny on every topic and endpoint."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.direct_sms_topic_arns : can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", arn))])
    error_message = "direct_sms_topic_arns must be SNS topic ARNs."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the execution role, if the account requires one."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Retention in days of the function's log group."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention period CloudWatch Logs accepts."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key ARN that encrypts the log group; null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "on_failure_destination_arn" {
  description = "SQS queue, SNS topic, Lambda function or EventBridge bus receiving failed asynchronous invocations; the role gets permission to write to it."
  type        = string
  default     = null

  validation {
    condition     = var.on_failure_destination_arn == null || can(regex("^arn:aws[a-z-]*:(sqs|sns|lambda|events):", var.on_failure_destination_arn))
    error_message = "on_failure_destination_arn must be an SQS, SNS, Lambda or EventBridge ARN."
  }
}

variable "on_success_destination_arn" {
  description = "SQS queue, SNS topic, Lambda function or EventBridge bus receiving successful asynchronous invocations' results; the role gets permission to write to it."
  type        = string
  default     = null

  validation {
    condition     = var.on_success_destination_arn == null || can(regex("^arn:aws[a-z-]*:(sqs|sns|lambda|events):", var.on_success_destination_arn))
    error_message = "on_success_destination_arn must be an SQS, SNS, Lambda or EventBridge ARN."
  }
}

variable "dead_letter_queue_arn" {
  description = "SQS queue or SNS topic receiving asynchronous events that failed every retry (the function's dead_letter_config); the role gets permission to write to it."
  type        = string
  default     = null

  validation {
    condition     = var.dead_letter_queue_arn == null || can(regex("^arn:aws[a-z-]*:(sqs|sns):", var.dead_letter_queue_arn))
    error_message = "dead_letter_queue_arn must be an SQS or SNS ARN."
  }
}

variable "maximum_retry_attempts" {
  description = "Retries of a failed asynchronous invocation."
  type        = number
  default     = 2

  validation {
    condition     = var.maximum_retry_attempts >= 0 && var.maximum_retry_attempts <= 2
    error_message = "maximum_retry_attempts must be 0, 1 or 2."
  }
}

variable "maximum_event_age_in_seconds" {
  description = "Age after which an asynchronous event is sent to the failure destination instead of retried."
  type        = number
  default     = 3600

  validation {
    condition     = var.maximum_event_age_in_seconds >= 60 && var.maximum_event_age_in_seconds <= 21600
    error_message = "maximum_event_age_in_seconds must be between 60 and 21600."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
