output "name" {
  description = "Name prefix of the deployment (<project>-<environment>)."
  value       = local.name
}

output "region" {
  description = "Region of the deployment."
  value       = var.region
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets for the in-VPC Lambda functions."
  value       = module.network.private_subnet_ids
}

output "private_s3_endpoint_id" {
  description = "S3 gateway endpoint of the private subnets; the backend limits its policy to the photo buckets."
  value       = module.network.private_s3_endpoint_id
}

output "lambda_security_group_id" {
  description = "Security group of the in-VPC Lambda functions."
  value       = module.network.lambda_security_group_id
}

output "logs_kms_key_arn" {
  description = "KMS key for CloudWatch log groups."
  value       = aws_kms_key.logs.arn
}

output "data_kms_key_arn" {
  description = "KMS key of the RDS storage and master user secret (readers of the secret need kms:Decrypt on it)."
  value       = aws_kms_key.data.arn
}

output "db_instance_id" {
  description = "RDS instance identifier."
  value       = module.database.instance_id
}

output "db_engine_version" {
  description = "MySQL version the database runs (db_engine_version resolved to a minor version)."
  value       = module.database.engine_version_actual
}

output "db_engine_lifecycle_support" {
  description = "RDS Extended Support enrolment of the database (open-source-rds-extended-support-disabled: no Extended Support charge)."
  value       = module.database.engine_lifecycle_support
}

output "db_address" {
  description = "Host name of the RDS instance itself (the bastion tunnels to it; the functions use db_host)."
  value       = module.database.address
}

output "db_host" {
  description = "Host name the functions connect to (DB_HOST): the RDS Proxy when db_proxy_enabled, else the instance."
  value       = module.database.client_address
}

output "db_proxy_enabled" {
  description = "Whether the functions reach MySQL through the RDS Proxy."
  value       = module.database.proxy_enabled
}

output "db_max_connections" {
  description = "Upper bound of MySQL's default max_connections for the instance class (null when not known here): the backend checks its connection budget against it when there is no proxy."
  value       = module.database.max_connections_upper_bound
}

output "db_port" {
  description = "MySQL port (DB_PORT)."
  value       = module.database.port
}

output "db_name" {
  description = "Application database name (DB_NAME)."
  value       = module.database.db_name
}

output "db_secret_arn" {
  description = "RDS-managed master user secret: migrate's DB_SECRET_ARN, and the operators' on the bastion."
  value       = module.database.master_user_secret_arn
}

output "db_user_secret_arns" {
  description = "Secret of each function's own MySQL user, by function name (its DB_SECRET_ARN); migrate creates the users from them."
  value       = module.database.function_user_secret_arns
}

output "bastion_instance_id" {
  description = "Bastion instance ID (aws ssm start-session --target ...)."
  value       = module.bastion.instance_id
}

output "bastion_public_ip" {
  description = "Elastic IP of the bastion."
  value       = module.bastion.public_ip
}

output "bastion_ssh_command" {
  description = "SSH tunnel to MySQL through the bastion (then connect to 127.0.0.1:3306)."
  value       = "ssh -i <your-key.pem> -N -L 3306:${module.database.address}:${module.database.port} ${module.bastion.ssh_user}@${module.bastion.public_ip}"
}

output "bastion_ssm_port_forward_command" {
  description = "The same tunnel with Session Manager, without SSH (needs the session-manager-plugin)."
  value       = "aws ssm start-session --region ${var.region} --target ${module.bastion.instance_id} --document-name AWS-StartPortForwardingSessionToRemoteHost --parameters host=${module.database.address},portNumber=${module.database.port},localPortNumber=3306"
}
