stap -L 'kernel.trace("sched:sched_switch")'; stap -L 'syscall.openat'; stap -l 'kernel.trace("sched:*")'
