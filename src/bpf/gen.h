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
#include "runtime/common/format.h"
#include "runtime/common/stat.h"

enum { R0, R1, R2, R3, R4, R5, R_CTX, R_GLOB, R_PTR, R_SCR, R_FP };

/* The start of every program's scratch (gen_load_maps makes them its
 * first allocations): the action counter, loop iterations against
 * MAXACTION; then the error being raised, laid out as a BO_REC_ERROR
 * record (header, site, pad, argument, and for BO_ERR_USER the message:
 * 24 + maxstringlen bytes).  Subprograms reach both through base_reg. */
enum { ACTION_OFF = 0, ERR_OFF = 8 };
enum { ERR_KIND = ERR_OFF + 4, ERR_SITE = ERR_OFF + 8, ERR_ARG = ERR_OFF + 16,
       ERR_MSG = ERR_OFF + 24 };

/* A subprogram's frame (a recursive function in a user program: see
 * call.c): this call's depth, its result (a long, or a string of
 * maxstringlen), its parameters in order, then its locals and
 * temporaries. */
enum { FR_DEPTH = 0, FR_RET = 8 };

/* What pass 3 knows of a global. */
typedef struct GGlobal {
  Symbol *sym;
  uint32_t index;      /* in BoObject.globals */
  uint32_t map;        /* arrays, statistics */
  uint32_t offset;     /* scalars: in the globals value */
  uint32_t key_size, value_size;
  uint32_t key_off[9]; /* each index's offset in the key */
  uint32_t key_len[9]; /* each index's bytes in the key (while the
                          globals are laid out: the widest string
                          stored there, 0 for none) */
  StatHist hist;       /* statistics (and @variance's bit-shift) */
  bool shift_seen;     /* a @variance use has set hist.shift */
  uint32_t size;       /* arrays: the declared [N], or 0 */
  uint32_t max;        /* arrays: how many elements the map holds */
  bool wrap;           /* '%' arrays: ring is their creation-order ring */
  uint32_t ring;
} GGlobal;

/* An executable process("PATH") probes name (process.c). */
typedef struct GExe {
  const char *path;
  uint32_t offset;     /* its (device, inode) in the globals */
  bool has_begin, has_end;
} GExe;

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

/* Where a runtime error goes: the probe's error exit, a try's catch, or
 * a subprogram's return to its caller.  used: some code jumps there (a
 * catch nothing can reach is not generated: the verifier rejects
 * unreachable code). */
typedef struct Handler {
  uint32_t label;
  bool used;
} Handler;

/* A recursive function's subprogram in the program being generated. */
typedef struct Sub {
  const Function *fn;
  uint32_t label;
  uint32_t high;       /* its frame's high-water mark */
} Sub;

typedef struct Gen {
  Arena *arena;
  Program *prog;
  Target *target;
  Diag *diag;
  BoLimits lim;
  bool suppress_errors; /* --suppress-handler-errors (translate.h) */
  uint32_t maxaction_intr; /* MAXACTION_INTERRUPTIBLE: begin, end and
                          error probes' MAXACTION (10 x MAXACTION) */
  uint32_t S;          /* maxstringlen */
  uint32_t maxbacktrace; /* MAXBACKTRACE: the most frames a stack has */
  const char *module_name; /* the object's name (module_name()) */
  /* the object being built */
  Vec maps, progs, probes, globals, formats, sites, files; /* Bo* */
  HashMap gglobals;    /* Symbol* -> GGlobal* */
  HashMap fmt_index;   /* format text -> index + 1 */
  HashMap site_index;  /* site text -> index + 1 */
  uint32_t globals_map, ringbuf_map, scratch_map, globals_size;
  uint32_t scratch_max;  /* the most scratch any program uses */
  uint32_t kscratch_max; /* the most a kernel program uses (the map's) */
  /* the program being generated */
  Emit *e;
  bool user;
  bool fentry;         /* a kernel.function probe's fentry/fexit program
                          (else its kprobe): the context is the arguments,
                          then the return value */
  int64_t kfunc_group; /* the last kernel.function probe's group */
  bool hook;           /* a begin/end/error probe run in the kernel through
                          staprun's ctap_kernel_hook (codegen.c) */
  Probe *probe;
  uint32_t out_label;  /* end of the handler */
  uint32_t top, high;  /* scratch in use, high-water mark */
  Slot *slots;
  size_t nslots, slots_cap;
  Loop loops[64];
  int nloops;
  Inline inl[32];
  int ninl;
  Handler *handler;    /* where runtime errors go */
  uint8_t base_reg;    /* the scratch's start: R_SCR, or R_CTX in subprograms */
  bool in_sub;         /* generating a subprogram (inl[0] is its function) */
  Vec subs;            /* Sub*: the subprograms this program calls */
  Vec recursive;       /* Function*: those on a cycle of calls */
  uint32_t user_scratch_max; /* user programs' scratch with their frames */
  int loop_depth;      /* bpf_loop bodies around the code (loop.c) */
  Vec exes;            /* GExe*: process("PATH") executables */
  uint32_t procs_map;  /* "ctap_procs": processes running them */
  bool has_procs;
  struct GRegex *regex; /* regex.c: the patterns' map, or NULL */
  Vec core_types;      /* BoCoreType*: the structs CO-RE describes (core.c) */
  struct GEntry *entry; /* entry.c: the .return probe's entry values, or NULL */
  /* A syscall program (codegen.c) is being generated: the context is
   * the BTF raw tracepoint's (struct pt_regs *regs, long id or ret), its
   * arguments in these registers (expr.c); else NULL. */
  const struct TargetSyscallAbi *sysabi;
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
/* The most bytes the string x can take with its NUL, when known to be
 * fewer than maxstringlen (execname(), a literal), else maxstringlen. */
uint32_t gen_str_bound(Gen *g, const Expr *x);
void map_call(Gen *g, int helper, uint32_t map, uint32_t key, int value_off, uint64_t flags);
GGlobal *array_of(Gen *g, Expr *x);
void check_error(Gen *g, uint8_t op, uint8_t reg, int32_t imm, int kind, uint32_t site);
/* r0 = the size (1, 2, 4, 8) bytes at kernel address r1, with the sign
 * of the type; a fault is a runtime error near `what` (stap's token
 * words: "identifier '$p'", "operator '->'") at loc. */
void read_kernel(Gen *g, int size, bool sign, SrcLoc loc, const char *what);
/* The same at an address of the current process. */
void read_user(Gen *g, int size, bool sign, SrcLoc loc, const char *what);
/* Signed r0 = r0 / r1 or r0 % r1 (r1 != 0), without the v4 sdiv; r2 is
 * lost. */
void gen_sdivmod(Gen *g, bool mod);
#define gen_sdiv(g) gen_sdivmod((g), false)
/* Byte offset of member name in BTF struct/union id, or -1. */
struct btf;
long member_offset(const struct btf *b, int id, const char *name);
/* id with its typedefs and modifiers skipped. */
int gen_skip_mods(const struct btf *b, int id);
/* core.c: r0 += off, the offset of member name of struct or union id in
 * the target's BTF, with a CO-RE relocation in a kernel program. */
void gen_member_add(Gen *g, int struct_id, const char *member, long off);
/* call.c: function calls, builtins, the print family; a string result
 * goes to *str_dst (NULL: the call's value is a long, in r0). */
void gen_call(Gen *g, Expr *x, Loc *str_dst);
/* Send the record of size bytes at scratch rec to staprun (a lost one
 * is counted in the control block). */
void gen_send_record(Gen *g, uint32_t rec, uint32_t size);
/* Which functions are recursive (before any program). */
void gen_find_recursion(Gen *g);
/* After a probe's body: its error exit, its end (out_label) and the
 * subprograms it calls. */
void gen_program_end(Gen *g, Handler *top);
/* sprintf.c: a format rendered by a kernel program itself, its
 * arguments laid out at scratch args as in a printf record; what it
 * cannot render (a conversion's description), or NULL. */
const char *gen_render_unsupported(const FmtDirective *d, int nd);
void gen_render(Gen *g, const FmtDirective *d, int nd, uint32_t args, Loc dst);
/* A string built in scratch at `out`, `pos` (scratch, a u64) bytes long:
 * its NUL at min(pos, maxstringlen - 1), then the string to dst. */
void gen_string_end(Gen *g, uint32_t pos, uint32_t out, Loc dst);
/* loop.c: body(g, arg, next, stop) run count times in a kernel program
 * by bpf_loop, the verifier checking it once: r5 is the iteration, r6,
 * r7 and r9 as in the program; it jumps to next to go on, to stop to end
 * the loop.  The body is generated at once, as a segment of the
 * program's code laid out after it (BoProg.ncode). */
enum { BPF_LOOP_MAX = 1 << 23 }; /* the kernel's bound on count */
enum { GEN_MAX_CPUS = 8192 };     /* the most CPUs a loop over them visits
                                     (the kernel's NR_CPUS bound) */
typedef void LoopBody(Gen *g, void *arg, uint32_t next, uint32_t stop);
void gen_bpf_loop(Gen *g, uint32_t count, LoopBody *body, void *arg);
/* body(g, arg, next, stop) for each element of map, r2 = its key and r3
 * = its value (pointers into the map) on entry. */
void gen_bpf_for_each(Gen *g, uint32_t map, LoopBody *body, void *arg);
/* quote.c: the text-quoting builtins (text_strn, user_buffer_quoted_error,
 * kernel_buffer_quoted_error) into dst; false if x is none of them. */
bool gen_quote_builtin(Gen *g, Expr *x, const char *name, Loc dst);
/* strings.c: stringat and strpos (r0), __substr_unchecked into dst;
 * false if x is not the one named. */
bool gen_string_long(Gen *g, Expr *x, const char *name);
bool gen_string_str(Gen *g, Expr *x, const char *name, Loc dst);
/* stack.c: the stack and symbol builtins: print_backtrace,
 * print_ubacktrace, print_syms, print_usyms, addr, uaddr and caller_addr
 * (r0);
 * callers, ucallers, symname, symdata, modname and the user forms into
 * dst; false if x is none of them. */
bool gen_stack_long(Gen *g, Expr *x, const char *name);
bool gen_stack_str(Gen *g, Expr *x, const char *name, Loc dst);
/* stats.c: r0 = the statistic x (@count ...) of gg at key, in a kernel
 * program. */
void gen_stat_kernel(Gen *g, Expr *x, GGlobal *gg, uint32_t key);
/* The statistic base[key] as it is now, merged over the CPUs, into the
 * StatValue at scratch val (count, sum, min, max and the buckets). */
void gen_stat_snapshot(Gen *g, GGlobal *gg, uint32_t key, uint32_t val);
/* regex.c: x =~ or !~ its pattern (r0 = 1 or 0); matched(n) into dst;
 * ngroups() in r0. */
typedef struct GRegex GRegex;
void gen_regex_match(Gen *g, Expr *x);
void gen_regex_matched(Gen *g, Expr *x, Loc dst);
void gen_regex_ngroups(Gen *g, Expr *x);
/* stmt.c */
void gen_stmt(Gen *g, Stmt *s);
void gen_long(Gen *g, Expr *x);           /* value in r0 */
void gen_cond_false(Gen *g, Expr *x, uint32_t label); /* jump if false */
void gen_zero_locals(Gen *g, const Vec *locals);
void gen_bind(Gen *g, const Symbol *s, uint32_t off);
void gen_runtime_error(Gen *g, int kind, uint32_t site, int arg_reg);
void gen_raise(Gen *g);  /* to the handler, the error already set */
void gen_load_maps(Gen *g);
uint32_t gen_add_map(Gen *g, const char *name, uint32_t type, uint32_t key, uint32_t value,
                     uint32_t max);

/* entry.c: a kernel.function .return probe's values from the call's
 * entry (@entry, parameters): the plan (NULL if it needs none), its
 * companion entry probe, the companion's capture code, the return
 * program's restore, then each capture's value (false if x is none). */
typedef struct GEntry GEntry;
GEntry *entry_plan(Gen *g, Probe *p);
Probe *entry_probe(const GEntry *en);
void entry_capture(Gen *g, const GEntry *en);
void entry_restore(Gen *g, GEntry *en);
bool entry_value(Gen *g, const Expr *entry, const TargetVar *var); /* r0 */
bool entry_string(Gen *g, const Expr *entry, Loc *at);

/* process.c: process.begin/.end programs' filters and companions. */
void process_filter(Gen *g, Probe *p, BoProbe *bp);
Probe *process_companion(Gen *g, size_t i);

#endif
