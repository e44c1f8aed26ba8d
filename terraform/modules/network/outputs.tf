output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "availability_zones" {
  description = "The two availability zones the subnets are in."
  value       = local.azs
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (Lambda functions, RDS, interface endpoints), one per zone."
  value       = aws_subnet.private[*].id
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (bastion), one per zone."
  value       = aws_subnet.public[*].id
}

output "lambda_security_group_id" {
  description = "Security group to attach to the in-VPC Lambda functions."
  value       = aws_security_group.lambda.id
}

output "database_security_group_id" {
  description = "Security group to attach to the RDS instance."
  value       = aws_security_group.database.id
}

output "bastion_security_group_id" {
  description = "Security group to attach to the bastion (the bastion module adds its SSH ingress)."
  value       = aws_security_group.bastion.id
}

output "endpoints_security_group_id" {
  description = "Security group of the Secrets Manager, Lambda, SNS, Amazon Location routes and SQS interface endpoints."
  value       = aws_security_group.endpoints.id
}

output "interface_endpoint_ids" {
  description = "IDs of the interface endpoints, keyed by service (secretsmanager, lambda, sns, geo.routes, sqs, ssm, ...)."
  value       = merge({ for k, e in aws_vpc_endpoint.lambda_services : k => e.id }, { for k, e in aws_vpc_endpoint.ssm_services : k => e.id })
}

output "s3_prefix_list_id" {
  description = "Prefix list of S3 in the region (the destination of both S3 gateway endpoints)."
  value       = aws_vpc_endpoint.s3.prefix_list_id
}

output "private_s3_endpoint_id" {
  description = "ID of the S3 gateway endpoint of the private subnets, whose policy the owner of the application's buckets sets (aws_vpc_endpoint_policy)."
  value       = aws_vpc_endpoint.s3_private.id
}

output "flow_log_group_name" {
  description = "CloudWatch log group of the VPC flow log."
  value       = aws_cloudwatch_log_group.flow_logs.name
}
