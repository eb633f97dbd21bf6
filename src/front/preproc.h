/* preproc: the token stream between the lexer and the parser (pass 1).
 *
 * Two layers, in the order the language reference gives them:
 *  1. expansion: command-line arguments ($1 is re-lexed in place, @1
 *     becomes a string, $# and @# the argument count), `@define` macro
 *     definitions (recorded wherever they appear, even in a branch that
 *     conditional compilation drops), and macro invocations `@name(args)`
 *     with `@param` references in bodies; library macros come from the
 *     `.stpm` files of the tapset path through a lookup callback.
 *  2. conditionals: `%( COND %? TOKENS [%: TOKENS] %)`, nested, with COND
 *     over kernel_v, kernel_vr, arch, runtime, systemtap_v,
 *     systemtap_privilege, guru_mode, CONFIG_* and literals, combined
 *     with && || ! and parentheses.  Dropped tokens are not expanded, so a
 *     missing `$3` in a dropped branch is not an error.
 * Expansion is bounded in depth and in total tokens, so a recursive or
 * exponential macro is an error, never a hang. */
#ifndef CTAP_FRONT_PREPROC_H
#define CTAP_FRONT_PREPROC_H

#include <stdbool.h>

#include "common/arena.h"
#include "common/diag.h"
#include "common/hashmap.h"
#include "common/vec.h"
#include "front/lexer.h"

/* What conditions may ask about, and the script's arguments. */
typedef struct PPEnv {
  const char *kernel_release; /* kernel_vr: "6.1.0-28-amd64" */
  const char *kernel_version; /* kernel_v: "6.1.0" */
  const char *arch;           /* "x86_64" */
  const char *runtime;        /* "kernel" or "bpf" */
  const char *privilege;      /* "stapdev", "stapsys" or "stapusr" */
  const char *compat_version; /* systemtap_v: "4.8" */
  bool guru;                  /* guru_mode */
  /* CONFIG_NAME's value ("y", "m", "100"), or NULL if unset. */
  const char *(*config)(void *ctx, const char *name);
  void *config_ctx;
  const char *const *args;    /* script arguments */
  int nargs;
} PPEnv;

/* A run of stored tokens: a macro body or one argument of an invocation.
 * Each token's origin is set (to itself, or to the stored token it was
 * itself delivered from), so every delivery of it is the same token. */
typedef struct TokList {
  Token *toks; /* len tokens, in the arena */
  size_t len;  /* tokens in toks */
} TokList;

typedef struct Macro {
  const char *name;     /* without the '@' */
  Vec params;           /* const char*: parameter names */
  bool has_parens;      /* defined with a parameter list, even () */
  TokList body;         /* the body, unexpanded */
  SrcLoc loc;           /* where it was defined */
} Macro;

typedef struct PPSource PPSource;

/* An open conditional. */
typedef struct PPCond {
  int state;            /* COND_THEN or COND_ELSE (preproc.c) */
  Token at;             /* its '%(' */
} PPCond;

typedef struct PP {
  Arena *arena;         /* macros, argument lists and sources go here */
  Diag *diag;           /* errors go here */
  const PPEnv *env;     /* what conditions ask about; the arguments */
  Names *names;         /* the file lexer's, for lexing $N text */
  HashMap *defines;     /* where @define records macros (file-local map) */
  /* Library macro lookup (from .stpm files), or NULL. */
  Macro *(*library)(void *ctx, const char *name);
  void *library_ctx;    /* passed to library */
  PPSource *top;        /* the source stack; the file's lexer at bottom */
  PPSource *free_sources; /* popped sources, for reuse (linked by up) */
  int depth;            /* sources on the stack */
  int collecting;       /* nested macro argument lists being read */
  PPCond *conds;        /* open conditionals, innermost last */
  size_t nconds;        /* entries in conds */
  size_t conds_cap;     /* room in conds */
  Token *stack;         /* the token lists being collected (malloc'd) */
  size_t nstack;        /* tokens in stack */
  size_t stack_cap;     /* room in stack */
  size_t expanded;      /* tokens produced by expansion so far */
  bool overflow;        /* expansion hit its bound: expand no more */
  bool has_pending;     /* pending holds a token */
  Token pending;        /* read by the fast path, still to be expanded */
  bool skipping;        /* inside a dropped branch: expand nothing */
  SourceFile **arg_files; /* lazily made sources for $N text */
  Vec *owner;           /* where those sources go to outlive the PP (the
                           tokens, and the tree, point at them), or NULL
                           to free them with the PP */
} PP;

void pp_init(PP *pp, Lexer *lx, const PPEnv *env, HashMap *defines,
             Arena *arena, Diag *diag);
/* The next token after expansion and conditional compilation, into *t. */
void pp_next(PP *pp, Token *t);
void pp_free(PP *pp);

#endif
