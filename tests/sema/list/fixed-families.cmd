stap -l 'timer.ms(100)'; stap -l 'begin'; stap -l 'perf.sw.cpu_clock.sample(1000)'
