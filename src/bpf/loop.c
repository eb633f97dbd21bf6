/* loop: loops in kernel programs that the verifier checks once.
 *
 * The kernel's verifier walks an ordinary loop once per pass: a loop over
 * the bytes of a string costs maxstringlen times its body, and a few of
 * those in a probe approach its limit (a million instructions) and make
 * loading slow; a loop whose bound it cannot see (a script's while) it
 * rejects.  bpf_loop (helper 181, kernel 5.17) calls a function count
 * times instead, and the verifier checks that function's body as a
 * whole.  The body is a static function: a segment of the program's code
 * (emit.h), laid out after the program's own instructions (which end at
 * BoProg.ncode).  The program passes it, through bpf_loop's context (a
 * stack slot of the caller's frame), the registers the generated code
 * keeps: the scratch, the probe's context and the globals.
 *
 * The body is generated at once, in its own segment: it may use r0-r5
 * and scratch at offsets allocated before the call, and gets r6, r7 and
 * r9 as in the program, and r5 = the iteration (below count) from
 * bpf_loop, or r2 = the key and r3 = the value from bpf_for_each_map_elem
 * (kernel 5.13), which calls it for each element of a map.  User
 * programs, which staprun interprets, loop in place. */
#include "bpf/gen.h"

#define E (g->e)

/* The caller's stack slots that hold r9, r6 and r7 for a body. */
enum { CTX_SLOT = -48 };

/* A body is a call frame; the verifier allows 8, the program's among
 * them. */
enum { MAX_BODY_DEPTH = 7 };

/* Call helper (bpf_loop or bpf_for_each_map_elem) with r1 already set,
 * the body's address, the context and flags 0; the body, at once, in a
 * segment of its own.  ctx_reg: the register the helper hands the body
 * its context in. */
static void call_with_body(Gen *g, int helper, uint8_t ctx_reg, LoopBody *body, void *arg,
                           uint32_t count) {
  if (g->loop_depth == MAX_BODY_DEPTH) {
    gen_error(g, g->probe->item ? g->probe->item->loc : (SrcLoc){0},
              "loops in probe %s nest too deeply for the kernel's verifier (at most %d, "
              "counting those in string functions and foreach)", g->probe->point,
              MAX_BODY_DEPTH);
    return;
  }
  uint32_t entry = emit_label(E);
  emit_stx(E, BPF_DW, R_FP, CTX_SLOT, R_SCR);
  emit_stx(E, BPF_DW, R_FP, CTX_SLOT + 8, R_CTX);
  emit_stx(E, BPF_DW, R_FP, CTX_SLOT + 16, R_GLOB);
  emit_ld_func(E, R2, entry);
  emit_mov(E, R3, R_FP);
  emit_alu_imm(E, BPF_ADD, R3, CTX_SLOT);
  emit_mov_imm(E, R4, 0);
  emit_call(E, helper);

  uint16_t prev = emit_switch(E, emit_segment(E));
  uint32_t next = emit_label(E), stop = emit_label(E);
  emit_bind(E, entry);
  emit_ldx(E, BPF_DW, R_SCR, ctx_reg, 0);
  emit_ldx(E, BPF_DW, R_CTX, ctx_reg, 8);
  emit_ldx(E, BPF_DW, R_GLOB, ctx_reg, 16);
  if (helper == BPF_FUNC_loop) {
    emit_mov(E, R5, R1);
    emit_jmp(E, BPF_JGE, R5, 0, (int32_t)count, false, stop);
  }
  g->loop_depth++;
  body(g, arg, next, stop);
  g->loop_depth--;
  if (emit_reachable(E) || emit_label_used(E, next)) {
    emit_bind(E, next);
    emit_mov_imm(E, R0, 0);
    emit_exit(E);
  }
  if (emit_label_used(E, stop)) { /* the verifier rejects code nothing reaches */
    emit_bind(E, stop);
    emit_mov_imm(E, R0, 1);
    emit_exit(E);
  }
  emit_switch(E, prev);
}

void gen_bpf_loop(Gen *g, uint32_t count, LoopBody *body, void *arg) {
  emit_mov_imm(E, R1, count);
  call_with_body(g, BPF_FUNC_loop, R2, body, arg, count);
}

void gen_bpf_for_each(Gen *g, uint32_t map, LoopBody *body, void *arg) {
  emit_map(E, R1, map);
  call_with_body(g, BPF_FUNC_for_each_map_elem, R4, body, arg, 0);
}
