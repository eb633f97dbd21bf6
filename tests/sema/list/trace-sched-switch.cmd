stap -L 'kernel.trace("sched:sched_switch")'
