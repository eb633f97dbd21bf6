# stap -x PID (stap(1)): target() is PID, an already running process; the
# script filters on it and ends itself (with -x the session does not end
# when the process does).  The workload calls getppid every 100 ms.
"$WORKLOAD" tick 100 200 &
wpid=$!
trap 'kill "$wpid" 2> /dev/null' EXIT
"$STAP" --runtime=bpf -x "$wpid" -e '
  global n
  probe begin { printf("target %d\n", target()) }
  probe syscall.getppid { if (pid() == target()) { n++; if (n == 5) exit() } }
  probe end { printf("getppid calls seen: %d\n", n) }' > out.txt 2> err.txt
rc=$?
kill "$wpid" 2> /dev/null
wait "$wpid" 2> /dev/null
sed "s/^target $wpid\$/target = the -x pid/" out.txt
echo "rc=$rc"
cat err.txt >&2
