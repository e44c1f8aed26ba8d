#!/usr/bin/env bash
# Offline checks of the deployment (terraform/, setup.sh, tools/tfcheck): no AWS account, no Terraform registry.
#   bash .ci/terraform.sh        (from the repository root; installs what is missing when run as root)
# Prints one PASS/FAIL line per check and exits non-zero if any check failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Terraform, built from the Go module proxy: TERRAFORM_VERSION is the oldest release the project supports
# (required_version >= 1.5.0, setup.sh, docs/deploy.md; the proxy's only 1.5 is 1.5.7), TERRAFORM_CURRENT_VERSION
# the newest one `go install` builds (from 1.9 on, terraform's go.mod has replace directives, which go install
# refuses). terraform test (mock_provider) needs 1.7 or newer, so it runs with the current one. Both on one line,
# which .github/workflows/ci.yml's cache key reads (^TERRAFORM_VERSION=).
TERRAFORM_VERSION="1.5.7" TERRAFORM_CURRENT_VERSION="1.8.5"
TFSEC_VERSION="1.26.0"
# The AWS provider every usecase's .terraform.lock.hcl pins. It never comes from the Terraform registry, which
# these machines cannot reach, but from a filesystem mirror: the image of this kind of machine carries it unpacked
# under /opt/tf-plugins (`find / -name 'terraform-provider-aws*' -not -path '/proc/*'` shows it);
# TF_PLUGIN_MIRROR names another mirror directory. Without a mirror the check fails, except on a GitHub-hosted
# runner (GITHUB_ACTIONS=true), which reaches the registry: there the lock files' hashes verify the download.
AWS_PROVIDER_VERSION="5.100.0"
TF_PLUGIN_MIRROR="${TF_PLUGIN_MIRROR:-/opt/tf-plugins}"
USECASES=(foundation backend storefront)
CACHE_DIR="${DELIVERY_CI_CACHE:-/var/cache/delivery-ci}"
BIN_DIR="$CACHE_DIR/bin"
WORK_DIR="$(mktemp -d)"
trap 'rm -rf "$WORK_DIR"' EXIT

FAILED=()
START=$(date +%s)

log() { printf '%s\n' "$*"; }

# check <name> <command...>: runs a check, prints PASS/FAIL with its duration.
check() {
  local name="$1" t0 rc
  shift
  log ""
  log "--- $name"
  t0=$(date +%s)
  set +e
  "$@"
  rc=$?
  set -e
  if [ "$rc" -eq 0 ]; then
    log "PASS $name ($(($(date +%s) - t0)) s)"
  else
    log "FAIL $name (exit $rc, $(($(date +%s) - t0)) s)"
    FAILED+=("$name")
  fi
}

# --- Tools ---------------------------------------------------------------------------------

install_packages() {
  local missing=()
  command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
      log "missing ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root"
      return 1
    fi
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  command -v go >/dev/null 2>&1 || {
    log "go is missing (needed to build terraform, tfsec and the Lambdas)"
    return 1
  }
  log "shellcheck $(shellcheck --version | sed -n 's/^version: //p'), node $(node --version), npm $(npm --version), $(go version | cut -d' ' -f3)"
}

# go_tool <name> <version> <module path>: builds a Go tool once per version into the cache.
go_tool() {
  local name="$1" version="$2" pkg="$3" dir="$BIN_DIR/$1-$2"
  if [ ! -x "$dir/$name" ]; then
    # stderr: stdout is the tool's path, captured by the caller.
    log "building $name $version (go install $pkg@v$version; cached in $dir)" >&2
    mkdir -p "$dir.tmp"
    GOBIN="$dir.tmp" GOFLAGS=-buildvcs=false go install "$pkg@v$version"
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
  fi
  printf '%s' "$dir/$name"
}

# terraform_tool <version>: the terraform binary of that version, built once into the cache.
terraform_tool() {
  local bin
  bin="$(go_tool terraform "$1" github.com/hashicorp/terraform)" &&
    # No grep -q or head here: they close the pipe early, and under
    # pipefail the writer's SIGPIPE (exit 141) fails the check at random.
    # (go install builds 1.8.5 as "v1.8.5-dev": a release build's ldflags are not there.)
    [[ "$("$bin" version | sed -n 1p)" == "Terraform v$1"* ]] &&
    printf '%s' "$bin"
}

install_tools() {
  TERRAFORM_OLDEST="$(terraform_tool "$TERRAFORM_VERSION")" &&
    TERRAFORM="$(terraform_tool "$TERRAFORM_CURRENT_VERSION")" &&
    TFSEC="$(go_tool tfsec "$TFSEC_VERSION" github.com/aquasecurity/tfsec/cmd/tfsec)" &&
    log "terraform $TERRAFORM_VERSION (oldest supported): $TERRAFORM_OLDEST" &&
    log "terraform $TERRAFORM_CURRENT_VERSION (current): $TERRAFORM" && log "tfsec: $TFSEC"
}

install_tfcheck() {
  (cd tools/tfcheck && npm ci --no-audit --no-fund --loglevel=error)
}

# --- Checks --------------------------------------------------------------------------------

# The provider's source for terraform init: the filesystem mirror through a CLI configuration of this run's
# own (TF_CLI_CONFIG_FILE), or, on a GitHub-hosted runner without a mirror, the registry.
provider_mirror() {
  local plugin="$TF_PLUGIN_MIRROR/registry.terraform.io/hashicorp/aws/$AWS_PROVIDER_VERSION/linux_amd64/terraform-provider-aws_v${AWS_PROVIDER_VERSION}_x5"
  local usecase lock bad=0
  for usecase in "${USECASES[@]}"; do
    lock="terraform/usecases/$usecase/.terraform.lock.hcl"
    if grep -Eq "^  version += \"$AWS_PROVIDER_VERSION\"$" "$lock" 2>/dev/null; then
      log "  $lock pins hashicorp/aws $AWS_PROVIDER_VERSION"
    else
      log "  $lock does not pin hashicorp/aws $AWS_PROVIDER_VERSION"
      bad=1
    fi
  done
  [ "$bad" -eq 0 ] || return 1
  if [ -x "$plugin" ]; then
    printf 'provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n}\n' "$TF_PLUGIN_MIRROR" >"$WORK_DIR/terraform.rc"
    export TF_CLI_CONFIG_FILE="$WORK_DIR/terraform.rc"
    PROVIDER_READY=1
    log "hashicorp/aws $AWS_PROVIDER_VERSION from the filesystem mirror: $plugin"
  elif [ "${GITHUB_ACTIONS:-}" = "true" ]; then
    export TF_PLUGIN_CACHE_DIR="$CACHE_DIR/tf-plugin-cache"
    mkdir -p "$TF_PLUGIN_CACHE_DIR"
    PROVIDER_READY=1
    log "no mirror at $TF_PLUGIN_MIRROR on this GitHub runner: hashicorp/aws $AWS_PROVIDER_VERSION from the registry, checked against the lock files (cached in $TF_PLUGIN_CACHE_DIR)"
  else
    log "hashicorp/aws $AWS_PROVIDER_VERSION is not in the filesystem mirror: $plugin is missing."
    log "This kind of machine ships it there, and the Terraform registry is out of reach: set TF_PLUGIN_MIRROR to a mirror holding it."
    return 1
  fi
}

# tf_in <version> <usecase> <terraform args...>: a Terraform of that version in a usecase, with a data
# directory of its own outside the work tree (providers, modules), so that versions never share one.
tf_in() {
  local version="$1" usecase="$2" bin="$TERRAFORM"
  shift 2
  [ "$version" != "$TERRAFORM_VERSION" ] || bin="$TERRAFORM_OLDEST"
  TF_DATA_DIR="$WORK_DIR/data/$version/$usecase" "$bin" -chdir="terraform/usecases/$usecase" "$@"
}

# terraform init of every usecase with both versions: the provider from the mirror, the committed lock file as
# it is (-lockfile=readonly: a missing or stale lock file, or a hash the package does not match, fails).
terraform_init() {
  local version usecase out
  for version in "$TERRAFORM_VERSION" "$TERRAFORM_CURRENT_VERSION"; do
    for usecase in "${USECASES[@]}"; do
      if ! out="$(tf_in "$version" "$usecase" init -backend=false -input=false -lockfile=readonly -no-color 2>&1)"; then
        printf '%s\n' "$out"
        log "  terraform $version init $usecase failed"
        return 1
      fi
      log "  terraform $version init $usecase: $(sed -n 's/^- Installed //p; s/^- Using previously-installed //p' <<<"$out" | paste -sd ' ' -)"
    done
  done
}

# terraform_validate <version>: every usecase, and so every module it calls. terraform test validates the
# test files itself (-no-tests: validate cannot give a run block's module its aliased provider).
terraform_validate() {
  local version="$1" usecase out bad=0
  local -a flags=()
  [ "$version" = "$TERRAFORM_VERSION" ] || flags=(-no-tests)
  for usecase in "${USECASES[@]}"; do
    if out="$(tf_in "$version" "$usecase" validate -no-color "${flags[@]}" 2>&1)"; then
      log "  terraform $version validate $usecase: $(sed -n '/[^[:space:]]/p' <<<"$out" | paste -sd ' ' -)"
    else
      printf '%s\n' "$out"
      log "  terraform $version validate $usecase failed"
      bad=1
    fi
  done
  return "$bad"
}

# terraform test: every usecase's tests/*.tftest.hcl, with the AWS provider mocked (nothing is created, no
# credentials). Each plans the usecase (the backend in both of setup.sh's passes) and checks what matters.
terraform_test() {
  local usecase bad=0
  for usecase in "${USECASES[@]}"; do
    log "  terraform $TERRAFORM_CURRENT_VERSION test $usecase"
    tf_in "$TERRAFORM_CURRENT_VERSION" "$usecase" test -no-color || bad=1
  done
  return "$bad"
}

terraform_fmt() {
  # The current version also formats the tests (*.tftest.hcl), which 1.5 does not know.
  "$TERRAFORM" fmt -check -recursive -diff terraform
}

tfsec_scan() {
  # Any finding fails, whatever its severity; ignores are listed below and must be justified.
  "$TFSEC" terraform --no-colour --minimum-severity LOW --concise-output
}

# Every tfsec:ignore must carry a justification: text after the rule on the same line, or a comment line above.
tfsec_ignores_justified() {
  local bad=0 file line text prev
  while IFS=: read -r file line text; do
    prev="$(sed -n "$((line - 1))p" "$file")"
    if [[ "$text" =~ tfsec:ignore:[^[:space:]]+[[:space:]]+[^[:space:]].{10,} ]] || [[ "$prev" =~ ^[[:space:]]*# ]]; then
      log "  ignore $file:$line: $(sed -E 's/^[[:space:]]*#[[:space:]]*//' <<<"$text")"
    else
      log "  UNJUSTIFIED ignore $file:$line: $text"
      bad=1
    fi
  done < <(grep -rn --include='*.tf' 'tfsec:ignore' terraform || true)
  return "$bad"
}

tfcheck() {
  node tools/tfcheck/index.js terraform --targets setup.sh
}

tfcheck_selftest() {
  node tools/tfcheck/selftest.js
}

# Every lambdas/* directory that setup.sh builds is a function the backend deploys: an entry of its
# function table (`<name> = {`) or a module of its own reading build/<name>.zip.
lambdas_deployed() {
  local dir name bad=0 backend=terraform/usecases/backend/main.tf
  for dir in lambdas/*/; do
    name="$(basename "$dir")"
    if grep -Eq "^[[:space:]]+${name}[[:space:]]*=[[:space:]]*\{|/${name}\.zip\"" "$backend"; then
      log "  lambdas/$name: deployed by $backend"
    else
      log "  lambdas/$name is built but $backend deploys no function from it"
      bad=1
    fi
  done
  return "$bad"
}

shellcheck_scripts() {
  shellcheck setup.sh .ci/run .ci/*.sh
}

setup_build() {
  ./setup.sh build || return 1
  local dir name absent=0 sums
  for dir in lambdas/*/; do
    name="$(basename "$dir")"
    if [ ! -s "build/$name.zip" ]; then
      log "missing build/$name.zip"
      absent=1
    fi
  done
  [ "$absent" -eq 0 ] || return 1
  # Reproducible: a second build gives byte-identical zips.
  sums="$(sha256sum build/*.zip)"
  ./setup.sh build >/dev/null || return 1
  if [ "$sums" != "$(sha256sum build/*.zip)" ]; then
    log "the zips differ between two builds of the same sources"
    return 1
  fi
  log "zips are reproducible"
}

# --- Run -------------------------------------------------------------------------------------

# A CLI configuration file that does not exist only produces warnings.
if [ -n "${TF_CLI_CONFIG_FILE:-}" ] && [ ! -f "$TF_CLI_CONFIG_FILE" ]; then
  unset TF_CLI_CONFIG_FILE
fi
export CHECKPOINT_DISABLE=1

check "tools: shellcheck, node, npm, go" install_packages
check "tools: terraform $TERRAFORM_VERSION and $TERRAFORM_CURRENT_VERSION, tfsec $TFSEC_VERSION" install_tools
check "tools: tfcheck npm dependencies" install_tfcheck
check "terraform provider: hashicorp/aws $AWS_PROVIDER_VERSION, as every lock file pins it, from the mirror" provider_mirror
if [ -n "${TERRAFORM:-}" ]; then
  check "terraform fmt -check -recursive terraform" terraform_fmt
fi
if [ -n "${TERRAFORM:-}" ] && [ -n "${TERRAFORM_OLDEST:-}" ] && [ -n "${PROVIDER_READY:-}" ]; then
  check "terraform init -backend=false -lockfile=readonly, every usecase, with $TERRAFORM_VERSION and $TERRAFORM_CURRENT_VERSION" terraform_init
  check "terraform validate with $TERRAFORM_VERSION (the oldest supported), every usecase" terraform_validate "$TERRAFORM_VERSION"
  check "terraform validate with $TERRAFORM_CURRENT_VERSION (current), every usecase" terraform_validate "$TERRAFORM_CURRENT_VERSION"
  check "terraform test with $TERRAFORM_CURRENT_VERSION (mocked AWS provider), every usecase" terraform_test
fi
if [ -n "${TFSEC:-}" ]; then
  check "tfsec (no finding of any severity)" tfsec_scan
fi
check "tfsec ignores are justified inline" tfsec_ignores_justified
check "tfcheck: AWS provider schema, module variables and outputs" tfcheck
check "tfcheck self-test" tfcheck_selftest
check "every lambdas/* directory is deployed by the backend" lambdas_deployed
check "shellcheck setup.sh .ci/run .ci/*.sh" shellcheck_scripts
check "./setup.sh build (a reproducible zip per lambdas/* directory)" setup_build

log ""
log "terraform checks: $(($(date +%s) - START)) s"
if [ "${#FAILED[@]}" -gt 0 ]; then
  log "FAIL terraform checks: ${FAILED[*]}"
  exit 1
fi
log "PASS terraform checks"
