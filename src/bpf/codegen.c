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

uint32_t gen_site(Gen *g, SrcLoc loc, const char *what) {
  BoSite *s = arena_alloc(g->arena, sizeof *s);
  s->text = arena_printf(g->arena, "near %s at %s:%u:%u", what,
                         loc.file ? loc.file->name : "<input>", loc.line, loc.col);
  vec_push(&g->sites, g->arena, s);
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
  }
  if (gg->hist.kind != STATH_NONE &&
      (gg->hist.kind != h.kind || gg->hist.lo != h.lo || gg->hist.hi != h.hi ||
       gg->hist.step != h.step)) {
    gen_error(g, e->loc, "'%s' is used with two different histograms", gg->sym->name);
    return;
  }
  gg->hist = h;
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
  /* Histograms first: they decide the statistics' sizes. */
  for (size_t i = 0; i < g->prog->probes.len; i++) {
    Probe *p = g->prog->probes.items[i];
    ast_walk_stmt(p->body, scan_hist, g);
  }
  for (size_t i = 0; i < g->prog->functions.len; i++) {
    Function *f = g->prog->functions.items[i];
    if (f->item && f->item->body) ast_walk_stmt(f->item->body, scan_hist, g);
  }
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
        gg->key_off[j] = k;
        k += bg->index[j] == BO_STRING ? S : 8;
      }
      gg->key_size = k;
      bool wrap = d && d->wrap;
      uint32_t max = d && d->array_size > 0 ? (uint32_t)d->array_size : g->lim.maxmapentries;
      uint32_t type = s->type == VT_STATS ? (wrap ? BPF_MAP_TYPE_LRU_PERCPU_HASH
                                                  : BPF_MAP_TYPE_PERCPU_HASH)
                                          : (wrap ? BPF_MAP_TYPE_LRU_HASH : BPF_MAP_TYPE_HASH);
      /* Without '%', a full array is an error, so the map must hold every
       * element the script may store. */
      gg->map = add_map(g, mname, type, k, gg->value_size, max ? max : 1, 0);
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

/* Fill the probe table entry and the program's section and type. */
static bool attach_info(Gen *g, Probe *p, BoProbe *bp, BoProg *bprog) {
  SrcLoc loc = p->item ? p->item->loc : (SrcLoc){0};
  bp->point = p->point;
  bp->sequence = p->sequence;
  bp->flags = (p->optional ? BO_PROBE_OPTIONAL : 0) | (p->is_return ? BO_PROBE_RETURN : 0);
  bprog->section = "";
  switch (p->family) {
  case PF_BEGIN: bp->kind = BO_BEGIN; return true;
  case PF_END: bp->kind = BO_END; return true;
  case PF_ERROR: bp->kind = BO_ERROR; return true;
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
    bp->kind = BO_KPROBE;
    bp->target = p->target;
    bprog->section = arena_printf(g->arena, "%s/%s", p->is_return ? "kretprobe" : "kprobe",
                                  p->target);
    bprog->type = BPF_PROG_TYPE_KPROBE;
    return true;
  case PF_NEVER:
    return false;
  }
  return false;
}

static void gen_probe(Gen *g, Probe *p, uint32_t index) {
  if (p->family == PF_NEVER) return;
  BoProbe *bp = arena_alloc(g->arena, sizeof *bp);
  BoProg *bprog = arena_alloc(g->arena, sizeof *bprog);
  if (!attach_info(g, p, bp, bprog)) return;
  g->user = user_family(p->family);
  bprog->user = g->user;
  bprog->name = arena_printf(g->arena, "%s_%u", g->user ? "user" : "probe", index);
  Emit e;
  emit_init(&e, g->user);
  g->e = &e;
  g->probe = p;
  g->top = g->high = 0;
  g->nslots = 0;
  g->nloops = g->ninl = 0;
  g->out_label = emit_label(&e);
  SrcLoc loc = p->item ? p->item->loc : (SrcLoc){0};
  gen_line(g, loc);
  emit_mov(&e, R_CTX, R1);
  gen_load_maps(g);
  for (size_t i = 0; i < p->locals.len; i++) {
    Symbol *s = p->locals.items[i];
    gen_bind(g, s, gen_tmp(g, s->type == VT_STRING ? g->S : 8));
  }
  gen_zero_locals(g, &p->locals);
  if (p->cond) {
    gen_line(g, p->cond->loc);
    gen_cond_false(g, p->cond, g->out_label);
  }
  gen_stmt(g, p->body);
  emit_bind(&e, g->out_label);
  emit_mov_imm(&e, R0, 0);
  emit_exit(&e);
  if (!emit_finish(&e)) gen_error(g, loc, "internal error: a jump is out of range");
  emit_free(&e);
  bprog->insns = e.insns;
  bprog->ninsns = e.n;
  bprog->relocs = e.relocs;
  bprog->nrelocs = e.nrelocs;
  bprog->lines = e.lines;
  bprog->nlines = e.nlines;
  if (g->high > g->scratch_max) g->scratch_max = g->high;
  vec_push(&g->progs, g->arena, bprog);
  bp->prog = (uint32_t)g->progs.len - 1;
  vec_push(&g->probes, g->arena, bp);
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
  g->diag = d;
  g->lim = (BoLimits){.maxstringlen = 128, .maxmapentries = 2048, .maxaction = 1000,
                      .maxnesting = 10, .maxerrors = 0, .maxskipped = 100,
                      .ringbuf_size = 1u << 22};
  if (o->defines)
    for (size_t i = 0; i < o->defines->len; i++) set_limit(g, o->defines->items[i]);
  if (g->lim.maxstringlen < 16) g->lim.maxstringlen = 16;
  if (g->lim.maxstringlen > 4096) g->lim.maxstringlen = 4096;
  g->lim.maxstringlen = (g->lim.maxstringlen + 7) & ~7u;
  g->S = g->lim.maxstringlen;
  layout_globals(g);
  g->globals_map = add_map(g, "ctap_globals", BPF_MAP_TYPE_ARRAY, 4, 0, 1, BPF_F_MMAPABLE);
  g->ringbuf_map = add_map(g, "ctap_output", BPF_MAP_TYPE_RINGBUF, 0, 0, g->lim.ringbuf_size, 0);
  g->scratch_map = add_map(g, "ctap_scratch", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 0, 1, 0);
  for (size_t i = 0; i < g->globals.len; i++) {
    BoGlobal *bg = g->globals.items[i];
    if (bg->arity == 0 && bg->type != BO_STATS) bg->map = g->globals_map;
  }
  for (size_t i = 0; i < prog->probes.len && !g->failed; i++)
    gen_probe(g, prog->probes.items[i], (uint32_t)i);
  hashmap_free(&g->gglobals);
  hashmap_free(&g->fmt_index);
  if (g->failed || d->errors) {
    for (size_t i = 0; i < g->progs.len; i++) {
      BoProg *bp = g->progs.items[i];
      free(bp->insns);
      free(bp->relocs);
      free(bp->lines);
    }
    return NULL;
  }

  BoObject *obj = arena_alloc(a, sizeof *obj);
  obj->name = o->module_name ? o->module_name : "stap";
  obj->release = t->kernel ? t->kernel->release : "";
  obj->limits = g->lim;
  ((BoMap *)g->maps.items[g->globals_map])->value_size = g->globals_size;
  /* Scratch: the largest program's, plus a string of slack so that
   * variable-offset string copies stay in bounds. */
  obj->scratch_size = ((g->scratch_max + 2 * g->S + 64) + 7) & ~7u;
  ((BoMap *)g->maps.items[g->scratch_map])->value_size = obj->scratch_size;
  TO_ARRAY(g, g->maps, BoMap, obj->maps, obj->nmaps);
  TO_ARRAY(g, g->progs, BoProg, obj->progs, obj->nprogs);
  TO_ARRAY(g, g->probes, BoProbe, obj->probes, obj->nprobes);
  TO_ARRAY(g, g->globals, BoGlobal, obj->globals, obj->nglobals);
  TO_ARRAY(g, g->sites, BoSite, obj->sites, obj->nsites);
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
  obj->scratch_size = obj->scratch_size;
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
  }
  return obj;
}
