#!/bin/sh
# /init of the test guest that tests/vm/guest.sh boots (busybox sh, PID 1).
#
# It mounts the pseudo file systems the runtime needs, then, as
# /etc/ctap-vm.conf says (MODE, TIMEOUT, WORKLOAD: the workload's path):
#   MODE=jobs   runs every /jobs/NAME.sh in name order, each with
#               `timeout TIMEOUT` (or the seconds /jobs/NAME.timeout
#               holds) from /work, and sends each one's standard
#               output, standard error and exit status to the host over the
#               second serial port (ttyS1), then powers off;
#   MODE=shell  starts an interactive shell on the console (ttyS0) and
#               powers off when it exits.
# The kernel console is ttyS0 alone, so nothing but this script writes to
# ttyS1.  The channel is lines of text (the host strips any \r):
#   CTAPVM READY UPTIME-MS                 set up, about to run the jobs
#   CTAPVM BEGIN NAME                      job NAME starts
#   CTAPVM FILE NAME stdout|stderr         base64 lines follow, up to
#   CTAPVM ENDFILE
#   CTAPVM RC NAME STATUS TIMEDOUT MS      exit status, 1 if the time limit
#                                          killed it (else 0), elapsed ms
#   CTAPVM END NAME
#   CTAPVM DONE                            every job has run
# Each job is also bracketed in the kernel log by "ctap-vm: begin NAME" and
# "ctap-vm: end NAME" (through /dev/kmsg), so that the host can tell which
# job a kernel warning came during.

/bin/busybox --install -s /bin
export PATH=/bin
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu
export HOME=/work
export TERM=${TERM:-linux}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf
ip link set lo up 2>/dev/null
hostname ctap-vm

MODE=jobs
TIMEOUT=30
. /etc/ctap-vm.conf
export WORKLOAD
# The workload at its host path: a tmpfs mounted above (a checkout under
# /tmp) hides the initramfs's copy there; copy it back.
if [ -n "$WORKLOAD" ] && [ ! -e "$WORKLOAD" ]; then
  mkdir -p "${WORKLOAD%/*}" && cp /bin/ctap-workload "$WORKLOAD"
fi

# now_ms: milliseconds since boot.
now_ms() {
  awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

# kmsg TEXT: a line in the kernel log.
kmsg() {
  echo "<5>ctap-vm: $*" >/dev/kmsg
}

if [ "$MODE" = shell ]; then
  cat <<EOF

ctap test guest: $(uname -r), $(nproc) CPUs.  Files are in /work;
staprun and ctap-workload are in /bin.  Leave with 'exit' (or Ctrl-A X).

EOF
  cd /work
  setsid cttyhack sh -l
  sync
  poweroff -f
fi

# The channel to the host: raw, so that the tty changes no byte.
stty -F /dev/ttyS1 115200 raw -echo 2>/dev/null
exec 3>/dev/ttyS1

send() {
  echo "CTAPVM $*" >&3
}

# send_file NAME WHICH FILE: FILE's bytes, base64, as NAME's WHICH.
send_file() {
  send FILE "$1" "$2"
  base64 "$3" >&3
  send ENDFILE
}

send READY "$(now_ms)"
for job in /jobs/*.sh; do
  [ -f "$job" ] || continue
  name=${job##*/}
  name=${name%.sh}
  kmsg "begin $name"
  send BEGIN "$name"
  limit=$TIMEOUT
  [ -f "/jobs/$name.timeout" ] && limit=$(cat "/jobs/$name.timeout")
  start=$(now_ms)
  # A job gets TERM at its time limit and KILL 5 s later; busybox's
  # timeout then exits with the job's status (143 or 137), so a time-out
  # is told by the elapsed time as well.
  (cd /work && exec timeout -s TERM -k 5 "$limit" sh "$job") \
    </dev/null >/tmp/job.out 2>/tmp/job.err 3>&-
  rc=$?
  ms=$(($(now_ms) - start))
  timedout=0
  if { [ $rc = 143 ] || [ $rc = 137 ]; } && [ $ms -ge $((limit * 1000 - 100)) ]; then
    timedout=1
  fi
  kmsg "end $name"
  send_file "$name" stdout /tmp/job.out
  send_file "$name" stderr /tmp/job.err
  send RC "$name" "$rc" "$timedout" "$ms"
  send END "$name"
done
send DONE
# The last close of the tty waits until its output has been sent.
exec 3>&-
sync
poweroff -f
