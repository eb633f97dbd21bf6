#!/usr/bin/env bash
# Run every unit-test executable $BUILD/tests/unit/test_* from the repo root.
# They print their own PASS:/FAIL:/SKIP: lines; other output is indented as
# detail.  A test that exits non-zero without a FAIL line gets one here, with
# the end of its other output (a sanitizer report, say) below it.
set -uo pipefail
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$ROOT/build-asan}
cd "$ROOT" || exit 1
results='^(PASS|FAIL|SKIP): '

shopt -s nullglob
for t in "$BUILD"/tests/unit/test_*; do
  [[ -f $t && -x $t ]] || continue
  name=$(basename "$t")
  output=$( { timeout -k 5 120 "$t" 2>&1 </dev/null; } 2>/dev/null)
  rc=$?
  if ((rc != 0)) && ! grep -q '^FAIL: ' <<<"$output"; then
    grep -E "$results" <<<"$output"
    echo "FAIL: unit/$name (exit $rc)"
    grep -vE "$results" <<<"$output" | tail -n 60 | sed 's/^/    /'
  elif [[ -n $output ]] && grep -qE "$results" <<<"$output"; then
    sed -E "/$results/!s/^/    /" <<<"$output"
  else   # exit 0 and no result lines of its own
    echo "PASS: unit/$name"
    [[ -n $output ]] && sed 's/^/    /' <<<"$output"
  fi
done
exit 0
