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
  BoCoreReloc *core;        /* CO-RE relocations (see bo.h) */
  uint32_t ncore, core_cap;
  int32_t *labels;          /* label -> instruction, or -1 while unbound */
  uint32_t nlabels, labels_cap;
  struct { uint32_t insn, label; } *fixups; /* jumps to patch */
  uint32_t nfixups, fixups_cap;
  bool user;                /* a user program: maps by BO_PSEUDO_MAP_IDX */
  /* Segments: code emitted apart and laid out after the main code
   * (segment 0) by emit_finish, each in one piece, in the order they
   * were made; bpf_loop bodies are segments.  While more than one
   * exists, each instruction, label and line knows its segment. */
  uint16_t cur, nsegs;
  uint16_t *seg_of;         /* per instruction */
  uint16_t *label_seg;      /* per label */
  uint16_t *line_seg;       /* per line entry */
  int32_t *seg_last;        /* per segment: its last instruction, or -1 */
  uint32_t nmain;           /* after emit_finish: segment 0's length */
} Emit;

void emit_init(Emit *e, bool user);
void emit_free(Emit *e);   /* frees the label tables, not the results */

/* Raw instruction. */
void emit_insn(Emit *e, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm);
/* Fold a new label; bind it here. */
uint32_t emit_label(Emit *e);
void emit_bind(Emit *e, uint32_t label);
/* Does a jump emitted so far go to label? */
bool emit_label_used(const Emit *e, uint32_t label);
/* Conditional or unconditional jumps to a label: op is BPF_JA, BPF_JEQ...
 * with BPF_K (imm) or BPF_X (src). */
void emit_jmp(Emit *e, uint8_t op, uint8_t dst, uint8_t src, int32_t imm, bool x, uint32_t label);
void emit_ja(Emit *e, uint32_t label);
/* A BPF-to-BPF call (BPF_PSEUDO_CALL) of the subprogram at label. */
void emit_pseudo_call(Emit *e, uint32_t label);
/* dst = the address of the subprogram at label (a ld_imm64 with src_reg
 * BPF_PSEUDO_FUNC and the relative offset in imm), for bpf_loop. */
void emit_ld_func(Emit *e, uint8_t dst, uint32_t label);
/* Can control reach the next instruction?  Not after a goto or an exit,
 * unless a jump emitted so far targets it (so ask only where no later
 * jump can go back to here).  The verifier rejects unreachable
 * instructions. */
bool emit_reachable(const Emit *e);
/* A new segment, and the one code goes to: emit_switch returns the one
 * it replaces.  A segment's code must not fall off its end nor jump out
 * of it. */
uint16_t emit_segment(Emit *e);
uint16_t emit_switch(Emit *e, uint16_t seg);
/* Lay the segments out, then resolve every jump; false if a label was
 * never bound. */
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

/* The next instruction adds member `member` of core type `type`. */
void emit_core(Emit *e, uint32_t type, uint32_t member);

/* The script location of what follows. */
void emit_line(Emit *e, uint32_t file, uint32_t line, uint32_t col);

/* Append code generated on its own (src, finished: its jumps are
 * relative, so it runs anywhere) with its relocations and lines. */
void emit_append(Emit *e, const Emit *src);

#endif
