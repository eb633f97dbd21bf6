/* sema_int: what the files of pass 2 share (not for other passes).
 *   sema.c    tables of globals, functions and aliases; library loading
 *             on demand; the order of the work
 *   probes.c  probe point expansion: aliases and built-in families
 *   syscall_args.c  the syscall probes' prologue (argstr, retstr)
 *   check.c   binding identifiers and $targets, type inference, checks
 *   pretty.c  the '$' and '$$' suffixes: members as text
 *   display.c the globals written but never read, shown at the end
 *   dump.c    -p2 and -L output */
#ifndef CTAP_SEMA_SEMA_INT_H
#define CTAP_SEMA_SEMA_INT_H

#include "sema/sema.h"

typedef struct Sema {
  Arena *arena;
  Diag *diag;
  Front *front;
  Target *target;
  const SemaOptions *opt;
  Program *prog;
  HashMap globals;        /* name -> Symbol* (public globals) */
  HashMap privates;       /* "N:name" -> Symbol* (file N's private globals) */
  HashMap functions;      /* name -> Vec* of Function* (overloads) */
  Vec aliases;            /* Item*: every probe alias definition seen */
  Vec used;               /* Function*: reachable from probes, in first-use order */
  size_t files_seen;      /* front->files registered so far */
  bool changed;           /* type inference made progress this round */
  bool final_round;       /* report what is still unresolved */
  bool storing;           /* inferring the target of '=' or '<<<' */
  bool crementing;        /* inferring the operand of '++' or '--' */
  Function *cur_func;     /* the function being checked, or NULL */
  Probe *cur_probe;       /* the probe being checked, or NULL */
} Sema;

/* sema.c */
void sema_register_new_files(Sema *S);
Symbol *sema_global(Sema *S, const char *name, const SourceFile *file);
Vec *sema_functions_named(Sema *S, const char *name);
Symbol *sema_new_symbol(Sema *S, const char *name, SymKind kind, SrcLoc loc);
void sema_error(Sema *S, SrcLoc loc, const char *saw, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
const char *sema_suggest(const char *name, const Vec *candidates);

/* pretty.c: turn e ($x$, $x$$, @cast(...)$), whose value has BTF type
 * final (0 if unknown), into the sprintf of its members. */
void sema_expand_pretty(Sema *S, Expr *e, int final);

/* probes.c */
void probes_expand_item(Sema *S, Item *it);
Stmt *probes_parse_body(Sema *S, const char *text);

/* syscall_args.c: the body a syscall probe starts with (name, the
 * argument variables, argstr; on return retval and retstr) */
Stmt *syscall_prologue(Sema *S, TargetSyscall *sc, bool ret);

/* display.c: an end probe showing the user's globals that are written
 * but never read; false if there is none */
bool sema_display_globals(Sema *S);

/* check.c */
void check_program(Sema *S);
void check_elide(Sema *S);

#endif
