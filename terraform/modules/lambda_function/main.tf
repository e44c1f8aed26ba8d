data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  in_vpc = length(var.vpc_subnet_ids) > 0

  # The ARN of aws_cloudwatch_log_group.this, spelt out from its name.
  log_group_arn = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:${aws_cloudwatch_log_group.this.name}"

  # Destinations and the dead-letter queue are written to with the function's own role.
  destinations = {
    for name, arn in {
      OnSuccessDestination = var.on_success_destination_arn
      OnFailureDestination = var.on_failure_destination_arn
      DeadLetterQueue      = var.dead_letter_queue_arn
    } : name => arn if arn != null
  }
  destination_actions = {
    sqs    = ["sqs:SendMessage"]
    sns    = ["sns:Publish"]
    lambda = ["lambda:InvokeFunction"]
    events = ["events:PutEvents"]
  }
  destination_statements = [
    for name, arn in local.destinations : {
      sid       = name
      effect    = "Allow"
      actions   = lookup(local.destination_actions, split(":", arn)[2], [])
      resources = [arn]
    }
  ]

  statements = concat(var.policy_statements, local.destination_statements)

  # What data.aws_iam_policy_document.this is built from, statement by statement (the policy_statements output).
  own_logs_statement = {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:log-stream:*"]
  }
  policy_statements = concat([local.own_logs_statement], local.statements)

  managed_policy_arns = concat(
    ["arn:${data.aws_partition.current.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"],
    local.in_vpc ? ["arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSLambdaENIManagementAccess"] : [],
  )
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name_prefix          = substr("${var.function_name}-", 0, 38)
  description          = "Execution role of the ${var.function_name} Lambda function"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

# Direct SMS: SNS has no resource ARN for a phone number, so the publish is allowed on "*" and
# explicitly denied on every SNS ARN (topics, platform endpoints), which leaves phone numbers only.
# A policy of its own, with plain statements and no count (tfsec follows neither dynamic blocks nor
# indexed data sources), so that tfsec sees the wildcard and its ignore; attached only when allowed.
data "aws_iam_policy_document" "direct_sms" {
  statement {
    sid     = "PublishSmsToPhoneNumbers"
    actions = ["sns:Publish"]
    #tfsec:ignore:aws-iam-no-policy-wildcards a phone number has no ARN; the Deny below takes every topic and endpoint away
    resources = ["*"]
  }

  statement {
    sid       = "PublishToNoTopic"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = ["arn:${data.aws_partition.current.partition}:sns:*:*:*"]
  }
}

# Direct SMS for a role that also publishes to its own topics (direct_sms_topic_arns, allowed by its
# policy_statements): IAM cannot deny every SNS ARN but some, so the Deny covers the platform endpoints
# alone (a topic name has no "/"), and the role could publish to other topics that let it.
data "aws_iam_policy_document" "direct_sms_and_topics" {
  statement {
    sid     = "PublishSmsToPhoneNumbers"
    actions = ["sns:Publish"]
    #tfsec:ignore:aws-iam-no-policy-wildcards a phone number has no ARN; the Deny below takes every platform endpoint away
    resources = ["*"]
  }

  statement {
    sid       = "PublishToNoEndpoint"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = ["arn:${data.aws_partition.current.partition}:sns:*:*:endpoint/*"]
  }
}

# Logs: only this function's own log group (local.own_logs_statement, written out here so that tfsec sees it).
data "aws_iam_policy_document" "this" {
  statement {
    sid     = "WriteOwnLogs"
    effect  = "Allow"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    # Lambda names its log streams itself (date/[version]id), so the streams of this one log group are the exact scope.
    #tfsec:ignore:aws-iam-no-policy-wildcards the wildcard is only the stream name inside this function's own log group
    resources = ["${local.log_group_arn}:log-stream:*"]
  }

  dynamic "statement" {
    for_each = local.statements
    content {
      sid       = statement.value.sid
      effect    = statement.value.effect
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "least-privilege"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json

  lifecycle {
    precondition {
      condition     = !var.allow_direct_sms || !anytrue([for st in local.statements : st.effect == "Allow" && contains(st.actions, "sns:Publish") && length(setsubtract(st.resources, var.direct_sms_topic_arns)) > 0])
      error_message = "allow_direct_sms denies sns:Publish on every topic but those of direct_sms_topic_arns: a role that publishes to another topic (or has an SNS destination) cannot also send direct SMS."
    }
  }
}

resource "aws_iam_role_policy" "direct_sms" {
  count = var.allow_direct_sms ? 1 : 0

  name   = "direct-sms-only"
  role   = aws_iam_role.this.id
  policy = length(var.direct_sms_topic_arns) == 0 ? data.aws_iam_policy_document.direct_sms.json : data.aws_iam_policy_document.direct_sms_and_topics.json
}

# X-Ray segments (PutTraceSegments has no resource-level permissions).
resource "aws_iam_role_policy_attachment" "xray" {
  role       = aws_iam_role.this.name
  policy_arn = local.managed_policy_arns[0]
}

# Network interfaces of a function in a VPC (the ENI-only managed policy, without the logs:* of AWSLambdaVPCAccessExecutionRole).
resource "aws_iam_role_policy_attachment" "vpc" {
  count = local.in_vpc ? 1 : 0

  role       = aws_iam_role.this.name
  policy_arn = local.managed_policy_arns[1]
}

resource "aws_lambda_function" "this" {
  function_name = var.function_name
  description   = var.description
  role          = aws_iam_role.this.arn

  filename         = var.zip_path
  source_code_hash = filebase64sha256(var.zip_path)
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = ["arm64"]

  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrent_executions
  kms_key_arn                    = var.kms_key_arn

  dynamic "environment" {
    for_each = length(var.environment) > 0 ? [var.environment] : []
    content {
      variables = environment.value
    }
  }

  dynamic "dead_letter_config" {
    for_each = var.dead_letter_queue_arn == null ? [] : [var.dead_letter_queue_arn]
    content {
      target_arn = dead_letter_config.value
    }
  }

  dynamic "vpc_config" {
    for_each = local.in_vpc ? [1] : []
    content {
      subnet_ids         = var.vpc_subnet_ids
      security_group_ids = var.vpc_security_group_ids
    }
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  tags = merge(var.tags, { Name = var.function_name })

  depends_on = [
    aws_iam_role_policy.this,
    aws_iam_role_policy.direct_sms,
    aws_iam_role_policy_attachment.xray,
    aws_iam_role_policy_attachment.vpc,
  ]
}

resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.maximum_retry_attempts
  maximum_event_age_in_seconds = var.maximum_event_age_in_seconds

  dynamic "destination_config" {
    for_each = var.on_success_destination_arn == null && var.on_failure_destination_arn == null ? [] : [1]
    content {
      dynamic "on_success" {
        for_each = var.on_success_destination_arn == null ? [] : [var.on_success_destination_arn]
        content {
          destination = on_success.value
        }
      }
      dynamic "on_failure" {
        for_each = var.on_failure_destination_arn == null ? [] : [var.on_failure_destination_arn]
        content {
          destination = on_failure.value
        }
      }
    }
  }
}
