/* stats: reading a statistic (@count, @sum, @min, @max, @avg, @variance)
 * in a kernel program, and taking one whole for print(@hist_*).
 *
 * A statistic is one StatValue per CPU in a per-CPU map
 * (runtime/common/stat.h).  A user program asks staprun, which merges the
 * copies; a kernel program merges them itself, with the same arithmetic
 * as stat_merge and stat_extract: a bpf_loop over the possible CPUs
 * (BoControl.ncpus) reads each CPU's copy with bpf_map_lookup_percpu_elem
 * (kernel 5.19) and folds it into a total in scratch; the extractor then
 * works on the total.  An empty statistic is 0 for @count and @sum and
 * the error "empty aggregate" for the others, as in a user program. */
#include <stddef.h>

#include "bpf/gen.h"
#include "front/ast.h"

#define E (g->e)

/* The scratch of one read. */
typedef struct StatRead {
  GGlobal *gg;
  uint32_t key;
  uint32_t count, sum, min, max; /* the total */
  uint32_t na, na2, s2;          /* @variance's terms (stat.h) */
  bool variance;
} StatRead;

static int16_t o16(uint32_t off) { return (int16_t)off; }

/* acc += r */
static void add_to(Gen *g, uint32_t acc, uint8_t r) {
  emit_ldx(E, BPF_DW, R4, R_SCR, o16(acc));
  emit_alu(E, BPF_ADD, R4, r);
  emit_stx(E, BPF_DW, R_SCR, o16(acc), R4);
}

/* One CPU's copy, the CPU in r5, folded into the total. */
static void read_body(Gen *g, void *arg, uint32_t next, uint32_t stop) {
  StatRead *r = arg;
  emit_ldx(E, BPF_DW, R1, R_GLOB, (int16_t)offsetof(BoControl, ncpus));
  emit_jmp(E, BPF_JGE, R5, R1, 0, true, stop);
  emit_map(E, R1, r->gg->map);
  emit_mov(E, R2, R_SCR);
  emit_alu_imm(E, BPF_ADD, R2, (int32_t)r->key);
  emit_mov(E, R3, R5);
  emit_call(E, BPF_FUNC_map_lookup_percpu_elem);
  emit_jmp(E, BPF_JEQ, R0, 0, 0, false, next);
  emit_ldx(E, BPF_DW, R1, R0, (int16_t)offsetof(StatValue, count));
  emit_jmp(E, BPF_JEQ, R1, 0, 0, false, next);
  /* min and max: the first copy's, then the least and the greatest */
  uint32_t first = emit_label(E), merged = emit_label(E), lo = emit_label(E), hi = emit_label(E);
  emit_ldx(E, BPF_DW, R2, R_SCR, o16(r->count));
  emit_ldx(E, BPF_DW, R3, R0, (int16_t)offsetof(StatValue, min));
  emit_ldx(E, BPF_DW, R4, R0, (int16_t)offsetof(StatValue, max));
  emit_jmp(E, BPF_JEQ, R2, 0, 0, false, first);
  emit_ldx(E, BPF_DW, R5, R_SCR, o16(r->min));
  emit_jmp(E, BPF_JSGE, R3, R5, 0, true, lo);
  emit_stx(E, BPF_DW, R_SCR, o16(r->min), R3);
  emit_bind(E, lo);
  emit_ldx(E, BPF_DW, R5, R_SCR, o16(r->max));
  emit_jmp(E, BPF_JSLE, R4, R5, 0, true, hi);
  emit_stx(E, BPF_DW, R_SCR, o16(r->max), R4);
  emit_bind(E, hi);
  emit_ja(E, merged);
  emit_bind(E, first);
  emit_stx(E, BPF_DW, R_SCR, o16(r->min), R3);
  emit_stx(E, BPF_DW, R_SCR, o16(r->max), R4);
  emit_bind(E, merged);
  add_to(g, r->count, R1);
  emit_ldx(E, BPF_DW, R2, R0, (int16_t)offsetof(StatValue, sum));
  add_to(g, r->sum, R2);
  if (!r->variance) return;
  /* n = r1, a = avg_s: na += n*a, na2 += n*a*a, s2 += (n-1) * vs with
   * vs = div64(m2, n - 1) (0 when n is 1) */
  emit_ldx(E, BPF_DW, R2, R0, (int16_t)offsetof(StatValue, avg_s));
  emit_mov(E, R3, R1);
  emit_alu(E, BPF_MUL, R3, R2);
  add_to(g, r->na, R3);
  emit_alu(E, BPF_MUL, R3, R2);
  add_to(g, r->na2, R3);
  uint32_t single = emit_label(E);
  emit_jmp(E, BPF_JEQ, R1, 0, 1, false, single);
  emit_ldx(E, BPF_DW, R2, R0, (int16_t)offsetof(StatValue, m2));
  emit_alu_imm(E, BPF_SUB, R1, 1);
  emit_mov(E, R3, R1);             /* n - 1 > 0: C's division */
  emit_mov(E, R0, R2);
  emit_mov(E, R1, R3);
  gen_sdiv(g);                     /* r0 = m2 / (n - 1) */
  emit_alu(E, BPF_MUL, R0, R3);
  add_to(g, r->s2, R0);
  emit_bind(E, single);
}

/* ---- print(@hist_*): the statistic as it is at the print ---- */

typedef struct HistSnap {
  GGlobal *gg;
  uint32_t key;
  uint32_t val;   /* the merged StatValue in scratch */
  uint32_t cpu;   /* u64: the CPU whose copy the bucket loop adds */
  uint32_t i;     /* u64: the bucket across the lookup */
  int nb;         /* buckets */
} HistSnap;

/* Bucket r5 of the CPU's copy added to the total's.  Each pass looks the
 * copy up again: a map value's pointer cannot wait in scratch. */
static void bucket_body(Gen *g, void *arg, uint32_t next, uint32_t stop) {
  HistSnap *h = arg;
  (void)next;
  emit_jmp(E, BPF_JGE, R5, 0, h->nb, false, stop);
  emit_stx(E, BPF_DW, R_SCR, o16(h->i), R5);
  emit_map(E, R1, h->gg->map);
  emit_mov(E, R2, R_SCR);
  emit_alu_imm(E, BPF_ADD, R2, (int32_t)h->key);
  emit_ldx(E, BPF_DW, R3, R_SCR, o16(h->cpu));
  emit_call(E, BPF_FUNC_map_lookup_percpu_elem);
  emit_jmp(E, BPF_JEQ, R0, 0, 0, false, stop);
  emit_ldx(E, BPF_DW, R1, R_SCR, o16(h->i));
  emit_jmp(E, BPF_JGE, R1, 0, h->nb, false, stop); /* the bound, for the verifier */
  emit_alu_imm(E, BPF_LSH, R1, 3);
  emit_alu(E, BPF_ADD, R0, R1);
  emit_ldx(E, BPF_DW, R3, R0, (int16_t)offsetof(StatValue, buckets));
  emit_mov(E, R2, R_SCR);
  emit_alu(E, BPF_ADD, R2, R1);
  emit_ldx(E, BPF_DW, R4, R2, o16(h->val + offsetof(StatValue, buckets)));
  emit_alu(E, BPF_ADD, R4, R3);
  emit_stx(E, BPF_DW, R2, o16(h->val + offsetof(StatValue, buckets)), R4);
}

/* CPU r5's buckets, each added to the total's. */
static void snap_body(Gen *g, void *arg, uint32_t next, uint32_t stop) {
  HistSnap *h = arg;
  (void)next;
  emit_ldx(E, BPF_DW, R1, R_GLOB, (int16_t)offsetof(BoControl, ncpus));
  emit_jmp(E, BPF_JGE, R5, R1, 0, true, stop);
  emit_stx(E, BPF_DW, R_SCR, o16(h->cpu), R5);
  gen_bpf_loop(g, (uint32_t)h->nb, bucket_body, h);
}

void gen_stat_snapshot(Gen *g, GGlobal *gg, uint32_t key, uint32_t val) {
  uint32_t size = (uint32_t)stat_size(&gg->hist);
  for (uint32_t off = 0; off < size; off += 8) emit_st(E, BPF_DW, R_SCR, o16(val + off), 0);
  StatRead *r = arena_alloc(g->arena, sizeof *r);
  *r = (StatRead){.gg = gg, .key = key, .count = val + offsetof(StatValue, count),
                  .sum = val + offsetof(StatValue, sum), .min = val + offsetof(StatValue, min),
                  .max = val + offsetof(StatValue, max)};
  gen_bpf_loop(g, GEN_MAX_CPUS, read_body, r);
  HistSnap *h = arena_alloc(g->arena, sizeof *h);
  *h = (HistSnap){.gg = gg, .key = key, .val = val, .cpu = gen_tmp(g, 8), .i = gen_tmp(g, 8),
                  .nb = stat_buckets(&gg->hist)};
  if (h->nb > 0) gen_bpf_loop(g, GEN_MAX_CPUS, snap_body, h);
}

void gen_stat_kernel(Gen *g, Expr *x, GGlobal *gg, uint32_t key) {
  uint32_t mark = g->top;
  StatRead *r = arena_alloc(g->arena, sizeof *r);
  *r = (StatRead){.gg = gg, .key = key, .variance = x->stat == STAT_VARIANCE};
  r->count = gen_tmp(g, 8);
  r->sum = gen_tmp(g, 8);
  r->min = gen_tmp(g, 8);
  r->max = gen_tmp(g, 8);
  r->na = gen_tmp(g, 8);
  r->na2 = gen_tmp(g, 8);
  r->s2 = gen_tmp(g, 8);
  for (uint32_t off = r->count; off <= r->s2; off += 8) emit_st(E, BPF_DW, R_SCR, o16(off), 0);
  gen_bpf_loop(g, GEN_MAX_CPUS, read_body, r);
  emit_ldx(E, BPF_DW, R0, R_SCR, o16(r->count));
  if (x->stat == STAT_COUNT) goto out;
  if (x->stat == STAT_SUM) {
    emit_ldx(E, BPF_DW, R0, R_SCR, o16(r->sum));
    goto out;
  }
  check_error(g, BPF_JNE, R0, 0, BO_ERR_EMPTY,
              gen_site(g, x->loc, arena_printf(g->arena, "operator '@%s'",
                                               stat_op_name(x->stat))));
  switch (x->stat) {
  case STAT_MIN: emit_ldx(E, BPF_DW, R0, R_SCR, o16(r->min)); break;
  case STAT_MAX: emit_ldx(E, BPF_DW, R0, R_SCR, o16(r->max)); break;
  case STAT_AVG:
    emit_mov(E, R1, R0);
    emit_ldx(E, BPF_DW, R0, R_SCR, o16(r->sum));
    gen_sdiv(g);
    break;
  default: { /* @variance: stat_extract's */
    int shift = 0;
    if (x->args.len && ((Expr *)x->args.items[0])->kind == E_NUM)
      shift = (int)((Expr *)x->args.items[0])->num;
    uint32_t a = gen_tmp(g, 8), zero = emit_label(E), done = emit_label(E);
    emit_mov(E, R1, R0); /* n */
    emit_ldx(E, BPF_DW, R0, R_SCR, o16(r->sum));
    emit_alu_imm(E, BPF_LSH, R0, shift);
    gen_sdiv(g);         /* a = (sum << shift) / n */
    emit_stx(E, BPF_DW, R_SCR, o16(a), R0);
    /* s1 = na2 - 2*a*na + a*a*n */
    emit_mov(E, R1, R0);
    emit_alu_imm(E, BPF_MUL, R1, 2);
    emit_ldx(E, BPF_DW, R2, R_SCR, o16(r->na));
    emit_alu(E, BPF_MUL, R1, R2);
    emit_ldx(E, BPF_DW, R3, R_SCR, o16(r->na2));
    emit_alu(E, BPF_SUB, R3, R1);
    emit_alu(E, BPF_MUL, R0, R0);
    emit_ldx(E, BPF_DW, R1, R_SCR, o16(r->count));
    emit_alu(E, BPF_MUL, R0, R1);
    emit_alu(E, BPF_ADD, R0, R3);
    emit_ldx(E, BPF_DW, R2, R_SCR, o16(r->s2));
    emit_alu(E, BPF_ADD, R0, R2);
    /* / (n - 1): 0 when n is 1 (div64 by 0) */
    emit_alu_imm(E, BPF_SUB, R1, 1);
    emit_jmp(E, BPF_JEQ, R1, 0, 0, false, zero);
    gen_sdiv(g);
    emit_alu_imm(E, BPF_ARSH, R0, (2 * shift) & 63);
    emit_ja(E, done);
    emit_bind(E, zero);
    emit_mov_imm(E, R0, 0);
    emit_bind(E, done);
    break;
  }
  }
out:
  g->top = mark;
}
