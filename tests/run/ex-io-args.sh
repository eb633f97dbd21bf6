# examples/io-args.stp 1 2 ($1 = the interval, $2 = the total time in
# seconds) with the workload `reads 20000 7 sleep 3000` as -c: its reads
# happen in the first second, so the first "**********" section and the
# final "END:**********" section (at 2 s; the script then exits while the
# workload still sleeps) each list it as PID---ctap-workload---20000---140000
# with the same pid.  Sections without the workload (other processes, a
# second interval) and other lines are dropped; pids are replaced by PID.
"$STAP" --runtime=bpf -c "$WORKLOAD reads 20000 7 sleep 3000" "$ROOT/examples/io-args.stp" 1 2 > out.txt 2> err.txt
echo "rc=$?"
awk '
  function flush() { if (head != "" && (body != "" || head ~ /^END/)) printf "%s\n%s", head, body; head = ""; body = "" }
  /^(END:)?\*+$/ { flush(); head = $0; next }
  /^[0-9]+---ctap-workload---/ {
    pid = $0; sub(/---.*/, "", pid)
    if (first == "") first = pid; else if (pid != first) body = body "(a different pid)\n"
    sub(/^[0-9]+---/, "PID---"); body = body $0 "\n"
  }
  END { flush() }
' out.txt
cat err.txt >&2
