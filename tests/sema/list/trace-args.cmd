stap -L 'kernel.trace("sched:sched_switch")'; stap -L 'kernel.trace("sched:sched_wakeup")'
