data "aws_partition" "current" {}

locals {
  log_exports = toset(var.cloudwatch_logs_exports)

  # RDS MySQL's default max_connections is {DBInstanceClassMemory/12582880}. DBInstanceClassMemory is the class's
  # memory less what the OS and RDS keep, so the nominal memory gives an upper bound. Known here for the burstable
  # classes (the default, db.t4g.micro: 1 GiB, at most 85); null for the others.
  class_parts      = split(".", var.instance_class)
  burstable_gib    = { micro = 1, small = 2, medium = 4, large = 8, xlarge = 16, "2xlarge" = 32 }
  burstable_family = contains(["t3", "t4g"], local.class_parts[1]) && contains(keys(local.burstable_gib), local.class_parts[2])
  max_connections  = local.burstable_family ? floor(local.burstable_gib[local.class_parts[2]] * 1073741824 / 12582880) : null

  # The parameter group family follows the major version: 8.4.x -> mysql8.4, 8.0 -> mysql8.0.
  major_version          = regex("^[0-9]+\\.[0-9]+", var.engine_version)
  parameter_group_family = "mysql${local.major_version}"
}

resource "aws_db_subnet_group" "this" {
  name        = var.identifier
  description = "Private subnets of ${var.identifier}"
  subnet_ids  = var.subnet_ids

  tags = merge(var.tags, { Name = var.identifier })
}

# Every parameter set here exists, unchanged, in MySQL 8.0 and 8.4 (none of those 8.4 removed, such as
# default_authentication_plugin or expire_logs_days); extra_parameters must suit the family too.
resource "aws_db_parameter_group" "this" {
  name_prefix = "${var.identifier}-"
  family      = local.parameter_group_family
  description = "MySQL ${local.major_version} parameters of ${var.identifier}: TLS required"

  parameter {
    name         = "require_secure_transport"
    value        = "ON"
    apply_method = "immediate"
  }

  parameter {
    name         = "character_set_server"
    value        = "utf8mb4"
    apply_method = "immediate"
  }

  parameter {
    name         = "collation_server"
    value        = "utf8mb4_0900_ai_ci"
    apply_method = "immediate"
  }

  dynamic "parameter" {
    for_each = var.extra_parameters
    content {
      name         = parameter.key
      value        = parameter.value
      apply_method = "pending-reboot"
    }
  }

  lifecycle {
    create_before_destroy = true
  }

  tags = var.tags
}

# RDS creates these log groups on its own, without retention; create them first to own retention and encryption.
resource "aws_cloudwatch_log_group" "exports" {
  for_each = local.log_exports

  name              = "/aws/rds/instance/${var.identifier}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  count = var.monitoring_interval > 0 ? 1 : 0

  name_prefix        = "${var.identifier}-rds-mon-"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  count = var.monitoring_interval > 0 ? 1 : 0

  role       = aws_iam_role.monitoring[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

# tfsec:ignore:aws-rds-enable-performance-insights[performance_insights_enabled=false] Performance Insights is not offered on the small burstable classes (db.t4g.micro/small) this defaults to; set performance_insights_enabled = true on larger classes (it is then encrypted with kms_key_arn).
resource "aws_db_instance" "this" {
  identifier     = var.identifier
  engine         = "mysql"
  engine_version = var.engine_version
  instance_class = var.instance_class

  # Not enrolled in RDS Extended Support unless engine_lifecycle_support says so: once the major version's
  # standard support ends, RDS upgrades the instance instead of billing Extended Support per vCPU-hour.
  engine_lifecycle_support    = var.engine_lifecycle_support
  allow_major_version_upgrade = var.allow_major_version_upgrade

  db_name                       = var.db_name
  username                      = var.master_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = var.kms_key_arn

  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = var.security_group_ids
  publicly_accessible    = false
  multi_az               = var.multi_az
  network_type           = "IPV4"
  port                   = 3306
  ca_cert_identifier     = var.ca_cert_identifier

  parameter_group_name                = aws_db_parameter_group.this.name
  iam_database_authentication_enabled = var.iam_database_authentication_enabled

  backup_retention_period   = var.backup_retention_period
  backup_window             = var.backup_window
  maintenance_window        = var.maintenance_window
  copy_tags_to_snapshot     = true
  delete_automated_backups  = false
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = var.skip_final_snapshot
  final_snapshot_identifier = var.skip_final_snapshot ? null : "${var.identifier}-${var.final_snapshot_suffix}"

  auto_minor_version_upgrade = true
  apply_immediately          = var.apply_immediately

  enabled_cloudwatch_logs_exports = var.cloudwatch_logs_exports
  monitoring_interval             = var.monitoring_interval
  monitoring_role_arn             = var.monitoring_interval > 0 ? aws_iam_role.monitoring[0].arn : null

  performance_insights_enabled          = var.performance_insights_enabled
  performance_insights_kms_key_id       = var.performance_insights_enabled ? var.kms_key_arn : null
  performance_insights_retention_period = var.performance_insights_enabled ? 7 : null

  tags = merge(var.tags, { Name = var.identifier })

  lifecycle {
    # RDS sets the Extended Support enrolment when it creates (or restores) an instance and ignores it in a
    # modification: changing it here would only plan the same update forever.
    ignore_changes = [engine_lifecycle_support]

    # So an instance created with another enrolment (before this setting existed, RDS's default enrolled it)
    # stops the plan: Extended Support is billed only when someone decided it.
    postcondition {
      condition     = self.engine_lifecycle_support == var.engine_lifecycle_support
      error_message = "${var.identifier} is enrolled as ${self.engine_lifecycle_support}, but engine_lifecycle_support is ${var.engine_lifecycle_support}, and RDS sets it only when it creates or restores an instance. Decide (docs/deploy.md, \"MySQL version and RDS Extended Support\"): accept the enrolment by setting it to ${self.engine_lifecycle_support}, or restore the instance from a snapshot with ${var.engine_lifecycle_support}."
    }
  }

  depends_on = [aws_cloudwatch_log_group.exports, aws_iam_role_policy_attachment.monitoring]
}

# --- Function users: one MySQL user per function, each with a secret of its own --------------------------

# Each function that connects to MySQL signs in as a user of its own, whose grants are only what it needs (the
# migrate function creates the users and their grants from these secrets: internal/admin), so that a public
# function such as the catalog cannot write, and the master user is migrate's alone. The secret has the shape of
# the RDS-managed one, {"username","password"}, so the functions read either the same way.
#
# The password comes from Secrets Manager's generator (the AWS provider is the only one this configuration
# installs) and is kept by ignore_changes, since the data source gives a new one on every plan. To change a
# password: terraform apply -replace='module.database.aws_secretsmanager_secret_version.function_user["<name>"]',
# then ./setup.sh deploy, whose migrate sets it in MySQL (docs/deploy.md, "Rotating secrets").
data "aws_secretsmanager_random_password" "function_user" {
  for_each = local.function_users

  password_length     = 40
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret" "function_user" {
  for_each = local.function_users

  name_prefix             = "${var.identifier}/user-${each.key}-"
  description             = "MySQL user of the ${each.key} function of ${var.identifier}: {\"username\",\"password\"}; migrate creates the user and its grants"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.secret_recovery_window_days

  tags = merge(var.tags, { Name = "${var.identifier}-user-${each.key}" })
}

resource "aws_secretsmanager_secret_version" "function_user" {
  for_each = local.function_users

  secret_id = aws_secretsmanager_secret.function_user[each.key].id
  secret_string = jsonencode({
    username = "fn_${each.key}"
    password = data.aws_secretsmanager_random_password.function_user[each.key].random_password
  })

  lifecycle {
    ignore_changes = [secret_string]
  }
}

# --- RDS Proxy: Lambda fan-out onto a bounded pool of MySQL connections -------------------------------

# Every warm Lambda container keeps its own small pool; with the proxy in between, MySQL sees at most
# max_connections_percent of max_connections however many containers run (docs/deploy.md has the arithmetic).
# The proxy signs in to MySQL with the same RDS-managed secret the functions read, and the functions sign in to
# the proxy with it too (IAM authentication off), so one credential path works with and without the proxy.

locals {
  proxy_enabled = var.proxy_enabled
  proxy_count   = local.proxy_enabled ? 1 : 0
  secret_arn    = aws_db_instance.this.master_user_secret[0].secret_arn

  function_users       = toset(var.function_users)
  function_secret_arns = { for k, s in aws_secretsmanager_secret.function_user : k => s.arn }
}

data "aws_region" "current" {}

data "aws_iam_policy_document" "proxy_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "proxy" {
  count = local.proxy_count

  name_prefix        = "${var.identifier}-proxy-"
  description        = "RDS Proxy of ${var.identifier}: reads the database users' secrets only"
  assume_role_policy = data.aws_iam_policy_document.proxy_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "proxy" {
  statement {
    sid       = "ReadTheDatabaseUserSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = concat([local.secret_arn], values(local.function_secret_arns))
  }

  # With a customer managed key the secret is encrypted under it; the AWS managed aws/secretsmanager key needs no
  # grant of ours.
  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "DecryptTheSecretThroughSecretsManager"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${data.aws_region.current.name}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "proxy" {
  count = local.proxy_count

  name   = "read-database-user-secrets"
  role   = aws_iam_role.proxy[0].id
  policy = data.aws_iam_policy_document.proxy.json
}

resource "aws_security_group" "proxy" {
  count = local.proxy_count

  name_prefix = "${var.identifier}-proxy-"
  description = "RDS Proxy of ${var.identifier}: MySQL from the clients, MySQL to the instance, HTTPS to Secrets Manager"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.identifier}-proxy" })

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = var.vpc_id != null && length(var.proxy_client_security_group_ids) > 0 && var.secrets_manager_endpoint_security_group_id != null
      error_message = "proxy_enabled needs vpc_id, proxy_client_security_group_ids and secrets_manager_endpoint_security_group_id."
    }
  }
}

resource "aws_vpc_security_group_ingress_rule" "proxy_from_clients" {
  count = local.proxy_enabled ? length(var.proxy_client_security_group_ids) : 0

  security_group_id            = aws_security_group.proxy[0].id
  description                  = "MySQL from the proxy's clients"
  ip_protocol                  = "tcp"
  from_port                    = 3306
  to_port                      = 3306
  referenced_security_group_id = var.proxy_client_security_group_ids[count.index]
}

resource "aws_vpc_security_group_egress_rule" "clients_to_proxy" {
  count = local.proxy_enabled ? length(var.proxy_client_security_group_ids) : 0

  security_group_id            = var.proxy_client_security_group_ids[count.index]
  description                  = "MySQL to the RDS Proxy of ${var.identifier}"
  ip_protocol                  = "tcp"
  from_port                    = 3306
  to_port                      = 3306
  referenced_security_group_id = aws_security_group.proxy[0].id
}

resource "aws_vpc_security_group_egress_rule" "proxy_to_database" {
  count = local.proxy_enabled ? length(var.security_group_ids) : 0

  security_group_id            = aws_security_group.proxy[0].id
  description                  = "MySQL to the instance"
  ip_protocol                  = "tcp"
  from_port                    = 3306
  to_port                      = 3306
  referenced_security_group_id = var.security_group_ids[count.index]
}

resource "aws_vpc_security_group_ingress_rule" "database_from_proxy" {
  count = local.proxy_enabled ? length(var.security_group_ids) : 0

  security_group_id            = var.security_group_ids[count.index]
  description                  = "MySQL from the RDS Proxy"
  ip_protocol                  = "tcp"
  from_port                    = 3306
  to_port                      = 3306
  referenced_security_group_id = aws_security_group.proxy[0].id
}

# The proxy fetches the secret from inside the VPC: through the Secrets Manager interface endpoint.
resource "aws_vpc_security_group_egress_rule" "proxy_to_secrets_manager" {
  count = local.proxy_count

  security_group_id            = aws_security_group.proxy[0].id
  description                  = "HTTPS to the Secrets Manager interface endpoint"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = var.secrets_manager_endpoint_security_group_id
}

resource "aws_vpc_security_group_ingress_rule" "secrets_manager_from_proxy" {
  count = local.proxy_count

  security_group_id            = var.secrets_manager_endpoint_security_group_id
  description                  = "HTTPS from the RDS Proxy of ${var.identifier}"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.proxy[0].id
}

resource "aws_db_proxy" "this" {
  count = local.proxy_count

  name                   = "${var.identifier}-proxy"
  engine_family          = "MYSQL"
  require_tls            = true
  role_arn               = aws_iam_role.proxy[0].arn
  vpc_subnet_ids         = var.subnet_ids
  vpc_security_group_ids = [aws_security_group.proxy[0].id]
  idle_client_timeout    = var.proxy_idle_client_timeout
  debug_logging          = false

  # The functions present the secret's user name and password over TLS, exactly as they do to the instance when
  # the proxy is off; IAM authentication would need a second, token-signing sign-in path in the driver.
  auth {
    auth_scheme = "SECRETS"
    description = "The RDS-managed master user secret"
    iam_auth    = "DISABLED"
    secret_arn  = local.secret_arn
  }

  # One per function user: the proxy signs a client in with the user and password of the secret whose user
  # name it presents, and opens MySQL connections as that user.
  dynamic "auth" {
    for_each = local.function_secret_arns

    content {
      auth_scheme = "SECRETS"
      description = "MySQL user of the ${auth.key} function"
      iam_auth    = "DISABLED"
      secret_arn  = auth.value
    }
  }

  tags = merge(var.tags, { Name = "${var.identifier}-proxy" })

  depends_on = [aws_iam_role_policy.proxy, aws_vpc_security_group_egress_rule.proxy_to_secrets_manager]
}

resource "aws_db_proxy_default_target_group" "this" {
  count = local.proxy_count

  db_proxy_name = aws_db_proxy.this[0].name

  # The functions' driver sets time_zone = '+00:00' on every new connection (internal/mysql). A SET would pin the
  # client to one MySQL connection for good; every MySQL connection of the proxy starts with that same SET instead,
  # so the client's may be excluded from pinning without any session seeing another time zone. The functions
  # send no other SET, and no server-side prepared statement (they interpolate parameters).
  connection_pool_config {
    connection_borrow_timeout    = var.proxy_connection_borrow_timeout
    max_connections_percent      = var.proxy_max_connections_percent
    max_idle_connections_percent = var.proxy_max_idle_connections_percent
    init_query                   = "SET time_zone = '+00:00'"
    session_pinning_filters      = ["EXCLUDE_VARIABLE_SETS"]
  }
}

resource "aws_db_proxy_target" "this" {
  count = local.proxy_count

  db_proxy_name          = aws_db_proxy.this[0].name
  target_group_name      = aws_db_proxy_default_target_group.this[0].name
  db_instance_identifier = aws_db_instance.this.identifier
}
