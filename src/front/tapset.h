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

#include "common/diag.h"
#include "common/hashmap.h"
#include "common/vec.h"

typedef struct TapsetLib {
  Vec dirs;          /* const char*: the search path, in order */
  Vec scripts;       /* const char*: paths of .stp files, in search order */
  Vec macros;        /* const char*: paths of .stpm files */
  bool indexed;      /* functions/aliases below are filled in */
  HashMap functions; /* function name -> Vec* of script paths */
  HashMap aliases;   /* first component of an alias name -> Vec* of paths */
} TapsetLib;

/* Build the file lists for the given directories (in order), runtime
 * ("kernel"/"bpf") and arch.  Missing directories are skipped. */
void tapset_scan(TapsetLib *lib, Arena *a, const char *const *dirs, int ndirs,
                 const char *runtime, const char *arch);

/* The library scripts that define function `name` (or an alias whose name
 * starts with component `name`), or NULL.  The first call indexes every
 * script with a quick lexical scan; nothing is parsed. */
const Vec *tapset_defining_function(TapsetLib *lib, Arena *a, const char *name);
const Vec *tapset_defining_alias(TapsetLib *lib, Arena *a, const char *name);
void tapset_free(TapsetLib *lib);

#endif
