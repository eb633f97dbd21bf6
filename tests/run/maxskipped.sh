# MAXSKIPPED (stap(1)): more skipped probes than that end the session
# with stap's "Skipped too many probes" error; the error probes run
# instead of the end probes and the exit status is 1 (the error count
# stays 0, as in stap).  No probe of the bpf runtime skips for another
# reason than reentrancy (which does not count against the limit, see
# skipped-reentrant.stp), so a deliberately corrupt object makes the
# count: its begin probe, `x = 7`, stores 7 into the control block's
# skipped field (byte 16, src/bpf/bo.h BoControl) instead of x (which
# stays 0).
script='global x probe begin { x = 7; exit() } probe end { printf("end ran, x=%d\n", x) }
        probe error { println("error ran") }'
for limit in 100 6 7; do
  "$STAP" --runtime=bpf -p4 -m ctap_skip$limit -DMAXSKIPPED=$limit -e "$script" > /dev/null 2> build.err \
    || { echo "could not build the object"; cat build.err >&2; }
  perl "$DIR/bo-user.pl" ctap_skip$limit.bo store-to 16 || echo "could not patch the object"
  "$STAPRUN" ctap_skip$limit.bo > out.txt 2> err.txt
  echo "MAXSKIPPED=$limit: rc=$?"
  sed 's/^/  /' out.txt err.txt
done
