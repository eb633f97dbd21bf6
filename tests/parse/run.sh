#!/bin/bash
# Pass-1 golden tests: runs `stap -p1` over tests/parse/ok and tests/parse/err
# and compares with the expected outputs, then checks that the printer's
# output is a fixed point of parse+print for every .stp file in the repo.
#
#   tests/parse/run.sh              (STAP=/path/to/stap to test another binary)
#
# Prints one line per test: PASS: NAME, FAIL: NAME (with an indented diff) or
# SKIP: NAME (reason).  Exits 0 whenever it ran; callers count FAIL lines.
#
#   ok/NAME.stp    must parse (exit 0); stdout must equal NAME.p1.
#   err/NAME.stp   must fail: exit 1, nothing on stdout, stderr ending with
#                  "Pass 1: parse failed.  [man error::pass1]", and its first
#                  diagnostic block equal to NAME.err (and, if NAME.nerr
#                  exists, that many diagnostics in all).
#   fixedpoint/F   for each F that parses: stap -p1 F > out1, stap -p1 out1
#                  > out2; out1 and out2 must agree except for "# file".
#
# Regenerate expected files after reviewing a change with regen.sh.

source "$(dirname "$0")/lib.sh"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ctap-parse.XXXXXX") || exit 0
trap 'rm -rf "$TMP"' EXIT

if [[ ! -x $STAP ]]; then
  for f in "$PARSE_DIR"/ok/*.stp "$PARSE_DIR"/err/*.stp; do
    name=${f#"$PARSE_DIR"/}
    echo "SKIP: parse/${name%.stp} (no stap binary at $STAP)"
  done
  exit 0
fi

# fail NAME REASON: prints the FAIL line and an indented reason from stdin.
fail() {
  echo "FAIL: $1${2:+ ($2)}"
  indent 20
}

run_ok() {
  local stp=$1 name=parse/ok/$(basename "${1%.stp}")
  local expect=${stp%.stp}.p1 rc
  if [[ ! -f $expect ]]; then
    echo "FAIL: $name (no expected output: review the output, then run regen.sh)"
    return
  fi
  load_companions "$stp"
  run_stap "$(dirname "$stp")" "$(basename "$stp")" "$TMP/out" "$TMP/err"
  rc=$?
  if ((rc != 0)); then
    fail "$name" "$(describe_status $rc)" < "$TMP/err"
  elif ! diff -q "$expect" "$TMP/out" > /dev/null; then
    diff -a -u "$expect" "$TMP/out" | tail -n +3 | fail "$name" "output differs"
  else
    echo "PASS: $name"
  fi
}

run_err() {
  local stp=$1 name=parse/err/$(basename "${1%.stp}")
  local expect=${stp%.stp}.err nerr=${stp%.stp}.nerr rc
  if [[ ! -f $expect ]]; then
    echo "FAIL: $name (no expected output: review the output, then run regen.sh)"
    return
  fi
  load_companions "$stp"
  run_stap "$(dirname "$stp")" "$(basename "$stp")" "$TMP/out" "$TMP/err"
  rc=$?
  first_block "$TMP/err" > "$TMP/first"
  if ((rc != 1)); then
    { echo "expected exit status 1"; cat "$TMP/err"; } |
      fail "$name" "$(describe_status $rc)"
  elif [[ -s $TMP/out ]]; then
    fail "$name" "output on stdout" < "$TMP/out"
  elif [[ $(last_line "$TMP/err") != "$FAILED_LINE" ]]; then
    { echo "stderr does not end with: $FAILED_LINE"; tail -n 5 "$TMP/err"; } |
      fail "$name" "bad last line"
  elif ! diff -q "$expect" "$TMP/first" > /dev/null; then
    diff -a -u "$expect" "$TMP/first" | tail -n +3 |
      fail "$name" "first diagnostic differs"
  elif [[ -f $nerr && $(count_diags "$TMP/err") != "$(< "$nerr")" ]]; then
    { echo "expected $(< "$nerr") diagnostics, got $(count_diags "$TMP/err"):"
      cat "$TMP/err"; } | fail "$name" "diagnostic count differs"
  else
    echo "PASS: $name"
  fi
}

# run_fixedpoint PATH: PATH is relative to the repository root.
run_fixedpoint() {
  local rel=$1 name=fixedpoint/$1 stp=$REPO_ROOT/$1 rc
  local -a extra=()
  load_companions "$stp"
  # Tapset files with embedded C parse only in guru mode.
  if [[ $rel != tests/parse/* && " ${OPTS[*]} " != *" -g "* ]]; then
    local text
    { text=$(< "$stp"); } 2> /dev/null
    [[ $text == *'%{'* ]] && extra=(-g)
  fi
  run_stap "$(dirname "$stp")" "$(basename "$stp")" "$TMP/fp1.stp" \
    "$TMP/err" "${extra[@]}"
  rc=$?
  if ((rc != 0)); then
    echo "SKIP: $name (does not parse: $(describe_status $rc))"
    return
  fi
  run_stap "$TMP" fp1.stp "$TMP/fp2.stp" "$TMP/err" "${extra[@]}"
  rc=$?
  if ((rc != 0)); then
    { echo "reparsing the printed program failed:"; cat "$TMP/err"; } |
      fail "$name" "$(describe_status $rc)"
  elif ! diff -a -q -I '^# file ' "$TMP/fp1.stp" "$TMP/fp2.stp" > /dev/null; then
    diff -a -u -I '^# file ' "$TMP/fp1.stp" "$TMP/fp2.stp" | tail -n +3 |
      fail "$name" "printed program is not a fixed point"
  else
    echo "PASS: $name"
  fi
}

for f in "$PARSE_DIR"/ok/*.stp; do
  [[ -f $f ]] && run_ok "$f"
done
for f in "$PARSE_DIR"/err/*.stp; do
  [[ -f $f ]] && run_err "$f"
done

# Every .stp in the repository (but err/), plus the ok/ corpus even before
# it is committed.
{
  git -C "$REPO_ROOT" ls-files -- '*.stp' 2> /dev/null
  for f in "$PARSE_DIR"/ok/*.stp; do
    [[ -f $f ]] && echo "${f#"$REPO_ROOT"/}"
  done
} | sort -u > "$TMP/files"
while IFS= read -r rel; do
  # err/ scripts and broken/ test tapsets are meant not to parse.
  [[ $rel == tests/parse/err/* || $rel == */broken/* ]] && continue
  [[ -f $REPO_ROOT/$rel ]] && run_fixedpoint "$rel"
done < "$TMP/files"
exit 0
