data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
}

# Key policy: the account administers and grants use through IAM; SNS itself may use the key for this account's topics.
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
    sid       = "SnsUsesKeyForThisAccount"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "Encrypts the ${var.name} SNS topic"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.key.json

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}-sns"
  target_key_id = aws_kms_key.this.key_id
}

resource "aws_sns_topic" "this" {
  name              = var.name
  display_name      = var.display_name
  kms_master_key_id = aws_kms_key.this.arn

  tags = merge(var.tags, { Name = var.name })
}

data "aws_iam_policy_document" "topic" {
  statement {
    sid       = "OwnerOnly"
    actions   = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:DeleteTopic"]
    resources = [aws_sns_topic.this.arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this.arn]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "this" {
  arn    = aws_sns_topic.this.arn
  policy = data.aws_iam_policy_document.topic.json
}

# No subscriptions here: who is texted is data, not infrastructure. The application keeps one sms
# subscription per active carrier (Subscribe, Unsubscribe, ListSubscriptionsByTopic on this topic).

# --- Account-level SMS settings: delivery-status logging and spend limit ---------

data "aws_iam_policy_document" "delivery_status_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "delivery_status" {
  count = var.manage_sms_preferences ? 1 : 0

  name_prefix        = "${substr(var.name, 0, 24)}-sms-status-"
  description        = "Lets SNS write SMS delivery status logs"
  assume_role_policy = data.aws_iam_policy_document.delivery_status_assume.json

  tags = var.tags
}

# SNS writes SMS delivery status to log groups named sns/<region>/<account>/DirectPublishToPhoneNumber[/Failure].
data "aws_iam_policy_document" "delivery_status" {
  statement {
    actions = [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:PutMetricFilter",
      "logs:PutRetentionPolicy",
    ]
    resources = [
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:sns/${local.region}/${local.account_id}/DirectPublishToPhoneNumber",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:sns/${local.region}/${local.account_id}/DirectPublishToPhoneNumber:log-stream:*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:sns/${local.region}/${local.account_id}/DirectPublishToPhoneNumber/Failure",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:sns/${local.region}/${local.account_id}/DirectPublishToPhoneNumber/Failure:log-stream:*",
    ]
  }
}

resource "aws_iam_role_policy" "delivery_status" {
  count = var.manage_sms_preferences ? 1 : 0

  name   = "write-sms-delivery-status"
  role   = aws_iam_role.delivery_status[0].id
  policy = data.aws_iam_policy_document.delivery_status.json
}

resource "aws_sns_sms_preferences" "this" {
  count = var.manage_sms_preferences ? 1 : 0

  default_sms_type                      = "Transactional"
  default_sender_id                     = var.sender_id
  monthly_spend_limit                   = var.monthly_spend_limit
  delivery_status_iam_role_arn          = aws_iam_role.delivery_status[0].arn
  delivery_status_success_sampling_rate = tostring(var.delivery_status_success_sampling_rate)

  depends_on = [aws_iam_role_policy.delivery_status]
}
