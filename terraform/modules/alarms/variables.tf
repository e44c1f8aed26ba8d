variable "name" {
  description = "Name prefix of the alarms, the ops topic and its key."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits and hyphens."
  }
}

variable "alarm_emails" {
  description = "E-mail addresses subscribed to the ops topic (each must confirm the subscription mail)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "Every alarm_emails entry must be an e-mail address."
  }
}

variable "lambda_function_names" {
  description = "Lambda functions watched for Errors and Throttles."
  type        = list(string)
  default     = []
}

variable "lambda_errors_threshold" {
  description = "Errors of one function within 5 minutes that raise the alarm."
  type        = number
  default     = 1

  validation {
    condition     = var.lambda_errors_threshold >= 1
    error_message = "lambda_errors_threshold must be at least 1."
  }
}

variable "api_name" {
  description = "Name of the REST API watched for 5XX and p99 latency; null skips the API alarms."
  type        = string
  default     = null
}

variable "api_stage_name" {
  description = "Stage of the REST API watched."
  type        = string
  default     = "v1"
}

variable "api_5xx_threshold" {
  description = "5XX answers within 5 minutes that raise the alarm."
  type        = number
  default     = 5

  validation {
    condition     = var.api_5xx_threshold >= 1
    error_message = "api_5xx_threshold must be at least 1."
  }
}

variable "api_p99_latency_ms" {
  description = "p99 latency in milliseconds above which (for 15 minutes) the alarm is raised."
  type        = number
  default     = 3000

  validation {
    condition     = var.api_p99_latency_ms > 0 && var.api_p99_latency_ms <= 29000
    error_message = "api_p99_latency_ms must be between 1 and 29000."
  }
}

variable "dlq_names" {
  description = "SQS dead-letter queue names watched for visible messages."
  type        = list(string)
  default     = []
}

variable "db_instance_id" {
  description = "RDS instance identifier watched for CPU and free storage; null skips the RDS alarms."
  type        = string
  default     = null
}

variable "rds_cpu_threshold_percent" {
  description = "Average CPU percentage above which (for 15 minutes) the RDS alarm is raised."
  type        = number
  default     = 80

  validation {
    condition     = var.rds_cpu_threshold_percent > 0 && var.rds_cpu_threshold_percent <= 100
    error_message = "rds_cpu_threshold_percent must be between 1 and 100."
  }
}

variable "rds_free_storage_threshold_gib" {
  description = "Free storage in GiB below which the RDS alarm is raised."
  type        = number
  default     = 2

  validation {
    condition     = var.rds_free_storage_threshold_gib > 0
    error_message = "rds_free_storage_threshold_gib must be positive."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "sms_monthly_spend_limit" {
  description = "The account's monthly SMS spend limit in USD (aws_sns_sms_preferences) the spend alarm is measured against; null skips it (the environment that does not own the SMS preferences)."
  type        = number
  default     = null

  validation {
    condition     = var.sms_monthly_spend_limit == null || try(var.sms_monthly_spend_limit > 0, false)
    error_message = "sms_monthly_spend_limit must be null or more than 0."
  }
}

variable "sms_spend_alarm_percent" {
  description = "Share of the monthly SMS spend limit at which the spend alarm fires, before SNS stops sending SMS at the limit."
  type        = number
  default     = 80

  validation {
    condition     = var.sms_spend_alarm_percent > 0 && var.sms_spend_alarm_percent < 100
    error_message = "sms_spend_alarm_percent must be between 0 and 100 (exclusive)."
  }
}

variable "sms_topic_name" {
  description = "Name of the carriers' SMS topic watched for failed deliveries; null skips the alarm."
  type        = string
  default     = null
}

variable "sms_failures_threshold" {
  description = "Failed SMS deliveries of the topic within 15 minutes that raise the alarm."
  type        = number
  default     = 3

  validation {
    condition     = var.sms_failures_threshold >= 1
    error_message = "sms_failures_threshold must be at least 1."
  }
}

variable "watch_sms_success_rate" {
  description = "Alarm on the region's SMS success rate (every SMS the account sends, direct or by topic); one environment per account and region is enough."
  type        = bool
  default     = false
}

variable "sms_success_rate_percent" {
  description = "Share of SMS delivered below which (for 15 minutes) the success-rate alarm fires."
  type        = number
  default     = 80

  validation {
    condition     = var.sms_success_rate_percent > 0 && var.sms_success_rate_percent <= 100
    error_message = "sms_success_rate_percent must be between 0 (exclusive) and 100."
  }
}
