stap -L 'module("ext4").function("ext4_file_read_iter")'; stap -l 'module("ext4").function("ext4_file_*").return'
