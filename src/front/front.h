/* front: pass 1 as one interface: sources in, syntax trees out.
 *
 * A Front owns the sources it reads, the library macro table, and the
 * tapset library's file list.  front_parse() parses one source (the user
 * script, or a tapset) through lexer, preprocessor and parser;
 * library macros from `.stpm` files are loaded on first use. */
#ifndef CTAP_FRONT_FRONT_H
#define CTAP_FRONT_FRONT_H

#include <stdbool.h>

#include "common/arena.h"
#include "common/diag.h"
#include "common/hashmap.h"
#include "front/ast.h"
#include "front/names.h"
#include "front/preproc.h"
#include "front/tapset.h"

typedef struct Front {
  Arena *arena;
  Diag *diag;
  const PPEnv *env;
  Names names;              /* token text, interned in the arena */
  TapsetLib lib;            /* the library on disk */
  HashMap lib_macros;       /* Macro* from .stpm files */
  bool lib_macros_loaded;   /* .stpm files have been read */
  Vec sources;              /* SourceFile*: owned, freed by front_free */
  Vec files;                /* File*: everything parsed, in order */
  int library_parsed;       /* tapset scripts parsed so far */
  HashMap parsed_paths;     /* library script paths already parsed */
} Front;

void front_init(Front *f, Arena *arena, Diag *diag, const PPEnv *env);
void front_free(Front *f);

/* Parse src (ownership passes to f).  Embedded C is allowed in tapsets
 * and in guru mode. */
File *front_parse(Front *f, SourceFile *src, bool tapset, bool guru);
/* Parse the library scripts in paths (const char*) not parsed yet; true
 * if any was.  paths may be NULL. */
bool front_parse_library_files(Front *f, const Vec *paths);
/* Parse the library scripts defining aliases whose first component
 * matches `first` (a name or a glob); true if any new one was parsed. */
bool front_load_alias_files(Front *f, const char *first);
/* Parse the library scripts that the files parsed so far need: those
 * defining functions they call but do not define, and aliases for the
 * first components of their probe points; repeated for what those need. */
void front_load_needed(Front *f);

#endif
