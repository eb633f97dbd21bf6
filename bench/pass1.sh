#!/usr/bin/env bash
# Pass-1 benchmark: how fast `stap -p1` parses a large generated script and a
# typical small one (examples/io.stp), side by side with SystemTap 4.8 from
# Debian, plus a LeakSanitizer run of the large script.  Prints a table; makes
# no timed assertions.  See bench/README.md.
#   usage: bash bench/pass1.sh        (after bash scripts/setup.sh)
#   env:   RUNS (default 10), CTAP_BENCH_CACHE (default /var/cache/ctap-bench)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${CTAP_BENCH_CACHE:-/var/cache/ctap-bench}
RUNS=${RUNS:-10}
ctap=$ROOT/build/stap
ctap_asan=$ROOT/build-asan/stap
small=$ROOT/examples/io.stp
export DEBIAN_FRONTEND=noninteractive

die() { echo "pass1.sh: $*" >&2; exit 1; }
[[ -x $ctap ]] || die "no $ctap: run bash scripts/setup.sh first"

work=$(mktemp -d "${TMPDIR:-/tmp}/ctap-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
big=$work/big.stp
bash "$ROOT/bench/gen-script.sh" 10000 >"$big"
big_bytes=$(wc -c <"$big")

# apt_get ARGS...: quietly, with one `apt-get update` retry.
apt_get() {
  apt-get "$@" >"$work/apt.log" 2>&1 ||
    { apt-get update >>"$work/apt.log" 2>&1 && apt-get "$@" >>"$work/apt.log" 2>&1; }
}

command -v hyperfine >/dev/null || apt_get install -y hyperfine ||
  echo "note: hyperfine not installable; timing with a shell loop" >&2

# The peer: SystemTap 4.8 unpacked into the cache, never on PATH.  Sets
# peer=(command...) or peer_why to the reason it is unavailable.
peer=() peer_why=''
setup_peer() {
  local root=$CACHE/root tree=$CACHE/kernel-tree d
  if [[ ! -x $root/usr/bin/stap ]]; then
    mkdir -p "$CACHE/debs"
    (cd "$CACHE/debs" && apt_get download systemtap systemtap-common systemtap-runtime) ||
      { peer_why="apt-get download failed"; return; }
    for d in "$CACHE"/debs/*.deb; do dpkg-deb -x "$d" "$root"; done
  fi
  if ldd "$root/usr/bin/stap" | grep -q 'not found'; then
    # Install its shared-library dependencies (only the lib* ones).
    mapfile -t libs < <(dpkg-deb -f "$CACHE"/debs/systemtap_*.deb Depends |
      tr ',' '\n' | sed -E 's/\(.*//; s/\|.*//; s/ //g' | grep '^lib')
    apt_get install -y --no-install-recommends "${libs[@]}" ||
      { peer_why="cannot install its libraries"; return; }
  fi
  # A fake kernel build tree: enough for pass 1 (given with -r).
  mkdir -p "$tree/include/config"
  echo 'CONFIG_X=y' >"$tree/.config"
  : >"$tree/Module.symvers"
  echo >"$tree/Makefile"
  echo '6.1.0-bench' >"$tree/include/config/kernel.release"
  peer=(env SYSTEMTAP_TAPSET="$root/usr/share/systemtap/tapset"
        SYSTEMTAP_RUNTIME="$root/usr/share/systemtap/runtime"
        "$root/usr/bin/stap" -r "$tree")
}
setup_peer

# measure NAME CMD...: sets mean and min (seconds), or why on failure.
measure() {
  local name=$1 rc=0; shift
  mean='' min='' why=''
  timeout 120 "$@" >/dev/null 2>"$work/err" || rc=$?
  if ((rc != 0)); then
    why="exit $rc: $(head -n 1 "$work/err")"
    return
  fi
  if command -v hyperfine >/dev/null; then
    hyperfine -N --style none --warmup 2 --runs "$RUNS" -n "$name" \
      --export-csv "$work/h.csv" "$(printf '%q ' "$@")" >/dev/null 2>&1 ||
      { why="hyperfine failed"; return; }
    # command,mean,stddev,median,user,system,min,max
    read -r mean min < <(tail -n 1 "$work/h.csv" | awk -F, '{print $(NF-6), $(NF-1)}')
  else
    local i t0 t total=0 best=
    for ((i = 0; i < RUNS; i++)); do
      t0=$(date +%s%N); "$@" >/dev/null 2>&1; t=$(($(date +%s%N) - t0))
      total=$((total + t)); [[ -z $best || $t -lt $best ]] && best=$t
    done
    mean=$(awk -v t="$total" -v n="$RUNS" 'BEGIN{print t/n/1e9}')
    min=$(awk -v t="$best" 'BEGIN{print t/1e9}')
  fi
}

declare -A MEAN
row() {  # row LABEL NAME NOTE CMD...
  local label=$1 name=$2 note=$3; shift 3
  measure "$name" "$@"
  if [[ -n $why ]]; then
    printf '%-44s %10s %10s  %s\n' "$label" "-" "-" "failed ($why)"
    return
  fi
  MEAN[$name]=$mean
  [[ $note == mbps ]] && note=$(awk -v b="$big_bytes" -v t="$mean" 'BEGIN{printf "%.1f MB/s", b/t/1e6}')
  awk -v l="$label" -v m="$mean" -v n="$min" -v note="$note" \
    'BEGIN{printf "%-44s %8.2fms %8.2fms  %s\n", l, m*1e3, n*1e3, note}'
}

printf '%-44s %10s %10s  %s\n' "pass 1 (stap -p1), $RUNS runs" "mean" "min" "notes"
row "ctap: generated script (10000 lines)" ctap-big mbps "$ctap" -p1 "$big"
row "ctap: examples/io.stp" ctap-small "" "$ctap" -p1 "$small"
if ((${#peer[@]})); then
  row "stap 4.8: generated script (10000 lines)" peer-big mbps "${peer[@]}" -p1 "$big"
  row "stap 4.8: examples/io.stp" peer-small "" "${peer[@]}" -p1 "$small"
else
  printf '%-44s %10s %10s  %s\n' "stap 4.8" "-" "-" "unavailable ($peer_why)"
fi
for s in small big; do
  if [[ -n ${MEAN[peer-$s]:-} && -n ${MEAN[ctap-$s]:-} ]]; then
    awk -v p="${MEAN[peer-$s]}" -v c="${MEAN[ctap-$s]}" -v s="$s" \
      'BEGIN{printf "%-44s %9.1fx\n", "ratio stap 4.8 / ctap (" (s == "small" ? "io.stp" : "generated") ")", p/c}'
  fi
done

# In process, without start-up or output: the generated script plus the
# whole tapset directory, parsed 20 times (bench/bench_front.c).
front=$ROOT/build/bench/bench_front
if [[ -x $front ]]; then
  mapfile -t tapsets < <(find "$ROOT/tapset" -name '*.stp' | sort)
  echo "in-process pass 1 (generated script + ${#tapsets[@]} tapset scripts):"
  BENCH_PARSE_ONLY=1 BENCH_TAPSET_DIR=$ROOT/tapset "$front" 20 "$big" "${tapsets[@]}" | sed 's/^/  /'
fi
# Instructions are repeatable where wall time is noisy.
if command -v valgrind >/dev/null; then
  ir=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$ctap" -p1 "$big" 2>&1 >/dev/null |
       awk '/refs:/{gsub(",","",$NF); print $NF}')
  awk -v ir="$ir" -v b="$big_bytes" 'BEGIN{printf "%-44s %d instructions (%.0f per byte)\n", "ctap -p1 generated script, callgrind:", ir, ir/b}'
fi
# So are page faults (GNU time): on a VM where a fault costs microseconds,
# the memory a run touches can matter more than its instructions.
if [[ -x /usr/bin/time ]]; then
  read -r faults rss < <(/usr/bin/time -f '%R %M' "$ctap" -p1 "$big" 2>&1 >/dev/null | tail -n 1)
  awk -v f="$faults" -v k="$rss" 'BEGIN{printf "%-44s %d page faults, peak RSS %.1f MB\n", "ctap -p1 generated script:", f, k/1024}'
fi

# LeakSanitizer on the large script.
if [[ -x $ctap_asan ]]; then
  rc=0
  ASAN_OPTIONS=detect_leaks=1 timeout 300 "$ctap_asan" -p1 "$big" >/dev/null 2>"$work/asan.log" || rc=$?
  if grep -q 'LeakSanitizer: detected memory leaks' "$work/asan.log"; then
    leak="LEAKS: $(grep -m1 '^SUMMARY' "$work/asan.log")"
  elif ((rc != 0)); then
    leak="exit $rc: $(grep -m1 -E 'ERROR|runtime error' "$work/asan.log" || head -n 1 "$work/asan.log")"
  else
    leak="no leaks"
  fi
else
  leak="not run (no $ctap_asan)"
fi
printf '%-44s %s\n' "LeakSanitizer, ctap -p1 generated script:" "$leak"
