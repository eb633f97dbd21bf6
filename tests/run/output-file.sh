# stap -o FILE (stap(1)): the script's output goes to FILE, none to
# standard output; warnings and errors still go to standard error.
"$STAP" --runtime=bpf -o "$TMP/out.txt" \
  -e 'probe begin { println("to the file"); printf("%d %s\n", 42, "too"); error("oops") }' \
  > stdout.txt 2> stderr.txt
echo "rc=$?"
echo "stdout: $(wc -c < stdout.txt) bytes"
echo "file:"
cat out.txt
echo "stderr:"
grep -E '^(ERROR|WARNING):' stderr.txt
