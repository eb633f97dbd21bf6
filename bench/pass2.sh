#!/usr/bin/env bash
# Passes 1+2 benchmark: `stap -p2` of the seeds' io.stp (syscall.read with
# $count, timers, foreach ... limit, printdln) against this machine's
# kernel, including reading its BTF; wall time and peak memory.  The peer,
# SystemTap 4.8, needs the kernel's DWARF debuginfo (about 800 MB) for the
# same pass; its published figure (about 750 ms) is printed for reference.
# No timed assertions.   usage: bash bench/pass2.sh   (after scripts/setup.sh)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
stap=$ROOT/build/stap
script=$ROOT/examples/io.stp
RUNS=${RUNS:-20}
[[ -x $stap ]] || { echo "pass2.sh: run bash scripts/setup.sh first" >&2; exit 1; }
command -v hyperfine >/dev/null || apt-get install -y hyperfine >/dev/null 2>&1 || true
[[ -x /usr/bin/time ]] || apt-get install -y time >/dev/null 2>&1 || true

"$stap" -p2 "$script" > /dev/null || { echo "pass2.sh: stap -p2 failed" >&2; exit 1; }
printf '%-40s %10s %10s\n' "passes 1+2 of examples/io.stp" "mean" "peak RSS"
if command -v hyperfine >/dev/null; then
  mean=$(hyperfine -N --style none --warmup 3 --runs "$RUNS" --export-json /dev/stdout \
           "$stap -p2 $script" 2>/dev/null | awk -F: '/"mean"/{gsub(/[ ,]/,"",$2); print $2; exit}')
else
  start=$(date +%s%N)
  for ((i = 0; i < RUNS; i++)); do "$stap" -p2 "$script" > /dev/null; done
  mean=$(awk -v t=$(( $(date +%s%N) - start )) -v n="$RUNS" 'BEGIN{print t/n/1e9}')
fi
rss=$( { /usr/bin/time -f '%M' "$stap" -p2 "$script" > /dev/null; } 2>&1 | tail -n 1)
awk -v m="$mean" -v r="$rss" 'BEGIN{printf "%-40s %8.2fms %8.1fMB\n", "ctap", m*1e3, r/1024}'
printf '%-40s %10s %10s\n' "SystemTap 4.8 with debuginfo (published)" "~750ms" "-"
if command -v valgrind >/dev/null; then
  ir=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$stap" -p2 "$script" 2>&1 >/dev/null |
       awk '/refs:/{gsub(",","",$NF); print $NF}')
  printf '%-40s %d instructions\n' "ctap, callgrind" "$ir"
fi
