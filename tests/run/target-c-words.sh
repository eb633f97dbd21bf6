# -c CMD is split and expanded as the shell would (wordexp(3): quotes,
# backslashes, $VAR, globs) and executed directly, as stap's staprun
# does, so that target() is the command's own pid even when the command
# is quoted; only what wordexp leaves to a shell (pipes, redirections,
# lists, command substitution) runs through /bin/sh -c, and then
# target() is the shell's pid, as in stap.  The probe counts getppid()
# calls made by target() itself and by anything else running the
# workload.
script='global mine, others
probe syscall.getppid {
  if (execname() != "ctap-workload") next
  if (pid() == target()) mine++; else others++
}
probe end { printf("target() made %d, others %d\n", mine, others) }'
mkdir dir
ln -s "$WORKLOAD" dir/ctap-workload
export WL=$WORKLOAD
for cmd in "'$WORKLOAD' getppid 2" \
           "\"\$WL\" getppid 2" \
           "dir/ctap-w*load getppid \\2" \
           "$WORKLOAD getppid 1 | cat > /dev/null"; do
  echo "-c ${cmd//$WORKLOAD/WORKLOAD}"
  "$STAP" --runtime=bpf -c "$cmd" -e "$script" 2> err.txt | sed 's/^/  /'
  grep -v '^stap: using --runtime=bpf' err.txt >&2
done
# what wordexp cannot parse is an error that names the command
echo "-c with an unmatched quote"
"$STAP" --runtime=bpf -c "$WORKLOAD 'getppid 1" -e "$script" > out.txt 2> err.txt
echo "  rc=$? stdout=$(wc -c < out.txt)"
grep -v '^stap: using --runtime=bpf' err.txt | sed "s|$WORKLOAD|WORKLOAD|; s/^/  /"
