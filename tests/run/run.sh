#!/usr/bin/env bash
# tests/run: scripts run for real on this machine's kernel with the bpf
# runtime (as root).  Each test is NAME.stp with NAME.out (exact stdout),
# optional NAME.args (more stap arguments, one line, $WORKLOAD allowed),
# NAME.rc (exit status, default 0) and NAME.err (exact stderr); or NAME.sh,
# run with STAP, STAPRUN, TMP set, whose stdout is compared with NAME.out.
set -uo pipefail
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$ROOT/build-asan}
STAP=${STAP:-$BUILD/stap}
STAPRUN=${STAPRUN:-$BUILD/staprun}
export STAP STAPRUN
DIR=$ROOT/tests/run
# Leak checking would flag libbpf's own allocations at exit; errors still
# abort.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1

skip_all() {
  for t in "$DIR"/*.stp "$DIR"/*.sh; do
    n=$(basename "$t"); n=${n%.*}
    [[ $n == run ]] && continue
    echo "SKIP: run/$n ($1)"
  done
  exit 0
}
((EUID == 0)) || skip_all "needs root to load BPF programs"
[[ -d /sys/kernel/btf ]] || skip_all "the kernel has no BTF"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ctap-run.XXXXXX")
export TMP
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

check() { # name expected-file actual-file what
  if ! diff -u "$2" "$3" >"$TMP/diff"; then
    echo "FAIL: run/$1 ($4 differs)"
    sed 's/^/    /' "$TMP/diff" | head -40
    return 1
  fi
}

for t in "$DIR"/*.stp "$DIR"/*.sh; do
  name=$(basename "$t"); name=${name%.*}
  [[ $name == run ]] && continue
  if [[ $t == *.sh ]]; then
    timeout -k 5 60 bash "$t" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if ((rc != 0)); then
      echo "FAIL: run/$name (exit $rc)"
      sed 's/^/    /' "$TMP/err" | tail -20
      continue
    fi
    check "$name" "$DIR/$name.out" "$TMP/out" stdout && echo "PASS: run/$name"
    continue
  fi
  args=()
  [[ -f $DIR/$name.args ]] && eval "args=($(cat "$DIR/$name.args"))"
  timeout -k 5 60 "$STAP" "${args[@]}" "$t" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  want_rc=0
  [[ -f $DIR/$name.rc ]] && want_rc=$(cat "$DIR/$name.rc")
  ok=1
  check "$name" "$DIR/$name.out" "$TMP/out" stdout || ok=0
  if ((ok)) && [[ -f $DIR/$name.err ]]; then
    # the default-runtime notice depends on the machine
    grep -v '^stap: using --runtime=bpf' "$TMP/err" | sed "s|$t|SCRIPT|g" >"$TMP/err2"
    check "$name" "$DIR/$name.err" "$TMP/err2" stderr || ok=0
  fi
  if ((ok)) && ((rc != want_rc)); then
    echo "FAIL: run/$name (exit $rc, expected $want_rc)"
    sed 's/^/    /' "$TMP/err" | tail -20
    ok=0
  fi
  ((ok)) && echo "PASS: run/$name"
done
exit 0
