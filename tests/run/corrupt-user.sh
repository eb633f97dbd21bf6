# A runtime fault in a user program (here a deliberately corrupt object:
# the first instruction of its begin probe reads through a null pointer)
# is an error that names the probe point and the script line of the
# faulting instruction, not the program's name in the object (user_0).
# The session ends with it; the end probes run; the exit status is 1.
cat > script.stp <<'STP'
global n
probe begin {
  n = 1
}
probe end { printf("end ran, n=%d\n", n) }
STP
"$STAP" --runtime=bpf -p4 -m ctap_corrupt script.stp > /dev/null 2> build.err \
  || { echo "could not build the object"; cat build.err >&2; }
# r0 = *(u64 *)(r1 + 0), r1 being 0 at the start
perl "$DIR/bo-user.pl" ctap_corrupt.bo set 0 7910000000000000 || echo "could not patch"
"$STAPRUN" ctap_corrupt.bo > out.txt 2> err.txt
echo "rc=$?"
cat out.txt err.txt
