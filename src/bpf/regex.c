/* regex: pass 3's regular expressions: `s =~ "re"`, `s !~ "re"`,
 * matched(n) and ngroups() (runtime/common/regex.h has the dialect).
 *
 * Every pattern goes into one read-only map, "ctap_regex" (a one-element
 * array that staprun loads from BoMap.init and freezes), laid out as
 * bo.h's BoRegex says.  A kernel program matches with the pattern's DFA:
 * a loop of at most maxstringlen steps, one per byte of the subject and
 * its NUL, that looks the byte's class and the next state up in the map,
 * and stops in the accepting or the dead state (the DFA searches: it
 * restarts the pattern at every position).  A user program calls
 * staprun's BO_H_REGEX, which matches with the same engine and keeps the
 * match for matched() and ngroups(); those need the match's positions,
 * which a DFA does not give, so kernel programs do not have them. */
#include <stdio.h>
#include <string.h>

#include "bpf/gen.h"
#include "front/ast.h"
#include "runtime/common/regex.h"

#define E (g->e)

/* The DFA a kernel program may use, and the bytes of its table. */
enum { MAX_DFA_STATES = 4096, MAX_DFA_BYTES = 1 << 19 };

/* One pattern in the map: for user programs (no DFA) or kernel ones. */
typedef struct GRe {
  struct GRe *next;
  const char *pat;
  size_t len;
  bool dfa;
  uint32_t off;         /* its BoRegex in the map's value */
  uint32_t start, nclasses, mask; /* its DFA: the table's cells - 1 */
} GRe;

struct GRegex {
  uint32_t map;
  unsigned char *blob;  /* the map's value */
  uint32_t len, cap;
  GRe *list;
};

static uint32_t pad8(uint32_t n) { return (n + 7) & ~7u; }

/* Append n bytes to the map's value, which the BoMap then names. */
static uint32_t blob_add(Gen *g, const void *p, uint32_t n) {
  GRegex *r = g->regex;
  if (r->len + n > r->cap) {
    uint32_t cap = r->cap ? r->cap : 1024;
    while (cap < r->len + n) cap *= 2;
    unsigned char *b = arena_alloc(g->arena, cap);
    if (r->len) memcpy(b, r->blob, r->len);
    r->blob = b;
    r->cap = cap;
  }
  uint32_t off = r->len;
  memcpy(r->blob + off, p, n);
  r->len += pad8(n);
  BoMap *m = g->maps.items[r->map];
  m->init = r->blob;
  m->value_size = r->len;
  return off;
}

/* The pattern of x (=~ or !~), in the map; NULL if reported. */
static GRe *pattern(Gen *g, Expr *x, bool dfa) {
  Expr *p = x->r;
  if (p->kind != E_STR) {
    gen_error(g, p->loc, "the regular expression must be a literal string");
    return NULL;
  }
  if (!g->regex) {
    g->regex = arena_alloc(g->arena, sizeof *g->regex);
    g->regex->map = gen_add_map(g, "ctap_regex", BPF_MAP_TYPE_ARRAY, 4, 8, 1);
    ((BoMap *)g->maps.items[g->regex->map])->flags = BPF_F_RDONLY_PROG;
  }
  for (GRe *e = g->regex->list; e; e = e->next)
    if (e->dfa == dfa && e->len == p->len && !memcmp(e->pat, p->str, p->len)) return e;
  ReError err;
  Regex *re = re_compile(p->str, p->len, &err);
  if (!re) {
    gen_error(g, p->loc, "regex compilation error (at position %zu): %s", err.pos, err.msg);
    return NULL;
  }
  ReDfa d = {0};
  bool ok = !dfa || re_dfa(re, MAX_DFA_STATES, &d, &err);
  re_free(re);
  /* the table's cells: a power of two, so that a mask bounds an index */
  uint32_t cells = 1;
  while (dfa && ok && cells < d.nstates * d.nclasses) cells *= 2;
  if (dfa && ok && (uint64_t)cells * 2 > MAX_DFA_BYTES) {
    ok = false;
    snprintf(err.msg, sizeof err.msg, "its automaton needs %u states of %u classes",
             d.nstates, d.nclasses);
  }
  if (!ok) {
    gen_error(g, p->loc, "the regular expression \"%s\" is too complex for a kernel probe on "
              "the bpf runtime: %s", p->str, err.msg);
    re_dfa_free(&d);
    return NULL;
  }
  GRe *e = arena_alloc(g->arena, sizeof *e);
  *e = (GRe){.next = g->regex->list, .pat = p->str, .len = p->len, .dfa = dfa};
  BoRegex h = {.pattern_off = sizeof h, .pattern_len = (uint32_t)p->len};
  if (dfa) {
    h.nclasses = d.nclasses;
    h.ncells = cells;
    h.pattern_off += 256 + pad8(cells * 2);
    e->start = d.start;
    e->mask = cells - 1;
    e->nclasses = d.nclasses;
  }
  e->off = blob_add(g, &h, sizeof h);
  if (dfa) {
    blob_add(g, d.classes, sizeof d.classes);
    uint16_t *t = arena_alloc(g->arena, cells * 2); /* zeros: dead */
    memcpy(t, d.table, (size_t)d.nstates * d.nclasses * 2);
    blob_add(g, t, cells * 2);
  }
  char *text = arena_alloc(g->arena, p->len + 1);
  memcpy(text, p->str, p->len);
  blob_add(g, text, (uint32_t)p->len + 1);
  re_dfa_free(&d);
  g->regex->list = e;
  return e;
}

/* r0 = the subject at s matches e's DFA.  The verifier walks the loop
 * once per byte with the position known, and keeps every branch it cannot
 * decide for later, at most 8192 of them, while a subject has up to 4096
 * bytes: so each step has one such branch (a mask, not a test, keeps the
 * table index in bounds), and the path it follows first is the exit (the
 * one it keeps for later is the next step), so that what follows the loop
 * is checked before the next step, not with 4096 steps pending. */
static void dfa_match(Gen *g, GRe *e, Loc s) {
  uint32_t mark = g->top, key = gen_tmp(g, 8);
  uint32_t loop = emit_label(E), next = emit_label(E), none = emit_label(E);
  uint32_t done = emit_label(E);
  const int16_t classes = (int16_t)sizeof(BoRegex), table = classes + 256;
  emit_st(E, BPF_W, R_SCR, (int16_t)key, 0);
  emit_map(E, R1, g->regex->map);
  emit_mov(E, R2, R_SCR);
  emit_alu_imm(E, BPF_ADD, R2, (int32_t)key);
  emit_call(E, BPF_FUNC_map_lookup_elem);
  emit_jmp(E, BPF_JEQ, R0, 0, 0, false, none);
  /* r1 the subject, r2 this pattern's BoRegex, r3 the position, r4 the
   * state, r5 the byte and its class */
  emit_mov(E, R2, R0);
  if (e->off) emit_alu_imm(E, BPF_ADD, R2, (int32_t)e->off);
  ptr_of(g, R1, s);
  emit_mov_imm(E, R3, 0);
  emit_mov_imm(E, R4, e->start);
  emit_bind(E, loop);
  emit_jmp(E, BPF_JGE, R3, 0, (int32_t)g->S, false, none);
  emit_mov(E, R5, R1);
  emit_alu(E, BPF_ADD, R5, R3);
  emit_ldx(E, BPF_B, R5, R5, 0);
  emit_alu(E, BPF_ADD, R5, R2);
  emit_ldx(E, BPF_B, R5, R5, classes);
  emit_alu_imm(E, BPF_MUL, R4, (int32_t)e->nclasses);
  emit_alu(E, BPF_ADD, R4, R5);
  emit_alu_imm(E, BPF_AND, R4, (int32_t)e->mask); /* no-op bounds, for the verifier */
  emit_alu_imm(E, BPF_LSH, R4, 1);
  emit_alu(E, BPF_ADD, R4, R2);
  emit_ldx(E, BPF_H, R4, R4, table);
  emit_jmp(E, BPF_JGE, R4, 0, RE_DFA_START, false, next);
  emit_ja(E, done);
  emit_bind(E, next);
  emit_alu_imm(E, BPF_ADD, R3, 1);
  emit_ja(E, loop);
  emit_bind(E, none);
  emit_mov_imm(E, R4, RE_DFA_DEAD);
  emit_bind(E, done);
  emit_mov(E, R0, R4);
  g->top = mark;
}

void gen_regex_match(Gen *g, Expr *x) {
  GRe *e = pattern(g, x, !g->user);
  if (!e) return;
  uint32_t mark = g->top;
  Loc s = str_loc(g, x->l);
  if (g->user) {
    emit_mov_imm(E, R1, BO_RE_MATCH);
    emit_map(E, R2, g->regex->map);
    emit_mov_imm(E, R3, e->off);
    ptr_of(g, R4, s);
    emit_call(E, BO_H_REGEX);
  } else if (e->start == RE_DFA_ACCEPT) {
    emit_mov_imm(E, R0, 1); /* every string matches */
  } else {
    dfa_match(g, e, s);
  }
  if (x->op == OP_NMATCH) emit_alu_imm(E, BPF_XOR, R0, 1);
  g->top = mark;
}

/* After a BO_H_REGEX call that may fail (r0 < 0, its message in the
 * error record): raise it at x. */
static void raise_on_failure(Gen *g, Expr *x) {
  uint32_t ok = emit_label(E);
  emit_jmp(E, BPF_JSGE, R0, 0, 0, false, ok);
  emit_st(E, BPF_W, g->base_reg, ERR_KIND, BO_ERR_USER);
  emit_st(E, BPF_W, g->base_reg, ERR_SITE,
          (int32_t)gen_site(g, x->loc, arena_printf(g->arena, "identifier '%s'", x->name)));
  emit_st(E, BPF_DW, g->base_reg, ERR_ARG, 0);
  gen_raise(g);
  emit_bind(E, ok);
}

static bool user_only(Gen *g, Expr *x) {
  if (g->user) return true;
  gen_error(g, x->loc, "%s() is not available in a kernel-context probe on the bpf runtime: "
            "there =~ only tells whether the string matches; use %s() in a begin, end, "
            "error or timer probe", x->name, x->name);
  return false;
}

void gen_regex_matched(Gen *g, Expr *x, Loc dst) {
  if (!user_only(g, x)) return;
  gen_long(g, x->args.items[0]);
  emit_mov(E, R2, R0);
  emit_mov_imm(E, R1, BO_RE_MATCHED);
  ptr_of(g, R3, dst);
  emit_mov(E, R4, g->base_reg);
  emit_alu_imm(E, BPF_ADD, R4, ERR_MSG);
  emit_call(E, BO_H_REGEX);
  raise_on_failure(g, x);
}

void gen_regex_ngroups(Gen *g, Expr *x) {
  if (!user_only(g, x)) return;
  emit_mov_imm(E, R1, BO_RE_NGROUPS);
  emit_mov(E, R2, g->base_reg);
  emit_alu_imm(E, BPF_ADD, R2, ERR_MSG);
  emit_call(E, BO_H_REGEX);
  raise_on_failure(g, x);
}
