# is_myproc(): whether the task belongs to the user running the script
# (root here): the workload run as root, then as nobody through setpriv;
# returnval() is $return in a .return probe, and an error where there is
# none.
"$STAP" --runtime=bpf -e 'probe syscall.getppid.return {
  if (pid() != target()) next
  printf("mine %d, returnval is $return: %d\n", is_myproc(), returnval() == $return)
}' -c "$WORKLOAD getppid 1" 2> err.txt
"$STAP" --runtime=bpf -e 'probe syscall.getppid {
  if (pid() == target()) printf("as nobody: mine %d\n", is_myproc())
}' -c "setpriv --reuid=65534 --regid=65534 --clear-groups $WORKLOAD getppid 1" 2>> err.txt
"$STAP" --runtime=bpf -p4 -e 'probe syscall.getppid { println(returnval()) }' 2>> err.txt
echo "rc=$?"
grep -v '^stap: using --runtime=bpf' err.txt | grep -v '^ *source:\|^ *\^$\|^$' || true
