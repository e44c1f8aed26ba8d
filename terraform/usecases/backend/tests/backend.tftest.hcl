# terraform test for the backend usecase, with a mocked AWS provider: no account, no credentials, nothing
# created (.ci/terraform.sh runs it; by hand: terraform -chdir=terraform/usecases/backend init -backend=false
# && terraform -chdir=terraform/usecases/backend test).
#
# setup.sh applies the backend in two passes: before the storefront exists (no SMS notifier, no CORS origin,
# no photo reader) and again once it does. Both are planned here, and the functions' IAM is checked statement
# by statement: what each role may do, and nothing more (docs/deploy.md, "The functions and what each may do").

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
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  # What a mocked apply creates: ARNs the provider validates, or the modules' variables check, must look real.
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/mock-role"
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:eu-west-1:123456789012:function:mock"
      invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:mock/invocations"
    }
  }
  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::mock-bucket"
    }
  }
  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:eu-west-1:123456789012:mock"
    }
  }
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:eu-west-1:123456789012:mock"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:mock"
    }
  }
  mock_resource "aws_api_gateway_rest_api" {
    defaults = {
      arn           = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5"
      execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"
    }
  }
  # The origin secret: Secrets Manager's generator would give 48 characters.
  mock_data "aws_secretsmanager_random_password" {
    defaults = {
      random_password = "0123456789abcdefghijABCDEFGHIJ0123456789abcdefgh"
    }
  }
  mock_resource "aws_api_gateway_stage" {
    defaults = {
      arn = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/stages/v1"
    }
  }
  mock_resource "aws_wafv2_web_acl" {
    defaults = {
      arn = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/delivery-prod-api-origin/11111111-2222-3333-4444-555555555555"
    }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = {
      arn = "arn:aws:events:eu-west-1:123456789012:rule/mock"
    }
  }
  mock_resource "aws_location_route_calculator" {
    defaults = {
      calculator_arn = "arn:aws:geo:eu-west-1:123456789012:route-calculator/mock"
    }
  }
}

variables {
  region       = "eu-west-1"
  state_bucket = "delivery-tfstate-123456789012-eu-west-1"
  # Empty stand-ins for the zips and the CA bundle setup.sh build makes: one per lambdas/* function.
  build_dir = "tests/fixtures"
}

# The foundation's outputs, as its state holds them after an apply.
override_data {
  target = data.terraform_remote_state.foundation
  values = {
    outputs = {
      name                     = "delivery-prod"
      region                   = "eu-west-1"
      vpc_id                   = "vpc-0123456789abcdef0"
      private_subnet_ids       = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
      private_s3_endpoint_id   = "vpce-0123456789abcdef0"
      lambda_security_group_id = "sg-0123456789abcdef0"
      logs_kms_key_arn         = "arn:aws:kms:eu-west-1:123456789012:key/10000000-0000-0000-0000-000000000000"
      data_kms_key_arn         = "arn:aws:kms:eu-west-1:123456789012:key/20000000-0000-0000-0000-000000000000"
      db_instance_id           = "delivery-prod-mysql"
      db_address               = "delivery-prod-mysql.c0abcdefghij.eu-west-1.rds.amazonaws.com"
      db_host                  = "delivery-prod-mysql-proxy.proxy-c0abcdefghij.eu-west-1.rds.amazonaws.com"
      db_proxy_enabled         = true
      db_max_connections       = 85
      db_port                  = 3306
      db_name                  = "delivery"
      db_secret_arn            = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-11111111-2222-3333-4444-555555555555-AbCdEf"
      db_user_secret_arns = {
        listproducts   = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-listproducts-AbCdEf"
        priceorder     = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-priceorder-AbCdEf"
        updateproduct  = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-updateproduct-AbCdEf"
        placeorder     = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-placeorder-AbCdEf"
        fulfilment     = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-fulfilment-AbCdEf"
        signin         = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-signin-AbCdEf"
        authorizer     = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-authorizer-AbCdEf"
        imageprocessor = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-imageprocessor-AbCdEf"
      }
    }
  }
}

# --- First pass: the storefront does not exist yet ----------------------------------------

run "first_pass" {
  command = plan

  # What terraform_remote_state gives without a storefront state: its defaults.
  override_data {
    target = data.terraform_remote_state.storefront
    values = {
      outputs = {
        storefront_origins = []
        storefront_url     = ""
        distribution_arn   = ""
      }
    }
  }

  assert {
    condition     = length(module.notifycarrier) == 0
    error_message = "Without a storefront there is no site URL for the SMS: notifycarrier must not be deployed half-configured."
  }

  assert {
    condition     = output.site_url == "" && length(output.cors_allowed_origins) == 0 && length(output.images_reader_distribution_arns) == 0
    error_message = "Before the storefront exists, no SITE_URL, no CORS origin and no CloudFront reader of the photos."
  }

  assert {
    condition     = toset(keys(module.function)) == toset(["listproducts", "priceorder", "updateproduct", "placeorder", "authorizer", "signin", "fulfilment", "imageprocessor", "migrate"])
    error_message = "The nine VPC functions are deployed in the first pass."
  }

  assert {
    condition     = local.vpc_functions.placeorder.environment.NOTIFY_FUNCTION_NAME == "arn:aws:lambda:eu-west-1:123456789012:function:delivery-prod-notifycarrier"
    error_message = "placeorder hands offers to notifycarrier by ARN even before notifycarrier exists (its sweep retries)."
  }

  assert {
    condition     = local.db_env.DB_HOST == "delivery-prod-mysql-proxy.proxy-c0abcdefghij.eu-west-1.rds.amazonaws.com"
    error_message = "The functions connect to the RDS Proxy when the foundation has one."
  }

  assert {
    condition     = output.manages_account_settings == true
    error_message = "The first environment owns the account-wide API Gateway and SMS settings by default."
  }

  assert {
    condition     = aws_location_route_calculator.routes.calculator_name == "delivery-prod-routes" && aws_location_route_calculator.routes.data_source == "Here"
    error_message = "One route calculator per environment, on Here (AWS's service terms forbid Esri for routing delivery vehicles)."
  }

  assert {
    condition = alltrue([for k in ["listproducts", "priceorder", "placeorder", "fulfilment"] : {
      for name in ["MARKET_TIMEZONE", "DELIVERY_FEE_BASE", "DELIVERY_FEE_PER_KM", "DELIVERY_MAX_KM"] : name => lookup(local.vpc_functions[k].environment, name, null)
      } == {
      MARKET_TIMEZONE = "Europe/Lisbon", DELIVERY_FEE_BASE = "1.50", DELIVERY_FEE_PER_KM = "0.40", DELIVERY_MAX_KM = "15"
    }])
    error_message = "listproducts, priceorder, placeorder and fulfilment get the delivery settings, with docs/delivery.md's defaults."
  }

  assert {
    condition = alltrue([for k, f in local.vpc_functions :
      lookup(f.environment, "ROUTE_CALCULATOR_NAME", null) == (contains(["priceorder", "placeorder"], k) ? "delivery-prod-routes" : null) &&
      !contains(keys(f.environment), "ROUTE_TIMEOUT")
    ])
    error_message = "priceorder and placeorder alone route deliveries, with the functions' default timeout unless route_timeout is set."
  }
}

# The delivery settings an operator sets reach the functions as they are.
run "delivery_settings" {
  command = plan

  override_data {
    target = data.terraform_remote_state.storefront
    values = {
      outputs = {
        storefront_origins = []
        storefront_url     = ""
        distribution_arn   = ""
      }
    }
  }

  variables {
    market_timezone     = "America/Sao_Paulo"
    delivery_fee_base   = "5"
    delivery_fee_per_km = "1.25"
    delivery_max_km     = 0
    route_timeout       = "1.5s"
  }

  assert {
    condition = (
      local.vpc_functions.priceorder.environment.MARKET_TIMEZONE == "America/Sao_Paulo" &&
      local.vpc_functions.placeorder.environment.DELIVERY_FEE_BASE == "5" &&
      local.vpc_functions.fulfilment.environment.DELIVERY_FEE_PER_KM == "1.25" &&
      local.vpc_functions.listproducts.environment.DELIVERY_MAX_KM == "0"
    )
    error_message = "The delivery variables reach the functions' environment."
  }

  assert {
    condition     = local.vpc_functions.priceorder.environment.ROUTE_TIMEOUT == "1.5s" && local.vpc_functions.placeorder.environment.ROUTE_TIMEOUT == "1.5s"
    error_message = "route_timeout reaches priceorder and placeorder as ROUTE_TIMEOUT."
  }
}

# A timeout the functions would refuse at start is refused at plan.
run "route_timeout_out_of_range" {
  command = plan

  override_data {
    target = data.terraform_remote_state.storefront
    values = {
      outputs = {
        storefront_origins = []
        storefront_url     = ""
        distribution_arn   = ""
      }
    }
  }

  variables {
    route_timeout = "30s"
  }

  expect_failures = [var.route_timeout]
}

# Dispatch settings the functions would refuse at start are refused at plan.
run "dispatch_settings_out_of_range" {
  command = plan

  override_data {
    target = data.terraform_remote_state.storefront
    values = {
      outputs = {
        storefront_origins = []
        storefront_url     = ""
        distribution_arn   = ""
      }
    }
  }

  variables {
    dispatch_mode         = "nearest"
    dispatch_wave_size    = 0
    dispatch_wave_seconds = 901
    dispatch_max_waves    = 21
    dispatch_radius_km    = 0
    vapid_subject         = "ops@example.com"
  }

  expect_failures = [var.dispatch_mode, var.dispatch_wave_size, var.dispatch_wave_seconds, var.dispatch_max_waves, var.dispatch_radius_km, var.vapid_subject]
}

# --- Second pass: the storefront exists ----------------------------------------------------

run "second_pass" {
  command = plan

  override_data {
    target = data.terraform_remote_state.storefront
    values = {
      outputs = {
        storefront_origins = ["https://d111111abcdef8.cloudfront.net"]
        storefront_url     = "https://d111111abcdef8.cloudfront.net"
        distribution_arn   = "arn:aws:cloudfront::123456789012:distribution/E2QWRUHEXAMPLE"
      }
    }
  }

  assert {
    condition     = keys(module.notifycarrier) == ["notifycarrier"]
    error_message = "Once the storefront exists, the second pass deploys notifycarrier."
  }

  assert {
    condition     = output.site_url == "https://d111111abcdef8.cloudfront.net"
    error_message = "SITE_URL is the storefront's URL."
  }

  assert {
    condition     = tolist(output.cors_allowed_origins) == tolist(["https://d111111abcdef8.cloudfront.net"])
    error_message = "The storefront's origin is allowed by CORS (API and uploads bucket)."
  }

  assert {
    condition     = tolist(output.images_reader_distribution_arns) == tolist(["arn:aws:cloudfront::123456789012:distribution/E2QWRUHEXAMPLE"])
    error_message = "The storefront's distribution alone may read the photos."
  }

  assert {
    condition     = local.api_env.CORS_ALLOWED_ORIGINS == "https://d111111abcdef8.cloudfront.net"
    error_message = "The API functions get the storefront's origin in CORS_ALLOWED_ORIGINS."
  }
}

# --- The functions' IAM, statement by statement ------------------------------------------

# A mocked apply (the provider is mocked: nothing is created). Before Terraform 1.11 the values overridden
# below (bucket, key, secret, queue and topic ARNs) are known only after apply, and the policies name them.
# Each role's least-privilege policy is checked through the statements it is built from (policy_statements;
# lambda_function_policy below checks that the policy document holds exactly those).
run "functions_iam" {
  command = apply

  override_data {
    target = data.terraform_remote_state.storefront
    values = {
      outputs = {
        storefront_origins = ["https://d111111abcdef8.cloudfront.net"]
        storefront_url     = "https://d111111abcdef8.cloudfront.net"
        distribution_arn   = "arn:aws:cloudfront::123456789012:distribution/E2QWRUHEXAMPLE"
      }
    }
  }

  override_resource {
    target = module.photos.module.uploads.aws_s3_bucket.this
    values = {
      id                          = "delivery-prod-uploads-abc123"
      bucket                      = "delivery-prod-uploads-abc123"
      arn                         = "arn:aws:s3:::delivery-prod-uploads-abc123"
      bucket_regional_domain_name = "delivery-prod-uploads-abc123.s3.eu-west-1.amazonaws.com"
    }
  }
  override_resource {
    target = module.photos.module.images.aws_s3_bucket.this
    values = {
      id     = "delivery-prod-images-abc123"
      bucket = "delivery-prod-images-abc123"
      arn    = "arn:aws:s3:::delivery-prod-images-abc123"
    }
  }
  override_resource {
    target = module.photos.aws_kms_key.images
    values = { arn = "arn:aws:kms:eu-west-1:123456789012:key/30000000-0000-0000-0000-000000000000" }
  }
  override_resource {
    target = aws_kms_key.app
    values = { arn = "arn:aws:kms:eu-west-1:123456789012:key/40000000-0000-0000-0000-000000000000" }
  }
  override_resource {
    target = aws_secretsmanager_secret.jwt_signing
    values = { arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod/jwt-signing-key-AbCdEf" }
  }
  override_resource {
    target = aws_secretsmanager_secret.jwt_public
    values = { arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod/jwt-public-key-GhIjKl" }
  }
  override_resource {
    target = aws_sqs_queue.notify_dlq
    values = { arn = "arn:aws:sqs:eu-west-1:123456789012:delivery-prod-notifycarrier-dlq" }
  }
  override_resource {
    target = aws_sqs_queue.photos_dlq
    values = { arn = "arn:aws:sqs:eu-west-1:123456789012:delivery-prod-imageprocessor-dlq" }
  }
  override_resource {
    target = aws_sqs_queue.dispatch
    values = {
      arn = "arn:aws:sqs:eu-west-1:123456789012:delivery-prod-dispatch-waves"
      url = "https://sqs.eu-west-1.amazonaws.com/123456789012/delivery-prod-dispatch-waves"
    }
  }
  override_resource {
    target = aws_sqs_queue.dispatch_dlq
    values = { arn = "arn:aws:sqs:eu-west-1:123456789012:delivery-prod-dispatch-waves-dlq" }
  }
  override_resource {
    target = aws_secretsmanager_secret.vapid_private
    values = { arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod/vapid-private-key-MnOpQr" }
  }
  override_resource {
    target = aws_secretsmanager_secret.vapid_public
    values = { arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod/vapid-public-key-StUvWx" }
  }
  override_resource {
    target = module.sms.aws_sns_topic.this
    values = { arn = "arn:aws:sns:eu-west-1:123456789012:delivery-prod-carrier-sms" }
  }
  override_resource {
    target = module.sms.aws_kms_key.this
    values = { arn = "arn:aws:kms:eu-west-1:123456789012:key/50000000-0000-0000-0000-000000000000" }
  }
  override_resource {
    target = aws_location_route_calculator.routes
    values = { calculator_arn = "arn:aws:geo:eu-west-1:123456789012:route-calculator/delivery-prod-routes" }
  }

  # Every function: its own role, X-Ray, and ENI management when in the VPC.
  assert {
    condition     = length(distinct([for f in module.function : f.role_name])) == 9
    error_message = "Every function has a role of its own."
  }

  assert {
    condition = alltrue([for f in module.function : tolist(f.managed_policy_arns) == tolist([
      "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
      "arn:aws:iam::aws:policy/service-role/AWSLambdaENIManagementAccess",
    ])])
    error_message = "The VPC functions get X-Ray and ENI management, and no other managed policy."
  }

  assert {
    condition     = tolist(module.notifycarrier["notifycarrier"].managed_policy_arns) == tolist(["arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"])
    error_message = "notifycarrier runs outside the VPC: X-Ray only."
  }

  # Direct SMS: signin, fulfilment and notifycarrier only (the direct-sms-only policy; its content is checked
  # below, in lambda_function_direct_sms and lambda_function_direct_sms_with_topics).
  assert {
    condition     = alltrue([for k, f in module.function : tolist(f.inline_policy_names) == tolist(contains(["signin", "fulfilment"], k) ? ["least-privilege", "direct-sms-only"] : ["least-privilege"])]) && tolist(module.notifycarrier["notifycarrier"].inline_policy_names) == tolist(["least-privilege", "direct-sms-only"])
    error_message = "Only signin, fulfilment and notifycarrier may send direct SMS; every role has its least-privilege policy."
  }

  assert {
    condition = jsonencode(module.function["listproducts"].policy_statements) == jsonencode([
      { sid = "WriteOwnLogs", effect = "Allow", actions = ["logs:CreateLogStream", "logs:PutLogEvents"], resources = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/delivery-prod-listproducts:log-stream:*"] },
      { sid = "ReadDatabaseSecret", effect = "Allow", actions = ["secretsmanager:GetSecretValue"], resources = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-listproducts-AbCdEf"] },
      { sid = "DecryptDatabaseSecret", effect = "Allow", actions = ["kms:Decrypt"], resources = ["arn:aws:kms:eu-west-1:123456789012:key/20000000-0000-0000-0000-000000000000"] },
    ])
    error_message = "listproducts may write its own logs and read its own database user's secret, nothing else: ${jsonencode(module.function["listproducts"].policy_statements)}"
  }

  assert {
    condition = jsonencode(module.function["fulfilment"].policy_statements) == jsonencode([
      { sid = "WriteOwnLogs", effect = "Allow", actions = ["logs:CreateLogStream", "logs:PutLogEvents"], resources = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/delivery-prod-fulfilment:log-stream:*"] },
      { sid = "ReadDatabaseSecret", effect = "Allow", actions = ["secretsmanager:GetSecretValue"], resources = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-fulfilment-AbCdEf"] },
      { sid = "DecryptDatabaseSecret", effect = "Allow", actions = ["kms:Decrypt"], resources = ["arn:aws:kms:eu-west-1:123456789012:key/20000000-0000-0000-0000-000000000000"] },
      { sid = "TimeWaves", effect = "Allow", actions = ["sqs:SendMessage"], resources = ["arn:aws:sqs:eu-west-1:123456789012:delivery-prod-dispatch-waves"] },
      { sid = "EncryptWaveTimers", effect = "Allow", actions = ["kms:GenerateDataKey", "kms:Decrypt"], resources = ["arn:aws:kms:eu-west-1:123456789012:key/40000000-0000-0000-0000-000000000000"] },
      { sid = "ReadVapidPublicKey", effect = "Allow", actions = ["secretsmanager:GetSecretValue"], resources = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod/vapid-public-key-StUvWx"] },
      { sid = "DecryptVapidPublicKey", effect = "Allow", actions = ["kms:Decrypt"], resources = ["arn:aws:kms:eu-west-1:123456789012:key/40000000-0000-0000-0000-000000000000"] },
    ])
    error_message = "fulfilment may time the next wave of a released order and read the VAPID public key, never the private one (its SMS are in its direct-SMS policy): ${jsonencode(module.function["fulfilment"].policy_statements)}"
  }

  assert {
    condition = jsonencode(module.function["priceorder"].policy_statements) == jsonencode([
      { sid = "WriteOwnLogs", effect = "Allow", actions = ["logs:CreateLogStream", "logs:PutLogEvents"], resources = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/delivery-prod-priceorder:log-stream:*"] },
      { sid = "ReadDatabaseSecret", effect = "Allow", actions = ["secretsmanager:GetSecretValue"], resources = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-priceorder-AbCdEf"] },
      { sid = "DecryptDatabaseSecret", effect = "Allow", actions = ["kms:Decrypt"], resources = ["arn:aws:kms:eu-west-1:123456789012:key/20000000-0000-0000-0000-000000000000"] },
      { sid = "CalculateDeliveryRoutes", effect = "Allow", actions = ["geo:CalculateRouteMatrix"], resources = ["arn:aws:geo:eu-west-1:123456789012:route-calculator/delivery-prod-routes"] },
    ])
    error_message = "priceorder may calculate route matrices on the environment's calculator and nothing else: ${jsonencode(module.function["priceorder"].policy_statements)}"
  }

  assert {
    condition = jsonencode(module.function["updateproduct"].policy_statements) == jsonencode([
      { sid = "WriteOwnLogs", effect = "Allow", actions = ["logs:CreateLogStream", "logs:PutLogEvents"], resources = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/delivery-prod-updateproduct:log-stream:*"] },
      { sid = "ReadDatabaseSecret", effect = "Allow", actions = ["secretsmanager:GetSecretValue"], resources = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-updateproduct-AbCdEf"] },
      { sid = "DecryptDatabaseSecret", effect = "Allow", actions = ["kms:Decrypt"], resources = ["arn:aws:kms:eu-west-1:123456789012:key/20000000-0000-0000-0000-000000000000"] },
      { sid = "SignPhotoUploads", effect = "Allow", actions = ["s3:PutObject"], resources = ["arn:aws:s3:::delivery-prod-uploads-abc123/uploads/*"] },
    ])
    error_message = "updateproduct may only s3:PutObject under the uploads bucket's uploads/* (besides its logs and the database secret): ${jsonencode(module.function["updateproduct"].policy_statements)}"
  }

  assert {
    condition = jsonencode(module.function["placeorder"].policy_statements) == jsonencode([
      { sid = "WriteOwnLogs", effect = "Allow", actions = ["logs:CreateLogStream", "logs:PutLogEvents"], resources = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/delivery-prod-placeorder:log-stream:*"] },
      { sid = "ReadDatabaseSecret", effect = "Allow", actions = ["secretsmanager:GetSecretValue"], resources = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-placeorder-AbCdEf"] },
      { sid = "DecryptDatabaseSecret", effect = "Allow", actions = ["kms:Decrypt"], resources = ["arn:aws:kms:eu-west-1:123456789012:key/20000000-0000-0000-0000-000000000000"] },
      { sid = "NotifyCarrier", effect = "Allow", actions = ["lambda:InvokeFunction"], resources = ["arn:aws:lambda:eu-west-1:123456789012:function:delivery-prod-notifycarrier"] },
      { sid = "CalculateDeliveryRoutes", effect = "Allow", actions = ["geo:CalculateRouteMatrix"], resources = ["arn:aws:geo:eu-west-1:123456789012:route-calculator/delivery-prod-routes"] },
      { sid = "ReceiveWaveTimers", effect = "Allow", actions = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], resources = ["arn:aws:sqs:eu-west-1:123456789012:delivery-prod-dispatch-waves"] },
      { sid = "TimeWaves", effect = "Allow", actions = ["sqs:SendMessage"], resources = ["arn:aws:sqs:eu-west-1:123456789012:delivery-prod-dispatch-waves"] },
      { sid = "EncryptWaveTimers", effect = "Allow", actions = ["kms:GenerateDataKey", "kms:Decrypt"], resources = ["arn:aws:kms:eu-west-1:123456789012:key/40000000-0000-0000-0000-000000000000"] },
    ])
    error_message = "placeorder may invoke notifycarrier, calculate route matrices on the environment's calculator, and send and receive the wave timers, nothing else: ${jsonencode(module.function["placeorder"].policy_statements)}"
  }

  assert {
    condition = jsonencode(module.function["authorizer"].policy_statements) == jsonencode([
      { sid = "WriteOwnLogs", effect = "Allow", actions = ["logs:CreateLogStream", "logs:PutLogEvents"], resources = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/delivery-prod-authorizer:log-stream:*"] },
      { sid = "ReadDatabaseSecret", effect = "Allow", actions = ["secretsmanager:GetSecretValue"], resources = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-authorizer-AbCdEf"] },
      { sid = "DecryptDatabaseSecret", effect = "Allow", actions = ["kms:Decrypt"], resources = ["arn:aws:kms:eu-west-1:123456789012:key/20000000-0000-0000-0000-000000000000"] },
      { sid = "ReadJwtPublicKey", effect = "Allow", actions = ["secretsmanager:GetSecretValue"], resources = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod/jwt-public-key-GhIjKl"] },
      { sid = "DecryptJwtPublicKey", effect = "Allow", actions = ["kms:Decrypt"], resources = ["arn:aws:kms:eu-west-1:123456789012:key/40000000-0000-0000-0000-000000000000"] },
    ])
    error_message = "The authorizer may read the public key only, never the signing key: ${jsonencode(module.function["authorizer"].policy_statements)}"
  }

  assert {
    condition = jsonencode(module.function["signin"].policy_statements) == jsonencode([
      { sid = "WriteOwnLogs", effect = "Allow", actions = ["logs:CreateLogStream", "logs:PutLogEvents"], resources = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/delivery-prod-signin:log-stream:*"] },
      { sid = "ReadDatabaseSecret", effect = "Allow", actions = ["secretsmanager:GetSecretValue"], resources = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-signin-AbCdEf"] },
      { sid = "DecryptDatabaseSecret", effect = "Allow", actions = ["kms:Decrypt"], resources = ["arn:aws:kms:eu-west-1:123456789012:key/20000000-0000-0000-0000-000000000000"] },
      { sid = "ReadJwtSigningKey", effect = "Allow", actions = ["secretsmanager:GetSecretValue"], resources = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod/jwt-signing-key-AbCdEf"] },
      { sid = "DecryptJwtSigningKey", effect = "Allow", actions = ["kms:Decrypt"], resources = ["arn:aws:kms:eu-west-1:123456789012:key/40000000-0000-0000-0000-000000000000"] },
    ])
    error_message = "signin alone may read the signing key: ${jsonencode(module.function["signin"].policy_statements)}"
  }

  assert {
    condition = jsonencode(module.function["imageprocessor"].policy_statements) == jsonencode([
      { sid = "WriteOwnLogs", effect = "Allow", actions = ["logs:CreateLogStream", "logs:PutLogEvents"], resources = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/delivery-prod-imageprocessor:log-stream:*"] },
      { sid = "ReadDatabaseSecret", effect = "Allow", actions = ["secretsmanager:GetSecretValue"], resources = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-imageprocessor-AbCdEf"] },
      { sid = "DecryptDatabaseSecret", effect = "Allow", actions = ["kms:Decrypt"], resources = ["arn:aws:kms:eu-west-1:123456789012:key/20000000-0000-0000-0000-000000000000"] },
      { sid = "ReadAndDeleteUploads", effect = "Allow", actions = ["s3:GetObject", "s3:DeleteObject"], resources = ["arn:aws:s3:::delivery-prod-uploads-abc123/uploads/*"] },
      { sid = "TellGoneUploads", effect = "Allow", actions = ["s3:ListBucket"], resources = ["arn:aws:s3:::delivery-prod-uploads-abc123"] },
      { sid = "WriteImages", effect = "Allow", actions = ["s3:PutObject"], resources = ["arn:aws:s3:::delivery-prod-images-abc123/images/*"] },
      { sid = "EncryptImages", effect = "Allow", actions = ["kms:GenerateDataKey"], resources = ["arn:aws:kms:eu-west-1:123456789012:key/30000000-0000-0000-0000-000000000000"] },
      { sid = "UseDlqKey", effect = "Allow", actions = ["kms:GenerateDataKey", "kms:Decrypt"], resources = ["arn:aws:kms:eu-west-1:123456789012:key/40000000-0000-0000-0000-000000000000"] },
      { sid = "DeadLetterQueue", effect = "Allow", actions = ["sqs:SendMessage"], resources = ["arn:aws:sqs:eu-west-1:123456789012:delivery-prod-imageprocessor-dlq"] },
    ])
    error_message = "imageprocessor reads and deletes uploads/*, writes images/* with the images key, and writes its DLQ: ${jsonencode(module.function["imageprocessor"].policy_statements)}"
  }

  assert {
    condition = jsonencode(module.function["migrate"].policy_statements) == jsonencode([
      { sid = "WriteOwnLogs", effect = "Allow", actions = ["logs:CreateLogStream", "logs:PutLogEvents"], resources = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/delivery-prod-migrate:log-stream:*"] },
      { sid = "ReadDatabaseSecret", effect = "Allow", actions = ["secretsmanager:GetSecretValue"], resources = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-11111111-2222-3333-4444-555555555555-AbCdEf"] },
      { sid = "DecryptDatabaseSecret", effect = "Allow", actions = ["kms:Decrypt"], resources = ["arn:aws:kms:eu-west-1:123456789012:key/20000000-0000-0000-0000-000000000000"] },
      { sid = "SyncCarrierSubscriptions", effect = "Allow", actions = ["sns:Subscribe", "sns:Unsubscribe", "sns:ListSubscriptionsByTopic"], resources = ["arn:aws:sns:eu-west-1:123456789012:delivery-prod-carrier-sms"] },
      { sid = "ReadFunctionUserSecrets", effect = "Allow", actions = ["secretsmanager:GetSecretValue"], resources = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-authorizer-AbCdEf", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-fulfilment-AbCdEf", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-imageprocessor-AbCdEf", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-listproducts-AbCdEf", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-placeorder-AbCdEf", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-priceorder-AbCdEf", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-signin-AbCdEf", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-updateproduct-AbCdEf"] },
    ])
    error_message = "migrate may read the master secret and the function users' secrets (it creates the users) and manage the carriers' topic subscriptions, nothing else: ${jsonencode(module.function["migrate"].policy_statements)}"
  }

  assert {
    condition = jsonencode(module.notifycarrier["notifycarrier"].policy_statements) == jsonencode([
      { sid = "WriteOwnLogs", effect = "Allow", actions = ["logs:CreateLogStream", "logs:PutLogEvents"], resources = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/delivery-prod-notifycarrier:log-stream:*"] },
      { sid = "PublishCarrierSms", effect = "Allow", actions = ["sns:Publish"], resources = ["arn:aws:sns:eu-west-1:123456789012:delivery-prod-carrier-sms"] },
      { sid = "UseSmsTopicKey", effect = "Allow", actions = ["kms:GenerateDataKey", "kms:Decrypt"], resources = ["arn:aws:kms:eu-west-1:123456789012:key/50000000-0000-0000-0000-000000000000"] },
      { sid = "UseAppKey", effect = "Allow", actions = ["kms:GenerateDataKey", "kms:Decrypt"], resources = ["arn:aws:kms:eu-west-1:123456789012:key/40000000-0000-0000-0000-000000000000"] },
      { sid = "ReadVapidPrivateKey", effect = "Allow", actions = ["secretsmanager:GetSecretValue"], resources = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod/vapid-private-key-MnOpQr"] },
      { sid = "DeadLetterQueue", effect = "Allow", actions = ["sqs:SendMessage"], resources = ["arn:aws:sqs:eu-west-1:123456789012:delivery-prod-notifycarrier-dlq"] },
      { sid = "OnFailureDestination", effect = "Allow", actions = ["lambda:InvokeFunction"], resources = ["arn:aws:lambda:eu-west-1:123456789012:function:delivery-prod-placeorder"] },
      { sid = "OnSuccessDestination", effect = "Allow", actions = ["lambda:InvokeFunction"], resources = ["arn:aws:lambda:eu-west-1:123456789012:function:delivery-prod-placeorder"] },
    ])
    error_message = "notifycarrier may publish to the carriers' topic (with its key), read the VAPID private key and report to placeorder and its DLQ, nothing else (its SMS to phones are in its direct-SMS policy): ${jsonencode(module.notifycarrier["notifycarrier"].policy_statements)}"
  }

  # The waves: the queue's timers reach placeorder, which alone consumes them; both functions that time waves
  # know the queue and the dispatch settings, and notifycarrier how to sign pushes.
  assert {
    condition = alltrue([for k in ["placeorder", "fulfilment"] : {
      for name in ["DISPATCH_MODE", "DISPATCH_WAVE_SIZE", "DISPATCH_WAVE_SECONDS", "DISPATCH_MAX_WAVES", "DISPATCH_RADIUS_KM", "DISPATCH_QUEUE_URL"] : name => lookup(module.function[k].environment, name, null)
      } == {
      DISPATCH_MODE = "waves", DISPATCH_WAVE_SIZE = "3", DISPATCH_WAVE_SECONDS = "60", DISPATCH_MAX_WAVES = "4", DISPATCH_RADIUS_KM = "10", DISPATCH_QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/delivery-prod-dispatch-waves"
    }]) && alltrue([for k, f in module.function : contains(["placeorder", "fulfilment"], k) || !contains(keys(f.environment), "DISPATCH_QUEUE_URL")])
    error_message = "placeorder and fulfilment alone get the dispatch queue, with the dispatch settings' defaults."
  }

  assert {
    condition = (
      module.function["fulfilment"].environment.VAPID_PUBLIC_KEY_SECRET_ARN == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod/vapid-public-key-StUvWx" &&
      module.notifycarrier["notifycarrier"].environment.VAPID_PRIVATE_KEY_SECRET_ARN == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod/vapid-private-key-MnOpQr" &&
      module.notifycarrier["notifycarrier"].environment.VAPID_SUBJECT == "https://d111111abcdef8.cloudfront.net" &&
      alltrue([for k, f in module.function : !strcontains(jsonencode(f.environment), "vapid-private-key")])
    )
    error_message = "notifycarrier alone knows the VAPID private key's secret; fulfilment the public one; the subject is the storefront's URL by default."
  }

  assert {
    condition = (
      aws_lambda_event_source_mapping.dispatch.event_source_arn == "arn:aws:sqs:eu-west-1:123456789012:delivery-prod-dispatch-waves" &&
      aws_lambda_event_source_mapping.dispatch.function_name == module.function["placeorder"].function_arn &&
      aws_lambda_event_source_mapping.dispatch.maximum_batching_window_in_seconds == 0 &&
      aws_lambda_event_source_mapping.dispatch.batch_size <= 10 &&
      tolist(aws_lambda_event_source_mapping.dispatch.function_response_types) == tolist(["ReportBatchItemFailures"]) &&
      aws_lambda_event_source_mapping.dispatch.scaling_config[0].maximum_concurrency * aws_lambda_event_source_mapping.dispatch.batch_size <= var.reserved_concurrency["notifycarrier"]
    )
    error_message = "placeorder consumes the wave timers in small batches without a batching window, reports the failed messages alone, and its concurrent waves fit notifycarrier's reserved concurrency."
  }

  assert {
    condition = (
      aws_sqs_queue.dispatch.visibility_timeout_seconds >= 6 * local.vpc_functions.placeorder.timeout &&
      aws_sqs_queue.dispatch.message_retention_seconds == 3600 &&
      aws_sqs_queue.dispatch.kms_master_key_id == "arn:aws:kms:eu-west-1:123456789012:key/40000000-0000-0000-0000-000000000000" &&
      jsondecode(aws_sqs_queue.dispatch.redrive_policy) == { deadLetterTargetArn = "arn:aws:sqs:eu-west-1:123456789012:delivery-prod-dispatch-waves-dlq", maxReceiveCount = 3 } &&
      aws_sqs_queue.dispatch_dlq.message_retention_seconds > aws_sqs_queue.dispatch.message_retention_seconds &&
      contains(module.alarms.alarm_names, "delivery-prod-dlq-delivery-prod-dispatch-waves-dlq")
    )
    error_message = "The wave timers' queue is encrypted with the application key, keeps a message an hour, hides a received one for six of placeorder's timeouts, and sends one failed three times to its watched dead-letter queue."
  }

  # Each function signs in to MySQL as its own user; migrate alone as the master user, and it is told which users
  # to create.
  assert {
    condition     = alltrue([for k, f in module.function : f.environment.DB_SECRET_ARN == (k == "migrate" ? "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-11111111-2222-3333-4444-555555555555-AbCdEf" : "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-${k}-AbCdEf")])
    error_message = "Every function's DB_SECRET_ARN is its own user's secret, migrate's the master one: ${jsonencode({ for k, f in module.function : k => f.environment.DB_SECRET_ARN })}"
  }

  assert {
    condition     = jsondecode(module.function["migrate"].environment.DB_USERS) == { for k in ["authorizer", "fulfilment", "imageprocessor", "listproducts", "placeorder", "priceorder", "signin", "updateproduct"] : k => "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery-prod-mysql/user-${k}-AbCdEf" }
    error_message = "migrate's DB_USERS names every function user's secret: ${module.function["migrate"].environment.DB_USERS}"
  }

  # The API functions know the origin secret's hash, never the secret itself.
  assert {
    condition = alltrue([
      for k, f in module.function : contains(["listproducts", "priceorder", "updateproduct", "placeorder", "fulfilment", "signin"], k) ?
      can(regex("^[0-9a-f]{64}$", lookup(f.environment, "ORIGIN_VERIFY_SHA256", ""))) && lookup(f.environment, "ORIGIN_VERIFY_SHA256", "") == sha256(output.origin_verify_secret) :
      !contains(keys(f.environment), "ORIGIN_VERIFY_SHA256")
    ]) && alltrue([for k, f in module.function : !strcontains(jsonencode(f.environment), output.origin_verify_secret)])
    error_message = "Every API function gets ORIGIN_VERIFY_SHA256, the lowercase hex SHA-256 of the origin secret, and no function gets the secret."
  }

  assert {
    condition     = output.api_web_acl_arn != null && output.origin_verify_header_name == "X-Origin-Verify" && length(output.origin_verify_secret) == 48
    error_message = "The API stage has its web ACL, and the origin secret is 48 characters."
  }

  # The first environment owns the account-wide settings, and watches the account's SMS spend and success rate.
  assert {
    condition     = output.account_cloudwatch_role_arn != null && output.sms_delivery_status_role_arn != null && contains(module.alarms.alarm_names, "delivery-prod-sms-spend") && contains(module.alarms.alarm_names, "delivery-prod-sms-success-rate") && contains(module.alarms.alarm_names, "delivery-prod-sms-topic-failures")
    error_message = "The owner of the account settings sets API Gateway's logging role and the SMS preferences."
  }
}

# --- A second environment in the same account ----------------------------------------------

# Mocked apply, so that the owner's role ARNs would be known (and the assertion fail plainly) if they existed.
# After functions_iam: the runs of one configuration share a state, and an earlier apply would keep its
# mocked values where functions_iam overrides them.
run "second_environment" {
  command = apply

  variables {
    environment             = "staging"
    manage_account_settings = false
  }

  override_data {
    target = data.terraform_remote_state.storefront
    values = {
      outputs = {
        storefront_origins = []
        storefront_url     = ""
        distribution_arn   = ""
      }
    }
  }

  assert {
    condition     = output.manages_account_settings == false && output.account_cloudwatch_role_arn == null && output.sms_delivery_status_role_arn == null
    error_message = "A second environment sets neither API Gateway's account role nor the SMS preferences."
  }
}

# --- The lambda_function module: the role's policy documents hold exactly what its outputs say -------------

run "lambda_function_policy" {
  command = plan

  module {
    source = "../../modules/lambda_function"
  }

  variables {
    function_name          = "delivery-prod-example"
    zip_path               = "tests/fixtures/listproducts.zip"
    vpc_subnet_ids         = ["subnet-0123456789abcdef0"]
    vpc_security_group_ids = ["sg-0123456789abcdef0"]
    policy_statements = [
      { sid = "ReadOneSecret", actions = ["secretsmanager:GetSecretValue"], resources = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:example-AbCdEf"] },
      { sid = "NoDeletes", effect = "Deny", actions = ["s3:DeleteObject"], resources = ["arn:aws:s3:::example/*"] },
    ]
    dead_letter_queue_arn      = "arn:aws:sqs:eu-west-1:123456789012:example-dlq"
    on_failure_destination_arn = "arn:aws:lambda:eu-west-1:123456789012:function:example-failures"
  }

  assert {
    condition = jsonencode(output.policy_statements) == jsonencode([
      { sid = "WriteOwnLogs", effect = "Allow", actions = ["logs:CreateLogStream", "logs:PutLogEvents"], resources = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/delivery-prod-example:log-stream:*"] },
      { sid = "ReadOneSecret", effect = "Allow", actions = ["secretsmanager:GetSecretValue"], resources = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:example-AbCdEf"] },
      { sid = "NoDeletes", effect = "Deny", actions = ["s3:DeleteObject"], resources = ["arn:aws:s3:::example/*"] },
      { sid = "DeadLetterQueue", effect = "Allow", actions = ["sqs:SendMessage"], resources = ["arn:aws:sqs:eu-west-1:123456789012:example-dlq"] },
      { sid = "OnFailureDestination", effect = "Allow", actions = ["lambda:InvokeFunction"], resources = ["arn:aws:lambda:eu-west-1:123456789012:function:example-failures"] },
    ])
    error_message = "The role may write its own log streams, do what policy_statements say and write its destinations: ${jsonencode(output.policy_statements)}"
  }

  assert {
    condition = [for st in data.aws_iam_policy_document.this.statement : [st.sid, coalesce(st.effect, "Allow"), sort(st.actions), sort(st.resources)]] == [
      for st in output.policy_statements : [st.sid, st.effect, sort(st.actions), sort(st.resources)]
    ]
    error_message = "The least-privilege policy document must hold exactly the statements of policy_statements."
  }

  assert {
    condition     = aws_iam_role_policy.this.name == "least-privilege" && length(aws_iam_role_policy.direct_sms) == 0
    error_message = "Without allow_direct_sms the role has its least-privilege policy only."
  }
}

run "lambda_function_direct_sms" {
  command = plan

  module {
    source = "../../modules/lambda_function"
  }

  variables {
    function_name    = "delivery-prod-example"
    zip_path         = "tests/fixtures/signin.zip"
    allow_direct_sms = true
  }

  assert {
    condition = [for st in data.aws_iam_policy_document.direct_sms.statement : [st.sid, coalesce(st.effect, "Allow"), sort(st.actions), sort(st.resources)]] == [
      ["PublishSmsToPhoneNumbers", "Allow", tolist(["sns:Publish"]), tolist(["*"])],
      ["PublishToNoTopic", "Deny", tolist(["sns:Publish"]), tolist(["arn:aws:sns:*:*:*"])],
    ]
    error_message = "Direct SMS allows sns:Publish on \"*\" only together with a Deny on every topic and platform endpoint."
  }

  assert {
    condition     = length(aws_iam_role_policy.direct_sms) == 1 && tolist(output.managed_policy_arns) == tolist(["arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"])
    error_message = "allow_direct_sms attaches the direct-sms-only policy; outside a VPC the role gets X-Ray only."
  }
}

# A role that texts phones and publishes to its own topic: the topic is allowed by its statements, the
# platform endpoints stay denied.
run "lambda_function_direct_sms_with_topics" {
  command = plan

  module {
    source = "../../modules/lambda_function"
  }

  variables {
    function_name         = "delivery-prod-example"
    zip_path              = "tests/fixtures/notifycarrier.zip"
    allow_direct_sms      = true
    direct_sms_topic_arns = ["arn:aws:sns:eu-west-1:123456789012:example"]
    policy_statements     = [{ sid = "PublishToOwnTopic", actions = ["sns:Publish"], resources = ["arn:aws:sns:eu-west-1:123456789012:example"] }]
  }

  assert {
    condition = [for st in data.aws_iam_policy_document.direct_sms_and_topics.statement : [st.sid, coalesce(st.effect, "Allow"), sort(st.actions), sort(st.resources)]] == [
      ["PublishSmsToPhoneNumbers", "Allow", tolist(["sns:Publish"]), tolist(["*"])],
      ["PublishToNoEndpoint", "Deny", tolist(["sns:Publish"]), tolist(["arn:aws:sns:*:*:endpoint/*"])],
    ] && length(aws_iam_role_policy.direct_sms) == 1
    error_message = "Direct SMS beside a topic allows sns:Publish on \"*\" with a Deny on every platform endpoint."
  }
}

run "lambda_function_refuses_direct_sms_with_another_topic" {
  command = plan

  module {
    source = "../../modules/lambda_function"
  }

  variables {
    function_name         = "delivery-prod-example"
    zip_path              = "tests/fixtures/notifycarrier.zip"
    allow_direct_sms      = true
    direct_sms_topic_arns = ["arn:aws:sns:eu-west-1:123456789012:example"]
    policy_statements     = [{ actions = ["sns:Publish"], resources = ["arn:aws:sns:eu-west-1:123456789012:another"] }]
  }

  expect_failures = [aws_iam_role_policy.this]
}

run "lambda_function_refuses_direct_sms_with_a_topic" {
  command = plan

  module {
    source = "../../modules/lambda_function"
  }

  variables {
    function_name     = "delivery-prod-example"
    zip_path          = "tests/fixtures/signin.zip"
    allow_direct_sms  = true
    policy_statements = [{ actions = ["sns:Publish"], resources = ["arn:aws:sns:eu-west-1:123456789012:example"] }]
  }

  expect_failures = [aws_iam_role_policy.this]
}

# --- The photo upload event: S3 may invoke imageprocessor, and the notification waits for that ----------

# S3 refuses a notification to a function it may not invoke, so the notification must depend on the
# permission. First the notification alone is applied (mocked: nothing is created) as the only target:
# Terraform applies a target with what it depends on, and with it the permission only if the notification
# depends on it. The next run then finds the permission already in the state.
run "photos_notification_applied_alone" {
  command = apply

  module {
    source = "../../modules/photos"
  }

  variables {
    name                   = "delivery-prod"
    processor_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:delivery-prod-imageprocessor"
  }

  override_module {
    target = module.uploads
    outputs = {
      bucket_name                 = "delivery-prod-uploads-abc123"
      bucket_arn                  = "arn:aws:s3:::delivery-prod-uploads-abc123"
      bucket_regional_domain_name = "delivery-prod-uploads-abc123.s3.eu-west-1.amazonaws.com"
    }
  }

  plan_options {
    target = [aws_s3_bucket_notification.uploads]
  }

  assert {
    condition = aws_s3_bucket_notification.uploads.bucket == "delivery-prod-uploads-abc123" && [for f in aws_s3_bucket_notification.uploads.lambda_function : [f.lambda_function_arn, f.events, f.filter_prefix]] == [
      ["arn:aws:lambda:eu-west-1:123456789012:function:delivery-prod-imageprocessor", toset(["s3:ObjectCreated:*"]), "uploads/"],
    ]
    error_message = "Every object created under uploads/ of the uploads bucket invokes imageprocessor, and nothing else does."
  }
}

run "photos_permission_came_with_the_notification" {
  command = plan

  module {
    source = "../../modules/photos"
  }

  variables {
    name                   = "delivery-prod"
    processor_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:delivery-prod-imageprocessor"
  }

  override_module {
    target = module.uploads
    outputs = {
      bucket_name                 = "delivery-prod-uploads-abc123"
      bucket_arn                  = "arn:aws:s3:::delivery-prod-uploads-abc123"
      bucket_regional_domain_name = "delivery-prod-uploads-abc123.s3.eu-west-1.amazonaws.com"
    }
  }

  # Known only if the previous run created it; a permission still to create has an unknown id, which fails
  # this run with "Condition expression could not be evaluated": the notification does not depend on it.
  assert {
    condition     = length(aws_lambda_permission.processor.id) > 0
    error_message = "The notification was applied without the permission S3 needs to invoke imageprocessor."
  }

  assert {
    condition     = aws_lambda_permission.processor.principal == "s3.amazonaws.com" && aws_lambda_permission.processor.action == "lambda:InvokeFunction"
    error_message = "S3 may invoke the processor."
  }

  assert {
    condition     = aws_lambda_permission.processor.function_name == "arn:aws:lambda:eu-west-1:123456789012:function:delivery-prod-imageprocessor"
    error_message = "The permission is on imageprocessor."
  }

  assert {
    condition     = aws_lambda_permission.processor.source_arn == "arn:aws:s3:::delivery-prod-uploads-abc123" && aws_lambda_permission.processor.source_account == "123456789012"
    error_message = "Only the uploads bucket of this account may invoke it (a deleted bucket's name can move to another account)."
  }
}

# --- api/gateway_responses.json: a null status keeps API Gateway's, others must be 4xx or 5xx -------------

run "gateway_responses_refuse_a_2xx_status" {
  command = plan

  module {
    source = "../../modules/api"
  }

  variables {
    name       = "delivery-prod-api"
    routes     = [{ method = "GET", path = "/api/products", function = "listproducts", auth = "public" }]
    functions  = { listproducts = { function_name = "delivery-prod-listproducts", invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:delivery-prod-listproducts/invocations" } }
    authorizer = { function_name = "delivery-prod-authorizer", invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:delivery-prod-authorizer/invocations" }
    gateway_responses = {
      DEFAULT_4XX = { code = "invalid_request", message = "refused" }
      THROTTLED   = { status = 200, code = "throttled", message = "slow down" }
    }
  }

  expect_failures = [var.gateway_responses]
}

# --- Only CloudFront reaches the API ----------------------------------------------------------

# A mocked apply, so that the association's stage ARN is known.
run "api_requires_the_origin_header" {
  command = apply

  module {
    source = "../../modules/api"
  }

  variables {
    name                  = "delivery-prod-api"
    routes                = [{ method = "GET", path = "/api/orders/{orderId}", function = "placeorder", auth = "public" }]
    functions             = { placeorder = { function_name = "delivery-prod-placeorder", invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:delivery-prod-placeorder/invocations" } }
    authorizer            = { function_name = "delivery-prod-authorizer", invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:delivery-prod-authorizer/invocations" }
    gateway_responses     = { DEFAULT_4XX = { code = "invalid_request", message = "refused" } }
    require_origin_header = true
    origin_verify_secret  = "0123456789abcdefghijABCDEFGHIJ0123456789abcdefgh"
  }

  assert {
    condition     = aws_wafv2_web_acl.this[0].scope == "REGIONAL" && length(aws_wafv2_web_acl.this[0].default_action[0].allow) == 1 && length(aws_wafv2_web_acl.this[0].rule) == 1
    error_message = "The API's web ACL is regional, with one rule."
  }

  assert {
    condition = [for r in aws_wafv2_web_acl.this[0].rule : [
      r.priority, length(r.action[0].block),
      r.statement[0].not_statement[0].statement[0].byte_match_statement[0].search_string,
      r.statement[0].not_statement[0].statement[0].byte_match_statement[0].positional_constraint,
      r.statement[0].not_statement[0].statement[0].byte_match_statement[0].field_to_match[0].single_header[0].name,
      [for t in r.statement[0].not_statement[0].statement[0].byte_match_statement[0].text_transformation : t.type],
    ]] == [[0, 1, "0123456789abcdefghijABCDEFGHIJ0123456789abcdefgh", "EXACTLY", "x-origin-verify", ["NONE"]]]
    error_message = "The rule blocks every request whose X-Origin-Verify header is not exactly the secret."
  }

  assert {
    condition     = !aws_wafv2_web_acl.this[0].visibility_config[0].sampled_requests_enabled && alltrue([for r in aws_wafv2_web_acl.this[0].rule : !r.visibility_config[0].sampled_requests_enabled])
    error_message = "The web ACL keeps no sampled requests, which would hold the secret header."
  }

  assert {
    condition     = aws_wafv2_web_acl_association.this[0].resource_arn == aws_api_gateway_stage.this.arn && aws_wafv2_web_acl_association.this[0].web_acl_arn == aws_wafv2_web_acl.this[0].arn
    error_message = "The web ACL is associated with the API's stage."
  }

  # No order id in the access log: the route's template, never the request's path.
  assert {
    condition     = !strcontains(aws_api_gateway_stage.this.access_log_settings[0].format, "$context.path") && strcontains(aws_api_gateway_stage.this.access_log_settings[0].format, "\"$context.resourcePath\"")
    error_message = "The access log records $context.resourcePath and never $context.path (which holds an order's id)."
  }
}

run "api_refuses_a_short_origin_secret" {
  command = plan

  module {
    source = "../../modules/api"
  }

  variables {
    name                  = "delivery-prod-api"
    routes                = [{ method = "GET", path = "/api/products", function = "listproducts", auth = "public" }]
    functions             = { listproducts = { function_name = "delivery-prod-listproducts", invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:delivery-prod-listproducts/invocations" } }
    authorizer            = { function_name = "delivery-prod-authorizer", invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:delivery-prod-authorizer/invocations" }
    gateway_responses     = { DEFAULT_4XX = { code = "invalid_request", message = "refused" } }
    require_origin_header = true
    origin_verify_secret  = "short"
  }

  expect_failures = [aws_wafv2_web_acl.this]
}

# --- SMS alarms -------------------------------------------------------------------------------

run "sms_alarms" {
  command = plan

  module {
    source = "../../modules/alarms"
  }

  variables {
    name                    = "delivery-prod"
    sms_monthly_spend_limit = 50
    sms_topic_name          = "delivery-prod-carrier-sms"
    watch_sms_success_rate  = true
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.sms_spend[0].namespace == "AWS/SNS" && aws_cloudwatch_metric_alarm.sms_spend[0].metric_name == "SMSMonthToDateSpentUSD" && aws_cloudwatch_metric_alarm.sms_spend[0].threshold == 40 && aws_cloudwatch_metric_alarm.sms_spend[0].comparison_operator == "GreaterThanOrEqualToThreshold"
    error_message = "The spend alarm fires at 80 % of the monthly limit, before SNS stops sending."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.sms_topic_failures[0].metric_name == "NumberOfNotificationsFailed" && aws_cloudwatch_metric_alarm.sms_topic_failures[0].dimensions["TopicName"] == "delivery-prod-carrier-sms"
    error_message = "Failed deliveries of the carriers' topic raise an alarm."
  }

  assert {
    condition     = strcontains(one(aws_cloudwatch_metric_alarm.sms_success_rate[0].metric_query).expression, "SMSSuccessRate") && aws_cloudwatch_metric_alarm.sms_success_rate[0].threshold == 0.8 && aws_cloudwatch_metric_alarm.sms_success_rate[0].comparison_operator == "LessThanThreshold"
    error_message = "A success rate of every SMS under 80 % raises an alarm."
  }

  assert {
    condition     = alltrue([for a in concat(aws_cloudwatch_metric_alarm.sms_spend, aws_cloudwatch_metric_alarm.sms_topic_failures, aws_cloudwatch_metric_alarm.sms_success_rate) : length(a.alarm_actions) == 1 && length(a.ok_actions) == 1])
    error_message = "The SMS alarms notify the ops topic."
  }
}
