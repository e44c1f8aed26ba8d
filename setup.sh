#!/usr/bin/env bash
# Deploys the delivery marketplace to your AWS account with Terraform.
#
#   ./setup.sh deploy            build, apply foundation -> backend, migrate, apply storefront, upload the site
#   ./setup.sh plan              show what deploy would change
#   ./setup.sh destroy           tear everything down (asks first; CONFIRM=yes to skip the question)
#   ./setup.sh token <company>   print a 24 h company token (company id, or a name: created if missing)
#   ./setup.sh carrier add -name NAME -phone +351912345678
#                                add a carrier (or reactivate one) and subscribe the phone to order SMS
#   ./setup.sh carrier remove -phone +351912345678
#                                deactivate a carrier and unsubscribe the phone
#   ./setup.sh carrier list      list the carriers
#   ./setup.sh area set FILE     set the delivery area: a GeoJSON Polygon or MultiPolygon, or a Feature or
#                                FeatureCollection of one feature holding it (docs/delivery.md)
#   ./setup.sh area show         print the delivery area
#   ./setup.sh area clear        remove the delivery area (then every address within DELIVERY_MAX_KM is served)
#   ./setup.sh offers ORDER      list to which carriers an order (order id or delivery id) was offered, wave by
#                                wave, by which channel, and who claimed it (docs/orders.md)
#   ./setup.sh build             build the Lambda zips into build/ only (no AWS)
#
# Settings (environment variables; terraform.tfvars files in terraform/usecases/* take precedence):
#   AWS_REGION / AWS_PROFILE   where to deploy (default: the AWS CLI's configured region)
#   PROJECT, ENVIRONMENT       name parts of every resource (default: delivery, prod)
#   SSH_CIDRS                  comma-separated CIDRs allowed to SSH to the bastion (default: none, SSM only)
#   BASTION_KEY_NAME           existing EC2 key pair for the bastion (default: none)
#   ALARM_EMAIL                address subscribed to the ops alarms (default: none)
#   COMPANY_NAME               the first company created by deploy (default: "Demo Company")
#   TF_STATE_BUCKET            state bucket (default: <project>-tfstate-<account>-<region>, created if missing)
#   TF_STATE_KEY_PREFIX        state key prefix (default: <project>/<environment>)
#   TF_LOCK_TABLE              DynamoDB lock table (default: <project>-tfstate-lock, created if missing)
#   MANAGE_ACCOUNT_SETTINGS    true or false: this environment owns API Gateway's logging role and the SMS
#                              preferences of the account and region (default: decided, see docs/deploy.md)
#   ROTATE_ORIGIN_SECRET       yes: a new secret for the header CloudFront proves itself to the API with
#                              (docs/deploy.md, "Rotating secrets")
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

BUILD_DIR="$ROOT/build"
USECASES=(foundation backend storefront)
CA_BUNDLE_URL="https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
# The RDS Proxy presents an ACM certificate, which chains to the Amazon Trust Services roots, not to the RDS CAs.
AMAZON_ROOT_CA_URLS=(https://www.amazontrust.com/repository/AmazonRootCA{1,2,3,4}.pem)
AMAZON_ROOTS_MARKER="# Amazon Trust Services roots (RDS Proxy)"
# Functions outside the VPC that never talk to MySQL (they get no CA bundle).
NO_DB_FUNCTIONS=" notifycarrier "

PROJECT="${PROJECT:-delivery}"
ENVIRONMENT="${ENVIRONMENT:-prod}"
COMPANY_NAME="${COMPANY_NAME:-Demo Company}"

STEP=0
step() {
  STEP=$((STEP + 1))
  printf '\n==> [%d] %s\n' "$STEP" "$*"
}
info() { printf '    %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() {
  printf 'ERROR: %s\n' "$*" >&2
  exit 1
}

usage() {
  sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'
}

# ---------------------------------------------------------------------------------------------
# Prerequisites

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is not installed: $2"
}

version_ge() { # version_ge 1.5.7 1.5.0
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | sed -n 1p)" = "$2" ]
}

check_build_prereqs() {
  need go "install Go 1.22 or newer (https://go.dev/dl/)"
}

check_deploy_prereqs() {
  check_build_prereqs
  need terraform "install Terraform 1.5 or newer (https://developer.hashicorp.com/terraform/install)"
  need aws "install the AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)"
  need jq "install jq (apt-get install jq / brew install jq)"
  need curl "install curl"
  local tf_version
  # sed reads all its input: head would close the pipe early, and under
  # pipefail terraform's SIGPIPE would abort the deploy at random.
  tf_version="$(terraform version | sed -nE '1s/^Terraform v([0-9.]+).*/\1/p')"
  version_ge "$tf_version" "1.5.0" || die "Terraform $tf_version is too old: 1.5.0 or newer is needed"
  info "terraform $tf_version, $(aws --version 2>&1 | cut -d' ' -f1), $(go version | cut -d' ' -f3)"

  local identity
  identity="$(aws sts get-caller-identity --output json 2>&1)" ||
    die "AWS credentials do not work (aws sts get-caller-identity): $identity
       Configure them with 'aws configure' or 'aws sso login', or set AWS_PROFILE."
  ACCOUNT_ID="$(jq -r .Account <<<"$identity")"
  info "AWS identity: $(jq -r .Arn <<<"$identity")"

  AWS_REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-$(aws configure get region 2>/dev/null || true)}}"
  [ -n "$AWS_REGION" ] || die "no AWS region: set AWS_REGION (for example AWS_REGION=eu-west-1)"
  export AWS_REGION AWS_DEFAULT_REGION="$AWS_REGION"
  info "account $ACCOUNT_ID, region $AWS_REGION"
}

# ---------------------------------------------------------------------------------------------
# Build

build_tool() {
  mkdir -p "$BUILD_DIR/.tools"
  go build -trimpath -o "$BUILD_DIR/.tools/reprozip" ./tools/reprozip
}

cmd_build() {
  step "Building the Lambda functions (linux/arm64) into build/"
  check_build_prereqs
  build_tool
  local dir name count=0 missing=()
  for dir in lambdas/*/; do
    [ -d "$dir" ] || continue
    name="$(basename "$dir")"
    rm -rf "${BUILD_DIR:?}/$name"
    mkdir -p "$BUILD_DIR/$name"
    GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags "-s -w" \
      -o "$BUILD_DIR/$name/bootstrap" "./lambdas/$name"
    if [ -f "$BUILD_DIR/rds-ca-bundle.pem" ] && [[ "$NO_DB_FUNCTIONS" != *" $name "* ]]; then
      cp "$BUILD_DIR/rds-ca-bundle.pem" "$BUILD_DIR/$name/rds-ca-bundle.pem"
    fi
    "$BUILD_DIR/.tools/reprozip" -o "$BUILD_DIR/$name.zip" "$BUILD_DIR/$name"
    info "$name -> build/$name.zip ($(wc -c <"$BUILD_DIR/$name.zip") bytes)"
    count=$((count + 1))
  done
  [ "$count" -gt 0 ] || die "no Lambda sources under lambdas/"
  for dir in lambdas/*/; do
    name="$(basename "$dir")"
    [ -s "$BUILD_DIR/$name.zip" ] || missing+=("$name")
  done
  [ "${#missing[@]}" -eq 0 ] || die "zips missing for: ${missing[*]}"
  [ -f "$BUILD_DIR/rds-ca-bundle.pem" ] || info "(no build/rds-ca-bundle.pem: zips built without the RDS CA bundle; deploy downloads it)"
  info "$count zips built"
}

download_ca_bundle() {
  step "Downloading the RDS CA bundle"
  mkdir -p "$BUILD_DIR"
  curl -fsSL --retry 3 -o "$BUILD_DIR/rds-ca-bundle.pem.tmp" "$CA_BUNDLE_URL" ||
    die "could not download $CA_BUNDLE_URL"
  grep -q "BEGIN CERTIFICATE" "$BUILD_DIR/rds-ca-bundle.pem.tmp" || die "$CA_BUNDLE_URL is not a PEM bundle"
  local url
  printf '\n%s\n' "$AMAZON_ROOTS_MARKER" >>"$BUILD_DIR/rds-ca-bundle.pem.tmp"
  for url in "${AMAZON_ROOT_CA_URLS[@]}"; do
    curl -fsSL --retry 3 "$url" >>"$BUILD_DIR/rds-ca-bundle.pem.tmp" || die "could not download $url"
    printf '\n' >>"$BUILD_DIR/rds-ca-bundle.pem.tmp"
  done
  mv "$BUILD_DIR/rds-ca-bundle.pem.tmp" "$BUILD_DIR/rds-ca-bundle.pem"
  info "build/rds-ca-bundle.pem"
}

# A bundle downloaded before the RDS Proxy lacks the Amazon Trust Services roots; such a bundle is downloaded again.
ca_bundle_current() {
  grep -qsF "$AMAZON_ROOTS_MARKER" "$BUILD_DIR/rds-ca-bundle.pem"
}

# ---------------------------------------------------------------------------------------------
# Terraform state and settings

configure_state() {
  TF_STATE_BUCKET="${TF_STATE_BUCKET:-${PROJECT}-tfstate-${ACCOUNT_ID}-${AWS_REGION}}"
  TF_STATE_KEY_PREFIX="${TF_STATE_KEY_PREFIX:-${PROJECT}/${ENVIRONMENT}}"
  TF_LOCK_TABLE="${TF_LOCK_TABLE:-${PROJECT}-tfstate-lock}"

  # Lowest-precedence inputs: a terraform.tfvars in a usecase directory overrides them.
  export TF_IN_AUTOMATION=1
  export TF_VAR_region="$AWS_REGION" TF_VAR_project="$PROJECT" TF_VAR_environment="$ENVIRONMENT"
  export TF_VAR_state_bucket="$TF_STATE_BUCKET" TF_VAR_state_key_prefix="$TF_STATE_KEY_PREFIX"
  export TF_VAR_state_region="$AWS_REGION"
  export TF_VAR_ssh_cidrs TF_VAR_alarm_emails
  TF_VAR_ssh_cidrs="$(json_list "${SSH_CIDRS:-}")"
  TF_VAR_alarm_emails="$(json_list "${ALARM_EMAIL:-}")"
  if [ -n "${BASTION_KEY_NAME:-}" ]; then
    export TF_VAR_bastion_key_name="$BASTION_KEY_NAME"
  fi
  if [ -n "${SMS_PHONE_NUMBERS:-}" ]; then
    warn "SMS_PHONE_NUMBERS is no longer read: carriers live in the database. Add each one with
         ./setup.sh carrier add -name NAME -phone PHONE (it subscribes the phone to the order SMS)."
  fi
}

json_list() { # "a, b" -> ["a","b"]
  jq -cn --arg s "$1" '$s | split(",") | map(gsub("^\\s+|\\s+$"; "")) | map(select(length > 0))'
}

bootstrap_state() {
  step "Terraform state: s3://$TF_STATE_BUCKET/$TF_STATE_KEY_PREFIX/, lock table $TF_LOCK_TABLE"
  if aws s3api head-bucket --bucket "$TF_STATE_BUCKET" >/dev/null 2>&1; then
    info "state bucket exists"
  else
    info "creating the state bucket"
    if [ "$AWS_REGION" = "us-east-1" ]; then
      aws s3api create-bucket --bucket "$TF_STATE_BUCKET" >/dev/null
    else
      aws s3api create-bucket --bucket "$TF_STATE_BUCKET" \
        --create-bucket-configuration "LocationConstraint=$AWS_REGION" >/dev/null
    fi
    aws s3api wait bucket-exists --bucket "$TF_STATE_BUCKET"
  fi
  # Idempotent hardening: versioned, encrypted, private, TLS only.
  aws s3api put-public-access-block --bucket "$TF_STATE_BUCKET" --public-access-block-configuration \
    BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
  aws s3api put-bucket-versioning --bucket "$TF_STATE_BUCKET" --versioning-configuration Status=Enabled
  aws s3api put-bucket-encryption --bucket "$TF_STATE_BUCKET" --server-side-encryption-configuration \
    '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"},"BucketKeyEnabled":true}]}'
  aws s3api put-bucket-policy --bucket "$TF_STATE_BUCKET" --policy "$(jq -cn --arg b "$TF_STATE_BUCKET" '{
    Version: "2012-10-17",
    Statement: [{Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*",
      Resource: ["arn:aws:s3:::\($b)", "arn:aws:s3:::\($b)/*"],
      Condition: {Bool: {"aws:SecureTransport": "false"}}}]}')"

  if aws dynamodb describe-table --table-name "$TF_LOCK_TABLE" >/dev/null 2>&1; then
    info "lock table exists"
  else
    info "creating the lock table"
    aws dynamodb create-table --table-name "$TF_LOCK_TABLE" --billing-mode PAY_PER_REQUEST \
      --attribute-definitions AttributeName=LockID,AttributeType=S \
      --key-schema AttributeName=LockID,KeyType=HASH \
      --sse-specification Enabled=true >/dev/null
    aws dynamodb wait table-exists --table-name "$TF_LOCK_TABLE"
  fi
}

state_exists() { # state_exists backend
  aws s3api head-object --bucket "$TF_STATE_BUCKET" --key "$TF_STATE_KEY_PREFIX/$1.tfstate" >/dev/null 2>&1
}

tf() { # tf <usecase> <terraform args...>
  local usecase="$1"
  shift
  terraform -chdir="terraform/usecases/$usecase" "$@"
}

tf_init() {
  tf "$1" init -input=false -reconfigure -upgrade=false \
    -backend-config="bucket=$TF_STATE_BUCKET" \
    -backend-config="key=$TF_STATE_KEY_PREFIX/$1.tfstate" \
    -backend-config="region=$AWS_REGION" \
    -backend-config="dynamodb_table=$TF_LOCK_TABLE" \
    -backend-config="encrypt=true" >/dev/null
}

tf_apply() { # tf_apply <usecase> [extra args]
  local usecase="$1"
  shift
  step "terraform apply: $usecase"
  tf_init "$usecase"
  tf "$usecase" apply -input=false -auto-approve "$@"
}

tf_output() { # tf_output <usecase> <name>
  tf "$1" output -raw "$2"
}

# ---------------------------------------------------------------------------------------------
# Account-wide settings: API Gateway's CloudWatch Logs role (aws_api_gateway_account) and the SMS preferences
# (aws_sns_sms_preferences) exist once per account and region. One environment owns them
# (manage_account_settings in the backend); every other one relies on the owner's and must leave them alone.

# The role API Gateway writes logs with in this account and region tells who owns the settings: this
# environment when it is its role (tagged with its Project and Environment), nobody when there is no role or
# the role is gone (then this environment takes them), another environment or tool otherwise.
configure_account_settings() {
  local role name tags err owner reason
  if [ -n "${MANAGE_ACCOUNT_SETTINGS:-}" ]; then
    case "$MANAGE_ACCOUNT_SETTINGS" in
    true | false) ;;
    *) die "MANAGE_ACCOUNT_SETTINGS must be true or false, not '$MANAGE_ACCOUNT_SETTINGS'" ;;
    esac
    owner="$MANAGE_ACCOUNT_SETTINGS" reason="MANAGE_ACCOUNT_SETTINGS"
  else
    role="$(aws apigateway get-account --query cloudwatchRoleArn --output text)" ||
      die "could not read API Gateway's account settings (aws apigateway get-account)"
    name="${role##*/}"
    if [ -z "$role" ] || [ "$role" = "None" ]; then
      owner=true reason="no environment owns them yet"
    elif ! tags="$(aws iam list-role-tags --role-name "$name" --output json 2>&1)"; then
      err="$tags"
      [[ "$err" == *NoSuchEntity* ]] || die "could not read the tags of API Gateway's role $name: $err"
      owner=true reason="their owner's role $name is gone"
    elif jq -e --arg p "$PROJECT" --arg e "$ENVIRONMENT" \
      '(.Tags | from_entries) as $t | $t.Project == $p and $t.Environment == $e' <<<"$tags" >/dev/null; then
      owner=true reason="this environment owns them"
    else
      owner=false
      reason="$(jq -r '(.Tags | from_entries) as $t | if $t.Project and $t.Environment
        then "environment \($t.Project)-\($t.Environment) owns them" else "something else owns them" end' <<<"$tags")"
      reason="$reason (API Gateway's role is $name)"
    fi
  fi
  export TF_VAR_manage_account_settings="$owner"
  info "account-wide settings (API Gateway logging role, SMS preferences): manage_account_settings=$owner, $reason"
}

# Singletons this environment's backend state still holds while another one owns the settings (after a hand-over,
# docs/deploy.md): Terraform forgets them here without touching the account, since deleting the SMS preferences
# would reset the owner's (aws_api_gateway_account's delete leaves the setting alone, but it goes as well).
release_account_settings() {
  local address held=()
  [ "${TF_VAR_manage_account_settings:-true}" = "false" ] || return 0
  tf_init backend
  for address in 'module.sms.aws_sns_sms_preferences.this[0]' 'module.api.aws_api_gateway_account.this[0]'; do
    if tf backend state list "$address" 2>/dev/null | grep -qxF "$address"; then
      held+=("$address")
    fi
  done
  [ "${#held[@]}" -gt 0 ] || return 0
  step "Handing the account-wide settings over: removing ${held[*]} from this environment's state"
  tf backend state rm "${held[@]}" >/dev/null
  info "the account's settings stay as their owner set them"
}

# Other environments whose backend state is in the same bucket: they rely on the settings this one may own.
other_environments() {
  aws s3api list-objects-v2 --bucket "$TF_STATE_BUCKET" --query 'Contents[].Key' --output json |
    jq -r --arg own "$TF_STATE_KEY_PREFIX/backend.tfstate" \
      '.[]? | select(endswith("/backend.tfstate") and . != $own) | sub("/backend.tfstate$"; "")'
}

# New accounts start with 10 concurrent executions: no concurrency can be reserved there.
check_lambda_concurrency() {
  # The sum of the backend's reserved_concurrency defaults (terraform/usecases/backend/variables.tf).
  local limit reserved=91
  limit="$(aws lambda get-account-settings --query 'AccountLimit.ConcurrentExecutions' --output text)"
  if [ "$limit" -lt $((reserved + 100)) ]; then
    warn "the account allows only $limit concurrent Lambda executions: deploying without reserved concurrency.
         Ask AWS Support (Service Quotas: Lambda concurrent executions) for 1000 and re-run deploy."
    export TF_VAR_reserved_concurrency_enabled=false
  fi
}

# ---------------------------------------------------------------------------------------------
# Lambda invocations

invoke() { # invoke <function> <json payload> -> prints the response body; dies on FunctionError
  local fn="$1" payload="$2" in out meta
  # From a file: a command-line argument is at most 128 KiB on Linux, and a delivery area can be larger.
  in="$(mktemp)"
  out="$(mktemp)"
  printf '%s' "$payload" >"$in"
  meta="$(aws lambda invoke --function-name "$fn" --cli-read-timeout 320 --payload "fileb://$in" --output json "$out")" || {
    rm -f "$in" "$out"
    die "could not invoke $fn"
  }
  rm -f "$in"
  if [ "$(jq -r '.FunctionError // empty' <<<"$meta")" != "" ]; then
    # The error message alone when the body is Lambda's {"errorMessage","errorType"}, else the body.
    printf 'ERROR: %s failed (%s): %s\n' "$fn" "$(jq -r .FunctionError <<<"$meta")" \
      "$(jq -r '.errorMessage // empty' "$out" 2>/dev/null || true)" >&2
    jq -e 'has("errorMessage")' "$out" >/dev/null 2>&1 || cat "$out" >&2
    rm -f "$out"
    exit 1
  fi
  cat "$out"
  rm -f "$out"
}

run_migrations() {
  step "Running the database migrations (migrate Lambda)"
  local fn result
  fn="$(tf_output backend migrate_function_name)"
  result="$(invoke "$fn" '{"action":"migrate"}')"
  info "schema version $(jq -r '.version' <<<"$result")"
  info "function database users: $(jq -r '.users // {} | to_entries | map("\(.key)=\(.value)") | join(" ")' <<<"$result")"
}

ensure_company() { # ensure_company <name> -> company id
  local fn payload result id
  fn="$(tf_output backend migrate_function_name)"
  payload="$(jq -cn --arg n "$1" '{action: "ensure-company", name: $n}')"
  result="$(invoke "$fn" "$payload")"
  id="$(jq -r '.companyId // empty' <<<"$result")"
  [ -n "$id" ] || die "ensure-company returned no companyId: $result"
  printf '%s' "$id"
}

ensure_signing_key() {
  step "Making sure the company-token key pair exists (ES256)"
  info "$(go run ./cmd/deployment signing-key \
    -private-secret "$(tf_output backend jwt_signing_secret_arn)" \
    -public-secret "$(tf_output backend jwt_public_key_secret_arn)")"
}

# notifycarrier signs carrier pushes with the private key, the carrier page subscribes with the public one
# (fulfilment hands it out). Generated once, like the token keys; a new pair would orphan every subscription.
ensure_vapid_key() {
  step "Making sure the Web Push key pair exists (VAPID, P-256)"
  info "$(go run ./cmd/deployment vapid-key \
    -private-secret "$(tf_output backend vapid_private_key_secret_arn)" \
    -public-secret "$(tf_output backend vapid_public_key_secret_arn)")"
}

mint_token() { # mint_token <company id>
  go run ./cmd/deployment token -company "$1" -ttl 24h \
    -key-secret "$(tf_output backend jwt_signing_secret_arn)" \
    -issuer "$(tf_output backend jwt_issuer)" \
    -audience "$(tf_output backend jwt_audience)"
}

# ---------------------------------------------------------------------------------------------
# Site

upload_site() {
  step "Uploading site/ to the storefront bucket"
  local bucket distribution
  bucket="$(tf_output storefront bucket_name)"
  distribution="$(tf_output storefront distribution_id)"
  local -a common=(--only-show-errors --exclude "*")
  aws s3 sync site/ "s3://$bucket/" "${common[@]}" --include "*.html" \
    --content-type "text/html; charset=utf-8" --cache-control "no-cache"
  aws s3 sync site/ "s3://$bucket/" "${common[@]}" --include "*.js" --include "*.mjs" \
    --content-type "text/javascript; charset=utf-8" --cache-control "max-age=300"
  aws s3 sync site/ "s3://$bucket/" "${common[@]}" --include "*.css" \
    --content-type "text/css; charset=utf-8" --cache-control "max-age=300"
  # Everything else (content type guessed), and removal of deleted files.
  aws s3 sync site/ "s3://$bucket/" --only-show-errors --delete --exclude "*.go"
  info "s3://$bucket"
  step "Invalidating the CloudFront cache"
  aws cloudfront create-invalidation --distribution-id "$distribution" --paths "/*" \
    --query 'Invalidation.Id' --output text >/dev/null
  info "distribution $distribution"
}

# ---------------------------------------------------------------------------------------------
# Commands

cmd_deploy() {
  step "Checking prerequisites"
  check_deploy_prereqs
  configure_state
  download_ca_bundle
  cmd_build
  bootstrap_state
  check_lambda_concurrency
  configure_account_settings

  tf_apply foundation
  release_account_settings
  local rotate=()
  if [ "${ROTATE_ORIGIN_SECRET:-}" = "yes" ]; then
    info "ROTATE_ORIGIN_SECRET=yes: a new origin secret; the API answers 403 until CloudFront sends it (some minutes)"
    rotate=(-replace=terraform_data.origin_verify)
  fi
  tf_apply backend "${rotate[@]+"${rotate[@]}"}"
  # At once: the backend has just pointed each function at its own MySQL user, which migrate creates (with its
  # grants and the password of its secret); until then those functions are refused by MySQL and answer 503.
  run_migrations
  tf_apply storefront
  # The backend reads the storefront's state: its origin for CORS (of the API and of the photo uploads
  # bucket), its URL for the links in carrier SMS (SITE_URL) and its distribution, the one allowed to read
  # the product photos. On the first deploy, or when the site's address or distribution changed, apply
  # the backend again.
  local origin site_url distribution_arn
  origin="$(tf storefront output -json storefront_origins | jq -r '.[0]')"
  site_url="$(tf_output storefront storefront_url)"
  distribution_arn="$(tf_output storefront distribution_arn)"
  if ! tf backend output -json cors_allowed_origins | jq -e --arg o "$origin" 'any(.[]; . == $o)' >/dev/null ||
    [ "$(tf_output backend site_url 2>/dev/null || true)" != "$site_url" ] ||
    ! tf backend output -json images_reader_distribution_arns 2>/dev/null |
    jq -e --arg a "$distribution_arn" 'any(.[]; . == $a)' >/dev/null; then
    info "the storefront is new or moved ($site_url): applying the backend again"
    tf_apply backend
  fi

  ensure_signing_key
  ensure_vapid_key
  upload_site

  step "Creating the first company ($COMPANY_NAME)"
  local company_id token
  company_id="$(ensure_company "$COMPANY_NAME")"
  info "company id $company_id"
  token="$(mint_token "$company_id")"

  local url
  url="$(tf_output storefront storefront_url)"
  step "Done"
  cat <<EOF
    Storefront:        $url   (CloudFront may take a few minutes to serve the first deployment)
    API:               $url/api   (only through the storefront's address: the API refuses any other way in)
    Bastion (SSH):     $(tf_output foundation bastion_ssh_command)
    Bastion (SSM):     $(tf_output foundation bastion_ssm_port_forward_command)
    Company token:     (company $company_id "$COMPANY_NAME", valid 24 h; ./setup.sh token <company> for another)
$token

    Try it:            curl -H "Authorization: Bearer \$TOKEN" $url/api/company/products
    Delivery area:     ./setup.sh area set FILE   (a GeoJSON polygon; until then every address within
                       DELIVERY_MAX_KM of the route is served; docs/deploy.md)
EOF
}

cmd_plan() {
  step "Checking prerequisites"
  check_deploy_prereqs
  configure_state
  if ! ca_bundle_current; then
    download_ca_bundle
  fi
  cmd_build
  if aws s3api head-bucket --bucket "$TF_STATE_BUCKET" >/dev/null 2>&1; then
    configure_account_settings
  fi
  local usecase previous=""
  for usecase in "${USECASES[@]}"; do
    if [ -n "$previous" ] && ! state_exists "$previous"; then
      step "terraform plan: $usecase skipped ($previous has not been applied yet; ./setup.sh deploy)"
      previous="$usecase"
      continue
    fi
    if ! aws s3api head-bucket --bucket "$TF_STATE_BUCKET" >/dev/null 2>&1; then
      die "state bucket $TF_STATE_BUCKET does not exist yet: nothing is deployed (run ./setup.sh deploy)"
    fi
    step "terraform plan: $usecase"
    tf_init "$usecase"
    tf "$usecase" plan -input=false
    previous="$usecase"
  done
}

cmd_destroy() {
  step "Checking prerequisites"
  check_deploy_prereqs
  configure_state
  aws s3api head-bucket --bucket "$TF_STATE_BUCKET" >/dev/null 2>&1 ||
    die "state bucket $TF_STATE_BUCKET not found: nothing to destroy"
  if [ "${CONFIRM:-}" != "yes" ]; then
    [ -t 0 ] || die "refusing to destroy without a terminal: set CONFIRM=yes"
    printf 'This deletes %s-%s in account %s (%s): type the environment name (%s) to go on: ' \
      "$PROJECT" "$ENVIRONMENT" "$ACCOUNT_ID" "$AWS_REGION" "$ENVIRONMENT"
    local answer
    read -r answer
    [ "$answer" = "$ENVIRONMENT" ] || die "not confirmed"
  fi
  # The zips must exist for Terraform to evaluate the backend configuration.
  ca_bundle_current || download_ca_bundle
  cmd_build

  if state_exists storefront; then
    step "Emptying and destroying: storefront"
    tf_init storefront
    # Let Terraform delete the versioned buckets with their objects.
    tf storefront apply -input=false -auto-approve -var force_destroy=true \
      -target=module.site.aws_s3_bucket.this -target=module.site.aws_s3_bucket.logs
    tf storefront destroy -input=false -auto-approve -var force_destroy=true
  fi
  if state_exists backend; then
    step "Emptying and destroying: backend"
    configure_account_settings
    if [ "$TF_VAR_manage_account_settings" = "true" ]; then
      local others
      others="$(other_environments | paste -sd ' ' -)"
      if [ -n "$others" ] && [ "${CONFIRM_ACCOUNT_SETTINGS:-}" != "yes" ]; then
        die "$PROJECT-$ENVIRONMENT owns the account-wide settings that the environments under $others rely on:
       destroying it would delete the role their API access logs are written with and reset the SMS preferences.
       Destroy them first, or hand the settings over (docs/deploy.md): MANAGE_ACCOUNT_SETTINGS=true
       ENVIRONMENT=<other> ./setup.sh deploy, then destroy this one. CONFIRM_ACCOUNT_SETTINGS=yes destroys it anyway."
      fi
    fi
    release_account_settings
    tf_init backend
    # The photo buckets go with every photo and access log in them (old versions included).
    tf backend apply -input=false -auto-approve -var force_destroy=true \
      -target=module.photos.module.uploads.aws_s3_bucket.this -target=module.photos.module.images.aws_s3_bucket.this \
      -target=module.photos.module.access_logs.aws_s3_bucket.this
    tf backend destroy -input=false -auto-approve -var force_destroy=true
  fi
  if state_exists foundation; then
    step "Destroying: foundation"
    tf_init foundation
    local -a db_vars=(-var db_deletion_protection=false -var "db_final_snapshot_suffix=final-$(date -u +%Y%m%d%H%M%S)")
    if [ "${SKIP_FINAL_SNAPSHOT:-}" = "yes" ]; then
      db_vars+=(-var db_skip_final_snapshot=true)
    fi
    # Turn deletion protection off (and name the final snapshot) before deleting the database.
    tf foundation apply -input=false -auto-approve -target=module.database "${db_vars[@]}"
    tf foundation destroy -input=false -auto-approve "${db_vars[@]}"
  fi
  step "Done"
  info "Kept: the state bucket s3://$TF_STATE_BUCKET, the lock table $TF_LOCK_TABLE and the database's final snapshot"
  info "(unless SKIP_FINAL_SNAPSHOT=yes). Delete them in the console or with the AWS CLI when no longer needed."
}

cmd_token() {
  local company="${1:-}"
  [ -n "$company" ] || die "usage: ./setup.sh token <company id or name>"
  check_deploy_prereqs >/dev/null
  configure_state
  tf_init backend
  local id="$company"
  if ! [[ "$company" =~ ^[0-9]+$ ]]; then
    id="$(ensure_company "$company")"
  fi
  mint_token "$id"
}

# ./setup.sh carrier add|remove|list: carriers are rows in the database, and the migrate function keeps
# the SMS topic's subscriptions equal to the active carriers' phones, so no Terraform variable changes.
carrier_usage() {
  die "usage: ./setup.sh carrier add -name NAME -phone +351912345678
       ./setup.sh carrier remove -phone +351912345678
       ./setup.sh carrier list"
}

cmd_carrier() {
  local sub="${1:-}" name="" phone="" payload
  [ $# -gt 0 ] && shift
  while [ $# -gt 0 ]; do
    case "$1" in
    -name | --name)
      [ $# -ge 2 ] || carrier_usage
      name="$2"
      shift 2
      ;;
    -phone | --phone)
      [ $# -ge 2 ] || carrier_usage
      phone="$2"
      shift 2
      ;;
    *) carrier_usage ;;
    esac
  done
  # jq quotes any name or phone safely; the function validates them (E.164, spaces allowed) and
  # its refusal is printed by invoke.
  case "$sub" in
  add)
    if [ -z "$name" ] || [ -z "$phone" ]; then carrier_usage; fi
    payload="$(jq -cn --arg n "$name" --arg p "$phone" '{action: "carrier-add", name: $n, phone: $p}')"
    ;;
  remove)
    if [ -n "$name" ] || [ -z "$phone" ]; then carrier_usage; fi
    payload="$(jq -cn --arg p "$phone" '{action: "carrier-remove", phone: $p}')"
    ;;
  list)
    if [ -n "$name" ] || [ -n "$phone" ]; then carrier_usage; fi
    payload='{"action":"carrier-list"}'
    ;;
  *) carrier_usage ;;
  esac
  check_deploy_prereqs >/dev/null
  configure_state
  tf_init backend
  local result
  result="$(invoke "$(tf_output backend migrate_function_name)" "$payload")"
  jq . <<<"$result"
}

# ./setup.sh area set FILE|show|clear: the delivery area is a row in the database, set through the migrate
# function (admin.SetArea, as go run ./cmd/local area does locally), so no Terraform variable changes.
area_usage() {
  die "usage: ./setup.sh area set FILE   (a GeoJSON Polygon or MultiPolygon, or a Feature or FeatureCollection of one)
       ./setup.sh area show
       ./setup.sh area clear"
}

cmd_area() {
  local sub="${1:-}" payload
  [ $# -gt 0 ] && shift
  case "$sub" in
  set)
    [ $# -eq 1 ] || area_usage
    local file="$1"
    if [ ! -f "$file" ] || [ ! -r "$file" ]; then die "$file is not a readable file"; fi
    need jq "install jq (apt-get install jq / brew install jq)"
    # jq takes the file's JSON as it is, whatever its shape: the function checks the geometry and its refusal
    # is printed by invoke. Exactly one JSON value, so that a file of two is not sent as two areas.
    payload="$(jq -cs 'if length == 1 then {action: "area-set", area: .[0]} else error("it holds \(length) JSON values, not one") end' "$file" 2>&1)" ||
      die "$file is not one JSON document: $payload"
    ;;
  show)
    [ $# -eq 0 ] || area_usage
    payload='{"action":"area-show"}'
    ;;
  clear)
    [ $# -eq 0 ] || area_usage
    payload='{"action":"area-clear"}'
    ;;
  *) area_usage ;;
  esac
  check_deploy_prereqs >/dev/null
  configure_state
  tf_init backend
  local result
  result="$(invoke "$(tf_output backend migrate_function_name)" "$payload")"
  jq . <<<"$result"
}

# ./setup.sh offers ORDER: an order's offers, read through the migrate function (admin.Offers, as
# go run ./cmd/local offers does locally). They name carriers by id; the phones stay in the database.
cmd_offers() {
  if [ $# -ne 1 ] || ! [[ "$1" =~ ^[0-9a-z]{20,36}$ ]]; then
    die "usage: ./setup.sh offers ORDER   (the order id the shopper has, or the delivery id carriers and companies see)"
  fi
  need jq "install jq (apt-get install jq / brew install jq)"
  local payload result
  payload="$(jq -cn --arg order "$1" '{action: "offers", order: $order}')"
  check_deploy_prereqs >/dev/null
  configure_state
  tf_init backend
  result="$(invoke "$(tf_output backend migrate_function_name)" "$payload")"
  jq . <<<"$result"
}

main() {
  local command="${1:-}"
  [ $# -gt 0 ] && shift
  case "$command" in
  deploy) cmd_deploy ;;
  plan) cmd_plan ;;
  destroy) cmd_destroy ;;
  token) cmd_token "$@" ;;
  carrier) cmd_carrier "$@" ;;
  area) cmd_area "$@" ;;
  offers) cmd_offers "$@" ;;
  build) cmd_build ;;
  -h | --help | help) usage ;;
  *)
    usage
    exit 2
    ;;
  esac
}

main "$@"
