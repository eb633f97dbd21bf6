# SIGINT and SIGTERM end staprun also while a user program runs long: a
# deliberately corrupt object whose begin (then: end) probe loops calling
# a helper (get_current_comm, a prctl each time) would run for its whole
# instruction budget, minutes under ASan.  The interpreter asks every
# 64 Ki instructions whether a signal came; if one did, the program stops,
# and so does the session, cleanly: no error, exit status 0, the end
# probes run after an interrupted begin probe.  A signal during a long
# end probe (the first one ended the session) stops that one.
script='probe begin { println("begin ran") } probe end { println("end ran") }'
"$STAP" --runtime=bpf -p3 -e "$script" > listing.txt 2> /dev/null
"$STAP" --runtime=bpf -p4 -m ctap_spin -e "$script" > /dev/null 2> build.err \
  || { echo "could not build the object"; cat build.err >&2; }
# The loop: r1 = r10; r1 += -16; r2 = 16; call get_current_comm (16);
# goto the start.
loop() { # FIRST-INSN: the loop's five instructions from there
  local n=$1
  echo "set $n bfa1000000000000 set $((n + 1)) 07010000f0ffffff" \
       "set $((n + 2)) b702000010000000 set $((n + 3)) 8500000010000000" \
       "set $((n + 4)) 0500fbff00000000"
}
# the begin program comes first in .ctap.user, then the end program
nbegin=$(sed -n 's/^# probe begin: user program (\([0-9]*\) instructions)$/\1/p' listing.txt)
cp ctap_spin.bo begin.bo
cp ctap_spin.bo end.bo
# shellcheck disable=SC2046
perl "$DIR/bo-user.pl" begin.bo $(loop 0) || echo "could not patch begin.bo"
# shellcheck disable=SC2046
perl "$DIR/bo-user.pl" end.bo $(loop "$nbegin") || echo "could not patch end.bo"

# run OBJ SIGNAL...: staprun OBJ, each SIGNAL a second after the last;
# prints its exit status, how soon it ended after the last one, and its
# output.
run() {
  local obj=$1
  shift
  "$STAPRUN" "$obj" > out.txt 2> err.txt &
  local pid=$! sig
  for sig in "$@"; do
    sleep 1
    kill -"$sig" "$pid"
  done
  local t0=$SECONDS i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2> /dev/null
  wait "$pid"
  local rc=$?
  echo "$obj, $*: rc=$rc, ended within 5 s: $( ((SECONDS - t0 <= 5)) && echo yes || echo no)"
  sed 's/^/  /' out.txt
  cat err.txt >&2
}
run begin.bo TERM
run begin.bo INT
run end.bo INT TERM
