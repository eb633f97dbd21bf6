# Kernel stacks: backtrace(), callers(n), print_backtrace() and
# print_stack() in a tracepoint probe (kernel.trace on a syscalls: event,
# a perf tracepoint program) and in a syscall probe (a tp_btf program),
# and the common pattern: s[backtrace()]++ in the probe, print_stack(k)
# in end.  What the kernel's frames are depends on the kernel, so the
# output is reduced to its shape: an address list is hexadecimal
# addresses "0x..." separated by single spaces; each printed line is
# " 0x" and 16 digits, " : ", a symbol with +0xOFFSET/0xSIZE and its
# module in brackets; the system call entry path (do_syscall_64) is among
# them.  A tracepoint program's stack starts at the tracepoint (the same
# frames for each call: callers(2) is backtrace()'s first two, and the
# three getppid calls make one key); a tp_btf program's starts in the
# program itself (module [bpf]) and the tracing code that called it.
# MAXSTRINGLEN is raised so that no list is cut.  Then MAXBACKTRACE=3:
# three frames at most.
cat > script.stp <<'STP'
global s, done, sdone
probe kernel.trace("syscalls:sys_enter_getppid") {
  if (pid() != target()) next
  s[backtrace()]++
  if (done) next
  done = 1
  bt = backtrace()
  printf("tp backtrace: %s\n", bt)
  printf("tp callers(2): %s\n", callers(2))
  printf("tp callers(0): [%s]\n", callers(0))
  printf("tp stack(0): 0x%x\n", stack(0))
  println("tp print_backtrace:")
  print_backtrace()
}
probe syscall.getppid {
  if (pid() != target() || sdone) next
  sdone = 1
  printf("syscall backtrace: %s\n", backtrace())
  println("syscall print_backtrace:")
  print_backtrace()
  println("syscall print_stack:")
  print_stack(backtrace())
}
probe end {
  foreach (k in s) {
    printf("end: %d hits\n", s[k])
    print_stack(k)
  }
}
STP
"$STAP" --runtime=bpf -DMAXSTRINGLEN=512 -c "$WORKLOAD getppid 3" script.stp > out.txt 2> err.txt
echo "rc=$?"
# One line per list and per block of printed lines: what it is, and its
# shape; then the checks across them.
awk '
  function list_ok(l,    n, t, i) {
    n = split(l, t, " ")
    if (n < 1) return "empty"
    for (i = 1; i <= n; i++) if (t[i] !~ /^0x[0-9a-f]+$/) return "bad word " t[i]
    if (l ~ /  / || l ~ /^ / || l ~ / $/) return "bad spacing"
    return n >= 3 ? "3 addresses or more" : n " addresses"
  }
  function close_block() {
    if (block == "") return
    print block " " (nlines >= 3 ? "3 lines or more" : nlines " lines") \
      (bad ? ", " bad " not of the shape" : ", each of the shape") \
      (entry ? ", do_syscall_64 among them" : ", no do_syscall_64")
    block = ""
  }
  /^ 0x/ && block != "" {
    nlines++
    if (nlines == 1) first[block] = $1
    if ($0 !~ /^ 0x[0-9a-f]+ : [^ ]+\+0x[0-9a-f]+\/0x[0-9a-f]+ \[[^] ]+\]$/ || length($1) != 18) bad++
    if ($0 ~ / : do_syscall_64\+/) entry = 1
    next
  }
  { close_block() }
  /^(tp|syscall) (print_backtrace|print_stack):$/ || /^end: / {
    block = $0; nlines = 0; bad = 0; entry = 0
    if (/^end: /) {
      print
      block = "end print_stack:"
    }
    next
  }
  /^tp backtrace: / { tp = substr($0, 15); print "tp backtrace: " list_ok(tp); next }
  /^syscall backtrace: / { print "syscall backtrace: " list_ok(substr($0, 20)); next }
  /^tp callers\(2\): / {
    split(tp, t, " ")
    print "tp callers(2): " ($3 == t[1] && $4 == t[2] && NF == 4 ? "backtrace()'"'"'s first two" : $0)
    next
  }
  /^tp stack\(0\): / { split(tp, t, " "); print "tp stack(0): " ($3 == t[1] ? "backtrace()'"'"'s first" : $0); next }
  { print }
  END {
    close_block()
    split(tp, t, " ")
    h = substr(t[1], 3)
    while (length(h) < 16) h = "0" h
    print "tp print_backtrace starts at backtrace()'"'"'s first: " (first["tp print_backtrace:"] == "0x" h)
  }
' out.txt
cat err.txt >&2

cat > depth.stp <<'STP'
probe kernel.trace("syscalls:sys_enter_getppid") {
  if (pid() != target()) next
  printf("%s\n", backtrace())
  print_backtrace()
}
STP
"$STAP" --runtime=bpf -DMAXBACKTRACE=3 -c "$WORKLOAD getppid 1" depth.stp > out.txt 2> err.txt
echo "MAXBACKTRACE=3: rc=$?"
awk 'NR == 1 { print "addresses: " split($0, t, " ") } NR > 1 { n++ } END { print "lines: " n }' out.txt
cat err.txt >&2
