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

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC."
  type        = string
  default     = "10.20.0.0/16"
}

variable "interface_endpoint_az_count" {
  description = "Zones (1 or 2) holding the interface endpoints: 2 for production, 1 to halve their cost in dev."
  type        = number
  default     = 2
}

variable "ssh_cidrs" {
  description = "IPv4 CIDRs allowed to SSH to the bastion (your office or home /32). Empty: Session Manager only."
  type        = list(string)
}

variable "bastion_key_name" {
  description = "Existing EC2 key pair for SSH to the bastion; null for Session Manager only."
  type        = string
  default     = null
}

variable "bastion_instance_type" {
  description = "Bastion instance type (t4g.*)."
  type        = string
  default     = "t4g.nano"
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.micro"
}

variable "db_engine_version" {
  description = "MySQL version of the database: 8.4, the LTS release, following its newest minor version. An instance still on 8.0 moves to 8.4 with db_major_version_upgrade = true (docs/deploy.md)."
  type        = string
  default     = "8.4"

  validation {
    condition     = can(regex("^8\\.[04](\\.[0-9]+)?$", var.db_engine_version))
    error_message = "db_engine_version must be 8.4 or 8.4.x (or 8.0 or 8.0.x for an instance not yet upgraded)."
  }
}

variable "db_engine_lifecycle_support" {
  description = "RDS Extended Support enrolment of a new database: open-source-rds-extended-support-disabled (default: never an Extended Support charge; RDS upgrades the major version when its standard support ends) or open-source-rds-extended-support (about 0.10 USD per vCPU-hour once standard support has ended, ~146 USD a month on db.t4g.micro): a decision to make on purpose."
  type        = string
  default     = "open-source-rds-extended-support-disabled"

  validation {
    condition     = contains(["open-source-rds-extended-support-disabled", "open-source-rds-extended-support"], var.db_engine_lifecycle_support)
    error_message = "db_engine_lifecycle_support must be open-source-rds-extended-support-disabled or open-source-rds-extended-support."
  }
}

variable "db_major_version_upgrade" {
  description = "Allow this apply to move the database to another major version (db_engine_version 8.0 to 8.4), at once rather than in the maintenance window: RDS snapshots it, then it is down for some minutes. Leave false otherwise."
  type        = bool
  default     = false
}

variable "db_function_users" {
  description = "The backend's functions that connect to MySQL, each as a user of its own with only its grants (a secret each, made here; migrate creates the users). Every one of the backend's VPC functions but migrate, which signs in as the master user."
  type        = list(string)
  default     = ["listproducts", "priceorder", "updateproduct", "placeorder", "fulfilment", "signin", "authorizer", "imageprocessor"]
}

variable "db_proxy_enabled" {
  description = "Reach MySQL through an RDS Proxy (true for production: it bounds the connections of Lambda fan-out); false drops its cost in a small dev environment, where the functions connect to the instance."
  type        = bool
  default     = true
}

variable "db_multi_az" {
  description = "Run the database with a standby in the second zone."
  type        = bool
  default     = false
}

variable "db_backup_retention_days" {
  description = "Days of automated database backups (at least 7)."
  type        = number
  default     = 7
}

variable "db_deletion_protection" {
  description = "Protect the database against deletion; false for a dev environment you intend to destroy."
  type        = bool
  default     = true
}

variable "db_skip_final_snapshot" {
  description = "Delete the database without a final snapshot (dev only)."
  type        = bool
  default     = false
}

variable "db_final_snapshot_suffix" {
  description = "Suffix of the final snapshot's name taken when the database is deleted (setup.sh destroy sets a timestamp so repeated teardowns do not collide)."
  type        = string
  default     = "final"

  validation {
    condition     = can(regex("^[a-z0-9-]{1,20}$", var.db_final_snapshot_suffix))
    error_message = "db_final_snapshot_suffix must be 1-20 lowercase letters, digits or hyphens."
  }
}

variable "log_retention_days" {
  description = "Retention in days of the log groups created here (flow logs, RDS logs)."
  type        = number
  default     = 30
}
