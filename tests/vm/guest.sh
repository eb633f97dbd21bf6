#!/usr/bin/env bash
# Boot Debian 12's current kernel under qemu (TCG, no KVM) with a small
# initramfs (busybox, staprun and its libraries, ctap-workload, the files
# given) and run jobs in it, or give an interactive shell.
#
#   bash tests/vm/guest.sh --shell [FILE...]
#   bash tests/vm/guest.sh --jobs DIR --out OUT [--timeout SECS] [FILE...]
#
# FILEs (e.g. NAME.bo objects built with `stap -p4 -r KERNEL`) are copied
# into the guest's /work, its working directory.  staprun and ctap-workload
# are in the guest's /bin; the workload is also at its host path, which
# the guest's $WORKLOAD names (as on the host).
#
# --shell: the console (ttyS0) is this terminal, with a shell on it; the
#   guest powers off when the shell exits (or leave qemu with Ctrl-A X).
# --jobs DIR: runs every DIR/NAME.sh (in name order) in the guest with
#   busybox sh, from /work, each with a time limit (--timeout, default 30 s,
#   or the seconds DIR/NAME.timeout holds),
#   and writes into OUT (created if need be; it must be empty):
#     NAME.stdout NAME.stderr  the job's output, byte for byte
#     NAME.rc                  its exit status
#     NAME.timedout            present if the time limit killed it
#     NAME.ms                  how long it ran, in the guest
#     guest.log                the kernel console (ttyS0, with \r removed)
#     channel.log              the raw result channel (ttyS1)
#     kernel-problems          kernel warnings, oopses, BUGs, call traces,
#                              stalls and lockups found in guest.log, each
#                              line as "JOB<TAB>LINE" (JOB is "-" outside
#                              any job)
#     status                   one line: "ok", "boot-failed", "hung JOB",
#                              "died JOB" (the guest ended during JOB) or
#                              "incomplete" (it ended between jobs)
#     timing                   boot_s, total_s and jobs, one "KEY VALUE" a line
#   The results come back on the second serial port (ttyS1, see init.sh),
#   never mixed with kernel messages.  The host kills the guest when it
#   has not booted within --boot-timeout (default 120 s) or when a job has
#   not reported within its time limit plus 30 s.
#   Exit status: 0 when every job ran and the kernel log is clean, else 1
#   (with the reason on stderr); 2 on a usage or setup error.
#
# Options: --kernel DIR uses a kernel fetched earlier (CACHE/RELEASE, as
# printed by scripts/fetch-debian-kernel.sh) instead of fetching one;
# --mem SIZE (default 1G), --smp N (default 2).
# The guest boots the kernel's uncompressed ELF image through its PVH entry
# (faster under TCG; unpacked once into the kernel cache's vm/ folder), or
# the vmlinuz image as it is when VM_BZIMAGE=1 or the unpacking fails.
# Environment: STAPRUN (default build/staprun: the optimized build, since
# TCG is slow; any dynamically linked build works, its libraries are
# copied), WORKLOAD (default build/tests/run/ctap-workload), TMPDIR.
# Needs qemu-system-x86_64, busybox (static), cpio, and root (to fetch the
# kernel and to make device nodes); `bash scripts/setup.sh` installs them.
set -euo pipefail

me=guest.sh
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$DIR/../.." && pwd)

die() {
  echo "$me: $*" >&2
  exit 2
}

mode= jobs= out= kernel= timeout=30 boot_timeout=120 mem=1G smp=2
files=()
while (($#)); do
  case $1 in
    --shell) mode=shell ;;
    --jobs) mode=jobs jobs=${2:?--jobs needs a directory}; shift ;;
    --out) out=${2:?--out needs a directory}; shift ;;
    --kernel) kernel=${2:?--kernel needs a directory}; shift ;;
    --timeout) timeout=${2:?--timeout needs seconds}; shift ;;
    --boot-timeout) boot_timeout=${2:?--boot-timeout needs seconds}; shift ;;
    --mem) mem=${2:?--mem needs a size}; shift ;;
    --smp) smp=${2:?--smp needs a number}; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --) shift; files+=("$@"); break ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) files+=("$1") ;;
  esac
  shift
done
[[ -n $mode ]] || die "give --shell or --jobs DIR (see --help)"
if [[ $mode == jobs ]]; then
  [[ -d $jobs ]] || die "--jobs $jobs: not a directory"
  [[ -n $out ]] || die "--jobs needs --out OUT"
fi
[[ $timeout =~ ^[0-9]+$ && $boot_timeout =~ ^[0-9]+$ ]] || die "time limits are whole seconds"

STAPRUN=${STAPRUN:-$ROOT/build/staprun}
WORKLOAD=${WORKLOAD:-$ROOT/build/tests/run/ctap-workload}
for tool in qemu-system-x86_64 cpio ldd; do
  command -v "$tool" >/dev/null || die "$tool is not installed (bash scripts/setup.sh)"
done
busybox=$(command -v busybox) || die "busybox is not installed (busybox-static; bash scripts/setup.sh)"
[[ -x $STAPRUN ]] || die "no staprun at $STAPRUN (bash scripts/setup.sh)"
[[ -x $WORKLOAD ]] || die "no ctap-workload at $WORKLOAD (bash scripts/setup.sh)"
((EUID == 0)) || die "must run as root (the kernel cache and device nodes)"
for f in "${files[@]}"; do [[ -e $f ]] || die "$f does not exist"; done

if [[ -z $kernel ]]; then
  kernel=$(bash "$ROOT/scripts/fetch-debian-kernel.sh") || die "cannot fetch the guest kernel"
fi
release=$(<"$kernel/release") || die "$kernel is not a fetched kernel (no release file)"
vmlinuz=$kernel/root/boot/vmlinuz-$release
[[ -f $vmlinuz ]] || die "no kernel image $vmlinuz"

# pvh_vmlinux: print the path of the kernel's uncompressed ELF image,
# unpacked from vmlinuz once and kept beside it in the kernel cache, or
# nothing when that cannot be done.  qemu boots such an image through its
# PVH entry point (CONFIG_PVH), which skips the bzImage's own decompressor:
# under TCG that saves more than 3 s per boot.  The kernel that runs is the
# same.
pvh_vmlinux() {
  local elf=$kernel/vm/vmlinux-$release tmp off magic tool
  grep -qx 'CONFIG_PVH=y' "$kernel/root/boot/config-$release" 2>/dev/null || return 0
  if [[ ! -s $elf ]]; then
    mkdir -p "$kernel/vm" 2>/dev/null || return 0
    tmp=$elf.$$.tmp
    for magic in '\xfd7zXZ\x00:xz' '\x28\xb5\x2f\xfd:zstd' '\x1f\x8b\x08:gzip'; do
      tool=${magic##*:}
      command -v "$tool" >/dev/null || continue
      off=$(LC_ALL=C grep -obUaP "${magic%:*}" "$vmlinuz" | head -n 1 | cut -d: -f1) || true
      [[ -n $off ]] || continue
      tail -c +$((off + 1)) "$vmlinuz" | "$tool" -dc 2>/dev/null >"$tmp" || true
      if [[ $(head -c 4 "$tmp" 2>/dev/null) == $'\x7fELF' ]]; then
        mv "$tmp" "$elf"
        break
      fi
    done
    rm -f "$tmp"
  fi
  [[ -s $elf ]] && echo "$elf"
  return 0
}
boot_image=$vmlinuz
if [[ -z ${VM_BZIMAGE:-} ]]; then
  elf=$(pvh_vmlinux)
  [[ -n $elf ]] && boot_image=$elf
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/ctap-vm.XXXXXX")
qpid=
cleanup() {
  [[ -n $qpid ]] && kill "$qpid" 2>/dev/null
  rm -rf "$scratch"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the initramfs -------------------------------------------------------

rootfs=$scratch/root
mkdir -p "$rootfs"/{bin,dev,etc,jobs,lib/x86_64-linux-gnu,lib64,proc,sys,tmp,work,root}
# Initial console for /init's standard streams (devtmpfs is not mounted yet).
mknod -m 600 "$rootfs/dev/console" c 5 1
mknod -m 666 "$rootfs/dev/null" c 1 3

# /init makes the other applets' links (busybox --install).
cp "$busybox" "$rootfs/bin/busybox"
ln -s busybox "$rootfs/bin/sh"

# add_program FILE: FILE into /bin, with the shared libraries it needs at
# the paths where the dynamic loader looks for them.
add_program() {
  local lib
  cp "$1" "$rootfs/bin/"
  while read -r lib; do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done < <(ldd "$1" 2>/dev/null | sed -n 's|.*=> \(/[^ ]*\) (.*|\1|p; s|^[[:space:]]*\(/[^ ]*\) (.*|\1|p')
}
add_program "$STAPRUN"
[[ $(basename "$STAPRUN") == staprun ]] || mv "$rootfs/bin/$(basename "$STAPRUN")" "$rootfs/bin/staprun"
# The workload is also at its host path, so that a script built on the
# host with process("$WORKLOAD") probes names the same file in the guest;
# /init exports WORKLOAD with that path.
WORKLOAD=$(realpath "$WORKLOAD")
add_program "$WORKLOAD"
[[ $(basename "$WORKLOAD") == ctap-workload ]] ||
  mv "$rootfs/bin/$(basename "$WORKLOAD")" "$rootfs/bin/ctap-workload"
mkdir -p "$rootfs$(dirname "$WORKLOAD")"
ln "$rootfs/bin/ctap-workload" "$rootfs$WORKLOAD"

cp "$DIR/init.sh" "$rootfs/init"
chmod 755 "$rootfs/init"
printf 'MODE=%s\nTIMEOUT=%s\nWORKLOAD=%q\n' "$mode" "$timeout" "$WORKLOAD" >"$rootfs/etc/ctap-vm.conf"
echo 'root:x:0:0:root:/work:/bin/sh' >"$rootfs/etc/passwd"
echo 'root:x:0:' >"$rootfs/etc/group"
((${#files[@]})) && cp -r "${files[@]}" "$rootfs/work/"
if [[ $mode == jobs ]]; then
  shopt -s nullglob
  for j in "$jobs"/*.sh; do
    n=$(basename "$j" .sh)
    [[ $n =~ ^[A-Za-z0-9._-]+$ ]] || die "job name $n: use letters, digits, '.', '_' and '-'"
    cp "$j" "$rootfs/jobs/"
    if [[ -f $jobs/$n.timeout ]]; then
      [[ $(<"$jobs/$n.timeout") =~ ^[0-9]+$ ]] || die "$jobs/$n.timeout: not a number of seconds"
      cp "$jobs/$n.timeout" "$rootfs/jobs/"
    fi
  done
  shopt -u nullglob
fi

initrd=$scratch/initrd.cpio
(cd "$rootfs" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$initrd"

# Debian's kernel has the 8250 serial driver, devtmpfs, tracefs, debugfs
# and bpffs built in: no modules are needed.  panic=-1 with -no-reboot
# makes a panic end qemu at once; printk.devkmsg=on keeps the job markers
# written to /dev/kmsg from being rate-limited away.
cmdline="console=ttyS0,115200 panic=-1 printk.devkmsg=on"
qemu=(qemu-system-x86_64 -accel tcg -machine pc -m "$mem" -smp "$smp"
      -nodefaults -no-user-config -no-reboot
      -kernel "$boot_image" -initrd "$initrd")

if [[ $mode == shell ]]; then
  trap - EXIT
  "${qemu[@]}" -nographic -serial mon:stdio -append "$cmdline" || true
  rm -rf "$scratch"
  exit 0
fi

# --- batch mode ----------------------------------------------------------

mkdir -p "$out"
out=$(cd "$out" && pwd)
[[ -z $(ls -A "$out") ]] || die "--out $out is not empty"
console=$scratch/console.log
channel=$out/channel.log
: >"$console"
: >"$channel"

now() { echo "${EPOCHREALTIME/./}"; } # microseconds
t0=$(now)
"${qemu[@]}" -display none -monitor none -serial "file:$console" -serial "file:$channel" \
  -append "$cmdline" </dev/null >"$scratch/qemu.out" 2>&1 &
qpid=$!

# Watch the channel: the last CTAPVM state line, and since when.
state=boot cur= since=$t0 boot_us= status= reason=
while kill -0 "$qpid" 2>/dev/null; do
  sleep 0.2
  line=$(grep -a -E '^CTAPVM (READY|BEGIN|END|DONE)' "$channel" | tail -n 1 | tr -d '\r') || true
  case $line in
    "CTAPVM READY"*) new=ready ;;
    "CTAPVM BEGIN "*) new="job ${line#CTAPVM BEGIN }" ;;
    "CTAPVM END "*) new="after ${line#CTAPVM END }" ;;
    "CTAPVM DONE") new=done ;;
    *) new=boot ;;
  esac
  t=$(now)
  if [[ $new != "$state" ]]; then
    [[ $state == boot && -z $boot_us ]] && boot_us=$((t - t0))
    state=$new since=$t
  fi
  elapsed=$(((t - since) / 1000000))
  case $state in
    boot)
      if ((elapsed >= boot_timeout)); then
        status=boot-failed reason="the guest did not come up within $boot_timeout s"
        break
      fi ;;
    job*)
      cur=${state#job }
      limit=$timeout
      [[ -f $jobs/$cur.timeout ]] && limit=$(<"$jobs/$cur.timeout")
      if ((elapsed >= limit + 30)); then
        status="hung $cur" reason="job $cur did not finish within $((limit + 30)) s (its limit is $limit s)"
        break
      fi ;;
    done)
      # init powers off next; give it a little while.
      ((elapsed >= 30)) && break ;;
    *)
      # between jobs (sending results, starting the next one)
      if ((elapsed >= 30)); then
        status=incomplete reason="no progress for 30 s after ${state#after }"
        break
      fi ;;
  esac
done
if kill -0 "$qpid" 2>/dev/null; then
  kill "$qpid" 2>/dev/null
  for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$qpid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$qpid" 2>/dev/null || true
fi
wait "$qpid" 2>/dev/null || true
qpid=
t1=$(now)
tr -d '\r' <"$console" >"$out/guest.log"

# The state the channel ended in, read once more (the guest may have moved
# on after the last poll).
last=$(grep -a -E '^CTAPVM (READY|BEGIN|END|DONE)' "$channel" | tail -n 1 | tr -d '\r') || true
if [[ -z $status ]]; then
  case $last in
    "CTAPVM DONE") status=ok ;;
    "CTAPVM BEGIN "*) status="died ${last#CTAPVM BEGIN }" reason="the guest ended during job ${last#CTAPVM BEGIN }" ;;
    "CTAPVM READY"* | "CTAPVM END "*) status=incomplete reason="the guest ended between jobs" ;;
    *) status=boot-failed reason="the guest ended before it was up" ;;
  esac
fi
[[ $status != ok && -s $scratch/qemu.out ]] && reason+="; qemu said: $(head -c 500 "$scratch/qemu.out")"

# Split the channel into the jobs' files.
tr -d '\r' <"$channel" | awk -v out="$out" '
  $1 == "CTAPVM" && $2 == "FILE" { f = out "/" $3 "." $4 ".b64"; printf "" > f; next }
  $1 == "CTAPVM" && $2 == "ENDFILE" { close(f); f = ""; next }
  $1 == "CTAPVM" && $2 == "RC" {
    print $4 > (out "/" $3 ".rc"); close(out "/" $3 ".rc")
    print $6 > (out "/" $3 ".ms"); close(out "/" $3 ".ms")
    if ($5 == 1) { printf "" > (out "/" $3 ".timedout"); close(out "/" $3 ".timedout") }
    next
  }
  $1 == "CTAPVM" { next }
  f != "" { print > f }
'
shopt -s nullglob
for b in "$out"/*.b64; do
  base64 -d <"$b" >"${b%.b64}" || echo "$me: cannot decode $(basename "$b")" >&2
  rm -f "$b"
done
shopt -u nullglob

# Kernel problems, each with the job it came during.
awk '
  /ctap-vm: begin / { job = $NF; next }
  /ctap-vm: end / { job = "-"; next }
  /WARNING:|BUG:|Oops|Call Trace|general protection fault|Kernel panic|kernel BUG|soft lockup|hard LOCKUP|self-detected stall|detected stalls? on|blocked for more than|UBSAN:|KASAN:|list_(add|del) corruption|refcount_t:|stack-protector|double fault/ {
    print (job == "" ? "-" : job) "\t" $0
  }
' "$out/guest.log" >"$out/kernel-problems"

echo "$status" >"$out/status"
njobs=$(grep -a -c '^CTAPVM END ' "$channel" || true)
{
  echo "boot_s $(awk -v u="${boot_us:-0}" 'BEGIN { printf "%.1f", u / 1e6 }')"
  echo "total_s $(awk -v u="$((t1 - t0))" 'BEGIN { printf "%.1f", u / 1e6 }')"
  echo "jobs $njobs"
} >"$out/timing"

rc=0
if [[ $status != ok ]]; then
  echo "$me: $reason" >&2
  echo "$me: the end of the guest log ($out/guest.log):" >&2
  tail -n 15 "$out/guest.log" | sed 's/^/    /' >&2
  rc=1
fi
if [[ -s $out/kernel-problems ]]; then
  echo "$me: kernel problems in the guest log:" >&2
  head -n 30 "$out/kernel-problems" | sed 's/^/    /' >&2
  rc=1
fi
exit $rc
