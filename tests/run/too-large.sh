# A probe whose program would jump over more than 32767 instructions
# (BPF jumps have 16-bit offsets; Linux 6.1 has no longer one) is a
# clear pass-3 error naming the probe, not an internal error.
{
  echo 'global n'
  echo 'probe begin {'
  for ((i = 0; i < 1500; i++)); do echo '  n += 1; if (n > 3) printf("%d %s\n", n, execname())'; done
  echo '}'
} > big.stp
"$STAP" --runtime=bpf -p4 big.stp > out.txt 2> err.txt
echo "rc=$?"
grep -c . out.txt
grep '^semantic error' err.txt
grep '^ *at: ' err.txt
