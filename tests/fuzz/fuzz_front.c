/* fuzz_front: any bytes through passes 1 and 2.  Whatever the input,
 * parsing must end without a crash, a hang or a leak; when the input
 * parses cleanly, printing it, parsing the print and printing again must
 * give the same text (the -p1 fixed point), or the fuzzer aborts; and the
 * clean parse is elaborated against this machine's kernel with the
 * project's tapset library (pass 2 must not crash either). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/diag.h"
#include "common/strbuf.h"
#include "front/front.h"
#include "ctap_config.h"
#include "front/printer.h"
#include "sema/sema.h"
#include "target/target.h"

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

/* The kernel pass 2 elaborates against, loaded once and kept: its caches
 * (BTF, symbols, tracepoints) live in their own arena. */
static Target *the_target(void) {
  static Arena arena;
  static TargetKernel kernel;
  static KConfig kconfig;
  static Target target;
  static bool ready;
  if (!ready) {
    ready = true;
    arena_init(&arena);
    const char *err;
    if (!target_kernel_resolve(&kernel, &arena, NULL, NULL, &err)) abort();
    kconfig_init(&kconfig, &kernel, &arena);
    target_init(&target, &arena, &kernel, NULL);
    target.kconfig = &kconfig;
  }
  return &target;
}

/* Parse text; on success append its canonical form to out and, if asked,
 * elaborate it.  Returns the number of parse errors. */
static int parse_print(const char *text, size_t len, StrBuf *out, FILE *sink, bool elaborate) {
  Arena arena;
  arena_init(&arena);
  Diag diag;
  diag_init(&diag, sink);
  Front front;
  front_init(&front, &arena, &diag, &env);
  const char *dir = CTAP_SOURCE_TAPSET_DIR;
  tapset_scan(&front.lib, &arena, &dir, 1, env.runtime, env.arch);
  File *f = front_parse(&front, source_from_string(text, len, "<fuzz>"), false, true);
  if (!diag.errors) printer_file(out, f);
  int parse_errors = diag.errors;
  if (!diag.errors && elaborate) {
    front_load_needed(&front);
    SemaOptions opt = {.guru = true};
    if (!diag.errors) sema_elaborate(&front, 1, the_target(), &opt);
  }
  diag_free(&diag);
  front_free(&front);
  arena_destroy(&arena);
  return parse_errors;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  static FILE *sink;
  if (!sink) sink = fopen("/dev/null", "w");
  StrBuf once, twice, thrice;
  sb_init(&once);
  sb_init(&twice);
  sb_init(&thrice);
  if (parse_print((const char *)data, size, &once, sink, true) == 0) {
    if (parse_print(sb_cstr(&once), once.len, &twice, sink, false) != 0) {
      fprintf(stderr, "printed program does not parse:\n%s\n", sb_cstr(&once));
      abort();
    }
    parse_print(sb_cstr(&twice), twice.len, &thrice, sink, false);
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
