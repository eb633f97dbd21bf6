stap -l 'kernel.trace("sched:*")'
