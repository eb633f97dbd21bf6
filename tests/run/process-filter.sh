# process("PATH").begin/.end fire for PATH's processes only (stapprobes
# PROCESS): other programs exec'ing and exiting meanwhile (a shell loop
# running /bin/true) are not seen; .end fires once per process (not per
# thread) and also for a process that was already running PATH when the
# session started.  The workload is a copy of ctap-workload under another
# name, so that the filter is by file and not by name.
cp "$WORKLOAD" ./wl
(while :; do /bin/true; done) &
noise=$!
./wl tick 100 30 &
old=$!
trap 'kill "$noise" "$old" 2> /dev/null' EXIT
sleep 0.2
"$STAP" --runtime=bpf -c "./wl tick 50 3" -e '
  probe process("'"$PWD"'/wl").begin { printf("begin %s target=%d\n", execname(), pid() == target()) }
  probe process("'"$PWD"'/wl").end { printf("end %s target=%d old=%d\n", execname(), pid() == target(), pid() == '"$old"') }
  ' > out.txt 2> err.txt
echo "rc=$?"
kill "$old"
wait "$old" 2> /dev/null
cat out.txt
# The other process ends after the session: nothing more.  Only .end now
# (on a process that lives 2 s: stap under ASan on a busy machine may
# take a second to start, and one that ended before would never end),
# with -x: the running process is found when the session starts.
./wl tick 100 20 &
old=$!
sleep 0.1
"$STAP" --runtime=bpf -x "$old" -e '
  probe process("'"$PWD"'/wl").end { printf("end target=%d\n", pid() == target()); exit() }
  ' >> out2.txt 2>> err.txt
echo "rc=$?"
cat out2.txt
kill "$noise"
grep -v '^stap: using --runtime=bpf' err.txt >&2 || true
