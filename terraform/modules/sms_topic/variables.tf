variable "name" {
  description = "Name of the SNS topic."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,256}$", var.name))
    error_message = "name must be letters, digits, hyphens or underscores."
  }
}

variable "display_name" {
  description = "Display name of the topic (shown as the SMS sender prefix in some countries)."
  type        = string
  default     = "Delivery"

  validation {
    condition     = length(var.display_name) <= 100
    error_message = "display_name must be at most 100 characters."
  }
}

variable "manage_sms_preferences" {
  description = "Manage the account's SMS preferences in this region (Transactional type, spend limit, delivery-status logging). They are account-wide: let exactly one configuration manage them."
  type        = bool
  default     = true
}

variable "monthly_spend_limit" {
  description = "Maximum USD spent on SMS per month in this account and region; above 1 needs an SNS spend-limit increase from AWS Support first."
  type        = number
  default     = 1

  validation {
    condition     = var.monthly_spend_limit >= 0 && floor(var.monthly_spend_limit) == var.monthly_spend_limit
    error_message = "monthly_spend_limit must be a whole number of USD >= 0."
  }
}

variable "sender_id" {
  description = "Alphanumeric sender ID where countries support it (1-11 characters); null for none."
  type        = string
  default     = null

  validation {
    condition     = var.sender_id == null || can(regex("^[A-Za-z0-9]{1,11}$", var.sender_id))
    error_message = "sender_id must be 1-11 letters or digits."
  }
}

variable "delivery_status_success_sampling_rate" {
  description = "Percentage (0-100) of successful SMS deliveries logged (failures are always logged)."
  type        = number
  default     = 100

  validation {
    condition     = var.delivery_status_success_sampling_rate >= 0 && var.delivery_status_success_sampling_rate <= 100
    error_message = "delivery_status_success_sampling_rate must be between 0 and 100."
  }
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period before the topic's KMS key is deleted."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30
    error_message = "kms_deletion_window_in_days must be between 7 and 30."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
