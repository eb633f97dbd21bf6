/* ast: the syntax tree of a SystemTap script, as pass 1 builds it.
 *
 * Every node carries the location of the token that names it (an
 * operator's, a keyword's, an identifier's) so that later passes can
 * point at the script.  Nodes live in the compilation's arena.  Lists are
 * Vecs of node pointers.  The tree keeps the script's own order: a File
 * is its top-level items as written. */
#ifndef CTAP_FRONT_AST_H
#define CTAP_FRONT_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/diag.h"
#include "common/vec.h"
#include "front/lexer.h"

typedef struct Expr Expr;
typedef struct Stmt Stmt;

/* The tree's enums are packed (one byte each) and its structs order their
 * fields so that the small ones share words: a large script has tens of
 * thousands of nodes, and every byte of them is memory the parse touches. */

typedef enum __attribute__((packed)) ExprKind {
  E_NUM,        /* 42, 0x2a: num, text (spelling as written) */
  E_STR,        /* "..." (adjacent literals glued): str, len */
  E_VAR,        /* name: a scalar variable or an array name */
  E_INDEX,      /* base[i, j]: base (E_VAR or E_HIST), args; E_WILD inside
                   for slices */
  E_WILD,       /* '*' as an array index in a slice: a[*, 1] */
  E_CALL,       /* name(args) */
  E_UNARY,      /* op l: + - ! ~ */
  E_CREMENT,    /* ++l, --l, l++, l--: op (OP_INC/OP_DEC), post */
  E_BINARY,     /* l op r: arithmetic, bitwise, shifts, '.', && ||,
                   comparisons, =~ !~ */
  E_TERNARY,    /* cond ? l : r */
  E_ASSIGN,     /* l op r: = += ... .= and <<< */
  E_IN,         /* [args] in base: base is E_VAR, optionally an E_INDEX
                   slice is not allowed here */
  E_STAT,       /* @count(l) ...: stat (which extractor) */
  E_HIST,       /* @hist_linear(l, lo, hi, step) / @hist_log(l): stat, args */
  E_TARGET,     /* $name->a[i]: name, comps, addr_of, pretty */
  E_CAST,       /* @cast(l, "type"[, "module"])->...: str (type), module */
  E_AUTOCAST,   /* l->member or l[i] on a value that is not a target
                   variable ("autocast": the type follows l): l, comps */
  E_VARREF,     /* @var("name[@file]"[, "module"])->...: str, module */
  E_DEFINED,    /* @defined(l) */
  E_ENTRY,      /* @entry(l) */
  E_PERF,       /* @perf("name"): str */
  E_PROBEWRITE, /* @probewrite(l) */
  E_ATFUNC,     /* @kregister(n), @uregister(n), @kderef(size, addr),
                   @uderef(size, addr): name (without '@'), args */
  E_CONST,      /* @const("NAME"): a C constant (tapsets, guru mode): str */
  E_EMBEDDED,   /* %{ code %} as an expression (guru mode): str */
} ExprKind;

typedef enum __attribute__((packed)) StatOp {
  STAT_COUNT, STAT_SUM, STAT_MIN, STAT_MAX, STAT_AVG, STAT_VARIANCE,
  STAT_HIST_LINEAR, STAT_HIST_LOG,
} StatOp;

/* One step of a target-variable chain: ->member or [index]. */
typedef struct TargetComp {
  bool is_index;     /* [index] rather than ->member */
  int btf_id;        /* pass 2: the BTF type after this step, or 0 */
  const char *name;  /* member name */
  Expr *index;       /* index expression */
  SrcLoc loc;        /* the '->' or '[' */
} TargetComp;

struct Expr {
  ExprKind kind;      /* what the node is */
  Op op;              /* E_UNARY, E_CREMENT, E_BINARY, E_ASSIGN */
  StatOp stat;        /* E_STAT, E_HIST */
  uint8_t pretty;     /* E_TARGET/E_CAST/E_VARREF/E_AUTOCAST: 0, or 1/2 for
                         a '$'/'$$' suffix */
  bool post;          /* E_CREMENT: postfix */
  bool paren;         /* written in parentheses (for rules that need it) */
  bool addr_of;       /* E_TARGET/E_CAST/E_VARREF/E_AUTOCAST: '&' before */
  uint32_t len;       /* bytes in str */
  int vtype;          /* pass 2: VType of the value */
  int btf_id;         /* pass 2: E_TARGET/E_CAST/E_VARREF base type, or 0 */
  SrcLoc loc;         /* the token that names the node */
  Expr *l, *r;        /* operands */
  union {
    Expr *cond;       /* E_TERNARY: the condition */
    Expr *base;       /* E_INDEX, E_IN: the array (or histogram) */
  };
  union {
    Vec args;         /* E_CALL, E_ATFUNC arguments; E_INDEX/E_IN indices;
                         E_HIST parameters; E_STAT extra (variance shift) */
    Vec comps;        /* TargetComp*: when ast_has_chain(kind) */
  };
  union {
    const char *name; /* E_VAR, E_CALL, E_ATFUNC, E_TARGET ("$x", "$$parms") */
    const char *text; /* E_NUM spelling */
  };
  const char *str;    /* E_STR bytes, E_CAST type, E_VARREF name, E_PERF and
                         E_CONST name, E_EMBEDDED code */
  union {             /* (no kind has both; read each only for its kinds) */
    const char *module; /* E_CAST/E_VARREF module, or NULL */
    int64_t num;      /* E_NUM value (64-bit, wrapped) */
  };
  void *ref;          /* pass 2: Symbol* (E_VAR, E_INDEX/E_IN base),
                         Function* (E_CALL), TargetVar* (E_TARGET) */
};

/* Does this kind carry a target chain (comps) rather than args? */
static inline bool ast_has_chain(ExprKind k) {
  return k == E_TARGET || k == E_CAST || k == E_VARREF || k == E_AUTOCAST;
}

typedef enum __attribute__((packed)) StmtKind {
  S_BLOCK,    /* { stmts } */
  S_NULL,     /* ; */
  S_EXPR,     /* e; */
  S_IF,       /* if (cond) then else els */
  S_WHILE,    /* while (cond) body */
  S_FOR,      /* for (init; cond; step) body: each part may be NULL */
  S_FOREACH,  /* foreach (...) body: see the foreach fields */
  S_BREAK,    /* break */
  S_CONTINUE, /* continue */
  S_NEXT,     /* next */
  S_RETURN,   /* return [e] */
  S_DELETE,   /* delete e */
  S_TRY,      /* try body catch [(catch_var)] els */
} StmtKind;

/* foreach sorting: which key (0-based), the value, or none. */
enum { SORT_NONE = -2, SORT_VALUE = -1 };

struct Stmt {
  StmtKind kind;         /* what the statement is */
  bool keys_bracketed;   /* S_FOREACH: keys were written in [ ] */
  int sort_key;          /* S_FOREACH: SORT_NONE, SORT_VALUE or a key index */
  int sort_dir;          /* S_FOREACH: +1 ascending, -1 descending */
  int sort_stat;         /* S_FOREACH sorting a statistics array by value:
                            which extractor (StatOp), or -1 for the default */
  SrcLoc loc;            /* the keyword or first token */
  Vec stmts;             /* S_BLOCK */
  Expr *e;               /* S_EXPR, S_RETURN (may be NULL), S_DELETE,
                            S_FOREACH limit (may be NULL) */
  Expr *cond;            /* S_IF, S_WHILE, S_FOR (may be NULL) */
  Expr *init, *step;     /* S_FOR (may be NULL) */
  Stmt *body;            /* S_WHILE, S_FOR, S_FOREACH, S_IF then,
                            S_TRY try block */
  Stmt *els;             /* S_IF else (may be NULL), S_TRY catch block */
  /* S_FOREACH (and the sort fields above) */
  const char *value_var; /* v in "v = [k] in a", or NULL */
  Vec keys;              /* Expr* (E_VAR) key variables */
  Expr *array;           /* E_VAR, E_INDEX slice or E_HIST iterated */
  /* S_TRY */
  const char *catch_var; /* or NULL */
  SrcLoc catch_loc;      /* location of catch_var */
  void *catch_ref;       /* pass 2: catch_var's Symbol */
};

/* One component of a probe point: name or name(arg). */
typedef struct ProbeComp {
  const char *name; /* may contain '*' wildcards */
  Expr *arg;        /* E_NUM or E_STR, or NULL */
  SrcLoc loc;
} ProbeComp;

typedef struct ProbePoint {
  Vec comps;      /* ProbeComp*, at least one */
  bool optional;  /* '?' */
  bool sufficient;/* '!' (implies optional) */
  Expr *cond;     /* if (cond), or NULL */
  SrcLoc loc;     /* first component */
} ProbePoint;

typedef enum __attribute__((packed)) DeclType { T_UNKNOWN, T_LONG, T_STRING } DeclType;

typedef struct Param {
  const char *name;
  DeclType type; /* declared type, or T_UNKNOWN */
  SrcLoc loc;
} Param;

typedef enum __attribute__((packed)) ItemKind {
  I_GLOBAL,   /* global declaration */
  I_FUNCTION, /* function definition */
  I_PROBE,    /* probe or probe alias */
  I_EMBEDDED, /* top-level %{ %} */
} ItemKind;

typedef enum __attribute__((packed)) AliasKind {
  ALIAS_NONE,     /* an ordinary probe */
  ALIAS_PROLOGUE, /* probe a = b { }: the alias body runs first */
  ALIAS_EPILOGUE, /* probe a += b { }: the alias body runs after */
} AliasKind;

typedef struct Item {
  ItemKind kind;         /* what the item is */
  bool private_;         /* 'private' */
  bool wrap;             /* I_GLOBAL: '%' */
  bool has_priority;     /* I_FUNCTION: a priority was given */
  DeclType ret_type;     /* I_FUNCTION: declared return type */
  AliasKind alias;       /* I_PROBE: an ordinary probe or an alias */
  SrcLoc loc;            /* the defining keyword's name/first token */
  const SourceFile *file; /* the file it is in */
  const char *name;      /* global, function */
  /* I_GLOBAL */
  int64_t array_size;    /* [N], 0 if none */
  Expr *init;            /* literal initializer, or NULL */
  /* I_FUNCTION */
  Vec params;            /* Param* */
  int64_t priority;      /* the priority, if has_priority */
  Stmt *body;            /* block (I_FUNCTION, I_PROBE), or NULL if code */
  Stmt *epilogue;        /* alias "= points { prologue }, { epilogue }" */
  const char *code;      /* embedded C (function body or I_EMBEDDED) */
  /* I_PROBE */
  Vec alias_names;       /* ProbePoint*: the names being defined */
  Vec points;            /* ProbePoint*: where the probe attaches */
} Item;

/* One parsed file: a user script or a tapset. */
typedef struct File {
  const SourceFile *source;
  Vec items;             /* Item*, in source order */
} File;

/* Precedence levels, lowest first; the parser and the printer share them. */
typedef enum Prec {
  PREC_ASSIGN = 1, PREC_TERNARY, PREC_OROR, PREC_ANDAND, PREC_BOR, PREC_BXOR,
  PREC_BAND, PREC_IN, PREC_CMP, PREC_SHIFT, PREC_CONCAT, PREC_ADD, PREC_MUL,
  PREC_UNARY, PREC_POSTFIX, PREC_PRIMARY,
} Prec;

/* The level of a binary operator, or 0 if op is not one. */
int ast_binop_prec(Op op);
/* =~ or !~ */
bool ast_is_regex_op(Op op);
/* The level of an expression node (PREC_PRIMARY for atoms). */
int ast_expr_prec(const Expr *e);

/* Call fn on every expression in e, s or the item, outer nodes first
 * (including probe point conditions and target-chain indices). */
typedef void (*AstExprFn)(Expr *e, void *ctx);
void ast_walk_expr(Expr *e, AstExprFn fn, void *ctx);
void ast_walk_stmt(Stmt *s, AstExprFn fn, void *ctx);
void ast_walk_item(Item *it, AstExprFn fn, void *ctx);

/* Deep copies, so that one body can be elaborated in several contexts. */
Expr *ast_clone_expr(Arena *a, const Expr *e);
Stmt *ast_clone_stmt(Arena *a, const Stmt *s);

Expr *ast_expr(Arena *a, ExprKind kind, SrcLoc loc);
Stmt *ast_stmt(Arena *a, StmtKind kind, SrcLoc loc);
const char *stat_op_name(StatOp s); /* "count", "hist_linear" */

#endif
