/* gen: pass 3's internal state, shared by the program driver (codegen.c:
 * maps, globals, probes) and the statement/expression translator (expr.c).
 *
 * Generated code keeps r6 = the context, r7 = the globals map value
 * (control block, then scalar globals), r9 = this CPU's scratch (locals,
 * temporaries, keys and records), r8 = a value pointer that must survive
 * a helper call.  Expressions leave integers in r0; strings live in
 * scratch, globals or map values and are named by a Loc. */
#ifndef CTAP_BPF_GEN_H
#define CTAP_BPF_GEN_H

#include "bpf/translate.h"
#include "bpf/emit.h"
#include "common/hashmap.h"
#include "runtime/common/stat.h"

enum { R0, R1, R2, R3, R4, R5, R_CTX, R_GLOB, R_PTR, R_SCR, R_FP };

/* Scratch offset of the action counter: loop iterations against
 * MAXACTION (gen_load_maps makes it the first allocation). */
enum { ACTION_OFF = 0 };

/* What pass 3 knows of a global. */
typedef struct GGlobal {
  Symbol *sym;
  uint32_t index;      /* in BoObject.globals */
  uint32_t map;        /* arrays, statistics */
  uint32_t offset;     /* scalars: in the globals value */
  uint32_t key_size, value_size;
  uint32_t key_off[9]; /* each index's offset in the key */
  StatHist hist;       /* statistics */
} GGlobal;

/* A local variable's slot for the code being generated. */
typedef struct Slot {
  const Symbol *sym;
  uint32_t off;
} Slot;

/* A string's place: reg + off (reg is R_SCR, R_GLOB or R_PTR). */
typedef struct Loc {
  uint8_t reg;
  int32_t off;
} Loc;

typedef struct Loop {
  uint32_t brk, cont;
} Loop;

typedef struct Inline {
  const Function *fn;
  uint32_t ret_label;
  uint32_t ret_off;    /* string results: where they go */
} Inline;

typedef struct Gen {
  Arena *arena;
  Program *prog;
  Target *target;
  Diag *diag;
  BoLimits lim;
  uint32_t S;          /* maxstringlen */
  /* the object being built */
  Vec maps, progs, probes, globals, formats, sites, files; /* Bo* */
  HashMap gglobals;    /* Symbol* -> GGlobal* */
  HashMap fmt_index;   /* format text -> index + 1 */
  uint32_t globals_map, ringbuf_map, scratch_map, globals_size;
  uint32_t scratch_max;
  /* the program being generated */
  Emit *e;
  bool user;
  Probe *probe;
  uint32_t out_label;  /* end of the handler */
  uint32_t top, high;  /* scratch in use, high-water mark */
  Slot *slots;
  size_t nslots, slots_cap;
  Loop loops[64];
  int nloops;
  Inline inl[32];
  int ninl;
  bool failed;
} Gen;

/* codegen.c */
void gen_error(Gen *g, SrcLoc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
GGlobal *gen_global(Gen *g, const Symbol *s);
uint32_t gen_format(Gen *g, const char *text, size_t len);
uint32_t gen_site(Gen *g, SrcLoc loc, const char *what);
uint32_t gen_tmp(Gen *g, uint32_t size);  /* scratch offset */
void gen_line(Gen *g, SrcLoc loc);

/* expr.c: expressions */
Loc scr(uint32_t off);
void ptr_of(Gen *g, uint8_t dst, Loc l);
void copy_str(Gen *g, Loc dst, Loc src);
void put_literal(Gen *g, Loc dst, const char *s, size_t len);
void gen_strlen_at(Gen *g, Loc l);
void append_str(Gen *g, Loc dst, Loc src);
bool str_in_place(Gen *g, Expr *x, Loc *out);
Loc str_loc(Gen *g, Expr *x);
void str_into(Gen *g, Expr *x, Loc dst);
uint32_t build_key(Gen *g, GGlobal *gg, const Vec *args);
void map_call(Gen *g, int helper, uint32_t map, uint32_t key, int value_off, uint64_t flags);
GGlobal *array_of(Gen *g, Expr *x);
void check_error(Gen *g, uint8_t op, uint8_t reg, int32_t imm, int kind, uint32_t site);
void read_kernel(Gen *g, int size, bool sign, SrcLoc loc);
/* call.c: function calls, builtins, the print family; a string result
 * goes to *str_dst (NULL: the call's value is a long, in r0). */
void gen_call(Gen *g, Expr *x, Loc *str_dst);
/* stmt.c */
void gen_stmt(Gen *g, Stmt *s);
void gen_long(Gen *g, Expr *x);           /* value in r0 */
void gen_cond_false(Gen *g, Expr *x, uint32_t label); /* jump if false */
void gen_zero_locals(Gen *g, const Vec *locals);
void gen_bind(Gen *g, const Symbol *s, uint32_t off);
void gen_runtime_error(Gen *g, int kind, uint32_t site, int arg_reg);
void gen_load_maps(Gen *g);

#endif
