variable "name" {
  description = "Name prefix for every resource of the network (for example \"delivery-prod\")."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "cidr_block" {
  description = "IPv4 CIDR block of the VPC; a /16 to /20 leaves room for the private /20+ and public /24+ subnets."
  type        = string
  default     = "10.20.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && try(tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 20, false)
    error_message = "cidr_block must be a valid IPv4 CIDR with a prefix length between /16 and /20."
  }
}

variable "availability_zones" {
  description = "Exactly two availability zones to use; empty picks the region's first two default zones."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) == 0 || length(var.availability_zones) == 2
    error_message = "availability_zones must be empty or list exactly two zones (RDS needs subnets in two zones)."
  }
}

variable "interface_endpoint_az_count" {
  description = "In how many of the two zones to place the interface endpoints (each endpoint costs per zone-hour). 2 for production, 1 to halve the endpoint cost of a dev environment."
  type        = number
  default     = 2

  validation {
    condition     = contains([1, 2], var.interface_endpoint_az_count)
    error_message = "interface_endpoint_az_count must be 1 or 2."
  }
}

variable "enable_ssm_endpoints" {
  description = "Create the ssm, ssmmessages and ec2messages interface endpoints so the bastion can be reached with Session Manager without internet egress."
  type        = bool
  default     = true
}

variable "flow_log_retention_days" {
  description = "Retention in days of the VPC flow log group."
  type        = number
  default     = 90

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be a retention period CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

variable "flow_log_traffic_type" {
  description = "Which traffic the VPC flow log records: ACCEPT, REJECT or ALL."
  type        = string
  default     = "REJECT"

  validation {
    condition     = contains(["ACCEPT", "REJECT", "ALL"], var.flow_log_traffic_type)
    error_message = "flow_log_traffic_type must be ACCEPT, REJECT or ALL."
  }
}

variable "log_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the flow log group (its policy must allow logs.<region>.amazonaws.com); null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null

  validation {
    condition     = var.log_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be a KMS key ARN."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
