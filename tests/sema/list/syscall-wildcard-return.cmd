stap -l 'syscall.*.return'
