/* fuzz_front: any bytes through pass 1.  Whatever the input, parsing must
 * end without a crash, a hang or a leak; and when the input parses
 * cleanly, printing it, parsing the print and printing again must give the
 * same text (the -p1 fixed point), or the fuzzer aborts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/diag.h"
#include "common/strbuf.h"
#include "front/front.h"
#include "front/printer.h"

static const char *const args[] = {"42", "str", "a+b"};

static const char *config(void *ctx, const char *name) {
  (void)ctx;
  return strcmp(name, "CONFIG_HZ") == 0 ? "250" : strcmp(name, "CONFIG_X") == 0 ? "y" : NULL;
}

static const PPEnv env = {
    .kernel_release = "6.1.0-28-amd64", .kernel_version = "6.1.0",
    .arch = "x86_64", .runtime = "bpf", .privilege = "stapdev",
    .compat_version = "4.8", .guru = true, .config = config,
    .args = args, .nargs = 3,
};

/* Parse text; on success append its canonical form to out.  Returns the
 * number of errors. */
static int parse_print(const char *text, size_t len, StrBuf *out, FILE *sink) {
  Arena arena;
  arena_init(&arena);
  Diag diag;
  diag_init(&diag, sink);
  Front front;
  front_init(&front, &arena, &diag, &env);
  File *f = front_parse(&front, source_from_string(text, len, "<fuzz>"), false, true);
  if (!diag.errors) printer_file(out, f);
  int errors = diag.errors;
  front_free(&front);
  arena_destroy(&arena);
  return errors;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  static FILE *sink;
  if (!sink) sink = fopen("/dev/null", "w");
  StrBuf once, twice, thrice;
  sb_init(&once);
  sb_init(&twice);
  sb_init(&thrice);
  if (parse_print((const char *)data, size, &once, sink) == 0) {
    if (parse_print(sb_cstr(&once), once.len, &twice, sink) != 0) {
      fprintf(stderr, "printed program does not parse:\n%s\n", sb_cstr(&once));
      abort();
    }
    parse_print(sb_cstr(&twice), twice.len, &thrice, sink);
    if (strcmp(sb_cstr(&twice), sb_cstr(&thrice)) != 0) {
      fprintf(stderr, "not a fixed point:\n--- first\n%s\n--- second\n%s\n",
              sb_cstr(&twice), sb_cstr(&thrice));
      abort();
    }
  }
  sb_free(&once);
  sb_free(&twice);
  sb_free(&thrice);
  return 0;
}
