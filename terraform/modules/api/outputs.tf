output "rest_api_id" {
  description = "ID of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "rest_api_name" {
  description = "Name of the REST API (the ApiName CloudWatch dimension)."
  value       = aws_api_gateway_rest_api.this.name
}

output "execution_arn" {
  description = "Execution ARN of the REST API."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "stage_name" {
  description = "Name of the deployed stage."
  value       = aws_api_gateway_stage.this.stage_name
}

output "stage_arn" {
  description = "ARN of the deployed stage (for a WAF association)."
  value       = aws_api_gateway_stage.this.arn
}

output "invoke_url" {
  description = "Base URL of the stage; routes are below it (invoke_url + \"/api/products\")."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "origin_domain_name" {
  description = "Host name of the stage, for a CloudFront origin."
  value       = "${aws_api_gateway_rest_api.this.id}.execute-api.${split(":", aws_api_gateway_rest_api.this.arn)[3]}.amazonaws.com"
}

output "openapi_document" {
  description = "The OpenAPI document generated from the routes table."
  value       = local.body
}

output "access_log_group_name" {
  description = "CloudWatch log group of the stage's access logs."
  value       = aws_cloudwatch_log_group.access.name
}

output "account_cloudwatch_role_arn" {
  description = "The region-wide API Gateway CloudWatch Logs role this module set (null when manage_account_cloudwatch_role is false)."
  value       = one(aws_iam_role.cloudwatch[*].arn)
}

output "web_acl_arn" {
  description = "ARN of the regional WAF web ACL that lets only requests with the origin header through (null without require_origin_header)."
  value       = one(aws_wafv2_web_acl.this[*].arn)
}
