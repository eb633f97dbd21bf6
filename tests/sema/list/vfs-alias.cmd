stap -l 'vfs.read'
