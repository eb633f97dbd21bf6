# stap -s NUM (stap(1): NUM megabyte buffers for kernel-to-user data)
# sets the size of the object's output ring buffer (BoLimits.ringbuf_size,
# the ctap_output map), which staprun -v reports as the kernel made it.
# The kernel wants a ring buffer's size a power of 2: NUM MB is rounded
# up, with a warning that says so, to at most 2048 MB; NUM outside stap's
# range, 1-4095, is an error.  Without -s: 4 MB.
script='probe begin { println("ran"); exit() }'
for s in 0 4096 x; do
  "$STAP" --runtime=bpf -p4 -s "$s" -e "$script" > out.txt 2> err.txt
  echo "-s $s: rc=$? stdout=$(wc -c < out.txt)"
  sed 's/^/  /' err.txt
done
for s in none 1 16 5 3000; do
  opt=(-s "$s")
  [[ $s == none ]] && opt=()
  "$STAP" --runtime=bpf -p4 "${opt[@]}" -m "ctap_s$s" -e "$script" > /dev/null 2> err.txt
  echo "-s $s: rc=$?"
  grep -v '^stap: using' err.txt | sed 's/^/  /'
  # a 2 GB ring buffer is not loaded: just see that the object has it
  [[ $s == 3000 ]] && continue
  "$STAPRUN" -v "ctap_s$s.bo" 2> err.txt | sed 's/^/  /'
  grep -o 'output ring buffer of [0-9]* bytes' err.txt | sed 's/^/  /'
done
