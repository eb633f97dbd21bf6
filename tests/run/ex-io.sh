# examples/io.stp (the top-5 readers, from the seed documents) on a known
# workload: `ctap-workload reads 20000 7` makes 20000 reads of 7 bytes.
# When the -c command exits, the end probe prints "END:**********" and the
# top five [pid, execname] pairs by read count as
# PID---EXECNAME---COUNT---BYTES (printdln), so the workload's line must
# be there with exactly its counts.  Other processes' lines and the
# per-second sections vary, so only the END section's workload line is
# kept, with its pid replaced by PID; at most five lines may follow END.
"$STAP" --runtime=bpf -c "$WORKLOAD reads 20000 7" "$ROOT/examples/io.stp" > out.txt 2> err.txt
echo "rc=$?"
awk '
  /^END:\*+$/ { inend = 1; print; next }
  inend && /^[0-9]+---/ { n++ }
  inend && /^[0-9]+---ctap-workload---/ { sub(/^[0-9]+---/, "PID---"); print }
  END { print (n >= 1 && n <= 5) ? "END lines: 1 to 5" : "END lines: " n }
' out.txt
cat err.txt >&2
