/* dwarf_query: the target tests' window on src/target/dwarf.c.  Builds a
 * Target for a kernel whose build tree is BUILD_DIR (its vmlinux and
 * System.map) and prints the functions target_functions_by_file chooses,
 * one a line ("NAME", or "NAME FILE 0xENTRY" for one of several functions
 * of that name), or "error: WHY" when there is no DWARF.
 *
 *   dwarf_query BUILD_DIR FUNC_GLOB FILE_GLOB [LINE [LINE_END]] */
#include <stdio.h>
#include <stdlib.h>

#include "target/target.h"

int main(int argc, char **argv) {
  if (argc < 4 || argc > 6) {
    fprintf(stderr, "usage: dwarf_query BUILD_DIR FUNC_GLOB FILE_GLOB [LINE [LINE_END]]\n");
    return 2;
  }
  Arena a;
  arena_init(&a);
  /* A release no machine has: only BUILD_DIR can hold the files. */
  TargetKernel k = {.release = "0.0.0-ctap-dwarf-query", .version = "0.0.0",
                    .build_dir = argv[1], .source_dir = argv[1], .root = "",
                    .arch = "x86_64"};
  Target t;
  target_init(&t, &a, &k, NULL);
  int line = argc > 4 ? atoi(argv[4]) : 0;
  int line_end = argc > 5 ? atoi(argv[5]) : line;
  Vec out = {0};
  const char *err = NULL;
  int rc = 0;
  if (!target_functions_by_file(&t, argv[2], argv[3], line, line_end, &out, &err)) {
    printf("error: %s\n", err);
    rc = 1;
  }
  for (size_t i = 0; i < out.len; i++) {
    const TargetFunc *f = out.items[i];
    if (f->entry) printf("%s %s 0x%llx\n", f->name, f->file, (unsigned long long)f->entry);
    else printf("%s\n", f->name);
  }
  target_free(&t);
  arena_destroy(&a);
  return rc;
}
