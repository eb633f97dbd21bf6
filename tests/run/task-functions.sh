# task_execname, pexecname, task_cpu, pgrp and sid: @cast chains in the
# tapset.  The workload shares this shell's process group and session
# (stap and staprun start it without a new one), its parent is stap.
pg=$(ps -o pgid= -p $$ | tr -d ' ')
sid=$(ps -o sid= -p $$ | tr -d ' ')
"$STAP" --runtime=bpf -e 'probe syscall.getppid {
  if (pid() != target()) next
  printf("%s %s cpu %d pgrp %d sid %d\n", task_execname(task_current()), pexecname(),
         task_cpu(task_current()) == cpu(), pgrp() == $1, sid() == $2)
}' -c "$WORKLOAD getppid 1" "$pg" "$sid" 2> err.txt
echo "rc=$?"
grep -v '^stap: using --runtime=bpf' err.txt >&2 || true
