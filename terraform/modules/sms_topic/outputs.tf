output "topic_arn" {
  description = "ARN of the SMS topic (SMS_TOPIC_ARN)."
  value       = aws_sns_topic.this.arn
}

output "topic_name" {
  description = "Name of the SMS topic."
  value       = aws_sns_topic.this.name
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the topic; publishers need kms:GenerateDataKey and kms:Decrypt on it."
  value       = aws_kms_key.this.arn
}

output "delivery_status_role_arn" {
  description = "Role SNS uses to log SMS delivery status (null when manage_sms_preferences is false)."
  value       = var.manage_sms_preferences ? aws_iam_role.delivery_status[0].arn : null
}
