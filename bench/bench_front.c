/* bench_front: pass-1 throughput in process, without start-up or output:
 * parses each file given REPEAT times (the first run pays for fresh
 * memory, later runs reuse it) and prints MB/s for parsing alone and for
 * parsing plus the -p1 printer, with the page faults of the first and the
 * best run.  Usage: bench_front REPEAT FILE...
 * (BENCH_TAPSET_DIR: the library whose .stpm macros tapset files use;
 * BENCH_PARSE_ONLY: skip the printer runs) */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "common/arena.h"
#include "common/diag.h"
#include "common/strbuf.h"
#include "front/front.h"
#include "front/printer.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Page faults of this process so far. */
static long faults(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt + ru.ru_majflt;
}

static const PPEnv env = {
    .kernel_release = "6.1.0-28-amd64", .kernel_version = "6.1.0",
    .arch = "x86_64", .runtime = "kernel", .privilege = "stapdev",
    .compat_version = "4.8", .guru = true,
};

/* Parse every file once; optionally print.  Returns bytes parsed. */
static size_t run(char **files, int n, bool print, int *errors) {
  Arena arena;
  arena_init(&arena);
  Diag diag;
  diag_init(&diag, NULL);
  Front front;
  front_init(&front, &arena, &diag, &env);
  /* Library macros (.stpm) for tapset files, from BENCH_TAPSET_DIR. */
  const char *lib = getenv("BENCH_TAPSET_DIR");
  if (lib) tapset_scan(&front.lib, &arena, &lib, 1, "kernel", "x86_64");
  size_t bytes = 0;
  StrBuf out;
  sb_init(&out);
  for (int i = 0; i < n; i++) {
    SourceFile *src = source_read(files[i], NULL);
    if (!src) {
      perror(files[i]);
      exit(1);
    }
    bytes += src->len;
    File *f = front_parse(&front, src, true, true);
    if (print) printer_file(&out, f);
  }
  *errors = diag.errors;
  sb_free(&out);
  front_free(&front);
  arena_destroy(&arena);
  return bytes;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: bench_front REPEAT FILE...\n");
    return 2;
  }
  int repeat = atoi(argv[1]);
  int prints = getenv("BENCH_PARSE_ONLY") ? 0 : 1;
  for (int print = 0; print <= prints; print++) {
    double best = 1e9, first = 0;
    long first_faults = 0, best_faults = 0;
    size_t bytes = 0;
    int errors = 0;
    for (int r = 0; r < repeat; r++) {
      long f0 = faults();
      double t0 = now();
      bytes = run(argv + 2, argc - 2, print, &errors);
      double t = now() - t0;
      long f = faults() - f0;
      if (r == 0) first = t, first_faults = f;
      if (t < best) best = t, best_faults = f;
    }
    printf("%-11s %7zu bytes  first %6.2f ms (%5.1f MB/s, %4ld faults)  "
           "best %6.2f ms (%5.1f MB/s, %4ld faults)%s\n",
           print ? "parse+print" : "parse", bytes, first * 1e3, bytes / first / 1e6,
           first_faults, best * 1e3, bytes / best / 1e6, best_faults,
           errors ? "  (with parse errors)" : "");
  }
  return 0;
}
