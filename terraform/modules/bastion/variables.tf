variable "name" {
  description = "Name prefix of the bastion's resources."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits and hyphens."
  }
}

variable "subnet_id" {
  description = "Public subnet of the bastion."
  type        = string
}

variable "security_group_id" {
  description = "Security group of the bastion (the network module's bastion group: egress to MySQL, SSM endpoints and S3); SSH ingress from ssh_cidrs is added here."
  type        = string
}

variable "ssh_cidrs" {
  description = "IPv4 CIDRs allowed to reach the bastion on port 22 (for example your office's /32). Empty allows no SSH: use Session Manager."
  type        = list(string)

  validation {
    condition     = alltrue([for c in var.ssh_cidrs : can(cidrhost(c, 0))])
    error_message = "Every ssh_cidrs entry must be an IPv4 CIDR such as 203.0.113.10/32."
  }

  validation {
    condition     = alltrue([for c in var.ssh_cidrs : tonumber(split("/", c)[1]) >= 8])
    error_message = "ssh_cidrs must not open SSH to the internet (0.0.0.0/0 or any prefix shorter than /8)."
  }
}

variable "key_name" {
  description = "Name of an existing EC2 key pair for SSH; null for Session Manager access only."
  type        = string
  default     = null
}

variable "instance_type" {
  description = "Graviton burstable instance type of the bastion."
  type        = string
  default     = "t4g.nano"

  validation {
    condition     = can(regex("^t4g\\.(nano|micro|small|medium)$", var.instance_type))
    error_message = "instance_type must be t4g.nano, t4g.micro, t4g.small or t4g.medium (arm64 AMI)."
  }
}

variable "ami_ssm_parameter" {
  description = "Public SSM parameter naming the AMI (Amazon Linux 2023, arm64)."
  type        = string
  default     = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"

  validation {
    condition     = can(regex("arm64$", var.ami_ssm_parameter))
    error_message = "ami_ssm_parameter must name an arm64 AMI (the instance types are Graviton)."
  }
}

variable "root_volume_size" {
  description = "Root volume size in GiB (encrypted gp3)."
  type        = number
  default     = 8

  validation {
    condition     = var.root_volume_size >= 8 && var.root_volume_size <= 100
    error_message = "root_volume_size must be between 8 and 100 GiB."
  }
}

variable "kms_key_arn" {
  description = "KMS key for the root volume; null uses the account's default EBS key."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
