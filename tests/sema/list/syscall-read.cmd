stap -L 'syscall.read'
