# -V and -v.  staprun -V prints its version (staprun(8)); staprun -v says
# what it does, phase by phase (the object read, the programs loaded,
# the probes attached, why it stops, the probes detached, the outcome).
# stap -v reports each pass in stap's words, passes 3 to 5 included;
# from -vv on stap runs staprun with one -v less, as stap does.  Numbers
# are shown as N (sizes, times, pids, counts that depend on the tapset
# and the translator) but for pass numbers, byte counts and exit
# statuses; paths as PATH, the running kernel's release as RELEASE.
norm() {
  sed -E "s|/tmp/stap[A-Za-z0-9]+/|PATH/|g; s|$WORKLOAD|WORKLOAD|g; s|$(uname -r)|RELEASE|g;
          s/stap_[0-9a-f]{16}/stap_HASH/g" |
    perl -pe 's/(?<![0-9])(?<!Pass )(?<!status )[0-9]+(?![0-9])(?! bytes)/N/g'
}
"$STAPRUN" -V > out.txt 2> err.txt
echo "staprun -V: rc=$? stderr=$(wc -c < err.txt)"
head -1 out.txt | norm
"$STAPRUN" -Z ctap_none.bo > out.txt 2> err.txt
echo "staprun -Z: rc=$? stdout=$(wc -c < out.txt)"
head -2 err.txt | sed "s|^$STAPRUN:|staprun:|"

script='probe syscall.getppid { if (pid() == target()) n++ } probe end { printf("%d\n", n) } global n'
echo "stap -v:"
"$STAP" --runtime=bpf -v -c "$WORKLOAD getppid 2" -e "$script" 2> err.txt | sed 's/^/  out: /'
grep -v '^stap: using' err.txt | norm | sed 's/^/  /'
echo "stap -vv:"
"$STAP" --runtime=bpf -vv -c "$WORKLOAD getppid 2" -e "$script" 2> err.txt | sed 's/^/  out: /'
grep -v '^stap: using' err.txt | norm | sed 's/^/  /'
echo "stap -v -p4, then staprun -v:"
"$STAP" --runtime=bpf -v -p4 -m ctap_verbose -e "$script" 2> err.txt | sed 's/^/  out: /'
grep -v '^stap: using' err.txt | norm | sed 's/^/  /'
"$STAPRUN" -v -c "$WORKLOAD getppid 3" ctap_verbose.bo 2> err.txt | sed 's/^/  out: /'
norm < err.txt | sed 's/^/  /'
