output "instance_id" {
  description = "Identifier of the RDS instance (the DBInstanceIdentifier CloudWatch dimension)."
  value       = aws_db_instance.this.identifier
}

output "instance_arn" {
  description = "ARN of the RDS instance."
  value       = aws_db_instance.this.arn
}

output "instance_resource_id" {
  description = "Resource ID of the RDS instance (for rds-db:connect IAM policies)."
  value       = aws_db_instance.this.resource_id
}

output "engine_version_actual" {
  description = "MySQL version the instance runs (engine_version resolved to a minor version)."
  value       = aws_db_instance.this.engine_version_actual
}

output "engine_lifecycle_support" {
  description = "The instance's RDS Extended Support enrolment (open-source-rds-extended-support-disabled: no Extended Support charge)."
  value       = aws_db_instance.this.engine_lifecycle_support
}

output "parameter_group_family" {
  description = "Family of the instance's parameter group (mysql8.4 for 8.4.x)."
  value       = aws_db_parameter_group.this.family
}

output "address" {
  description = "Hostname of the RDS instance endpoint (DB_HOST without the proxy; the bastion's target)."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port of the RDS instance (DB_PORT)."
  value       = aws_db_instance.this.port
}

output "db_name" {
  description = "Name of the application database (DB_NAME)."
  value       = aws_db_instance.this.db_name
}

output "master_username" {
  description = "Master user name (also inside the secret)."
  value       = aws_db_instance.this.username
}

output "master_user_secret_arn" {
  description = "ARN of the RDS-managed Secrets Manager secret holding {\"username\",\"password\"} of the master user (DB_SECRET_ARN)."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "master_user_secret_kms_key_id" {
  description = "KMS key that encrypts the master user secret (the AWS-managed aws/secretsmanager key unless kms_key_arn is set)."
  value       = aws_db_instance.this.master_user_secret[0].kms_key_id
}

output "proxy_enabled" {
  description = "Whether an RDS Proxy fronts the instance."
  value       = var.proxy_enabled
}

output "proxy_endpoint" {
  description = "Host name of the RDS Proxy (null when proxy_enabled is false); it presents an ACM certificate (Amazon Root CA), not the RDS CA."
  value       = one(aws_db_proxy.this[*].endpoint)
}

output "proxy_arn" {
  description = "ARN of the RDS Proxy (null when proxy_enabled is false)."
  value       = one(aws_db_proxy.this[*].arn)
}

output "proxy_security_group_id" {
  description = "Security group of the RDS Proxy (null when proxy_enabled is false)."
  value       = one(aws_security_group.proxy[*].id)
}

output "client_address" {
  description = "Host name the application connects to (DB_HOST): the proxy when enabled, else the instance."
  value       = var.proxy_enabled ? aws_db_proxy.this[0].endpoint : aws_db_instance.this.address
}

output "max_connections_upper_bound" {
  description = "Upper bound of the instance's default max_connections ({DBInstanceClassMemory/12582880} with the class's nominal memory) for the burstable classes; null for other classes."
  value       = local.max_connections
}

output "function_user_secret_arns" {
  description = "ARN of each function user's secret ({\"username\",\"password\"}), by function name: the function's DB_SECRET_ARN, the one secret its role may read."
  value       = local.function_secret_arns
}
