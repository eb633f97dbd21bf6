/* bo: the bpf runtime's artifact, NAME.bo, as a model in memory.
 *
 * Pass 3 (src/bpf/codegen) fills a BoObject; pass 4 (bo_write) writes it
 * as one BPF ELF object; staprun (src/run, bo_read) reads it back.  The
 * object holds:
 *   - the kernel programs, each in its standard section ("tracepoint/...",
 *     "raw_tracepoint/...", "tp_btf/sys_enter", "perf_event", "uprobe",
 *     "kprobe/..."), with
 *     relocations against the maps, loadable by libbpf;
 *   - the maps, in ".maps", described in BTF the way libbpf expects;
 *   - the user programs (begin, end, error, timers that iterate or sort):
 *     BPF bytecode that staprun interprets, in section ".ctap.user";
 *   - the metadata staprun needs, in section ".ctap.meta": the probe
 *     table, the printf formats, the globals, the error sites, the limits.
 *
 * This header is also the contract between generated code and staprun:
 * the layout of the control block, of statistics, and of the records the
 * kernel programs send through the ring buffer. */
#ifndef CTAP_BPF_BO_H
#define CTAP_BPF_BO_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/bpf.h>

#define BO_META_SECTION ".ctap.meta"
#define BO_USER_SECTION ".ctap.user"
#define BO_FORMAT_VERSION 4
/* The encoding shared by bo_write and bo_read: .ctap.meta starts with
 * BO_META_MAGIC; a string length of BO_NULL_STR stands for NULL. */
#define BO_META_MAGIC "CTAPMETA"
#define BO_NULL_STR 0xffffffffu
#define BO_LD_IMM64 (BPF_LD | BPF_IMM | BPF_DW)
#ifndef EM_BPF
#define EM_BPF 247
#endif
#ifndef R_BPF_64_64
#define R_BPF_64_64 1
#endif

/* How staprun starts a probe. */
typedef enum BoProbeKind {
  BO_BEGIN,          /* user program, run once at start, by sequence */
  BO_END,            /* user program, run once at the end, by sequence */
  BO_ERROR,          /* user program, run after a runtime error; these
                        three may be kernel programs instead (section
                        "uprobe"), for probes that need kernel state:
                        staprun attaches each, at its turn, to its own
                        ctap_kernel_hook, calls that and detaches it */
  BO_TIMER,          /* user program every period_ns (+ randomize_ns) */
  BO_PROFILE,        /* kernel program on cpu-clock on every CPU */
  BO_TRACEPOINT,     /* kernel program on tracepoint target "sys:event" */
  BO_RAW_TRACEPOINT, /* kernel program on raw tracepoint target */
  BO_UPROBE,         /* kernel program on target (ELF path) at symbol
                        (+ offset), or its return */
  BO_KPROBE,         /* kernel program on function target (or return) */
  BO_PERF,           /* kernel program on perf event perf_type/config,
                        sample period `period` */
  BO_PROCESS_BEGIN,  /* kernel program on sched_process_exec (raw tp) */
  BO_PROCESS_END,    /* kernel program on sched_process_exit (raw tp) */
  BO_TAIL_CALL,      /* kernel program a syscall program tail-calls, not
                        attached: staprun puts it at slot `offset` of the
                        program array named `target` (before the probes
                        that come after it in the table are attached) */
  BO_FENTRY,         /* kernel program on fentry/fexit of function target:
                        the alternative of the BO_KPROBE probes of the
                        same group (sequence); staprun loads the group's
                        fentry programs where the kernel attaches them,
                        else its kprobes */
} BoProbeKind;

enum {
  BO_PROBE_RETURN = 1,   /* the return of the function */
  BO_PROBE_OPTIONAL = 2, /* '?': failing to attach is not an error */
  BO_PROBE_TARGET = 4,   /* perf: counts the target process (-c, -x) only */
  BO_PROBE_ENTRY = 8,    /* a .return probe's companion on the entry */
};

typedef struct BoProbe {
  uint32_t kind;        /* BoProbeKind */
  uint32_t prog;        /* index into BoObject.progs */
  uint32_t flags;       /* BO_PROBE_* */
  const char *point;    /* pp(): "syscall.read", "timer.s(1)" */
  const char *target;   /* see BoProbeKind, or NULL */
  const char *symbol;   /* BO_UPROBE: the symbol, or NULL (offset only) */
  uint64_t offset;      /* BO_UPROBE: offset from symbol (or file offset);
                           BO_KPROBE, BO_FENTRY: 0 for every function
                           named target, else the one whose code is at
                           this offset from _text in the kernel built for
                           (static functions that share a name) */
  int64_t period;       /* timers: ns; BO_PERF: sample period */
  int64_t randomize;    /* timers: ns */
  int64_t sequence;     /* begin/end/error order; kernel.function
                           probes (BO_KPROBE, BO_FENTRY): their group */
  uint32_t perf_type;   /* BO_PERF: PERF_TYPE_* */
  uint64_t perf_config; /* BO_PERF: PERF_COUNT_* */
} BoProbe;

/* One map.  `name` is its ELF symbol and BTF variable. */
typedef struct BoMap {
  const char *name;
  uint32_t type;        /* BPF_MAP_TYPE_* */
  uint32_t key_size, value_size, max_entries, flags;
  const void *init;     /* an array map's element 0 as staprun loads it
                           (value_size bytes; then frozen), or NULL */
} BoMap;

/* A ld_imm64 instruction (its first half) that loads a map. */
typedef struct BoReloc {
  uint32_t insn;
  uint32_t map;         /* index into BoObject.maps */
} BoReloc;

/* Where an instruction came from in the script. */
typedef struct BoLine {
  uint32_t insn;        /* first instruction of the range */
  uint32_t file;        /* index into BoObject.files */
  uint32_t line, col;
} BoLine;

/* CO-RE (compile once, run everywhere): a kernel program's struct
 * member offsets are those of the kernel it was built for, and each
 * instruction that adds one carries a relocation that libbpf rewrites at
 * load time to the running kernel's offset, matching types and members by
 * name.  The object describes, in BTF, the structs it reads with only the
 * members it reads (members of unnamed inner structs and unions brought
 * up to the struct itself, at their offset there). */
typedef enum BoCoreKind {
  BO_CORE_INT,      /* an integer (or enum) of size bytes */
  BO_CORE_PTR,      /* a pointer */
  BO_CORE_STRUCT,   /* a struct or union: core type `type` */
  BO_CORE_ARRAY,    /* nelems integers of size bytes */
} BoCoreKind;

typedef struct BoCoreMember {
  const char *name;
  uint32_t offset;      /* bytes, in the kernel built for */
  uint32_t kind;        /* BoCoreKind */
  bool is_signed;       /* INT, ARRAY */
  uint32_t size;        /* INT, ARRAY: the (element's) size */
  uint32_t type;        /* STRUCT: index in BoObject.core_types */
  uint32_t nelems;      /* ARRAY */
} BoCoreMember;

typedef struct BoCoreType {
  const char *name;     /* the struct's or union's name (never empty) */
  bool is_union;
  uint32_t size;
  BoCoreMember *members;
  uint32_t nmembers;
} BoCoreType;

/* Instruction insn (an ALU64 add of an immediate) adds the offset of
 * member `member` of core type `type`. */
typedef struct BoCoreReloc {
  uint32_t insn, type, member;
} BoCoreReloc;

typedef struct BoProg {
  const char *name;     /* ELF symbol: "probe_3", "user_0" */
  const char *section;  /* kernel programs: their ELF section; user: "" */
  uint32_t type;        /* BPF_PROG_TYPE_*, 0 for user programs */
  bool user;            /* interpreted by staprun */
  struct bpf_insn *insns;
  uint32_t ninsns;
  BoReloc *relocs;      /* kernel programs: ELF relocations; user
                           programs: none (see BO_PSEUDO_MAP_IDX) */
  uint32_t nrelocs;
  BoLine *lines;        /* sorted by insn */
  uint32_t nlines;
  BoCoreReloc *core;    /* kernel programs: CO-RE relocations, by insn */
  uint32_t ncore;
  uint32_t ncode;       /* kernel programs: the program's own instructions
                           (0: all); those after are the bodies of its
                           bpf_loop calls, static functions it loads with
                           BPF_PSEUDO_FUNC ld_imm64s, which bo_write puts
                           in ".text" (with no relocations of their own)
                           and bo_read does not read back */
} BoProg;

/* Value types (as pass 2's VType). */
enum { BO_LONG = 1, BO_STRING = 2, BO_STATS = 3 };

/* Statistics are runtime/common/stat.h's StatValue, in per-CPU maps;
 * BoGlobal.hist is its StatHistKind. */

typedef struct BoGlobal {
  const char *name;
  uint32_t type;        /* BO_LONG, BO_STRING, BO_STATS */
  uint32_t arity;       /* 0: scalar, else number of indices */
  uint8_t index[9];     /* index types (BO_LONG or BO_STRING) */
  uint32_t index_size[9]; /* the bytes each index takes in the key, in
                           order: 8 for a number; for a string, a
                           multiple of 8 up to maxstringlen (pass 3
                           narrows it where every value stored there is
                           known to be shorter) */
  uint32_t map;         /* arrays and statistics: their map; scalars:
                           the globals map */
  uint32_t offset;      /* scalars: byte offset in the globals map value */
  bool wrap;            /* '%': a full array drops its oldest entry */
  uint32_t max_entries; /* arrays: [N] or MAXMAPENTRIES */
  bool has_init;        /* an initializer (or a staprun NAME=VALUE) */
  int64_t init_num;
  const char *init_str;
  uint32_t hist;        /* StatHistKind (statistics) */
  int64_t hist_lo, hist_hi, hist_step; /* STATH_LINEAR */
} BoGlobal;

/* Runtime error kinds (the id of a BO_REC_ERROR record). */
typedef enum BoErrorKind {
  BO_ERR_DIVZERO,       /* "division by 0" */
  BO_ERR_OVERFLOW,      /* "Array overflow, check MAXMAPENTRIES" */
  BO_ERR_MAXACTION,     /* "MAXACTION exceeded" */
  BO_ERR_READ,          /* "read fault [man error::fault] at 0x..." (arg:
                           the address) */
  BO_ERR_USER,          /* error("msg"): the message follows */
  BO_ERR_MAXNESTING,    /* "MAXNESTING exceeded" */
  BO_ERR_EMPTY,         /* "empty aggregate" (@avg ... of no values) */
  BO_ERR_RANGE,         /* "Position out of bounds" (stringat) */
  BO_ERR_KSTR,          /* "kernel string copy fault at 0x..." (arg) */
  BO_ERR_USTR,          /* "user string copy fault -14 at 0x..." (arg) */
  BO_ERR_MODNAME,       /* "Cannot determine kernel module name" (modname) */
  BO_ERR_UMODNAME,      /* "module cannot be found" (umodname) */
  BO_ERR_COUNT
} BoErrorKind;

/* The message of an error kind whose text is fixed, or NULL (BO_ERR_USER
 * carries its own; BO_ERR_READ names the address, and BO_ERR_OVERFLOW
 * with an argument the array's size: see output.c).  staprun prints it;
 * a try's catch receives it (src/bpf/stmt.c). */
static inline const char *bo_error_text(uint32_t kind) {
  switch (kind) {
  case BO_ERR_DIVZERO: return "division by 0";
  case BO_ERR_OVERFLOW: return "Array overflow, check MAXMAPENTRIES";
  case BO_ERR_MAXACTION: return "MAXACTION exceeded";
  case BO_ERR_MAXNESTING: return "MAXNESTING exceeded";
  case BO_ERR_EMPTY: return "empty aggregate";
  case BO_ERR_RANGE: return "Position out of bounds";
  case BO_ERR_MODNAME: return "Cannot determine kernel module name";
  case BO_ERR_UMODNAME: return "module cannot be found";
  default: return NULL;
  }
}

/* The message of an error kind that names an address (its arg), as
 * stap words them: the text before the address, printed as 0x and 16 hex
 * digits, and after it; false for the other kinds. */
static inline bool bo_error_address_text(uint32_t kind, const char **before, const char **after) {
  switch (kind) {
  case BO_ERR_READ: *before = "read fault [man error::fault] at 0x", *after = ""; return true;
  case BO_ERR_KSTR:
    *before = "kernel string copy fault at 0x", *after = " [man error::fault]";
    return true;
  case BO_ERR_USTR:
    *before = "user string copy fault -14 at 0x", *after = " [man error::fault]";
    return true;
  default: return false;
  }
}

/* An error site: what stap prints after the message, "near operator '/'
 * at FILE:LINE:COL". */
/* An error record's site when the message stands alone (error()). */
#define BO_NO_SITE 0xffffffffu

typedef struct BoSite {
  const char *text;
} BoSite;

/* Limits (stap -D overrides these). */
typedef struct BoLimits {
  uint32_t maxstringlen;  /* 128 */
  uint32_t maxmapentries; /* 2048 */
  uint32_t maxaction;     /* 1000 */
  uint32_t maxnesting;    /* 10 */
  uint32_t maxerrors;     /* 0 */
  uint32_t maxskipped;    /* 100 */
  uint32_t ringbuf_size;  /* bytes of the output ring buffer */
} BoLimits;

typedef struct BoObject {
  const char *name;       /* module name: -m NAME, or stap_<hash> */
  const char *release;    /* the kernel release it was built for */
  BoLimits limits;
  BoMap *maps;       uint32_t nmaps;
  BoProg *progs;     uint32_t nprogs;
  BoProbe *probes;   uint32_t nprobes;
  BoGlobal *globals; uint32_t nglobals;
  const char **formats; uint32_t *format_lens; uint32_t nformats;
  BoSite *sites;     uint32_t nsites;
  const char **files; uint32_t nfiles; /* script file names for BoLine */
  BoCoreType *core_types; uint32_t ncore_types; /* CO-RE: see BoCoreReloc */
  uint32_t globals_map;   /* index of the map holding the control block
                             and the scalar globals (one-entry array) */
  uint32_t ringbuf_map;   /* index of the output ring buffer */
  uint32_t scratch_map;   /* index of the per-CPU scratch array */
  uint32_t scratch_size;  /* bytes of scratch for the user programs (in
                             staprun); at least the scratch map's value,
                             more with recursive functions' frames */
  void *owner;            /* bo_read: the storage bo_free releases */
} BoObject;

/* User programs call recursive script functions as BPF-to-BPF calls
 * (BPF_PSEUDO_CALL), at most MAXNESTING deep, and MAXNESTING may be at
 * most this with them: staprun's interpreter gives each call a stack
 * frame (run/interp.h INTERP_FRAMES_LIMIT). */
#define BO_MAX_RECURSION 65000

/* A user program loads a map with ld_imm64 whose src_reg is
 * BO_PSEUDO_MAP_IDX and whose imm is the map's index (the kernel's own
 * BPF_PSEUDO_MAP_IDX).  Kernel programs use a relocation instead. */
#define BO_PSEUDO_MAP_IDX 5

/* The control block at offset 0 of the globals map's value. */
typedef struct BoControl {
  uint64_t state;        /* BO_STATE_*: kernel probes run only in RUNNING */
  uint64_t lost;         /* records the ring buffer had no room for */
  uint64_t skipped;      /* probes skipped (scratch unavailable, ...) */
  int64_t realtime_offset; /* ns: realtime minus CLOCK_MONOTONIC */
  int64_t target_pid;    /* target(): -x PID or the -c command */
  int64_t ncpus;         /* possible CPUs */
  int64_t stp_pid;       /* stp_pid(): the process running the object */
  uint64_t errors;       /* runtime errors kernel programs raised: the one
                            past MAXERRORS sets state to STOPPING, so that
                            no more kernel probes run (staprun counts the
                            error records itself) */
  uint64_t suppressed;   /* errors --suppress-handler-errors kept quiet:
                            for the closing report only */
  int64_t stp_uid;       /* the real uid of the process running the
                            object (is_myproc()) */
} BoControl;
enum { BO_STATE_STARTING, BO_STATE_RUNNING, BO_STATE_STOPPING };

/* Records from kernel programs to staprun through the ring buffer: a
 * header, then the payload. */
typedef struct BoRecord {
  uint32_t kind;         /* BO_REC_* */
  uint32_t id;           /* printf: format; error: BoErrorKind */
} BoRecord;
typedef enum BoRecKind {
  BO_REC_PRINTF, /* id: the format; then its arguments in order, each a
                    64-bit integer or a string of maxstringlen bytes
                    (NUL-terminated) as the format's directives say */
  BO_REC_ERROR,  /* id: BoErrorKind; then u32 site, u32 pad, u64 arg,
                    and for BO_ERR_USER the message (maxstringlen) */
  BO_REC_EXIT,   /* exit() was called */
  BO_REC_WARN,   /* warn(msg): the message (maxstringlen) follows */
  BO_REC_HIST,   /* print(@hist_*) in a kernel program; id: the
                    statistic's map; then the statistic as it was at the
                    print, merged over the CPUs (a StatValue of its
                    stat_size): staprun prints it */
  BO_REC_LOG,    /* log(msg): the message (maxstringlen) follows; staprun
                    prints it as a line */
  BO_REC_SYSTEM, /* system(cmd): the command (maxstringlen) follows;
                    staprun runs it with /bin/sh in the background */
  BO_REC_STACK,  /* print_backtrace / print_ubacktrace; id: BO_STACK_*;
                    then a BoStack and its frames: staprun prints one
                    line per frame, symbolized */
  BO_REC_SYMS,   /* print_syms / print_usyms; id: BO_STACK_*; then u32
                    tgid, u32 pad and the address list (maxstringlen),
                    hexadecimal addresses separated by spaces: staprun
                    prints one line per address, as for BO_REC_STACK */
} BoRecKind;

/* Which stack a BO_REC_STACK or BO_REC_SYMS record holds. */
enum { BO_STACK_KERNEL = 0, BO_STACK_USER = 1 };

/* A BO_REC_STACK record's payload: the header, then the stack as
 * bpf_get_stack gives it (innermost first), of which frames first to
 * count - 1 are printed (a kernel.function probe leaves out those of
 * the BPF machinery above the probed function). */
typedef struct BoStack {
  uint32_t tgid;         /* the task whose user stack it is (0: none) */
  uint16_t first;        /* the first frame to print */
  uint16_t count;        /* frames the record holds (after the header) */
} BoStack;

/* User programs call helpers by id: the kernel's own (map lookups, the
 * clock, ...) and these, which only staprun provides. */
typedef enum BoUserHelper {
  BO_H_FOREACH_START = 0x10000, /* (map, sort, limit) -> iterator id;
                                   sort: BO_SORT_* | dir << 8 | stat << 16 */
  BO_H_FOREACH_NEXT,            /* (iterator, key_out) -> 1 next, 0 done */
  BO_H_FOREACH_END,             /* (iterator) */
  BO_H_MAP_CLEAR,               /* (map): delete every entry */
  BO_H_STAT_GET,                /* (map, key, which | shift << 8, out):
                                   one StatWhich of the statistic
                                   aggregated over CPUs into *out (8
                                   bytes), returning 0; or -1 where stap
                                   has an error ("empty aggregate": no
                                   values, and which is not the count or
                                   the sum), for the program to raise */
  BO_H_PRINT_HIST,              /* (map, key, site): print its histogram */
  BO_H_SPRINTF,                 /* (dst, format, args): render a format
                                   with arguments laid out as in a
                                   BO_REC_PRINTF record into dst
                                   (maxstringlen bytes) */
  BO_H_REGEX,                   /* (BO_RE_*, ...): regular expressions,
                                   see BoRegex */
  BO_H_SYMBOL,                  /* (BO_SYM_*, addr, dst): what staprun
                                   knows of a code address into dst
                                   (maxstringlen bytes), returning 0; or
                                   -1 (modname, umodname: no module
                                   holds it) for the program to raise */
} BoUserHelper;

/* What BO_H_SYMBOL writes: symname, symdata and modname of a kernel
 * address, or with BO_SYM_USER of an address in the target process
 * (usymname, usymdata, umodname). */
enum { BO_SYM_NAME = 0, BO_SYM_DATA = 1, BO_SYM_MODULE = 2, BO_SYM_USER = 4 };

/* Regular expressions (src/bpf/regex.c).  The patterns live in one map,
 * a one-element array (its BoMap.init): at offsets the code names, a
 * BoRegex; then, for kernel programs, the automaton runtime/common/regex.h's
 * re_dfa builds: 256 class bytes and a table of ncells u16 states (a
 * power of two: the states' rows, then dead states); the pattern
 * (pattern_len bytes and a NUL) at pattern_off from the BoRegex.  Kernel
 * programs walk the automaton; user programs call BO_H_REGEX:
 *   (BO_RE_MATCH, map, offset, str): 1 if str matches the pattern at
 *       offset, else 0; either way it becomes the last match;
 *   (BO_RE_MATCHED, n, dst, msg): subexpression n of the last match into
 *       dst (maxstringlen bytes), 0; or -1 with stap's error message in
 *       msg (maxstringlen bytes), for the program to raise;
 *   (BO_RE_NGROUPS, msg): the last match's subexpression count (the
 *       whole match included), or -1 with the message in msg. */
typedef struct BoRegex {
  uint32_t pattern_off, pattern_len;
  uint32_t nclasses;
  uint32_t ncells;      /* 0: no automaton */
} BoRegex;
enum { BO_RE_MATCH, BO_RE_MATCHED, BO_RE_NGROUPS };

/* foreach sorting (the low byte of BO_H_FOREACH_START's sort). */
enum { BO_SORT_NONE = 0, BO_SORT_VALUE = 1, BO_SORT_KEY0 = 2 };
enum { BO_SORT_ASC = 1, BO_SORT_DESC = 2 };

/* What is wrong with array g's key layout in o (its index sizes against
 * their types and the limits, their sum against its map's key size), or
 * NULL: what bo_write and bo_read check, so that staprun may walk a key
 * by index_size. */
static inline const char *bo_global_key_check(const BoObject *o, const BoGlobal *g) {
  if (g->arity == 0 || g->arity > 9 || g->map >= o->nmaps) return NULL;
  uint64_t sum = 0;
  for (uint32_t j = 0; j < g->arity; j++) {
    uint32_t n = g->index_size[j];
    if (g->index[j] == BO_STRING ? n < 8 || n % 8 || n > o->limits.maxstringlen : n != 8)
      return "an index's size in the key does not fit its type";
    sum += n;
  }
  return sum == o->maps[g->map].key_size ? NULL : "its indices do not make its map's key";
}

/* Write obj to path as an ELF object.  False with a message in *err. */
bool bo_write(const BoObject *obj, const char *path, const char **err);

/* Read an object written by bo_write: a corrupt, truncated or foreign file
 * yields false with a message in *err naming what is wrong.  Everything
 * read lives until bo_free. */
bool bo_read(const char *path, BoObject *obj, const char **err);
void bo_free(BoObject *obj);

#endif
