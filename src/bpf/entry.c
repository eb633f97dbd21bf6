/* entry: what a kernel.function(...).return (or process().function().return)
 * probe takes from the call's
 * entry: @entry(expr), and the function's parameters ($file, ...),
 * which in a .return probe are their values at entry (stapprobes).  A
 * kretprobe's registers at return no longer hold them.  A syscall.NAME
 * .return probe takes its @entry values the same way (its arguments are
 * still in the registers at return); its companion is a syscall probe
 * on the call's entry (codegen.c places it in a sys_enter program).
 *
 * Such a probe gets a companion kprobe on the same function, generated
 * first: it evaluates every capture (each @entry's operand, each
 * parameter read) and stores them, laid out one after the other (8
 * bytes for a number, maxstringlen for a string), in the hash map
 * "ctap_entry_N" under the thread's pid_tgid.  The return program looks
 * the thread's entry up, leaves at once without one (a call that began
 * before the probes were attached), copies it into its scratch and
 * deletes it; the captures then read from there.  What a parameter
 * points to is read at return ($file->f_inode: the pointer from entry,
 * the inode as it is at return), as in stap.  A function that recurses
 * into itself on one thread keeps the innermost call's values only. */
#include <string.h>

#include "bpf/gen.h"

#define E (g->e)

enum { ENTRY_MAX_THREADS = 8192 }; /* calls in flight at once */

typedef struct Capture {
  const Expr *entry;     /* an @entry node, or NULL */
  const TargetVar *var;  /* else a parameter */
  bool is_str;
  uint32_t off;          /* in the entry value */
} Capture;

struct GEntry {
  Probe *ret;            /* the .return probe */
  Probe *call;           /* its companion on the entry */
  Vec caps;              /* Capture* */
  uint32_t size;         /* of the entry value */
  uint32_t map;
  uint32_t base;         /* return program: the value's copy in scratch */
};

typedef struct Scan {
  Gen *g;
  GEntry *en;
} Scan;

static bool is_param(const Probe *p, const TargetVar *v) {
  if (!v || !strcmp(v->name, "return")) return false;
  for (size_t i = 0; i < p->vars.len; i++)
    if (p->vars.items[i] == v) return true;
  return false;
}

static void add_capture(Scan *s, const Expr *entry, const TargetVar *var, bool is_str) {
  GEntry *en = s->en;
  for (size_t i = 0; i < en->caps.len; i++) {
    const Capture *c = en->caps.items[i];
    if ((entry && c->entry == entry) || (var && c->var == var)) return;
  }
  Capture *c = arena_alloc(s->g->arena, sizeof *c);
  *c = (Capture){.entry = entry, .var = var, .is_str = is_str, .off = en->size};
  en->size += is_str ? (s->g->S + 7) & ~7u : 8;
  vec_push(&en->caps, s->g->arena, c);
}

static void scan(Expr *x, void *ctx) {
  Scan *s = ctx;
  if (x->kind == E_ENTRY) add_capture(s, x, NULL, x->vtype == VT_STRING);
  else if (x->kind == E_TARGET && s->en->ret->family != PF_SYSCALL && !s->g->fentry &&
           is_param(s->en->ret, x->ref))
    add_capture(s, NULL, x->ref, false); /* fexit has them itself */
}

GEntry *entry_plan(Gen *g, Probe *p) {
  if ((p->family != PF_KFUNC && p->family != PF_SYSCALL && p->family != PF_UFUNC) ||
      !p->is_return)
    return NULL;
  GEntry *en = arena_alloc(g->arena, sizeof *en);
  en->ret = p;
  Scan s = {g, en};
  ast_walk_stmt(p->body, scan, &s);
  if (p->cond) ast_walk_expr(p->cond, scan, &s);
  if (!en->caps.len) return NULL;
  en->map = gen_add_map(g, arena_printf(g->arena, "ctap_entry_%zu", g->maps.len),
                        BPF_MAP_TYPE_HASH, 8, en->size, ENTRY_MAX_THREADS);
  Probe *c = arena_alloc(g->arena, sizeof *c);
  *c = *p;
  c->is_return = false;
  c->cond = NULL;
  c->locals = (Vec){0};
  c->body = ast_stmt(g->arena, S_BLOCK, p->body ? p->body->loc : (SrcLoc){0});
  en->call = c;
  return en;
}

Probe *entry_probe(const GEntry *en) { return en->call; }

/* key (scratch) = this thread's pid_tgid */
static uint32_t thread_key(Gen *g) {
  uint32_t key = gen_tmp(g, 8);
  emit_call(E, BPF_FUNC_get_current_pid_tgid);
  emit_stx(E, BPF_DW, R_SCR, (int16_t)key, R0);
  return key;
}

void entry_capture(Gen *g, const GEntry *en) {
  uint32_t val = gen_tmp(g, en->size);
  for (size_t i = 0; i < en->caps.len && !g->failed; i++) {
    const Capture *c = en->caps.items[i];
    uint32_t mark = g->top;
    if (c->var) {
      Expr x = {.kind = E_TARGET, .name = c->var->name, .ref = (void *)c->var,
                .loc = en->ret->item ? en->ret->item->loc : (SrcLoc){0}};
      gen_long(g, &x);
      emit_stx(E, BPF_DW, R_SCR, (int16_t)(val + c->off), R0);
    } else if (c->is_str) {
      gen_line(g, c->entry->loc);
      str_into(g, c->entry->l, scr(val + c->off));
    } else {
      gen_line(g, c->entry->loc);
      gen_long(g, c->entry->l);
      emit_stx(E, BPF_DW, R_SCR, (int16_t)(val + c->off), R0);
    }
    g->top = mark;
  }
  uint32_t key = thread_key(g);
  map_call(g, BPF_FUNC_map_update_elem, en->map, key, (int)val, BPF_ANY);
}

void entry_restore(Gen *g, GEntry *en) {
  en->base = gen_tmp(g, en->size);
  uint32_t key = thread_key(g);
  map_call(g, BPF_FUNC_map_lookup_elem, en->map, key, -1, 0);
  emit_jmp(E, BPF_JEQ, R0, 0, 0, false, g->out_label);
  for (uint32_t i = 0; i < en->size; i += 8) {
    emit_ldx(E, BPF_DW, R1, R0, (int16_t)i);
    emit_stx(E, BPF_DW, R_SCR, (int16_t)(en->base + i), R1);
  }
  map_call(g, BPF_FUNC_map_delete_elem, en->map, key, -1, 0);
}

/* The capture of an @entry node or a parameter in the return program. */
static const Capture *find(const GEntry *en, const Expr *entry, const TargetVar *var) {
  for (size_t i = 0; en && i < en->caps.len; i++) {
    const Capture *c = en->caps.items[i];
    if ((entry && c->entry == entry) || (var && c->var == var)) return c;
  }
  return NULL;
}

bool entry_value(Gen *g, const Expr *entry, const TargetVar *var) {
  const Capture *c = find(g->entry, entry, var);
  if (!c || c->is_str) return false;
  emit_ldx(E, BPF_DW, R0, R_SCR, (int16_t)(g->entry->base + c->off));
  return true;
}

bool entry_string(Gen *g, const Expr *entry, Loc *at) {
  const Capture *c = find(g->entry, entry, NULL);
  if (!c || !c->is_str) return false;
  *at = scr(g->entry->base + c->off);
  return true;
}
