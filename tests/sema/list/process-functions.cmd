stap -l 'process("build/stap").function("main")'; stap -l 'process("build/stap").statement("main")'; stap -L 'process("build/stap").function("main").return'
