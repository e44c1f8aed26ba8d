#!/usr/bin/env bash
# Runs every Go native fuzz target of the module for a bounded time
# (FUZZ_TIME, 10s by default, with two workers each) and prints how many
# executions each reached. Targets are found with `go test -list` in every
# package whose tests declare one, so a new FuzzXxx runs without editing
# this file. A failure names the target and the crasher file that `go test`
# wrote under the package's testdata/fuzz: keep it there as a regression
# seed once the code is fixed. The seed corpora also run in plain `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="/usr/local/go/bin:$PATH"
fuzz_time="${FUZZ_TIME:-10s}"

# packages_with_fuzz_tests prints "import/path dir" for each package whose
# test files declare a fuzz target, so that only those test binaries are
# built to be listed.
packages_with_fuzz_tests() {
  local pkg dir
  while read -r pkg dir; do
    if grep -qsE '^func Fuzz[A-Z0-9_]' "$dir"/*_test.go; then
      printf '%s %s\n' "$pkg" "$dir"
    fi
  done < <(go list -f '{{.ImportPath}} {{.Dir}}' ./...)
}

# fuzz_targets prints the fuzz targets of package pkg, one a line.
fuzz_targets() {
  go test -list '^Fuzz' "$1" | grep -E '^Fuzz' || true
}

# run_target fuzzes one target; on failure it names the crasher.
run_target() {
  local pkg=$1 dir=$2 target=$3 log execs crasher
  log="$(mktemp)"
  if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzz_time" -parallel 2 "$pkg" >"$log" 2>&1; then
    execs="$(grep -oE 'execs: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2 || true)"
    printf '%-22s %-50s %12s execs\n' "$target" "$pkg" "${execs:-0}"
    results+=("$target $pkg ${execs:-0}")
    rm -f "$log"
    return 0
  fi
  echo "FAIL: $target ($pkg)"
  tail -n 40 "$log"
  crasher="$(grep -oE 'testdata/fuzz/[^ ]+' "$log" | head -n 1 || true)"
  if [[ -n "$crasher" ]]; then
    echo "crasher: ${dir#"$PWD"/}/$crasher"
    echo "reproduce: go test -run '${target}/$(basename "$crasher")' $pkg"
  fi
  failures+=("$target ($pkg)${crasher:+: ${dir#"$PWD"/}/$crasher}")
  rm -f "$log"
}

main() {
  local pkg dir target started
  results=()
  failures=()
  started=$SECONDS
  echo "fuzzing each target for $fuzz_time"
  while read -r pkg dir; do
    while read -r target; do
      [[ -n "$target" ]] || continue
      run_target "$pkg" "$dir" "$target"
    done < <(fuzz_targets "$pkg")
  done < <(packages_with_fuzz_tests)

  if ((${#results[@]} + ${#failures[@]} == 0)); then
    echo "no fuzz targets found" >&2
    exit 1
  fi
  echo
  echo "${#results[@]} target(s) passed, ${#failures[@]} failed, in $((SECONDS - started)) s"
  if ((${#failures[@]})); then
    printf 'failed: %s\n' "${failures[@]}"
    exit 1
  fi
}

main "$@"
