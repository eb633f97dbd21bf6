# Naming code addresses in user programs (timer and end probes), where
# staprun's symbolizer answers: symname, symdata and modname of a kernel
# address (vfs_read's, from /proc/kallsyms, as $1: the function at offset
# 0, at offset 5, and the kernel as its module), print_syms and
# sprint_syms of an address list; usymname, usymdata and umodname of the
# address a uprobe saw (ctap_workload_func's; a user program names the
# target process's addresses, so the timer runs while the workload
# sleeps), print_usyms of its ubacktrace(); what is known of address 0
# (nothing: the address; modname and umodname raise stap's errors); and a
# BPF program's own frame (a syscall probe's stack(0)), which kallsyms
# lists in module [bpf].  Sizes and main's offset vary with the kernel
# and the compiler: SIZE, OFF; the workload's path: WORKLOAD; the
# addresses of printed lines: ADDR.
cat > script.stp <<'STP'
global at, stk, got, f, done
probe process(@2).function("ctap_workload_func") {
  at = addr()
  stk = ubacktrace()
  got = 1
}
probe syscall.getppid {
  if (pid() == target() && !f) f = stack(0)
}
probe timer.ms(20) {
  if (!got || done) next
  done = 1
  printf("usymname: %s\n", usymname(at))
  printf("usymdata: %s\n", usymdata(at))
  printf("umodname: %s\n", umodname(at))
  printf("usymname(0): %s usymdata(0): %s\n", usymname(0), usymdata(0))
  try { println(umodname(0)) } catch (e) { println("umodname(0): ", e) }
  println("print_usyms:")
  print_usyms(stk)
  exit()
}
probe end {
  printf("symname: %s\n", symname($1))
  printf("symdata: %s\n", symdata($1))
  printf("symdata+5: %s\n", symdata($1 + 5))
  printf("modname: %s\n", modname($1))
  printf("symname(0): %s symdata(0): %s\n", symname(0), symdata(0))
  try { println(modname(0)) } catch (e) { println("modname(0): ", e) }
  println("print_syms:")
  print_syms(sprintf("0x%x 0x%x 0", $1, $1 + 16))
  println("sprint_syms:")
  print(sprint_syms(sprintf("0x%x", $1 + 1)))
  printf("bpf frame: %s %s\n", modname(f), substr(symname(f), 0, 9))
}
STP
vfs_read=$(awk '$3 == "vfs_read" { print "0x" $1; exit }' /proc/kallsyms)
"$STAP" --runtime=bpf -c "$WORKLOAD getppid 1 func 1 sleep 1000" script.stp "$vfs_read" \
  "$WORKLOAD" > out.txt 2> err.txt
echo "rc=$?"
awk -v w="$WORKLOAD" '
  /^print_usyms:$/ { print; u = 0; inu = 1; next }
  /^ 0x/ && inu && ++u > 2 { next }
  !/^ 0x/ { inu = 0 }
  {
    if (match($0, /^ 0x[0-9a-f]+ /) && RLENGTH == 20) $0 = " ADDR " substr($0, 21)
    gsub(/\/0x[0-9a-f]+/, "/SIZE")
    sub(/main\+0x[0-9a-f]+/, "main+OFF")
    i = index($0, "[" w "]")
    if (i) $0 = substr($0, 1, i) "WORKLOAD]" substr($0, i + length(w) + 2)
    print
  }
' out.txt
cat err.txt >&2
