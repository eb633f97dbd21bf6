# examples/target-syscalls.stp -c "ctap-workload syscalls": the name of
# every system call of the target process.  Its probes are in place before
# the command runs, so the execve that starts the workload is seen; after
# that come the static start-up's calls (libc's), then the workload's fixed
# sequence between its two getppid markers (workload.c), then exit_group.
# Printed: whether execve came before the first marker, then everything
# from the first marker on.
"$STAP" --runtime=bpf -c "$WORKLOAD syscalls" "$ROOT/examples/target-syscalls.stp" > out.txt 2> err.txt
echo "rc=$?"
awk '
  !on && $0 == "execve" { execve = 1 }
  !on && $0 == "getppid" { on = 1; print "execve before the workload: " (execve ? "yes" : "no") }
  on { print }
' out.txt
cat err.txt >&2
