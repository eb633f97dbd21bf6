#!/bin/bash
# Pass-2 golden tests against this machine's kernel: `stap -p2` output and
# the first semantic error, like tests/parse (same companions .opts and
# .args).
#   ok/NAME.stp    must elaborate (exit 0); stdout must equal NAME.p2, and
#                  stderr NAME.stderr (the warnings) or nothing.
#   err/NAME.stp   must fail: exit 1, stderr ending with "Pass 2: analysis
#                  failed.  [man error::pass2]", first diagnostic = NAME.err.
#   list/NAME.cmd  a stap command line (-l/-L); every line of NAME.grep
#                  (an extended regexp) must match a line of its output.
#   examples/NAME  every examples/*.stp elaborates (-p2) for this kernel,
#                  except those listed in examples.fail with the first line
#                  of their expected error ({release} stands for the
#                  kernel's release).
#   sweep          every .stp in the repository through -p2: exit 0 or 1,
#                  no sanitizer report.
#   debian/...     the same examples and list/*.cmd against Debian 12's
#                  current kernel (scripts/fetch-debian-kernel.sh, -r its
#                  build tree; SKIP if the package registry is unreachable),
#                  with debian-list/NAME.cmd and .grep for its own facts;
#                  examples expected to fail there would be listed in
#                  debian-examples.fail (none: with the debuginfo the fetch
#                  adds, *@FILE works there).
# One line per test: PASS:/FAIL:/SKIP:; exits 0 whenever it ran.
# Regenerate expectations after reviewing a change: regen.sh NAME...
DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$DIR/../.." && pwd)
STAP=${STAP:-$ROOT/build-asan/stap}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ctap-sema.XXXXXX") || exit 0
trap 'rm -rf "$TMP"' EXIT

# run NAME.stp: stap -p2 from the test's folder, into $TMP/out and $TMP/err.
run() {
  local stp=$1 base=${1%.stp}
  local -a opts=() args=()
  [[ -f $base.opts ]] && read -d '' -ra opts < "$base.opts"
  [[ -f $base.args ]] && mapfile -t args < "$base.args"
  (cd "$(dirname "$stp")" && exec timeout -k 5 60 "$STAP" -p2 "${opts[@]}" \
     "$(basename "$stp")" "${args[@]}") > "$TMP/out" 2> "$TMP/err" < /dev/null
}

first_block() {
  awk 'NF == 0 || /^Pass 2:/ { exit } { print }' "$1"
}

fail() {
  echo "FAIL: $1 ($2)"
  head -n 30 | sed 's/^/    /'
}

for stp in "$DIR"/ok/*.stp; do
  [[ -f $stp ]] || continue
  name=sema/ok/$(basename "${stp%.stp}")
  want_err=${stp%.stp}.stderr
  [[ -f $want_err ]] || want_err=/dev/null
  run "$stp"; rc=$?
  if ((rc != 0)); then fail "$name" "exit $rc" < "$TMP/err"
  elif ! diff -u "${stp%.stp}.p2" "$TMP/out" > "$TMP/diff"; then fail "$name" "output differs" < "$TMP/diff"
  elif ! diff -u "$want_err" "$TMP/err" > "$TMP/diff"; then fail "$name" "stderr differs" < "$TMP/diff"
  else echo "PASS: $name"; fi
done

for stp in "$DIR"/err/*.stp; do
  [[ -f $stp ]] || continue
  name=sema/err/$(basename "${stp%.stp}")
  run "$stp"; rc=$?
  if ((rc != 1)); then fail "$name" "exit $rc, expected 1" < "$TMP/err"
  elif [[ $(tail -n 1 "$TMP/err") != 'Pass 2: analysis failed.  [man error::pass2]' ]]; then
    fail "$name" "no pass-2 failure line" < "$TMP/err"
  elif ! diff -u "${stp%.stp}.err" <(first_block "$TMP/err") > "$TMP/diff"; then
    fail "$name" "first diagnostic differs" < "$TMP/diff"
  else echo "PASS: $name"; fi
done

# list_check NAME CMD [KROOT]: run the command lines of CMD (with `stap`
# meaning `stap -r KROOT` when given); each regexp of CMD's .grep must match.
list_check() {
  local name=$1 cmd=$2 kroot=${3:-}
  (cd "$ROOT" && PATH=$(dirname "$STAP"):$PATH KROOT=$kroot timeout -k 5 120 \
     bash -c "stap() { command stap \${KROOT:+-r \"\$KROOT\"} \"\$@\"; }; $(<"$cmd")") \
    > "$TMP/out" 2> "$TMP/err" < /dev/null
  local rc=$? missing
  missing=$(while IFS= read -r re; do grep -qE -- "$re" "$TMP/out" || echo "no line matches: $re"; done < "${cmd%.cmd}.grep")
  if ((rc != 0)); then fail "$name" "exit $rc" < "$TMP/err"
  elif [[ -n $missing ]]; then fail "$name" "missing lines" <<< "$missing"
  else echo "PASS: $name"; fi
}

for cmd in "$DIR"/list/*.cmd; do
  [[ -f $cmd ]] && list_check "sema/list/$(basename "${cmd%.cmd}")" "$cmd"
done

# examples_check PREFIX FAILS RELEASE [stap options...]: -p2 of every
# shipped example; FAILS lists those expected to fail (may be absent).
examples_check() {
  local prefix=$1 fails=$2 release=$3
  shift 3
  for stp in "$ROOT"/examples/*.stp; do
    local ex=$(basename "${stp%.stp}") name=$prefix/examples/$(basename "${stp%.stp}")
    local -a args=()
    [[ -f ${stp%.stp}.args ]] && mapfile -t args < "${stp%.stp}.args"
    timeout -k 5 120 "$STAP" -p2 "$@" "$stp" "${args[@]}" > "$TMP/out" 2> "$TMP/err" < /dev/null
    local rc=$? want
    want=
    [[ -f $fails ]] && want=$(awk -v n="$ex" '$1 == n { sub(/^[^ ]+ /, ""); print; exit }' "$fails")
    want=${want//\{release\}/$release}
    if [[ -n $want ]]; then
      if ((rc == 1)) && [[ $(head -n 1 "$TMP/err") == "$want" ]]; then echo "PASS: $name (fails as expected)"
      else fail "$name" "expected to fail with: $want" < "$TMP/err"; fi
    elif ((rc != 0)); then fail "$name" "exit $rc" < "$TMP/err"
    else echo "PASS: $name"; fi
  done
}

examples_check sema "$DIR/examples.fail" "$(uname -r)"

# Every script in the repository through -p2 (under the sanitizers): it may
# elaborate or fail, but never crash or trip a sanitizer.
n=0 bad=
while IFS= read -r rel; do
  stp=$ROOT/$rel base=${stp%.stp}
  opts=() args=()
  [[ -f $base.opts ]] && read -d '' -ra opts < "$base.opts"
  [[ -f $base.args ]] && mapfile -t args < "$base.args"
  timeout -k 5 60 "$STAP" -p2 "${opts[@]}" "$stp" "${args[@]}" > /dev/null 2> "$TMP/err" < /dev/null
  rc=$?
  n=$((n + 1))
  if ((rc > 1)) || grep -qE 'Sanitizer|runtime error' "$TMP/err"; then
    bad+="$rel (exit $rc): $(grep -m1 -E 'ERROR|runtime error' "$TMP/err")"$'\n'
  fi
done < <(cd "$ROOT" && git ls-files '*.stp' 2> /dev/null)
if [[ -n $bad ]]; then fail sema/sweep "crashes" <<< "$bad"
else echo "PASS: sema/sweep ($n scripts)"; fi

# Debian 12's current kernel, if it can be fetched.
if fetch=$(bash "$ROOT/scripts/fetch-debian-kernel.sh" 2> "$TMP/fetch"); then
  release=$(<"$fetch/release")
  build=$fetch/root/lib/modules/$release/build
  examples_check sema/debian "$DIR/debian-examples.fail" "$release" -r "$build"
  for cmd in "$DIR"/list/*.cmd "$DIR"/debian-list/*.cmd; do
    [[ -f $cmd ]] || continue
    list_check "sema/debian/$(basename "$(dirname "$cmd")")/$(basename "${cmd%.cmd}")" "$cmd" "$build"
  done
elif grep -q 'cannot reach the package registry' "$TMP/fetch"; then
  echo "SKIP: sema/debian (Debian kernel not fetchable: $(head -n 1 "$TMP/fetch"))"
else
  fail sema/debian "fetching the Debian kernel failed" < "$TMP/fetch"
fi
exit 0
