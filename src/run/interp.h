/* interp: a BPF interpreter for the user programs of a .bo object (begin,
 * end, error and timer probes, which run in staprun rather than in the
 * kernel, over the same maps).
 *
 * It runs the full eBPF instruction set (ALU and ALU32, jumps and JMP32,
 * loads and stores of every size, atomics, ld_imm64, BPF-to-BPF calls)
 * and never trusts the program: every memory access must fall inside the
 * program's stack or a region a helper registered, every jump inside the
 * program, and a run stops after a budget of instructions.  A violation
 * stops the run with a message naming the instruction. */
#ifndef CTAP_RUN_INTERP_H
#define CTAP_RUN_INTERP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/bpf.h>

typedef struct Interp Interp;

/* Calls out of the program.  `helper` runs helper `id` with r1..r5 in
 * args and returns its r0 in *ret; it returns false to stop the program
 * (with a message set through interp_fail).  `map` resolves a ld_imm64
 * with src_reg BPF_PSEUDO_MAP_IDX (5) and imm `index` to the value the
 * register receives (a handle the helpers understand); false rejects it. */
typedef struct InterpEnv {
  void *user;
  bool (*helper)(Interp *in, void *user, int32_t id, const uint64_t args[5],
                 uint64_t *ret);
  bool (*map)(Interp *in, void *user, uint32_t index, uint64_t *value);
  /* How many frames a run may have, the outermost included (BPF-to-BPF
   * calls nest one less deep): 0 for INTERP_MAX_FRAMES, at most
   * INTERP_FRAMES_LIMIT. */
  size_t max_frames;
  /* Asked every INTERP_POLL instructions (when not NULL): true stops the
   * run, as interp_interrupted() then says (staprun: a signal came). */
  bool (*interrupted)(void *user);
} InterpEnv;

enum {
  INTERP_STACK = 512,
  INTERP_MAX_FRAMES = 8,          /* the default frame limit */
  INTERP_FRAMES_LIMIT = 1 << 16,  /* the largest one InterpEnv may ask for */
  INTERP_MAX_REGIONS = 1 << 16,   /* regions in one run */
  INTERP_POLL = 1 << 16,          /* instructions between interrupted() */
};

/* NULL if out of memory or env->max_frames is over INTERP_FRAMES_LIMIT. */
Interp *interp_new(const InterpEnv *env);
void interp_free(Interp *in);

/* Run insns[0..n) from instruction 0 with r1 = arg, at most budget
 * instructions.  Returns true with r0 in *ret, or false with the reason in
 * interp_error() and the failing instruction in interp_error_insn().
 *
 * Semantics beyond the eBPF ISA: registers start at 0 (r1 = arg, r10 =
 * the top of a zeroed INTERP_STACK-byte frame); r10 is read-only; after a
 * helper call r1..r5 hold a meaningless value; a BPF-to-BPF call
 * (BPF_PSEUDO_CALL) gets a fresh zeroed frame and returns with the
 * caller's r6..r10, at most max_frames frames deep (the outermost
 * included); reserved fields must be zero; atomics are atomic when
 * naturally aligned and plain read-modify-writes otherwise.
 *
 * Not reentrant: a helper must not run the same Interp (such a call
 * returns false at once and leaves the running program alone); separate
 * Interp objects are independent. */
bool interp_run(Interp *in, const struct bpf_insn *insns, size_t n,
                uint64_t arg, uint64_t budget, uint64_t *ret);
/* Faults the interpreter finds read like "invalid memory read of 8 bytes
 * at 0x7ffc... (insn 12)"; a message a helper set with interp_fail is
 * returned as the helper wrote it.  interp_error_insn() is the index of
 * the instruction that stopped the run (the call, for a helper). */
const char *interp_error(const Interp *in);
size_t interp_error_insn(const Interp *in);
/* Did the last run stop because its budget ran out ("instruction budget
 * exhausted")?  staprun reports that as MAXACTION exceeded. */
bool interp_budget_exhausted(const Interp *in);
/* Did the last run stop because InterpEnv.interrupted said so
 * ("interrupted")? */
bool interp_interrupted(const Interp *in);

/* Memory the program may use besides its stack, for the current run (all
 * regions are forgotten when interp_run returns; regions added before a
 * run hold for that run).  Helpers register what they hand out (a map
 * value, say).  False if the table is full, base is NULL or base + len
 * wraps; an empty region is accepted and ignored. */
bool interp_add_region(Interp *in, void *base, size_t len, bool writable);
/* Is [p, p+len) inside the stack or a region (writable if asked)?
 * Helpers check their pointer arguments with it. */
bool interp_check(const Interp *in, uint64_t p, size_t len, bool write);
/* Stop the run from a helper with a message (printf-style). */
void interp_fail(Interp *in, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
