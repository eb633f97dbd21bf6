/* emit: an instruction buffer for one BPF program, with forward labels,
 * map relocations and the line table that ties instructions to the
 * script.  Pass 3 builds programs through it; it knows nothing of the
 * language. */
#ifndef CTAP_BPF_EMIT_H
#define CTAP_BPF_EMIT_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/bpf.h>

#include "bpf/bo.h"

typedef struct Emit {
  struct bpf_insn *insns;
  uint32_t n, cap;
  BoReloc *relocs;
  uint32_t nrelocs, relocs_cap;
  BoLine *lines;
  uint32_t nlines, lines_cap;
  int32_t *labels;          /* label -> instruction, or -1 while unbound */
  uint32_t nlabels, labels_cap;
  struct { uint32_t insn, label; } *fixups; /* jumps to patch */
  uint32_t nfixups, fixups_cap;
  bool user;                /* a user program: maps by BO_PSEUDO_MAP_IDX */
} Emit;

void emit_init(Emit *e, bool user);
void emit_free(Emit *e);   /* frees the label tables, not the results */

/* Raw instruction. */
void emit_insn(Emit *e, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm);
/* Fold a new label; bind it here. */
uint32_t emit_label(Emit *e);
void emit_bind(Emit *e, uint32_t label);
/* Conditional or unconditional jumps to a label: op is BPF_JA, BPF_JEQ...
 * with BPF_K (imm) or BPF_X (src). */
void emit_jmp(Emit *e, uint8_t op, uint8_t dst, uint8_t src, int32_t imm, bool x, uint32_t label);
void emit_ja(Emit *e, uint32_t label);
/* Resolve every jump; false if a label was never bound. */
bool emit_finish(Emit *e);

/* Common forms. */
void emit_mov_imm(Emit *e, uint8_t dst, int64_t imm);  /* 1 or 2 insns */
void emit_mov(Emit *e, uint8_t dst, uint8_t src);
void emit_alu_imm(Emit *e, uint8_t op, uint8_t dst, int32_t imm);
void emit_alu(Emit *e, uint8_t op, uint8_t dst, uint8_t src);
void emit_ldx(Emit *e, uint8_t size, uint8_t dst, uint8_t src, int16_t off);
void emit_stx(Emit *e, uint8_t size, uint8_t dst, int16_t off, uint8_t src);
void emit_st(Emit *e, uint8_t size, uint8_t dst, int16_t off, int32_t imm);
void emit_call(Emit *e, int32_t helper);
void emit_exit(Emit *e);
void emit_map(Emit *e, uint8_t dst, uint32_t map);      /* ld_imm64 map */

/* The script location of what follows. */
void emit_line(Emit *e, uint32_t file, uint32_t line, uint32_t col);

#endif
