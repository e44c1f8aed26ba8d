variable "identifier" {
  description = "Identifier of the RDS instance, also the prefix of its subnet group, parameter group and log groups."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,58}[a-z0-9]$", var.identifier)) && !can(regex("--", var.identifier))
    error_message = "identifier must be 2-60 lowercase letters, digits or single hyphens, starting with a letter."
  }
}

variable "subnet_ids" {
  description = "Private subnet IDs, in at least two availability zones."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "RDS needs subnets in at least two availability zones."
  }
}

variable "security_group_ids" {
  description = "Security groups of the instance (the network module's database security group)."
  type        = list(string)

  validation {
    condition     = length(var.security_group_ids) > 0
    error_message = "At least one security group is needed."
  }
}

variable "engine_version" {
  description = "MySQL engine version: \"8.4\" (the LTS release) follows the newest 8.4 minor version (auto minor upgrades on); the parameter group family (mysql8.4) follows it. \"8.0\" only for an instance not yet upgraded: its standard support ended on 2026-07-31."
  type        = string
  default     = "8.4"

  validation {
    condition     = can(regex("^8\\.[04](\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must be 8.4 or 8.4.x (or 8.0 or 8.0.x for an instance not yet upgraded)."
  }
}

variable "engine_lifecycle_support" {
  description = "RDS Extended Support enrolment, set when the instance is created or restored: open-source-rds-extended-support-disabled (no Extended Support charge; once the major version's standard support ends RDS upgrades the instance, and creating one of an ended version fails) or open-source-rds-extended-support (keeps it running past that date at about 0.10 USD per vCPU-hour)."
  type        = string
  default     = "open-source-rds-extended-support-disabled"

  validation {
    condition     = contains(["open-source-rds-extended-support-disabled", "open-source-rds-extended-support"], var.engine_lifecycle_support)
    error_message = "engine_lifecycle_support must be open-source-rds-extended-support-disabled or open-source-rds-extended-support."
  }
}

variable "allow_major_version_upgrade" {
  description = "Let a change of engine_version move the instance to another major version (8.0 to 8.4); RDS snapshots it first and it is down for some minutes."
  type        = bool
  default     = false
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.micro"

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "instance_class must look like db.t4g.micro."
  }
}

variable "db_name" {
  description = "Name of the application database created with the instance."
  type        = string
  default     = "delivery"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,63}$", var.db_name))
    error_message = "db_name must start with a letter and hold up to 64 letters, digits or underscores."
  }
}

variable "master_username" {
  description = "Master user name; its password is generated and rotated by RDS in Secrets Manager."
  type        = string
  default     = "delivery_admin"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,15}$", var.master_username)) && !contains(["admin", "root", "rdsadmin", "mysql"], lower(var.master_username))
    error_message = "master_username must be 1-16 letters, digits or underscores, start with a letter and not be a reserved name."
  }
}

variable "allocated_storage" {
  description = "Initial storage in GiB (gp3)."
  type        = number
  default     = 20

  validation {
    condition     = var.allocated_storage >= 20 && var.allocated_storage <= 65536
    error_message = "allocated_storage must be between 20 and 65536 GiB."
  }
}

variable "max_allocated_storage" {
  description = "Upper bound in GiB for storage autoscaling; 0 disables autoscaling."
  type        = number
  default     = 100

  validation {
    condition     = var.max_allocated_storage == 0 || var.max_allocated_storage >= 20
    error_message = "max_allocated_storage must be 0 or at least 20."
  }
}

variable "multi_az" {
  description = "Run a synchronous standby in the second zone (doubles the instance cost)."
  type        = bool
  default     = false
}

variable "backup_retention_period" {
  description = "Days of automated backups (point-in-time recovery window)."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_period >= 7 && var.backup_retention_period <= 35
    error_message = "backup_retention_period must be between 7 and 35 days."
  }
}

variable "backup_window" {
  description = "Daily UTC backup window (hh24:mi-hh24:mi), outside the maintenance window."
  type        = string
  default     = "02:00-03:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.backup_window))
    error_message = "backup_window must look like 02:00-03:00."
  }
}

variable "maintenance_window" {
  description = "Weekly UTC maintenance window (ddd:hh24:mi-ddd:hh24:mi)."
  type        = string
  default     = "sun:04:00-sun:05:00"

  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.maintenance_window))
    error_message = "maintenance_window must look like sun:04:00-sun:05:00."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the instance; set false for a dev environment you intend to destroy."
  type        = bool
  default     = true
}

variable "skip_final_snapshot" {
  description = "Delete without a final snapshot (dev only); otherwise a snapshot \"<identifier>-<final_snapshot_suffix>\" is taken on deletion."
  type        = bool
  default     = false
}

variable "final_snapshot_suffix" {
  description = "Suffix of the final snapshot (\"<identifier>-<suffix>\") taken on deletion; change it between teardowns so names do not collide."
  type        = string
  default     = "final"

  validation {
    condition     = can(regex("^[a-z0-9-]{1,20}$", var.final_snapshot_suffix))
    error_message = "final_snapshot_suffix must be 1-20 lowercase letters, digits or hyphens."
  }
}

variable "apply_immediately" {
  description = "Apply modifications now instead of in the next maintenance window."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for storage, the master user secret and Performance Insights; null uses the AWS-managed keys."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "ca_cert_identifier" {
  description = "Server certificate authority of the instance (the Lambdas verify it with the RDS global bundle)."
  type        = string
  default     = "rds-ca-rsa2048-g1"
}

variable "iam_database_authentication_enabled" {
  description = "Also allow IAM database authentication (rds-db:connect)."
  type        = bool
  default     = false
}

variable "cloudwatch_logs_exports" {
  description = "MySQL logs exported to CloudWatch Logs."
  type        = list(string)
  default     = ["error", "slowquery"]

  validation {
    condition     = alltrue([for l in var.cloudwatch_logs_exports : contains(["audit", "error", "general", "slowquery", "iam-db-auth-error"], l)])
    error_message = "cloudwatch_logs_exports may hold audit, error, general, slowquery and iam-db-auth-error."
  }
}

variable "log_retention_days" {
  description = "Retention in days of the exported log groups."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention period CloudWatch Logs accepts."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key ARN that encrypts the exported log groups; null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "monitoring_interval" {
  description = "Enhanced Monitoring interval in seconds (0 disables it)."
  type        = number
  default     = 60

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.monitoring_interval)
    error_message = "monitoring_interval must be one of 0, 1, 5, 10, 15, 30, 60."
  }
}

variable "performance_insights_enabled" {
  description = "Enable Performance Insights (not available on db.t4g.micro/small)."
  type        = bool
  default     = false
}

variable "extra_parameters" {
  description = "Additional MySQL parameters (name => value), applied at the next reboot."
  type        = map(string)
  default     = {}
}

variable "proxy_enabled" {
  description = "Put an RDS Proxy in front of the instance, so that Lambda fan-out shares a bounded pool of MySQL connections (production); false saves its cost in a small dev environment."
  type        = bool
  default     = true
}

variable "vpc_id" {
  description = "VPC of the instance, where the proxy's security group is created (required when proxy_enabled)."
  type        = string
  default     = null

  validation {
    condition     = var.vpc_id == null || can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID (vpc-...)."
  }
}

variable "proxy_client_security_group_ids" {
  description = "Security groups of the proxy's clients (the in-VPC Lambda functions): allowed to reach the proxy on 3306, and given the egress rule to it (required when proxy_enabled)."
  type        = list(string)
  default     = []
}

variable "secrets_manager_endpoint_security_group_id" {
  description = "Security group of the Secrets Manager interface endpoint, through which the proxy reads the master user secret (required when proxy_enabled)."
  type        = string
  default     = null
}

variable "proxy_connection_borrow_timeout" {
  description = "Seconds a client request waits for a free MySQL connection in the proxy's pool before it fails (the functions answer 503); 1 s stays inside the functions' 1.5 s bound on each request (apigw.RequestTimeout), so the proxy sheds load before the request gives up."
  type        = number
  default     = 1

  validation {
    condition     = var.proxy_connection_borrow_timeout >= 1 && var.proxy_connection_borrow_timeout <= 300 && floor(var.proxy_connection_borrow_timeout) == var.proxy_connection_borrow_timeout
    error_message = "proxy_connection_borrow_timeout must be a whole number of seconds from 1 to 300."
  }
}

variable "proxy_max_connections_percent" {
  description = "Share of the instance's max_connections the proxy may open; the rest stays for operators on the bastion (who connect to the instance directly) and RDS itself."
  type        = number
  default     = 75

  validation {
    condition     = var.proxy_max_connections_percent >= 10 && var.proxy_max_connections_percent <= 100 && floor(var.proxy_max_connections_percent) == var.proxy_max_connections_percent
    error_message = "proxy_max_connections_percent must be a whole number from 10 to 100."
  }
}

variable "proxy_max_idle_connections_percent" {
  description = "Share of the instance's max_connections the proxy keeps open while idle (at most proxy_max_connections_percent)."
  type        = number
  default     = 25

  validation {
    condition     = var.proxy_max_idle_connections_percent >= 0 && var.proxy_max_idle_connections_percent <= 100 && floor(var.proxy_max_idle_connections_percent) == var.proxy_max_idle_connections_percent
    error_message = "proxy_max_idle_connections_percent must be a whole number from 0 to 100."
  }
}

variable "proxy_idle_client_timeout" {
  description = "Seconds before the proxy closes an idle client connection (the functions drop theirs after a minute idle anyway)."
  type        = number
  default     = 900

  validation {
    condition     = var.proxy_idle_client_timeout >= 1 && var.proxy_idle_client_timeout <= 28800
    error_message = "proxy_idle_client_timeout must be from 1 to 28800 seconds."
  }
}

variable "function_users" {
  description = "Functions that connect to MySQL as a user of their own (fn_<name>): a Secrets Manager secret each, with a generated password, and an auth entry of the proxy. The migrate function creates the users and their grants."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for f in var.function_users : can(regex("^[a-z][a-z0-9]{0,28}$", f))])
    error_message = "function_users must be lowercase names of 1 to 29 letters and digits (the MySQL user is fn_<name>, at most 32 characters)."
  }
}

variable "secret_recovery_window_days" {
  description = "Days a deleted function user secret can be restored (0 deletes it at once)."
  type        = number
  default     = 7

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "secret_recovery_window_days must be 0 or from 7 to 30."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
