/* stmt: pass 3's translation of statements: blocks, conditionals, loops
 * (each pass counted against MAXACTION, which also bounds loops for the
 * kernel's verifier), foreach over a map (user programs, through
 * staprun's iterator helpers), delete, next/return/break/continue, and
 * try/catch (a handler for the errors raised inside, see expr.c). */
#include <stddef.h>
#include <string.h>

#include "bpf/gen.h"
#include "front/ast.h"

#define E (g->e)

/* The statements one pass of loop body s runs, as stap counts them
 * against MAXACTION: each statement, through blocks, the longer branch
 * of an if or a try; a nested loop is one statement here and counts its
 * own passes. */
static uint32_t body_actions(const Stmt *s) {
  if (!s) return 0;
  switch (s->kind) {
  case S_NULL: return 0;
  case S_BLOCK: {
    uint32_t n = 0;
    for (size_t i = 0; i < s->stmts.len; i++) n += body_actions(s->stmts.items[i]);
    return n;
  }
  case S_IF:
  case S_TRY: {
    uint32_t a = body_actions(s->body), b = body_actions(s->els);
    return 1 + (a > b ? a : b);
  }
  default: return 1;
  }
}

/* The probe's MAXACTION: MAXACTION_INTERRUPTIBLE in begin, end and
 * error probes, which stap runs with interrupts enabled. */
static uint32_t probe_maxaction(Gen *g) {
  ProbeFamily f = g->probe->family;
  uint32_t max = f == PF_BEGIN || f == PF_END || f == PF_ERROR ? g->maxaction_intr
                                                               : g->lim.maxaction;
  return max < INT32_MAX ? max : INT32_MAX;
}

/* One more pass of loop s: it counts as its test and the statements of
 * its body against the probe's MAXACTION. */
static void count_action(Gen *g, const Stmt *s) {
  uint32_t max = probe_maxaction(g);
  uint32_t n = 1 + body_actions(s->body);
  emit_ldx(E, BPF_DW, R1, g->base_reg, ACTION_OFF);
  emit_alu_imm(E, BPF_ADD, R1, (int32_t)(n < INT32_MAX ? n : INT32_MAX));
  emit_stx(E, BPF_DW, g->base_reg, ACTION_OFF, R1);
  check_error(g, BPF_JLE, R1, (int32_t)max, BO_ERR_MAXACTION,
              gen_site(g, s->loc, "keyword"));
}

static void push_loop(Gen *g, uint32_t brk, uint32_t cont, SrcLoc loc) {
  if (g->nloops == (int)(sizeof g->loops / sizeof *g->loops)) {
    gen_error(g, loc, "loops nest too deeply");
    return;
  }
  g->loops[g->nloops++] = (Loop){.brk = brk, .cont = cont};
}

static void gen_effect(Gen *g, Expr *x);

/* One pass of while/for s: the condition (false: to brk), the count
 * against MAXACTION, the body, the step; then to next. */
static void loop_pass(Gen *g, Stmt *s, uint32_t next, uint32_t brk) {
  uint32_t cont = emit_label(E);
  if (s->cond) gen_cond_false(g, s->cond, brk);
  count_action(g, s);
  push_loop(g, brk, cont, s->loc);
  gen_stmt(g, s->body);
  g->nloops--;
  emit_bind(E, cont);
  if (!emit_reachable(E)) return; /* the body always leaves */
  if (s->step) gen_effect(g, s->step);
  emit_ja(E, next);
}

/* ---- Loop bodies in kernel programs ----
 *
 * The verifier cannot see a script loop end, so in a kernel program each
 * pass of a while or for is a bpf_loop body (loop.c), run at most
 * MAXACTION + 1 times (MAXACTION ends it first), and each element of a
 * foreach a bpf_for_each_map_elem body.  A body is a function of its
 * own: what leaves the loop other than its end (an error, next or a
 * probe's return, a function's return) cannot jump out, so it records why
 * in a flag and stops the loop; after the helper the program acts on it. */
enum { LX_DONE, LX_ERROR, LX_NEXT, LX_RETURN };

typedef struct KExit {
  uint32_t flag;      /* u64: the LX_ reason */
  uint32_t ret;       /* u64: a long function result being returned */
  bool error, next, ret_used; /* which ways out the body took */
  /* while the body is generated: its own handler, and what it replaces */
  Handler h, *handler;
  uint32_t out, ret_label;
  Inline *in;
} KExit;

/* Before the helper call: the flag, LX_DONE. */
static void kexit_init(Gen *g, KExit *k) {
  k->flag = gen_tmp(g, 8);
  k->ret = gen_tmp(g, 8);
  emit_st(E, BPF_DW, R_SCR, (int16_t)k->flag, LX_DONE);
}

/* At the body's start: the ways out lead to labels of the body's own. */
static void kexit_open(Gen *g, KExit *k) {
  k->handler = g->handler;
  k->h = (Handler){.label = emit_label(E)};
  g->handler = &k->h;
  k->out = g->out_label;
  g->out_label = emit_label(E);
  k->in = g->ninl ? &g->inl[g->ninl - 1] : NULL;
  if (k->in) {
    k->ret_label = k->in->ret_label;
    k->in->ret_label = emit_label(E);
  }
}

/* Leave the body through label (if anything jumps there): flag = why. */
static bool kexit_leave(Gen *g, KExit *k, uint32_t label, int why, uint32_t stop) {
  if (!emit_label_used(E, label)) return false;
  emit_bind(E, label);
  if (why == LX_RETURN) emit_stx(E, BPF_DW, R_SCR, (int16_t)k->ret, R0);
  emit_st(E, BPF_DW, R_SCR, (int16_t)k->flag, why);
  emit_ja(E, stop);
  return true;
}

/* At the body's end: the ways out it took, then the state restored. */
static void kexit_close(Gen *g, KExit *k, uint32_t stop) {
  if (k->h.used) k->error = kexit_leave(g, k, k->h.label, LX_ERROR, stop);
  k->next = kexit_leave(g, k, g->out_label, LX_NEXT, stop);
  if (k->in) {
    k->ret_used = kexit_leave(g, k, k->in->ret_label, LX_RETURN, stop);
    k->in->ret_label = k->ret_label;
  }
  g->handler = k->handler;
  g->out_label = k->out;
}

/* After the helper call: take the way out the body recorded. */
static void kexit_dispatch(Gen *g, KExit *k) {
  if (k->error || k->next || k->ret_used) emit_ldx(E, BPF_DW, R1, R_SCR, (int16_t)k->flag);
  if (k->next) emit_jmp(E, BPF_JEQ, R1, 0, LX_NEXT, false, g->out_label);
  if (k->ret_used) {
    uint32_t no = emit_label(E);
    emit_jmp(E, BPF_JNE, R1, 0, LX_RETURN, false, no);
    emit_ldx(E, BPF_DW, R0, R_SCR, (int16_t)k->ret);
    emit_ja(E, g->inl[g->ninl - 1].ret_label);
    emit_bind(E, no);
  }
  if (k->error) {
    uint32_t no = emit_label(E);
    emit_jmp(E, BPF_JNE, R1, 0, LX_ERROR, false, no);
    gen_raise(g);
    emit_bind(E, no);
  }
}

typedef struct KLoop {
  Stmt *s;
  KExit x;
} KLoop;

static void kloop_body(Gen *g, void *arg, uint32_t next, uint32_t stop) {
  KLoop *k = arg;
  kexit_open(g, &k->x);
  loop_pass(g, k->s, next, stop);
  kexit_close(g, &k->x, stop);
}

static void gen_kernel_loop(Gen *g, Stmt *s) {
  uint32_t mark = g->top;
  KLoop *k = arena_alloc(g->arena, sizeof *k);
  *k = (KLoop){.s = s};
  kexit_init(g, &k->x);
  uint64_t count = (uint64_t)probe_maxaction(g) + 1;
  gen_bpf_loop(g, count < BPF_LOOP_MAX ? (uint32_t)count : BPF_LOOP_MAX, kloop_body, k);
  kexit_dispatch(g, &k->x);
  g->top = mark;
}

/* Evaluate x for its effects. */
static void gen_effect(Gen *g, Expr *x) {
  uint32_t mark = g->top;
  if (x->vtype == VT_STRING && !(x->kind == E_ASSIGN)) {
    Loc t = scr(gen_tmp(g, g->S));
    str_into(g, x, t);
  } else if (x->kind == E_CALL) {
    gen_call(g, x, NULL);
  } else {
    gen_long(g, x);
  }
  g->top = mark;
}

/* ---- try/catch ---- */

/* Append the number in r1 to the string at dst: in decimal, or as 16 hex
 * digits.  The digits go backwards into a temporary, r4 counting down
 * (which also bounds the loop for the verifier). */
static void append_number(Gen *g, Loc dst, bool hex) {
  uint32_t mark = g->top, t = gen_tmp(g, 24);
  emit_st(E, BPF_B, R_SCR, (int16_t)(t + 20), 0);
  emit_mov_imm(E, R4, 20);
  uint32_t top = emit_label(E), done = emit_label(E);
  emit_bind(E, top);
  emit_alu_imm(E, BPF_ADD, R4, -1);
  emit_mov(E, R3, R1);
  if (hex) {
    uint32_t digit = emit_label(E);
    emit_alu_imm(E, BPF_AND, R3, 15);
    emit_jmp(E, BPF_JLT, R3, 0, 10, false, digit);
    emit_alu_imm(E, BPF_ADD, R3, 'a' - '0' - 10);
    emit_bind(E, digit);
    emit_alu_imm(E, BPF_ADD, R3, '0');
    emit_alu_imm(E, BPF_RSH, R1, 4);
  } else {
    emit_alu_imm(E, BPF_MOD, R3, 10);
    emit_alu_imm(E, BPF_ADD, R3, '0');
    emit_alu_imm(E, BPF_DIV, R1, 10);
  }
  emit_mov(E, R5, R_SCR);
  emit_alu_imm(E, BPF_ADD, R5, (int32_t)t);
  emit_alu(E, BPF_ADD, R5, R4);
  emit_stx(E, BPF_B, R5, 0, R3);
  if (hex) {
    emit_jmp(E, BPF_JGT, R4, 0, 4, false, top);
  } else {
    emit_jmp(E, BPF_JEQ, R1, 0, 0, false, done);
    emit_jmp(E, BPF_JGT, R4, 0, 0, false, top);
  }
  emit_bind(E, done);
  /* dst .= the digits at t + r4 (kept across gen_strlen_at's call on the
   * stack, where the verifier keeps its bounds) */
  emit_stx(E, BPF_DW, R_FP, -24, R4);
  gen_strlen_at(g, dst);
  emit_ldx(E, BPF_DW, R4, R_FP, -24);
  ptr_of(g, R1, dst);
  emit_alu(E, BPF_ADD, R1, R0);
  emit_mov_imm(E, R2, g->S);
  emit_alu(E, BPF_SUB, R2, R0);
  emit_mov(E, R3, R_SCR);
  emit_alu_imm(E, BPF_ADD, R3, (int32_t)t);
  emit_alu(E, BPF_ADD, R3, R4);
  emit_call(E, BPF_FUNC_probe_read_kernel_str);
  g->top = mark;
}

static void append_literal(Gen *g, Loc dst, const char *text) {
  uint32_t mark = g->top;
  Loc t = scr(gen_tmp(g, g->S));
  put_literal(g, t, text, strlen(text));
  append_str(g, dst, t);
  g->top = mark;
}

/* dst = the message of the error at ERR_OFF, as staprun words it (see
 * output.c), without the "near ..." that locates it. */
static void gen_error_message(Gen *g, Loc dst) {
  if (dst.reg != R_SCR) {
    /* built in scratch (whose slack the verifier sees the appends fit
     * in), then copied */
    uint32_t mark = g->top;
    Loc t = scr(gen_tmp(g, g->S));
    gen_error_message(g, t);
    copy_str(g, dst, t);
    g->top = mark;
    return;
  }
  uint8_t b = g->base_reg;
  uint32_t done = emit_label(E), user = emit_label(E), overflow = emit_label(E),
           fixed[BO_ERR_COUNT], address[BO_ERR_COUNT];
  emit_ldx(E, BPF_W, R1, b, ERR_KIND);
  emit_jmp(E, BPF_JEQ, R1, 0, BO_ERR_USER, false, user);
  for (int k = 0; k < BO_ERR_COUNT; k++) {
    const char *before, *after;
    if (bo_error_address_text((uint32_t)k, &before, &after)) {
      address[k] = emit_label(E);
      emit_jmp(E, BPF_JEQ, R1, 0, k, false, address[k]);
    }
  }
  emit_jmp(E, BPF_JEQ, R1, 0, BO_ERR_OVERFLOW, false, overflow);
  for (int k = 0; k < BO_ERR_COUNT; k++) {
    if (!bo_error_text((uint32_t)k) || k == BO_ERR_OVERFLOW) continue;
    fixed[k] = emit_label(E);
    emit_jmp(E, BPF_JEQ, R1, 0, k, false, fixed[k]);
  }
  put_literal(g, dst, "error", 5);
  emit_ja(E, done);
  for (int k = 0; k < BO_ERR_COUNT; k++) {
    const char *text = bo_error_text((uint32_t)k);
    if (!text || k == BO_ERR_OVERFLOW) continue;
    emit_bind(E, fixed[k]);
    put_literal(g, dst, text, strlen(text));
    emit_ja(E, done);
  }
  emit_bind(E, user);
  copy_str(g, dst, (Loc){.reg = b, .off = ERR_MSG});
  emit_ja(E, done);
  for (int k = 0; k < BO_ERR_COUNT; k++) {
    const char *before, *after;
    if (!bo_error_address_text((uint32_t)k, &before, &after)) continue;
    emit_bind(E, address[k]);
    put_literal(g, dst, before, strlen(before));
    emit_ldx(E, BPF_DW, R1, b, ERR_ARG);
    append_number(g, dst, true);
    if (*after) append_literal(g, dst, after);
    emit_ja(E, done);
  }
  /* an overflow names the array's size when it has one */
  emit_bind(E, overflow);
  uint32_t plain = emit_label(E);
  emit_ldx(E, BPF_DW, R1, b, ERR_ARG);
  emit_jmp(E, BPF_JEQ, R1, 0, 0, false, plain);
  put_literal(g, dst, "Array overflow, check size limit (", 34);
  emit_ldx(E, BPF_DW, R1, b, ERR_ARG);
  append_number(g, dst, false);
  append_literal(g, dst, ")");
  emit_ja(E, done);
  emit_bind(E, plain);
  const char *text = bo_error_text(BO_ERR_OVERFLOW);
  put_literal(g, dst, text, strlen(text));
  emit_bind(E, done);
}

/* try { body } catch [(var)] { els }: errors in body go to the catch,
 * which receives their message; the catch's own go further out. */
static void gen_try(Gen *g, Stmt *s) {
  Handler h = {.label = emit_label(E)};
  Handler *outer = g->handler;
  g->handler = &h;
  gen_stmt(g, s->body);
  g->handler = outer;
  if (!h.used) return; /* nothing in it can fail: the catch never runs */
  uint32_t done = emit_label(E);
  if (emit_reachable(E)) emit_ja(E, done);
  emit_bind(E, h.label);
  const Symbol *v = s->catch_ref;
  if (v) {
    gen_line(g, s->catch_loc);
    Expr ve = {.kind = E_VAR, .ref = (void *)v, .vtype = VT_STRING, .loc = s->catch_loc};
    Loc dst;
    if (!str_in_place(g, &ve, &dst)) {
      gen_error(g, s->catch_loc, "the catch variable '%s' is not available here", v->name);
      return;
    }
    gen_error_message(g, dst);
  }
  gen_stmt(g, s->els);
  emit_bind(E, done);
}

/* Copy each index of the key at scratch key into the foreach's key
 * variables. */
static void unpack_key(Gen *g, Stmt *s, GGlobal *gg, uint32_t key) {
  for (size_t i = 0; i < s->keys.len && i < 9; i++) {
    Expr *k = s->keys.items[i];
    const Symbol *ks = k->ref;
    Loc dst;
    if (!ks || !str_in_place(g, k, &dst)) {
      gen_error(g, k->loc, "foreach key must be a local variable");
      return;
    }
    uint32_t off = key + gg->key_off[i];
    if (ks->type == VT_STRING) {
      copy_str(g, dst, scr(off));
    } else {
      emit_ldx(E, BPF_DW, R0, R_SCR, (int16_t)off);
      emit_stx(E, BPF_DW, dst.reg, (int16_t)dst.off, R0);
    }
  }
}

/* Where `v = [k] in a` puts the value: false (an error given) if it
 * cannot. */
static bool value_var(Gen *g, Stmt *s, GGlobal *gg, Loc *dst) {
  /* the value variable is the first local of that name */
  const Symbol *vs = NULL;
  for (size_t i = 0; i < g->probe->locals.len; i++) {
    const Symbol *l = g->probe->locals.items[i];
    if (strcmp(l->name, s->value_var) == 0) vs = l;
  }
  Expr ve = {.kind = E_VAR, .ref = (void *)vs, .vtype = gg->sym->type, .loc = s->loc};
  if (!vs || !str_in_place(g, &ve, dst)) {
    gen_error(g, s->loc, "foreach value variable '%s' is not available here", s->value_var);
    return false;
  }
  if (gg->sym->type == VT_STATS) {
    gen_error(g, s->loc, "the value of a statistic: use @count, @sum ... on it");
    return false;
  }
  return true;
}

/* Copy the value at the address in r3 (NULL: none, the value is 0 or "")
 * into dst. */
static void copy_value(Gen *g, GGlobal *gg, Loc dst) {
  uint32_t none = emit_label(E), done = emit_label(E);
  emit_jmp(E, BPF_JEQ, R3, 0, 0, false, none);
  if (gg->sym->type == VT_STRING) {
    ptr_of(g, R1, dst);
    emit_mov_imm(E, R2, g->S);
    emit_call(E, BPF_FUNC_probe_read_kernel_str);
  } else {
    emit_ldx(E, BPF_DW, R0, R3, 0);
    emit_stx(E, BPF_DW, dst.reg, (int16_t)dst.off, R0);
  }
  emit_ja(E, done);
  emit_bind(E, none);
  emit_st(E, gg->sym->type == VT_STRING ? BPF_B : BPF_DW, dst.reg, (int16_t)dst.off, 0);
  emit_bind(E, done);
}

/* A foreach in a kernel program: each element a bpf_for_each_map_elem
 * body, in the map's own order (sorting needs every element first). */
typedef struct KForeach {
  Stmt *s;
  GGlobal *gg;
  uint32_t key;    /* the element's key, copied */
  uint32_t limit;  /* s64: the limit, or -1 */
  uint32_t seen;   /* u64: elements visited */
  KExit x;
} KForeach;

/* The stack slot of a body's frame that keeps the value's address. */
enum { FOREACH_VALUE_SLOT = -8 };

static void kforeach_body(Gen *g, void *arg, uint32_t next, uint32_t stop) {
  KForeach *f = arg;
  Stmt *s = f->s;
  emit_stx(E, BPF_DW, R_FP, FOREACH_VALUE_SLOT, R3);
  emit_mov(E, R3, R2);
  emit_mov(E, R1, R_SCR);
  emit_alu_imm(E, BPF_ADD, R1, (int32_t)f->key);
  emit_mov_imm(E, R2, f->gg->key_size);
  emit_call(E, BPF_FUNC_probe_read_kernel);
  kexit_open(g, &f->x);
  if (s->e) {
    emit_ldx(E, BPF_DW, R1, R_SCR, (int16_t)f->limit);
    emit_ldx(E, BPF_DW, R2, R_SCR, (int16_t)f->seen);
    emit_jmp(E, BPF_JSGE, R2, R1, 0, true, stop);
    emit_alu_imm(E, BPF_ADD, R2, 1);
    emit_stx(E, BPF_DW, R_SCR, (int16_t)f->seen, R2);
  }
  count_action(g, s);
  unpack_key(g, s, f->gg, f->key);
  Loc dst;
  if (s->value_var && value_var(g, s, f->gg, &dst)) {
    emit_ldx(E, BPF_DW, R3, R_FP, FOREACH_VALUE_SLOT);
    copy_value(g, f->gg, dst);
  }
  push_loop(g, stop, next, s->loc);
  gen_stmt(g, s->body);
  g->nloops--;
  if (emit_reachable(E)) emit_ja(E, next);
  kexit_close(g, &f->x, stop);
}

static void gen_kernel_foreach(Gen *g, Stmt *s, GGlobal *gg) {
  if (s->sort_key != SORT_NONE) {
    gen_error(g, s->loc, "a sorted foreach in a kernel-context probe is not available on the "
              "bpf runtime (the kernel hands out elements in its own order); drop the +/- "
              "marks, or iterate in a begin, end or timer probe");
    return;
  }
  uint32_t mark = g->top;
  KForeach *f = arena_alloc(g->arena, sizeof *f);
  *f = (KForeach){.s = s, .gg = gg, .key = gen_tmp(g, gg->key_size), .limit = gen_tmp(g, 8),
                  .seen = gen_tmp(g, 8)};
  if (s->e) {
    gen_long(g, s->e);
    emit_stx(E, BPF_DW, R_SCR, (int16_t)f->limit, R0);
    emit_st(E, BPF_DW, R_SCR, (int16_t)f->seen, 0);
  }
  kexit_init(g, &f->x);
  gen_bpf_for_each(g, gg->map, kforeach_body, f);
  kexit_dispatch(g, &f->x);
  g->top = mark;
}

static void gen_foreach(Gen *g, Stmt *s) {
  Expr *arr = s->array;
  if (arr->kind != E_VAR) {
    gen_error(g, arr->loc, "foreach over this is not available on the bpf runtime");
    return;
  }
  GGlobal *gg = array_of(g, arr);
  if (!gg) return;
  if (!g->user) {
    gen_kernel_foreach(g, s, gg);
    return;
  }
  uint32_t mark = g->top;
  uint32_t it = gen_tmp(g, 8), key = gen_tmp(g, gg->key_size);
  int sort = BO_SORT_NONE;
  if (s->sort_key == SORT_VALUE) sort = BO_SORT_VALUE;
  else if (s->sort_key >= 0) sort = BO_SORT_KEY0 + s->sort_key;
  int dir = s->sort_dir < 0 ? BO_SORT_DESC : BO_SORT_ASC;
  int stat = s->sort_stat >= 0 ? s->sort_stat : 0;
  static const int which[] = {[STAT_COUNT] = STAT_W_COUNT, [STAT_SUM] = STAT_W_SUM,
                              [STAT_MIN] = STAT_W_MIN,     [STAT_MAX] = STAT_W_MAX,
                              [STAT_AVG] = STAT_W_AVG,     [STAT_VARIANCE] = STAT_W_VARIANCE};
  if (stat > STAT_VARIANCE) stat = STAT_COUNT;
  if (s->e) {
    gen_long(g, s->e);
    emit_mov(E, R3, R0);
  } else {
    emit_mov_imm(E, R3, -1);
  }
  emit_map(E, R1, gg->map);
  emit_mov_imm(E, R2, sort | dir << 8 | which[stat] << 16);
  emit_call(E, BO_H_FOREACH_START);
  emit_stx(E, BPF_DW, R_SCR, (int16_t)it, R0);
  uint32_t top = emit_label(E), brk = emit_label(E);
  emit_bind(E, top);
  emit_ldx(E, BPF_DW, R1, R_SCR, (int16_t)it);
  emit_mov(E, R2, R_SCR);
  emit_alu_imm(E, BPF_ADD, R2, (int32_t)key);
  emit_call(E, BO_H_FOREACH_NEXT);
  emit_jmp(E, BPF_JEQ, R0, 0, 0, false, brk);
  count_action(g, s);
  unpack_key(g, s, gg, key);
  Loc dst;
  if (s->value_var && value_var(g, s, gg, &dst)) {
    map_call(g, BPF_FUNC_map_lookup_elem, gg->map, key, -1, 0);
    emit_mov(E, R3, R0);
    copy_value(g, gg, dst);
  }
  push_loop(g, brk, top, s->loc);
  gen_stmt(g, s->body);
  g->nloops--;
  if (emit_reachable(E)) emit_ja(E, top);
  emit_bind(E, brk);
  emit_ldx(E, BPF_DW, R1, R_SCR, (int16_t)it);
  emit_call(E, BO_H_FOREACH_END);
  g->top = mark;
}

/* delete a (every element) in a kernel program: each one deleted from
 * a bpf_for_each_map_elem body, which may delete the element it is
 * given; a scalar statistic's one element is zeroed on every CPU (a
 * bpf_loop over them, bpf_map_lookup_percpu_elem giving each copy). */
typedef struct KClear {
  GGlobal *gg;
  uint32_t key;    /* the scalar's key, 0 */
} KClear;

static void kclear_body(Gen *g, void *arg, uint32_t next, uint32_t stop) {
  (void)stop;
  KClear *c = arg;
  emit_map(E, R1, c->gg->map);
  emit_call(E, BPF_FUNC_map_delete_elem);
  emit_ja(E, next);
}

static void kzero_body(Gen *g, void *arg, uint32_t next, uint32_t stop) {
  KClear *c = arg;
  emit_ldx(E, BPF_DW, R1, R_GLOB, (int16_t)offsetof(BoControl, ncpus));
  emit_jmp(E, BPF_JGE, R5, R1, 0, true, stop);
  emit_map(E, R1, c->gg->map);
  emit_mov(E, R2, R_SCR);
  emit_alu_imm(E, BPF_ADD, R2, (int32_t)c->key);
  emit_mov(E, R3, R5);
  emit_call(E, BPF_FUNC_map_lookup_percpu_elem);
  emit_jmp(E, BPF_JEQ, R0, 0, 0, false, next);
  for (uint32_t off = 0; off + 8 <= c->gg->value_size; off += 8)
    emit_st(E, BPF_DW, R0, (int16_t)off, 0);
}

static void gen_kernel_clear(Gen *g, GGlobal *gg) {
  KClear *c = arena_alloc(g->arena, sizeof *c);
  *c = (KClear){.gg = gg};
  if (gg->sym->arity > 0) {
    gen_bpf_for_each(g, gg->map, kclear_body, c);
    return;
  }
  uint32_t mark = g->top;
  c->key = gen_tmp(g, 8);
  emit_st(E, BPF_DW, R_SCR, (int16_t)c->key, 0);
  gen_bpf_loop(g, GEN_MAX_CPUS, kzero_body, c);
  g->top = mark;
}

static void gen_delete(Gen *g, Stmt *s) {
  Expr *x = s->e;
  if (x->kind == E_INDEX) {
    GGlobal *gg = array_of(g, x);
    if (!gg) return;
    uint32_t mark = g->top;
    uint32_t key = build_key(g, gg, &x->args);
    map_call(g, BPF_FUNC_map_delete_elem, gg->map, key, -1, 0);
    g->top = mark;
    return;
  }
  if (x->kind == E_VAR && x->ref) {
    const Symbol *sym = x->ref;
    if (sym->kind == SYM_GLOBAL && (sym->arity > 0 || sym->type == VT_STATS)) {
      GGlobal *gg = gen_global(g, sym);
      if (!g->user) {
        gen_kernel_clear(g, gg);
        return;
      }
      emit_map(E, R1, gg->map);
      emit_call(E, BO_H_MAP_CLEAR);
      return;
    }
    Loc l;
    if (str_in_place(g, x, &l)) {
      emit_st(E, sym->type == VT_STRING ? BPF_B : BPF_DW, l.reg, (int16_t)l.off, 0);
      return;
    }
  }
  gen_error(g, s->loc, "this delete is not available on the bpf runtime");
}

void gen_stmt(Gen *g, Stmt *s) {
  if (!s || g->failed) return;
  gen_line(g, s->loc);
  switch (s->kind) {
  case S_BLOCK:
    for (size_t i = 0; i < s->stmts.len; i++) gen_stmt(g, s->stmts.items[i]);
    return;
  case S_NULL:
    return;
  case S_EXPR:
    gen_effect(g, s->e);
    return;
  case S_IF: {
    uint32_t els = emit_label(E), done = emit_label(E);
    gen_cond_false(g, s->cond, els);
    gen_stmt(g, s->body);
    if (s->els) emit_ja(E, done);
    emit_bind(E, els);
    if (s->els) gen_stmt(g, s->els);
    emit_bind(E, done);
    return;
  }
  case S_WHILE:
  case S_FOR: {
    if (s->init) gen_effect(g, s->init);
    if (!g->user) {
      gen_kernel_loop(g, s);
      return;
    }
    uint32_t top = emit_label(E), brk = emit_label(E);
    emit_bind(E, top);
    loop_pass(g, s, top, brk);
    emit_bind(E, brk);
    return;
  }
  case S_FOREACH:
    gen_foreach(g, s);
    return;
  case S_BREAK:
  case S_CONTINUE:
    if (!g->nloops) {
      gen_error(g, s->loc, "'%s' outside a loop", s->kind == S_BREAK ? "break" : "continue");
      return;
    }
    emit_ja(E, s->kind == S_BREAK ? g->loops[g->nloops - 1].brk : g->loops[g->nloops - 1].cont);
    return;
  case S_NEXT:
    emit_ja(E, g->out_label);
    return;
  case S_RETURN: {
    if (!g->ninl) {
      emit_ja(E, g->out_label);
      return;
    }
    Inline *in = &g->inl[g->ninl - 1];
    if (s->e) {
      if (in->fn->ret == VT_STRING) str_into(g, s->e, scr(in->ret_off));
      else gen_long(g, s->e);
    } else if (in->fn->ret == VT_STRING) {
      emit_st(E, BPF_B, R_SCR, (int16_t)in->ret_off, 0);
    } else {
      emit_mov_imm(E, R0, 0);
    }
    emit_ja(E, in->ret_label);
    return;
  }
  case S_DELETE:
    gen_delete(g, s);
    return;
  case S_TRY:
    gen_try(g, s);
    return;
  }
}
