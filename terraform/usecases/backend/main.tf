# Backend: the Lambda functions, the REST API generated from api/routes.json, the SMS topic, the JWT
# signing key and the VAPID key pair, the queue that times the waves of carrier offers, the product photo
# buckets and the alarms. Reads the foundation's outputs from its state, and
# from the storefront's state once that exists: its origin (for CORS, of the API and of the uploads bucket),
# its public URL (for the links in carrier SMS) and its distribution (the one reader of the photos).

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "terraform_remote_state" "foundation" {
  backend = "s3"

  config = {
    bucket = var.state_bucket
    key    = "${var.state_key_prefix}/foundation.tfstate"
    region = coalesce(var.state_region, var.region)
  }
}

# The storefront is applied after the backend; until it exists its origins default to none, its URL
# to "" (then there is no carrier notifier yet) and its distribution to "" (then CloudFront may not read
# the photos yet); setup.sh deploy applies the backend again once the storefront exists.
data "terraform_remote_state" "storefront" {
  backend = "s3"

  config = {
    bucket = var.state_bucket
    key    = "${var.state_key_prefix}/storefront.tfstate"
    region = coalesce(var.state_region, var.region)
  }

  defaults = {
    storefront_origins = []
    storefront_url     = ""
    distribution_arn   = ""
  }
}

locals {
  name       = "${var.project}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  foundation = data.terraform_remote_state.foundation.outputs

  tags = merge(var.tags, {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
    Usecase     = "backend"
  })

  # Built from their names, not read from the modules, because notifycarrier's destinations point
  # at placeorder while placeorder's environment names notifycarrier, which does not exist before
  # the storefront does.
  placeorder_arn    = "arn:${local.partition}:lambda:${var.region}:${local.account_id}:function:${local.name}-placeorder"
  notifycarrier_arn = "arn:${local.partition}:lambda:${var.region}:${local.account_id}:function:${local.name}-notifycarrier"

  repo_root = "${path.module}/../../.."
  build_dir = coalesce(var.build_dir, "${local.repo_root}/build")

  # The single source of the HTTP API, shared with the local runner. Unknown keys (scopes) are dropped.
  routes = [
    for r in jsondecode(file("${local.repo_root}/api/routes.json")).routes : {
      method   = upper(r.method)
      path     = r.path
      function = r.function
      auth     = r.auth
    }
  ]

  cors_allowed_origins = distinct(concat(data.terraform_remote_state.storefront.outputs.storefront_origins, var.extra_cors_origins))

  # The one CloudFront distribution that may read the photos.
  photo_readers = compact([data.terraform_remote_state.storefront.outputs.distribution_arn])

  # The links in carrier SMS (SITE_URL) open the storefront. Before the storefront's first apply there is
  # no site to link to, and no other address is short enough for the SMS (the API's is not), so
  # notifycarrier is not deployed at all rather than half-configured: placeorder's hand-offs fail and
  # the sweep retries them with backoff until setup.sh deploy, which applies the backend again after
  # the storefront, creates it (docs/deploy.md, "The site URL in carrier SMS").
  site_url = trimsuffix(data.terraform_remote_state.storefront.outputs.storefront_url, "/")
  notifier = local.site_url != "" ? toset(["notifycarrier"]) : toset([])

  manage_sms_preferences = coalesce(var.manage_sms_preferences, var.manage_account_settings)

  jwt_issuer   = "${var.project}-${var.environment}"
  jwt_audience = "${var.project}-api-${var.environment}"

  db_env = {
    # The RDS Proxy when the foundation has one (a foundation state from before the proxy has no db_host).
    DB_HOST        = try(local.foundation.db_host, local.foundation.db_address)
    DB_PORT        = tostring(local.foundation.db_port)
    DB_NAME        = local.foundation.db_name
    DB_TLS_CA_FILE = "/var/task/rds-ca-bundle.pem"
    LOG_LEVEL      = var.log_level
  }

  # The delivery settings (docs/delivery.md): the functions that quote, place, list or carry orders read them.
  delivery_env = {
    MARKET_TIMEZONE     = var.market_timezone
    DELIVERY_FEE_BASE   = var.delivery_fee_base
    DELIVERY_FEE_PER_KM = var.delivery_fee_per_km
    DELIVERY_MAX_KM     = tostring(var.delivery_max_km)
  }

  # How orders are offered to the carriers (docs/orders.md): placeorder runs the waves, fulfilment restarts them
  # when a carrier releases an order; both time the next wave with a message on the dispatch queue.
  dispatch_env = {
    DISPATCH_MODE         = var.dispatch_mode
    DISPATCH_WAVE_SIZE    = tostring(var.dispatch_wave_size)
    DISPATCH_WAVE_SECONDS = tostring(var.dispatch_wave_seconds)
    DISPATCH_MAX_WAVES    = tostring(var.dispatch_max_waves)
    DISPATCH_RADIUS_KM    = tostring(var.dispatch_radius_km)
    DISPATCH_QUEUE_URL    = aws_sqs_queue.dispatch.url
  }
  # SendMessage on the queue encrypted with the application key.
  time_waves_statements = [
    {
      sid       = "TimeWaves"
      effect    = "Allow"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.dispatch.arn]
    },
    {
      sid       = "EncryptWaveTimers"
      effect    = "Allow"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [aws_kms_key.app.arn]
    },
  ]

  # What priceorder and placeorder route deliveries with: the calculator's name, and leave to call it on that
  # calculator alone (through the network's geo.routes interface endpoint).
  route_env = merge(
    { ROUTE_CALCULATOR_NAME = aws_location_route_calculator.routes.calculator_name },
    var.route_timeout == null ? {} : { ROUTE_TIMEOUT = var.route_timeout },
  )
  route_statement = {
    sid       = "CalculateDeliveryRoutes"
    effect    = "Allow"
    actions   = ["geo:CalculateRouteMatrix"]
    resources = [aws_location_route_calculator.routes.calculator_arn]
  }

  # The API functions refuse a request whose X-Origin-Verify header does not hash to this (internal/apigw): only
  # CloudFront, which adds the header, gets an answer. The hash, not the secret, so that the functions'
  # configuration does not show the secret.
  api_env = merge(local.db_env, {
    CURRENCY             = var.currency
    CORS_ALLOWED_ORIGINS = join(",", local.cors_allowed_origins)
    ORIGIN_VERIFY_SHA256 = sha256(local.origin_verify_secret)
  })

  # Each function signs in to MySQL as a user of its own, with only the grants it needs (internal/admin,
  # FunctionGrants), from a secret of its own that its role alone may read; migrate alone signs in as the master
  # user, and creates the others. A foundation state from before the function users has none: the plan stops
  # (terraform_data.build_check) rather than fall back to the master user.
  db_user_secret_arns = try(local.foundation.db_user_secret_arns, {})
  db_secret_arn = {
    for k in keys(local.vpc_functions) : k => k == "migrate" ? local.foundation.db_secret_arn : lookup(local.db_user_secret_arns, k, "")
  }
  db_users_missing = [for k, arn in local.db_secret_arn : k if arn == ""]
  read_db_secret = {
    for k, arn in local.db_secret_arn : k => [
      {
        sid       = "ReadDatabaseSecret"
        effect    = "Allow"
        actions   = ["secretsmanager:GetSecretValue"]
        resources = [arn]
      },
      {
        sid       = "DecryptDatabaseSecret"
        effect    = "Allow"
        actions   = ["kms:Decrypt"]
        resources = [local.foundation.data_kms_key_arn]
      },
    ]
  }
  # What migrate creates: every function user the foundation made a secret for.
  db_users = { for k, arn in local.db_user_secret_arns : k => arn if k != "migrate" }

  # The functions that run in the VPC (they all reach MySQL through the Secrets Manager endpoint).
  vpc_functions = {
    listproducts = {
      description = "GET /api/products, /api/companies and /api/area: the public catalog and the delivery area"
      environment = merge(local.api_env, local.delivery_env)
      statements  = []
      memory      = 256
      timeout     = 10
    }
    priceorder = {
      description = "POST /api/orders/quote: prices a cart and its delivery"
      environment = merge(local.api_env, local.delivery_env, local.route_env)
      statements  = [local.route_statement]
      memory      = 256
      timeout     = 10
    }
    # Presigned POSTs are signed with this role's credentials: S3 checks the upload against its s3:PutObject.
    updateproduct = {
      description = "Company product management, photo upload forms"
      environment = merge(local.api_env, { UPLOADS_BUCKET = module.photos.uploads_bucket_name })
      statements = [{
        sid       = "SignPhotoUploads"
        effect    = "Allow"
        actions   = ["s3:PutObject"]
        resources = ["${module.photos.uploads_bucket_arn}/uploads/*"]
      }]
      memory  = 256
      timeout = 10
    }
    # Also the consumer of the dispatch queue (aws_lambda_event_source_mapping.dispatch), which Lambda polls with
    # this role.
    placeorder = {
      description = "Places, reads and cancels orders; offers them to the carriers in waves through notifycarrier"
      environment = merge(local.api_env, local.delivery_env, local.route_env, local.dispatch_env, { NOTIFY_FUNCTION_NAME = local.notifycarrier_arn })
      statements = concat(
        [
          {
            # Asynchronously for a broadcast, synchronously for a wave.
            sid       = "NotifyCarrier"
            effect    = "Allow"
            actions   = ["lambda:InvokeFunction"]
            resources = [local.notifycarrier_arn]
          },
          local.route_statement,
          {
            sid       = "ReceiveWaveTimers"
            effect    = "Allow"
            actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
            resources = [aws_sqs_queue.dispatch.arn]
          },
        ],
        local.time_waves_statements,
      )
      memory  = 256
      timeout = local.placeorder_timeout
    }
    authorizer = {
      description = "Company and carrier token authorizer"
      environment = merge(local.db_env, {
        JWT_PUBLIC_KEY_SECRET_ARN = aws_secretsmanager_secret.jwt_public.arn
        JWT_ISSUER                = local.jwt_issuer
        JWT_AUDIENCE              = local.jwt_audience
      })
      # The public key only: the authorizer can check tokens but never mint one.
      statements = [
        {
          sid       = "ReadJwtPublicKey"
          effect    = "Allow"
          actions   = ["secretsmanager:GetSecretValue"]
          resources = [aws_secretsmanager_secret.jwt_public.arn]
        },
        {
          sid       = "DecryptJwtPublicKey"
          effect    = "Allow"
          actions   = ["kms:Decrypt"]
          resources = [aws_kms_key.app.arn]
        },
      ]
      memory  = 256
      timeout = 10
    }
    # Sign-in by SMS code: the only function that can read the private key and so mint tokens.
    signin = {
      description = "Company and carrier sign-in by SMS code; mints their tokens"
      environment = merge(local.api_env, {
        JWT_PRIVATE_KEY_SECRET_ARN = aws_secretsmanager_secret.jwt_signing.arn
        JWT_ISSUER                 = local.jwt_issuer
        JWT_AUDIENCE               = local.jwt_audience
      })
      statements = [
        {
          sid       = "ReadJwtSigningKey"
          effect    = "Allow"
          actions   = ["secretsmanager:GetSecretValue"]
          resources = [aws_secretsmanager_secret.jwt_signing.arn]
        },
        {
          sid       = "DecryptJwtSigningKey"
          effect    = "Allow"
          actions   = ["kms:Decrypt"]
          resources = [aws_kms_key.app.arn]
        },
      ]
      direct_sms = true
      memory     = 256
      timeout    = 10
    }
    # Times the next wave of an order a carrier released; gives the carrier page the VAPID public key to
    # subscribe to push with.
    fulfilment = {
      description = "Carrier and company order routes, company profile; texts a carrier whose order is cancelled"
      environment = merge(local.api_env, local.delivery_env, local.dispatch_env, {
        VAPID_PUBLIC_KEY_SECRET_ARN = aws_secretsmanager_secret.vapid_public.arn
      })
      statements = concat(local.time_waves_statements, [
        {
          sid       = "ReadVapidPublicKey"
          effect    = "Allow"
          actions   = ["secretsmanager:GetSecretValue"]
          resources = [aws_secretsmanager_secret.vapid_public.arn]
        },
        {
          sid       = "DecryptVapidPublicKey"
          effect    = "Allow"
          actions   = ["kms:Decrypt"]
          resources = [aws_kms_key.app.arn]
        },
      ])
      direct_sms = true
      memory     = 256
      timeout    = 10
    }
    # S3 invokes it asynchronously for each upload; a transient failure (S3 or MySQL unreachable) returns an
    # error and Lambda retries the event twice; a refused or handled upload is deleted and never retried.
    # 1536 MB: the worst photo accepted, a 40-megapixel PNG with transparency, allocates about 330 MB (160 MB
    # of RGBA, flattened into a second copy) and Go's collector lets the heap reach twice what is live; CPU
    # grows with memory (most of a vCPU here), and decoding and resizing are CPU work (docs/deploy.md).
    imageprocessor = {
      description = "Makes uploaded product photos safe and small (S3 ObjectCreated on uploads/)"
      environment = merge(local.db_env, {
        UPLOADS_BUCKET = module.photos.uploads_bucket_name
        IMAGES_BUCKET  = module.photos.images_bucket_name
      })
      statements = [
        {
          sid       = "ReadAndDeleteUploads"
          effect    = "Allow"
          actions   = ["s3:GetObject", "s3:DeleteObject"]
          resources = ["${module.photos.uploads_bucket_arn}/uploads/*"]
        },
        {
          # Without it S3 answers a missing key with 403, not 404, and a duplicate event (the upload
          # already handled and deleted) would look like a transient failure and be retried.
          sid       = "TellGoneUploads"
          effect    = "Allow"
          actions   = ["s3:ListBucket"]
          resources = [module.photos.uploads_bucket_arn]
        },
        {
          sid       = "WriteImages"
          effect    = "Allow"
          actions   = ["s3:PutObject"]
          resources = ["${module.photos.images_bucket_arn}/images/*"]
        },
        {
          sid       = "EncryptImages"
          effect    = "Allow"
          actions   = ["kms:GenerateDataKey"]
          resources = [module.photos.images_kms_key_arn]
        },
        {
          sid       = "UseDlqKey"
          effect    = "Allow"
          actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
          resources = [aws_kms_key.app.arn]
        },
      ]
      memory  = 1536
      timeout = 30
      retries = 2
      dlq     = aws_sqs_queue.photos_dlq.arn
    }
    # Also keeps the SMS topic's subscriptions equal to the active carriers' phones (setup.sh carrier).
    migrate = {
      description = "Applies the embedded migrations and manages carriers; invoked by setup.sh only"
      environment = merge(local.db_env, {
        SMS_TOPIC_ARN = module.sms.topic_arn
        DB_USERS      = jsonencode(local.db_users)
      })
      statements = [
        {
          sid       = "SyncCarrierSubscriptions"
          effect    = "Allow"
          actions   = ["sns:Subscribe", "sns:Unsubscribe", "sns:ListSubscriptionsByTopic"]
          resources = [module.sms.topic_arn]
        },
        {
          # The functions' passwords, which migrate sets in MySQL.
          sid       = "ReadFunctionUserSecrets"
          effect    = "Allow"
          actions   = ["secretsmanager:GetSecretValue"]
          resources = values(local.db_users)
        },
      ]
      memory  = 256
      timeout = 300
    }
  }

  reserved = { for k, v in var.reserved_concurrency : k => var.reserved_concurrency_enabled ? v : -1 }

  # The dispatch queue's visibility timeout is six times placeorder's timeout, as Lambda advises for a queue
  # it polls, so that a message is not delivered again while an invocation may still be running its wave.
  placeorder_timeout = 15

  # Each warm container of a VPC function holds up to db_pool_per_container MySQL connections
  # (mysql.LambdaPool in internal/mysql/db.go). Without the RDS Proxy, reserved concurrency is what bounds
  # them, and the bound must fit the instance's max_connections (docs/deploy.md, "Connections").
  db_pool_per_container = 2
  db_direct_connections = sum([for k in keys(local.vpc_functions) : lookup(var.reserved_concurrency, k, 0)]) * local.db_pool_per_container
  db_max_connections    = try(local.foundation.db_max_connections, null)
  db_connections_fit = (
    try(local.foundation.db_proxy_enabled, false) ? true :
    !var.reserved_concurrency_enabled ? true :
    local.db_max_connections == null ? true :
    local.db_direct_connections <= local.db_max_connections
  )
}

# The database requires TLS (require_secure_transport): refuse to deploy zips without the RDS CA bundle.
resource "terraform_data" "build_check" {
  input = [for k in concat(keys(local.vpc_functions), ["notifycarrier"]) : "${local.build_dir}/${k}.zip"]

  lifecycle {
    precondition {
      condition     = fileexists("${local.build_dir}/rds-ca-bundle.pem")
      error_message = "build/rds-ca-bundle.pem is missing: run ./setup.sh deploy (it downloads the RDS CA bundle and builds the zips with it)."
    }

    precondition {
      condition     = length(local.db_users_missing) == 0
      error_message = "The foundation has no MySQL user secret for ${join(", ", local.db_users_missing)}: add them to its db_function_users and apply the foundation first (./setup.sh deploy does), so that no function signs in as the master user."
    }

    precondition {
      condition     = local.db_connections_fit
      error_message = "Without the RDS Proxy, the VPC functions' reserved concurrency x ${local.db_pool_per_container} connections (${local.db_direct_connections}) exceeds the instance's max_connections (at most ${coalesce(local.db_max_connections, 0)}): enable db_proxy_enabled in the foundation, set reserved_concurrency_enabled = false, or lower reserved_concurrency."
    }
  }
}

# --- Application KMS key: JWT signing-key secret and the dead-letter queue ----------------

resource "aws_kms_key" "app" {
  description             = "${local.name}: JWT and VAPID key secrets, dispatch and dead-letter queues"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_kms_alias" "app" {
  name          = "alias/${local.name}-app"
  target_key_id = aws_kms_key.app.key_id
}

# --- Token keys (ES256) -----------------------------------------------------------------------

# Two secrets, created empty: setup.sh generates the key pair once (go run ./cmd/local signing-key),
# so no key ever passes through Terraform's state. The private key is read by operators minting
# tokens (setup.sh token) and by the signin function alone; the authorizer's role can read the public
# key alone.
resource "aws_secretsmanager_secret" "jwt_signing" {
  name_prefix             = "${local.name}/jwt-signing-key-"
  description             = "ES256 private key (PKCS #8 PEM) that signs company and carrier tokens; operators and the signin function only"
  kms_key_id              = aws_kms_key.app.arn
  recovery_window_in_days = var.secret_recovery_window_days
}

resource "aws_secretsmanager_secret" "jwt_public" {
  name_prefix             = "${local.name}/jwt-public-key-"
  description             = "ES256 public key (PKIX PEM) the authorizer verifies company and carrier tokens with"
  kms_key_id              = aws_kms_key.app.arn
  recovery_window_in_days = var.secret_recovery_window_days
}

# --- Web Push keys (VAPID, P-256) -----------------------------------------------------------------

# Like the token keys: two secrets created empty, the key pair generated once by setup.sh (go run
# ./cmd/deployment vapid-key), never in Terraform's state. notifycarrier alone signs pushes with the private
# key; fulfilment hands the public key to the carrier page, which subscribes to push with it.
resource "aws_secretsmanager_secret" "vapid_private" {
  name_prefix             = "${local.name}/vapid-private-key-"
  description             = "VAPID private key (Web Push, P-256) that notifycarrier signs carrier pushes with; notifycarrier only"
  kms_key_id              = aws_kms_key.app.arn
  recovery_window_in_days = var.secret_recovery_window_days
}

resource "aws_secretsmanager_secret" "vapid_public" {
  name_prefix             = "${local.name}/vapid-public-key-"
  description             = "VAPID public key (Web Push) the carrier page subscribes to push with"
  kms_key_id              = aws_kms_key.app.arn
  recovery_window_in_days = var.secret_recovery_window_days
}

# --- The timers of the waves of carrier offers -----------------------------------------------

# Each wave of an order's offers is a message hidden for DelaySeconds until the wave is due
# (internal/notify/sqstimer), which placeorder receives through the event source mapping below and runs
# (docs/deploy.md, "Timing the waves"). A wave older than an hour is moot: the minute sweep has started it,
# or broadcast the order, long before.
resource "aws_sqs_queue" "dispatch" {
  name                              = "${local.name}-dispatch-waves"
  message_retention_seconds         = 3600
  visibility_timeout_seconds        = 6 * local.placeorder_timeout
  kms_master_key_id                 = aws_kms_key.app.arn
  kms_data_key_reuse_period_seconds = 300

  # A wave that failed three times (the database or notifycarrier down) is kept for a look; the sweep starts
  # it meanwhile.
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dispatch_dlq.arn
    maxReceiveCount     = 3
  })
}

# A message keeps its first enqueue time in the dead-letter queue, so its retention is counted from then.
resource "aws_sqs_queue" "dispatch_dlq" {
  name                              = "${local.name}-dispatch-waves-dlq"
  message_retention_seconds         = 86400
  kms_master_key_id                 = aws_kms_key.app.arn
  kms_data_key_reuse_period_seconds = 300
}

resource "aws_sqs_queue_redrive_allow_policy" "dispatch_dlq" {
  queue_url = aws_sqs_queue.dispatch_dlq.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.dispatch.arn]
  })
}

# No batching window, so that a wave starts within about a second of its message becoming visible; the
# messages that became visible together come in one batch and run at once. At most two concurrent
# invocations, so that waves leave most of placeorder's reserved concurrency to the API, and at most 2 x 5
# concurrent calls reach notifycarrier. Only the failed waves' messages return to the queue.
resource "aws_lambda_event_source_mapping" "dispatch" {
  event_source_arn                   = aws_sqs_queue.dispatch.arn
  function_name                      = module.function["placeorder"].function_arn
  batch_size                         = 5
  maximum_batching_window_in_seconds = 0
  function_response_types            = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = 2
  }
}

# --- Dead-letter queue of the asynchronous carrier notification -----------------------------

resource "aws_sqs_queue" "notify_dlq" {
  name                              = "${local.name}-notifycarrier-dlq"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = aws_kms_key.app.arn
  kms_data_key_reuse_period_seconds = 300
}

# An upload event that failed every retry (S3 or MySQL unreachable three times) lands here, with the
# upload's key: the upload itself stays in its bucket for a day, so an operator can send the event
# again (docs/deploy.md). The DLQ alarm says when that happens.
resource "aws_sqs_queue" "photos_dlq" {
  name                              = "${local.name}-imageprocessor-dlq"
  message_retention_seconds         = 86400
  kms_master_key_id                 = aws_kms_key.app.arn
  kms_data_key_reuse_period_seconds = 300
}

# --- Delivery routes --------------------------------------------------------------------------

# The route calculator priceorder and placeorder ask for each quote's distances and travel times
# (CalculateRouteMatrix; internal/awsroute). Here, not Esri: AWS's service terms (section 82) forbid Esri for
# routing the assets of a business, such as its delivery vehicles. Billed per route calculated, nothing while idle
# (docs/performance.md).
resource "aws_location_route_calculator" "routes" {
  calculator_name = "${local.name}-routes"
  data_source     = "Here"
  description     = "Delivery routes of quotes and orders (priceorder, placeorder). Here: AWS service terms section 82 forbid Esri for routing business assets such as delivery vehicles."
  tags            = local.tags
}

# --- SMS topic ----------------------------------------------------------------------------

# Its SMS subscriptions are not Terraform's: the migrate function keeps them equal to the active
# carriers in the database (./setup.sh carrier add/remove).
module "sms" {
  source = "../../modules/sms_topic"

  name                   = "${local.name}-carrier-sms"
  monthly_spend_limit    = var.sms_monthly_spend_limit
  manage_sms_preferences = local.manage_sms_preferences
}

# --- Functions ------------------------------------------------------------------------------

# Outside the VPC: it only publishes to SNS. Once the storefront exists (local.notifier).
module "notifycarrier" {
  source   = "../../modules/lambda_function"
  for_each = local.notifier

  function_name                  = "${local.name}-notifycarrier"
  description                    = "Offers orders to carriers: a wave by push or SMS (placeorder, synchronously), a broadcast on the topic (asynchronously)"
  zip_path                       = "${local.build_dir}/notifycarrier.zip"
  memory_size                    = 128
  timeout                        = 10
  reserved_concurrent_executions = lookup(local.reserved, "notifycarrier", -1)
  environment = {
    SMS_TOPIC_ARN                = module.sms.topic_arn
    SITE_URL                     = local.site_url
    LOG_LEVEL                    = var.log_level
    VAPID_PRIVATE_KEY_SECRET_ARN = aws_secretsmanager_secret.vapid_private.arn
    VAPID_SUBJECT                = coalesce(var.vapid_subject, local.site_url)
  }
  policy_statements = [
    {
      sid       = "PublishCarrierSms"
      actions   = ["sns:Publish"]
      resources = [module.sms.topic_arn]
    },
    {
      sid       = "UseSmsTopicKey"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [module.sms.kms_key_arn]
    },
    {
      # The DLQ's and the VAPID private key secret's.
      sid       = "UseAppKey"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [aws_kms_key.app.arn]
    },
    {
      sid       = "ReadVapidPrivateKey"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [aws_secretsmanager_secret.vapid_private.arn]
    },
  ]
  # A wave's offers go by SMS straight to the phones of the carriers without push (or whose push failed),
  # the broadcast to the topic.
  allow_direct_sms      = true
  direct_sms_topic_arns = [module.sms.topic_arn]
  # Lambda reports each asynchronous outcome back to placeorder, which marks the order notified or
  # failed (and its sweep retries); an event that fails every retry is also kept in the DLQ.
  # Events older than 10 minutes are not retried: the sweep re-hands-off unconfirmed orders after 15.
  on_success_destination_arn   = local.placeorder_arn
  on_failure_destination_arn   = local.placeorder_arn
  dead_letter_queue_arn        = aws_sqs_queue.notify_dlq.arn
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 600
  log_retention_days           = var.log_retention_days
  log_kms_key_arn              = local.foundation.logs_kms_key_arn

  depends_on = [terraform_data.build_check]
}

# Deployments from before SITE_URL had a single notifycarrier: keep it rather than recreate it.
moved {
  from = module.notifycarrier
  to   = module.notifycarrier["notifycarrier"]
}

module "function" {
  source   = "../../modules/lambda_function"
  for_each = local.vpc_functions

  function_name                  = "${local.name}-${each.key}"
  description                    = each.value.description
  zip_path                       = "${local.build_dir}/${each.key}.zip"
  memory_size                    = each.value.memory
  timeout                        = each.value.timeout
  reserved_concurrent_executions = lookup(local.reserved, each.key, -1)
  environment                    = merge(each.value.environment, { DB_SECRET_ARN = local.db_secret_arn[each.key] })
  policy_statements              = concat(local.read_db_secret[each.key], each.value.statements)
  allow_direct_sms               = try(each.value.direct_sms, false)
  vpc_subnet_ids                 = local.foundation.private_subnet_ids
  vpc_security_group_ids         = [local.foundation.lambda_security_group_id]
  maximum_retry_attempts         = try(each.value.retries, 0)
  dead_letter_queue_arn          = try(each.value.dlq, null)
  log_retention_days             = var.log_retention_days
  log_kms_key_arn                = local.foundation.logs_kms_key_arn

  depends_on = [terraform_data.build_check]
}

# --- The notification sweep ------------------------------------------------------------------

# Every minute placeorder re-hands-off orders whose carrier SMS is due again (never handed off,
# failed, or unconfirmed), so that no order silently stays un-notified (docs/orders.md).
resource "aws_cloudwatch_event_rule" "sweep" {
  name                = "${local.name}-notify-sweep"
  description         = "Retries due carrier notifications"
  schedule_expression = "rate(1 minute)"
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "sweep" {
  rule  = aws_cloudwatch_event_rule.sweep.name
  arn   = module.function["placeorder"].function_arn
  input = jsonencode({ action = "sweep" })
}

resource "aws_lambda_permission" "sweep" {
  statement_id  = "AllowNotifySweepSchedule"
  action        = "lambda:InvokeFunction"
  function_name = module.function["placeorder"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.sweep.arn
}

# --- Product photos ---------------------------------------------------------------------------

# The uploads bucket (browsers POST there, the processor reads and deletes), the images bucket (the
# processor writes, the storefront's CloudFront reads under /images/*), the S3 event to the processor and
# the policy of the functions' S3 endpoint (docs/deploy.md, "Product photos").
module "photos" {
  source = "../../modules/photos"

  name                         = local.name
  processor_function_arn       = module.function["imageprocessor"].function_arn
  cors_allowed_origins         = local.cors_allowed_origins
  cloudfront_distribution_arns = local.photo_readers
  log_retention_days           = var.photo_log_retention_days
  force_destroy                = var.force_destroy

  # A foundation state from before the photos has no such endpoint: its policy is set once it exists.
  s3_endpoint_id = try(local.foundation.private_s3_endpoint_id, null)
}

# --- CloudFront's origin secret ----------------------------------------------------------------

# The storefront's CloudFront adds X-Origin-Verify: <secret> to every request to the API (read from this state),
# the API's web ACL blocks every request without it and the API functions check its hash: so the API answers
# only through CloudFront, where the WAF's per-IP limit applies, and the viewer's address CloudFront passes
# (CloudFront-Viewer-Address) can be trusted. Secrets Manager's generator, as the AWS provider is the only one
# installed; terraform_data keeps the first value, since the data source gives a new one on every plan.
# Rotate: terraform apply -replace=terraform_data.origin_verify in the backend, then the storefront
# (docs/deploy.md, "Rotating secrets").
data "aws_secretsmanager_random_password" "origin_verify" {
  password_length     = 48
  exclude_punctuation = true
}

resource "terraform_data" "origin_verify" {
  input = data.aws_secretsmanager_random_password.origin_verify.random_password

  lifecycle {
    ignore_changes = [input]
  }
}

locals {
  origin_verify_header_name = "X-Origin-Verify"
  origin_verify_secret      = terraform_data.origin_verify.output
}

# --- API ------------------------------------------------------------------------------------

module "api" {
  source = "../../modules/api"

  name                           = "${local.name}-api"
  manage_account_cloudwatch_role = var.manage_account_settings
  routes                         = local.routes
  gateway_responses              = jsondecode(file("${local.repo_root}/api/gateway_responses.json"))
  functions = {
    for k, f in module.function : k => {
      function_name = f.function_name
      invoke_arn    = f.invoke_arn
    } if !contains(["authorizer", "migrate", "imageprocessor"], k)
  }
  authorizer = {
    function_name = module.function["authorizer"].function_name
    invoke_arn    = module.function["authorizer"].invoke_arn
  }
  authorizer_cache_ttl = 300
  stage_name           = "v1"

  require_origin_header     = true
  origin_verify_header_name = local.origin_verify_header_name
  origin_verify_secret      = local.origin_verify_secret

  throttling_rate_limit  = var.api_throttling_rate_limit
  throttling_burst_limit = var.api_throttling_burst_limit
  log_retention_days     = var.log_retention_days
  log_kms_key_arn        = local.foundation.logs_kms_key_arn
}

# --- Alarms ---------------------------------------------------------------------------------

module "alarms" {
  source = "../../modules/alarms"

  name                  = local.name
  alarm_emails          = var.alarm_emails
  lambda_function_names = concat([for f in module.function : f.function_name], [for f in module.notifycarrier : f.function_name])
  api_name              = module.api.rest_api_name
  api_stage_name        = module.api.stage_name
  dlq_names             = [aws_sqs_queue.notify_dlq.name, aws_sqs_queue.photos_dlq.name, aws_sqs_queue.dispatch_dlq.name]
  db_instance_id        = local.foundation.db_instance_id

  # The spend and the success rate are the account's in the region: watched by the environment that owns the SMS
  # preferences (and so the limit), like the preferences themselves.
  sms_monthly_spend_limit = local.manage_sms_preferences && var.sms_monthly_spend_limit > 0 ? var.sms_monthly_spend_limit : null
  sms_topic_name          = module.sms.topic_name
  watch_sms_success_rate  = local.manage_sms_preferences
}
