data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  actions    = [aws_sns_topic.this.arn]
}

# CloudWatch alarms publish to an encrypted topic only if the key policy lets cloudwatch.amazonaws.com use the key.
data "aws_iam_policy_document" "key" {
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "Encrypts the ${var.name} ops alarm topic"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json

  tags = merge(var.tags, { Name = "${var.name}-ops" })
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}-ops"
  target_key_id = aws_kms_key.this.key_id
}

resource "aws_sns_topic" "this" {
  name              = "${var.name}-ops"
  display_name      = "${var.name} ops alarms"
  kms_master_key_id = aws_kms_key.this.arn

  tags = merge(var.tags, { Name = "${var.name}-ops" })
}

data "aws_iam_policy_document" "topic" {
  statement {
    sid       = "CloudWatchAlarmsOfThisAccount"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "OwnerManages"
    actions   = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:ListSubscriptionsByTopic"]
    resources = [aws_sns_topic.this.arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }
}

resource "aws_sns_topic_policy" "this" {
  arn    = aws_sns_topic.this.arn
  policy = data.aws_iam_policy_document.topic.json
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = each.value
}

# --- Lambda ----------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  for_each = toset(var.lambda_function_names)

  alarm_name          = "${var.name}-lambda-${each.key}-errors"
  alarm_description   = "Lambda ${each.key} returned errors (invocation failures, not 4xx answers)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.key }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.lambda_errors_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "lambda_throttles" {
  for_each = toset(var.lambda_function_names)

  alarm_name          = "${var.name}-lambda-${each.key}-throttles"
  alarm_description   = "Lambda ${each.key} was throttled (reserved concurrency reached)."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = each.key }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = var.tags
}

# --- API Gateway -----------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  count = var.api_name == null ? 0 : 1

  alarm_name          = "${var.name}-api-5xx"
  alarm_description   = "API Gateway ${var.api_name} answered 5XX."
  namespace           = "AWS/ApiGateway"
  metric_name         = "5XXError"
  dimensions          = { ApiName = var.api_name, Stage = var.api_stage_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.api_5xx_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "api_latency_p99" {
  count = var.api_name == null ? 0 : 1

  alarm_name          = "${var.name}-api-latency-p99"
  alarm_description   = "API Gateway ${var.api_name} p99 latency above ${var.api_p99_latency_ms} ms for 3 periods."
  namespace           = "AWS/ApiGateway"
  metric_name         = "Latency"
  dimensions          = { ApiName = var.api_name, Stage = var.api_stage_name }
  extended_statistic  = "p99"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  threshold           = var.api_p99_latency_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = var.tags
}

# --- Dead-letter queues ------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "dlq_depth" {
  for_each = toset(var.dlq_names)

  alarm_name          = "${var.name}-dlq-${each.key}"
  alarm_description   = "Messages waiting in dead-letter queue ${each.key} (failed asynchronous work)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.key }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = var.tags
}

# --- RDS ---------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "rds_cpu" {
  count = var.db_instance_id == null ? 0 : 1

  alarm_name          = "${var.name}-rds-cpu"
  alarm_description   = "RDS ${var.db_instance_id} CPU above ${var.rds_cpu_threshold_percent}% for 15 minutes."
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  dimensions          = { DBInstanceIdentifier = var.db_instance_id }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.rds_cpu_threshold_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "rds_free_storage" {
  count = var.db_instance_id == null ? 0 : 1

  alarm_name          = "${var.name}-rds-free-storage"
  alarm_description   = "RDS ${var.db_instance_id} has less than ${var.rds_free_storage_threshold_gib} GiB free."
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  dimensions          = { DBInstanceIdentifier = var.db_instance_id }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.rds_free_storage_threshold_gib * 1073741824
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = var.tags
}

# --- SMS -------------------------------------------------------------------------

# The month's SMS spend, account-wide in the region: once it reaches the spend limit SNS stops sending every SMS,
# sign-in codes included, so the alarm fires while there is still room to act (raise the limit, find a flood).
# SNS publishes the figure a few times an hour; the maximum of an hour is the latest.
resource "aws_cloudwatch_metric_alarm" "sms_spend" {
  count = var.sms_monthly_spend_limit == null ? 0 : 1

  alarm_name          = "${var.name}-sms-spend"
  alarm_description   = "The account's SMS spend this month reached ${var.sms_spend_alarm_percent} % of its ${var.sms_monthly_spend_limit} USD limit; at the limit SNS sends no SMS at all (docs/deploy.md, \"SMS\")."
  namespace           = "AWS/SNS"
  metric_name         = "SMSMonthToDateSpentUSD"
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = var.sms_monthly_spend_limit * var.sms_spend_alarm_percent / 100
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = var.tags
}

# Order offers to the carriers' topic that SNS could not deliver (a carrier's phone unreachable or opted out, the
# sandbox, the spend limit reached, no origination identity for the destination).
resource "aws_cloudwatch_metric_alarm" "sms_topic_failures" {
  count = var.sms_topic_name == null ? 0 : 1

  alarm_name          = "${var.name}-sms-topic-failures"
  alarm_description   = "SNS failed to deliver ${var.sms_failures_threshold} or more order SMS of topic ${var.sms_topic_name} within 15 minutes; its delivery-status log (sns/<region>/<account>/DirectPublishToPhoneNumber/Failure) says why."
  namespace           = "AWS/SNS"
  metric_name         = "NumberOfNotificationsFailed"
  dimensions          = { TopicName = var.sms_topic_name }
  statistic           = "Sum"
  period              = 900
  evaluation_periods  = 1
  threshold           = var.sms_failures_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = var.tags
}

# Every SMS, topic or direct (sign-in codes, cancel notices): SNS publishes SMSSuccessRate per destination country
# and message type, so a Metrics Insights query averages it over all of them.
resource "aws_cloudwatch_metric_alarm" "sms_success_rate" {
  count = var.watch_sms_success_rate ? 1 : 0

  alarm_name          = "${var.name}-sms-success-rate"
  alarm_description   = "Fewer than ${var.sms_success_rate_percent} % of the SMS sent in the region were delivered, for 15 minutes (sign-in codes and order SMS alike)."
  evaluation_periods  = 3
  threshold           = var.sms_success_rate_percent / 100
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "rate"
    expression  = "SELECT AVG(SMSSuccessRate) FROM SCHEMA(\"AWS/SNS\", Country, SMSType)"
    period      = 300
    return_data = true
  }

  tags = var.tags
}
