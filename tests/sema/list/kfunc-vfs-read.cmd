stap -L 'kernel.function("vfs_read")'
