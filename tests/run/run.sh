#!/usr/bin/env bash
# Scripts run for real (pass 5) with the bpf runtime on this machine: the
# proof that `stap` and `staprun` do what SystemTap 4.8 documents.
#
# A test is tests/run/NAME.stp or tests/run/NAME.sh, with companions:
#   NAME.out      the exact expected standard output (required)
#   NAME.args     NAME.stp only: one line of extra stap options, in shell
#                 syntax, placed before the script (e.g.
#                 -c "$WORKLOAD reads 10 100" -DMAXSTRINGLEN=16)
#   NAME.argv     NAME.stp only: one line of script arguments ($1/@1...),
#                 in shell syntax, placed after the script
#   NAME.err      the exact expected standard error, or
#   NAME.errgrep  extended regexps, one a line, that must match lines of
#                 standard error in that order (other lines may come
#                 between them); with neither, standard error must be empty
#   NAME.rc       the expected exit status (default 0)
# A NAME.stp test runs as
#   cd tests/run && stap --runtime=bpf ARGS NAME.stp ARGV
# so that messages name the script as `NAME.stp`.  A NAME.sh test runs
# with bash from a fresh scratch directory ($TMP) with STAP, STAPRUN,
# WORKLOAD, DIR (this folder), ROOT and TMP in its environment; its
# standard output is compared with NAME.out and its exit status with
# NAME.rc; its standard error is shown when it fails.  $WORKLOAD is
# ctap-workload (workload.c says what each subcommand does).
#
# Each test has a time limit (RUN_TIMEOUT, 30 s; twice that for .sh
# tests): a hang is a FAIL, never a stuck suite.  Tests run one after the
# other.  Every test is SKIPped, with the reason, when this machine cannot
# run bpf programs for us (not root, no BPF syscall, no BTF, no tracefs).
# Run some tests only by naming them: bash tests/run/run.sh printf arith
set -uo pipefail
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=${ROOT:-$(cd "$DIR/../.." && pwd)}
# BUILD=DIR tests another build directory (default: the ASan build).
if [[ -n ${BUILD:-} ]]; then BUILD=$(cd "$BUILD" && pwd) || exit 1
elif [[ -n ${STAP:-} ]]; then BUILD=$(dirname "$STAP")
else BUILD=$ROOT/build-asan
fi
STAP=${STAP:-$BUILD/stap}
STAPRUN=${STAPRUN:-$BUILD/staprun}
WORKLOAD=${WORKLOAD:-$BUILD/tests/run/ctap-workload}
TIMEOUT=${RUN_TIMEOUT:-30}
# Absolute, as the tests pass $WORKLOAD to process(@1) probes and compare
# it with the path the kernel saw at exec.
[[ $WORKLOAD == /* ]] || WORKLOAD=$PWD/$WORKLOAD
export DIR ROOT STAP STAPRUN WORKLOAD
# Leak checking would flag libbpf's own allocations at exit; errors still
# abort.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1

# The tests, by name: those given, else every NAME.stp and NAME.sh here.
names=()
if (($#)); then
  names=("$@")
else
  for f in "$DIR"/*.stp "$DIR"/*.sh; do
    n=$(basename "${f%.*}")
    [[ -f $f && $n != run ]] && names+=("$n")
  done
  mapfile -t names < <(printf '%s\n' "${names[@]}" | sort -u)
fi

# Why this machine cannot run the tests, or nothing.  Loading bpf programs
# and attaching tracepoints, uprobes and perf events needs root with
# CAP_SYS_ADMIN (or CAP_BPF and CAP_PERFMON), a kernel with the bpf syscall
# (whose sysctl unprivileged_bpf_disabled exists exactly then), BTF and
# tracefs.
skip_reason() {
  if ((EUID != 0)); then echo "not root"; return; fi
  local cap
  cap=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
  cap=$((16#${cap:-0}))
  if (( !(cap >> 21 & 1) && !((cap >> 39 & 1) && (cap >> 38 & 1)) )); then
    echo "no CAP_SYS_ADMIN nor CAP_BPF+CAP_PERFMON"; return
  fi
  if [[ ! -e /proc/sys/kernel/unprivileged_bpf_disabled ]]; then
    echo "kernel without the bpf syscall"; return
  fi
  if [[ ! -r /sys/kernel/btf/vmlinux ]]; then echo "no kernel BTF"; return; fi
  # stap mounts tracefs when it needs it; so does this check (a fresh
  # boot may not have it mounted yet)
  if [[ ! -d /sys/kernel/tracing/events && ! -d /sys/kernel/debug/tracing/events ]]; then
    mount -t tracefs nodev /sys/kernel/tracing 2> /dev/null
  fi
  if [[ ! -d /sys/kernel/tracing/events && ! -d /sys/kernel/debug/tracing/events ]]; then
    echo "no tracefs"; return
  fi
}

reason=$(skip_reason)
if [[ -n $reason ]]; then
  for n in "${names[@]}"; do echo "SKIP: run/$n ($reason)"; done
  exit 0
fi
if [[ ! -x $STAP ]]; then
  echo "FAIL: run (driver not built: $STAP)"
  exit 0
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/ctap-run.XXXXXX") || exit 0
trap 'rm -rf "$scratch"' EXIT

# compare WHAT EXPECTED-FILE ACTUAL-FILE: append a diff to $problems.
compare() {
  diff -u --label "expected $1" --label "actual $1" "$2" "$3" > "$scratch/diff" && return 0
  problems+="$(head -n 60 "$scratch/diff")"$'\n'
}

# errgrep PATTERNS STDERR: every regexp of PATTERNS matches a line of
# STDERR, in order; append what did not to $problems.
errgrep() {
  local re line n=0 missing=
  mapfile -t lines < "$2"
  while IFS= read -r re; do
    [[ -z $re ]] && continue
    while ((n < ${#lines[@]})); do
      line=${lines[n]}
      n=$((n + 1))
      if grep -qE -e "$re" <<< "$line"; then continue 2; fi
    done
    missing+="no line of stderr (in order) matches /$re/"$'\n'
    n=${#lines[@]}
  done < "$1"
  problems+=$missing
}

for name in "${names[@]}"; do
  base=$DIR/$name
  out=$scratch/stdout err=$scratch/stderr
  problems=
  if [[ ! -x $WORKLOAD ]] && grep -qs WORKLOAD "$base".*; then
    echo "FAIL: run/$name (workload not built: $WORKLOAD)"
    continue
  fi
  if [[ -f $base.stp ]]; then
    opts=() argv=()
    if [[ -f $base.args ]]; then eval "opts=($(<"$base.args"))"; fi
    if [[ -f $base.argv ]]; then eval "argv=($(<"$base.argv"))"; fi
    shown="stap --runtime=bpf $( ((${#opts[@]})) && printf '%q ' "${opts[@]}")$name.stp$( ((${#argv[@]})) && printf ' %q' "${argv[@]}")"
    (cd "$DIR" && exec timeout -k 5 "$TIMEOUT" "$STAP" --runtime=bpf "${opts[@]}" \
       "$name.stp" "${argv[@]}") < /dev/null > "$out" 2> "$err"
    rc=$?
    limit=$TIMEOUT
  elif [[ -f $base.sh ]]; then
    tmp=$scratch/tmp
    rm -rf "$tmp" && mkdir "$tmp"
    shown="bash $name.sh"
    (cd "$tmp" && TMP=$tmp exec timeout -k 5 $((2 * TIMEOUT)) bash "$base.sh") \
      < /dev/null > "$out" 2> "$err"
    rc=$?
    limit=$((2 * TIMEOUT))
  else
    echo "FAIL: run/$name (no $name.stp or $name.sh)"
    continue
  fi

  want_rc=0
  [[ -f $base.rc ]] && want_rc=$(<"$base.rc")
  if ((rc == 124 || rc == 137)); then
    problems+="timed out after $limit s (exit $rc)"$'\n'
  elif ((rc != want_rc)); then
    problems+="exit status $rc, expected $want_rc"$'\n'
  fi
  if [[ -f $base.out ]]; then
    compare stdout "$base.out" "$out"
  else
    problems+="no expected output $name.out"$'\n'
  fi
  if grep -qE 'Sanitizer|runtime error:' "$err"; then
    problems+="sanitizer report on stderr"$'\n'
  fi
  if [[ -f $base.stp ]]; then
    if [[ -f $base.err ]]; then
      compare stderr "$base.err" "$err"
    elif [[ -f $base.errgrep ]]; then
      errgrep "$base.errgrep" "$err"
    elif [[ -s $err ]]; then
      problems+="unexpected stderr"$'\n'
    fi
  fi

  if [[ -z $problems ]]; then
    echo "PASS: run/$name"
  else
    echo "FAIL: run/$name"
    echo "    \$ $shown"
    sed 's/^/    /' <<< "${problems%$'\n'}"
    if [[ -s $err ]]; then
      echo "    stderr was:"
      head -n 20 "$err" | sed 's/^/      /'
    fi
  fi
done
exit 0
