/* stap: the driver.  Reads the command line, runs the passes in order and
 * stops after the one -p names:
 *
 *   pass 1  parse the script (and, as needed, the tapset library)  src/front
 *   pass 2  elaborate against the target kernel                     src/sema
 *   pass 3  translate to BPF programs                               src/bpf
 *   pass 4  write the object (NAME.bo)                              src/bpf
 *   pass 5  load and run it                                         src/run
 *
 * -l/-L list probe points (pass 2 over a one-line probe), and the --dump
 * options list what the tapset library and the target offer.
 *
 * Each pass reports failure in stap's words ("Pass 1: parse failed.  [man
 * error::pass1]") and the exit status is 1 on any error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/diag.h"
#include "common/strbuf.h"
#include "ctap_config.h"
#include "front/front.h"
#include "front/printer.h"
#include "bpf/translate.h"
#include "run/run.h"
#include "sema/sema.h"
#include "stap/options.h"
#include "target/target.h"

/* Resource use at a point in time, for -v pass reports. */
typedef struct Usage {
  struct timespec real;
  struct rusage ru;
} Usage;

static void usage_now(Usage *u) {
  clock_gettime(CLOCK_MONOTONIC, &u->real);
  getrusage(RUSAGE_SELF, &u->ru);
}

static long ms_between(struct timeval a, struct timeval b) {
  return (b.tv_sec - a.tv_sec) * 1000 + (b.tv_usec - a.tv_usec) / 1000;
}

/* "using 1234virt/567res/89shr/10data kb, in 1usr/0sys/2real ms." */
static void report_usage(FILE *out, const Usage *from) {
  Usage to;
  usage_now(&to);
  long pages[7] = {0};
  FILE *fp = fopen("/proc/self/statm", "r");
  if (fp) {
    if (fscanf(fp, "%ld %ld %ld %ld %ld %ld", &pages[0], &pages[1], &pages[2],
               &pages[3], &pages[4], &pages[5]) != 6)
      memset(pages, 0, sizeof pages);
    fclose(fp);
  }
  long kb = sysconf(_SC_PAGESIZE) / 1024;
  long real = (to.real.tv_sec - from->real.tv_sec) * 1000 +
              (to.real.tv_nsec - from->real.tv_nsec) / 1000000;
  fprintf(out, "using %ldvirt/%ldres/%ldshr/%lddata kb, in %ldusr/%ldsys/%ldreal ms.\n",
          pages[0] * kb, pages[1] * kb, pages[2] * kb, pages[5] * kb,
          ms_between(from->ru.ru_utime, to.ru.ru_utime),
          ms_between(from->ru.ru_stime, to.ru.ru_stime), real);
}

/* "in 1usr/0sys/2real ms." (stap's TIMESPRINT): what passes 4 and 5
 * report. */
static void report_times(FILE *out, const Usage *from) {
  Usage to;
  usage_now(&to);
  long real = (to.real.tv_sec - from->real.tv_sec) * 1000 +
              (to.real.tv_nsec - from->real.tv_nsec) / 1000000;
  fprintf(out, "in %ldusr/%ldsys/%ldreal ms.\n", ms_between(from->ru.ru_utime, to.ru.ru_utime),
          ms_between(from->ru.ru_stime, to.ru.ru_stime), real);
}

/* -s NUM: the bytes of the output ring buffer, which the kernel wants a
 * power of 2 (of pages) that fits its 32-bit size: NUM MB rounded up to
 * one, at most 2048 MB, said in a warning when it is not NUM MB. */
static uint32_t ringbuf_bytes(const StapOptions *opt) {
  if (opt->buffer_mb <= 0) return 0;
  uint32_t mb = 1;
  while (mb < (uint32_t)opt->buffer_mb && mb < 2048) mb *= 2;
  if (mb != (uint32_t)opt->buffer_mb && !opt->no_warnings)
    fprintf(stderr, "WARNING: -s %d: the output buffer is %u MB, %s\n", opt->buffer_mb, mb,
            mb < (uint32_t)opt->buffer_mb ? "the largest a bpf ring buffer can be"
                                          : "as a bpf ring buffer's size is a power of 2");
  return mb << 20;
}

/* The module name: -m NAME, else stap_<hash of the script>. */
static const char *module_name(const StapOptions *opt, Arena *a, const SourceFile *src) {
  if (opt->module_name) return opt->module_name;
  uint64_t h = 1469598103934665603ull;
  if (src)
    for (size_t i = 0; i < src->len; i++) h = (h ^ (unsigned char)src->text[i]) * 1099511628211ull;
  return arena_printf(a, "stap_%016llx", (unsigned long long)h);
}

/* Passes 3-5 on the bpf runtime. */
static int later_passes(const StapOptions *opt, Program *prog, Target *target, Arena *a,
                        Diag *diag, const SourceFile *src) {
  if (!opt->runtime || strcmp(opt->runtime, "bpf") != 0) {
    if (opt->runtime && strcmp(opt->runtime, "kernel") == 0) {
      fputs("ERROR: the kernel-module runtime is not available in this version; "
            "use --runtime=bpf\n", stderr);
      return 1;
    }
    /* The default: the bpf runtime, said once; whether modules load is
     * known of the running kernel only. */
    if (target->kernel->is_running && access("/proc/modules", F_OK) != 0)
      fputs("stap: using --runtime=bpf: this kernel cannot load modules\n", stderr);
    else
      fputs("stap: using --runtime=bpf: the kernel-module runtime is not available in "
            "this version\n", stderr);
  }
  const char *name = module_name(opt, a, src);
  for (const char *c = name; *c; c++)
    if (!(*c == '_' || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
          (*c >= '0' && *c <= '9'))) {
      fprintf(stderr, "ERROR: invalid module name '%s': use letters, digits and '_'\n", name);
      return 1;
    }
  BpfOptions bo = {.module_name = name, .defines = &opt->defines,
                   .ringbuf_size = ringbuf_bytes(opt),
                   .suppress_errors = opt->suppress_handler_errors};
  Usage pass;
  usage_now(&pass);
  BoObject *obj = bpf_translate(prog, target, a, diag, &bo);
  if (!obj) {
    fprintf(stderr, "Pass 3: translation failed.  [man error::pass3]\n");
    return 1;
  }
  if (opt->verbose) {
    fputs("Pass 3: translated to BPF ", stderr);
    report_usage(stderr, &pass);
  }
  if (opt->last_pass == 3) {
    StrBuf out;
    sb_init(&out);
    bpf_listing(&out, obj);
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    sb_free(&out);
    return 0;
  }
  char dir[64] = "";
  const char *path;
  if (opt->last_pass == 4) {
    path = arena_printf(a, "%s.bo", name);
  } else {
    snprintf(dir, sizeof dir, "%s/stapXXXXXX", getenv("TMPDIR") ? "/tmp" : "/tmp");
    if (!mkdtemp(dir)) {
      fprintf(stderr, "ERROR: cannot create a temporary directory: %s\n", strerror(errno));
      return 1;
    }
    path = arena_printf(a, "%s/%s.bo", dir, name);
  }
  const char *err;
  usage_now(&pass);
  if (!bo_write(obj, path, &err)) {
    fprintf(stderr, "ERROR: %s\n", err);
    fprintf(stderr, "Pass 4: compilation failed.  [man error::pass4]\n");
    if (dir[0]) rmdir(dir);
    return 1;
  }
  if (opt->verbose) {
    fprintf(stderr, "Pass 4: compiled BPF into \"%s\" ", path);
    report_times(stderr, &pass);
  }
  if (opt->last_pass == 4) {
    puts(path);
    return 0;
  }
  /* as stap runs staprun: its own -v from the second -v on */
  RunOptions ro = {.output = opt->output, .command = opt->command,
                   .target_pid = opt->target_pid,
                   .verbose = opt->verbose > 1 ? opt->verbose - 1 : 0,
                   .no_warnings = opt->no_warnings,
                   .globals = (const char *const *)opt->globals.items,
                   .nglobals = opt->globals.len};
  fflush(stdout);
  if (opt->verbose) fputs("Pass 5: starting run.\n", stderr);
  usage_now(&pass);
  int rc = run_object_file(path, &ro);
  if (opt->verbose) {
    fputs("Pass 5: run completed ", stderr);
    report_times(stderr, &pass);
  }
  if (!opt->keep_tmp) {
    unlink(path);
    rmdir(dir);
  } else {
    fprintf(stderr, "Keeping temporary directory \"%s\"\n", dir);
  }
  if (rc) fputs("Pass 5: run failed.  [man error::pass5]\n", stderr);
  return rc;
}

/* The installed tapset directory, or the source tree's when running from
 * a build directory; SYSTEMTAP_TAPSET overrides both. */
static const char *default_tapset_dir(void) {
  const char *env = getenv("SYSTEMTAP_TAPSET");
  if (env && *env) return env;
  struct stat st;
  if (stat(CTAP_TAPSET_DIR, &st) == 0 && S_ISDIR(st.st_mode)) return CTAP_TAPSET_DIR;
  return CTAP_SOURCE_TAPSET_DIR;
}

/* -l / -L PATTERN: the probe points the pattern expands to, one a line,
 * with their variables for -L. */
static int list_probes(Front *front, Target *target, const StapOptions *opt,
                       const SemaOptions *sopt, Diag *diag) {
  Vec *probes = sema_list(front, target, opt->list_pattern, sopt);
  if (diag->errors) return 1;
  StrBuf out;
  sb_init(&out);
  const char *last = NULL;
  for (size_t i = 0; i < probes->len; i++) {
    const Probe *p = probes->items[i];
    if (!opt->list_vars && last && strcmp(last, p->point) == 0) continue;
    last = p->point;
    sb_puts(&out, p->point);
    if (opt->list_vars) sema_probe_vars(&out, p);
    sb_putc(&out, '\n');
  }
  fwrite(out.data ? out.data : "", 1, out.len, stdout);
  sb_free(&out);
  return 0;
}

static void pass1_failed(void) {
  fputs("Pass 1: parse failed.  [man error::pass1]\n", stderr);
}

int main(int argc, char **argv) {
  Arena arena;
  arena_init(&arena);
  StapOptions opt;
  int rc = options_parse(&opt, &arena, argc, argv);
  if (rc >= 0) {
    arena_destroy(&arena);
    return rc;
  }
  Usage start;
  usage_now(&start);
  Diag diag;
  diag_init(&diag, stderr);
  diag.no_warn = opt.no_warnings;

  TargetKernel kernel;
  const char *err = NULL;
  if (!target_kernel_resolve(&kernel, &arena, opt.release, opt.arch, &err)) {
    fprintf(stderr, "ERROR: %s\n", err);
    arena_destroy(&arena);
    return 1;
  }
  KConfig kconfig;
  kconfig_init(&kconfig, &kernel, &arena);
  Target target = {0}; /* set up for pass 2; freed at the end either way */
  PPEnv env = {
      .kernel_release = kernel.release,
      .kernel_version = kernel.version,
      .arch = kernel.arch,
      .runtime = opt.runtime ? opt.runtime : "kernel",
      .privilege = opt.privilege ? opt.privilege : "stapdev",
      .compat_version = opt.compatible ? opt.compatible : CTAP_STAP_COMPAT,
      .guru = opt.guru,
      .config = kconfig_get,
      .config_ctx = &kconfig,
      .args = (const char *const *)opt.args.items,
      .nargs = (int)opt.args.len,
  };
  Front front;
  front_init(&front, &arena, &diag, &env);
  Vec dirs = {0};
  for (size_t i = 0; i < opt.include_dirs.len; i++) vec_push(&dirs, &arena, opt.include_dirs.items[i]);
  vec_push(&dirs, &arena, (void *)default_tapset_dir());
  tapset_scan(&front.lib, &arena, (const char *const *)dirs.items, (int)dirs.len,
              env.runtime, kernel.arch);

  /* Pass 1: the user script (a file, or -e text), then any -E scripts. */
  rc = 0;
  Vec user_files = {0};
  size_t first_text = 0;
  if (opt.script_file) {
    bool is_stdin = strcmp(opt.script_file, "-") == 0;
    SourceFile *src = source_read(opt.script_file, is_stdin ? "<input>" : NULL);
    if (!src) {
      fprintf(stderr, "Input file '%s' is missing.\n", opt.script_file);
      pass1_failed();
      rc = 1;
      goto out;
    }
    vec_push(&user_files, &arena, front_parse(&front, src, false, opt.guru));
  } else if (opt.script_texts.len) {
    SourceFile *src = source_from_string(opt.script_texts.items[0],
                                         strlen(opt.script_texts.items[0]), "<input>");
    vec_push(&user_files, &arena, front_parse(&front, src, false, opt.guru));
    first_text = 1;
  }
  for (size_t i = first_text; i < opt.script_texts.len; i++) {
    SourceFile *src = source_from_string(opt.script_texts.items[i],
                                         strlen(opt.script_texts.items[i]), "<input>");
    vec_push(&user_files, &arena, front_parse(&front, src, false, opt.guru));
  }
  /* The library scripts the user script needs, parsed now so that their
   * errors are pass-1 errors naming the tapset file. */
  if (!diag.errors) front_load_needed(&front);
  for (size_t i = 0; i < user_files.len && !diag.errors; i++) {
    const File *f = user_files.items[i];
    if (!f->items.len) {
      fprintf(stderr, "Input file '%s' is empty.\n", f->source->name);
      pass1_failed();
      rc = 1;
      goto out;
    }
  }
  if (diag.errors) {
    if (diag.errors > diag.printed)
      fprintf(stderr, "(%d further parse errors not shown)\n", diag.errors - diag.printed);
    fprintf(stderr, "%d parse error%s.\n", diag.errors, diag.errors == 1 ? "" : "s");
    pass1_failed();
    rc = 1;
    goto out;
  }
  if (opt.verbose) {
    fprintf(stderr, "Pass 1: parsed user script and %d library scripts ", front.library_parsed);
    report_usage(stderr, &start);
  }
  if (opt.last_pass == 1 && !opt.list_pattern) {
    StrBuf out;
    sb_init(&out);
    for (size_t i = 0; i < user_files.len; i++) {
      const File *f = user_files.items[i];
      sb_printf(&out, "# parse tree dump\n# file %s\n", f->source->name);
      printer_file(&out, f);
    }
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    sb_free(&out);
    goto out;
  }

  if (opt.dump_functions || opt.dump_probe_aliases || opt.dump_probe_types) {
    StrBuf out;
    sb_init(&out);
    if (opt.dump_functions) sema_dump_functions(&front, &out);
    if (opt.dump_probe_aliases) sema_dump_aliases(&front, &out);
    if (opt.dump_probe_types) sema_dump_probe_types(&out);
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    sb_free(&out);
    if (diag.errors) rc = 1;
    goto out;
  }

  /* Pass 2. */
  target_init(&target, &arena, &kernel, opt.kernel_btf);
  target.kconfig = &kconfig;
  SemaOptions sopt = {.guru = opt.guru, .unoptimized = opt.unoptimized,
                      .listing = opt.list_vars};
  if (opt.list_pattern) {
    rc = list_probes(&front, &target, &opt, &sopt, &diag);
    goto out;
  }
  Usage pass2;
  usage_now(&pass2);
  Program *prog = sema_elaborate(&front, user_files.len, &target, &sopt);
  if (opt.warnings_as_errors && diag.warnings && !diag.errors) {
    fprintf(stderr, "ERROR: %d warning%s, and -W makes warnings errors\n", diag.warnings,
            diag.warnings == 1 ? "" : "s");
    diag.errors = diag.warnings;
  }
  if (diag.errors) {
    fprintf(stderr, "Pass 2: analysis failed.  [man error::pass2]\n");
    rc = 1;
    goto out;
  }
  if (opt.verbose) {
    fprintf(stderr, "Pass 2: analyzed script: %zu probe%s, %zu function%s, %zu embed%s, %zu global%s ",
            prog->probes.len, prog->probes.len == 1 ? "" : "s", prog->functions.len,
            prog->functions.len == 1 ? "" : "s", prog->embedded.len,
            prog->embedded.len == 1 ? "" : "s", prog->globals.len,
            prog->globals.len == 1 ? "" : "s");
    report_usage(stderr, &pass2);
  }
  if (opt.last_pass == 2) {
    StrBuf out;
    sb_init(&out);
    sema_dump(&out, prog);
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    sb_free(&out);
    goto out;
  }
  rc = later_passes(&opt, prog, &target, &arena, &diag, user_files.len ?
                    ((const File *)user_files.items[0])->source : NULL);

out:
  target_free(&target);
  diag_free(&diag);
  front_free(&front);
  kconfig_free(&kconfig);
  arena_destroy(&arena);
  if (fflush(stdout) != 0) rc = 1;
  return rc;
}
