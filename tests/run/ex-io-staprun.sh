# The seed documents' cross-instrumentation flow on examples/io.stp, as
# its first line says: `stap -p4 -m ioread_top5 io.stp` builds
# ioread_top5.bo (and prints its name), then `staprun -c CMD ioread_top5.bo
# interval=5` runs it with the global `interval` set at load time
# (staprun(8): MODULE-OPTIONS, -c).  Checked as in ex-io.sh: the END
# section lists the workload's 20000 reads of 7 bytes.
"$STAP" --runtime=bpf -p4 -m ioread_top5 "$ROOT/examples/io.stp" > build.out 2> build.err
echo "build rc=$? output: $(cat build.out)"
cat build.err >&2
"$STAPRUN" -c "$WORKLOAD reads 20000 7" ioread_top5.bo interval=5 > out.txt 2> err.txt
echo "rc=$?"
awk '
  /^END:\*+$/ { inend = 1; print; next }
  inend && /^[0-9]+---/ { n++ }
  inend && /^[0-9]+---ctap-workload---/ { sub(/^[0-9]+---/, "PID---"); print }
  END { print (n >= 1 && n <= 5) ? "END lines: 1 to 5" : "END lines: " n }
' out.txt
cat err.txt >&2
