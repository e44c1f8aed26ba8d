# terraform test for the foundation usecase and its database module: plans with a mocked AWS provider, so
# no account, no credentials and nothing created (.ci/terraform.sh runs it; by hand:
# terraform -chdir=terraform/usecases/foundation init -backend=false && terraform -chdir=terraform/usecases/foundation test).

# Data sources answer as an account would, so that ARNs, zones and account ids look real.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
      arn        = "arn:aws:iam::123456789012:user/ci"
      user_id    = "AIDAEXAMPLEUSERID"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition          = "aws"
      dns_suffix         = "amazonaws.com"
      reverse_dns_prefix = "com.amazonaws"
    }
  }
  mock_data "aws_region" {
    defaults = {
      name        = "eu-west-1"
      endpoint    = "ec2.eu-west-1.amazonaws.com"
      description = "Europe (Ireland)"
    }
  }
  mock_data "aws_availability_zones" {
    defaults = {
      names    = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
      zone_ids = ["euw1-az1", "euw1-az2", "euw1-az3"]
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
  # What a mocked apply creates: ARNs the provider validates must look like ARNs.
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/mock-role"
    }
  }
  mock_resource "aws_db_proxy_default_target_group" {
    defaults = {
      name = "default"
    }
  }
  # The proxy's auth entries must be ARNs (the provider checks them), and a mocked secret's would be random text.
  mock_resource "aws_secretsmanager_secret" {
    defaults = {
      arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-AbCdEf"
    }
  }
  mock_data "aws_ssm_parameter" {
    defaults = {
      value = "ami-0123456789abcdef0"
      type  = "String"
    }
  }
}

variables {
  region    = "eu-west-1"
  ssh_cidrs = []
}

# --- The whole usecase ------------------------------------------------------------------

run "foundation_with_proxy" {
  command = plan

  assert {
    condition     = output.db_proxy_enabled == true
    error_message = "The RDS Proxy is on by default (db_proxy_enabled)."
  }

  assert {
    condition     = output.db_max_connections == 85
    error_message = "db.t4g.micro has 1 GiB: max_connections is at most 1073741824 / 12582880 = 85, got ${output.db_max_connections}."
  }

  assert {
    condition     = output.name == "delivery-prod"
    error_message = "Resources are named <project>-<environment>."
  }

  assert {
    condition     = aws_kms_key.data.enable_key_rotation && aws_kms_key.logs.enable_key_rotation
    error_message = "Both KMS keys rotate."
  }

  assert {
    condition     = module.database.parameter_group_family == "mysql8.4"
    error_message = "The foundation runs MySQL 8.4 (its parameter group family is mysql8.4), got ${module.database.parameter_group_family}."
  }

  assert {
    condition     = output.db_engine_lifecycle_support == "open-source-rds-extended-support-disabled"
    error_message = "The foundation's database is not enrolled in RDS Extended Support unless someone decides it."
  }

  assert {
    condition     = toset(keys(output.db_user_secret_arns)) == toset(["listproducts", "priceorder", "updateproduct", "placeorder", "fulfilment", "signin", "authorizer", "imageprocessor"])
    error_message = "Every VPC function of the backend but migrate has a MySQL user secret of its own."
  }
}

run "foundation_without_proxy" {
  command = plan

  variables {
    db_proxy_enabled = false
  }

  assert {
    condition     = output.db_proxy_enabled == false
    error_message = "db_proxy_enabled = false turns the proxy off."
  }
}

run "foundation_refuses_an_unknown_extended_support_setting" {
  command = plan

  variables {
    db_engine_lifecycle_support = "extended"
  }

  expect_failures = [var.db_engine_lifecycle_support]
}

run "foundation_refuses_mysql_5_7" {
  command = plan

  variables {
    db_engine_version = "5.7"
  }

  expect_failures = [var.db_engine_version]
}

# --- The database module, as the foundation calls it ------------------------------------

run "database" {
  command = plan

  module {
    source = "../../modules/database"
  }

  variables {
    identifier                                 = "delivery-prod-mysql"
    subnet_ids                                 = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
    security_group_ids                         = ["sg-0123456789abcdef0"]
    kms_key_arn                                = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    vpc_id                                     = "vpc-0123456789abcdef0"
    proxy_client_security_group_ids            = ["sg-0aaaaaaaaaaaaaaaa"]
    secrets_manager_endpoint_security_group_id = "sg-0bbbbbbbbbbbbbbbb"
  }

  assert {
    condition     = aws_db_instance.this.engine == "mysql" && aws_db_instance.this.engine_version == "8.4"
    error_message = "The database is MySQL 8.4 (LTS) by default, got ${aws_db_instance.this.engine} ${aws_db_instance.this.engine_version}."
  }

  assert {
    condition     = aws_db_instance.this.engine_lifecycle_support == "open-source-rds-extended-support-disabled"
    error_message = "A new instance must not be enrolled in RDS Extended Support unless someone decides it."
  }

  assert {
    condition     = aws_db_instance.this.allow_major_version_upgrade == false
    error_message = "A major version upgrade happens only when asked for (allow_major_version_upgrade)."
  }

  assert {
    condition     = aws_db_parameter_group.this.family == "mysql8.4"
    error_message = "The parameter group family follows the engine version: mysql8.4, got ${aws_db_parameter_group.this.family}."
  }

  assert {
    condition     = { for p in aws_db_parameter_group.this.parameter : p.name => p.value } == { require_secure_transport = "ON", character_set_server = "utf8mb4", collation_server = "utf8mb4_0900_ai_ci" }
    error_message = "The parameter group requires TLS and sets utf8mb4, and nothing 8.4 does not know."
  }

  assert {
    condition     = aws_db_instance.this.storage_encrypted && !aws_db_instance.this.publicly_accessible && aws_db_instance.this.manage_master_user_password
    error_message = "The instance is encrypted, private, and RDS manages its password."
  }

  assert {
    condition     = aws_db_proxy.this[0].require_tls == true
    error_message = "The RDS Proxy must require TLS from its clients."
  }

  assert {
    condition     = aws_db_proxy.this[0].engine_family == "MYSQL"
    error_message = "The RDS Proxy's engine family stays MYSQL (it covers 8.4)."
  }

  assert {
    condition     = aws_db_proxy_default_target_group.this[0].connection_pool_config[0].max_connections_percent == 75 && aws_db_proxy_default_target_group.this[0].connection_pool_config[0].connection_borrow_timeout == 1
    error_message = "The proxy keeps a quarter of max_connections for RDS and operators and sheds load after 1 s."
  }
}

run "database_family_follows_a_minor_version" {
  command = plan

  module {
    source = "../../modules/database"
  }

  variables {
    identifier         = "delivery-prod-mysql"
    subnet_ids         = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
    security_group_ids = ["sg-0123456789abcdef0"]
    proxy_enabled      = false
    engine_version     = "8.4.6"
  }

  assert {
    condition     = aws_db_parameter_group.this.family == "mysql8.4"
    error_message = "8.4.6 belongs to the mysql8.4 family, got ${aws_db_parameter_group.this.family}."
  }

  assert {
    condition     = length(aws_db_proxy.this) == 0
    error_message = "proxy_enabled = false creates no proxy."
  }
}

run "database_enrolment_is_a_decision" {
  command = plan

  module {
    source = "../../modules/database"
  }

  variables {
    identifier               = "delivery-prod-mysql"
    subnet_ids               = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
    security_group_ids       = ["sg-0123456789abcdef0"]
    proxy_enabled            = false
    engine_lifecycle_support = "open-source-rds-extended-support"
  }

  assert {
    condition     = aws_db_instance.this.engine_lifecycle_support == "open-source-rds-extended-support"
    error_message = "engine_lifecycle_support is passed to the instance as set."
  }
}

# Mocked apply (nothing is created: the provider is mocked). Before Terraform 1.11, values the provider
# computes, such as the master user secret's ARN inside the proxy's auth block, are known only after apply.
run "database_proxy_signs_in_with_the_rds_secret" {
  command = apply

  module {
    source = "../../modules/database"
  }

  variables {
    identifier                                 = "delivery-prod-mysql"
    subnet_ids                                 = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
    security_group_ids                         = ["sg-0123456789abcdef0"]
    kms_key_arn                                = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    vpc_id                                     = "vpc-0123456789abcdef0"
    proxy_client_security_group_ids            = ["sg-0aaaaaaaaaaaaaaaa"]
    secrets_manager_endpoint_security_group_id = "sg-0bbbbbbbbbbbbbbbb"
  }

  override_resource {
    target = aws_db_instance.this
    values = {
      master_user_secret = [{
        secret_arn    = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-11111111-2222-3333-4444-555555555555-AbCdEf"
        kms_key_id    = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
        secret_status = "active"
      }]
    }
  }

  assert {
    condition     = tolist(aws_db_proxy.this[0].auth)[0].auth_scheme == "SECRETS" && tolist(aws_db_proxy.this[0].auth)[0].iam_auth == "DISABLED"
    error_message = "The proxy signs in with the RDS-managed secret, IAM authentication off."
  }

  assert {
    condition     = tolist(aws_db_proxy.this[0].auth)[0].secret_arn == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-11111111-2222-3333-4444-555555555555-AbCdEf"
    error_message = "The proxy reads the instance's own master user secret."
  }

  assert {
    condition = [for s in data.aws_iam_policy_document.proxy.statement : [s.actions, s.resources]] == [
      [toset(["secretsmanager:GetSecretValue"]), toset(["arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-11111111-2222-3333-4444-555555555555-AbCdEf"])],
      [toset(["kms:Decrypt"]), toset(["arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"])],
    ]
    error_message = "The proxy's role may read that one secret and decrypt with that one key, nothing else."
  }
}

# The instance of the previous run exists, not enrolled. RDS would ignore a change of enrolment, so the module
# does too, and the plan stops: an enrolment that differs from the variable must be decided, not billed unseen.
run "database_enrolment_cannot_change_in_place" {
  command = plan

  module {
    source = "../../modules/database"
  }

  variables {
    identifier                                 = "delivery-prod-mysql"
    subnet_ids                                 = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
    security_group_ids                         = ["sg-0123456789abcdef0"]
    kms_key_arn                                = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    vpc_id                                     = "vpc-0123456789abcdef0"
    proxy_client_security_group_ids            = ["sg-0aaaaaaaaaaaaaaaa"]
    secrets_manager_endpoint_security_group_id = "sg-0bbbbbbbbbbbbbbbb"
    engine_lifecycle_support                   = "open-source-rds-extended-support"
  }

  expect_failures = [aws_db_instance.this]
}

# Each function user: a secret of its own with the RDS secret's shape, an auth entry of the proxy, and the proxy's
# role may read it.
run "database_function_users" {
  command = apply

  module {
    source = "../../modules/database"
  }

  variables {
    identifier                                 = "delivery-prod-mysql"
    subnet_ids                                 = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
    security_group_ids                         = ["sg-0123456789abcdef0"]
    kms_key_arn                                = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    vpc_id                                     = "vpc-0123456789abcdef0"
    proxy_client_security_group_ids            = ["sg-0aaaaaaaaaaaaaaaa"]
    secrets_manager_endpoint_security_group_id = "sg-0bbbbbbbbbbbbbbbb"
    function_users                             = ["listproducts", "signin"]
  }

  override_resource {
    target = aws_db_instance.this
    values = {
      master_user_secret = [{
        secret_arn    = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-11111111-2222-3333-4444-555555555555-AbCdEf"
        kms_key_id    = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
        secret_status = "active"
      }]
    }
  }

  assert {
    condition     = { for k, v in aws_secretsmanager_secret_version.function_user : k => jsondecode(v.secret_string).username } == { listproducts = "fn_listproducts", signin = "fn_signin" }
    error_message = "Each function user's secret names its MySQL user, fn_<function>."
  }

  assert {
    condition     = alltrue([for v in aws_secretsmanager_secret_version.function_user : toset(keys(jsondecode(v.secret_string))) == toset(["username", "password"]) && jsondecode(v.secret_string).password != ""])
    error_message = "A function user's secret is {\"username\",\"password\"}, like the RDS-managed one."
  }

  assert {
    condition     = alltrue([for s in aws_secretsmanager_secret.function_user : s.kms_key_id == "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"])
    error_message = "The function users' secrets are encrypted with the data key."
  }

  assert {
    condition     = toset([for a in aws_db_proxy.this[0].auth : a.secret_arn]) == toset(concat(["arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-11111111-2222-3333-4444-555555555555-AbCdEf"], values(output.function_user_secret_arns))) && alltrue([for a in aws_db_proxy.this[0].auth : a.auth_scheme == "SECRETS" && a.iam_auth == "DISABLED"])
    error_message = "The proxy signs in the master user and every function user, each with its own secret."
  }

  assert {
    condition     = one([for s in data.aws_iam_policy_document.proxy.statement : s.resources if contains(s.actions, "secretsmanager:GetSecretValue")]) == toset(concat(["arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-11111111-2222-3333-4444-555555555555-AbCdEf"], values(output.function_user_secret_arns)))
    error_message = "The proxy's role may read the master secret and the function users' secrets, no other."
  }
}

run "database_refuses_a_long_function_user" {
  command = plan

  module {
    source = "../../modules/database"
  }

  variables {
    identifier         = "delivery-prod-mysql"
    subnet_ids         = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
    security_group_ids = ["sg-0123456789abcdef0"]
    proxy_enabled      = false
    function_users     = ["a-function-name-that-mysql-would-refuse"]
  }

  expect_failures = [var.function_users]
}
