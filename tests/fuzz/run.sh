#!/usr/bin/env bash
# Fuzz passes 1 and 2 (lexer, preprocessor, parser, printer, elaboration) for a bounded time,
# then replay the saved crash inputs in tests/fuzz/regressions/.
#   fuzz/front        60 s of libFuzzer from a scratch corpus seeded with
#                     tests/fuzz/corpus/ and every .stp file in the repo
#   fuzz/regressions  every file in tests/fuzz/regressions/ must run cleanly
# FUZZ_SECONDS overrides the 60 s.  A failing run keeps its scratch folder
# (the crash input and the full log) and names it.
set -uo pipefail
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
FUZZ_BUILD=${FUZZ_BUILD:-$ROOT/build-fuzz}
fuzzer=$FUZZ_BUILD/tests/fuzz/fuzz_front
seconds=${FUZZ_SECONDS:-60}

if [[ ! -x $fuzzer ]]; then
  if [[ ! -f $FUZZ_BUILD/build.ninja ]]; then why="$FUZZ_BUILD is not configured; run scripts/setup.sh"
  else why="no $fuzzer"; fi
  echo "SKIP: fuzz/front (fuzzer not built: $why)"
  exit 0
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/ctap-fuzz.XXXXXX")
keep=
trap '[[ -n $keep ]] || rm -rf "$scratch"' EXIT
mkdir "$scratch/corpus" "$scratch/artifacts"

# The first lines of a sanitizer or libFuzzer report in log FILE.
report() {
  local start
  start=$(grep -nm1 -E '^==[0-9]+==|runtime error:|^ERROR: libFuzzer|deadly signal|^SUMMARY' "$1" | cut -d: -f1)
  if [[ -n $start ]]; then tail -n "+$start" "$1" | head -n 40
  else tail -n 40 "$1"; fi
}

# Seed corpus: flatten paths into file names so that nothing collides.
shopt -s nullglob
for f in "$ROOT"/tests/fuzz/corpus/*; do
  [[ -f $f ]] && cp "$f" "$scratch/corpus/corpus_$(basename "$f")"
done
while IFS= read -r -d '' f; do
  rel=${f#"$ROOT"/}
  cp "$f" "$scratch/corpus/${rel//\//_}"
done < <(find "$ROOT" \( -path "$ROOT/.git" -o -path "$ROOT/build*" \) -prune -o -name '*.stp' -type f -print0)

# (The braces silence bash's own "Aborted" notice; the log has the report.)
{ timeout -k 10 $((seconds + 120)) "$fuzzer" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -artifact_prefix="$scratch/artifacts/" \
    "$scratch/corpus" >"$scratch/log" 2>&1; } 2>/dev/null
rc=$?
if ((rc == 0)); then
  echo "PASS: fuzz/front ($(grep -m1 -oE 'Done [0-9]+ runs' "$scratch/log" || echo finished))"
else
  keep=1
  echo "FAIL: fuzz/front (exit $rc; log and inputs kept in $scratch)"
  for a in "$scratch"/artifacts/*; do echo "    crash input: $a"; done
  report "$scratch/log" | sed 's/^/    /'
fi

regressions=("$ROOT"/tests/fuzz/regressions/*)
if ((${#regressions[@]})); then
  { timeout -k 10 300 "$fuzzer" -timeout=10 -rss_limit_mb=2048 "${regressions[@]}" \
      >"$scratch/regressions.log" 2>&1; } 2>/dev/null
  rc=$?
  if ((rc == 0)); then
    echo "PASS: fuzz/regressions (${#regressions[@]} inputs)"
  else
    keep=1
    echo "FAIL: fuzz/regressions (exit $rc; log in $scratch/regressions.log)"
    last=$(grep -oE '^Running: .*' "$scratch/regressions.log" | tail -n 1)
    [[ -n $last ]] && echo "    crash input: ${last#Running: }"
    report "$scratch/regressions.log" | sed 's/^/    /'
  fi
fi
exit 0
