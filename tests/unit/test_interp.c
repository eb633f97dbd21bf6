/* Unit tests of src/run/interp: every instruction class with exact
 * results, the v4 additions (signed div/mod, movsx, sign-extending loads,
 * bswap, gotol), atomics, ld_imm64 and map references, helper and
 * BPF-to-BPF calls, and every way an untrusted program is stopped; then
 * random programs that must never crash the interpreter. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/interp.h"

#define UNIT "interp"
#include "unit.h"

#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80
#endif

/* ---- a tiny assembler ---------------------------------------------- */

#define I(c, d, s, o, i)                                                     \
  { .code = (uint8_t)(c), .dst_reg = (d), .src_reg = (s), .off = (int16_t)(o), \
    .imm = (int32_t)(i) }
#define ALU64K(op, d, k) I(BPF_ALU64 | BPF_K | (op), d, 0, 0, k)
#define ALU64X(op, d, s) I(BPF_ALU64 | BPF_X | (op), d, s, 0, 0)
#define ALU32K(op, d, k) I(BPF_ALU | BPF_K | (op), d, 0, 0, k)
#define ALU32X(op, d, s) I(BPF_ALU | BPF_X | (op), d, s, 0, 0)
#define MOVK(d, k) ALU64K(BPF_MOV, d, k)
#define MOVX(d, s) ALU64X(BPF_MOV, d, s)
#define LDDW(d, v)                                                           \
  I(BPF_LD | BPF_DW | BPF_IMM, d, 0, 0, (uint32_t)(uint64_t)(v)),            \
      I(0, 0, 0, 0, (uint32_t)((uint64_t)(v) >> 32))
#define LDMAP(d, idx)                                                        \
  I(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_IDX, 0, idx), I(0, 0, 0, 0, 0)
#define LDX(sz, d, s, o) I(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define LDXSX(sz, d, s, o) I(BPF_LDX | BPF_MEMSX | (sz), d, s, o, 0)
#define STX(sz, d, s, o) I(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define ST(sz, d, o, k) I(BPF_ST | BPF_MEM | (sz), d, 0, o, k)
#define ATOM(sz, d, s, o, op) I(BPF_STX | BPF_ATOMIC | (sz), d, s, o, op)
#define JA(o) I(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define GOTOL(k) I(BPF_JMP32 | BPF_JA, 0, 0, 0, k)
#define JK(op, d, k, o) I(BPF_JMP | BPF_K | (op), d, 0, o, k)
#define JX(op, d, s, o) I(BPF_JMP | BPF_X | (op), d, s, o, 0)
#define J32K(op, d, k, o) I(BPF_JMP32 | BPF_K | (op), d, 0, o, k)
#define J32X(op, d, s, o) I(BPF_JMP32 | BPF_X | (op), d, s, o, 0)
#define CALL(id) I(BPF_JMP | BPF_CALL, 0, 0, 0, id)
#define PCALL(o) I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, o)
#define EXIT I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define N(p) (sizeof(p) / sizeof((p)[0]))

/* ---- a fake environment -------------------------------------------- */

static Interp *in;
static unsigned char rw_buf[64], ro_buf[64];
static int helper_calls;

static bool helper(Interp *ip, void *user, int32_t id, const uint64_t a[5],
                   uint64_t *ret) {
  (void)user;
  helper_calls++;
  switch (id) {
  case 1: /* weighted sum of the arguments */
    *ret = a[0] + 2 * a[1] + 3 * a[2] + 4 * a[3] + 5 * a[4];
    return true;
  case 2: /* hand out a writable buffer */
    if (!interp_add_region(ip, rw_buf, sizeof rw_buf, true)) return false;
    *ret = (uint64_t)(uintptr_t)rw_buf;
    return true;
  case 3: /* hand out a read-only buffer */
    if (!interp_add_region(ip, ro_buf, sizeof ro_buf, false)) return false;
    *ret = (uint64_t)(uintptr_t)ro_buf;
    return true;
  case 4: /* check a pointer argument: (p, len, write) */
    *ret = interp_check(ip, a[0], (size_t)a[1], a[2] != 0);
    return true;
  case 5: /* fail with a message */
    interp_fail(ip, "boom %d", 7);
    return false;
  case 6: { /* try to re-enter the interpreter */
    static const struct bpf_insn p[] = {MOVK(0, 1), EXIT};
    uint64_t r = 0;
    *ret = interp_run(ip, p, N(p), 0, 100, &r) ? 100 + r : 1;
    return true;
  }
  case 7: /* refuse without a message */
    return false;
  default:
    *ret = 0;
    return true;
  }
}

static bool map(Interp *ip, void *user, uint32_t index, uint64_t *value) {
  (void)ip;
  (void)user;
  if (index >= 8) return false;
  *value = 0x1000 + index;
  return true;
}

static const InterpEnv env = {.helper = helper, .map = map};

/* ---- running ------------------------------------------------------- */

static bool run_arg(const struct bpf_insn *p, size_t n, uint64_t arg,
                    uint64_t *r0) {
  *r0 = 0xfeedfacecafebeef;
  return interp_run(in, p, n, arg, 100000, r0);
}

static void expect_r0(const char *name, const struct bpf_insn *p, size_t n,
                      uint64_t want) {
  uint64_t r0;
  bool ok = run_arg(p, n, 0, &r0);
  if (!ok)
    fprintf(stderr, "%s: error: %s\n", name, interp_error(in));
  else if (r0 != want)
    fprintf(stderr, "%s: r0 = 0x%" PRIx64 ", want 0x%" PRIx64 "\n", name, r0,
            want);
  check(name, ok && r0 == want);
}

/* Expect a fault at insn `at` whose message contains `what`. */
static void expect_fault(const char *name, const struct bpf_insn *p, size_t n,
                         size_t at, const char *what) {
  uint64_t r0;
  bool ok = run_arg(p, n, 0, &r0);
  bool good = !ok && interp_error_insn(in) == at &&
              strstr(interp_error(in), what) != NULL;
  if (!good)
    fprintf(stderr, "%s: %s, error \"%s\" at %zu\n", name,
            ok ? "succeeded" : "failed", interp_error(in),
            interp_error_insn(in));
  check(name, good);
}

#define R0(name, want, ...)                                                  \
  do {                                                                       \
    const struct bpf_insn p_[] = {__VA_ARGS__};                              \
    expect_r0(name, p_, N(p_), want);                                        \
  } while (0)
#define FAULT(name, at, what, ...)                                           \
  do {                                                                       \
    const struct bpf_insn p_[] = {__VA_ARGS__};                              \
    expect_fault(name, p_, N(p_), at, what);                                 \
  } while (0)

/* ---- ALU ----------------------------------------------------------- */

typedef struct AluCase {
  const char *name;
  uint8_t cls, op;
  int16_t off;
  uint64_t a, b, want;
} AluCase;

#define A64 BPF_ALU64
#define A32 BPF_ALU
#define MIN64 UINT64_C(0x8000000000000000)
#define M1 UINT64_MAX

static const AluCase alu_cases[] = {
    {"add64", A64, BPF_ADD, 0, 0xffffffffffffffff, 2, 1},
    {"sub64", A64, BPF_SUB, 0, 1, 2, M1},
    {"mul64", A64, BPF_MUL, 0, 0x100000001, 0x100000001, 0x200000001},
    {"div64", A64, BPF_DIV, 0, 100, 7, 14},
    {"div64-big", A64, BPF_DIV, 0, M1, 2, 0x7fffffffffffffff},
    {"div64-zero", A64, BPF_DIV, 0, 1234, 0, 0},
    {"mod64", A64, BPF_MOD, 0, 100, 7, 2},
    {"mod64-zero", A64, BPF_MOD, 0, 0x123456789, 0, 0x123456789},
    {"or64", A64, BPF_OR, 0, 0xf0f0000000000000, 0x0f, 0xf0f000000000000f},
    {"and64", A64, BPF_AND, 0, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0,
     0x0f000f000f000f00},
    {"xor64", A64, BPF_XOR, 0, 0xffff0000ffff0000, 0xff00ff00ff00ff00,
     0x00ffff0000ffff00},
    {"lsh64", A64, BPF_LSH, 0, 1, 63, MIN64},
    {"lsh64-masked", A64, BPF_LSH, 0, 1, 65, 2},
    {"rsh64", A64, BPF_RSH, 0, MIN64, 63, 1},
    {"arsh64", A64, BPF_ARSH, 0, (uint64_t)-16, 2, (uint64_t)-4},
    {"arsh64-masked", A64, BPF_ARSH, 0, MIN64, 64 + 60, (uint64_t)-8},
    {"mov64", A64, BPF_MOV, 0, 5, 0xabcdef0123456789, 0xabcdef0123456789},
    {"sdiv64", A64, BPF_DIV, 1, (uint64_t)-7, 2, (uint64_t)-3},
    {"sdiv64-neg-neg", A64, BPF_DIV, 1, (uint64_t)-7, (uint64_t)-2, 3},
    {"sdiv64-zero", A64, BPF_DIV, 1, (uint64_t)-7, 0, 0},
    {"sdiv64-overflow", A64, BPF_DIV, 1, MIN64, M1, MIN64},
    {"smod64", A64, BPF_MOD, 1, (uint64_t)-7, 2, (uint64_t)-1},
    {"smod64-neg-divisor", A64, BPF_MOD, 1, 7, (uint64_t)-2, 1},
    {"smod64-zero", A64, BPF_MOD, 1, (uint64_t)-7, 0, (uint64_t)-7},
    {"smod64-overflow", A64, BPF_MOD, 1, MIN64, M1, 0},
    {"movsx64-8", A64, BPF_MOV, 8, 0, 0x1234580, 0xffffffffffffff80},
    {"movsx64-8-pos", A64, BPF_MOV, 8, 0, 0x17f, 0x7f},
    {"movsx64-16", A64, BPF_MOV, 16, 0, 0x18000, 0xffffffffffff8000},
    {"movsx64-32", A64, BPF_MOV, 32, 0, 0x180000000, 0xffffffff80000000},
    /* 32-bit: the result is zero-extended. */
    {"add32", A32, BPF_ADD, 0, 0xffffffffffffffff, 1, 0},
    {"add32-zext", A32, BPF_ADD, 0, 0xffffffff00000005, 0, 5},
    {"sub32", A32, BPF_SUB, 0, 0, 1, 0xffffffff},
    {"mul32", A32, BPF_MUL, 0, 0x10000, 0x10001, 0x00010000},
    {"mul32-wraps", A32, BPF_MUL, 0, 0x10000, 0x10000, 0},
    {"mul32-b", A32, BPF_MUL, 0, 0x12345, 0x10, 0x123450},
    {"div32", A32, BPF_DIV, 0, 0x100000064, 7, 14},
    {"div32-zero", A32, BPF_DIV, 0, 0xffffffff00001234, 0, 0},
    {"div32-high-divisor", A32, BPF_DIV, 0, 100, 0x100000000, 0},
    {"mod32", A32, BPF_MOD, 0, 100, 0xffffffff00000007, 2},
    {"mod32-zero", A32, BPF_MOD, 0, 0xffffffff00000007, 0, 7},
    {"or32", A32, BPF_OR, 0, 0xffffffff00000001, 2, 3},
    {"and32", A32, BPF_AND, 0, M1, 0xff00ff00ff00ff00, 0xff00ff00},
    {"xor32", A32, BPF_XOR, 0, M1, 0x0f, 0xfffffff0},
    {"lsh32", A32, BPF_LSH, 0, 0xffffffff00000001, 31, 0x80000000},
    {"lsh32-masked", A32, BPF_LSH, 0, 1, 33, 2},
    {"rsh32", A32, BPF_RSH, 0, 0xffffffff80000000, 4, 0x08000000},
    {"arsh32", A32, BPF_ARSH, 0, 0x80000000, 4, 0xf8000000},
    {"arsh32-masked", A32, BPF_ARSH, 0, 0x80000000, 36, 0xf8000000},
    {"mov32", A32, BPF_MOV, 0, 0, M1, 0xffffffff},
    {"sdiv32", A32, BPF_DIV, 1, 0xfffffff9, 2, 0xfffffffd},
    {"sdiv32-zero", A32, BPF_DIV, 1, 0xfffffff9, 0, 0},
    {"sdiv32-overflow", A32, BPF_DIV, 1, 0x80000000, 0xffffffff, 0x80000000},
    {"smod32", A32, BPF_MOD, 1, 0xfffffff9, 2, 0xffffffff},
    {"smod32-zero", A32, BPF_MOD, 1, 0xdeadbeeffffffff9, 0, 0xfffffff9},
    {"smod32-overflow", A32, BPF_MOD, 1, 0x80000000, 0xffffffff, 0},
    {"movsx32-8", A32, BPF_MOV, 8, 0, 0x180, 0xffffff80},
    {"movsx32-16", A32, BPF_MOV, 16, 0, 0xffffffff00018000, 0xffff8000},
};

static void test_alu(void) {
  char name[64];
  for (size_t i = 0; i < N(alu_cases); i++) {
    const AluCase *c = &alu_cases[i];
    const struct bpf_insn p[] = {
        LDDW(0, c->a), LDDW(1, c->b),
        I(c->cls | BPF_X | c->op, 0, 1, c->off, 0), EXIT};
    snprintf(name, sizeof name, "alu/%s-x", c->name);
    expect_r0(name, p, N(p), c->want);
    /* The same with an immediate when b fits one (sign-extended). */
    int64_t sb = (int64_t)c->b;
    bool fits = c->cls == A64 ? sb >= INT32_MIN && sb <= INT32_MAX
                              : c->b <= UINT32_MAX;
    if (fits && !(c->op == BPF_MOV && c->off != 0)) {
      const struct bpf_insn q[] = {
          LDDW(0, c->a), I(c->cls | BPF_K | c->op, 0, 0, c->off, (uint32_t)c->b),
          EXIT};
      snprintf(name, sizeof name, "alu/%s-k", c->name);
      expect_r0(name, q, N(q), c->want);
    }
  }
  /* Immediates are sign-extended to 64 bits, also for unsigned ops. */
  R0("alu/div64-k-negative", 0, MOVK(0, 10), ALU64K(BPF_DIV, 0, -1), EXIT);
  R0("alu/div64-k-negative-2", 1, MOVK(0, -1), ALU64K(BPF_DIV, 0, -1), EXIT);
  R0("alu/div32-k-negative", 0, MOVK(0, 10), ALU32K(BPF_DIV, 0, -1), EXIT);
  R0("alu/mov64-k-sext", M1, MOVK(0, -1), EXIT);
  R0("alu/mov32-k-zext", 0xffffffff, ALU32K(BPF_MOV, 0, -1), EXIT);
  R0("alu/add64-k", 0xffffffff, LDDW(0, 0x100000000), ALU64K(BPF_ADD, 0, -1),
     EXIT);
  R0("alu/and64-k-sext", 0xffffffff00000000, MOVK(0, -1),
     ALU64K(BPF_AND, 0, (int32_t)0x80000000), ALU64K(BPF_AND, 0, -65536),
     ALU64K(BPF_LSH, 0, 0), ALU64K(BPF_RSH, 0, 32), ALU64K(BPF_LSH, 0, 32),
     EXIT);
  R0("alu/neg64", (uint64_t)-5, MOVK(0, 5), ALU64K(BPF_NEG, 0, 0), EXIT);
  R0("alu/neg32", 0xfffffffb, MOVK(0, 5), ALU32K(BPF_NEG, 0, 0), EXIT);
  R0("alu/neg32-zext", 0, MOVK(0, 0), ALU64K(BPF_SUB, 0, 1),
     ALU64K(BPF_LSH, 0, 32), ALU32K(BPF_NEG, 0, 0), EXIT);
  R0("alu/regs-start-at-zero", 0, MOVK(0, 0), ALU64X(BPF_ADD, 0, 2),
     ALU64X(BPF_ADD, 0, 3), ALU64X(BPF_ADD, 0, 9), EXIT);
  {
    const struct bpf_insn p[] = {MOVX(0, 1), ALU64K(BPF_ADD, 0, 1), EXIT};
    uint64_t r0 = 0;
    check("alu/arg", run_arg(p, N(p), 41, &r0) && r0 == 42);
  }
}

static void test_end(void) {
  const uint64_t v = 0x0123456789abcdef;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  R0("end/be16", 0xefcd, LDDW(0, v), I(BPF_ALU | BPF_END | BPF_TO_BE, 0, 0, 0, 16), EXIT);
  R0("end/be32", 0xefcdab89, LDDW(0, v), I(BPF_ALU | BPF_END | BPF_TO_BE, 0, 0, 0, 32), EXIT);
  R0("end/be64", 0xefcdab8967452301, LDDW(0, v), I(BPF_ALU | BPF_END | BPF_TO_BE, 0, 0, 0, 64), EXIT);
  R0("end/le16", 0xcdef, LDDW(0, v), I(BPF_ALU | BPF_END | BPF_TO_LE, 0, 0, 0, 16), EXIT);
  R0("end/le32", 0x89abcdef, LDDW(0, v), I(BPF_ALU | BPF_END | BPF_TO_LE, 0, 0, 0, 32), EXIT);
  R0("end/le64", v, LDDW(0, v), I(BPF_ALU | BPF_END | BPF_TO_LE, 0, 0, 0, 64), EXIT);
#endif
  R0("end/bswap16", 0xefcd, LDDW(0, v), I(BPF_ALU64 | BPF_END, 0, 0, 0, 16), EXIT);
  R0("end/bswap32", 0xefcdab89, LDDW(0, v), I(BPF_ALU64 | BPF_END, 0, 0, 0, 32), EXIT);
  R0("end/bswap64", 0xefcdab8967452301, LDDW(0, v), I(BPF_ALU64 | BPF_END, 0, 0, 0, 64), EXIT);
  FAULT("end/bad-width", 2, "byte swap", LDDW(0, v), I(BPF_ALU | BPF_END, 0, 0, 0, 8), EXIT);
  FAULT("end/bswap-x-invalid", 0, "byte swap", I(BPF_ALU64 | BPF_END | BPF_X, 0, 0, 0, 16), EXIT);
}

/* ---- jumps --------------------------------------------------------- */

typedef struct JmpCase {
  const char *name;
  uint8_t cls, op;
  uint64_t a, b;
  int taken;
} JmpCase;

#define J64 BPF_JMP
#define J32 BPF_JMP32

static const JmpCase jmp_cases[] = {
    {"jeq", J64, BPF_JEQ, 5, 5, 1},
    {"jeq-not", J64, BPF_JEQ, 5, 6, 0},
    {"jeq-64bit", J64, BPF_JEQ, 0x100000000, 0, 0},
    {"jne", J64, BPF_JNE, 5, 6, 1},
    {"jne-not", J64, BPF_JNE, 5, 5, 0},
    {"jgt", J64, BPF_JGT, M1, 1, 1},
    {"jgt-not", J64, BPF_JGT, 1, 1, 0},
    {"jge", J64, BPF_JGE, 1, 1, 1},
    {"jge-not", J64, BPF_JGE, 0, 1, 0},
    {"jlt", J64, BPF_JLT, 1, M1, 1},
    {"jlt-not", J64, BPF_JLT, 1, 1, 0},
    {"jle", J64, BPF_JLE, 1, 1, 1},
    {"jle-not", J64, BPF_JLE, 2, 1, 0},
    {"jset", J64, BPF_JSET, 0x6, 0x2, 1},
    {"jset-not", J64, BPF_JSET, 0x6, 0x9, 0},
    {"jset-high", J64, BPF_JSET, 0x100000000, 0x100000000, 1},
    {"jsgt", J64, BPF_JSGT, 1, M1, 1},
    {"jsgt-not", J64, BPF_JSGT, M1, 1, 0},
    {"jsge", J64, BPF_JSGE, M1, M1, 1},
    {"jsge-not", J64, BPF_JSGE, (uint64_t)-2, M1, 0},
    {"jslt", J64, BPF_JSLT, MIN64, 0, 1},
    {"jslt-not", J64, BPF_JSLT, 0, MIN64, 0},
    {"jsle", J64, BPF_JSLE, (uint64_t)-3, (uint64_t)-3, 1},
    {"jsle-not", J64, BPF_JSLE, 0, (uint64_t)-3, 0},
    {"jeq32-low-bits", J32, BPF_JEQ, 0x100000005, 5, 1},
    {"jne32", J32, BPF_JNE, 0x100000005, 0x200000005, 0},
    {"jgt32", J32, BPF_JGT, 0xffffffff, 0x1ffffffff, 0},
    {"jgt32-b", J32, BPF_JGT, 0x1, 0x100000000, 1},
    {"jge32", J32, BPF_JGE, 0x100000000, 0, 1},
    {"jlt32", J32, BPF_JLT, 0x200000000, 1, 1},
    {"jle32", J32, BPF_JLE, 3, 0xffffffff00000002, 0},
    {"jset32", J32, BPF_JSET, 0x100000000, 0x100000000, 0},
    {"jsgt32", J32, BPF_JSGT, 0x000000001, 0x0ffffffff, 1},
    {"jsgt32-not", J32, BPF_JSGT, 0x0ffffffff, 0x000000001, 0},
    {"jsge32", J32, BPF_JSGE, 0x7fffffff, 0x80000000, 1},
    {"jslt32", J32, BPF_JSLT, 0x80000000, 0x7fffffff, 1},
    {"jslt32-not-64", J32, BPF_JSLT, 0x180000000, 0x080000000, 0},
    {"jsle32", J32, BPF_JSLE, 0xfffffffe, 0xffffffff, 1},
};

static void test_jmp(void) {
  char name[64];
  for (size_t i = 0; i < N(jmp_cases); i++) {
    const JmpCase *c = &jmp_cases[i];
    const struct bpf_insn p[] = {
        MOVK(0, 0), LDDW(1, c->a), LDDW(2, c->b),
        I(c->cls | BPF_X | c->op, 1, 2, 1, 0), EXIT, MOVK(0, 1), EXIT};
    snprintf(name, sizeof name, "jmp/%s-x", c->name);
    expect_r0(name, p, N(p), (uint64_t)c->taken);
    int64_t sb = (int64_t)c->b;
    bool fits = c->cls == J64 ? sb >= INT32_MIN && sb <= INT32_MAX
                              : c->b <= UINT32_MAX;
    if (fits) {
      const struct bpf_insn q[] = {
          MOVK(0, 0), LDDW(1, c->a),
          I(c->cls | BPF_K | c->op, 1, 0, 1, (uint32_t)c->b), EXIT,
          MOVK(0, 1), EXIT};
      snprintf(name, sizeof name, "jmp/%s-k", c->name);
      expect_r0(name, q, N(q), (uint64_t)c->taken);
    }
  }
  R0("jmp/k-sign-extended", 1, MOVK(0, 0), MOVK(1, -1), JK(BPF_JEQ, 1, -1, 1), EXIT,
     MOVK(0, 1), EXIT);
  R0("jmp/k32-negative", 1, MOVK(0, 0), ALU32K(BPF_MOV, 1, -1),
     J32K(BPF_JEQ, 1, -1, 1), EXIT, MOVK(0, 1), EXIT);
  R0("jmp/ja", 2, MOVK(0, 1), JA(1), EXIT, MOVK(0, 2), EXIT);
  R0("jmp/ja-back", 3, MOVK(0, 0), JA(1), ALU64K(BPF_ADD, 0, 1),
     JK(BPF_JLT, 0, 3, -2), EXIT);
  R0("jmp/gotol", 7, MOVK(0, 1), GOTOL(2), MOVK(0, 2), EXIT, MOVK(0, 7), EXIT);
  R0("jmp/loop-sum", 5050, MOVK(0, 0), MOVK(1, 100), ALU64X(BPF_ADD, 0, 1),
     ALU64K(BPF_SUB, 1, 1), JK(BPF_JNE, 1, 0, -3), EXIT);
  R0("jmp/ja-over-lddw", 9, JA(2), LDDW(0, 5), MOVK(0, 9), EXIT);
  R0("jmp/ja-to-lddw", 5, JA(0), LDDW(0, 5), EXIT);
}

/* ---- memory -------------------------------------------------------- */

static void test_mem(void) {
  R0("mem/stx-ldx-dw", 0x1122334455667788, LDDW(1, 0x1122334455667788),
     STX(BPF_DW, 10, 1, -8), LDX(BPF_DW, 0, 10, -8), EXIT);
  R0("mem/stx-w-ldx-w", 0x55667788, LDDW(1, 0x1122334455667788),
     STX(BPF_W, 10, 1, -8), LDX(BPF_W, 0, 10, -8), EXIT);
  R0("mem/stx-h-ldx-h", 0x7788, LDDW(1, 0x1122334455667788),
     STX(BPF_H, 10, 1, -8), LDX(BPF_H, 0, 10, -8), EXIT);
  R0("mem/stx-b-ldx-b", 0x88, LDDW(1, 0x1122334455667788),
     STX(BPF_B, 10, 1, -8), LDX(BPF_B, 0, 10, -8), EXIT);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  R0("mem/partial-store", 0x00000000aabb0000, ST(BPF_H, 10, -6, 0xaabb),
     LDX(BPF_DW, 0, 10, -8), EXIT);
#endif
  R0("mem/st-dw-sext", M1, ST(BPF_DW, 10, -16, -1), LDX(BPF_DW, 0, 10, -16),
     EXIT);
  R0("mem/st-w", 0xfffffffe, ST(BPF_W, 10, -16, -2), LDX(BPF_W, 0, 10, -16),
     EXIT);
  R0("mem/st-b-trunc", 0x34, ST(BPF_B, 10, -1, 0x1234), LDX(BPF_B, 0, 10, -1),
     EXIT);
  R0("mem/ldxsb", 0xffffffffffffff80, ST(BPF_B, 10, -1, 0x80),
     LDXSX(BPF_B, 0, 10, -1), EXIT);
  R0("mem/ldxb-unsigned", 0x80, ST(BPF_B, 10, -1, 0x80),
     LDX(BPF_B, 0, 10, -1), EXIT);
  R0("mem/ldxsh", 0xffffffffffff8001, ST(BPF_H, 10, -2, 0x8001),
     LDXSX(BPF_H, 0, 10, -2), EXIT);
  R0("mem/ldxsh-pos", 0x7001, ST(BPF_H, 10, -2, 0x7001),
     LDXSX(BPF_H, 0, 10, -2), EXIT);
  R0("mem/ldxsw", 0xffffffff80000000, ST(BPF_W, 10, -4, (int32_t)0x80000000),
     LDXSX(BPF_W, 0, 10, -4), EXIT);
  FAULT("mem/ldxsdw-invalid", 0, "unknown opcode 0x99", LDXSX(BPF_DW, 0, 10, -8),
        EXIT);
  R0("mem/stack-zeroed", 0, ST(BPF_DW, 10, -8, 77), EXIT);
  R0("mem/stack-zeroed-next-run", 0, LDX(BPF_DW, 0, 10, -8), EXIT);
  R0("mem/unaligned", 0x0102030405060708, LDDW(1, 0x0102030405060708),
     STX(BPF_DW, 10, 1, -13), LDX(BPF_DW, 0, 10, -13), EXIT);
  R0("mem/pointer-arith", 99, MOVX(1, 10), ALU64K(BPF_ADD, 1, -100),
     ST(BPF_W, 1, 0, 99), LDX(BPF_W, 0, 10, -100), EXIT);

  /* Stack bounds. */
  R0("mem/fp-512-ok", 5, ST(BPF_DW, 10, -512, 5), LDX(BPF_DW, 0, 10, -512),
     EXIT);
  R0("mem/fp-1-byte-ok", 5, ST(BPF_B, 10, -1, 5), LDX(BPF_B, 0, 10, -1), EXIT);
  FAULT("mem/fp-513-read", 0, "invalid memory read of 1 bytes",
        LDX(BPF_B, 0, 10, -513), EXIT);
  FAULT("mem/fp-513-write", 1, "invalid memory write of 8 bytes",
        MOVK(1, 0), STX(BPF_DW, 10, 1, -513), EXIT);
  FAULT("mem/fp+0-store", 1, "invalid memory write of 8 bytes", MOVK(1, 0),
        STX(BPF_DW, 10, 1, 0), EXIT);
  FAULT("mem/fp-4-dw-straddles", 0, "invalid memory write of 8 bytes",
        ST(BPF_DW, 10, -4, 0), EXIT);
  FAULT("mem/null-read", 1, "invalid memory read of 4 bytes at 0x0 (insn 1)",
        MOVK(1, 0), LDX(BPF_W, 0, 1, 0), EXIT);
  FAULT("mem/wrap-read", 1, "invalid memory read", MOVK(1, -1),
        LDX(BPF_DW, 0, 1, 0), EXIT);
  FAULT("mem/far-offset", 0, "invalid memory read", LDX(BPF_DW, 0, 10, 32767),
        EXIT);
  {
    uint64_t r0;
    const struct bpf_insn p[] = {LDX(BPF_DW, 0, 10, 8), EXIT};
    bool ok = run_arg(p, N(p), 0, &r0);
    char want[80];
    snprintf(want, sizeof want, "invalid memory read of 8 bytes at 0x");
    check("mem/message", !ok && strncmp(interp_error(in), want, strlen(want)) == 0 &&
                             strstr(interp_error(in), " (insn 0)") != NULL);
  }

  /* Regions: a writable one, a read-only one, and beyond both. */
  memset(rw_buf, 0, sizeof rw_buf);
  memset(ro_buf, 0x5a, sizeof ro_buf);
  R0("region/write-read", 0xabcd, CALL(2), MOVX(6, 0), ST(BPF_H, 6, 62, 0xabcd),
     LDX(BPF_H, 0, 6, 62), EXIT);
  check("region/written", rw_buf[62] == 0xcd && rw_buf[63] == 0xab);
  R0("region/read-only-read", 0x5a5a5a5a5a5a5a5a, CALL(3),
     LDX(BPF_DW, 0, 0, 56), EXIT);
  FAULT("region/read-only-write", 2, "invalid memory write of 1 bytes", CALL(3),
        MOVX(1, 0), ST(BPF_B, 1, 0, 1), EXIT);
  FAULT("region/read-only-write-msg", 2, "read-only", CALL(3), MOVX(1, 0),
        ST(BPF_B, 1, 0, 1), EXIT);
  FAULT("region/read-only-atomic", 3, "invalid memory write", CALL(3),
        MOVX(1, 0), MOVK(2, 1), ATOM(BPF_DW, 1, 2, 0, BPF_ADD), EXIT);
  FAULT("region/past-end", 1, "invalid memory read of 2 bytes", CALL(2),
        LDX(BPF_H, 0, 0, 63), EXIT);
  FAULT("region/before-start", 1, "invalid memory read of 1 bytes", CALL(2),
        LDX(BPF_B, 0, 0, -1), EXIT);
  FAULT("region/forgotten-after-run", 2, "invalid memory read",
        LDDW(1, (uintptr_t)rw_buf), LDX(BPF_B, 0, 1, 0), EXIT);
  check("region/check-after-run",
        !interp_check(in, (uintptr_t)rw_buf, 1, false));
  /* interp_check from a helper. */
  R0("region/check-stack", 1, MOVX(1, 10), ALU64K(BPF_ADD, 1, -16), MOVK(2, 16),
     MOVK(3, 1), CALL(4), EXIT);
  R0("region/check-stack-over", 0, MOVX(1, 10), ALU64K(BPF_ADD, 1, -16),
     MOVK(2, 17), MOVK(3, 0), CALL(4), EXIT);
  R0("region/check-ro-write", 0, CALL(3), MOVX(1, 0), MOVK(2, 8), MOVK(3, 1),
     CALL(4), EXIT);
  R0("region/check-ro-read", 1, CALL(3), MOVX(1, 0), MOVK(2, 64), MOVK(3, 0),
     CALL(4), EXIT);
  /* A region added before a run holds for that run only. */
  {
    static unsigned char pre[16] = {42};
    check("region/add-before-run", interp_add_region(in, pre, sizeof pre, false));
    const struct bpf_insn p[] = {LDDW(1, (uintptr_t)pre), LDX(BPF_B, 0, 1, 0),
                                 EXIT};
    uint64_t r0 = 0;
    check("region/used-in-run", run_arg(p, N(p), 0, &r0) && r0 == 42);
    check("region/gone-after", !run_arg(p, N(p), 0, &r0));
  }
  {
    int added = 0;
    static unsigned char many[INTERP_MAX_REGIONS + 1];
    for (int i = 0; i < INTERP_MAX_REGIONS + 1; i++)
      added += interp_add_region(in, &many[i], 1, true);
    check("region/table-full", added == INTERP_MAX_REGIONS);
    check("region/null-rejected", !interp_add_region(in, NULL, 4, true));
    const struct bpf_insn p[] = {MOVK(0, 0), EXIT};
    uint64_t r0;
    run_arg(p, N(p), 0, &r0); /* clears the table */
    check("region/cleared", interp_add_region(in, many, 1, true));
    run_arg(p, N(p), 0, &r0);
  }
}

/* ---- atomics ------------------------------------------------------- */

static void test_atomic(void) {
  R0("atomic/add64", 15, ST(BPF_DW, 10, -8, 10), MOVK(1, 5),
     ATOM(BPF_DW, 10, 1, -8, BPF_ADD), LDX(BPF_DW, 0, 10, -8), EXIT);
  R0("atomic/add64-fetch-old", 10, ST(BPF_DW, 10, -8, 10), MOVK(1, 5),
     ATOM(BPF_DW, 10, 1, -8, BPF_ADD | BPF_FETCH), MOVX(0, 1), EXIT);
  R0("atomic/add64-fetch-new", 15, ST(BPF_DW, 10, -8, 10), MOVK(1, 5),
     ATOM(BPF_DW, 10, 1, -8, BPF_ADD | BPF_FETCH), LDX(BPF_DW, 0, 10, -8), EXIT);
  R0("atomic/add64-no-fetch-keeps-src", 5, ST(BPF_DW, 10, -8, 10), MOVK(1, 5),
     ATOM(BPF_DW, 10, 1, -8, BPF_ADD), MOVX(0, 1), EXIT);
  R0("atomic/or64", 0xff00000000000f0f, LDDW(1, 0xff00000000000f00),
     ST(BPF_DW, 10, -8, 0x0f), ATOM(BPF_DW, 10, 1, -8, BPF_OR),
     LDX(BPF_DW, 0, 10, -8), EXIT);
  R0("atomic/and64-fetch", 0xff, ST(BPF_DW, 10, -8, 0xff), MOVK(1, 0x0f),
     ATOM(BPF_DW, 10, 1, -8, BPF_AND | BPF_FETCH), LDX(BPF_DW, 0, 10, -8),
     /* mem 0x0f, r1 0xff: ((0x0f << 8 | 0xff) >> 8) + 0xf0 */
     ALU64K(BPF_LSH, 0, 8), ALU64X(BPF_OR, 0, 1), ALU64K(BPF_RSH, 0, 8),
     ALU64K(BPF_ADD, 0, 0xf0), EXIT);
  R0("atomic/xor64-fetch", 0x0ff0 + 0xff, ST(BPF_DW, 10, -8, 0xff),
     MOVK(1, 0xf0f), ATOM(BPF_DW, 10, 1, -8, BPF_XOR | BPF_FETCH),
     LDX(BPF_DW, 0, 10, -8), ALU64X(BPF_ADD, 0, 1), EXIT);
  R0("atomic/xchg64", 0x7000000000 + 3, ST(BPF_DW, 10, -8, 3), LDDW(1, 0x7000000000),
     ATOM(BPF_DW, 10, 1, -8, BPF_XCHG), LDX(BPF_DW, 0, 10, -8),
     ALU64X(BPF_ADD, 0, 1), EXIT);
  R0("atomic/cmpxchg64-hit", 0x1000 + 9, ST(BPF_DW, 10, -8, 9), MOVK(0, 9),
     MOVK(1, 0x1000), ATOM(BPF_DW, 10, 1, -8, BPF_CMPXCHG),
     LDX(BPF_DW, 2, 10, -8), ALU64X(BPF_ADD, 0, 2), EXIT);
  R0("atomic/cmpxchg64-miss", 9 + 9, ST(BPF_DW, 10, -8, 9), MOVK(0, 8),
     MOVK(1, 0x1000), ATOM(BPF_DW, 10, 1, -8, BPF_CMPXCHG),
     LDX(BPF_DW, 2, 10, -8), ALU64X(BPF_ADD, 0, 2), EXIT);
  /* 32-bit: only 4 bytes change and fetched values are zero-extended. */
  R0("atomic/add32-wraps", 0x1100000000, LDDW(1, 0x11ffffffff),
     STX(BPF_DW, 10, 1, -8), MOVK(2, 1), ATOM(BPF_W, 10, 2, -8, BPF_ADD),
     LDX(BPF_DW, 0, 10, -8), EXIT);
  R0("atomic/add32-fetch-zext", 0xffffffff, ST(BPF_W, 10, -8, -1), MOVK(1, -1),
     ATOM(BPF_W, 10, 1, -8, BPF_ADD | BPF_FETCH), MOVX(0, 1), EXIT);
  R0("atomic/or32-fetch", 0x10 * 0x100 + 0x13, ST(BPF_W, 10, -4, 0x10),
     MOVK(1, 3), ATOM(BPF_W, 10, 1, -4, BPF_OR | BPF_FETCH),
     MOVX(0, 1), ALU64K(BPF_LSH, 0, 8), LDX(BPF_W, 2, 10, -4),
     ALU64X(BPF_ADD, 0, 2), EXIT);
  R0("atomic/xchg32", 0xfffffffe, ST(BPF_W, 10, -4, -2), MOVK(1, 1),
     ATOM(BPF_W, 10, 1, -4, BPF_XCHG), MOVX(0, 1), EXIT);
  R0("atomic/cmpxchg32-compares-low", 0x55, ST(BPF_W, 10, -4, 7),
     LDDW(0, 0xff00000007), MOVK(1, 0x55), ATOM(BPF_W, 10, 1, -4, BPF_CMPXCHG),
     LDX(BPF_W, 0, 10, -4), EXIT);
  R0("atomic/cmpxchg32-r0-zext", 7, ST(BPF_W, 10, -4, 7),
     LDDW(0, 0xff00000007), MOVK(1, 0x55), ATOM(BPF_W, 10, 1, -4, BPF_CMPXCHG),
     EXIT);
  R0("atomic/misaligned", 0x100000001, LDDW(1, 0xffffffffffffffff),
     STX(BPF_DW, 10, 1, -13), LDDW(2, 0x100000002),
     ATOM(BPF_DW, 10, 2, -13, BPF_ADD | BPF_FETCH), LDX(BPF_DW, 0, 10, -13),
     EXIT);
  R0("atomic/misaligned-cmpxchg32", 0x44, ST(BPF_W, 10, -7, 3), MOVK(0, 3),
     MOVK(1, 0x44), ATOM(BPF_W, 10, 1, -7, BPF_CMPXCHG), LDX(BPF_W, 0, 10, -7),
     EXIT);
  R0("atomic/region", 12, CALL(2), MOVX(6, 0), ST(BPF_DW, 6, 8, 10), MOVK(1, 2),
     ATOM(BPF_DW, 6, 1, 8, BPF_ADD), LDX(BPF_DW, 0, 6, 8), EXIT);
  FAULT("atomic/unknown-op", 1, "unknown atomic operation 0x10", MOVK(1, 1),
        ATOM(BPF_DW, 10, 1, -8, BPF_SUB), EXIT);
  FAULT("atomic/byte-size-invalid", 1, "unknown opcode 0xd3", MOVK(1, 1),
        ATOM(BPF_B, 10, 1, -8, BPF_ADD), EXIT);
  FAULT("atomic/out-of-stack", 1, "invalid memory write of 8 bytes", MOVK(1, 1),
        ATOM(BPF_DW, 10, 1, -516, BPF_ADD), EXIT);
  FAULT("atomic/fetch-into-r10", 0, "read-only r10",
        ATOM(BPF_DW, 10, 10, -8, BPF_ADD | BPF_FETCH), EXIT);
}

/* ---- ld_imm64 and maps --------------------------------------------- */

static void test_ld(void) {
  R0("ld/imm64", 0x8765432112345678, LDDW(0, 0x8765432112345678), EXIT);
  R0("ld/imm64-low-negative", 0x00000001ffffffff, LDDW(0, 0x1ffffffff), EXIT);
  R0("ld/map", 0x1003, LDMAP(0, 3), EXIT);
  R0("ld/map-in-reg", 0x1000 + 7 + 1, LDMAP(4, 7), MOVX(0, 4),
     ALU64K(BPF_ADD, 0, 1), EXIT);
  FAULT("ld/map-rejected", 1, "invalid map reference 9", MOVK(0, 0),
        LDMAP(0, 9), EXIT);
  FAULT("ld/src-2-rejected", 0, "unsupported ld_imm64 source 2",
        I(BPF_LD | BPF_DW | BPF_IMM, 0, 2, 0, 1), I(0, 0, 0, 0, 0), EXIT);
  FAULT("ld/src-1-rejected", 0, "unsupported ld_imm64 source 1",
        I(BPF_LD | BPF_DW | BPF_IMM, 0, 1, 0, 1), I(0, 0, 0, 0, 0), EXIT);
  FAULT("ld/truncated", 1, "ld_imm64 truncated", MOVK(0, 0),
        I(BPF_LD | BPF_DW | BPF_IMM, 0, 0, 0, 1));
  FAULT("ld/bad-second-slot", 0, "malformed ld_imm64",
        I(BPF_LD | BPF_DW | BPF_IMM, 0, 0, 0, 1), MOVK(0, 1), EXIT);
  FAULT("ld/legacy-abs", 0, "unknown opcode 0x20",
        I(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 0), EXIT);
  {
    InterpEnv none = {0};
    Interp *bare = interp_new(&none);
    const struct bpf_insn p[] = {LDMAP(0, 1), EXIT};
    const struct bpf_insn q[] = {CALL(1), EXIT};
    uint64_t r0;
    check("ld/map-without-resolver",
          !interp_run(bare, p, N(p), 0, 10, &r0) &&
              strstr(interp_error(bare), "map") != NULL);
    check("call/helper-without-env", !interp_run(bare, q, N(q), 0, 10, &r0) &&
                                         strstr(interp_error(bare), "helper"));
    interp_free(bare);
  }
}

/* ---- calls --------------------------------------------------------- */

static void test_call(void) {
  R0("call/helper-args", 1 + 2 * 2 + 3 * 3 + 4 * 4 + 5 * 5, MOVK(1, 1),
     MOVK(2, 2), MOVK(3, 3), MOVK(4, 4), MOVK(5, 5), CALL(1), EXIT);
  for (int reg = 1; reg <= 5; reg++) {
    char name[64];
    snprintf(name, sizeof name, "call/clobbers-r%d", reg);
    const struct bpf_insn p[] = {
        MOVK(1, 1), MOVK(2, 2), MOVK(3, 3), MOVK(4, 4), MOVK(5, 5), CALL(0),
        MOVK(0, 0), JK(BPF_JNE, reg, reg, 1), EXIT, MOVK(0, 1), EXIT};
    expect_r0(name, p, N(p), 1);
  }
  R0("call/preserves-r6-r9", 6 + 7 + 8 + 9, MOVK(6, 6), MOVK(7, 7), MOVK(8, 8),
     MOVK(9, 9), CALL(0), MOVX(0, 6), ALU64X(BPF_ADD, 0, 7),
     ALU64X(BPF_ADD, 0, 8), ALU64X(BPF_ADD, 0, 9), EXIT);
  FAULT("call/helper-fails", 1, "boom 7", MOVK(0, 0), CALL(5), EXIT);
  {
    const struct bpf_insn p[] = {MOVK(0, 0), CALL(5), EXIT};
    uint64_t r0;
    run_arg(p, N(p), 0, &r0);
    check("call/helper-message-verbatim", strcmp(interp_error(in), "boom 7") == 0);
  }
  FAULT("call/helper-refuses", 0, "helper 7 failed", CALL(7), EXIT);
  R0("call/reentry-refused", 1, CALL(6), EXIT);
  FAULT("call/kfunc-rejected", 0, "unsupported call kind 2",
        I(BPF_JMP | BPF_CALL, 0, 2, 0, 1), EXIT);
  FAULT("call/jmp32-call-invalid", 0, "unknown opcode 0x86",
        I(BPF_JMP32 | BPF_CALL, 0, 0, 0, 1), EXIT);

  /* BPF-to-BPF: f(x) = x + 100 with a fresh stack and r6-r9 kept. */
  R0("call/bpf2bpf", 5 + 100 + 6, MOVK(6, 6), MOVK(1, 5),
     ST(BPF_DW, 10, -8, 1234), PCALL(5), ALU64X(BPF_ADD, 0, 6),
     LDX(BPF_DW, 1, 10, -8), JK(BPF_JEQ, 1, 1234, 1), MOVK(0, 0), EXIT,
     /* f: */ MOVK(6, 60), LDX(BPF_DW, 0, 10, -8), ALU64X(BPF_ADD, 0, 1),
     ALU64K(BPF_ADD, 0, 100), ST(BPF_DW, 10, -8, 99), EXIT);
  /* r6-r9 restored even though f changes them; the callee's fresh stack
   * reads 0 at fp-8 (hence r0 = x + 100 above, not x + 1334). */
  R0("call/bpf2bpf-restores", 6 + 7 + 8 + 9, MOVK(6, 6), MOVK(7, 7),
     MOVK(8, 8), MOVK(9, 9), PCALL(5), MOVX(0, 6), ALU64X(BPF_ADD, 0, 7),
     ALU64X(BPF_ADD, 0, 8), ALU64X(BPF_ADD, 0, 9), EXIT,
     /* f: */ MOVK(6, 0), MOVK(7, 0), MOVK(8, 0), MOVK(9, 0), EXIT);
  /* The callee may use a pointer into its caller's stack. */
  R0("call/caller-stack-pointer", 77, MOVX(1, 10), ALU64K(BPF_ADD, 1, -8),
     PCALL(2), LDX(BPF_DW, 0, 10, -8), EXIT,
     /* f: */ ST(BPF_DW, 1, 0, 77), EXIT);
  /* ... but not the stack of a callee that returned. */
  FAULT("call/dead-callee-stack", 1, "invalid memory read", PCALL(2),
        LDX(BPF_DW, 0, 0, 0), EXIT,
        /* f: */ MOVX(0, 10), ALU64K(BPF_ADD, 0, -8), EXIT);
  /* Callee below fp-512 is not its caller's stack either. */
  FAULT("call/callee-fp-513", 3, "invalid memory write", PCALL(1), EXIT,
        MOVK(1, 0), STX(BPF_B, 10, 1, -513), EXIT);

  /* Recursion: f(n) = n == 0 ? 0 : f(n - 1) + 1; main calls f(arg).
   * f(k) uses k + 1 frames besides main's. */
  const struct bpf_insn rec[] = {
      PCALL(1), EXIT,
      /* f: */ MOVK(0, 0), JK(BPF_JEQ, 1, 0, 3), ALU64K(BPF_SUB, 1, 1),
      PCALL(-4), ALU64K(BPF_ADD, 0, 1), EXIT};
  uint64_t r0 = 0;
  bool ok = run_arg(rec, N(rec), INTERP_MAX_FRAMES - 2, &r0);
  check("call/recursion-to-limit", ok && r0 == INTERP_MAX_FRAMES - 2);
  ok = run_arg(rec, N(rec), INTERP_MAX_FRAMES - 1, &r0);
  check("call/recursion-past-limit",
        !ok && strstr(interp_error(in), "nested too deeply") &&
            interp_error_insn(in) == 5);
  /* A larger frame limit (staprun asks for MAXNESTING + 2): the same
   * program recurses as deep as it allows, and each frame's stack is its
   * own. */
  {
    InterpEnv deep = env;
    deep.max_frames = 100;
    Interp *d = interp_new(&deep);
    const struct bpf_insn own[] = {
        MOVK(1, 97), PCALL(1), EXIT,
        /* f(n): fp-8 = n; f(n - 1) unless n == 0; r0 = fp-8 + r0 */
        STX(BPF_DW, 10, 1, -8), MOVK(0, 0), JK(BPF_JEQ, 1, 0, 2),
        ALU64K(BPF_SUB, 1, 1), PCALL(-5), LDX(BPF_DW, 1, 10, -8),
        ALU64X(BPF_ADD, 0, 1), EXIT};
    check("call/max-frames-deep", d && interp_run(d, rec, N(rec), 98, 100000, &r0) &&
                                      r0 == 98);
    check("call/max-frames-past", d && !interp_run(d, rec, N(rec), 99, 100000, &r0) &&
                                      strstr(interp_error(d), "over 100 frames"));
    check("call/max-frames-own-stacks",
          d && interp_run(d, own, N(own), 0, 100000, &r0) && r0 == 97 * 98 / 2);
    interp_free(d);
    deep.max_frames = INTERP_FRAMES_LIMIT + 1;
    check("call/max-frames-over-limit", interp_new(&deep) == NULL);
  }
  FAULT("call/target-out-of-range", 0, "jump out of range", PCALL(5), EXIT);
  FAULT("call/target-negative", 1, "jump out of range", MOVK(0, 0), PCALL(-3),
        EXIT);
  FAULT("call/target-mid-lddw", 0, "middle of ld_imm64", PCALL(1), LDDW(0, 1),
        EXIT);
  FAULT("call/callee-falls-off", 2, "falls off the end", PCALL(1), EXIT,
        MOVK(0, 0));
}

/* ---- what stops a program ------------------------------------------ */

static void test_errors(void) {
  FAULT("err/jump-past-end", 0, "jump out of range", JA(5), EXIT);
  FAULT("err/jump-to-n", 0, "jump out of range", JA(1), EXIT);
  FAULT("err/jump-negative", 1, "jump out of range", MOVK(0, 0), JA(-3), EXIT);
  FAULT("err/cond-jump-out", 1, "jump out of range", MOVK(0, 0),
        JK(BPF_JEQ, 0, 0, 100), EXIT);
  FAULT("err/gotol-out", 0, "jump out of range", GOTOL(-2), EXIT);
  FAULT("err/jump-mid-lddw", 0, "jump into the middle of ld_imm64", JA(1),
        LDDW(0, 1), EXIT);
  FAULT("err/jump-back-mid-lddw", 3, "middle of ld_imm64", MOVK(0, 0),
        LDDW(0, 1), JA(-2), EXIT);
  FAULT("err/falls-off", 1, "falls off the end", MOVK(0, 0), MOVK(0, 1));
  FAULT("err/falls-off-after-jump", 1, "falls off the end", MOVK(0, 0),
        JK(BPF_JEQ, 0, 1, -2));
  {
    uint64_t r0;
    check("err/empty", !interp_run(in, NULL, 0, 0, 10, &r0) &&
                           strstr(interp_error(in), "empty"));
  }
  FAULT("err/unknown-opcode-ff", 1, "unknown opcode 0xff", MOVK(0, 0),
        I(0xff, 0, 0, 0, 0), EXIT);
  FAULT("err/unknown-opcode-00", 0, "unknown opcode 0x00", I(0, 0, 0, 0, 0),
        EXIT);
  FAULT("err/unknown-alu-op", 0, "unknown opcode 0xe7",
        I(BPF_ALU64 | 0xe0, 0, 0, 0, 0), EXIT);
  FAULT("err/unknown-jmp-op", 0, "unknown opcode 0xe5",
        I(BPF_JMP | 0xe0, 0, 0, 0, 0), EXIT);
  FAULT("err/exit-jmp32", 0, "unknown opcode 0x96", I(BPF_JMP32 | BPF_EXIT, 0, 0, 0, 0));
  FAULT("err/st-atomic-invalid", 0, "unknown opcode",
        I(BPF_ST | BPF_ATOMIC | BPF_DW, 10, 0, -8, 0), EXIT);
  FAULT("err/invalid-register", 0, "invalid register r11", MOVK(11, 1), EXIT);
  FAULT("err/invalid-src-register", 0, "invalid register r12", MOVX(0, 12),
        EXIT);
  FAULT("err/invalid-ldx-register", 0, "invalid register r15",
        LDX(BPF_DW, 0, 15, 0), EXIT);
  FAULT("err/write-r10", 0, "read-only r10", ALU64K(BPF_ADD, 10, 8), EXIT);
  FAULT("err/ldx-r10", 0, "read-only r10", LDX(BPF_DW, 10, 10, -8), EXIT);
  FAULT("err/lddw-r10", 0, "read-only r10", LDDW(10, 1), EXIT);
  FAULT("err/bad-div-offset", 0, "invalid offset 2",
        I(BPF_ALU64 | BPF_DIV | BPF_K, 0, 0, 2, 1), EXIT);
  FAULT("err/movsx32-32", 0, "invalid offset 32",
        I(BPF_ALU | BPF_MOV | BPF_X, 0, 1, 32, 0), EXIT);
  FAULT("err/movsx-k", 0, "invalid offset 8",
        I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 8, 1), EXIT);
  FAULT("err/reserved-src-k", 0, "reserved src",
        I(BPF_ALU64 | BPF_ADD | BPF_K, 0, 3, 0, 1), EXIT);
  FAULT("err/neg-x", 0, "invalid neg", ALU64X(BPF_NEG, 0, 1), EXIT);

  /* Budget: exactly n instructions are allowed. */
  {
    const struct bpf_insn p[] = {MOVK(0, 1), MOVK(0, 2), EXIT};
    uint64_t r0 = 0;
    check("budget/exact", interp_run(in, p, N(p), 0, 3, &r0) && r0 == 2);
    check("budget/one-short", !interp_run(in, p, N(p), 0, 2, &r0) &&
                                  interp_budget_exhausted(in) &&
                                  interp_error_insn(in) == 2);
    check("budget/zero", !interp_run(in, p, N(p), 0, 0, &r0) &&
                             interp_budget_exhausted(in));
    check("budget/reset", interp_run(in, p, N(p), 0, 3, &r0) &&
                              !interp_budget_exhausted(in));
  }
  {
    const struct bpf_insn p[] = {MOVK(0, 0), ALU64K(BPF_ADD, 0, 1), JA(-2), EXIT};
    uint64_t r0;
    bool ok = interp_run(in, p, N(p), 0, 1000000, &r0);
    check("budget/infinite-loop",
          !ok && interp_budget_exhausted(in) &&
              strstr(interp_error(in), "instruction budget exhausted"));
  }
  {
    /* Instructions of callees count too. */
    const struct bpf_insn p[] = {
        MOVK(6, 0), PCALL(3), ALU64K(BPF_ADD, 6, 1), JA(-3), EXIT,
        /* f: */ MOVK(0, 0), EXIT};
    uint64_t r0;
    check("budget/callee-counts", !interp_run(in, p, N(p), 0, 1001, &r0) &&
                                      interp_budget_exhausted(in));
    check("budget/ok-message", strncmp(interp_error(in),
                                       "instruction budget exhausted", 28) == 0);
  }
  {
    /* Separate Interp objects are independent. */
    Interp *other = interp_new(&env);
    const struct bpf_insn p[] = {MOVK(0, 3), EXIT};
    const struct bpf_insn q[] = {JA(-1)};
    uint64_t a = 0, b = 0;
    bool oka = interp_run(other, p, N(p), 0, 10, &a);
    bool okb = interp_run(in, q, N(q), 0, 10, &b);
    check("interp/independent", oka && a == 3 && !okb &&
                                    interp_budget_exhausted(in) &&
                                    !interp_budget_exhausted(other));
    interp_free(other);
    interp_free(NULL);
  }
}

/* ---- random programs ----------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15;

static uint64_t rnd(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * UINT64_C(0x2545f4914f6cdd1d);
}

static const uint8_t valid_codes[] = {
    0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x47, 0x4f, 0x57, 0x5f,
    0x67, 0x6f, 0x77, 0x7f, 0x87, 0x97, 0x9f, 0xa7, 0xaf, 0xb7, 0xbf, 0xc7,
    0xcf, 0xd7, 0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x44, 0x4c,
    0x54, 0x5c, 0x64, 0x6c, 0x74, 0x7c, 0x84, 0x94, 0x9c, 0xa4, 0xac, 0xb4,
    0xbc, 0xc4, 0xcc, 0xd4, 0xdc, 0x05, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d,
    0x45, 0x4d, 0x55, 0x5d, 0x65, 0x6d, 0x75, 0x7d, 0xa5, 0xad, 0xb5, 0xbd,
    0xc5, 0xcd, 0xd5, 0xdd, 0x85, 0x95, 0x06, 0x16, 0x1e, 0x26, 0x2e, 0xa6,
    0xd6, 0xde, 0x18, 0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91, 0x62, 0x6a,
    0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb};

static const int32_t atomic_ops[] = {0x00, 0x01, 0x40, 0x41, 0x50, 0x51,
                                     0xa0, 0xa1, 0xe1, 0xf1};

/* One random instruction: mostly well-formed (registers, reserved fields,
 * stack offsets plausible) so runs get deep, sometimes any bits at all. */
static void random_insn(struct bpf_insn *ip) {
  uint64_t r = rnd(), q = rnd();
  memset(ip, 0, sizeof *ip);
  if (r % 16 == 0) {
    memcpy(ip, &q, sizeof *ip);
    return;
  }
  r >>= 4;
  ip->code = valid_codes[r % sizeof valid_codes];
  r >>= 8;
  ip->dst_reg = r % 32 == 0 ? 10 + r % 6 : r % 10;
  r >>= 5;
  ip->src_reg = r % 32 == 0 ? 10 + r % 6 : r % 11;
  r >>= 5;
  uint8_t cls = BPF_CLASS(ip->code), op = BPF_OP(ip->code);
  bool x = BPF_SRC(ip->code) == BPF_X;
  switch (cls) {
  case BPF_ALU:
  case BPF_ALU64:
    if (!x) ip->src_reg = 0;
    if (op == BPF_END) {
      ip->src_reg = 0;
      ip->imm = 16 << (r % 3);
    } else if (!x) {
      ip->imm = r % 2 ? (int32_t)(q >> 32) : (int32_t)(q % 80) - 8;
    }
    if ((op == BPF_DIV || op == BPF_MOD) && q % 3 == 0) ip->off = 1;
    if (op == BPF_MOV && x && q % 3 == 0) ip->off = (int16_t)(8 << (q % 3));
    if (op == BPF_NEG) ip->src_reg = 0, ip->imm = 0;
    break;
  case BPF_JMP:
  case BPF_JMP32:
    if (!x) {
      ip->src_reg = 0;
      ip->imm = (int32_t)(q % 40) - 4;
    }
    ip->off = (int16_t)((int)(r % 24) - 6);
    if (op == BPF_JA) {
      ip->dst_reg = ip->src_reg = 0;
      ip->imm = cls == BPF_JMP32 ? ip->off : 0;
      if (cls == BPF_JMP32) ip->off = 0;
    } else if (op == BPF_CALL) { /* helpers 0-4 and 7, or a local call */
      ip->dst_reg = 0;
      ip->off = 0;
      ip->src_reg = q % 5 == 0 ? 1 : 0;
      ip->imm = ip->src_reg ? (int32_t)(q % 13) - 4 : (int32_t)(q % 8);
      if (ip->imm == 5 || ip->imm == 6) ip->imm = 2;
    } else if (op == BPF_EXIT) {
      ip->dst_reg = ip->src_reg = 0;
      ip->off = ip->imm = 0;
    }
    break;
  case BPF_LDX:
  case BPF_ST:
  case BPF_STX: {
    /* Mostly relative to r10 or to a register holding a region pointer. */
    int base = q % 4 == 0 ? 10 : q % 4 == 1 ? 0 : -1;
    if (base >= 0 && cls == BPF_LDX)
      ip->src_reg = (uint8_t)base;
    else if (base >= 0)
      ip->dst_reg = (uint8_t)base;
    ip->off = base == 10 ? (int16_t)(-(int)(r % 530)) : (int16_t)(r % 80) - 8;
    if (cls == BPF_ST) {
      ip->src_reg = 0;
      ip->imm = (int32_t)(q >> 32);
    } else if (BPF_MODE(ip->code) == BPF_ATOMIC) {
      ip->imm = atomic_ops[(q >> 8) % N(atomic_ops)];
    }
    break;
  }
  default:
    break;
  }
}

static void fuzz(void) {
  enum { RUNS = 200000, MAXLEN = 48 };
  struct bpf_insn p[MAXLEN];
  unsigned long ok = 0, faults = 0, budget = 0;
  for (int run = 0; run < RUNS; run++) {
    size_t n = 1 + rnd() % MAXLEN;
    for (size_t i = 0; i < n; i++) {
      random_insn(&p[i]);
      if (p[i].code == (BPF_LD | BPF_DW | BPF_IMM) && i + 1 < n &&
          rnd() % 8) {
        uint64_t r = rnd();
        p[i].src_reg = r % 3 == 0 ? BPF_PSEUDO_MAP_IDX : 0;
        p[i].off = 0;
        memset(&p[i + 1], 0, sizeof p[i + 1]);
        if (p[i].src_reg == 0)
          p[i + 1].imm = (int32_t)(r >> 32);
        else
          p[i].imm = (int32_t)((r >> 8) % 10);
        i++;
      }
    }
    if (rnd() % 2) p[n - 1] = (struct bpf_insn)EXIT;
    uint64_t r0, arg = rnd(), b = 1 + rnd() % 2000;
    if (interp_run(in, p, n, arg, b, &r0))
      ok++;
    else
      faults++;
    budget += interp_budget_exhausted(in);
  }
  printf("# fuzz: %lu runs finished, %lu stopped (%lu on the budget)\n", ok,
         faults, budget);
  check("fuzz/no-crash", ok + faults == RUNS && ok > RUNS / 50 &&
                             faults > 0 && budget > 0);
}

static void bench(void) {
  /* Not a test of speed, just that a long loop is linear and a budget of
   * ten million instructions completes. */
  const struct bpf_insn p[] = {MOVK(0, 0), LDDW(1, 2000000),
                               ALU64K(BPF_ADD, 0, 3), ALU64K(BPF_SUB, 1, 1),
                               JK(BPF_JNE, 1, 0, -3), EXIT};
  uint64_t r0 = 0;
  check("loop/six-million-insns",
        interp_run(in, p, N(p), 0, 10000000, &r0) && r0 == 6000000);
}

int main(void) {
  in = interp_new(&env);
  if (!in) return 1;
  test_alu();
  test_end();
  test_jmp();
  test_mem();
  test_atomic();
  test_ld();
  test_call();
  test_errors();
  bench();
  fuzz();
  interp_free(in);
  return failures ? 1 : 0;
}
