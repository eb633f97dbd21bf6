/* strings: the string builtins that look inside a string, for both kinds
 * of program: stringat(str, pos), strpos(s1, s2) and
 * __substr_unchecked(str, start, length) (tapset/string.stp builds
 * substr, isinstr, str_replace, strtol and isdigit on them).
 *
 * Strings are NUL-terminated in maxstringlen (S) bytes.  stringat and
 * substr need no loop: one bounded load, one bounded copy.  strpos tries
 * each start in turn: the needle is copied once into a zero-filled
 * buffer, and each candidate, copied with the needle's length into
 * another, is compared with it a word at a time.  In a kernel program the
 * tries are a bpf_loop body (loop.c), which the verifier checks once; a
 * user program loops in place. */
#include <string.h>

#include "bpf/gen.h"
#include "front/ast.h"

#define E (g->e)

static Expr *arg_of(Expr *x, size_t i) { return x->args.items[i]; }
static int16_t o16(uint32_t off) { return (int16_t)off; }

/* A string x in scratch (a bpf_loop body reaches nothing else). */
static Loc in_scratch(Gen *g, Expr *x) {
  Loc l = str_loc(g, x);
  if (l.reg == R_SCR) return l;
  Loc t = scr(gen_tmp(g, g->S));
  copy_str(g, t, l);
  return t;
}

/* Store zeros over size bytes of scratch at off (a multiple of 8). */
static void zero_scratch(Gen *g, uint32_t off, uint32_t size) {
  for (uint32_t i = 0; i < size; i += 8) emit_st(E, BPF_DW, R_SCR, o16(off + i), 0);
}

/* r0 = stringat(str, pos); a position outside the string is an error. */
static void gen_stringat(Gen *g, Expr *x) {
  uint32_t mark = g->top, pos = gen_tmp(g, 8);
  gen_long(g, arg_of(x, 1));
  emit_stx(E, BPF_DW, R_SCR, o16(pos), R0);
  Loc s = str_loc(g, arg_of(x, 0));
  gen_strlen_at(g, s);
  uint32_t bad = emit_label(E), ok = emit_label(E);
  emit_ldx(E, BPF_DW, R1, R_SCR, o16(pos));
  /* unsigned: a negative position is out of range too; the constant
   * bound is the one the verifier needs for the load */
  emit_jmp(E, BPF_JGE, R1, R0, 0, true, bad);
  emit_jmp(E, BPF_JGE, R1, 0, (int32_t)g->S, false, bad);
  ptr_of(g, R2, s);
  emit_alu(E, BPF_ADD, R2, R1);
  emit_ldx(E, BPF_B, R0, R2, 0);
  emit_ja(E, ok);
  emit_bind(E, bad);
  gen_runtime_error(g, BO_ERR_RANGE, gen_site(g, x->loc, "identifier 'stringat'"), -1);
  emit_mov_imm(E, R0, 0);
  emit_bind(E, ok);
  g->top = mark;
}

/* Clamp r0 into [lo, hi]. */
static void clamp(Gen *g, int32_t lo, int32_t hi) {
  uint32_t a = emit_label(E), b = emit_label(E);
  emit_jmp(E, BPF_JSGE, R0, 0, lo, false, a);
  emit_mov_imm(E, R0, lo);
  emit_bind(E, a);
  emit_jmp(E, BPF_JSLE, R0, 0, hi, false, b);
  emit_mov_imm(E, R0, hi);
  emit_bind(E, b);
}

/* dst = the length bytes of str from start (substr() has checked both
 * against the string; they are clamped into the buffer all the same, in
 * the registers that use them: the verifier tracks no bounds through
 * scratch). */
static void gen_substr(Gen *g, Expr *x, Loc dst) {
  uint32_t mark = g->top, start = gen_tmp(g, 8), len = gen_tmp(g, 8);
  gen_long(g, arg_of(x, 1));
  emit_stx(E, BPF_DW, R_SCR, o16(start), R0);
  gen_long(g, arg_of(x, 2));
  emit_stx(E, BPF_DW, R_SCR, o16(len), R0);
  Loc s = str_loc(g, arg_of(x, 0));
  /* a result over its own argument goes through a temporary */
  bool overlap = dst.reg == s.reg && dst.off < s.off + (int32_t)g->S &&
                 s.off < dst.off + (int32_t)g->S;
  Loc to = overlap ? scr(gen_tmp(g, g->S)) : dst;
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(start));
  clamp(g, 0, (int32_t)g->S - 1);
  ptr_of(g, R3, s);
  emit_alu(E, BPF_ADD, R3, R0);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(len));
  clamp(g, 0, (int32_t)g->S - 1);
  emit_mov(E, R2, R0);
  emit_alu_imm(E, BPF_ADD, R2, 1); /* the NUL */
  ptr_of(g, R1, to);
  emit_call(E, BPF_FUNC_probe_read_kernel_str);
  if (overlap) copy_str(g, dst, to);
  g->top = mark;
}

/* The scratch of one strpos. */
typedef struct Pos {
  uint32_t hay;     /* the haystack (in scratch) */
  uint32_t needle;  /* the needle, zero-filled: S + 8 bytes */
  uint32_t cand;    /* the candidate, zero-filled: S + 8 bytes */
  uint32_t last;    /* s64: the last start to try (n1 - n2) */
  uint32_t n2;      /* u64: the needle's length */
  uint32_t i;       /* u64: this try's start */
  uint32_t found;   /* s64: the result */
} Pos;

/* One try, at r5: the candidate there against the needle. */
static void pos_body(Gen *g, void *arg, uint32_t next, uint32_t stop) {
  Pos *p = arg;
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(p->last));
  emit_jmp(E, BPF_JSGT, R5, R0, 0, true, stop);
  emit_stx(E, BPF_DW, R_SCR, o16(p->i), R5);
  emit_mov(E, R1, R_SCR);
  emit_alu_imm(E, BPF_ADD, R1, (int32_t)p->cand);
  emit_ldx(E, BPF_DW, R2, R_SCR, o16(p->n2));
  uint32_t fits = emit_label(E); /* the bound the verifier needs */
  emit_jmp(E, BPF_JLE, R2, 0, (int32_t)g->S - 1, false, fits);
  emit_mov_imm(E, R2, g->S - 1);
  emit_bind(E, fits);
  emit_alu_imm(E, BPF_ADD, R2, 1);
  emit_mov(E, R3, R_SCR);
  emit_alu_imm(E, BPF_ADD, R3, (int32_t)p->hay);
  emit_alu(E, BPF_ADD, R3, R5);
  emit_call(E, BPF_FUNC_probe_read_kernel_str);
  /* the words that hold the needle's bytes and its NUL: both buffers
   * are zero after it */
  uint32_t match = emit_label(E);
  emit_ldx(E, BPF_DW, R4, R_SCR, o16(p->n2));
  for (uint32_t w = 0; w < g->S; w += 8) {
    if (w) emit_jmp(E, BPF_JLT, R4, 0, (int32_t)w, false, match);
    emit_ldx(E, BPF_DW, R1, R_SCR, o16(p->cand + w));
    emit_ldx(E, BPF_DW, R2, R_SCR, o16(p->needle + w));
    emit_jmp(E, BPF_JNE, R1, R2, 0, true, next);
  }
  emit_bind(E, match);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(p->i));
  emit_stx(E, BPF_DW, R_SCR, o16(p->found), R0);
  emit_ja(E, stop);
}

/* r0 = strpos(s1, s2). */
static void gen_strpos(Gen *g, Expr *x) {
  uint32_t mark = g->top;
  Pos *p = arena_alloc(g->arena, sizeof *p);
  uint32_t wide = (g->S + 15) & ~7u;
  p->needle = gen_tmp(g, wide);
  p->cand = gen_tmp(g, wide);
  p->last = gen_tmp(g, 8);
  p->n2 = gen_tmp(g, 8);
  p->i = gen_tmp(g, 8);
  p->found = gen_tmp(g, 8);
  zero_scratch(g, p->needle, wide);
  zero_scratch(g, p->cand, wide);
  emit_st(E, BPF_DW, R_SCR, o16(p->found), -1);
  Loc needle = str_loc(g, arg_of(x, 1));
  copy_str(g, scr(p->needle), needle);
  gen_strlen_at(g, scr(p->needle));
  emit_stx(E, BPF_DW, R_SCR, o16(p->n2), R0);
  p->hay = (uint32_t)in_scratch(g, arg_of(x, 0)).off;
  gen_strlen_at(g, scr(p->hay));
  emit_ldx(E, BPF_DW, R1, R_SCR, o16(p->n2));
  emit_alu(E, BPF_SUB, R0, R1);
  emit_stx(E, BPF_DW, R_SCR, o16(p->last), R0);
  uint32_t done = emit_label(E);
  emit_jmp(E, BPF_JSLT, R0, 0, 0, false, done);
  if (g->user) {
    uint32_t loop = emit_label(E), step = emit_label(E);
    emit_mov_imm(E, R5, 0);
    emit_bind(E, loop);
    pos_body(g, p, step, done);
    emit_bind(E, step);
    emit_ldx(E, BPF_DW, R5, R_SCR, o16(p->i));
    emit_alu_imm(E, BPF_ADD, R5, 1);
    emit_jmp(E, BPF_JLT, R5, 0, (int32_t)g->S, false, loop);
  } else {
    gen_bpf_loop(g, g->S, pos_body, p);
  }
  emit_bind(E, done);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(p->found));
  g->top = mark;
}

bool gen_string_long(Gen *g, Expr *x, const char *n) {
  if (!strcmp(n, "stringat")) gen_stringat(g, x);
  else if (!strcmp(n, "strpos")) gen_strpos(g, x);
  else return false;
  return true;
}

bool gen_string_str(Gen *g, Expr *x, const char *n, Loc dst) {
  if (strcmp(n, "__substr_unchecked")) return false;
  gen_substr(g, x, dst);
  return true;
}
