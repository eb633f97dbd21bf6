/* expr: pass 3's translation of statements and expressions to BPF.
 *
 * Integers are computed into r0, spilling to scratch when an operand is
 * not simple.  Strings are NUL-terminated buffers of maxstringlen bytes in
 * scratch (locals, temporaries), in the globals value, or in a map value;
 * copies go through bpf_probe_read_kernel_str, which stops at the NUL and
 * truncates.  Script functions are inlined at each call, or called as
 * subprograms when recursive (call.c).  Runtime errors go to the
 * enclosing catch, else end the handler with a record naming the error
 * site (see "Errors" below). */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <bpf/btf.h>

#include "bpf/gen.h"
#include "target/arch.h"
#include "front/ast.h"
#include "runtime/common/format.h"

#define E (g->e)

/* ---- Variables ---- */

void gen_bind(Gen *g, const Symbol *s, uint32_t off) {
  if (g->nslots == g->slots_cap) {
    g->slots_cap = g->slots_cap ? g->slots_cap * 2 : 32;
    Slot *n = arena_alloc(g->arena, sizeof *n * g->slots_cap);
    if (g->nslots) memcpy(n, g->slots, sizeof *n * g->nslots);
    g->slots = n;
  }
  g->slots[g->nslots++] = (Slot){.sym = s, .off = off};
}

static int slot_of(Gen *g, const Symbol *s) {
  for (size_t i = g->nslots; i-- > 0;)
    if (g->slots[i].sym == s) return (int)g->slots[i].off;
  return -1;
}

void gen_zero_locals(Gen *g, const Vec *locals) {
  for (size_t i = 0; i < locals->len; i++) {
    const Symbol *s = locals->items[i];
    int off = slot_of(g, s);
    if (off < 0) continue;
    if (s->type == VT_STRING) emit_st(E, BPF_B, R_SCR, (int16_t)off, 0);
    else emit_st(E, BPF_DW, R_SCR, (int16_t)off, 0);
  }
}

void gen_load_maps(Gen *g) {
  emit_st(E, BPF_W, R_FP, -4, 0);
  emit_map(E, R1, g->scratch_map);
  emit_mov(E, R2, R_FP);
  emit_alu_imm(E, BPF_ADD, R2, -4);
  emit_call(E, BPF_FUNC_map_lookup_elem);
  emit_jmp(E, BPF_JEQ, R0, 0, 0, false, g->out_label);
  emit_mov(E, R_SCR, R0);
  emit_map(E, R1, g->globals_map);
  emit_mov(E, R2, R_FP);
  emit_alu_imm(E, BPF_ADD, R2, -4);
  emit_call(E, BPF_FUNC_map_lookup_elem);
  emit_jmp(E, BPF_JEQ, R0, 0, 0, false, g->out_label);
  emit_mov(E, R_GLOB, R0);
  if (g->hook) {
    /* staprun's own call of its hook (another staprun's would come from
     * another process), whatever the state */
    emit_call(E, BPF_FUNC_get_current_pid_tgid);
    emit_alu_imm(E, BPF_RSH, R0, 32);
    emit_ldx(E, BPF_DW, R1, R_GLOB, (int16_t)offsetof(BoControl, stp_pid));
    emit_jmp(E, BPF_JNE, R0, R1, 0, true, g->out_label);
  } else if (!g->user) {
    emit_ldx(E, BPF_DW, R1, R_GLOB, 0);
    emit_jmp(E, BPF_JNE, R1, 0, BO_STATE_RUNNING, false, g->out_label);
  }
  gen_tmp(g, 8); /* the program's first allocation: ACTION_OFF */
  emit_st(E, BPF_DW, R_SCR, ACTION_OFF, 0);
  gen_tmp(g, 24 + g->S); /* then the error being raised: ERR_OFF */
}

/* ---- Errors ---- */

/* Errors go to g->handler: the innermost try's catch, else the probe's
 * error exit (which sends the error as a record, see gen_program_end) or
 * a subprogram's return to its caller.  The error itself waits at
 * ERR_OFF; a catch turns it into its message (stmt.c). */

/* Jump to the handler.  A jump the verifier sees as conditional (r9 is
 * never NULL), so that the code after an error() stays reachable. */
void gen_raise(Gen *g) {
  g->handler->used = true;
  emit_jmp(E, BPF_JNE, R_SCR, 0, 0, false, g->handler->label);
}

/* Raise an error: kind, site, the value of arg_reg (or 0). */
void gen_runtime_error(Gen *g, int kind, uint32_t site, int arg_reg) {
  uint8_t b = g->base_reg;
  if (arg_reg >= 0) emit_stx(E, BPF_DW, b, ERR_ARG, (uint8_t)arg_reg);
  else emit_st(E, BPF_DW, b, ERR_ARG, 0);
  emit_st(E, BPF_W, b, ERR_KIND, kind);
  emit_st(E, BPF_W, b, ERR_SITE, (int32_t)site);
  gen_raise(g);
}

/* Unless (reg <op> imm), an error. */
void check_error(Gen *g, uint8_t op, uint8_t reg, int32_t imm, int kind, uint32_t site) {
  uint32_t ok = emit_label(E);
  emit_jmp(E, op, reg, 0, imm, false, ok);
  gen_runtime_error(g, kind, site, -1);
  emit_bind(E, ok);
}

/* ---- Strings ---- */

Loc scr(uint32_t off) { return (Loc){.reg = R_SCR, .off = (int32_t)off}; }

void ptr_of(Gen *g, uint8_t dst, Loc l) {
  emit_mov(E, dst, l.reg);
  if (l.off) emit_alu_imm(E, BPF_ADD, dst, l.off);
}

/* dst = src (truncated to maxstringlen); r0 = bytes copied with the NUL. */
void copy_str(Gen *g, Loc dst, Loc src) {
  ptr_of(g, R1, dst);
  emit_mov_imm(E, R2, g->S);
  ptr_of(g, R3, src);
  emit_call(E, BPF_FUNC_probe_read_kernel_str);
}

void put_literal(Gen *g, Loc dst, const char *s, size_t len) {
  if (len > g->S - 1) len = g->S - 1;
  size_t i = 0;
  for (; i + 4 <= len; i += 4) {
    uint32_t w;
    memcpy(&w, s + i, 4);
    emit_st(E, BPF_W, dst.reg, (int16_t)(dst.off + (int32_t)i), (int32_t)w);
  }
  for (; i < len; i++) emit_st(E, BPF_B, dst.reg, (int16_t)(dst.off + (int32_t)i), (uint8_t)s[i]);
  emit_st(E, BPF_B, dst.reg, (int16_t)(dst.off + (int32_t)len), 0);
}

/* r0 = strlen of the string at l (bounded by maxstringlen - 1). */
void gen_strlen_at(Gen *g, Loc l) {
  /* The length a copy reports: no loop for the verifier to walk (it
   * walks a loop once per possible length).  A helper call: r1-r5 are
   * lost. */
  uint32_t mark = g->top, t = gen_tmp(g, g->S), ok = emit_label(E);
  emit_mov(E, R1, R_SCR);
  emit_alu_imm(E, BPF_ADD, R1, (int32_t)t);
  emit_mov_imm(E, R2, g->S);
  ptr_of(g, R3, l);
  emit_call(E, BPF_FUNC_probe_read_kernel_str);
  emit_jmp(E, BPF_JSGE, R0, 0, 1, false, ok);
  emit_mov_imm(E, R0, 1);
  emit_bind(E, ok);
  emit_alu_imm(E, BPF_SUB, R0, 1);
  g->top = mark;
}

Loc str_loc(Gen *g, Expr *x);
void str_into(Gen *g, Expr *x, Loc dst);
static bool is_string(const Expr *x) { return x->vtype == VT_STRING; }

/* Append the string at src to the one at dst. */
void append_str(Gen *g, Loc dst, Loc src) {
  if (dst.reg != R_SCR) {
    /* in scratch, whose slack the verifier sees the write fit in */
    uint32_t mark = g->top;
    Loc t = scr(gen_tmp(g, g->S));
    copy_str(g, t, dst);
    append_str(g, t, src);
    copy_str(g, dst, t);
    g->top = mark;
    return;
  }
  gen_strlen_at(g, dst);
  ptr_of(g, R1, dst);
  emit_alu(E, BPF_ADD, R1, R0);
  emit_mov_imm(E, R2, g->S);
  emit_alu(E, BPF_SUB, R2, R0);
  ptr_of(g, R3, src);
  emit_call(E, BPF_FUNC_probe_read_kernel_str);
}

/* Where a global scalar lives. */
static Loc global_loc(Gen *g, const Symbol *s) {
  GGlobal *gg = gen_global(g, s);
  return (Loc){.reg = R_GLOB, .off = (int32_t)gg->offset};
}

/* Is the string expression x already somewhere (no code needed)? */
bool str_in_place(Gen *g, Expr *x, Loc *out) {
  if (x->kind == E_ENTRY) return entry_string(g, x, out);
  if (x->kind != E_VAR || !x->ref) return false;
  const Symbol *s = x->ref;
  if (s->kind == SYM_GLOBAL) {
    if (s->arity > 0) return false;
    *out = global_loc(g, s);
    return true;
  }
  int off = slot_of(g, s);
  if (off < 0) return false;
  *out = scr((uint32_t)off);
  return true;
}

Loc str_loc(Gen *g, Expr *x) {
  Loc l;
  if (str_in_place(g, x, &l)) return l;
  l = scr(gen_tmp(g, g->S));
  str_into(g, x, l);
  return l;
}

/* ---- Maps ---- */

static const Symbol *array_sym(Expr *x) {
  if (x->kind == E_INDEX || x->kind == E_IN) x = x->base;
  return x && x->kind == E_VAR ? x->ref : NULL;
}

uint32_t gen_str_bound(Gen *g, const Expr *x) {
  uint32_t n = g->S;
  if (x->kind == E_STR) n = (uint32_t)x->len + 1;
  else if (x->kind == E_CALL && !strcmp(x->name, "execname")) n = 16; /* TASK_COMM_LEN */
  else if (x->kind == E_TERNARY) {
    uint32_t l = gen_str_bound(g, x->l), r = gen_str_bound(g, x->r);
    n = l > r ? l : r;
  }
  return n < g->S ? n : g->S;
}

/* Build the key of base[args] in scratch; returns its offset.  A string
 * goes into its index's bytes (GGlobal.key_len); one that may be longer
 * than they hold (a lookup with any string) is copied with room for one
 * byte more, so that a string too long for the index fills them all: no
 * key stored there lacks a NUL in them, so it finds nothing (the extra
 * byte lands in the next index, written after it, or the slack). */
uint32_t build_key(Gen *g, GGlobal *gg, const Vec *args) {
  uint32_t key = gen_tmp(g, gg->key_size + 8);
  if (gg->sym->arity == 0) {
    emit_st(E, BPF_W, R_SCR, (int16_t)key, 0);
    return key;
  }
  for (uint32_t i = 0; i < gg->key_size; i += 8) emit_st(E, BPF_DW, R_SCR, (int16_t)(key + i), 0);
  for (size_t i = 0; i < args->len && i < 9; i++) {
    Expr *a = args->items[i];
    uint32_t off = key + gg->key_off[i];
    uint32_t mark = g->top;
    if (is_string(a) && gen_str_bound(g, a) > gg->key_len[i]) {
      Loc src = str_loc(g, a);
      emit_mov(E, R1, R_SCR);
      emit_alu_imm(E, BPF_ADD, R1, (int32_t)off);
      emit_mov_imm(E, R2, gg->key_len[i] + 1);
      ptr_of(g, R3, src);
      emit_call(E, BPF_FUNC_probe_read_kernel_str);
    } else if (is_string(a)) {
      str_into(g, a, scr(off));
    } else {
      gen_long(g, a);
      emit_stx(E, BPF_DW, R_SCR, (int16_t)off, R0);
    }
    g->top = mark;
  }
  return key;
}

void map_call(Gen *g, int helper, uint32_t map, uint32_t key, int value_off, uint64_t flags) {
  emit_map(E, R1, map);
  emit_mov(E, R2, R_SCR);
  emit_alu_imm(E, BPF_ADD, R2, (int32_t)key);
  if (value_off >= 0) {
    emit_mov(E, R3, R_SCR);
    emit_alu_imm(E, BPF_ADD, R3, value_off);
    emit_mov_imm(E, R4, (int64_t)flags);
  }
  emit_call(E, helper);
}

/* map.update(key, val, flags) -> r0 */
static void map_update(Gen *g, uint32_t map, uint32_t key, Loc val, uint64_t flags) {
  emit_map(E, R1, map);
  emit_mov(E, R2, R_SCR);
  emit_alu_imm(E, BPF_ADD, R2, (int32_t)key);
  ptr_of(g, R3, val);
  emit_mov_imm(E, R4, (int64_t)flags);
  emit_call(E, BPF_FUNC_map_update_elem);
}

/* r0 = the address of a '%' array's creation count (ring slot max), or
 * 0; `slot` is scratch for the ring index. */
static void ring_count(Gen *g, GGlobal *gg, uint32_t slot) {
  emit_st(E, BPF_W, R_SCR, (int16_t)slot, (int32_t)gg->max);
  map_call(g, BPF_FUNC_map_lookup_elem, gg->ring, slot, -1, 0);
}

/* Store slot := the creation count (mod max), the count advanced.  A user
 * program's lookups hand out copies, so there the count is written back. */
static void ring_take(Gen *g, GGlobal *gg, uint32_t slot, uint32_t fail) {
  ring_count(g, gg, slot);
  emit_jmp(E, BPF_JEQ, R0, 0, 0, false, fail);
  if (g->user) {
    emit_ldx(E, BPF_DW, R1, R0, 0);
    emit_mov(E, R2, R1);
    emit_alu_imm(E, BPF_ADD, R2, 1);
    emit_stx(E, BPF_DW, R0, 0, R2);
    emit_stx(E, BPF_DW, R_SCR, (int16_t)(slot + 8), R1);
    emit_map(E, R1, gg->ring);
    emit_mov(E, R2, R_SCR);
    emit_alu_imm(E, BPF_ADD, R2, (int32_t)slot);
    emit_mov(E, R3, R0);
    emit_mov_imm(E, R4, BPF_ANY);
    emit_call(E, BPF_FUNC_map_update_elem);
    emit_ldx(E, BPF_DW, R1, R_SCR, (int16_t)(slot + 8));
  } else {
    emit_mov_imm(E, R1, 1);
    emit_insn(E, BPF_STX | BPF_ATOMIC | BPF_DW, R0, R1, 0, BPF_ADD | BPF_FETCH);
  }
  emit_alu_imm(E, BPF_MOD, R1, (int32_t)gg->max);
  emit_stx(E, BPF_W, R_SCR, (int16_t)slot, R1);
}

/* Store the value at val under key, the array named by arr.  A full array
 * is the runtime error "Array overflow" (naming a declared size); a '%'
 * array instead gives up the element created first, as stap's does: its
 * ring holds the keys in creation order, the oldest at count % max.  A
 * ring slot whose key was deleted since is skipped; a few are tried. */
static void map_put(Gen *g, GGlobal *gg, uint32_t key, Loc val, const Expr *arr) {
  uint32_t site = gen_site(g, arr->loc, arena_printf(g->arena, "identifier '%s'", gg->sym->name));
  uint32_t done = emit_label(E), full = emit_label(E);
  if (!gg->wrap) {
    map_update(g, gg->map, key, val, BPF_ANY);
    emit_jmp(E, BPF_JSGE, R0, 0, 0, false, done);
  } else {
    uint32_t mark = g->top, slot = gen_tmp(g, 16), created = emit_label(E),
             evict = emit_label(E);
    map_update(g, gg->map, key, val, BPF_NOEXIST);
    emit_jmp(E, BPF_JEQ, R0, 0, 0, false, created);
    emit_jmp(E, BPF_JEQ, R0, 0, -E2BIG, false, evict);
    map_update(g, gg->map, key, val, BPF_EXIST);
    emit_jmp(E, BPF_JSGE, R0, 0, 0, false, done);
    emit_ja(E, full);
    emit_bind(E, evict);
    for (int attempt = 0; attempt < 4; attempt++) {
      uint32_t next = emit_label(E);
      /* the oldest key: ring[count % max]; a deleted one is skipped */
      ring_count(g, gg, slot);
      emit_jmp(E, BPF_JEQ, R0, 0, 0, false, full);
      emit_ldx(E, BPF_DW, R1, R0, 0);
      emit_alu_imm(E, BPF_MOD, R1, (int32_t)gg->max);
      emit_stx(E, BPF_W, R_SCR, (int16_t)slot, R1);
      map_call(g, BPF_FUNC_map_lookup_elem, gg->ring, slot, -1, 0);
      emit_jmp(E, BPF_JEQ, R0, 0, 0, false, full);
      emit_mov(E, R2, R0);
      emit_map(E, R1, gg->map);
      emit_call(E, BPF_FUNC_map_delete_elem);
      emit_jmp(E, BPF_JEQ, R0, 0, 0, false, next);
      ring_take(g, gg, slot, full);
      emit_bind(E, next);
      map_update(g, gg->map, key, val, BPF_NOEXIST);
      emit_jmp(E, BPF_JEQ, R0, 0, 0, false, created);
      emit_jmp(E, BPF_JNE, R0, 0, -E2BIG, false, full);
    }
    emit_ja(E, full);
    emit_bind(E, created);
    ring_take(g, gg, slot, done);
    emit_map(E, R1, gg->ring);
    emit_mov(E, R2, R_SCR);
    emit_alu_imm(E, BPF_ADD, R2, (int32_t)slot);
    emit_mov(E, R3, R_SCR);
    emit_alu_imm(E, BPF_ADD, R3, (int32_t)key);
    emit_mov_imm(E, R4, BPF_ANY);
    emit_call(E, BPF_FUNC_map_update_elem);
    emit_ja(E, done);
    g->top = mark;
  }
  emit_bind(E, full);
  emit_mov_imm(E, R1, gg->size);
  gen_runtime_error(g, BO_ERR_OVERFLOW, site, R1);
  emit_bind(E, done);
}

/* The array an indexed expression names (for its error site). */
static const Expr *array_base(const Expr *x) { return x->kind == E_INDEX ? x->base : x; }

GGlobal *array_of(Gen *g, Expr *x) {
  const Symbol *s = array_sym(x);
  GGlobal *gg = s ? gen_global(g, s) : NULL;
  if (!gg) gen_error(g, x->loc, "not a global array");
  return gg;
}

/* ---- Integers ---- */

static bool simple(Gen *g, Expr *x) {
  if (x->kind == E_NUM) return true;
  if (x->kind == E_VAR && x->ref && x->vtype == VT_LONG) {
    const Symbol *s = x->ref;
    return s->kind == SYM_GLOBAL ? s->arity == 0 : slot_of(g, s) >= 0;
  }
  return false;
}

/* Load a simple operand into reg. */
static void load_simple(Gen *g, uint8_t reg, Expr *x) {
  if (x->kind == E_NUM) {
    emit_mov_imm(E, reg, x->num);
    return;
  }
  const Symbol *s = x->ref;
  if (s->kind == SYM_GLOBAL) emit_ldx(E, BPF_DW, reg, R_GLOB, (int16_t)global_loc(g, s).off);
  else emit_ldx(E, BPF_DW, reg, R_SCR, (int16_t)slot_of(g, s));
}

/* r0 = l, r1 = r (l evaluated first). */
static void gen_pair(Gen *g, Expr *l, Expr *r) {
  if (simple(g, r)) {
    gen_long(g, l);
    load_simple(g, R1, r);
    return;
  }
  uint32_t mark = g->top, t = gen_tmp(g, 8);
  gen_long(g, l);
  emit_stx(E, BPF_DW, R_SCR, (int16_t)t, R0);
  gen_long(g, r);
  emit_mov(E, R1, R0);
  emit_ldx(E, BPF_DW, R0, R_SCR, (int16_t)t);
  g->top = mark;
}

/* Signed r0 = r0 / r1 or r0 % r1 (r1 != 0), without the v4 sdiv. */
void gen_sdivmod(Gen *g, bool mod) {
  /* r2 = sign of the result, r0 and r1 made non-negative */
  uint32_t l1 = emit_label(E), l2 = emit_label(E), l3 = emit_label(E);
  emit_mov_imm(E, R2, 0);
  emit_jmp(E, BPF_JSGE, R0, 0, 0, false, l1);
  emit_insn(E, BPF_ALU64 | BPF_NEG, R0, 0, 0, 0);
  emit_mov_imm(E, R2, 1);
  emit_bind(E, l1);
  emit_jmp(E, BPF_JSGE, R1, 0, 0, false, l2);
  emit_insn(E, BPF_ALU64 | BPF_NEG, R1, 0, 0, 0);
  if (!mod) emit_alu_imm(E, BPF_XOR, R2, 1);
  emit_bind(E, l2);
  emit_alu(E, mod ? BPF_MOD : BPF_DIV, R0, R1);
  emit_jmp(E, BPF_JEQ, R2, 0, 0, false, l3);
  emit_insn(E, BPF_ALU64 | BPF_NEG, R0, 0, 0, 0);
  emit_bind(E, l3);
}

/* r0 = r0 op r1 for an arithmetic operator (or its assignment form). */
static void arith(Gen *g, Op op, SrcLoc loc) {
  switch (op) {
  case OP_PLUS: case OP_ADD_ASSIGN: emit_alu(E, BPF_ADD, R0, R1); break;
  case OP_MINUS: case OP_SUB_ASSIGN: emit_alu(E, BPF_SUB, R0, R1); break;
  case OP_MUL: case OP_MUL_ASSIGN: emit_alu(E, BPF_MUL, R0, R1); break;
  case OP_DIV: case OP_DIV_ASSIGN: case OP_MOD: case OP_MOD_ASSIGN: {
    bool mod = op == OP_MOD || op == OP_MOD_ASSIGN;
    check_error(g, BPF_JNE, R1, 0, BO_ERR_DIVZERO,
                gen_site(g, loc, arena_printf(g->arena, "operator '%s'", op_spelling(op))));
    gen_sdivmod(g, mod);
    break;
  }
  case OP_SHL: case OP_SHL_ASSIGN: emit_alu(E, BPF_LSH, R0, R1); break;
  case OP_SHR: case OP_SHR_ASSIGN: emit_alu(E, BPF_ARSH, R0, R1); break;
  case OP_USHR: emit_alu(E, BPF_RSH, R0, R1); break;
  case OP_BAND: case OP_AND_ASSIGN: emit_alu(E, BPF_AND, R0, R1); break;
  case OP_BOR: case OP_OR_ASSIGN: emit_alu(E, BPF_OR, R0, R1); break;
  case OP_BXOR: case OP_XOR_ASSIGN: emit_alu(E, BPF_XOR, R0, R1); break;
  default: break;
  }
}

static uint8_t cmp_jump(Op op) {
  switch (op) {
  case OP_EQ: return BPF_JEQ;
  case OP_NE: return BPF_JNE;
  case OP_LT: return BPF_JSLT;
  case OP_LE: return BPF_JSLE;
  case OP_GT: return BPF_JSGT;
  case OP_GE: return BPF_JSGE;
  default: return 0;
  }
}

static uint8_t cmp_inverse(Op op) {
  switch (op) {
  case OP_EQ: return BPF_JNE;
  case OP_NE: return BPF_JEQ;
  case OP_LT: return BPF_JSGE;
  case OP_LE: return BPF_JSGT;
  case OP_GT: return BPF_JSLE;
  case OP_GE: return BPF_JSLT;
  default: return 0;
  }
}

/* r0 = 0 if the string x equals the literal lit, else 1: its bytes and
 * the NUL compared a word at a time (no loop for the verifier). */
static void str_equal_literal(Gen *g, Expr *x, const Expr *lit) {
  uint32_t mark = g->top;
  Loc a = str_loc(g, x);
  size_t n = lit->len < g->S - 1 ? lit->len : g->S - 1;
  uint32_t differ = emit_label(E), out = emit_label(E);
  ptr_of(g, R1, a);
  for (size_t i = 0; i <= n;) {
    size_t k = n + 1 - i >= 8 ? 8 : n + 1 - i >= 4 ? 4 : n + 1 - i >= 2 ? 2 : 1;
    uint64_t v = 0;
    for (size_t j = 0; j < k; j++)
      if (i + j < n) v |= (uint64_t)(unsigned char)lit->str[i + j] << (8 * j);
    static const uint8_t sizes[9] = {[1] = BPF_B, [2] = BPF_H, [4] = BPF_W, [8] = BPF_DW};
    emit_ldx(E, sizes[k], R2, R1, (int16_t)i);
    emit_mov_imm(E, R3, (int64_t)v);
    emit_jmp(E, BPF_JNE, R2, R3, 0, true, differ);
    i += k;
  }
  emit_mov_imm(E, R0, 0);
  emit_ja(E, out);
  emit_bind(E, differ);
  emit_mov_imm(E, R0, 1);
  emit_bind(E, out);
  g->top = mark;
}

/* r0 = strcmp-like difference of two strings. */
static void str_compare(Gen *g, Expr *l, Expr *r) {
  uint32_t mark = g->top;
  Loc a = str_loc(g, l);
  Loc b = str_loc(g, r);
  ptr_of(g, R1, a);
  ptr_of(g, R2, b);
  emit_mov_imm(E, R3, 0);
  uint32_t top = emit_label(E), eq = emit_label(E), diff = emit_label(E), out = emit_label(E);
  emit_bind(E, top);
  emit_jmp(E, BPF_JGE, R3, 0, (int32_t)g->S, false, eq);
  emit_mov(E, R4, R1);
  emit_alu(E, BPF_ADD, R4, R3);
  emit_ldx(E, BPF_B, R4, R4, 0);
  emit_mov(E, R5, R2);
  emit_alu(E, BPF_ADD, R5, R3);
  emit_ldx(E, BPF_B, R5, R5, 0);
  emit_jmp(E, BPF_JNE, R4, R5, 0, true, diff);
  emit_jmp(E, BPF_JEQ, R4, 0, 0, false, eq);
  emit_alu_imm(E, BPF_ADD, R3, 1);
  emit_ja(E, top);
  emit_bind(E, diff);
  emit_mov(E, R0, R4);
  emit_alu(E, BPF_SUB, R0, R5);
  emit_ja(E, out);
  emit_bind(E, eq);
  emit_mov_imm(E, R0, 0);
  emit_bind(E, out);
  g->top = mark;
}

/* r0 = (r0 <op> r1) */
static void set_cmp(Gen *g, uint8_t jop) {
  uint32_t t = emit_label(E);
  emit_mov(E, R2, R0);
  emit_mov_imm(E, R0, 1);
  emit_jmp(E, jop, R2, R1, 0, true, t);
  emit_mov_imm(E, R0, 0);
  emit_bind(E, t);
}

void gen_cond_false(Gen *g, Expr *x, uint32_t label) {
  if (x->kind == E_BINARY && cmp_jump(x->op) && !is_string(x->l) && !is_string(x->r)) {
    if (x->r->kind == E_NUM && x->r->num >= INT32_MIN && x->r->num <= INT32_MAX) {
      gen_long(g, x->l);
      emit_jmp(E, cmp_inverse(x->op), R0, 0, (int32_t)x->r->num, false, label);
    } else {
      gen_pair(g, x->l, x->r);
      emit_jmp(E, cmp_inverse(x->op), R0, R1, 0, true, label);
    }
    return;
  }
  if (x->kind == E_BINARY && x->op == OP_ANDAND) {
    gen_cond_false(g, x->l, label);
    gen_cond_false(g, x->r, label);
    return;
  }
  if (x->kind == E_UNARY && x->op == OP_NOT) {
    uint32_t skip = emit_label(E);
    gen_long(g, x->l);
    emit_jmp(E, BPF_JEQ, R0, 0, 0, false, skip);
    emit_ja(E, label);
    emit_bind(E, skip);
    return;
  }
  gen_long(g, x);
  emit_jmp(E, BPF_JEQ, R0, 0, 0, false, label);
}

/* ---- Lvalues ---- */

/* Store r0 into a long lvalue that is a scalar variable. */
static bool store_scalar(Gen *g, const Symbol *s, uint8_t reg) {
  if (s->kind == SYM_GLOBAL) {
    emit_stx(E, BPF_DW, R_GLOB, (int16_t)global_loc(g, s).off, reg);
    return true;
  }
  int off = slot_of(g, s);
  if (off < 0) return false;
  emit_stx(E, BPF_DW, R_SCR, (int16_t)off, reg);
  return true;
}

/* Read base[args] (long) into r0: 0 if absent. */
static void array_read_long(Gen *g, GGlobal *gg, const Vec *args) {
  uint32_t mark = g->top;
  uint32_t key = build_key(g, gg, args);
  map_call(g, BPF_FUNC_map_lookup_elem, gg->map, key, -1, 0);
  uint32_t none = emit_label(E);
  emit_jmp(E, BPF_JEQ, R0, 0, 0, false, none);
  emit_ldx(E, BPF_DW, R0, R0, 0);
  emit_bind(E, none);
  g->top = mark;
}

/* lhs op= value, where the new value must end up in r0.  op is OP_ASSIGN,
 * an arithmetic assignment, or OP_INC/OP_DEC (value ignored) with post
 * selecting the old value as the result. */
static void assign_long(Gen *g, Expr *lhs, Op op, Expr *rhs, bool post, SrcLoc loc) {
  bool crement = op == OP_INC || op == OP_DEC;
  Op aop = crement ? (op == OP_INC ? OP_ADD_ASSIGN : OP_SUB_ASSIGN) : op;
  uint32_t mark = g->top;
  uint32_t rv = gen_tmp(g, 8), old = gen_tmp(g, 8);
  if (crement) emit_st(E, BPF_DW, R_SCR, (int16_t)rv, 1);
  else {
    gen_long(g, rhs);
    emit_stx(E, BPF_DW, R_SCR, (int16_t)rv, R0);
  }
  if (lhs->kind == E_VAR) {
    const Symbol *s = lhs->ref;
    if (aop == OP_ASSIGN) {
      emit_ldx(E, BPF_DW, R0, R_SCR, (int16_t)rv);
    } else {
      load_simple(g, R0, lhs);
      emit_stx(E, BPF_DW, R_SCR, (int16_t)old, R0);
      emit_ldx(E, BPF_DW, R1, R_SCR, (int16_t)rv);
      arith(g, aop, loc);
    }
    if (!store_scalar(g, s, R0)) gen_error(g, lhs->loc, "cannot assign to '%s'", s->name);
  } else if (lhs->kind == E_INDEX) {
    GGlobal *gg = array_of(g, lhs);
    if (!gg) return;
    uint32_t key = build_key(g, gg, &lhs->args);
    uint32_t done = emit_label(E);
    if (aop == OP_ASSIGN) {
      emit_ldx(E, BPF_DW, R0, R_SCR, (int16_t)rv);
    } else {
      map_call(g, BPF_FUNC_map_lookup_elem, gg->map, key, -1, 0);
      uint32_t none = emit_label(E);
      emit_jmp(E, BPF_JEQ, R0, 0, 0, false, none);
      if (!g->user && (aop == OP_ADD_ASSIGN || aop == OP_SUB_ASSIGN)) {
        /* a[k] += v (a[k]++ ...) on an element that exists: an atomic
         * add in place, not an update, which would hash the key again
         * and copy key and value into a new element every time.  (A
         * user program's lookups hand out copies: it updates.) */
        emit_ldx(E, BPF_DW, R2, R_SCR, (int16_t)rv);
        emit_mov(E, R1, R2);
        if (aop == OP_SUB_ASSIGN) {
          emit_mov_imm(E, R1, 0);
          emit_alu(E, BPF_SUB, R1, R2);
        }
        emit_insn(E, BPF_STX | BPF_ATOMIC | BPF_DW, R0, R1, 0, BPF_ADD | BPF_FETCH);
        emit_stx(E, BPF_DW, R_SCR, (int16_t)old, R1);
        emit_alu(E, aop == OP_SUB_ASSIGN ? BPF_SUB : BPF_ADD, R1, R2);
        emit_stx(E, BPF_DW, R_SCR, (int16_t)rv, R1);
        emit_ja(E, done);
      } else {
        emit_ldx(E, BPF_DW, R0, R0, 0);
      }
      emit_bind(E, none);
      emit_stx(E, BPF_DW, R_SCR, (int16_t)old, R0);
      emit_ldx(E, BPF_DW, R1, R_SCR, (int16_t)rv);
      arith(g, aop, loc);
    }
    emit_stx(E, BPF_DW, R_SCR, (int16_t)rv, R0);
    map_put(g, gg, key, scr(rv), array_base(lhs));
    emit_bind(E, done);
    emit_ldx(E, BPF_DW, R0, R_SCR, (int16_t)rv);
  } else {
    gen_error(g, lhs->loc, "this cannot be assigned to on the bpf runtime");
    return;
  }
  if (crement && post) emit_ldx(E, BPF_DW, R0, R_SCR, (int16_t)old);
  g->top = mark;
}

/* lhs = rhs or lhs .= rhs for strings; the result is left in lhs. */
static void assign_str(Gen *g, Expr *lhs, Op op, Expr *rhs) {
  uint32_t mark = g->top;
  if (lhs->kind == E_VAR) {
    Loc dst;
    if (!str_in_place(g, lhs, &dst)) {
      gen_error(g, lhs->loc, "cannot assign to this on the bpf runtime");
      return;
    }
    if (op == OP_CAT_ASSIGN) {
      Loc src = str_loc(g, rhs);
      append_str(g, dst, src);
    } else if (rhs->kind == E_STR) {
      put_literal(g, dst, rhs->str, rhs->len);
    } else {
      Loc src = str_loc(g, rhs);
      if (src.reg != dst.reg || src.off != dst.off) copy_str(g, dst, src);
    }
  } else if (lhs->kind == E_INDEX) {
    GGlobal *gg = array_of(g, lhs);
    if (!gg) return;
    uint32_t key = build_key(g, gg, &lhs->args);
    uint32_t val = gen_tmp(g, g->S);
    if (op == OP_CAT_ASSIGN) {
      map_call(g, BPF_FUNC_map_lookup_elem, gg->map, key, -1, 0);
      uint32_t none = emit_label(E), done = emit_label(E);
      emit_jmp(E, BPF_JEQ, R0, 0, 0, false, none);
      emit_mov(E, R3, R0);
      emit_mov(E, R1, R_SCR);
      emit_alu_imm(E, BPF_ADD, R1, (int32_t)val);
      emit_mov_imm(E, R2, g->S);
      emit_call(E, BPF_FUNC_probe_read_kernel_str);
      emit_ja(E, done);
      emit_bind(E, none);
      emit_st(E, BPF_B, R_SCR, (int16_t)val, 0);
      emit_bind(E, done);
      Loc src = str_loc(g, rhs);
      append_str(g, scr(val), src);
    } else {
      str_into(g, rhs, scr(val));
    }
    map_put(g, gg, key, scr(val), array_base(lhs));
  } else {
    gen_error(g, lhs->loc, "this cannot be assigned to on the bpf runtime");
  }
  g->top = mark;
}

/* ---- Statistics ---- */

/* base <<< value */
static void gen_aggregate(Gen *g, Expr *lhs, Expr *rhs) {
  GGlobal *gg = array_of(g, lhs);
  if (!gg) return;
  uint32_t mark = g->top;
  uint32_t xv = gen_tmp(g, 8);
  gen_long(g, rhs);
  emit_stx(E, BPF_DW, R_SCR, (int16_t)xv, R0);
  uint32_t key = build_key(g, gg, lhs->kind == E_INDEX ? &lhs->args : NULL);
  uint32_t nv = gen_tmp(g, gg->value_size);
  map_call(g, BPF_FUNC_map_lookup_elem, gg->map, key, -1, 0);
  uint32_t have = emit_label(E), upd = emit_label(E);
  emit_mov(E, R_PTR, R0);
  emit_jmp(E, BPF_JNE, R0, 0, 0, false, have);
  /* A new element: start from zero in scratch. */
  for (uint32_t i = 0; i < gg->value_size; i += 8) emit_st(E, BPF_DW, R_SCR, (int16_t)(nv + i), 0);
  emit_mov(E, R_PTR, R_SCR);
  emit_alu_imm(E, BPF_ADD, R_PTR, (int32_t)nv);
  emit_bind(E, have);
  /* count, sum, min, max, sumsq */
  emit_ldx(E, BPF_DW, R1, R_SCR, (int16_t)xv);
  emit_ldx(E, BPF_DW, R2, R_PTR, 0);
  uint32_t first = emit_label(E), notmin = emit_label(E), notmax = emit_label(E),
           minmax = emit_label(E);
  emit_jmp(E, BPF_JEQ, R2, 0, 0, false, first);
  emit_ldx(E, BPF_DW, R3, R_PTR, 16);
  emit_jmp(E, BPF_JSGE, R1, R3, 0, true, notmin);
  emit_stx(E, BPF_DW, R_PTR, 16, R1);
  emit_bind(E, notmin);
  emit_ldx(E, BPF_DW, R3, R_PTR, 24);
  emit_jmp(E, BPF_JSLE, R1, R3, 0, true, notmax);
  emit_stx(E, BPF_DW, R_PTR, 24, R1);
  emit_bind(E, notmax);
  emit_ja(E, minmax);
  emit_bind(E, first);
  emit_stx(E, BPF_DW, R_PTR, 16, R1);
  emit_stx(E, BPF_DW, R_PTR, 24, R1);
  emit_bind(E, minmax);
  emit_alu_imm(E, BPF_ADD, R2, 1);
  emit_stx(E, BPF_DW, R_PTR, 0, R2);
  /* @variance's running state, as stap keeps it (see stat.h): on
   * xs = x << shift, avg_s and m2 by Welford with a 32-bit delta. */
  {
    uint32_t dv = gen_tmp(g, 8), later = emit_label(E), wdone = emit_label(E);
    int sh = gg->hist.shift;
    if (sh) emit_alu_imm(E, BPF_LSH, R1, sh);
    emit_jmp(E, BPF_JNE, R2, 0, 1, false, later);
    emit_stx(E, BPF_DW, R_PTR, (int16_t)offsetof(StatValue, avg_s), R1);
    emit_st(E, BPF_DW, R_PTR, (int16_t)offsetof(StatValue, m2), 0);
    emit_ja(E, wdone);
    emit_bind(E, later);
    emit_ldx(E, BPF_DW, R3, R_PTR, (int16_t)offsetof(StatValue, avg_s));
    emit_mov(E, R4, R1);
    emit_alu(E, BPF_SUB, R4, R3);
    emit_alu_imm(E, BPF_LSH, R4, 32);
    emit_alu_imm(E, BPF_ARSH, R4, 32);
    emit_stx(E, BPF_DW, R_SCR, (int16_t)dv, R4);
    emit_mov(E, R0, R4);
    emit_mov(E, R1, R2);
    gen_sdiv(g);
    emit_ldx(E, BPF_DW, R3, R_PTR, (int16_t)offsetof(StatValue, avg_s));
    emit_alu(E, BPF_ADD, R3, R0);
    emit_stx(E, BPF_DW, R_PTR, (int16_t)offsetof(StatValue, avg_s), R3);
    emit_ldx(E, BPF_DW, R1, R_SCR, (int16_t)xv);
    if (sh) emit_alu_imm(E, BPF_LSH, R1, sh);
    emit_alu(E, BPF_SUB, R1, R3);
    emit_ldx(E, BPF_DW, R4, R_SCR, (int16_t)dv);
    emit_alu(E, BPF_MUL, R1, R4);
    emit_ldx(E, BPF_DW, R3, R_PTR, (int16_t)offsetof(StatValue, m2));
    emit_alu(E, BPF_ADD, R3, R1);
    emit_stx(E, BPF_DW, R_PTR, (int16_t)offsetof(StatValue, m2), R3);
    emit_bind(E, wdone);
    emit_ldx(E, BPF_DW, R1, R_SCR, (int16_t)xv);
  }
  emit_ldx(E, BPF_DW, R2, R_PTR, 8);
  emit_alu(E, BPF_ADD, R2, R1);
  emit_stx(E, BPF_DW, R_PTR, 8, R2);
  emit_mov(E, R3, R1);
  emit_alu(E, BPF_MUL, R3, R1);
  emit_ldx(E, BPF_DW, R2, R_PTR, 32);
  emit_alu(E, BPF_ADD, R2, R3);
  emit_stx(E, BPF_DW, R_PTR, 32, R2);
  /* the histogram bucket: r2 = index */
  int nb = stat_buckets(&gg->hist);
  if (nb > 0) {
    uint32_t done = emit_label(E);
    if (gg->hist.kind == STATH_LINEAR) {
      uint32_t under = emit_label(E), over = emit_label(E), set = emit_label(E);
      emit_mov_imm(E, R3, gg->hist.lo);
      emit_jmp(E, BPF_JSLT, R1, R3, 0, true, under);
      emit_mov_imm(E, R3, gg->hist.hi);
      emit_jmp(E, BPF_JSGE, R1, R3, 0, true, over);
      emit_mov(E, R2, R1);
      emit_mov_imm(E, R3, gg->hist.lo);
      emit_alu(E, BPF_SUB, R2, R3);
      emit_mov_imm(E, R3, gg->hist.step);
      emit_alu(E, BPF_DIV, R2, R3);
      emit_alu_imm(E, BPF_ADD, R2, 1);
      emit_ja(E, set);
      emit_bind(E, under);
      emit_mov_imm(E, R2, 0);
      emit_ja(E, set);
      emit_bind(E, over);
      emit_mov_imm(E, R2, nb - 1);
      emit_bind(E, set);
    } else {
      /* log: see stat_bucket */
      uint32_t neg = emit_label(E), pos = emit_label(E), loop = emit_label(E), set = emit_label(E);
      emit_mov_imm(E, R2, 64);
      emit_jmp(E, BPF_JEQ, R1, 0, 0, false, set);
      emit_jmp(E, BPF_JSGT, R1, 0, 0, false, pos);
      emit_bind(E, neg);
      emit_insn(E, BPF_ALU64 | BPF_NEG, R1, 0, 0, 0);
      emit_mov_imm(E, R4, -1);
      emit_ja(E, loop);
      emit_bind(E, pos);
      emit_mov_imm(E, R4, 1);
      emit_bind(E, loop);
      /* r3 = floor(log2(|x|)) + 1 by shifting */
      emit_mov_imm(E, R3, 0);
      uint32_t top = emit_label(E), end = emit_label(E);
      emit_bind(E, top);
      emit_jmp(E, BPF_JEQ, R1, 0, 0, false, end);
      emit_jmp(E, BPF_JGE, R3, 0, 64, false, end);
      emit_alu_imm(E, BPF_RSH, R1, 1);
      emit_alu_imm(E, BPF_ADD, R3, 1);
      emit_ja(E, top);
      emit_bind(E, end);
      emit_alu(E, BPF_MUL, R3, R4);
      emit_alu(E, BPF_ADD, R2, R3);
      emit_bind(E, set);
      /* clamp into [0, nb) */
      uint32_t c1 = emit_label(E), c2 = emit_label(E);
      emit_jmp(E, BPF_JSGE, R2, 0, 0, false, c1);
      emit_mov_imm(E, R2, 0);
      emit_bind(E, c1);
      emit_jmp(E, BPF_JSLT, R2, 0, nb, false, c2);
      emit_mov_imm(E, R2, nb - 1);
      emit_bind(E, c2);
    }
    /* bounds for the verifier, then buckets[r2]++ */
    emit_jmp(E, BPF_JGE, R2, 0, nb, false, done);
    emit_alu_imm(E, BPF_LSH, R2, 3);
    emit_mov(E, R3, R_PTR);
    emit_alu(E, BPF_ADD, R3, R2);
    emit_ldx(E, BPF_DW, R4, R3, (int16_t)sizeof(StatValue));
    emit_alu_imm(E, BPF_ADD, R4, 1);
    emit_stx(E, BPF_DW, R3, (int16_t)sizeof(StatValue), R4);
    emit_bind(E, done);
  }
  /* A new element (or any element, in a user program: lookups there hand
   * out copies) is stored back. */
  if (g->user) {
    map_put(g, gg, key, (Loc){.reg = R_PTR}, array_base(lhs));
  } else {
    emit_mov(E, R1, R_SCR);
    emit_alu_imm(E, BPF_ADD, R1, (int32_t)nv);
    emit_jmp(E, BPF_JNE, R_PTR, R1, 0, true, upd);
    map_put(g, gg, key, scr(nv), array_base(lhs));
  }
  emit_bind(E, upd);
  g->top = mark;
}

/* @count(x) ...: r0 = the extractor's value. */
static void gen_stat(Gen *g, Expr *x) {
  Expr *base = x->l;
  GGlobal *gg = array_of(g, base);
  if (!gg) return;
  uint32_t mark = g->top;
  uint32_t key = build_key(g, gg, base->kind == E_INDEX ? &base->args : NULL);
  if (!g->user) {
    gen_stat_kernel(g, x, gg, key); /* stats.c */
    g->top = mark;
    return;
  }
  static const int which[] = {[STAT_COUNT] = STAT_W_COUNT, [STAT_SUM] = STAT_W_SUM,
                              [STAT_MIN] = STAT_W_MIN,     [STAT_MAX] = STAT_W_MAX,
                              [STAT_AVG] = STAT_W_AVG,     [STAT_VARIANCE] = STAT_W_VARIANCE};
  int shift = 0;
  if (x->stat == STAT_VARIANCE && x->args.len && ((Expr *)x->args.items[0])->kind == E_NUM)
    shift = (int)((Expr *)x->args.items[0])->num;
  uint32_t out = gen_tmp(g, 8);
  emit_map(E, R1, gg->map);
  emit_mov(E, R2, R_SCR);
  emit_alu_imm(E, BPF_ADD, R2, (int32_t)key);
  emit_mov_imm(E, R3, which[x->stat] | shift << 8);
  emit_mov(E, R4, R_SCR);
  emit_alu_imm(E, BPF_ADD, R4, (int32_t)out);
  emit_call(E, BO_H_STAT_GET);
  /* -1: an empty aggregate */
  check_error(g, BPF_JEQ, R0, 0, BO_ERR_EMPTY,
              gen_site(g, x->loc, arena_printf(g->arena, "operator '@%s'",
                                               stat_op_name(x->stat))));
  emit_ldx(E, BPF_DW, R0, R_SCR, (int16_t)out);
  g->top = mark;
}

/* ---- Target variables ---- */

/* Walk typedefs and modifiers. */
int gen_skip_mods(const struct btf *b, int id) {
  const struct btf_type *t = btf__type_by_id(b, (unsigned)id);
  while (t && (btf_is_typedef(t) || btf_is_mod(t))) {
    id = (int)t->type;
    t = btf__type_by_id(b, t->type);
  }
  return id;
}

/* Byte offset of member `name` in struct/union id (searching anonymous
 * members), or -1. */
long member_offset(const struct btf *b, int id, const char *name) {
  const struct btf_type *t = btf__type_by_id(b, (unsigned)gen_skip_mods(b, id));
  if (!t || !btf_is_composite(t)) return -1;
  const struct btf_member *m = btf_members(t);
  for (unsigned i = 0; i < btf_vlen(t); i++) {
    const char *mn = btf__name_by_offset(b, m[i].name_off);
    long off = (long)(btf_member_bit_offset(t, i) / 8);
    if (mn && *mn) {
      if (strcmp(mn, name) == 0) return off;
    } else {
      long sub = member_offset(b, (int)m[i].type, name);
      if (sub >= 0) return off + sub;
    }
  }
  return -1;
}

static void read_mem(Gen *g, int size, bool sign, bool user, SrcLoc loc, const char *what) {
  uint32_t mark = g->top, t = gen_tmp(g, 16);
  emit_mov(E, R3, R1);
  emit_stx(E, BPF_DW, R_SCR, (int16_t)(t + 8), R3); /* the address, for the message */
  emit_mov(E, R1, R_SCR);
  emit_alu_imm(E, BPF_ADD, R1, (int32_t)t);
  emit_mov_imm(E, R2, size);
  emit_call(E, user ? BPF_FUNC_probe_read_user : BPF_FUNC_probe_read_kernel);
  uint32_t ok = emit_label(E);
  emit_jmp(E, BPF_JEQ, R0, 0, 0, false, ok);
  emit_ldx(E, BPF_DW, R1, R_SCR, (int16_t)(t + 8));
  gen_runtime_error(g, BO_ERR_READ, gen_site(g, loc, what), R1);
  emit_bind(E, ok);
  static const uint8_t sizes[9] = {[1] = BPF_B, [2] = BPF_H, [4] = BPF_W, [8] = BPF_DW};
  emit_ldx(E, sizes[size], R0, R_SCR, (int16_t)t);
  if (sign && size < 8) {
    emit_alu_imm(E, BPF_LSH, R0, 64 - size * 8);
    emit_alu_imm(E, BPF_ARSH, R0, 64 - size * 8);
  }
  g->top = mark;
}

void read_kernel(Gen *g, int size, bool sign, SrcLoc loc, const char *what) {
  read_mem(g, size, sign, false, loc, what);
}

void read_user(Gen *g, int size, bool sign, SrcLoc loc, const char *what) {
  read_mem(g, size, sign, true, loc, what);
}

/* Is BTF type id a signed integer? */
static bool btf_signed(const struct btf *b, int id) {
  const struct btf_type *t = btf__type_by_id(b, (unsigned)gen_skip_mods(b, id));
  if (t && btf_is_int(t)) return (btf_int_encoding(t) & BTF_INT_SIGNED) != 0;
  return t && btf_is_enum(t);
}

/* r0 = the base value of a target variable (before any -> chain). */
static void target_base(Gen *g, Expr *x, const TargetVar *v) {
  Probe *p = g->probe;
  if (g->user) {
    gen_error(g, x->loc, "'%s' has no value in a %s probe", x->name, p->point);
    return;
  }
  switch (p->family) {
  case PF_SYSCALL:
    if (g->sysabi) {
      /* A syscall program (codegen.c): $return is the tracepoint's ret;
       * an argument is its register in struct pt_regs (at exit still the
       * value the call was made with), cut to its C type as the
       * kernel's SYSCALL_DEFINE wrappers cut it. */
      if (p->is_return && strcmp(v->name, "return") == 0) {
        emit_ldx(E, BPF_DW, R0, R_CTX, 8);
        return;
      }
      size_t i = 0;
      while (i < p->vars.len && p->vars.items[i] != v) i++;
      if (i >= 6) break;
      emit_ldx(E, BPF_DW, R0, R_CTX, 0);
      emit_ldx(E, BPF_DW, R0, R0, (int16_t)g->sysabi->arg_offset[i]);
      if (v->size == 1 || v->size == 2 || v->size == 4) {
        emit_alu_imm(E, BPF_LSH, R0, 64 - v->size * 8);
        emit_alu_imm(E, v->is_signed ? BPF_ARSH : BPF_RSH, R0, 64 - v->size * 8);
      }
      return;
    }
    /* a syscalls:sys_enter_NAME tracepoint's record */
    __attribute__((fallthrough));
  case PF_TRACEPOINT: {
    if (!v->is_field && p->family == PF_TRACEPOINT) {
      /* raw tracepoint: args[i] in TP_PROTO order */
      int i = 0;
      for (size_t k = 0; k < p->vars.len; k++) {
        const TargetVar *w = p->vars.items[k];
        if (w == v) break;
        if (!w->is_field) i++;
      }
      emit_ldx(E, BPF_DW, R0, R_CTX, (int16_t)(8 * i));
      return;
    }
    int off = v->offset, size = v->size;
    if (p->family == PF_SYSCALL && p->is_return && strcmp(v->name, "return") == 0) {
      off = 16;
      size = 8;
    }
    if (v->data_loc) {
      /* __data_loc: u32 (len << 16 | offset); the value is its address. */
      emit_ldx(E, BPF_W, R0, R_CTX, (int16_t)off);
      emit_alu_imm(E, BPF_AND, R0, 0xffff);
      emit_alu(E, BPF_ADD, R0, R_CTX);
      return;
    }
    if (size != 1 && size != 2 && size != 4 && size != 8) {
      /* an array in the record: its address */
      emit_mov(E, R0, R_CTX);
      emit_alu_imm(E, BPF_ADD, R0, off);
      return;
    }
    static const uint8_t sizes[9] = {[1] = BPF_B, [2] = BPF_H, [4] = BPF_W, [8] = BPF_DW};
    emit_ldx(E, sizes[size], R0, R_CTX, (int16_t)off);
    if (v->is_signed && size < 8) {
      emit_alu_imm(E, BPF_LSH, R0, 64 - size * 8);
      emit_alu_imm(E, BPF_ARSH, R0, 64 - size * 8);
    }
    return;
  }
  case PF_KFUNC: {
    /* in a .return probe, a parameter is its value at entry (entry.c),
     * which fexit still has */
    if (p->is_return && !g->fentry && strcmp(v->name, "return") != 0) {
      if (!entry_value(g, NULL, v)) break;
      return;
    }
    /* a kprobe's struct pt_regs: the i-th parameter's register at entry,
     * the return value's at return; cut to the C type's size */
    const char *arch = g->target->kernel ? g->target->kernel->arch : NULL;
    int off = -1, i = 0;
    bool ret = !strcmp(v->name, "return") && p->is_return;
    if (g->fentry) {
      /* fentry/fexit: the arguments as u64s, then the return value */
      int nparams = 0;
      for (size_t k = 0; k < p->vars.len; k++)
        nparams += strcmp(((const TargetVar *)p->vars.items[k])->name, "return") != 0;
      while (i < (int)p->vars.len && p->vars.items[i] != v) i++;
      off = 8 * (ret ? nparams : i);
    } else if (ret) {
      off = arch_return_offset(arch);
    } else {
      while (i < (int)p->vars.len && p->vars.items[i] != v) i++;
      off = arch_func_arg_offset(arch, i);
    }
    struct btf *b = target_btf(g->target, NULL);
    long size = b && v->btf_id ? btf__resolve_size(b, (unsigned)v->btf_id) : 8;
    if (off < 0 || (size != 1 && size != 2 && size != 4 && size != 8)) break;
    emit_ldx(E, BPF_DW, R0, R_CTX, (int16_t)off);
    if (size < 8) {
      bool sign = b && btf_signed(b, gen_skip_mods(b, v->btf_id));
      emit_alu_imm(E, BPF_LSH, R0, 64 - (int)size * 8);
      emit_alu_imm(E, sign ? BPF_ARSH : BPF_RSH, R0, 64 - (int)size * 8);
    }
    return;
  }
  case PF_UFUNC: {
    /* in a .return probe, a parameter is its value at entry (entry.c) */
    if (p->is_return && strcmp(v->name, "return") != 0) {
      if (!entry_value(g, NULL, v)) break;
      return;
    }
    /* a register of the uprobe's struct pt_regs (see uparams.h) */
    int size = v->size ? v->size : 8, off = v->offset;
    if (!v->size && !strcmp(v->name, "return"))
      off = arch_return_offset(g->target->kernel ? g->target->kernel->arch : NULL);
    if (off < 0 || (size != 1 && size != 2 && size != 4 && size != 8)) break;
    emit_ldx(E, BPF_DW, R0, R_CTX, (int16_t)off);
    if (size < 8) {
      emit_alu_imm(E, BPF_LSH, R0, 64 - size * 8);
      emit_alu_imm(E, v->is_signed ? BPF_ARSH : BPF_RSH, R0, 64 - size * 8);
    }
    return;
  }
  default:
    break;
  }
  gen_error(g, x->loc, "'%s' is not available in %s on the bpf runtime", x->name, p->point);
}

/* r0 = value of a target expression ($var->a->b, @cast(...)->c), or for
 * a string (char array) its address in r0 with *is_str set. */
static void gen_target(Gen *g, Expr *x, bool *is_str) {
  struct btf *b = target_btf(g->target, NULL);
  int id;
  *is_str = false;
  if (x->kind == E_TARGET) {
    const TargetVar *v = x->ref;
    if (!v) {
      gen_error(g, x->loc, "unresolved target variable '%s'", x->name);
      return;
    }
    target_base(g, x, v);
    id = v->btf_id;
    if (!x->comps.len && v->is_field && x->vtype == VT_STRING && !x->addr_of) {
      /* a char array or __data_loc string of the record: its address */
      *is_str = true;
      return;
    }
    if (!x->comps.len && !b) return;
  } else { /* E_CAST, E_AUTOCAST */
    gen_long(g, x->l);
    id = x->btf_id;
  }
  if (!b || !id) {
    if (x->comps.len) gen_error(g, x->loc, "no type information for this chain");
    return;
  }
  /* r0 holds a value of type id; walk the chain keeping an address. */
  bool have_addr = false; /* r0 is the address of a value of type id */
  for (size_t i = 0; i < x->comps.len; i++) {
    TargetComp *c = x->comps.items[i];
    int cur = gen_skip_mods(b, id);
    const struct btf_type *t = btf__type_by_id(b, (unsigned)cur);
    if (have_addr && btf_is_ptr(t)) {
      emit_mov(E, R1, R0);
      read_kernel(g, 8, false, c->loc, c->is_index ? "operator '['" : "operator '->'");
      have_addr = false;
    }
    if (c->is_index) {
      int el = btf_is_ptr(t) ? (int)t->type : (int)btf_array(t)->type;
      long esz = btf__resolve_size(b, (unsigned)el);
      if (!btf_is_ptr(t) && !have_addr) {
        gen_error(g, c->loc, "cannot index this value");
        return;
      }
      uint32_t mark = g->top, tb = gen_tmp(g, 8);
      emit_stx(E, BPF_DW, R_SCR, (int16_t)tb, R0);
      gen_long(g, c->index);
      emit_mov_imm(E, R1, esz);
      emit_alu(E, BPF_MUL, R0, R1);
      emit_ldx(E, BPF_DW, R1, R_SCR, (int16_t)tb);
      emit_alu(E, BPF_ADD, R0, R1);
      g->top = mark;
      id = el;
    } else {
      int sid = cur;
      if (btf_is_ptr(t)) sid = gen_skip_mods(b, (int)t->type);
      long off = member_offset(b, sid, c->name);
      if (off < 0) {
        gen_error(g, c->loc, "no member '%s'", c->name);
        return;
      }
      gen_member_add(g, sid, c->name, off); /* core.c */
      id = c->btf_id;
    }
    have_addr = true;
  }
  if (!have_addr || x->addr_of) return;
  int fin = gen_skip_mods(b, id);
  const struct btf_type *t = btf__type_by_id(b, (unsigned)fin);
  if (btf_is_array(t)) {
    *is_str = true;
    return;
  }
  long size = btf__resolve_size(b, (unsigned)fin);
  if (size != 1 && size != 2 && size != 4 && size != 8) {
    gen_error(g, x->loc, "cannot read a value of %ld bytes", size);
    return;
  }
  emit_mov(E, R1, R0);
  read_kernel(g, (int)size, btf_signed(b, fin), x->loc,
              x->kind == E_TARGET ? arena_printf(g->arena, "identifier '%s'", x->name)
              : x->kind == E_CAST ? "operator '@cast'" : "operator '->'");
}

/* ---- Expressions ---- */

void gen_long(Gen *g, Expr *x) {
  if (g->failed) return;
  switch (x->kind) {
  case E_NUM:
    emit_mov_imm(E, R0, x->num);
    return;
  case E_VAR: {
    const Symbol *s = x->ref;
    if (!s) break;
    if (s->kind == SYM_GLOBAL) {
      if (s->arity > 0 || s->type == VT_STATS) break;
      emit_ldx(E, BPF_DW, R0, R_GLOB, (int16_t)global_loc(g, s).off);
      return;
    }
    int off = slot_of(g, s);
    if (off < 0) break;
    emit_ldx(E, BPF_DW, R0, R_SCR, (int16_t)off);
    return;
  }
  case E_INDEX: {
    GGlobal *gg = array_of(g, x);
    if (gg) array_read_long(g, gg, &x->args);
    return;
  }
  case E_IN: {
    GGlobal *gg = array_of(g, x);
    if (!gg) return;
    uint32_t mark = g->top;
    uint32_t key = build_key(g, gg, &x->args);
    map_call(g, BPF_FUNC_map_lookup_elem, gg->map, key, -1, 0);
    uint32_t no = emit_label(E);
    emit_jmp(E, BPF_JEQ, R0, 0, 0, false, no);
    emit_mov_imm(E, R0, 1);
    emit_bind(E, no);
    g->top = mark;
    return;
  }
  case E_UNARY:
    gen_long(g, x->l);
    if (x->op == OP_MINUS) emit_insn(E, BPF_ALU64 | BPF_NEG, R0, 0, 0, 0);
    else if (x->op == OP_TILDE) emit_alu_imm(E, BPF_XOR, R0, -1);
    else if (x->op == OP_NOT) {
      uint32_t t = emit_label(E);
      emit_mov(E, R1, R0);
      emit_mov_imm(E, R0, 1);
      emit_jmp(E, BPF_JEQ, R1, 0, 0, false, t);
      emit_mov_imm(E, R0, 0);
      emit_bind(E, t);
    }
    return;
  case E_CREMENT:
    assign_long(g, x->l, x->op, NULL, x->post, x->loc);
    return;
  case E_BINARY: {
    if (x->op == OP_ANDAND || x->op == OP_OROR) {
      uint32_t done = emit_label(E);
      gen_long(g, x->l);
      emit_mov(E, R1, R0);
      emit_mov_imm(E, R0, x->op == OP_OROR ? 1 : 0);
      emit_jmp(E, x->op == OP_OROR ? BPF_JNE : BPF_JEQ, R1, 0, 0, false, done);
      gen_long(g, x->r);
      emit_mov(E, R1, R0);
      emit_mov_imm(E, R0, 1);
      emit_jmp(E, BPF_JNE, R1, 0, 0, false, done);
      emit_mov_imm(E, R0, 0);
      emit_bind(E, done);
      return;
    }
    if (cmp_jump(x->op)) {
      if ((x->op == OP_EQ || x->op == OP_NE) && (x->l->kind == E_STR || x->r->kind == E_STR)) {
        if (x->r->kind == E_STR) str_equal_literal(g, x->l, x->r);
        else str_equal_literal(g, x->r, x->l);
        emit_mov_imm(E, R1, 0);
      } else if (is_string(x->l) || is_string(x->r)) {
        str_compare(g, x->l, x->r);
        emit_mov_imm(E, R1, 0);
      } else {
        gen_pair(g, x->l, x->r);
      }
      set_cmp(g, cmp_jump(x->op));
      return;
    }
    if (ast_is_regex_op(x->op)) {
      gen_regex_match(g, x);
      return;
    }
    gen_pair(g, x->l, x->r);
    arith(g, x->op, x->loc);
    return;
  }
  case E_TERNARY: {
    uint32_t els = emit_label(E), done = emit_label(E);
    gen_cond_false(g, x->cond, els);
    gen_long(g, x->l);
    emit_ja(E, done);
    emit_bind(E, els);
    gen_long(g, x->r);
    emit_bind(E, done);
    return;
  }
  case E_ASSIGN:
    if (x->op == OP_AGGREGATE) {
      gen_aggregate(g, x->l, x->r);
      return;
    }
    if (is_string(x->l)) {
      assign_str(g, x->l, x->op, x->r);
      return;
    }
    assign_long(g, x->l, x->op, x->r, false, x->loc);
    return;
  case E_STAT:
    gen_stat(g, x);
    return;
  case E_CALL:
    gen_call(g, x, NULL);
    return;
  case E_TARGET: case E_CAST: case E_AUTOCAST: {
    bool is_str;
    gen_target(g, x, &is_str);
    return;
  }
  case E_ENTRY:
    if (entry_value(g, x, NULL)) return;
    break;
  default:
    break;
  }
  gen_error(g, x->loc, "this expression is not available on the bpf runtime");
}

/* Write the string value of x at dst. */
void str_into(Gen *g, Expr *x, Loc dst) {
  if (g->failed) return;
  uint32_t mark = g->top;
  switch (x->kind) {
  case E_STR:
    put_literal(g, dst, x->str, x->len);
    return;
  case E_VAR: {
    Loc src;
    if (str_in_place(g, x, &src)) {
      if (src.reg != dst.reg || src.off != dst.off) copy_str(g, dst, src);
      return;
    }
    break;
  }
  case E_INDEX: {
    GGlobal *gg = array_of(g, x);
    if (!gg) return;
    uint32_t key = build_key(g, gg, &x->args);
    map_call(g, BPF_FUNC_map_lookup_elem, gg->map, key, -1, 0);
    uint32_t none = emit_label(E), done = emit_label(E);
    emit_jmp(E, BPF_JEQ, R0, 0, 0, false, none);
    emit_mov(E, R3, R0);
    ptr_of(g, R1, dst);
    emit_mov_imm(E, R2, g->S);
    emit_call(E, BPF_FUNC_probe_read_kernel_str);
    emit_ja(E, done);
    emit_bind(E, none);
    emit_st(E, BPF_B, dst.reg, (int16_t)dst.off, 0);
    emit_bind(E, done);
    g->top = mark;
    return;
  }
  case E_BINARY:
    if (x->op == OP_DOT) {
      Loc r;
      bool r_place = str_in_place(g, x->r, &r);
      bool overlap = r_place && r.reg == dst.reg && r.off == dst.off;
      if (overlap) { /* s = a . s: build elsewhere */
        Loc t = scr(gen_tmp(g, g->S));
        str_into(g, x, t);
        copy_str(g, dst, t);
        g->top = mark;
        return;
      }
      str_into(g, x->l, dst);
      Loc src = str_loc(g, x->r);
      append_str(g, dst, src);
      g->top = mark;
      return;
    }
    break;
  case E_TERNARY: {
    uint32_t els = emit_label(E), done = emit_label(E);
    gen_cond_false(g, x->cond, els);
    str_into(g, x->l, dst);
    emit_ja(E, done);
    emit_bind(E, els);
    str_into(g, x->r, dst);
    emit_bind(E, done);
    g->top = mark;
    return;
  }
  case E_ASSIGN:
    if (x->l->kind == E_VAR) {
      assign_str(g, x->l, x->op, x->r);
      Loc src;
      if (str_in_place(g, x->l, &src) && (src.reg != dst.reg || src.off != dst.off))
        copy_str(g, dst, src);
      return;
    }
    break;
  case E_CALL:
    gen_call(g, x, &dst);
    g->top = mark;
    return;
  case E_ENTRY: {
    Loc src;
    if (!entry_string(g, x, &src)) break;
    copy_str(g, dst, src);
    return;
  }
  case E_TARGET: case E_CAST: case E_AUTOCAST: {
    bool is_str;
    gen_target(g, x, &is_str);
    if (!is_str) break;
    /* a record's char array may fill its bytes without a NUL */
    const TargetVar *v = x->kind == E_TARGET && !x->comps.len ? x->ref : NULL;
    uint32_t n = v && v->is_field && !v->data_loc && v->size > 0 && (uint32_t)v->size < g->S
                     ? (uint32_t)v->size + 1 : g->S;
    emit_mov(E, R3, R0);
    ptr_of(g, R1, dst);
    emit_mov_imm(E, R2, n);
    emit_call(E, BPF_FUNC_probe_read_kernel_str);
    g->top = mark;
    return;
  }
  default:
    break;
  }
  gen_error(g, x->loc, "this string expression is not available on the bpf runtime");
}
