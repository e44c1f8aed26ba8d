output "topic_arn" {
  description = "ARN of the encrypted ops topic the alarms publish to."
  value       = aws_sns_topic.this.arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the ops topic."
  value       = aws_kms_key.this.arn
}

output "alarm_names" {
  description = "Names of every alarm created."
  value = concat(
    [for a in aws_cloudwatch_metric_alarm.lambda_errors : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.lambda_throttles : a.alarm_name],
    aws_cloudwatch_metric_alarm.api_5xx[*].alarm_name,
    aws_cloudwatch_metric_alarm.api_latency_p99[*].alarm_name,
    [for a in aws_cloudwatch_metric_alarm.dlq_depth : a.alarm_name],
    aws_cloudwatch_metric_alarm.rds_cpu[*].alarm_name,
    aws_cloudwatch_metric_alarm.rds_free_storage[*].alarm_name,
    aws_cloudwatch_metric_alarm.sms_spend[*].alarm_name,
    aws_cloudwatch_metric_alarm.sms_topic_failures[*].alarm_name,
    aws_cloudwatch_metric_alarm.sms_success_rate[*].alarm_name,
  )
}
