# User stacks from a uprobe: print_ubacktrace(), ubacktrace() and
# print_ustack(), ucallers(n), ustack(n), addr() and uaddr() at the entry
# of ctap_workload_func, which the workload calls from main (workload.c:
# built with frame pointers, so the kernel's unwinder finds main).  The
# frames are innermost first: ctap_workload_func at offset 0, then main,
# each named with the executable's path in brackets.  Only those two are
# checked: glibc's start-up code below main has no frame pointers, so what
# follows varies.  The workload sleeps after the call so that staprun
# reads the records while the process (its /proc/PID/maps) still exists.
# In a uprobe the kernel stack is empty.  caller_addr() is main's frame,
# at the entry (the return address the stack pointer points to) and at
# the return (the registers' ip).  Addresses are replaced by ADDR,
# main's offset and size by OFF/SIZE and the workload's path by WORKLOAD;
# the printed addresses are checked against ubacktrace()'s.
cat > script.stp <<'STP'
global caller, returned
probe process(@1).function("ctap_workload_func") {
  if ($a != 1) next
  caller = ustack(1)
  println("print_ubacktrace:")
  print_ubacktrace()
  stk = ubacktrace()
  println("ubacktrace: ", stk)
  println("print_ustack:")
  print_ustack(stk)
  printf("ucallers(2): %s\n", ucallers(2))
  printf("ucallers(0): [%s]\n", ucallers(0))
  printf("ustack(0) ustack(1): 0x%x 0x%x\n", ustack(0), ustack(1))
  printf("ustack(0) == addr(): %d, uaddr() == addr(): %d\n", ustack(0) == addr(),
         uaddr() == addr())
  printf("kernel stack: [%s]\n", backtrace())
  printf("caller_addr() == ustack(1): %d\n", caller_addr() == caller)
}
probe process(@1).function("ctap_workload_func").return {
  if (returned) next
  returned = 1
  printf("at return, caller_addr() is the same: %d\n", caller_addr() == caller)
}
STP
"$STAP" --runtime=bpf -c "$WORKLOAD func 2 sleep 500" script.stp "$WORKLOAD" > out.txt 2> err.txt
echo "rc=$?"
awk -v w="$WORKLOAD" '
  # "0x1234" as 0x and 16 digits, as the printed lines have it
  function pad(h) {
    h = substr(h, 3)
    while (length(h) < 16) h = "0" h
    return "0x" h
  }
  function frame(line) {
    split(line, f, " ")
    return f[1]
  }
  function tidy(line) {
    if (match(line, /^ 0x[0-9a-f]+ /) && RLENGTH == 20) line = " ADDR " substr(line, 21)
    sub(/main\+0x[0-9a-f]+\/0x[0-9a-f]+/, "main+OFF/SIZE", line)
    sub(/ctap_workload_func\+0x0\/0x[0-9a-f]+/, "ctap_workload_func+0x0/SIZE", line)
    i = index(line, "[" w "]")
    if (i) line = substr(line, 1, i) "WORKLOAD]"
    return line
  }
  /^print_u(backtrace|stack):$/ { print; block = $0; n = 0; next }
  /^ 0x/ && block != "" {
    if (++n <= 2) {
      print tidy($0)
      addr[block, n] = frame($0)
    }
    next
  }
  /^ubacktrace: / {
    block = ""
    ntok = split(substr($0, 13), tok, " ")
    print "ubacktrace: " (ntok >= 2 ? "2 frames or more" : ntok " frames")
    next
  }
  /^ucallers\(2\): / {
    split(substr($0, 14), c, " ")
    print "ucallers(2): " (c[1] == tok[1] && c[2] == tok[2] && c[3] == "" ? \
                           "ubacktrace()'"'"'s first two" : $0)
    next
  }
  /^ustack\(0\) ustack\(1\): / {
    print "ustack(0) ustack(1): " ($3 == tok[1] && $4 == tok[2] ? "ubacktrace()'"'"'s first two" \
                                                                 : $0)
    next
  }
  { print }
  END {
    for (b = 1; b <= 2; b++) {
      name = b == 1 ? "print_ubacktrace:" : "print_ustack:"
      for (k = 1; k <= 2; k++)
        if (addr[name, k] != pad(tok[k]))
          print name " frame " k " is " addr[name, k] ", ubacktrace() says " tok[k]
    }
  }
' out.txt
cat err.txt >&2
