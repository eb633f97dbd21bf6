/* tapset: the tapset library on disk (pass 1's view of it).
 *
 * The search path is the -I directories followed by the installed default
 * directory.  In each directory D the library is D/ plus the subfolders
 * for the runtime (D/linux for the kernel runtime, D/bpf for bpf) and for
 * the architecture (D/x86_64), each scanned for `.stp` scripts and `.stpm`
 * macro files.  Nothing is read until asked for: library macros are
 * loaded the first time a script invokes a macro it does not define, and
 * scripts are parsed one by one as they are needed. */
#ifndef CTAP_FRONT_TAPSET_H
#define CTAP_FRONT_TAPSET_H

#include <stdbool.h>

#include "common/vec.h"

typedef struct TapsetLib {
  Vec dirs;    /* const char*: the search path, in order */
  Vec scripts; /* const char*: paths of .stp files, in search order */
  Vec macros;  /* const char*: paths of .stpm files */
} TapsetLib;

/* Build the file lists for the given directories (in order), runtime
 * ("kernel"/"bpf") and arch.  Missing directories are skipped. */
void tapset_scan(TapsetLib *lib, Arena *a, const char *const *dirs, int ndirs,
                 const char *runtime, const char *arch);

#endif
