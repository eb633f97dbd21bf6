# The default runtime is bpf, said in one line on stderr; --runtime=bpf
# says nothing; --runtime=kernel is refused clearly.
"$STAP" -e 'probe begin { exit() }' 2>err.txt; echo "rc=$?"; grep -c '^stap: using --runtime=bpf: ' err.txt
"$STAP" --runtime=bpf -e 'probe begin { exit() }' 2>err2.txt; echo "rc=$?"; wc -c < err2.txt
"$STAP" --runtime=kernel -e 'probe begin { exit() }' 2>err3.txt; echo "rc=$?"; cat err3.txt
