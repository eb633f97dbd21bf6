# examples/jiffies-hz.stp: timer.jiffies(100) and timer.ms(100) count for
# 12.345 s, then it prints "jiffies:ms ratio J:M => CONFIG_HZ=H" with
# H = 1000*J/M.  For a kernel with CONFIG_HZ = Z, timer.jiffies(100) fires
# every 100/Z s, so J = floor(12.345 * Z / 100), M = 123 (this kernel,
# Z = 250: 30:123 => CONFIG_HZ=243).  The printed line must be exactly the
# one this kernel's CONFIG_HZ gives.
hz=$( (zcat /proc/config.gz 2> /dev/null || cat "/boot/config-$(uname -r)" 2> /dev/null) | sed -n 's/^CONFIG_HZ=//p')
"$STAP" --runtime=bpf "$ROOT/examples/jiffies-hz.stp" > out.txt 2> err.txt
echo "rc=$?"
if [[ -z $hz ]]; then
  echo "cannot find this kernel's CONFIG_HZ"
else
  j=$((12345 * hz / 100000)) m=123
  want="jiffies:ms ratio $j:$m => CONFIG_HZ=$((1000 * j / m))"
  if [[ $(cat out.txt) == "$want" ]]; then echo "the line CONFIG_HZ gives"
  else echo "got: $(cat out.txt)"; echo "want: $want"; fi
fi
cat err.txt >&2
