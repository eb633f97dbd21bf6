#!/usr/bin/env bash
# kfunc-attach.sh: how staprun's start-up grows with the number of
# kernel.function probes.  Two objects, built here for Debian 12's kernel
# (scripts/fetch-debian-kernel.sh), run in that kernel under qemu
# (tests/vm/guest.sh, one CPU; this machine's kernel has no kprobes):
#   kfa1   one probe, kernel.function("vfs_read")
#   kfa50  the same vfs_read probe and 49 more kernel.function probes
# Each run is `staprun -v -c "ctap-workload reads N 1" OBJ.bo`, timed from
# just before staprun's fork to the first vfs_read of the -c command
# (which staprun holds until every probe is attached), as the probe saw it
# and as its line reached staprun's reader; in two modes, staprun's
# default (fentry/fexit) and CTAP_KFUNC=kprobe.  See bench/README.md.
#
#   sudo bash bench/kfunc-attach.sh          # RUNS=10 for more runs (5)
#
# Environment: RUNS (timed runs of each object in each mode, 5), MODES
# ("fentry kprobe", or one of them), STAP (build/stap), STAPRUN
# (build/staprun, the guest's), KERNEL (a fetched kernel's cache folder;
# default: scripts/fetch-debian-kernel.sh), KEEP=1 keeps the scratch
# folder (scripts, objects, the job, the guest's output) and names it.
set -euo pipefail

me=kfunc-attach.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-5}
MODES=${MODES:-fentry kprobe}
STAP=${STAP:-$ROOT/build/stap}
export STAPRUN=${STAPRUN:-$ROOT/build/staprun}
WORKLOAD=${WORKLOAD:-$ROOT/build/tests/run/ctap-workload}

die() {
  echo "$me: $*" >&2
  exit 1
}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive whole number"
for m in $MODES; do
  [[ $m == fentry || $m == kprobe ]] || die "MODES: fentry and/or kprobe, not '$m'"
done
[[ -n ${MODES// /} ]] || die "MODES is empty"
((EUID == 0)) || die "must run as root (tests/vm/guest.sh needs it)"
for f in "$STAP" "$STAPRUN" "$WORKLOAD"; do
  [[ -x $f ]] || die "not built: $f (bash scripts/setup.sh)"
done
command -v cc >/dev/null || die "no C compiler (cc)"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/ctap-kfa.XXXXXX")
if [[ -n ${KEEP:-} ]]; then
  echo "$me: keeping $scratch" >&2
else
  trap 'rm -rf "$scratch"' EXIT
fi

kernel=${KERNEL:-}
if [[ -z $kernel ]]; then
  kernel=$(bash "$ROOT/scripts/fetch-debian-kernel.sh") || die "cannot fetch the guest kernel"
fi
release=$(<"$kernel/release") || die "$kernel: not a fetched kernel (no release file)"
kbuild=$kernel/root/lib/modules/$release/build
[[ -d $kbuild ]] || die "no build tree $kbuild"

# The 49 other functions: called by open, read, write, close, stat,
# mmap and exec, so that the -c command hits many of them before its
# first read(), and all of them in the guest's kernel: in its BTF (which
# stap -p2 resolves them with) and kallsyms, traceable (ftrace), not on
# its kprobe blacklist, with at most 6 parameters, and not defined twice.
# Left out (see bench/README.md): do_user_addr_fault (in BTF but
# blacklisted and not traceable: "the kernel refused a kprobe on
# 'do_user_addr_fault': Invalid argument", or with fentry "Device or
# resource busy"), do_mmap (8 parameters: 6.1's x86 BPF trampolines
# take at most 6, and staprun's fentry attach fails with "Unknown error
# 524"), load_elf_binary (also the compat ELF loader's name).
others=(
  vfs_write ksys_read ksys_write __x64_sys_read __x64_sys_openat
  __x64_sys_close __x64_sys_mmap __x64_sys_execve do_sys_openat2 do_filp_open
  path_openat vfs_open do_dentry_open alloc_empty_file getname_flags
  putname filp_close close_fd fd_install get_unused_fd_flags
  put_unused_fd __fdget_pos rw_verify_area security_file_open security_file_permission
  security_mmap_file vfs_fstatat vfs_statx vfs_getattr filename_lookup
  user_path_at_empty do_faccessat do_readlinkat ksys_lseek vfs_llseek
  set_binfmt mmap_region vm_mmap_pgoff ksys_mmap_pgoff do_mprotect_pkey
  vm_munmap __vm_munmap do_brk_flags bprm_execve begin_new_exec
  setup_new_exec open_exec do_open_execat would_dump
)
((${#others[@]} == 49)) || die "the function list has ${#others[@]} names, not 49"

# gen N: the script with vfs_read and the first N-1 others.
gen() {
  local n=$1 i pts=
  cat <<'EOF'
// The timed probe: its first hit at all, and the -c command's first.
global any_seen, target_seen, quit = 1
probe kernel.function("vfs_read") {
  if (!any_seen) {
    any_seen = 1
    printf("any %d %d %s\n", gettimeofday_ns(), pid(), execname())
  }
  if (pid() == target() && !target_seen) {
    target_seen = 1
    printf("target %d\n", gettimeofday_ns())
    if (quit) exit()
  }
}
EOF
  if ((n > 1)); then
    for ((i = 0; i < n - 1; i++)); do
      pts+="${pts:+,$'\n'      }kernel.function(\"${others[i]}\")"
    done
    cat <<EOF
// The others: which of them the -c command hit, to show they were live.
global seen
probe $pts {
  if (pid() == target()) seen[ppfunc()] = 1
}
EOF
    cat <<'EOF'
probe end {
  n = 0
  foreach (f in seen) n++
  printf("seen %d\n", n)
}
EOF
  fi
}

mkdir -p "$scratch/build" "$scratch/jobs" "$scratch/files"
for n in 1 50; do
  gen "$n" >"$scratch/build/kfa$n.stp"
  # pass 2 first: how many probe points it resolved
  (cd "$scratch/build" && "$STAP" -p2 -r "$kbuild" "kfa$n.stp") >"$scratch/build/kfa$n.p2" 2>"$scratch/build/kfa$n.p2err" ||
    die "stap -p2 -r $kbuild kfa$n.stp failed:"$'\n'"$(cat "$scratch/build/kfa$n.p2err")"
  pts=$(grep -c '^kernel\.function(' "$scratch/build/kfa$n.p2" || true)
  ((pts == n)) || die "kfa$n.stp: stap -p2 resolved $pts probe points, not $n"
  (cd "$scratch/build" && "$STAP" -p4 -r "$kbuild" -m "kfa$n" "kfa$n.stp") >/dev/null 2>"$scratch/build/kfa$n.p4err" ||
    die "stap -p4 -r $kbuild -m kfa$n kfa$n.stp failed:"$'\n'"$(cat "$scratch/build/kfa$n.p4err")"
  cp "$scratch/build/kfa$n.bo" "$scratch/files/"
done
cc -std=gnu17 -O2 -Wall -static -o "$scratch/files/kfunc_attach_timer" "$ROOT/bench/kfunc_attach_timer.c" ||
  die "cannot build bench/kfunc_attach_timer.c"

# The guest's job (busybox sh).  A light background load (one read() of
# /dev/zero every 2 ms or so) makes "the probe's first hit by any process"
# come soon after vfs_read is attached.  The -c command reads byte after
# byte until the probe ends the run; if no event comes, it ends by itself.
# Each run is made in each MODE: "fentry", staprun's default (fentry/fexit
# programs where the kernel has BPF trampolines), and "kprobe"
# (CTAP_KFUNC=kprobe).  At the end, each object in each mode once more
# with quit=0, its -c command listing the kernel's kprobes and the
# functions ftrace calls out of, while every probe is attached.
cat >"$scratch/jobs/kfa.sh" <<EOF
RUNS=$RUNS
MODES="$MODES"
EOF
cat >>"$scratch/jobs/kfa.sh" <<'EOF'
echo "kprobes-before $(grep -c . /sys/kernel/debug/kprobes/list) $(grep -c . /sys/kernel/tracing/enabled_functions)"
args= i=0
while [ $i -lt 400 ]; do args="$args reads 1 1 sleep 2"; i=$((i + 1)); done
( while [ ! -e /tmp/kfa-stop ]; do ctap-workload $args; done ) >/dev/null 2>&1 &
sleep 1
mode() {
  if [ "$1" = kprobe ]; then export CTAP_KFUNC=kprobe; else unset CTAP_KFUNC; fi
}
run() {
  echo "run $1 $2 $3"
  mode $3
  ./kfunc_attach_timer staprun -v -c "ctap-workload reads 3000000 1" $2.bo 2>/tmp/kfa.err
  echo "rc $?"
  sed 's/^/stderr /' /tmp/kfa.err
  echo "endrun"
}
for m in $MODES; do
  run warmup kfa1 $m
  run warmup kfa50 $m
done
i=1
while [ $i -le $RUNS ]; do
  for m in $MODES; do
    run $i kfa1 $m
    run $i kfa50 $m
  done
  i=$((i + 1))
done
for m in $MODES; do
  for o in kfa1 kfa50; do
    echo "count $o $m"
    mode $m
    staprun -c "sed 's/^/kprobes-list /' /sys/kernel/debug/kprobes/list; sed 's/^/ftrace-enabled /' /sys/kernel/tracing/enabled_functions" $o.bo quit=0 2>&1
    echo "rc $?"
    echo "endcount"
  done
done
touch /tmp/kfa-stop
wait
echo "kprobes-after $(grep -c . /sys/kernel/debug/kprobes/list) $(grep -c . /sys/kernel/tracing/enabled_functions)"
EOF

nmodes=$(wc -w <<<"$MODES")
limit=$((120 + (RUNS + 1) * nmodes * 2 * 40))
out=$scratch/out
echo "$me: $((RUNS + 1)) runs of each object in each mode ($MODES) in a guest ($release, qemu TCG, 1 CPU); time limit ${limit} s" >&2
grc=0
# One virtual CPU: with two, patching a function's entry while the other
# CPU runs it goes wrong in this guest (qemu 7.2 TCG), with ftrace alone
# (bench/README.md).
bash "$ROOT/tests/vm/guest.sh" --smp 1 --kernel "$kernel" --jobs "$scratch/jobs" --out "$out" \
  --timeout "$limit" "$scratch/files"/* || grc=$?
log=$out/kfa.stdout
if [[ ! -s $log ]]; then
  [[ -s $out/kfa.stderr ]] && sed 's/^/    /' "$out/kfa.stderr" >&2
  die "the guest job gave no output (guest.sh exit $grc, status $(cat "$out/status" 2>/dev/null))"
fi

# --- the report ----------------------------------------------------------

funcs=$(printf '%s\n' vfs_read "${others[@]}")
awk -v runs="$RUNS" -v modes="$MODES" -v release="$release" -v guest_rc="$grc" \
    -v job_rc="$(cat "$out/kfa.rc" 2>/dev/null)" -v job_ms="$(cat "$out/kfa.ms" 2>/dev/null)" \
    -v boot="$(sed -n 's/^boot_s //p' "$out/timing")" -v funcs="$funcs" \
    -v timedout="$([[ -e $out/kfa.timedout ]] && echo 1 || echo 0)" '
function sec(x) { return sprintf("%.3f", x / 1e9) }
function add(o, k, v) {
  sum[o, k] += v
  if (!((o, k) in mn) || v < mn[o, k]) mn[o, k] = v
}
function mean(o, k) { return n[o] ? sum[o, k] / n[o] : 0 }
function row(m, label, k,   a, b, r1, r2) {
  a = "kfa1 " m; b = "kfa50 " m
  r1 = (n[a] && n[b] && mean(a, k) > 0) ? sprintf("%5.1f", mean(b, k) / mean(a, k)) : "    -"
  r2 = (n[a] && n[b] && mn[a, k] > 0) ? sprintf("%5.1f", mn[b, k] / mn[a, k]) : "    -"
  printf "  %-44s %8s %8s   %8s %8s   %s %s\n", label,
    n[a] ? sec(mean(a, k)) : "-", n[a] ? sec(mn[a, k]) : "-",
    n[b] ? sec(mean(b, k)) : "-", n[b] ? sec(mn[b, k]) : "-", r1, r2
}
function two(label, x, y) { printf "  %-44s %17s   %17s\n", label, x, y }
BEGIN {
  nf = split(funcs, fl, "\n")
  for (i = 1; i <= nf; i++) want["kfa50", fl[i]] = 1
  want["kfa1", "vfs_read"] = 1
}
$1 == "kprobes-before" { before = $2 " kprobes, " $3 " ftrace functions" }
$1 == "kprobes-after" { after = $2 " kprobes, " $3 " ftrace functions" }
$1 == "run" { inrun = 1; id = $2; obj = $3 " " $4; start = any = tgt = deliv = ex = rc = errs = seen = anyby = ""; next }
inrun && $1 == "start" { start = $2 }
inrun && $1 == "line" && $3 == "any" && any == "" { any = $4; anyby = $6 }
inrun && $1 == "line" && $3 == "target" && tgt == "" { tgt = $4; deliv = $2 }
inrun && $1 == "line" && $3 == "seen" { seen = $4 }
inrun && $1 == "exit" { ex = $2 }
inrun && $1 == "rc" { rc = $2 }
inrun && $1 == "stderr" && $2 == "staprun:" && $3 == "kernel.function" {
  # staprun -v: "kernel.function probes: F through fentry/fexit, K through kprobes"
  via[obj] = $5 " fentry, " $8 " kprobe"
  next
}
inrun && $1 == "stderr" { sub(/^stderr /, ""); errs = errs (errs == "" ? "" : "; ") $0 }
inrun && $1 == "endrun" {
  inrun = 0
  if (errs != "") { nerr[obj]++; errtext[obj] = errs }
  if (start == "" || tgt == "" || any == "" || rc != 0) {
    bad[obj]++
    note = note sprintf("  run %s %s: no result (staprun exit %s, first event %s, -c command event %s)%s\n",
                        id, obj, rc, any == "" ? "none" : "seen", tgt == "" ? "none" : "seen",
                        errs == "" ? "" : "; stderr: " errs)
    next
  }
  if (tgt + 0 < start + 0 || deliv + 0 < tgt + 0 || any + 0 < start + 0)
    note = note sprintf("  run %s %s: clocks out of order (start %s, first %s, fired %s, delivered %s)\n",
                        id, obj, start, any, tgt, deliv)
  if (id == "warmup") { wdeliv[obj] = deliv - start; next }
  n[obj]++
  add(obj, "any", any - start); add(obj, "fired", tgt - start)
  add(obj, "deliv", deliv - start); add(obj, "exit", ex - start)
  add(obj, "attach", tgt - any); add(obj, "down", ex - deliv)
  anyfrom[anyby]++
  seenv[obj] = seen
  next
}
$1 == "count" { incount = 1; cobj = $2; cmode = $3; next }
incount && $1 == "ftrace-enabled" && $2 ~ /^direct-->/ { cnt[cobj " " cmode, "d"]++; next }
incount && ($1 == "kprobes-list" || ($1 == "ftrace-enabled" && $3 ~ /^\(/)) {
  # kprobes/list: ADDR TYPE SYMBOL+OFFSET [FLAGS]; enabled_functions:
  # SYMBOL (N) FLAGS [tramp: ...], then a "direct-->TRAMPOLINE" line for
  # a BPF trampoline
  s = $1 == "kprobes-list" ? $4 : $2
  sub(/\+.*/, "", s)
  l = $1 == "kprobes-list" ? "k" : "f"
  cnt[cobj " " cmode, l]++
  if (!((cobj, s) in want)) extra[cobj " " cmode] = extra[cobj " " cmode] " " l ":" s
  got[cobj " " cmode, l, s] = 1
  next
}
incount && $1 == "rc" { if ($2 != 0) note = note sprintf("  count run %s %s: staprun exit %s\n", cobj, cmode, $2); next }
incount && $1 == "endcount" { incount = 0; counted[cobj " " cmode] = 1; next }
incount && ($1 == "any" || $1 == "target" || $1 == "seen") { next }
incount { note = note sprintf("  count run %s %s: %s\n", cobj, cmode, $0); next }
END {
  printf "kfunc-attach: staprun start to first event, guest %s under qemu TCG, 1 CPU (guest seconds)\n", release
  nm = split(modes, ml, " ")
  for (mi = 1; mi <= nm; mi++) {
    m = ml[mi]; a = "kfa1 " m; b = "kfa50 " m
    printf "\n%s (%s):\n", m, m == "kprobe" ? "CTAP_KFUNC=kprobe" : "staprun'"'"'s default"
    printf "  %-44s %17s   %17s   %s\n", "", "1 probe", "50 probes", "ratio 50/1"
    printf "  %-44s %8s %8s   %8s %8s   %s\n", sprintf("timed runs: %d and %d of %d", n[a] + 0, n[b] + 0, runs),
      "mean", "min", "mean", "min", "mean   min"
    row(m, "first event of the -c command, delivered", "deliv")
    row(m, "  the same, when the probe fired", "fired")
    row(m, "first vfs_read by any process (fired)", "any")
    row(m, "  from it to the -c command'"'"'s first", "attach")
    row(m, "staprun exit (exit() in the probe)", "exit")
    row(m, "  from the delivered event to exit", "down")
    two("warm-up run (not counted), delivered", (a in wdeliv) ? sec(wdeliv[a]) : "-", (b in wdeliv) ? sec(wdeliv[b]) : "-")
    two("attached as (staprun -v)", (a in via) ? via[a] : "?", (b in via) ? via[b] : "?")
    for (i = 1; i <= 2; i++) {
      o = i == 1 ? a : b
      kc[i] = (o in counted) ? sprintf("%d, %d (%d bpf)", cnt[o, "k"], cnt[o, "f"], cnt[o, "d"]) : "?"
    }
    two("in kprobes/list, enabled_functions", kc[1], kc[2])
    two("other probes the -c command hit first", "-", (b in seenv) && seenv[b] != "" ? seenv[b] " of 49" : "?")
    # every function in enabled_functions (fentry and kprobes on ftrace sites alike)?
    miss = ""
    if (b in counted) for (i = 1; i <= nf; i++) if (!((b, "f", fl[i]) in got)) miss = miss " " fl[i]
    if (miss != "") note = note sprintf("  kfa50 %s: not in enabled_functions:%s\n", m, miss)
  }
  printf "\nguest: booted in %s s (host), job %s ms (guest), job exit %s%s; before the runs %s, after %s\n",
    boot, job_ms, job_rc, timedout == 1 ? " (TIMED OUT)" : "", before, after
  s = ""
  for (w in anyfrom) s = s sprintf(" %s %d", w, anyfrom[w])
  printf "first vfs_read by any process came from:%s\n", s
  for (o in extra) note = note sprintf("  %s: unexpected kprobes/ftrace entries:%s\n", o, extra[o])
  for (o in errtext) note = note sprintf("  %s: staprun also said: %s\n", o, errtext[o])
  if (note != "") printf "notes:\n%s", note
  if (guest_rc != 0) printf "guest.sh exit status %s (see its messages above)\n", guest_rc
}
' "$log"
