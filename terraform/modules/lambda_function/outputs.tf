output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the Lambda function."
  value       = aws_lambda_function.this.arn
}

output "invoke_arn" {
  description = "ARN API Gateway uses to invoke the function (integration URI)."
  value       = aws_lambda_function.this.invoke_arn
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the function's execution role."
  value       = aws_iam_role.this.name
}

output "log_group_name" {
  description = "CloudWatch log group of the function."
  value       = aws_cloudwatch_log_group.this.name
}

output "policy_statements" {
  description = "The statements (sid, effect, actions, resources) the role's least-privilege inline policy is built from: its own log streams, policy_statements and the destinations."
  value       = local.policy_statements
}

output "inline_policy_names" {
  description = "Inline policies of the role: least-privilege, and direct-sms-only when allow_direct_sms."
  value       = concat([aws_iam_role_policy.this.name], aws_iam_role_policy.direct_sms[*].name)
}

output "managed_policy_arns" {
  description = "AWS managed policies attached to the role: X-Ray, and ENI management when in a VPC."
  value       = local.managed_policy_arns
}

output "environment" {
  description = "The function's environment variables (settings and ARNs only: no secret is ever passed in one)."
  value       = var.environment
}
