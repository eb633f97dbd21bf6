# SIGINT stops the session: the end probe runs, the exit status is 0.
"$STAP" -e 'probe timer.s(100) { } probe begin { println("started") } probe end { println("end ran") }' &
pid=$!
sleep 2
kill -INT $pid
wait $pid
echo "rc=$?"
