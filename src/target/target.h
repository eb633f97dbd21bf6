/* target: what pass 1 needs to know about the kernel being instrumented:
 * its release, build tree and architecture (from uname or -r/-a), and its
 * .config for CONFIG_* preprocessor conditions.  Later passes extend this
 * interface with symbols, tracepoints, syscalls and types (DESIGN.md). */
#ifndef CTAP_TARGET_TARGET_H
#define CTAP_TARGET_TARGET_H

#include <stdbool.h>

#include "common/arena.h"
#include "common/hashmap.h"

typedef struct TargetKernel {
  const char *release;   /* "6.1.0-28-amd64" */
  const char *version;   /* "6.1.0": the release up to its first '-' */
  const char *build_dir; /* its build tree (may not exist) */
  const char *arch;      /* "x86_64" */
  bool is_running;       /* the release of the running kernel */
} TargetKernel;

/* Resolve -r (NULL: the running kernel; a path: a build tree; else a
 * release) and -a.  Returns false with a message in *err on failure. */
bool target_kernel_resolve(TargetKernel *k, Arena *a, const char *r_opt,
                           const char *arch_opt, const char **err);

/* The kernel's .config, read on first use. */
typedef struct KConfig {
  const TargetKernel *kernel;
  bool loaded;
  HashMap values; /* "CONFIG_X" -> "y" */
  Arena *arena;
  const char *source; /* where it was read from, or NULL */
} KConfig;

void kconfig_init(KConfig *c, const TargetKernel *k, Arena *a);
/* CONFIG_NAME's value, or NULL if unset or if no .config was found. */
const char *kconfig_get(void *kconfig, const char *name);
void kconfig_free(KConfig *c);

#endif
