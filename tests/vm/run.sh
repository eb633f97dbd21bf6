#!/usr/bin/env bash
# Scripts run for real in a kernel guest: Debian 12's current kernel
# (scripts/fetch-debian-kernel.sh) booted once under qemu by guest.sh, with
# every test's object built on the host beforehand.  This machine's own
# kernel lacks kprobes, fentry and modules; the guest's has them.
#
# A test is tests/vm/NAME.stp with companions, as in tests/run:
#   NAME.out      the exact expected standard output of staprun (required)
#   NAME.args     one line of extra stap options for pass 4, in shell
#                 syntax, placed before the script (e.g. -DMAXSTRINGLEN=16)
#   NAME.argv     one line of script arguments ($1/@1...), in shell syntax,
#                 placed after the script
#   NAME.staprun  one line of staprun options, placed before the object,
#                 e.g. -c "$WORKLOAD getppid 5"; the guest's busybox sh
#                 reads it, so quote for a POSIX shell
#   NAME.err      the exact expected standard error of staprun, or
#   NAME.errgrep  extended regexps, one a line, that must match lines of
#                 its standard error in that order (other lines may come
#                 between them); with neither, standard error must be
#                 empty (a warning from staprun or libbpf fails the test)
#   NAME.rc       staprun's expected exit status (default 0)
#   NAME.modules  optional: names of the guest kernel's modules (e.g.
#                 loop) that the job loads with insmod before staprun;
#                 they must not depend on other modules
#   NAME.built-here  optional (empty): build for this machine's running
#                 kernel (no -r) instead, as an object that must tell what
#                 the guest's kernel lacks
#   NAME.env      optional: one line of VAR=value settings for staprun's
#                 environment (e.g. CTAP_KFUNC=kprobe)
#   NAME.timeout  optional: the time limit in the guest, in seconds, for
#                 a test that needs more than VM_TIMEOUT (attaching and
#                 detaching hundreds of probes under TCG)
#   NAME.filter   optional: a bash script that reads staprun's standard
#                 output on stdin and writes what NAME.out must match (for
#                 output that names other processes or varies by timing)
# NAME.stp may be a symbolic link to one of examples/, which must run
# unchanged.
# On the host, each test is built as
#   cd SCRATCH && stap --runtime=bpf -p4 -r RELEASE ARGS -m MOD NAME.stp ARGV
# (MOD is NAME with '-' as '_'; RELEASE the guest kernel's, which stap
# finds in the kernel cache), which
# must succeed with an empty standard error; in the guest it runs as
#   cd /work && staprun STAPRUN-OPTIONS MOD.bo
# with a time limit (VM_TIMEOUT, default 30 s).  $WORKLOAD, in all three
# option files, is the ctap-workload's path: the same on the host and in
# the guest (see guest.sh), so process(@1) probes work.
#
# Besides one line per test, vm/guest says whether the guest booted, ran
# every test and powered off with a kernel log free of warnings, oopses,
# BUGs, call traces, stalls and lockups.  A kernel problem seen while a
# test ran also fails that test, with the log lines.  A test that hangs the
# guest fails with its name; the tests after it fail as not run.
# Everything SKIPs, with the reason, without root, qemu, busybox or cpio,
# or when the package registry cannot be reached to fetch the kernel.
# Run some tests only by naming them: bash tests/vm/run.sh hello timer
# VM_KEEP=1 keeps the scratch folder (guest log, objects) and names it.
set -uo pipefail
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=${ROOT:-$(cd "$DIR/../.." && pwd)}
# stap on the host: $STAP (tests/run-tests.sh gives the ASan build's), else
# build-asan's.  staprun in the guest: guest.sh's default, build/staprun
# (optimized: TCG is slow), or $VM_STAPRUN.
STAP=${STAP:-$ROOT/build-asan/stap}
STAPRUN=${VM_STAPRUN:-$ROOT/build/staprun}
# staprun here, for the .guest-to-here runs: the suite's (ASan) build.
STAPRUN_HERE=${STAPRUN_HERE:-$(dirname "$STAP")/staprun}
export STAPRUN_HERE
WORKLOAD=${WORKLOAD:-$ROOT/build/tests/run/ctap-workload}
TIMEOUT=${VM_TIMEOUT:-30}
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1

names=()
if (($#)); then
  names=("$@")
else
  for f in "$DIR"/*.stp; do
    [[ -f $f ]] && names+=("$(basename "$f" .stp)")
  done
fi
# Every test runs as vm/NAME: built on the host for the guest's kernel
# (-r), run in the guest.  A test with NAME.matrix also runs as
#   vm/NAME.here-to-guest   built for this machine's running kernel (no -r),
#                           run in the guest, and
#   vm/NAME.guest-to-here   built for the guest's kernel, run here (staprun
#                           on this machine, root with BPF, as tests/run),
# and NAME.matrix lists, one a line, struct members ("task_struct.pid")
# whose offsets must differ between the two kernels (from the -p3
# listings' CO-RE notes): proof that the object's field reads were
# relocated at load time.
ids=()
for name in "${names[@]}"; do
  ids+=("$name")
  [[ -f $DIR/$name.matrix ]] && ids+=("$name.here-to-guest" "$name.guest-to-here")
done

all=("${ids[@]}" guest)

# say STATUS REASON: one line for every test and for vm/guest.
say_all() {
  for n in "${all[@]}"; do echo "$1: vm/$n ($2)"; done
}

skip_reason() {
  if ((EUID != 0)); then echo "not root"; return; fi
  local tool
  for tool in qemu-system-x86_64 busybox cpio; do
    command -v "$tool" > /dev/null || { echo "$tool is not installed"; return; }
  done
}
reason=$(skip_reason)
if [[ -n $reason ]]; then
  say_all SKIP "$reason"
  exit 0
fi
for f in "$STAP" "$STAPRUN" "$WORKLOAD"; do
  if [[ ! -x $f ]]; then
    say_all FAIL "not built: $f"
    exit 0
  fi
done
WORKLOAD=$(realpath "$WORKLOAD")
export WORKLOAD

scratch=$(mktemp -d "${TMPDIR:-/tmp}/ctap-vm-tests.XXXXXX") || exit 0
if [[ -n ${VM_KEEP:-} ]]; then
  echo "vm: keeping $scratch" >&2
else
  trap 'rm -rf "$scratch"' EXIT
fi

# The guest's kernel and its build tree.
if ! kernel=$(bash "$ROOT/scripts/fetch-debian-kernel.sh" 2> "$scratch/fetch.err"); then
  if grep -q 'cannot reach the package registry' "$scratch/fetch.err"; then
    say_all SKIP "cannot reach the package registry to fetch the guest kernel"
  else
    say_all FAIL "cannot fetch the guest kernel"
    sed 's/^/    /' "$scratch/fetch.err"
  fi
  exit 0
fi
release=$(< "$kernel/release")
# stap -r RELEASE finds the fetched kernel in the kernel cache, as the
# seeds build for their targets: stap -r KERNEL_VERSION -m NAME -p4.
export CTAP_KERNEL_CACHE=${kernel%/*}

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

# CO-RE offsets a -p3 listing names: "struct.member offset" lines.
core_offsets() {
  sed -n -E 's/^ *[0-9]+: r[0-9]+ \+= ([0-9]+)  ; CO-RE offset of (struct|union) ([A-Za-z0-9_.]+)$/\3 \1/p' "$1" | sort -u
}

# Pass 4 on the host, for every test and variant.  built[ID] is set when
# it built; failed[ID] holds why it did not.
mkdir -p "$scratch/jobs" "$scratch/files" "$scratch/build" "$scratch/here"
declare -A built=() failed=() shown=() outdir=()
for id in "${ids[@]}"; do
  name=${id%%.*} variant=${id#"$name"}
  base=$DIR/$name
  outdir[$id]=$scratch/out
  if [[ ! -f $base.stp ]]; then
    failed[$id]="no $name.stp"
    continue
  fi
  mod=${id//[-.]/_}
  opts=() argv=() sropts=
  if [[ -f $base.args ]]; then eval "opts=($(< "$base.args"))"; fi
  if [[ -f $base.argv ]]; then eval "argv=($(< "$base.argv"))"; fi
  [[ -f $base.staprun ]] && sropts=$(< "$base.staprun")
  srenv=
  [[ -f $base.env ]] && srenv="env $(< "$base.env") "
  ropt=(-r "$release")
  [[ $variant == .here-to-guest || -f $base.built-here ]] && ropt=()
  where="(guest)"
  [[ $variant == .guest-to-here ]] && where="(here)" outdir[$id]=$scratch/here
  shown[$id]="stap --runtime=bpf -p4 ${ropt[*]:+${ropt[*]} }$( ((${#opts[@]})) && printf '%q ' "${opts[@]}")-m $mod $name.stp$( ((${#argv[@]})) && printf ' %q' "${argv[@]}")"
  shown[$id]+=$'\n'"    $where \$ ${srenv}staprun ${sropts:+$sropts }$mod.bo"
  b=$scratch/build/$id
  mkdir -p "$b"
  cp "$base.stp" "$b/"
  (cd "$b" && exec timeout -k 5 "$TIMEOUT" "$STAP" --runtime=bpf -p4 "${ropt[@]}" "${opts[@]}" \
     -m "$mod" "$name.stp" "${argv[@]}") < /dev/null > "$b/p4.out" 2> "$b/p4.err"
  rc=$?
  if ((rc != 0)) || [[ ! -f $b/$mod.bo ]]; then
    failed[$id]="pass 4 on the host failed (exit $rc)"$'\n'"$(head -n 20 "$b/p4.err")"
    continue
  fi
  if [[ -s $b/p4.err ]]; then
    failed[$id]="pass 4 on the host wrote to stderr"$'\n'"$(head -n 20 "$b/p4.err")"
    continue
  fi
  if [[ -n $variant ]]; then
    # The same object's listing: which offsets CO-RE relocates.
    (cd "$b" && exec "$STAP" --runtime=bpf -p3 "${ropt[@]}" "${opts[@]}" "$name.stp" "${argv[@]}") \
      < /dev/null > "$b/p3.out" 2> /dev/null
    core_offsets "$b/p3.out" > "$b/core"
  fi
  if [[ $variant == .guest-to-here ]]; then
    # Run here, now, as the guest would.
    o=$scratch/here
    (cd "$b" && eval "exec $srenv timeout -k 5 $TIMEOUT \"\$STAPRUN_HERE\" $sropts $mod.bo") \
      < /dev/null > "$o/$id.stdout" 2> "$o/$id.stderr"
    rc=$?
    echo "$rc" > "$o/$id.rc"
    ((rc == 124 || rc == 137)) && : > "$o/$id.timedout"
    built[$id]=1
    continue
  fi
  cp "$b/$mod.bo" "$scratch/files/"
  # The job the guest runs (busybox sh, from /work).
  job=$scratch/jobs/$id.sh
  printf '# %s\n' "$id" > "$job"
  if [[ -f $base.modules ]]; then
    for km in $(< "$base.modules"); do
      ko=$(find "$kernel/root/lib/modules/$release/kernel" -name "$km.ko" -print -quit)
      if [[ -z $ko ]]; then
        failed[$id]="no module $km.ko in the guest kernel"
        continue 2
      fi
      cp "$ko" "$scratch/files/"
      printf 'insmod /work/%s.ko || exit 99\n' "$km" >> "$job"
    done
  fi
  printf 'exec %sstaprun %s %s.bo\n' "$srenv" "$sropts" "$mod" >> "$job"
  [[ -f $base.timeout ]] && cp "$base.timeout" "$scratch/jobs/$id.timeout"
  built[$id]=1
done

# One boot for all of them.
out=$scratch/out
guest_rc=0
if compgen -G "$scratch/jobs/*.sh" > /dev/null; then
  bash "$DIR/guest.sh" --kernel "$kernel" --jobs "$scratch/jobs" --out "$out" --timeout "$TIMEOUT" \
    "$scratch"/files/* < /dev/null > "$scratch/guest.out" 2> "$scratch/guest.err"
  guest_rc=$?
  status=$(cat "$out/status" 2> /dev/null || echo "setup-failed")
else
  status=none
fi
[[ -n ${VM_VERBOSE:-} && -f $out/timing ]] && sed 's/^/vm: /' "$out/timing" >&2

# Kernel problems seen during each test.
declare -A kprob=()
if [[ -s $out/kernel-problems ]]; then
  while IFS=$'\t' read -r job line; do
    kprob[$job]+="$line"$'\n'
  done < "$out/kernel-problems"
fi

for id in "${ids[@]}"; do
  name=${id%%.*} variant=${id#"$name"}
  if [[ -n ${failed[$id]:-} ]]; then
    echo "FAIL: vm/$id"
    [[ -n ${shown[$id]:-} ]] && echo "    \$ ${shown[$id]}"
    sed 's/^/    /' <<< "${failed[$id]}"
    continue
  fi
  base=$DIR/$name
  o=${outdir[$id]}
  problems=
  if [[ ! -f $o/$id.rc ]]; then
    case $status in
      "hung $id") problems+="hung the guest: no result within its time limit and 30 s more; the guest was killed"$'\n' ;;
      "died $id") problems+="the guest ended while it ran"$'\n' ;;
      hung* | died*) problems+="not run: the guest ${status%% *} during ${status#* }"$'\n' ;;
      *) problems+="no result from the guest (guest: $status)"$'\n' ;;
    esac
  else
    rc=$(< "$o/$id.rc")
    want_rc=0
    [[ -f $base.rc ]] && want_rc=$(< "$base.rc")
    if [[ -f $o/$id.timedout ]]; then
      problems+="timed out after $( [[ -f $base.timeout ]] && cat "$base.timeout" || echo "$TIMEOUT") s (exit $rc)"$'\n'
    elif [[ $rc != "$want_rc" ]]; then
      problems+="exit status $rc, expected $want_rc"$'\n'
    fi
    actual=$o/$id.stdout
    if [[ -f $base.filter ]]; then
      bash "$base.filter" < "$o/$id.stdout" > "$o/$id.filtered"
      actual=$o/$id.filtered
    fi
    if [[ -f $base.out ]]; then
      compare stdout "$base.out" "$actual"
    else
      problems+="no expected output $name.out"$'\n'
    fi
    if [[ -f $base.err ]]; then
      compare stderr "$base.err" "$o/$id.stderr"
    elif [[ -f $base.errgrep ]]; then
      errgrep "$base.errgrep" "$o/$id.stderr"
    elif [[ -s $o/$id.stderr ]]; then
      problems+="unexpected stderr"$'\n'
    fi
  fi
  if [[ -n $variant ]]; then
    # The members named must be relocated, at offsets that differ
    # between the two kernels' builds.
    here=$scratch/build/$name.here-to-guest/core there=$scratch/build/$name.guest-to-here/core
    while read -r m; do
      [[ -z $m ]] && continue
      a=$(awk -v m="$m" '$1 == m { print $2 }' "$here" 2> /dev/null)
      c=$(awk -v m="$m" '$1 == m { print $2 }' "$there" 2> /dev/null)
      if [[ -z $a || -z $c ]]; then
        problems+="$m: no CO-RE relocation in the listings (here: ${a:-none}, guest: ${c:-none})"$'\n'
      elif [[ $a == "$c" ]]; then
        problems+="$m: the same offset ($a) on both kernels: this proves nothing"$'\n'
      fi
    done < "$base.matrix"
  fi
  if [[ -n ${kprob[$id]:-} ]]; then
    problems+="kernel problems in the guest log while it ran:"$'\n'
    problems+="$(head -n 20 <<< "${kprob[$id]%$'\n'}" | sed 's/^/  /')"$'\n'
  fi
  if [[ -z $problems ]]; then
    echo "PASS: vm/$id"
  else
    echo "FAIL: vm/$id"
    echo "    \$ ${shown[$id]}"
    sed 's/^/    /' <<< "${problems%$'\n'}"
    if [[ -s $o/$id.stderr ]]; then
      echo "    stderr was:"
      head -n 20 "$o/$id.stderr" | sed 's/^/      /'
    fi
  fi
done

# The guest as a whole.
if [[ $status == none ]]; then
  echo "SKIP: vm/guest (no test built)"
elif [[ $status == ok && $guest_rc == 0 ]]; then
  echo "PASS: vm/guest"
elif [[ $status == ok && -z ${kprob[-]:-} ]]; then
  # Every problem belongs to a test, which failed with it.
  echo "FAIL: vm/guest (kernel problems during tests, shown with them)"
else
  echo "FAIL: vm/guest ($status)"
  [[ -s $scratch/guest.err ]] && head -n 40 "$scratch/guest.err" | sed 's/^/    /'
  if [[ -f $out/guest.log ]]; then
    echo "    the end of the guest log:"
    tail -n 20 "$out/guest.log" | sed 's/^/      /'
  fi
fi
exit 0
