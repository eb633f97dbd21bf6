#!/usr/bin/env bash
# Run every test category (tests/*/run.sh) against the ASan+UBSan build and
# print the totals.  Assumes `bash scripts/setup.sh` has run.
#
# Each runner prints `PASS: name`, `FAIL: name` (details indented below) or
# `SKIP: name (reason)`; a runner that exits non-zero counts as one more FAIL.
# Run one category alone with the same environment, e.g.:
#   bash tests/run-tests.sh cli
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ROOT
export BUILD=$ROOT/build-asan
export STAP=$BUILD/stap
export FUZZ_BUILD=$ROOT/build-fuzz
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# Categories: those named on the command line, else every folder with a
# run.sh, the slow fuzz category last.
if (($#)); then
  categories=("$@")
else
  categories=()
  for r in "$ROOT"/tests/*/run.sh; do
    c=$(basename "$(dirname "$r")")
    [[ $c == fuzz ]] || categories+=("$c")
  done
  [[ -f $ROOT/tests/fuzz/run.sh ]] && categories+=(fuzz)
fi

out=$(mktemp "${TMPDIR:-/tmp}/ctap-tests.XXXXXX")
trap 'rm -f "$out"' EXIT

for c in "${categories[@]}"; do
  runner=$ROOT/tests/$c/run.sh
  if [[ ! -f $runner ]]; then
    echo "FAIL: $c/run.sh does not exist" | tee -a "$out"
    continue
  fi
  # A generous bound so that a hung runner cannot hang the suite.
  (cd "$ROOT" && timeout -k 10 1800 bash "$runner" </dev/null) 2>&1 | tee -a "$out"
  rc=${PIPESTATUS[0]}
  if ((rc != 0)); then
    echo "FAIL: $c/run.sh exited $rc" | tee -a "$out"
  fi
done

passed=$(grep -c '^PASS: ' "$out")
failed=$(grep -c '^FAIL: ' "$out")
skipped=$(grep -c '^SKIP: ' "$out")
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
