/* sema: pass 2, elaboration.  Turns the parsed user script (and the
 * library scripts it pulled in) into a resolved program for one target
 * kernel:
 *   - every probe point expanded to concrete probes: aliases (prologue and
 *     epilogue, nested, with wildcards) and the built-in families begin,
 *     end, error, never, timer.*, kernel.function, module().function,
 *     kernel.trace, kernel.statement, syscall.*, process(...).function,
 *     process.begin/end, perf.*;
 *   - every identifier bound to a local, a global or a function (script,
 *     library or builtin), every $target variable checked against the
 *     probe point's context;
 *   - every expression typed (long, string, statistics) to a fixed point.
 * Each concrete probe gets its own copy of its body, so the same alias can
 * expand into probes with different context variables. */
#ifndef CTAP_SEMA_SEMA_H
#define CTAP_SEMA_SEMA_H

#include <stdbool.h>

#include "common/arena.h"
#include "common/diag.h"
#include "common/hashmap.h"
#include "common/strbuf.h"
#include "common/vec.h"
#include "front/ast.h"
#include "front/front.h"
#include "front/parser.h"
#include "target/target.h"

typedef enum VType { VT_UNKNOWN, VT_LONG, VT_STRING, VT_STATS } VType;

const char *vtype_name(VType t); /* "long", "string", "stats", "unknown" */

typedef enum SymKind { SYM_LOCAL, SYM_GLOBAL, SYM_PARAM } SymKind;

/* A script variable. */
typedef struct Symbol {
  const char *name;
  SymKind kind;
  VType type;            /* value type */
  int arity;             /* -1 not yet known, 0 scalar, else number of indices */
  VType index[PARSER_MAX_INDICES]; /* index types of an array */
  SrcLoc loc;            /* declaration or first use */
  SrcLoc type_loc;       /* where the type was first inferred */
  const Item *decl;      /* globals: the declaration */
  bool read, written;    /* uses seen */
  bool stored;           /* assigned, incremented or '<<<' by a statement */
  bool value_read;       /* read other than by '++' or '--' on it, which
                            stap counts as writes only: a global stored
                            but not value_read is shown at the end */
  bool referenced;       /* still named by the body after elision */
  bool from_library;     /* declared or first used in a tapset */
} Symbol;

/* A function: from a script, or a builtin the backend provides. */
typedef struct Function {
  const char *name;
  const Item *item;      /* its definition */
  Vec params;            /* Symbol* */
  Vec locals;            /* Symbol* */
  VType ret;             /* return type */
  SrcLoc ret_loc;        /* where it was inferred */
  bool builtin;          /* body is "ctap:builtin": the backend implements it */
  bool used;             /* reachable from a probe */
  int purity;            /* elision: 0 unknown, 1 being decided, 2 pure, 3 not */
} Function;

/* A probe family: how the event reaches the handler. */
typedef enum ProbeFamily {
  PF_BEGIN, PF_END, PF_ERROR, PF_NEVER, PF_TIMER, PF_PROFILE,
  PF_KFUNC, PF_KSTATEMENT, PF_TRACEPOINT, PF_SYSCALL, PF_UFUNC,
  PF_PROCESS_BEGIN, PF_PROCESS_END, PF_PERF,
} ProbeFamily;

/* A concrete probe: one event source with its handler. */
typedef struct Probe {
  ProbeFamily family;
  const char *point;       /* canonical probe point: kernel.function("vfs_read") */
  const char *user_point;  /* as the user wrote it (after alias expansion:
                              the user's own probe point) */
  const char *target;      /* function, event ("sched:sched_switch"),
                              syscall name, or binary path */
  const char *symbol;      /* PF_UFUNC: the function in target */
  const char *module;      /* PF_KFUNC in a module: its name, else NULL */
  bool is_return;          /* .return */
  int64_t period_ns;       /* timers: the interval; perf: sample period */
  int64_t randomize_ns;    /* timers: .randomize(N) */
  int64_t sequence;        /* begin/end/error(N) ordering */
  const char *perf_event;  /* perf.hw.cpu_cycles -> "hw.cpu_cycles" */
  bool perf_target;        /* perf...process: the target process only */
  int64_t address;         /* process(P).statement(ADDR): the address;
                              kernel.function: the code's address less
                              _text's where the name is ambiguous
                              (TargetFunc.entry), else 0 */
  Vec vars;                /* TargetVar*: the $context variables here */
  Stmt *body;              /* the handler: alias bodies and the user's */
  Expr *cond;              /* if (cond), or NULL */
  Vec locals;              /* Symbol* */
  const Item *item;        /* the user's probe */
  bool optional;
} Probe;

typedef struct Program {
  Vec globals;    /* Symbol* */
  Vec functions;  /* Function*, used ones */
  Vec probes;     /* Probe* */
  Vec embedded;   /* Item*: top-level %{ %} */
} Program;

typedef struct SemaOptions {
  bool guru;          /* -g */
  bool unoptimized;   /* -u: keep unused code */
  bool listing;       /* -l/-L: resolve probe points only */
} SemaOptions;

/* Elaborate the files (user files first, then library files).  Errors go
 * to diag; returns the program (check diag->errors). */
Program *sema_elaborate(Front *front, size_t user_files, Target *target,
                        const SemaOptions *opt);

/* Expand the probe point written in `pattern` (for -l/-L) and elaborate
 * the probes it yields; returns them (Probe*), sorted by point. */
Vec *sema_list(Front *front, Target *target, const char *pattern,
               const SemaOptions *opt);

/* Is name one of the print family (print, println, printf, printd,
 * printdln and their sprint forms), which the backends implement? */
bool sema_print_function(const char *name);

/* Printing for -p2, -L. */
void sema_dump(StrBuf *out, const Program *p);
void sema_probe_vars(StrBuf *out, const Probe *p); /* "name:string $fd:unsigned int" */
/* --dump-functions, --dump-probe-aliases, --dump-probe-types. */
void sema_dump_functions(Front *front, StrBuf *out);
void sema_dump_aliases(Front *front, StrBuf *out);
void sema_dump_probe_types(StrBuf *out);

#endif
