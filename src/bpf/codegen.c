/* codegen: pass 3's driver.  Lays out the globals (scalars in one array
 * map behind the control block, each array and statistic in a map of its
 * own), picks for each probe where it runs and how it attaches, generates
 * its program through expr.c, and assembles the BoObject. */
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <linux/perf_event.h>

#include "bpf/gen.h"
#include "front/ast.h"

void gen_error(Gen *g, SrcLoc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_verror(g->diag, "semantic error", loc, NULL, fmt, ap);
  va_end(ap);
  g->failed = true;
}

static uint32_t add_map(Gen *g, const char *name, uint32_t type, uint32_t key, uint32_t value,
                        uint32_t max, uint32_t flags) {
  BoMap *m = arena_alloc(g->arena, sizeof *m);
  *m = (BoMap){.name = name, .type = type, .key_size = key, .value_size = value,
               .max_entries = max, .flags = flags};
  vec_push(&g->maps, g->arena, m);
  return (uint32_t)g->maps.len - 1;
}

uint32_t gen_add_map(Gen *g, const char *name, uint32_t type, uint32_t key, uint32_t value,
                     uint32_t max) {
  return add_map(g, name, type, key, value, max, 0);
}

/* Formats are kept with their lengths (they may hold NUL bytes). */
typedef struct GFormat {
  const char *text;
  uint32_t len;
} GFormat;

uint32_t gen_format(Gen *g, const char *text, size_t len) {
  uintptr_t i = (uintptr_t)hashmap_get(&g->fmt_index, text, len);
  if (i) return (uint32_t)i - 1;
  GFormat *f = arena_alloc(g->arena, sizeof *f);
  f->text = arena_strndup(g->arena, text, len);
  f->len = (uint32_t)len;
  vec_push(&g->formats, g->arena, f);
  hashmap_put(&g->fmt_index, f->text, len, (void *)(uintptr_t)g->formats.len);
  return (uint32_t)g->formats.len - 1;
}

/* An error site, once per distinct text. */
uint32_t gen_site(Gen *g, SrcLoc loc, const char *what) {
  const char *text = arena_printf(g->arena, "near %s at %s:%u:%u", what,
                                  loc.file ? loc.file->name : "<input>", loc.line, loc.col);
  uintptr_t i = (uintptr_t)hashmap_get(&g->site_index, text, strlen(text));
  if (i) return (uint32_t)(i - 1);
  BoSite *s = arena_alloc(g->arena, sizeof *s);
  s->text = text;
  vec_push(&g->sites, g->arena, s);
  hashmap_put(&g->site_index, text, strlen(text), (void *)(uintptr_t)g->sites.len);
  return (uint32_t)g->sites.len - 1;
}

uint32_t gen_tmp(Gen *g, uint32_t size) {
  uint32_t off = g->top;
  g->top += (size + 7) & ~7u;
  if (g->top > g->high) g->high = g->top;
  return off;
}

static uint32_t file_index(Gen *g, const SourceFile *f) {
  const char *name = f ? f->name : "<input>";
  for (size_t i = 0; i < g->files.len; i++)
    if (strcmp(g->files.items[i], name) == 0) return (uint32_t)i;
  vec_push(&g->files, g->arena, (void *)name);
  return (uint32_t)g->files.len - 1;
}

void gen_line(Gen *g, SrcLoc loc) {
  if (!loc.line) return;
  emit_line(g->e, file_index(g, loc.file), loc.line, loc.col);
}

GGlobal *gen_global(Gen *g, const Symbol *s) {
  return hashmap_get(&g->gglobals, (const char *)&s, sizeof s);
}

/* ---- Limits ---- */

static void set_limit(Gen *g, const char *def) {
  const char *eq = strchr(def, '=');
  if (!eq) return;
  size_t n = (size_t)(eq - def);
  long v = strtol(eq + 1, NULL, 0);
  if (v < 0) v = 0;
  struct { const char *name; uint32_t *field; } lims[] = {
      {"MAXSTRINGLEN", &g->lim.maxstringlen}, {"MAXMAPENTRIES", &g->lim.maxmapentries},
      {"MAXACTION", &g->lim.maxaction},       {"MAXNESTING", &g->lim.maxnesting},
      {"MAXERRORS", &g->lim.maxerrors},       {"MAXSKIPPED", &g->lim.maxskipped},
      {"MAXACTION_INTERRUPTIBLE", &g->maxaction_intr}, {"MAXBACKTRACE", &g->maxbacktrace},
  };
  for (size_t i = 0; i < sizeof lims / sizeof *lims; i++)
    if (strlen(lims[i].name) == n && strncmp(def, lims[i].name, n) == 0)
      *lims[i].field = (uint32_t)v;
}

/* ---- Globals ---- */

/* The histogram a statistic keeps: from its @hist_* uses. */
static void scan_hist(Expr *e, void *ctx) {
  Gen *g = ctx;
  if (e->kind != E_HIST) return;
  Expr *base = e->l;
  if (base && base->kind == E_INDEX) base = base->base;
  if (!base || base->kind != E_VAR || !base->ref) return;
  GGlobal *gg = gen_global(g, base->ref);
  if (!gg) return;
  StatHist h = {.kind = e->stat == STAT_HIST_LOG ? STATH_LOG : STATH_LINEAR};
  if (h.kind == STATH_LINEAR) {
    if (e->args.len != 3) return;
    Expr *a[3] = {e->args.items[0], e->args.items[1], e->args.items[2]};
    for (int i = 0; i < 3; i++)
      if (a[i]->kind != E_NUM) {
        gen_error(g, a[i]->loc, "@hist_linear's parameters must be literal numbers");
        return;
      }
    h.lo = a[0]->num;
    h.hi = a[1]->num;
    h.step = a[2]->num;
    if (h.step <= 0 || h.hi <= h.lo) {
      gen_error(g, e->loc, "invalid @hist_linear range");
      return;
    }
    if (!stat_buckets(&h)) {
      gen_error(g, e->loc, "@hist_linear(%lld, %lld, %lld) needs too many buckets (at most %d, "
                "STP_MAX_BUCKETS, with the two outside the range)", (long long)h.lo,
                (long long)h.hi, (long long)h.step, STAT_HIST_MAX_BUCKETS);
      return;
    }
  }
  if (gg->hist.kind != STATH_NONE &&
      (gg->hist.kind != h.kind || gg->hist.lo != h.lo || gg->hist.hi != h.hi ||
       gg->hist.step != h.step)) {
    gen_error(g, e->loc, "'%s' is used with two different histograms", gg->sym->name);
    return;
  }
  gg->hist = h;
}

/* The bit-shift a statistic's samples are scaled by for @variance (one
 * per statistic, as stap allows; 0 by default), from its @variance
 * uses. */
static void scan_variance(Expr *e, void *ctx) {
  Gen *g = ctx;
  if (e->kind != E_STAT || e->stat != STAT_VARIANCE) return;
  Expr *base = e->l;
  if (base && base->kind == E_INDEX) base = base->base;
  GGlobal *gg = base && base->kind == E_VAR && base->ref ? gen_global(g, base->ref) : NULL;
  if (!gg) return;
  const Expr *a = e->args.len ? e->args.items[0] : NULL;
  if (a && (a->kind != E_NUM || a->num < 0 || a->num > 62)) {
    gen_error(g, a->loc, "@variance's bit-shift must be a literal number from 0 to 62");
    return;
  }
  int shift = a ? (int)a->num : 0;
  if (gg->shift_seen && gg->hist.shift != shift) {
    gen_error(g, e->loc, "only one value of bit-shift may be used with '%s' (%d and %d)",
              gg->sym->name, gg->hist.shift, shift);
    return;
  }
  gg->shift_seen = true;
  gg->hist.shift = shift;
}

/* The widest string each array stores at each string index position
 * (GGlobal.key_len, 0 while none is seen): from every assignment,
 * increment and '<<<' to an element.  A position whose every stored value
 * is known to be short (execname(), a literal: gen_str_bound) takes only
 * that many bytes of the key, which then hashes and compares faster
 * (c[execname()]++: 16 bytes, not maxstringlen); a lookup with a longer
 * string finds nothing (build_key). */
static void scan_key_writes(Expr *e, void *ctx) {
  Gen *g = ctx;
  if ((e->kind != E_ASSIGN && e->kind != E_CREMENT) || !e->l || e->l->kind != E_INDEX) return;
  const Expr *base = e->l->base;
  GGlobal *gg = base && base->kind == E_VAR && base->ref ? gen_global(g, base->ref) : NULL;
  if (!gg) return;
  for (size_t i = 0; i < e->l->args.len && i < 9; i++) {
    const Expr *a = e->l->args.items[i];
    if (a->vtype != VT_STRING) continue;
    uint32_t w = gen_str_bound(g, a);
    if (w > gg->key_len[i]) gg->key_len[i] = w;
  }
}

/* Call fn on every expression of the program: probe conditions and
 * bodies, and functions. */
static void walk_program(Gen *g, AstExprFn fn) {
  for (size_t i = 0; i < g->prog->probes.len; i++) {
    Probe *p = g->prog->probes.items[i];
    if (p->cond) ast_walk_expr(p->cond, fn, g);
    ast_walk_stmt(p->body, fn, g);
  }
  for (size_t i = 0; i < g->prog->functions.len; i++) {
    Function *f = g->prog->functions.items[i];
    if (f->item && f->item->body) ast_walk_stmt(f->item->body, fn, g);
  }
}

static void layout_globals(Gen *g) {
  uint32_t S = g->S;
  g->globals_size = sizeof(BoControl);
  for (size_t i = 0; i < g->prog->globals.len; i++) {
    Symbol *s = g->prog->globals.items[i];
    GGlobal *gg = arena_alloc(g->arena, sizeof *gg);
    gg->sym = s;
    gg->index = (uint32_t)i;
    hashmap_put(&g->gglobals, (const char *)&gg->sym, sizeof gg->sym, gg);
  }
  /* Histograms first: they decide the statistics' sizes; then
   * @variance's bit-shifts and the widest string stored at each index. */
  walk_program(g, scan_hist);
  walk_program(g, scan_variance);
  walk_program(g, scan_key_writes);
  for (size_t i = 0; i < g->prog->globals.len; i++) {
    Symbol *s = g->prog->globals.items[i];
    GGlobal *gg = gen_global(g, s);
    BoGlobal *bg = arena_alloc(g->arena, sizeof *bg);
    bg->name = s->name;
    bg->type = s->type == VT_STRING ? BO_STRING : s->type == VT_STATS ? BO_STATS : BO_LONG;
    bg->arity = s->arity > 0 ? (uint32_t)s->arity : 0;
    const Item *d = s->decl;
    if (d && d->init) {
      bg->has_init = true;
      if (d->init->kind == E_STR) bg->init_str = d->init->str;
      else bg->init_num = d->init->num;
    }
    bg->hist = gg->hist.kind;
    bg->hist_lo = gg->hist.lo;
    bg->hist_hi = gg->hist.hi;
    bg->hist_step = gg->hist.step;
    char *mname = arena_printf(g->arena, "g_%s", s->name);
    if (s->type == VT_STATS) {
      gg->value_size = (uint32_t)stat_size(&gg->hist);
    } else {
      gg->value_size = s->type == VT_STRING ? S : 8;
    }
    if (bg->arity == 0 && s->type != VT_STATS) {
      gg->offset = g->globals_size;
      g->globals_size += gg->value_size;
      bg->map = 0; /* patched once the globals map exists */
      bg->offset = gg->offset;
    } else if (bg->arity == 0) {
      gg->key_size = 4;
      gg->map = add_map(g, mname, BPF_MAP_TYPE_PERCPU_ARRAY, 4, gg->value_size, 1, 0);
      bg->map = gg->map;
    } else {
      uint32_t k = 0;
      for (uint32_t j = 0; j < bg->arity; j++) {
        bg->index[j] = s->index[j] == VT_STRING ? BO_STRING : BO_LONG;
        /* a string: as wide as the widest stored there, in words */
        uint32_t w = gg->key_len[j] ? gg->key_len[j] : 8;
        gg->key_len[j] = bg->index[j] == BO_STRING ? (w < S ? (w + 7) & ~7u : S) : 8;
        bg->index_size[j] = gg->key_len[j];
        gg->key_off[j] = k;
        k += gg->key_len[j];
      }
      gg->key_size = k;
      bool wrap = d && d->wrap;
      uint32_t max = d && d->array_size > 0 ? (uint32_t)d->array_size : g->lim.maxmapentries;
      uint32_t type = s->type == VT_STATS ? BPF_MAP_TYPE_PERCPU_HASH : BPF_MAP_TYPE_HASH;
      gg->map = add_map(g, mname, type, k, gg->value_size, max ? max : 1, 0);
      /* A '%' array gives up its oldest element when full: a ring of the
       * keys in creation order, its last slot the creation count (see
       * map_put). */
      if (wrap)
        gg->ring = add_map(g, arena_printf(g->arena, "%s_ring", mname), BPF_MAP_TYPE_ARRAY, 4,
                           k, (max ? max : 1) + 1, 0);
      gg->size = d && d->array_size > 0 ? (uint32_t)d->array_size : 0;
      gg->max = max ? max : 1;
      gg->wrap = wrap;
      bg->map = gg->map;
      bg->wrap = wrap;
      bg->max_entries = max;
    }
    vec_push(&g->globals, g->arena, bg);
  }
}

/* ---- Probes ---- */

/* Does the probe's body read a tracepoint's TP_PROTO arguments (raw
 * tracepoint) rather than its record fields? */
typedef struct VarUse {
  bool args, fields;
} VarUse;

static void scan_vars(Expr *e, void *ctx) {
  VarUse *u = ctx;
  if (e->kind != E_TARGET || !e->ref) return;
  const TargetVar *v = e->ref;
  if (v->is_field) u->fields = true;
  else u->args = true;
}

static bool user_family(ProbeFamily f) {
  return f == PF_BEGIN || f == PF_END || f == PF_ERROR || f == PF_TIMER;
}

/* Does code reach kernel state (task_current(), kernel memory, @cast)?
 * Then a begin, end or error probe runs in the kernel instead, in
 * staprun's own context: a uprobe on its ctap_kernel_hook, which it
 * calls at that probe's turn (BO_BEGIN, src/run/run.c). */
typedef struct KernelUse {
  Arena *arena;
  Vec seen;  /* Function*: bodies walked */
  bool kernel;
} KernelUse;

static void scan_kernel_use(Expr *e, void *ctx) {
  static const char *const kernel_only[] = {
      "task_current", "pid2task", "task_execname", "task_cpu", "kernel_char", "kernel_short",
      "kernel_int", "kernel_long", "kernel_pointer", "kernel_string", "kernel_string_n",
      "kernel_buffer_quoted_error"};
  KernelUse *k = ctx;
  if (e->kind == E_CAST || e->kind == E_AUTOCAST || e->kind == E_VARREF) k->kernel = true;
  if (e->kind != E_CALL || !e->ref) return;
  Function *f = e->ref;
  if (f->builtin) {
    for (size_t i = 0; i < sizeof kernel_only / sizeof *kernel_only; i++)
      k->kernel |= !strcmp(f->name, kernel_only[i]);
    return;
  }
  for (size_t i = 0; i < k->seen.len; i++)
    if (k->seen.items[i] == f) return;
  vec_push(&k->seen, k->arena, f);
  if (f->item && f->item->body) ast_walk_stmt(f->item->body, scan_kernel_use, k);
}

static bool runs_in_kernel(Gen *g, Probe *p) {
  if (p->family != PF_BEGIN && p->family != PF_END && p->family != PF_ERROR) return false;
  KernelUse k = {.arena = g->arena};
  ast_walk_stmt(p->body, scan_kernel_use, &k);
  if (p->cond) ast_walk_expr(p->cond, scan_kernel_use, &k);
  return k.kernel;
}

/* Fill the probe table entry and the program's section and type. */
static bool attach_info(Gen *g, Probe *p, BoProbe *bp, BoProg *bprog) {
  SrcLoc loc = p->item ? p->item->loc : (SrcLoc){0};
  bp->point = p->point;
  bp->sequence = p->sequence;
  bp->flags = (p->optional ? BO_PROBE_OPTIONAL : 0) | (p->is_return ? BO_PROBE_RETURN : 0);
  bprog->section = "";
  switch (p->family) {
  case PF_BEGIN: case PF_END: case PF_ERROR:
    bp->kind = p->family == PF_BEGIN ? BO_BEGIN : p->family == PF_END ? BO_END : BO_ERROR;
    if (runs_in_kernel(g, p)) {
      bprog->section = "uprobe";
      bprog->type = BPF_PROG_TYPE_KPROBE;
    }
    return true;
  case PF_TIMER:
    bp->kind = BO_TIMER;
    bp->period = p->period_ns;
    bp->randomize = p->randomize_ns;
    return true;
  case PF_PROFILE:
    bp->kind = BO_PROFILE;
    bp->period = 1000000000 / 250;
    bprog->section = "perf_event";
    bprog->type = BPF_PROG_TYPE_PERF_EVENT;
    return true;
  case PF_SYSCALL: {
    bp->kind = BO_TRACEPOINT;
    bp->target = arena_printf(g->arena, "syscalls:sys_%s_%s", p->is_return ? "exit" : "enter",
                              p->target);
    bprog->section = arena_printf(g->arena, "tracepoint/syscalls/sys_%s_%s",
                                  p->is_return ? "exit" : "enter", p->target);
    bprog->type = BPF_PROG_TYPE_TRACEPOINT;
    return true;
  }
  case PF_TRACEPOINT: {
    VarUse u = {0};
    ast_walk_stmt(p->body, scan_vars, &u);
    if (p->cond) ast_walk_expr(p->cond, scan_vars, &u);
    const char *colon = strchr(p->target, ':');
    const char *ev = colon ? colon + 1 : p->target;
    if (u.args && u.fields) {
      gen_error(g, loc, "probe %s reads both the tracepoint's arguments and its record "
                "fields; the bpf runtime can give one or the other in a probe", p->point);
      return false;
    }
    if (u.args) {
      bp->kind = BO_RAW_TRACEPOINT;
      bp->target = ev;
      bprog->section = arena_printf(g->arena, "raw_tracepoint/%s", ev);
      bprog->type = BPF_PROG_TYPE_RAW_TRACEPOINT;
    } else {
      bp->kind = BO_TRACEPOINT;
      bp->target = p->target;
      bprog->section = arena_printf(g->arena, "tracepoint/%.*s/%s",
                                    (int)(colon ? colon - p->target : 0), p->target, ev);
      bprog->type = BPF_PROG_TYPE_TRACEPOINT;
    }
    return true;
  }
  case PF_PERF: {
    static const struct { const char *name; uint32_t type; uint64_t config; } evs[] = {
        {"hw.cpu_cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
        {"hw.instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
        {"hw.cache_references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES},
        {"hw.cache_misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
        {"hw.branch_instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS},
        {"hw.branch_misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES},
        {"hw.bus_cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BUS_CYCLES},
        {"sw.cpu_clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK},
        {"sw.task_clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK},
        {"sw.page_faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS},
        {"sw.context_switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
        {"sw.cpu_migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS},
        {"sw.page_faults_min", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN},
        {"sw.page_faults_maj", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ},
        {"sw.alignment_faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_ALIGNMENT_FAULTS},
        {"sw.emulation_faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_EMULATION_FAULTS},
    };
    for (size_t i = 0; i < sizeof evs / sizeof *evs; i++)
      if (p->perf_event && strcmp(p->perf_event, evs[i].name) == 0) {
        bp->kind = BO_PERF;
        bp->perf_type = evs[i].type;
        bp->perf_config = evs[i].config;
        bp->period = p->period_ns > 0 ? p->period_ns : 1000000;
        if (p->perf_target) bp->flags |= BO_PROBE_TARGET;
        bprog->section = "perf_event";
        bprog->type = BPF_PROG_TYPE_PERF_EVENT;
        return true;
      }
    gen_error(g, loc, "perf event '%s' is not available on the bpf runtime",
              p->perf_event ? p->perf_event : "?");
    return false;
  }
  case PF_UFUNC:
    bp->kind = BO_UPROBE;
    bp->target = p->target;
    bp->symbol = p->symbol;
    bp->offset = p->symbol ? 0 : (uint64_t)p->address;
    bprog->section = p->is_return ? "uretprobe" : "uprobe";
    bprog->type = BPF_PROG_TYPE_KPROBE;
    return true;
  case PF_PROCESS_BEGIN:
  case PF_PROCESS_END:
    bp->kind = p->family == PF_PROCESS_BEGIN ? BO_PROCESS_BEGIN : BO_PROCESS_END;
    bp->target = p->target;
    bprog->section = p->family == PF_PROCESS_BEGIN ? "raw_tracepoint/sched_process_exec"
                                                   : "raw_tracepoint/sched_process_exit";
    bprog->type = BPF_PROG_TYPE_RAW_TRACEPOINT;
    return true;
  case PF_KFUNC:
  case PF_KSTATEMENT:
    bp->sequence = p->family == PF_KFUNC ? g->kfunc_group : 0;
    bp->target = p->target;
    bp->offset = (uint64_t)p->address;
    if (g->fentry) {
      bp->kind = BO_FENTRY;
      bprog->section = arena_printf(g->arena, "%s/%s", p->is_return ? "fexit" : "fentry",
                                    p->target);
      bprog->type = BPF_PROG_TYPE_TRACING;
      return true;
    }
    bp->kind = BO_KPROBE;
    bprog->section = arena_printf(g->arena, "%s/%s", p->is_return ? "kretprobe" : "kprobe",
                                  p->target);
    bprog->type = BPF_PROG_TYPE_KPROBE;
    return true;
  case PF_NEVER:
    return false;
  }
  return false;
}

/* The scratch map's value: the largest kernel program's scratch, plus a
 * string of slack so that variable-offset string copies stay in bounds. */
static uint64_t scratch_value(const Gen *g, uint64_t high) {
  return (high + 2 * (uint64_t)g->S + 64 + 7) & ~(uint64_t)7;
}

/* The kernel keeps a per-CPU map's value within 32 KiB (PCPU_MIN_UNIT_SIZE). */
enum { MAX_PERCPU_VALUE = 32768 };

/* After a program: its scratch counts towards the scratch map's value
 * (kernel programs) or staprun's (user programs), and a kernel program
 * needing more than a per-CPU value holds is an error naming the probe. */
static void note_scratch(Gen *g, const Probe *p, SrcLoc loc) {
  if (g->high > g->scratch_max) g->scratch_max = g->high;
  if (g->user) return;
  if (g->high > g->kscratch_max) g->kscratch_max = g->high;
  uint64_t need = scratch_value(g, g->high);
  if (need > MAX_PERCPU_VALUE && !g->failed)
    gen_error(g, p && p->body ? p->body->loc : loc,
              "probe %s needs %llu bytes of scratch memory, more than the %d a per-CPU map "
              "value holds (MAXSTRINGLEN=%u makes each string that long)",
              p ? p->point : "syscall.*", (unsigned long long)need, MAX_PERCPU_VALUE, g->S);
}

/* A program's jumps reach at most 32767 instructions (their offsets are
 * 16 bits, and Linux 6.1 has no longer jump): a body too large for that
 * is an error naming the probe. */
static void too_large(Gen *g, const Probe *p, SrcLoc loc) {
  gen_error(g, p && p->body ? p->body->loc : loc,
            "probe %s is too large for the bpf runtime: its program would jump over more "
            "than 32767 instructions; split its body into several probes",
            p ? p->point : "syscall.*");
}

/* Generate probe p as program NAME_index (NAME_index_entry for the
 * companion that capture (entry.c) says what to take at a call's entry
 * for). */
static void gen_probe_program(Gen *g, Probe *p, uint32_t index, const GEntry *capture) {
  if (p->family == PF_NEVER) return;
  BoProbe *bp = arena_alloc(g->arena, sizeof *bp);
  BoProg *bprog = arena_alloc(g->arena, sizeof *bprog);
  if (!attach_info(g, p, bp, bprog)) return;
  GEntry *entry = capture ? NULL : entry_plan(g, p);
  if (entry) gen_probe_program(g, entry_probe(entry), index, entry);
  if (capture) bp->flags |= BO_PROBE_ENTRY;
  g->user = user_family(p->family) && !*bprog->section;
  g->hook = user_family(p->family) && !g->user;
  bprog->user = g->user;
  bprog->name = arena_printf(g->arena, "%s_%u%s%s", g->user ? "user" : "probe", index,
                             capture ? "_entry" : "", g->fentry ? "_f" : "");
  Emit e;
  emit_init(&e, g->user);
  g->e = &e;
  g->probe = p;
  g->top = g->high = 0;
  g->nslots = 0;
  g->nloops = g->ninl = 0;
  g->out_label = emit_label(&e);
  Handler top = {.label = emit_label(&e)};
  g->handler = &top;
  g->base_reg = R_SCR;
  g->in_sub = false;
  g->subs = (Vec){0};
  SrcLoc loc = p->item ? p->item->loc : (SrcLoc){0};
  gen_line(g, loc);
  emit_mov(&e, R_CTX, R1);
  gen_load_maps(g);
  for (size_t i = 0; i < p->locals.len; i++) {
    Symbol *s = p->locals.items[i];
    gen_bind(g, s, gen_tmp(g, s->type == VT_STRING ? g->S : 8));
  }
  gen_zero_locals(g, &p->locals);
  if (p->family == PF_PROCESS_BEGIN || p->family == PF_PROCESS_END) process_filter(g, p, bp);
  if (capture) entry_capture(g, capture);
  g->entry = entry;
  if (entry) entry_restore(g, entry);
  if (p->cond) {
    gen_line(g, p->cond->loc);
    gen_cond_false(g, p->cond, g->out_label);
  }
  gen_stmt(g, p->body);
  gen_program_end(g, &top);
  g->entry = NULL;
  if (!emit_finish(&e) && !g->failed) too_large(g, p, loc);
  bprog->ncode = e.nmain < e.n ? e.nmain : 0; /* loop.c: the bodies after the program */
  emit_free(&e);
  bprog->insns = e.insns;
  bprog->ninsns = e.n;
  bprog->relocs = e.relocs;
  bprog->nrelocs = e.nrelocs;
  bprog->core = e.core;
  bprog->ncore = e.ncore;
  bprog->lines = e.lines;
  bprog->nlines = e.nlines;
  note_scratch(g, p, loc);
  vec_push(&g->progs, g->arena, bprog);
  bp->prog = (uint32_t)g->progs.len - 1;
  vec_push(&g->probes, g->arena, bp);
}

/* A kernel.function probe is two programs that share a group (BoProbe
 * sequence): a kprobe and an fentry/fexit one; staprun loads one of
 * them (bo.h: BO_FENTRY). */
static void gen_probe(Gen *g, Probe *p, uint32_t index) {
  if (p->family != PF_KFUNC) {
    gen_probe_program(g, p, index, NULL);
    return;
  }
  g->kfunc_group++;
  gen_probe_program(g, p, index, NULL);
  g->fentry = true;
  gen_probe_program(g, p, index, NULL);
  g->fentry = false;
}

/* ---- Syscall programs ----
 *
 * syscall.NAME probes do not each take a tracepoint of their own (the
 * syscalls:sys_enter_NAME events: a perf event per probe, whose teardown
 * waits for an RCU grace period each, about 0.1 s, so that `syscall.*`
 * took half a minute to stop, and each event pays for a perf record).
 * The probes one probe statement makes are one program on the BTF raw
 * tracepoint sys_enter (sys_exit for .return), which every system call
 * passes: it takes the number (the id argument; at exit regs->orig_ax),
 * leaves at once when it is none of its probes', skips compat (32-bit)
 * calls as the syscalls:* events do, and branches on the number through
 * a binary tree of comparisons to that probe's body.
 *
 * The bodies are generated each on its own first (SysBody.e), then
 * placed: bodies that came out the same are one; the smaller ones, up to
 * SYS_INLINE_INSNS in all, go into the program itself; each larger one
 * becomes a program of its own that the leaf tail-calls with a constant
 * slot of the statement's program array (BO_TAIL_CALL: staprun fills the
 * array).  The verifier checks a program's paths against a budget of a
 * million instructions, which `syscall.* { print(argstr) }`'s 360 bodies
 * (each branching through sprintf) together exceed; a tail-called program
 * has its own budget.  A statement naming a syscall twice (syscall.read,
 * syscall.re*) gets a program per repetition, so that the body runs once
 * for each probe, as in stap.  A syscall without a number here (an
 * architecture without a table, a call newer than the table) or a target
 * without BTF keeps its own tracepoint (attach_info). */

enum { SYS_INLINE_INSNS = 8192 };

typedef struct SysBody {
  Probe *p;
  uint32_t index;  /* in the program's probes */
  int nr;
  Emit e;          /* its code, finished */
  struct SysBody *same; /* the first body with the same code, or itself */
  bool tail;       /* a program of its own, at slot */
  uint32_t slot;
  uint32_t ncode;  /* its code before its bpf_loop bodies (loop.c), or 0:
                      such a body is a program of its own, its loop bodies
                      last */
  GEntry *entry;   /* a .return probe's @entry values (entry.c), or NULL */
  const GEntry *capture; /* a companion on the entry: stores them */
} SysBody;

static int syscall_number(Gen *g, const Probe *p) {
  if (p->family != PF_SYSCALL || !p->target || !target_syscall_abi(g->target)) return -1;
  return target_syscall_nr(g->target, p->target);
}

static int cmp_sys_nr(const void *a, const void *b) {
  const SysBody *x = *(SysBody *const *)a, *y = *(SysBody *const *)b;
  return x->nr != y->nr ? (x->nr < y->nr ? -1 : 1) : (x->index < y->index ? -1 : x->index > y->index);
}

static int cmp_sys_size(const void *a, const void *b) {
  const SysBody *x = *(SysBody *const *)a, *y = *(SysBody *const *)b;
  return x->e.n != y->e.n ? (x->e.n < y->e.n ? -1 : 1) : cmp_sys_nr(a, b);
}

static bool same_code(const Emit *x, const Emit *y) {
  return x->n == y->n && x->nrelocs == y->nrelocs &&
         !memcmp(x->insns, y->insns, sizeof *x->insns * x->n) &&
         (!x->nrelocs || !memcmp(x->relocs, y->relocs, sizeof *x->relocs * x->nrelocs));
}

/* One probe's body: the scratch from base_top on (the prologue's
 * allocations below it, gen_load_maps), its locals, condition and
 * statements, ending in an exit. */
static void gen_sys_body(Gen *g, SysBody *b, uint32_t base_top) {
  Probe *p = b->p;
  emit_init(&b->e, false);
  g->e = &b->e;
  g->probe = p;
  g->top = g->high = base_top;
  g->nslots = 0;
  g->nloops = g->ninl = 0;
  g->out_label = emit_label(&b->e);
  Handler top = {.label = emit_label(&b->e)};
  g->handler = &top;
  g->base_reg = R_SCR;
  g->in_sub = false;
  g->subs = (Vec){0};
  SrcLoc loc = p->item ? p->item->loc : (SrcLoc){0};
  gen_line(g, loc);
  emit_st(&b->e, BPF_DW, R_SCR, ACTION_OFF, 0); /* each probe has its MAXACTION */
  for (size_t i = 0; i < p->locals.len; i++) {
    Symbol *s = p->locals.items[i];
    gen_bind(g, s, gen_tmp(g, s->type == VT_STRING ? g->S : 8));
  }
  gen_zero_locals(g, &p->locals);
  if (b->capture) entry_capture(g, b->capture);
  g->entry = b->entry;
  if (b->entry) entry_restore(g, b->entry);
  if (p->cond) {
    gen_line(g, p->cond->loc);
    gen_cond_false(g, p->cond, g->out_label);
  }
  gen_stmt(g, p->body);
  gen_program_end(g, &top);
  g->entry = NULL;
  if (!emit_finish(&b->e) && !g->failed) too_large(g, p, loc);
  b->ncode = b->e.nmain < b->e.n ? b->e.nmain : 0;
  emit_free(&b->e);
  note_scratch(g, p, loc);
}

/* Branch on the number in R_PTR: bodies[lo, hi) sorted by number, to
 * labels[i] when it is bodies[i]'s, else to miss. */
static void sys_tree(Emit *e, SysBody *const *bodies, const uint32_t *labels, size_t lo, size_t hi,
                     uint32_t miss) {
  if (hi - lo <= 3) {
    for (size_t i = lo; i < hi; i++) emit_jmp(e, BPF_JEQ, R_PTR, 0, bodies[i]->nr, false, labels[i]);
    emit_ja(e, miss);
    return;
  }
  size_t mid = lo + (hi - lo) / 2;
  uint32_t right = emit_label(e);
  emit_jmp(e, BPF_JGE, R_PTR, 0, bodies[mid]->nr, false, right);
  sys_tree(e, bodies, labels, lo, mid, miss);
  emit_bind(e, right);
  sys_tree(e, bodies, labels, mid, hi, miss);
}

/* Add a kernel program and its probe table entry: the program's code
 * is e's (finished here). */
static void sys_add(Gen *g, BoProbe *bp, const char *name, bool ret, Emit *e, SrcLoc loc) {
  BoProg *bprog = arena_alloc(g->arena, sizeof *bprog);
  bprog->name = name;
  bprog->section = ret ? "tp_btf/sys_exit" : "tp_btf/sys_enter";
  bprog->type = BPF_PROG_TYPE_TRACING;
  if (!emit_finish(e) && !g->failed) too_large(g, NULL, loc);
  emit_free(e);
  bprog->insns = e->insns;
  bprog->ninsns = e->n;
  bprog->relocs = e->relocs;
  bprog->nrelocs = e->nrelocs;
  bprog->core = e->core;
  bprog->ncore = e->ncore;
  bprog->lines = e->lines;
  bprog->nlines = e->nlines;
  note_scratch(g, NULL, loc);
  vec_push(&g->progs, g->arena, bprog);
  bp->prog = (uint32_t)g->progs.len - 1;
  vec_push(&g->probes, g->arena, bp);
}

/* A tail-called body's program: the maps, then the body. */
static void gen_sys_tail(Gen *g, SysBody *b, const char *array, bool ret) {
  BoProbe *bp = arena_alloc(g->arena, sizeof *bp);
  bp->kind = BO_TAIL_CALL;
  bp->point = b->p->point;
  bp->target = array;
  bp->offset = b->slot;
  bp->flags = ret ? BO_PROBE_RETURN : 0;
  Emit e;
  emit_init(&e, false);
  g->e = &e;
  g->probe = b->p;
  g->top = g->high = 0;
  g->out_label = emit_label(&e);
  SrcLoc loc = b->p->item ? b->p->item->loc : (SrcLoc){0};
  gen_line(g, loc);
  emit_mov(&e, R_CTX, R1);
  gen_load_maps(g);
  if (b->ncode) {
    /* the loop bodies must come last: the exit before the body */
    uint32_t body = emit_label(&e);
    emit_ja(&e, body);
    emit_bind(&e, g->out_label);
    emit_mov_imm(&e, R0, 0);
    emit_exit(&e);
    emit_bind(&e, body);
    uint32_t start = e.n;
    emit_append(&e, &b->e);
    sys_add(g, bp, arena_printf(g->arena, "probe_%u%s", b->index, b->capture ? "_entry" : ""),
            ret, &e, loc);
    ((BoProg *)g->progs.items[g->progs.len - 1])->ncode = start + b->ncode;
    return;
  }
  emit_append(&e, &b->e);
  emit_bind(&e, g->out_label);
  emit_mov_imm(&e, R0, 0);
  emit_exit(&e);
  sys_add(g, bp, arena_printf(g->arena, "probe_%u%s", b->index, b->capture ? "_entry" : ""),
          ret, &e, loc);
}

/* The program taking bodies[0, n) (sorted by number, each number once)
 * from the tracepoint; tail-called ones through the map `array`. */
static void gen_sys_program(Gen *g, SysBody **bodies, size_t n, bool ret, uint32_t array) {
  const TargetSyscallAbi *abi = g->sysabi;
  Probe *p0 = bodies[0]->p;
  BoProbe *bp = arena_alloc(g->arena, sizeof *bp);
  uint32_t first = bodies[0]->index;
  StrBuf points;
  sb_init(&points);
  bool optional = true, inline_any = false;
  for (size_t i = 0; i < n; i++) {
    Probe *p = bodies[i]->p;
    first = bodies[i]->index < first ? bodies[i]->index : first;
    optional = optional && p->optional;
    inline_any = inline_any || !bodies[i]->same->tail;
    const char *up = p->user_point ? p->user_point : p->point;
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++) {
      const Probe *q = bodies[j]->p;
      seen = !strcmp(q->user_point ? q->user_point : q->point, up);
    }
    if (!seen) sb_printf(&points, "%s%s", points.len ? ", " : "", up);
  }
  bp->kind = BO_RAW_TRACEPOINT;
  bp->target = ret ? "sys_exit" : "sys_enter";
  bp->point = arena_strdup(g->arena, sb_cstr(&points));
  sb_free(&points);
  bp->flags = (optional ? BO_PROBE_OPTIONAL : 0) | (ret ? BO_PROBE_RETURN : 0);

  Emit e;
  emit_init(&e, false);
  g->e = &e;
  g->probe = p0;
  g->top = g->high = 0;
  uint32_t out = emit_label(&e);
  g->out_label = out;
  SrcLoc loc = p0->item ? p0->item->loc : (SrcLoc){0};
  gen_line(g, loc);
  emit_mov(&e, R_CTX, R1);
  /* the number: sys_enter's id, or at sys_exit regs->orig_ax */
  if (ret) {
    emit_ldx(&e, BPF_DW, R1, R_CTX, 0);
    emit_ldx(&e, BPF_DW, R_PTR, R1, (int16_t)abi->nr_offset);
  } else {
    emit_ldx(&e, BPF_DW, R_PTR, R_CTX, 8);
  }
  int lo = bodies[0]->nr, hi = bodies[n - 1]->nr;
  if (lo == hi) {
    emit_jmp(&e, BPF_JNE, R_PTR, 0, lo, false, out);
  } else {
    emit_mov(&e, R1, R_PTR);
    if (lo) emit_alu_imm(&e, BPF_SUB, R1, lo);
    emit_jmp(&e, BPF_JGT, R1, 0, hi - lo, false, out); /* unsigned: below lo too */
  }
  emit_call(&e, BPF_FUNC_get_current_task_btf);
  emit_ldx(&e, BPF_W, R0, R0, (int16_t)abi->compat_offset);
  emit_jmp(&e, BPF_JSET, R0, 0, (int32_t)abi->compat_mask, false, out);
  if (inline_any) gen_load_maps(g);
  uint32_t *labels = arena_alloc(g->arena, sizeof *labels * n);
  for (size_t i = 0; i < n; i++) {
    size_t j = 0;
    while (j < i && bodies[j]->same != bodies[i]->same) j++;
    labels[i] = j < i ? labels[j] : emit_label(&e);
  }
  if (n == 1) emit_ja(&e, labels[0]);
  else sys_tree(&e, bodies, labels, 0, n, out);
  for (size_t i = 0; i < n; i++) {
    SysBody *b = bodies[i]->same;
    size_t j = 0;
    while (j < i && bodies[j]->same != b) j++;
    if (j < i) continue; /* placed already */
    emit_bind(&e, labels[i]);
    if (!b->tail) {
      emit_append(&e, &b->e);
      continue;
    }
    emit_mov(&e, R1, R_CTX);
    emit_map(&e, R2, array);
    emit_mov_imm(&e, R3, b->slot);
    emit_call(&e, BPF_FUNC_tail_call);
    emit_ja(&e, out);
  }
  emit_bind(&e, out);
  emit_mov_imm(&e, R0, 0);
  emit_exit(&e);
  sys_add(g, bp, arena_printf(g->arena, "syscalls_%u%s", first, bodies[0]->capture ? "_entry" : ""),
          ret, &e, loc);
}

/* The syscall programs of the probe statement of probe `first`: its
 * syscall probes of the same direction (marked done). */
static void gen_sys_bodies(Gen *g, Vec *all, bool ret);

static void gen_sys_group(Gen *g, size_t first, bool *done) {
  Probe *p0 = g->prog->probes.items[first];
  bool ret = p0->is_return;
  Vec all = {0}, entries = {0};
  for (size_t i = first; i < g->prog->probes.len; i++) {
    Probe *p = g->prog->probes.items[i];
    if (done[i] || p->item != p0->item || p->is_return != ret) continue;
    int nr = syscall_number(g, p);
    if (nr < 0) continue;
    done[i] = true;
    SysBody *b = arena_alloc(g->arena, sizeof *b);
    *b = (SysBody){.p = p, .index = (uint32_t)i, .nr = nr, .entry = entry_plan(g, p)};
    b->same = b;
    vec_push(&all, g->arena, b);
    if (!b->entry) continue;
    /* its companion on the call's entry, in a sys_enter program */
    SysBody *c = arena_alloc(g->arena, sizeof *c);
    *c = (SysBody){.p = entry_probe(b->entry), .index = (uint32_t)i, .nr = nr,
                   .capture = b->entry};
    c->same = c;
    vec_push(&entries, g->arena, c);
  }
  gen_sys_bodies(g, &all, ret);
  if (entries.len) gen_sys_bodies(g, &entries, false);
}

/* The programs of the bodies `all` of one direction: each generated on
 * its own, then placed (see "Syscall programs" above). */
static void gen_sys_bodies(Gen *g, Vec *all_v, bool ret) {
  Vec all = *all_v;
  g->sysabi = target_syscall_abi(g->target);
  g->user = false;
  /* The scratch the prologue takes. */
  Emit dry;
  emit_init(&dry, false);
  g->e = &dry;
  g->top = g->high = 0;
  g->out_label = emit_label(&dry);
  gen_load_maps(g);
  uint32_t base_top = g->top;
  emit_free(&dry);
  free(dry.insns);
  free(dry.relocs);
  free(dry.core);
  free(dry.lines);
  for (size_t i = 0; i < all.len && !g->failed; i++) gen_sys_body(g, all.items[i], base_top);
  SysBody **v = arena_alloc(g->arena, sizeof *v * (all.len + 1));
  SysBody **d = arena_alloc(g->arena, sizeof *d * (all.len + 1));
  bool *taken = arena_alloc(g->arena, all.len + 1);
  size_t left = g->failed ? 0 : all.len;
  while (left) {
    /* A layer: each number once. */
    size_t n = 0;
    for (size_t i = 0; i < all.len; i++) {
      SysBody *b = all.items[i];
      bool dup = false;
      for (size_t j = 0; j < n && !dup; j++) dup = v[j]->nr == b->nr;
      if (taken[i] || dup) continue;
      taken[i] = true;
      v[n++] = b;
    }
    left -= n;
    /* The distinct bodies, smallest first: inline while they fit. */
    size_t nd = 0;
    for (size_t i = 0; i < n; i++) {
      for (size_t j = 0; j < nd && v[i]->same == v[i]; j++)
        if (same_code(&v[i]->e, &d[j]->e)) v[i]->same = d[j];
      if (v[i]->same == v[i]) d[nd++] = v[i];
    }
    qsort(d, nd, sizeof *d, cmp_sys_size);
    uint32_t size = 0, nslots = 0;
    for (size_t i = 0; i < nd; i++) {
      if (!d[i]->ncode) size += d[i]->e.n;
      if (size > SYS_INLINE_INSNS || d[i]->ncode) {
        d[i]->tail = true;
        d[i]->slot = nslots++;
      }
    }
    uint32_t array = 0;
    const char *array_name = NULL;
    if (nslots) {
      array_name = arena_printf(g->arena, "ctap_sys_%u", (unsigned)g->maps.len);
      array = gen_add_map(g, array_name, BPF_MAP_TYPE_PROG_ARRAY, 4, 4, nslots);
      for (size_t i = 0; i < nd && !g->failed; i++)
        if (d[i]->tail) gen_sys_tail(g, d[i], array_name, ret);
    }
    qsort(v, n, sizeof *v, cmp_sys_nr);
    if (!g->failed) gen_sys_program(g, v, n, ret, array);
  }
  for (size_t i = 0; i < all.len; i++) {
    SysBody *b = all.items[i];
    free(b->e.insns);
    free(b->e.relocs);
    free(b->e.core);
    free(b->e.lines);
  }
  g->sysabi = NULL;
}

#define TO_ARRAY(g, vec, type, out, count)                        \
  do {                                                            \
    (count) = (uint32_t)(vec).len;                                \
    (out) = arena_alloc((g)->arena, sizeof(type) * ((count) + 1));\
    for (size_t i_ = 0; i_ < (vec).len; i_++)                     \
      (out)[i_] = *(type *)(vec).items[i_];                       \
  } while (0)

BoObject *bpf_translate(Program *prog, Target *t, Arena *a, Diag *d, const BpfOptions *o) {
  Gen *g = arena_alloc(a, sizeof *g);
  g->arena = a;
  g->prog = prog;
  g->target = t;
  g->module_name = o->module_name ? o->module_name : "stap";
  g->diag = d;
  g->lim = (BoLimits){.maxstringlen = 128, .maxmapentries = 2048, .maxaction = 1000,
                      .maxnesting = 10, .maxerrors = 0, .maxskipped = 100,
                      .ringbuf_size = 1u << 22};
  g->maxbacktrace = 20;
  if (o->defines)
    for (size_t i = 0; i < o->defines->len; i++) set_limit(g, o->defines->items[i]);
  if (o->ringbuf_size) g->lim.ringbuf_size = o->ringbuf_size;
  g->suppress_errors = o->suppress_errors;
  if (!g->maxaction_intr)
    g->maxaction_intr = g->lim.maxaction > UINT32_MAX / 10 ? UINT32_MAX : 10 * g->lim.maxaction;
  if (g->lim.maxstringlen < 16) g->lim.maxstringlen = 16;
  if (g->lim.maxstringlen > 4096) g->lim.maxstringlen = 4096;
  g->lim.maxstringlen = (g->lim.maxstringlen + 7) & ~7u;
  g->S = g->lim.maxstringlen;
  layout_globals(g);
  gen_find_recursion(g);
  g->globals_map = add_map(g, "ctap_globals", BPF_MAP_TYPE_ARRAY, 4, 0, 1, BPF_F_MMAPABLE);
  g->ringbuf_map = add_map(g, "ctap_output", BPF_MAP_TYPE_RINGBUF, 0, 0, g->lim.ringbuf_size, 0);
  g->scratch_map = add_map(g, "ctap_scratch", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 0, 1, 0);
  for (size_t i = 0; i < g->globals.len; i++) {
    BoGlobal *bg = g->globals.items[i];
    if (bg->arity == 0 && bg->type != BO_STATS) bg->map = g->globals_map;
  }
  bool *sys_done = arena_alloc(a, prog->probes.len + 1);
  for (size_t i = 0; i < prog->probes.len && !g->failed; i++) {
    if (sys_done[i]) continue;
    if (syscall_number(g, prog->probes.items[i]) >= 0) gen_sys_group(g, i, sys_done);
    else gen_probe(g, prog->probes.items[i], (uint32_t)i);
  }
  for (size_t i = 0, n = prog->probes.len; i < g->exes.len && !g->failed; i++) {
    Probe *p = process_companion(g, i);
    if (p) gen_probe(g, p, (uint32_t)n++);
  }
  hashmap_free(&g->gglobals);
  hashmap_free(&g->fmt_index);
  hashmap_free(&g->site_index);
  if (g->failed || d->errors) {
    for (size_t i = 0; i < g->progs.len; i++) {
      BoProg *bp = g->progs.items[i];
      free(bp->insns);
      free(bp->relocs);
      free(bp->lines);
      free(bp->core);
    }
    return NULL;
  }

  BoObject *obj = arena_alloc(a, sizeof *obj);
  obj->name = g->module_name;
  obj->release = t->kernel ? t->kernel->release : "";
  obj->limits = g->lim;
  ((BoMap *)g->maps.items[g->globals_map])->value_size = g->globals_size;
  /* Scratch: the largest kernel program's in the map; staprun's for the
   * user programs, the largest of all (with their recursive calls'
   * frames). */
  ((BoMap *)g->maps.items[g->scratch_map])->value_size = (uint32_t)scratch_value(g, g->kscratch_max);
  uint32_t user = g->user_scratch_max > g->scratch_max ? g->user_scratch_max : g->scratch_max;
  obj->scratch_size = (uint32_t)scratch_value(g, user);
  TO_ARRAY(g, g->maps, BoMap, obj->maps, obj->nmaps);
  TO_ARRAY(g, g->progs, BoProg, obj->progs, obj->nprogs);
  TO_ARRAY(g, g->probes, BoProbe, obj->probes, obj->nprobes);
  TO_ARRAY(g, g->globals, BoGlobal, obj->globals, obj->nglobals);
  TO_ARRAY(g, g->sites, BoSite, obj->sites, obj->nsites);
  TO_ARRAY(g, g->core_types, BoCoreType, obj->core_types, obj->ncore_types);
  obj->nformats = (uint32_t)g->formats.len;
  obj->formats = arena_alloc(a, sizeof(char *) * (obj->nformats + 1));
  obj->format_lens = arena_alloc(a, sizeof(uint32_t) * (obj->nformats + 1));
  for (size_t i = 0; i < g->formats.len; i++) {
    GFormat *f = g->formats.items[i];
    obj->formats[i] = f->text;
    obj->format_lens[i] = f->len;
  }
  obj->nfiles = (uint32_t)g->files.len;
  obj->files = arena_alloc(a, sizeof(char *) * (obj->nfiles + 1));
  for (size_t i = 0; i < g->files.len; i++) obj->files[i] = g->files.items[i];
  obj->globals_map = g->globals_map;
  obj->ringbuf_map = g->ringbuf_map;
  obj->scratch_map = g->scratch_map;
  /* The object's programs own their instruction buffers (malloc'd by
   * emit); hand them to the arena's lifetime by copying. */
  for (uint32_t i = 0; i < obj->nprogs; i++) {
    BoProg *bp = &obj->progs[i];
    struct bpf_insn *ins = arena_alloc(a, sizeof *ins * (bp->ninsns + 1));
    memcpy(ins, bp->insns, sizeof *ins * bp->ninsns);
    free(bp->insns);
    bp->insns = ins;
    BoReloc *r = arena_alloc(a, sizeof *r * (bp->nrelocs + 1));
    if (bp->nrelocs) memcpy(r, bp->relocs, sizeof *r * bp->nrelocs);
    free(bp->relocs);
    bp->relocs = r;
    BoLine *l = arena_alloc(a, sizeof *l * (bp->nlines + 1));
    if (bp->nlines) memcpy(l, bp->lines, sizeof *l * bp->nlines);
    free(bp->lines);
    bp->lines = l;
    BoCoreReloc *c = arena_alloc(a, sizeof *c * (bp->ncore + 1));
    if (bp->ncore) memcpy(c, bp->core, sizeof *c * bp->ncore);
    free(bp->core);
    bp->core = c;
  }
  return obj;
}
