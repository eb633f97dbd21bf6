/* emit: the instruction buffer of one program (see emit.h). */
#include "bpf/emit.h"

#include <stdlib.h>
#include <string.h>

#include "common/arena.h"

#define GROW(ptr, n, cap)                                          \
  do {                                                             \
    if ((n) == (cap)) {                                            \
      (cap) = (cap) ? (cap) * 2 : 64;                              \
      (ptr) = xrealloc((ptr), (size_t)(cap) * sizeof *(ptr));      \
    }                                                              \
  } while (0)

void emit_init(Emit *e, bool user) {
  memset(e, 0, sizeof *e);
  e->user = user;
}

void emit_free(Emit *e) {
  free(e->labels);
  free(e->fixups);
  free(e->seg_of);
  free(e->label_seg);
  free(e->line_seg);
  free(e->seg_last);
  e->labels = NULL;
  e->fixups = NULL;
  e->seg_of = e->label_seg = e->line_seg = NULL;
  e->seg_last = NULL;
}

void emit_insn(Emit *e, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  if (e->n == e->cap) {
    e->cap = e->cap ? e->cap * 2 : 64;
    e->insns = xrealloc(e->insns, (size_t)e->cap * sizeof *e->insns);
    if (e->seg_of) e->seg_of = xrealloc(e->seg_of, (size_t)e->cap * sizeof *e->seg_of);
  }
  if (e->seg_of) {
    e->seg_of[e->n] = e->cur;
    e->seg_last[e->cur] = (int32_t)e->n;
  }
  e->insns[e->n++] = (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src,
                                       .off = off, .imm = imm};
}

uint32_t emit_label(Emit *e) {
  if (e->nlabels == e->labels_cap) {
    e->labels_cap = e->labels_cap ? e->labels_cap * 2 : 64;
    e->labels = xrealloc(e->labels, (size_t)e->labels_cap * sizeof *e->labels);
    if (e->label_seg)
      e->label_seg = xrealloc(e->label_seg, (size_t)e->labels_cap * sizeof *e->label_seg);
  }
  e->labels[e->nlabels] = -1;
  if (e->label_seg) e->label_seg[e->nlabels] = 0;
  return e->nlabels++;
}

void emit_bind(Emit *e, uint32_t label) {
  e->labels[label] = (int32_t)e->n;
  if (e->label_seg) e->label_seg[label] = e->cur;
}

bool emit_label_used(const Emit *e, uint32_t label) {
  for (uint32_t i = 0; i < e->nfixups; i++)
    if (e->fixups[i].label == label) return true;
  return false;
}

/* The first extra segment: from now on everything records its segment
 * (all so far is segment 0's). */
static void segments_start(Emit *e) {
  e->seg_of = xcalloc(e->cap ? e->cap : 1, sizeof *e->seg_of);
  e->label_seg = xcalloc(e->labels_cap ? e->labels_cap : 1, sizeof *e->label_seg);
  e->line_seg = xcalloc(e->lines_cap ? e->lines_cap : 1, sizeof *e->line_seg);
  e->seg_last = xmalloc(sizeof *e->seg_last);
  e->seg_last[0] = (int32_t)e->n - 1;
  e->nsegs = 1;
}

uint16_t emit_segment(Emit *e) {
  if (!e->seg_of) segments_start(e);
  e->seg_last = xrealloc(e->seg_last, ((size_t)e->nsegs + 1) * sizeof *e->seg_last);
  e->seg_last[e->nsegs] = -1;
  return e->nsegs++;
}

uint16_t emit_switch(Emit *e, uint16_t seg) {
  uint16_t prev = e->cur;
  e->cur = seg;
  return prev;
}

void emit_jmp(Emit *e, uint8_t op, uint8_t dst, uint8_t src, int32_t imm, bool x, uint32_t label) {
  GROW(e->fixups, e->nfixups, e->fixups_cap);
  e->fixups[e->nfixups].insn = e->n;
  e->fixups[e->nfixups++].label = label;
  emit_insn(e, BPF_JMP | op | (x ? BPF_X : BPF_K), dst, src, 0, imm);
}

void emit_ja(Emit *e, uint32_t label) { emit_jmp(e, BPF_JA, 0, 0, 0, false, label); }

void emit_pseudo_call(Emit *e, uint32_t label) {
  GROW(e->fixups, e->nfixups, e->fixups_cap);
  e->fixups[e->nfixups].insn = e->n;
  e->fixups[e->nfixups++].label = label;
  emit_insn(e, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0);
}

void emit_ld_func(Emit *e, uint8_t dst, uint32_t label) {
  GROW(e->fixups, e->nfixups, e->fixups_cap);
  e->fixups[e->nfixups].insn = e->n;
  e->fixups[e->nfixups++].label = label;
  emit_insn(e, BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_FUNC, 0, 0);
  emit_insn(e, 0, 0, 0, 0, 0);
}

bool emit_reachable(const Emit *e) {
  int32_t last = e->seg_last ? e->seg_last[e->cur] : (int32_t)e->n - 1;
  if (last < 0) return true;
  uint8_t code = e->insns[last].code;
  if (code != (BPF_JMP | BPF_JA) && code != (BPF_JMP | BPF_EXIT)) return true;
  /* a label bound in this segment since its last instruction */
  for (uint32_t i = 0; i < e->nfixups; i++) {
    uint32_t l = e->fixups[i].label;
    if (e->labels[l] > last && (!e->label_seg || e->label_seg[l] == e->cur)) return true;
  }
  return false;
}

/* Where the first instruction of segment seg at or after old index at
 * went: order[base[seg] .. base[seg + 1]) are that segment's old indices,
 * ascending. */
static uint32_t seg_position(const uint32_t *order, const uint32_t *base, uint16_t seg,
                             int32_t at) {
  uint32_t lo = base[seg], hi = base[seg + 1];
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if ((int32_t)order[mid] < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* Put the segments one after the other, segment 0 first; everything
 * that names an instruction follows it. */
static void layout(Emit *e) {
  uint32_t ns = e->nsegs;
  uint32_t *base = xcalloc(ns + 1, sizeof *base);
  for (uint32_t i = 0; i < e->n; i++) base[e->seg_of[i] + 1]++;
  for (uint32_t s = 0; s < ns; s++) base[s + 1] += base[s];
  uint32_t *fill = xmalloc(ns * sizeof *fill), *order = xmalloc((e->n + 1) * sizeof *order);
  uint32_t *perm = xmalloc((e->n + 1) * sizeof *perm);
  memcpy(fill, base, ns * sizeof *fill);
  for (uint32_t i = 0; i < e->n; i++) {
    perm[i] = fill[e->seg_of[i]]++;
    order[perm[i]] = i;
  }
  struct bpf_insn *insns = xmalloc((e->n ? e->n : 1) * sizeof *insns);
  for (uint32_t i = 0; i < e->n; i++) insns[perm[i]] = e->insns[i];
  memcpy(e->insns, insns, e->n * sizeof *insns);
  free(insns);
  for (uint32_t l = 0; l < e->nlabels; l++)
    if (e->labels[l] >= 0)
      e->labels[l] = (int32_t)seg_position(order, base, e->label_seg[l], e->labels[l]);
  for (uint32_t i = 0; i < e->nfixups; i++) e->fixups[i].insn = perm[e->fixups[i].insn];
  for (uint32_t i = 0; i < e->nrelocs; i++) e->relocs[i].insn = perm[e->relocs[i].insn];
  for (uint32_t i = 0; i < e->ncore; i++) e->core[i].insn = perm[e->core[i].insn];
  /* lines: moved with their segment (an entry after its segment's last
   * instruction covers nothing), then in order, the later of two at one
   * instruction kept */
  uint32_t k = 0;
  for (uint32_t i = 0; i < e->nlines; i++) {
    uint16_t s = e->line_seg[i];
    uint32_t at = seg_position(order, base, s, (int32_t)e->lines[i].insn);
    if (at == base[s + 1]) continue;
    e->lines[k] = e->lines[i];
    e->lines[k++].insn = at;
  }
  for (uint32_t i = 1; i < k; i++) { /* insertion sort, stable: nearly sorted */
    BoLine l = e->lines[i];
    uint32_t j = i;
    for (; j > 0 && e->lines[j - 1].insn > l.insn; j--) e->lines[j] = e->lines[j - 1];
    e->lines[j] = l;
  }
  uint32_t m = 0;
  for (uint32_t i = 0; i < k; i++) {
    if (m && e->lines[m - 1].insn == e->lines[i].insn) m--;
    e->lines[m++] = e->lines[i];
  }
  e->nlines = m;
  e->nmain = base[1];
  free(base);
  free(fill);
  free(order);
  free(perm);
}

bool emit_finish(Emit *e) {
  e->nmain = e->n;
  if (e->nsegs > 1) layout(e);
  for (uint32_t i = 0; i < e->nfixups; i++) {
    int32_t target = e->labels[e->fixups[i].label];
    if (target < 0) return false;
    int32_t off = target - (int32_t)e->fixups[i].insn - 1;
    struct bpf_insn *in = &e->insns[e->fixups[i].insn];
    if (in->code == (BPF_JMP | BPF_CALL) || in->code == (BPF_LD | BPF_IMM | BPF_DW)) {
      in->imm = off; /* a pseudo call, or a function's address: imm */
      continue;
    }
    if (off < INT16_MIN || off > INT16_MAX) return false;
    in->off = (int16_t)off;
  }
  e->nfixups = 0;
  return true;
}

void emit_mov_imm(Emit *e, uint8_t dst, int64_t imm) {
  if (imm >= INT32_MIN && imm <= INT32_MAX) {
    emit_insn(e, BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, (int32_t)imm);
    return;
  }
  emit_insn(e, BPF_LD | BPF_DW | BPF_IMM, dst, 0, 0, (int32_t)(uint32_t)imm);
  emit_insn(e, 0, 0, 0, 0, (int32_t)(uint32_t)((uint64_t)imm >> 32));
}

void emit_mov(Emit *e, uint8_t dst, uint8_t src) {
  emit_insn(e, BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}

void emit_alu_imm(Emit *e, uint8_t op, uint8_t dst, int32_t imm) {
  emit_insn(e, BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}

void emit_alu(Emit *e, uint8_t op, uint8_t dst, uint8_t src) {
  emit_insn(e, BPF_ALU64 | op | BPF_X, dst, src, 0, 0);
}

void emit_ldx(Emit *e, uint8_t size, uint8_t dst, uint8_t src, int16_t off) {
  emit_insn(e, BPF_LDX | BPF_MEM | size, dst, src, off, 0);
}

void emit_stx(Emit *e, uint8_t size, uint8_t dst, int16_t off, uint8_t src) {
  emit_insn(e, BPF_STX | BPF_MEM | size, dst, src, off, 0);
}

void emit_st(Emit *e, uint8_t size, uint8_t dst, int16_t off, int32_t imm) {
  emit_insn(e, BPF_ST | BPF_MEM | size, dst, 0, off, imm);
}

void emit_core(Emit *e, uint32_t type, uint32_t member) {
  GROW(e->core, e->ncore, e->core_cap);
  e->core[e->ncore++] = (BoCoreReloc){.insn = e->n, .type = type, .member = member};
}

void emit_call(Emit *e, int32_t helper) { emit_insn(e, BPF_JMP | BPF_CALL, 0, 0, 0, helper); }

void emit_exit(Emit *e) { emit_insn(e, BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

void emit_map(Emit *e, uint8_t dst, uint32_t map) {
  if (e->user) {
    emit_insn(e, BPF_LD | BPF_DW | BPF_IMM, dst, BO_PSEUDO_MAP_IDX, 0, (int32_t)map);
  } else {
    GROW(e->relocs, e->nrelocs, e->relocs_cap);
    e->relocs[e->nrelocs++] = (BoReloc){.insn = e->n, .map = map};
    emit_insn(e, BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, 0);
  }
  emit_insn(e, 0, 0, 0, 0, 0);
}

/* Append line entry l (in the current segment). */
static void line_push(Emit *e, BoLine l) {
  if (e->nlines == e->lines_cap) {
    e->lines_cap = e->lines_cap ? e->lines_cap * 2 : 64;
    e->lines = xrealloc(e->lines, (size_t)e->lines_cap * sizeof *e->lines);
    if (e->line_seg) e->line_seg = xrealloc(e->line_seg, (size_t)e->lines_cap * sizeof *e->line_seg);
  }
  if (e->line_seg) e->line_seg[e->nlines] = e->cur;
  e->lines[e->nlines++] = l;
}

/* The last line entry, if it is the current segment's. */
static BoLine *last_line(Emit *e) {
  if (!e->nlines || (e->line_seg && e->line_seg[e->nlines - 1] != e->cur)) return NULL;
  return &e->lines[e->nlines - 1];
}

void emit_line(Emit *e, uint32_t file, uint32_t line, uint32_t col) {
  BoLine *last = last_line(e), l = {.insn = e->n, .file = file, .line = line, .col = col};
  if (last && last->file == file && last->line == line && last->col == col) return;
  if (last && last->insn == e->n) *last = l;
  else line_push(e, l);
}

void emit_append(Emit *e, const Emit *src) {
  uint32_t base = e->n;
  for (uint32_t i = 0; i < src->nlines; i++) {
    BoLine l = src->lines[i], *last = last_line(e);
    l.insn += base;
    if (last && last->insn == l.insn) *last = l;
    else line_push(e, l);
  }
  for (uint32_t i = 0; i < src->nrelocs; i++) {
    GROW(e->relocs, e->nrelocs, e->relocs_cap);
    e->relocs[e->nrelocs++] = (BoReloc){.insn = base + src->relocs[i].insn, .map = src->relocs[i].map};
  }
  for (uint32_t i = 0; i < src->ncore; i++) {
    GROW(e->core, e->ncore, e->core_cap);
    e->core[e->ncore] = src->core[i];
    e->core[e->ncore++].insn += base;
  }
  for (uint32_t i = 0; i < src->n; i++) {
    const struct bpf_insn *in = &src->insns[i];
    emit_insn(e, in->code, in->dst_reg, in->src_reg, in->off, in->imm);
  }
}
