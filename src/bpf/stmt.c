/* stmt: pass 3's translation of statements: blocks, conditionals, loops
 * (each iteration counted against MAXACTION, which also bounds loops for
 * the kernel's verifier), foreach over a map (user programs, through
 * staprun's iterator helpers), delete, next/return/break/continue. */
#include <string.h>

#include "bpf/gen.h"
#include "front/ast.h"

#define E (g->e)

/* One more loop iteration: MAXACTION bounds them. */
static void count_action(Gen *g, SrcLoc loc) {
  emit_ldx(E, BPF_DW, R1, R_SCR, ACTION_OFF);
  emit_alu_imm(E, BPF_ADD, R1, 1);
  emit_stx(E, BPF_DW, R_SCR, ACTION_OFF, R1);
  check_error(g, BPF_JLE, R1, (int32_t)g->lim.maxaction, BO_ERR_MAXACTION,
              gen_site(g, loc, "keyword"));
}

static void push_loop(Gen *g, uint32_t brk, uint32_t cont, SrcLoc loc) {
  if (g->nloops == (int)(sizeof g->loops / sizeof *g->loops)) {
    gen_error(g, loc, "loops nest too deeply");
    return;
  }
  g->loops[g->nloops++] = (Loop){.brk = brk, .cont = cont};
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

static void gen_foreach(Gen *g, Stmt *s) {
  if (!g->user) {
    gen_error(g, s->loc, "foreach in a kernel-context probe is not available on the bpf "
              "runtime; iterate in a begin, end or timer probe");
    return;
  }
  Expr *arr = s->array;
  if (arr->kind != E_VAR) {
    gen_error(g, arr->loc, "foreach over this is not available on the bpf runtime");
    return;
  }
  GGlobal *gg = array_of(g, arr);
  if (!gg) return;
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
  count_action(g, s->loc);
  /* unpack the key into the key variables */
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
  if (s->value_var) {
    /* v = [k] in a: the value variable is the first local of that name */
    const Symbol *vs = NULL;
    for (size_t i = 0; i < g->probe->locals.len; i++) {
      const Symbol *l = g->probe->locals.items[i];
      if (strcmp(l->name, s->value_var) == 0) vs = l;
    }
    Expr ve = {.kind = E_VAR, .ref = (void *)vs, .vtype = gg->sym->type, .loc = s->loc};
    Loc dst;
    if (!vs || !str_in_place(g, &ve, &dst)) {
      gen_error(g, s->loc, "foreach value variable '%s' is not available here", s->value_var);
      return;
    }
    if (gg->sym->type == VT_STATS) {
      gen_error(g, s->loc, "the value of a statistic: use @count, @sum ... on it");
      return;
    }
    map_call(g, BPF_FUNC_map_lookup_elem, gg->map, key, -1, 0);
    uint32_t none = emit_label(E), done = emit_label(E);
    emit_jmp(E, BPF_JEQ, R0, 0, 0, false, none);
    if (gg->sym->type == VT_STRING) {
      emit_mov(E, R3, R0);
      ptr_of(g, R1, dst);
      emit_mov_imm(E, R2, g->S);
      emit_call(E, BPF_FUNC_probe_read_kernel_str);
    } else {
      emit_ldx(E, BPF_DW, R0, R0, 0);
      emit_stx(E, BPF_DW, dst.reg, (int16_t)dst.off, R0);
    }
    emit_ja(E, done);
    emit_bind(E, none);
    emit_st(E, gg->sym->type == VT_STRING ? BPF_B : BPF_DW, dst.reg, (int16_t)dst.off, 0);
    emit_bind(E, done);
  }
  push_loop(g, brk, top, s->loc);
  gen_stmt(g, s->body);
  g->nloops--;
  emit_ja(E, top);
  emit_bind(E, brk);
  emit_ldx(E, BPF_DW, R1, R_SCR, (int16_t)it);
  emit_call(E, BO_H_FOREACH_END);
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
        gen_error(g, s->loc, "deleting a whole array in a kernel-context probe is not "
                  "available on the bpf runtime");
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
    uint32_t top = emit_label(E), cont = emit_label(E), brk = emit_label(E);
    emit_bind(E, top);
    if (s->cond) gen_cond_false(g, s->cond, brk);
    count_action(g, s->loc);
    push_loop(g, brk, cont, s->loc);
    gen_stmt(g, s->body);
    g->nloops--;
    emit_bind(E, cont);
    if (s->step) gen_effect(g, s->step);
    emit_ja(E, top);
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
    /* Errors inside end the handler, as without try (catching them needs
     * the error paths to know their catch: to come). */
    gen_stmt(g, s->body);
    return;
  }
}
