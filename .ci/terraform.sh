#!/usr/bin/env bash
# Offline checks of the deployment (terraform/, setup.sh, tools/tfcheck): no AWS account, no Terraform registry.
#   bash .ci/terraform.sh        (from the repository root; installs what is missing when run as root)
# Prints one PASS/FAIL line per check and exits non-zero if any check failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TERRAFORM_VERSION="1.5.7"
TFSEC_VERSION="1.26.0"
CACHE_DIR="${DELIVERY_CI_CACHE:-/var/cache/delivery-ci}"
BIN_DIR="$CACHE_DIR/bin"

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

install_tools() {
  TERRAFORM="$(go_tool terraform "$TERRAFORM_VERSION" github.com/hashicorp/terraform)" &&
    # No grep -q or head here: they close the pipe early, and under
    # pipefail the writer's SIGPIPE (exit 141) fails the check at random.
    [[ "$("$TERRAFORM" version | sed -n 1p)" == "Terraform v$TERRAFORM_VERSION"* ]] &&
    TFSEC="$(go_tool tfsec "$TFSEC_VERSION" github.com/aquasecurity/tfsec/cmd/tfsec)" &&
    log "terraform: $TERRAFORM" && log "tfsec: $TFSEC"
}

install_tfcheck() {
  (cd tools/tfcheck && npm ci --no-audit --no-fund --loglevel=error)
}

# --- Checks --------------------------------------------------------------------------------

terraform_fmt() {
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
check "tools: terraform $TERRAFORM_VERSION and tfsec $TFSEC_VERSION" install_tools
check "tools: tfcheck npm dependencies" install_tfcheck
if [ -n "${TERRAFORM:-}" ]; then
  check "terraform fmt -check -recursive terraform" terraform_fmt
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
