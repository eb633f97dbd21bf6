stap -L 'syscall.mprotect'; stap -L 'syscall.write'; stap -L 'syscall.kill.return'
