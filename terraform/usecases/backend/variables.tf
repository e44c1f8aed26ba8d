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

variable "sms_monthly_spend_limit" {
  description = "Monthly SMS spend limit in USD for the account and region (above 1 needs an AWS Support increase first); set by the environment that owns the account settings (manage_account_settings)."
  type        = number
  default     = 1
}

variable "manage_account_settings" {
  description = "This environment owns the settings API Gateway and SNS keep once per account and region: API Gateway's CloudWatch Logs role (aws_api_gateway_account, which every API's access logs need) and the SMS preferences (aws_sns_sms_preferences: Transactional type, monthly spend limit, delivery-status logging). true for the first environment in an account and region, false for every other one, which then relies on the owner's. setup.sh decides it (docs/deploy.md, \"A second environment in the same account\")."
  type        = bool
  default     = true
}

variable "manage_sms_preferences" {
  description = "Superseded by manage_account_settings: null (the default) follows it; true or false still decides for the SMS preferences alone, as before."
  type        = bool
  default     = null
}

variable "currency" {
  description = "ISO 4217 currency of prices (CURRENCY)."
  type        = string
  default     = "USD"

  validation {
    condition     = can(regex("^[A-Z]{3}$", var.currency))
    error_message = "currency must be a three-letter ISO 4217 code."
  }
}

variable "market_timezone" {
  description = "IANA timezone of the shops' opening hours (MARKET_TIMEZONE)."
  type        = string
  default     = "Europe/Lisbon"

  validation {
    condition     = can(regex("^[A-Za-z]+(/[A-Za-z0-9_+-]+)*$", var.market_timezone)) && var.market_timezone != "Local"
    error_message = "market_timezone must be an IANA timezone such as Europe/Lisbon."
  }
}

variable "delivery_fee_base" {
  description = "Delivery fee of every order, in the currency, as a decimal string with at most two decimals (DELIVERY_FEE_BASE)."
  type        = string
  default     = "1.50"

  validation {
    condition     = can(regex("^[0-9]{1,4}(\\.[0-9]{1,2})?$", var.delivery_fee_base)) && try(tonumber(var.delivery_fee_base) <= 1000, false)
    error_message = "delivery_fee_base must be an amount from 0 to 1000 with at most two decimals, such as \"1.50\"."
  }
}

variable "delivery_fee_per_km" {
  description = "Delivery fee per kilometre of the route, in the currency, as a decimal string with at most two decimals (DELIVERY_FEE_PER_KM)."
  type        = string
  default     = "0.40"

  validation {
    condition     = can(regex("^[0-9]{1,4}(\\.[0-9]{1,2})?$", var.delivery_fee_per_km)) && try(tonumber(var.delivery_fee_per_km) <= 1000, false)
    error_message = "delivery_fee_per_km must be an amount from 0 to 1000 with at most two decimals, such as \"0.40\"."
  }
}

variable "delivery_max_km" {
  description = "Longest route delivered, in km; 0 bounds nothing (DELIVERY_MAX_KM)."
  type        = number
  default     = 15

  validation {
    condition     = var.delivery_max_km >= 0 && var.delivery_max_km <= 1000
    error_message = "delivery_max_km must be from 0 (no bound) to 1000."
  }
}

variable "route_timeout" {
  description = "Longest a quote or an order waits for Amazon Location's route matrix before it estimates the route, as a Go duration such as \"800ms\" (ROUTE_TIMEOUT, at most 5s); null leaves the functions' default of 800ms."
  type        = string
  default     = null

  validation {
    condition = var.route_timeout == null || (
      can(regex("^[0-9]+(\\.[0-9]+)?(ms|s)$", var.route_timeout)) &&
      try(
        (endswith(var.route_timeout, "ms") ? tonumber(trimsuffix(var.route_timeout, "ms")) : tonumber(trimsuffix(var.route_timeout, "s")) * 1000) >= 1 &&
        (endswith(var.route_timeout, "ms") ? tonumber(trimsuffix(var.route_timeout, "ms")) : tonumber(trimsuffix(var.route_timeout, "s")) * 1000) <= 5000,
        false
      )
    )
    error_message = "route_timeout must be a duration from 1ms to 5s, such as \"800ms\" or \"1.5s\"."
  }
}

variable "dispatch_mode" {
  description = "How placed orders are offered to the carriers (DISPATCH_MODE): waves (to the nearest carriers on shift first, then outward, then everyone) or broadcast (every order texted to every subscribed carrier at once, as before waves)."
  type        = string
  default     = "waves"

  validation {
    condition     = contains(["waves", "broadcast"], var.dispatch_mode)
    error_message = "dispatch_mode must be waves or broadcast."
  }
}

variable "dispatch_wave_size" {
  description = "Carriers offered an order in each wave (DISPATCH_WAVE_SIZE), from 1 to 50."
  type        = number
  default     = 3

  validation {
    condition     = var.dispatch_wave_size >= 1 && var.dispatch_wave_size <= 50 && floor(var.dispatch_wave_size) == var.dispatch_wave_size
    error_message = "dispatch_wave_size must be a whole number from 1 to 50."
  }
}

variable "dispatch_wave_seconds" {
  description = "Seconds between two waves of an unclaimed order (DISPATCH_WAVE_SECONDS), from 5 to 900: an SQS message delays a wave 15 minutes at most."
  type        = number
  default     = 60

  validation {
    condition     = var.dispatch_wave_seconds >= 5 && var.dispatch_wave_seconds <= 900 && floor(var.dispatch_wave_seconds) == var.dispatch_wave_seconds
    error_message = "dispatch_wave_seconds must be a whole number of seconds from 5 to 900."
  }
}

variable "dispatch_max_waves" {
  description = "Waves before an unclaimed order is broadcast to every carrier (DISPATCH_MAX_WAVES), from 1 to 20."
  type        = number
  default     = 4

  validation {
    condition     = var.dispatch_max_waves >= 1 && var.dispatch_max_waves <= 20 && floor(var.dispatch_max_waves) == var.dispatch_max_waves
    error_message = "dispatch_max_waves must be a whole number from 1 to 20."
  }
}

variable "dispatch_radius_km" {
  description = "Farthest an on-shift carrier may be from an order's first pickup to be offered it in a wave, in km (DISPATCH_RADIUS_KM), more than 0 and at most 100; with nobody left within it the order is broadcast."
  type        = number
  default     = 10

  validation {
    condition     = var.dispatch_radius_km > 0 && var.dispatch_radius_km <= 100
    error_message = "dispatch_radius_km must be more than 0 and at most 100."
  }
}

variable "vapid_subject" {
  description = "Contact the push services are given with each Web Push (VAPID_SUBJECT): a mailto: address or an https: URL; null uses the storefront's URL."
  type        = string
  default     = null

  validation {
    condition     = var.vapid_subject == null || can(regex("^(mailto:[^@[:space:]]+@[^@[:space:]]+|https://[^[:space:]]+)$", var.vapid_subject))
    error_message = "vapid_subject must be a mailto: address or an https: URL."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of the functions (DEBUG, INFO, WARN, ERROR)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARN or ERROR."
  }
}

variable "extra_cors_origins" {
  description = "Origins allowed by CORS besides the storefront's own (which is read from the storefront state), e.g. http://localhost:8080 for development."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for o in var.extra_cors_origins : can(regex("^https?://[^/]+$", o))])
    error_message = "extra_cors_origins must be origins like https://example.com (scheme and host, no path)."
  }
}

variable "reserved_concurrency_enabled" {
  description = "Reserve concurrency per function (caps database connections). New accounts with a 10-execution quota cannot reserve any: setup.sh turns this off there."
  type        = bool
  default     = true
}

variable "reserved_concurrency" {
  description = "Reserved concurrency per function key (only when reserved_concurrency_enabled)."
  type        = map(number)
  default = {
    listproducts   = 20
    priceorder     = 10
    updateproduct  = 5
    placeorder     = 10
    authorizer     = 20
    signin         = 5
    fulfilment     = 10
    notifycarrier  = 10
    migrate        = 1
    imageprocessor = 5
  }
}

variable "api_throttling_rate_limit" {
  description = "Requests per second allowed on every API method."
  type        = number
  default     = 50
}

variable "api_throttling_burst_limit" {
  description = "Burst allowed on every API method."
  type        = number
  default     = 100
}

variable "alarm_emails" {
  description = "E-mail addresses receiving the ops alarms."
  type        = list(string)
  default     = []
}

variable "log_retention_days" {
  description = "Retention in days of the function and API log groups."
  type        = number
  default     = 30
}

variable "secret_recovery_window_days" {
  description = "Days a deleted key secret (the JWT and VAPID key pairs) can be restored (0 deletes at once, for dev)."
  type        = number
  default     = 7

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "secret_recovery_window_days must be 0 or between 7 and 30."
  }
}

variable "photo_log_retention_days" {
  description = "Days the S3 access logs of the photo buckets (uploads, reads) are kept."
  type        = number
  default     = 90
}

variable "force_destroy" {
  description = "Let destroy delete the photo buckets with their objects: every product photo is lost (setup.sh destroy sets it)."
  type        = bool
  default     = false
}

variable "build_dir" {
  description = "Directory holding the function zips and rds-ca-bundle.pem (setup.sh build writes them to build/ at the repository root, which null means); the tests point it at tests/fixtures, whose empty files only stand in for them."
  type        = string
  default     = null
}
