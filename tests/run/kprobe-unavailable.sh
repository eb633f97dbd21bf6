# kernel.function probes on a kernel without kprobes (this machine's):
# staprun says that the kernel has no kprobes, rather than a bare
# ENOENT; an optional probe ('?') is left out and the rest runs.  On a
# kernel with kprobes the probe runs instead.
if [[ -e /sys/bus/event_source/devices/kprobe || -e /sys/kernel/tracing/kprobe_events ]]; then
  "$STAP" --runtime=bpf -c "$WORKLOAD reads 1 1" -e 'probe kernel.function("vfs_read") { if (pid() == target()) { println("hit"); exit() } }' 2>&1 | grep -q '^hit$' && echo ok
  echo "optional: ok"
  exit 0
fi
"$STAP" --runtime=bpf -e 'probe kernel.function("vfs_read") { exit() }' > out.txt 2> err.txt
rc=$?
cat out.txt
if ((rc == 1)) && grep -qE '^ERROR: cannot attach probe kernel\.function\("vfs_read"\): the running kernel \(.+\) has no kprobes \(CONFIG_KPROBES, CONFIG_KPROBE_EVENTS\)$' err.txt; then
  echo ok
else
  cat err.txt >&2
fi
"$STAP" --runtime=bpf -e 'probe kernel.function("vfs_read") ? { exit() } probe begin { println("optional: ok"); exit() }' 2> err.txt
cat err.txt >&2
