# SIGINT (and SIGTERM, sigterm.sh) end the session as exit() does: end
# probes run, the exit status is 0 (staprun/mainloop.c: interrupt_handler
# sends STP_EXIT).  The script never exits on its own.  Job control (set
# -m) keeps the background stap from starting with SIGINT ignored.
set -m
"$STAP" --runtime=bpf -e 'probe timer.s(100) { } probe begin { println("started") } probe end { println("end ran") }' > out.txt 2> err.txt &
pid=$!
trap 'kill -KILL "$pid" 2> /dev/null' EXIT
for ((i = 0; i < 200; i++)); do grep -q started out.txt && break; sleep 0.1; done
sleep 1
kill -INT "$pid"
wait "$pid"
echo "rc=$?"
cat out.txt
cat err.txt >&2
