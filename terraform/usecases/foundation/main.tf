# Foundation: network, encryption keys, MySQL and the bastion. The backend and storefront usecases read
# its outputs from its state (terraform_remote_state), never by hand.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  name       = "${var.project}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  tags = merge(var.tags, {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
    Usecase     = "foundation"
  })
}

# --- KMS: one key for CloudWatch Logs, one for data at rest (RDS, its secret) -------------

data "aws_iam_policy_document" "logs_key" {
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
    sid       = "CloudWatchLogsOfThisAccount"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:*"]
    }
  }
}

resource "aws_kms_key" "logs" {
  description             = "${local.name}: CloudWatch Logs"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.logs_key.json
}

resource "aws_kms_alias" "logs" {
  name          = "alias/${local.name}-logs"
  target_key_id = aws_kms_key.logs.key_id
}

resource "aws_kms_key" "data" {
  description             = "${local.name}: RDS storage, RDS master user secret, Performance Insights"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_kms_alias" "data" {
  name          = "alias/${local.name}-data"
  target_key_id = aws_kms_key.data.key_id
}

# --- Modules ---------------------------------------------------------------------------

module "network" {
  source = "../../modules/network"

  name                        = local.name
  cidr_block                  = var.vpc_cidr
  interface_endpoint_az_count = var.interface_endpoint_az_count
  flow_log_retention_days     = var.log_retention_days
  log_kms_key_arn             = aws_kms_key.logs.arn
}

module "database" {
  source = "../../modules/database"

  identifier                   = "${local.name}-mysql"
  subnet_ids                   = module.network.private_subnet_ids
  security_group_ids           = [module.network.database_security_group_id]
  instance_class               = var.db_instance_class
  multi_az                     = var.db_multi_az
  backup_retention_period      = var.db_backup_retention_days
  deletion_protection          = var.db_deletion_protection
  skip_final_snapshot          = var.db_skip_final_snapshot
  final_snapshot_suffix        = var.db_final_snapshot_suffix
  kms_key_arn                  = aws_kms_key.data.arn
  log_retention_days           = var.log_retention_days
  log_kms_key_arn              = aws_kms_key.logs.arn
  cloudwatch_logs_exports      = ["error", "slowquery"]
  apply_immediately            = var.db_major_version_upgrade || !var.db_deletion_protection
  allow_major_version_upgrade  = var.db_major_version_upgrade
  monitoring_interval          = 60
  ca_cert_identifier           = "rds-ca-rsa2048-g1"
  engine_version               = var.db_engine_version
  engine_lifecycle_support     = var.db_engine_lifecycle_support
  db_name                      = "delivery"
  master_username              = "delivery_admin"
  max_allocated_storage        = 100
  performance_insights_enabled = false
  function_users               = var.db_function_users

  proxy_enabled                              = var.db_proxy_enabled
  vpc_id                                     = module.network.vpc_id
  proxy_client_security_group_ids            = [module.network.lambda_security_group_id]
  secrets_manager_endpoint_security_group_id = module.network.endpoints_security_group_id
}

module "bastion" {
  source = "../../modules/bastion"

  name              = local.name
  subnet_id         = module.network.public_subnet_ids[0]
  security_group_id = module.network.bastion_security_group_id
  ssh_cidrs         = var.ssh_cidrs
  key_name          = var.bastion_key_name
  instance_type     = var.bastion_instance_type
  kms_key_arn       = aws_kms_key.data.arn
}
