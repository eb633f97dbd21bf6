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
  e->labels = NULL;
  e->fixups = NULL;
}

void emit_insn(Emit *e, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  GROW(e->insns, e->n, e->cap);
  e->insns[e->n++] = (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src,
                                       .off = off, .imm = imm};
}

uint32_t emit_label(Emit *e) {
  GROW(e->labels, e->nlabels, e->labels_cap);
  e->labels[e->nlabels] = -1;
  return e->nlabels++;
}

void emit_bind(Emit *e, uint32_t label) { e->labels[label] = (int32_t)e->n; }

void emit_jmp(Emit *e, uint8_t op, uint8_t dst, uint8_t src, int32_t imm, bool x, uint32_t label) {
  GROW(e->fixups, e->nfixups, e->fixups_cap);
  e->fixups[e->nfixups].insn = e->n;
  e->fixups[e->nfixups++].label = label;
  emit_insn(e, BPF_JMP | op | (x ? BPF_X : BPF_K), dst, src, 0, imm);
}

void emit_ja(Emit *e, uint32_t label) { emit_jmp(e, BPF_JA, 0, 0, 0, false, label); }

bool emit_finish(Emit *e) {
  for (uint32_t i = 0; i < e->nfixups; i++) {
    int32_t target = e->labels[e->fixups[i].label];
    if (target < 0) return false;
    int32_t off = target - (int32_t)e->fixups[i].insn - 1;
    if (off < INT16_MIN || off > INT16_MAX) return false;
    e->insns[e->fixups[i].insn].off = (int16_t)off;
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

void emit_line(Emit *e, uint32_t file, uint32_t line, uint32_t col) {
  if (e->nlines) {
    BoLine *last = &e->lines[e->nlines - 1];
    if (last->file == file && last->line == line && last->col == col) return;
    if (last->insn == e->n) {
      *last = (BoLine){.insn = e->n, .file = file, .line = line, .col = col};
      return;
    }
  }
  GROW(e->lines, e->nlines, e->lines_cap);
  e->lines[e->nlines++] = (BoLine){.insn = e->n, .file = file, .line = line, .col = col};
}
