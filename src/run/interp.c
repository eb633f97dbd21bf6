/* interp: a BPF interpreter for the user programs of a .bo object.
 *
 * The program is not verified beforehand: every instruction is checked as
 * it runs (register numbers, reserved fields, jump targets, memory
 * bounds), so a run costs nothing in proportion to the program's size and
 * a corrupt program stops with a message instead of harming staprun.
 *
 * The stacks of all frames live in one array the Interp owns (as many
 * frames as InterpEnv.max_frames allows), the
 * outermost frame at the top and each call one INTERP_STACK below, so the
 * stacks of the frames of the current call chain are always one contiguous
 * range: a memory access is checked against that range first and then
 * against the table of regions helpers registered (which grows as they
 * register more: a map lookup hands out a region each). */
#include "run/interp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Older uapi headers lack the v4 sign-extending load mode. */
#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80
#endif

enum {
  NREGS = 11,      /* r0..r10 */
  FP = 10,         /* the read-only frame pointer */
  LDDW = BPF_LD | BPF_DW | BPF_IMM,
};

/* What r1..r5 hold after a helper call: the program must not rely on it. */
#define CLOBBER UINT64_C(0xdeadbeefbaadf00d)

typedef struct Region {
  uintptr_t lo;
  size_t len;
  bool writable;
} Region;

typedef struct Frame {
  uint64_t saved[5]; /* r6..r10 of the caller */
  size_t ret_pc;
} Frame;

struct Interp {
  InterpEnv env;
  bool running;
  bool failed;         /* interp_fail was called during the current call */
  bool out_of_budget;  /* the last run stopped on the budget */
  bool stopped;        /* the last run stopped on env.interrupted */
  size_t err_insn;
  uintptr_t stack_lo;  /* the stacks of the live frames: [lo, lo + span) */
  size_t stack_span;
  size_t nregions, regions_cap, last_hit; /* last_hit: the region of the
                                             last access outside the stack */
  Region *regions;
  char err[256];
  size_t max_frames;
  Frame *frames;         /* the callers' saved state, by depth */
  unsigned char *stack;  /* max_frames * INTERP_STACK bytes */
};

Interp *interp_new(const InterpEnv *env) {
  size_t nf = env && env->max_frames ? env->max_frames : INTERP_MAX_FRAMES;
  if (nf > INTERP_FRAMES_LIMIT) return NULL;
  Interp *in = calloc(1, sizeof *in);
  if (!in) return NULL;
  if (env) in->env = *env;
  in->max_frames = nf;
  in->frames = calloc(nf, sizeof *in->frames);
  in->stack = calloc(nf, INTERP_STACK);
  if (!in->frames || !in->stack) {
    interp_free(in);
    return NULL;
  }
  return in;
}

void interp_free(Interp *in) {
  if (!in) return;
  free(in->frames);
  free(in->stack);
  free(in->regions);
  free(in);
}

const char *interp_error(const Interp *in) { return in->err; }

size_t interp_error_insn(const Interp *in) { return in->err_insn; }

bool interp_budget_exhausted(const Interp *in) { return in->out_of_budget; }

bool interp_interrupted(const Interp *in) { return in->stopped; }

void interp_fail(Interp *in, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(in->err, sizeof in->err, fmt, ap);
  va_end(ap);
  in->failed = true;
}

/* A fault found by the interpreter itself: the message, then the insn. */
__attribute__((format(printf, 3, 4))) static bool fault(Interp *in, size_t pc,
                                                        const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(in->err, sizeof in->err, fmt, ap);
  va_end(ap);
  if (k >= 0 && (size_t)k < sizeof in->err)
    snprintf(in->err + k, sizeof in->err - (size_t)k, " (insn %zu)", pc);
  in->err_insn = pc;
  return false;
}

/* Is [a, a+len) inside [lo, lo+span)?  Written so nothing can wrap. */
static inline bool inside(uint64_t a, size_t len, uintptr_t lo, size_t span) {
  return a >= lo && a - lo <= span && len <= span - (a - lo);
}

bool interp_add_region(Interp *in, void *base, size_t len, bool writable) {
  uintptr_t lo = (uintptr_t)base;
  if (!base || lo + len < lo) return false;
  if (len == 0) return true;
  if (in->nregions == in->regions_cap) {
    if (in->regions_cap == INTERP_MAX_REGIONS) return false;
    size_t cap = in->regions_cap ? in->regions_cap * 2 : 64;
    if (cap > INTERP_MAX_REGIONS) cap = INTERP_MAX_REGIONS;
    Region *r = realloc(in->regions, cap * sizeof *r);
    if (!r) return false;
    in->regions = r;
    in->regions_cap = cap;
  }
  in->regions[in->nregions++] = (Region){lo, len, writable};
  return true;
}

static inline bool in_region(const Region *r, uint64_t a, size_t len, bool write) {
  return (r->writable || !write) && inside(a, len, r->lo, r->len);
}

bool interp_check(const Interp *in, uint64_t p, size_t len, bool write) {
  if (in->stack_span && inside(p, len, in->stack_lo, in->stack_span))
    return true;
  for (size_t i = 0; i < in->nregions; i++)
    if (in_region(&in->regions[i], p, len, write)) return true;
  return false;
}

/* The host address of a checked access, or NULL after reporting it. */
static inline void *mem(Interp *in, size_t pc, uint64_t a, size_t len,
                        bool write) {
  if (inside(a, len, in->stack_lo, in->stack_span))
    return (void *)(uintptr_t)a;
  /* accesses come in runs to one region (scratch, a map value) */
  if (in->last_hit < in->nregions &&
      in_region(&in->regions[in->last_hit], a, len, write))
    return (void *)(uintptr_t)a;
  for (size_t i = 0; i < in->nregions; i++)
    if (in_region(&in->regions[i], a, len, write)) {
      in->last_hit = i;
      return (void *)(uintptr_t)a;
    }
  if (write && interp_check(in, a, len, false))
    fault(in, pc, "invalid memory write of %zu bytes at 0x%llx (read-only)",
          len, (unsigned long long)a);
  else
    fault(in, pc, "invalid memory %s of %zu bytes at 0x%llx",
          write ? "write" : "read", len, (unsigned long long)a);
  return NULL;
}

/* Frame k's stack: frame 0 at the top of the array, deeper frames below. */
static inline unsigned char *frame_base(Interp *in, size_t k) {
  return in->stack + (in->max_frames - 1 - k) * INTERP_STACK;
}

/* Enter frame `depth`: its stack is zeroed and the live range grows. */
static uint64_t enter_frame(Interp *in, size_t depth) {
  unsigned char *base = frame_base(in, depth);
  memset(base, 0, INTERP_STACK);
  in->stack_lo = (uintptr_t)base;
  in->stack_span = (depth + 1) * INTERP_STACK;
  return (uint64_t)(uintptr_t)(base + INTERP_STACK);
}

static void leave_frame(Interp *in, size_t depth) {
  in->stack_lo = (uintptr_t)frame_base(in, depth);
  in->stack_span = (depth + 1) * INTERP_STACK;
}

static const size_t size_bytes[4] = {4, 2, 1, 8}; /* BPF_W, H, B, DW >> 3 */

static inline uint64_t load(const void *p, size_t len) {
  switch (len) {
  case 1: { uint8_t v; memcpy(&v, p, 1); return v; }
  case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
  case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
  default: { uint64_t v; memcpy(&v, p, 8); return v; }
  }
}

static inline void store(void *p, size_t len, uint64_t x) {
  switch (len) {
  case 1: { uint8_t v = (uint8_t)x; memcpy(p, &v, 1); break; }
  case 2: { uint16_t v = (uint16_t)x; memcpy(p, &v, 2); break; }
  case 4: { uint32_t v = (uint32_t)x; memcpy(p, &v, 4); break; }
  default: memcpy(p, &x, 8); break;
  }
}

static inline uint64_t sext(uint64_t v, size_t len) {
  switch (len) {
  case 1: return (uint64_t)(int64_t)(int8_t)v;
  case 2: return (uint64_t)(int64_t)(int16_t)v;
  case 4: return (uint64_t)(int64_t)(int32_t)v;
  default: return v;
  }
}

/* Atomic read-modify-write of 4 or 8 bytes at p; returns the old value.
 * `op` is the atomic imm without BPF_FETCH (or BPF_XCHG/BPF_CMPXCHG). */
#define ATOMIC_RMW(T, p, op, v, cmp, old)                                     \
  do {                                                                        \
    T *q_ = (T *)(p), v_ = (T)(v);                                            \
    switch (op) {                                                             \
    case BPF_ADD: old = __atomic_fetch_add(q_, v_, __ATOMIC_SEQ_CST); break;  \
    case BPF_OR: old = __atomic_fetch_or(q_, v_, __ATOMIC_SEQ_CST); break;    \
    case BPF_AND: old = __atomic_fetch_and(q_, v_, __ATOMIC_SEQ_CST); break;  \
    case BPF_XOR: old = __atomic_fetch_xor(q_, v_, __ATOMIC_SEQ_CST); break;  \
    case BPF_XCHG: old = __atomic_exchange_n(q_, v_, __ATOMIC_SEQ_CST); break;\
    default: {                                                                \
      T e_ = (T)(cmp);                                                        \
      __atomic_compare_exchange_n(q_, &e_, v_, false, __ATOMIC_SEQ_CST,       \
                                  __ATOMIC_SEQ_CST);                          \
      old = e_;                                                               \
      break;                                                                  \
    }                                                                         \
    }                                                                         \
  } while (0)

static uint64_t atomic_rmw(void *p, size_t len, int op, uint64_t v,
                           uint64_t cmp) {
  uint64_t old;
  if (((uintptr_t)p & (len - 1)) == 0) {
    if (len == 4) {
      uint32_t o;
      ATOMIC_RMW(uint32_t, p, op, v, cmp, o);
      old = o;
    } else {
      ATOMIC_RMW(uint64_t, p, op, v, cmp, old);
    }
    return old;
  }
  /* Misaligned (the kernel would refuse it): do it plainly. */
  old = load(p, len);
  uint64_t mask = len == 4 ? UINT32_MAX : UINT64_MAX, nv;
  switch (op) {
  case BPF_ADD: nv = old + v; break;
  case BPF_OR: nv = old | v; break;
  case BPF_AND: nv = old & v; break;
  case BPF_XOR: nv = old ^ v; break;
  case BPF_XCHG: nv = v; break;
  default: nv = old == (cmp & mask) ? v : old; break;
  }
  store(p, len, nv & mask);
  return old;
}

static inline uint64_t bswap(uint64_t v, int32_t bits) {
  switch (bits) {
  case 16: return __builtin_bswap16((uint16_t)v);
  case 32: return __builtin_bswap32((uint32_t)v);
  default: return __builtin_bswap64(v);
  }
}

static inline uint64_t trunc_to(uint64_t v, int32_t bits) {
  return bits == 16 ? (uint16_t)v : bits == 32 ? (uint32_t)v : v;
}

/* One ALU or ALU64 instruction on r[]; false after reporting a fault. */
static bool alu(Interp *in, size_t pc, const struct bpf_insn *ip,
                uint64_t *r) {
  uint8_t code = ip->code;
  bool is64 = BPF_CLASS(code) == BPF_ALU64;
  unsigned dst = ip->dst_reg, src = ip->src_reg, op = BPF_OP(code);
  bool x = BPF_SRC(code) == BPF_X;
  int16_t off = ip->off;

  if (op > BPF_END) return fault(in, pc, "unknown opcode 0x%02x", code);
  if (dst >= NREGS) return fault(in, pc, "invalid register r%u", dst);
  if (dst == FP) return fault(in, pc, "write to read-only r10");

  if (op == BPF_END) {
    int32_t bits = ip->imm;
    if (src != 0 || off != 0 || (bits != 16 && bits != 32 && bits != 64) ||
        (is64 && x))
      return fault(in, pc, "invalid byte swap instruction 0x%02x imm %d",
                   code, bits);
    uint64_t d = r[dst];
    if (is64) {
      r[dst] = bswap(d, bits);
    } else {
      /* BPF_TO_LE is BPF_K, BPF_TO_BE is BPF_X. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      bool swap = x;
#else
      bool swap = !x;
#endif
      r[dst] = swap ? bswap(d, bits) : trunc_to(d, bits);
    }
    return true;
  }

  uint64_t s;
  if (op == BPF_NEG) {
    if (x || src != 0 || ip->imm != 0 || off != 0)
      return fault(in, pc, "invalid neg instruction 0x%02x", code);
    s = 0;
  } else if (x) {
    if (src >= NREGS) return fault(in, pc, "invalid register r%u", src);
    if (ip->imm != 0)
      return fault(in, pc, "reserved imm field set in instruction 0x%02x",
                   code);
    s = r[src];
  } else {
    if (src != 0)
      return fault(in, pc, "reserved src field set in instruction 0x%02x",
                   code);
    s = (uint64_t)(int64_t)ip->imm;
  }

  /* Which offsets each operation accepts: signed div/mod and movsx. */
  bool off_ok = off == 0;
  if (op == BPF_DIV || op == BPF_MOD)
    off_ok = off == 0 || off == 1;
  else if (op == BPF_MOV && x)
    off_ok = off == 0 || off == 8 || off == 16 || (is64 && off == 32);
  if (!off_ok)
    return fault(in, pc, "invalid offset %d in instruction 0x%02x", off, code);

  uint64_t d = r[dst];
  if (is64) {
    switch (op) {
    case BPF_ADD: d += s; break;
    case BPF_SUB: d -= s; break;
    case BPF_MUL: d *= s; break;
    case BPF_DIV:
      if (s == 0) d = 0;
      else if (off == 0) d /= s;
      else if ((int64_t)s == -1) d = 0 - d; /* LLONG_MIN / -1 = LLONG_MIN */
      else d = (uint64_t)((int64_t)d / (int64_t)s);
      break;
    case BPF_MOD:
      if (s == 0) break;
      if (off == 0) d %= s;
      else if ((int64_t)s == -1) d = 0;
      else d = (uint64_t)((int64_t)d % (int64_t)s);
      break;
    case BPF_OR: d |= s; break;
    case BPF_AND: d &= s; break;
    case BPF_XOR: d ^= s; break;
    case BPF_LSH: d <<= (s & 63); break;
    case BPF_RSH: d >>= (s & 63); break;
    case BPF_ARSH: d = (uint64_t)((int64_t)d >> (s & 63)); break;
    case BPF_NEG: d = 0 - d; break;
    case BPF_MOV: d = off ? sext(s, (size_t)off / 8) : s; break;
    default: return fault(in, pc, "unknown opcode 0x%02x", code);
    }
    r[dst] = d;
  } else {
    uint32_t a = (uint32_t)d, b = (uint32_t)s;
    switch (op) {
    case BPF_ADD: a += b; break;
    case BPF_SUB: a -= b; break;
    case BPF_MUL: a *= b; break;
    case BPF_DIV:
      if (b == 0) a = 0;
      else if (off == 0) a /= b;
      else if ((int32_t)b == -1) a = 0 - a; /* INT_MIN / -1 = INT_MIN */
      else a = (uint32_t)((int32_t)a / (int32_t)b);
      break;
    case BPF_MOD:
      if (b == 0) break;
      if (off == 0) a %= b;
      else if ((int32_t)b == -1) a = 0;
      else a = (uint32_t)((int32_t)a % (int32_t)b);
      break;
    case BPF_OR: a |= b; break;
    case BPF_AND: a &= b; break;
    case BPF_XOR: a ^= b; break;
    case BPF_LSH: a <<= (b & 31); break;
    case BPF_RSH: a >>= (b & 31); break;
    case BPF_ARSH: a = (uint32_t)((int32_t)a >> (b & 31)); break;
    case BPF_NEG: a = 0 - a; break;
    case BPF_MOV: a = off ? (uint32_t)sext(b, (size_t)off / 8) : b; break;
    default: return fault(in, pc, "unknown opcode 0x%02x", code);
    }
    r[dst] = a;
  }
  return true;
}

/* A conditional jump's condition: 1 taken, 0 not, -1 unknown op. */
static inline int condition(unsigned op, uint64_t a, uint64_t b, bool is32) {
  if (is32) {
    a = (uint32_t)a;
    b = (uint32_t)b;
  }
  int64_t sa = is32 ? (int32_t)a : (int64_t)a;
  int64_t sb = is32 ? (int32_t)b : (int64_t)b;
  switch (op) {
  case BPF_JEQ: return a == b;
  case BPF_JNE: return a != b;
  case BPF_JGT: return a > b;
  case BPF_JGE: return a >= b;
  case BPF_JLT: return a < b;
  case BPF_JLE: return a <= b;
  case BPF_JSET: return (a & b) != 0;
  case BPF_JSGT: return sa > sb;
  case BPF_JSGE: return sa >= sb;
  case BPF_JSLT: return sa < sb;
  case BPF_JSLE: return sa <= sb;
  default: return -1;
  }
}

/* Check a jump or call from pc to pc + 1 + delta; the target in *to. */
static inline bool target(Interp *in, const struct bpf_insn *insns, size_t n,
                          size_t pc, int64_t delta, size_t *to) {
  int64_t t = (int64_t)pc + 1 + delta;
  *to = pc; /* unused on failure; keeps the compiler's flow analysis quiet */
  if (t < 0 || (uint64_t)t >= n)
    return fault(in, pc, "jump out of range to %lld",
                 (long long)t);
  if (t > 0 && insns[t - 1].code == LDDW)
    return fault(in, pc, "jump into the middle of ld_imm64 at %lld",
                 (long long)t);
  *to = (size_t)t;
  return true;
}

static bool execute(Interp *in, const struct bpf_insn *insns, size_t n,
                    uint64_t arg, uint64_t budget, uint64_t *ret) {
  uint64_t r[NREGS] = {0};
  Frame *frames = in->frames;
  size_t depth = 0, pc = 0;

  r[1] = arg;
  r[FP] = enter_frame(in, 0);
  if (n == 0) return fault(in, 0, "empty program");

  for (;;) {
    if (pc >= n)
      return fault(in, n - 1, "execution falls off the end of the program");
    if (budget == 0) {
      in->out_of_budget = true;
      return fault(in, pc, "instruction budget exhausted");
    }
    budget--;
    if ((budget & (INTERP_POLL - 1)) == 0 && in->env.interrupted &&
        in->env.interrupted(in->env.user)) {
      in->stopped = true;
      return fault(in, pc, "interrupted");
    }

    const struct bpf_insn *ip = &insns[pc];
    uint8_t code = ip->code;
    unsigned dst = ip->dst_reg, src = ip->src_reg;

    switch (BPF_CLASS(code)) {
    case BPF_ALU:
    case BPF_ALU64:
      if (!alu(in, pc, ip, r)) return false;
      pc++;
      break;

    case BPF_LDX: {
      unsigned mode = BPF_MODE(code);
      size_t len = size_bytes[BPF_SIZE(code) >> 3];
      if ((mode != BPF_MEM && mode != BPF_MEMSX) ||
          (mode == BPF_MEMSX && len == 8))
        return fault(in, pc, "unknown opcode 0x%02x", code);
      if (dst >= NREGS || src >= NREGS)
        return fault(in, pc, "invalid register r%u",
                     dst >= NREGS ? dst : src);
      if (dst == FP) return fault(in, pc, "write to read-only r10");
      if (ip->imm != 0)
        return fault(in, pc, "reserved imm field set in instruction 0x%02x",
                     code);
      void *p = mem(in, pc, r[src] + (uint64_t)(int64_t)ip->off, len, false);
      if (!p) return false;
      uint64_t v = load(p, len);
      r[dst] = mode == BPF_MEMSX ? sext(v, len) : v;
      pc++;
      break;
    }

    case BPF_ST: {
      size_t len = size_bytes[BPF_SIZE(code) >> 3];
      if (BPF_MODE(code) != BPF_MEM)
        return fault(in, pc, "unknown opcode 0x%02x", code);
      if (dst >= NREGS) return fault(in, pc, "invalid register r%u", dst);
      if (src != 0)
        return fault(in, pc, "reserved src field set in instruction 0x%02x",
                     code);
      void *p = mem(in, pc, r[dst] + (uint64_t)(int64_t)ip->off, len, true);
      if (!p) return false;
      store(p, len, (uint64_t)(int64_t)ip->imm);
      pc++;
      break;
    }

    case BPF_STX: {
      unsigned mode = BPF_MODE(code);
      size_t len = size_bytes[BPF_SIZE(code) >> 3];
      if (mode != BPF_MEM && !(mode == BPF_ATOMIC && (len == 4 || len == 8)))
        return fault(in, pc, "unknown opcode 0x%02x", code);
      if (dst >= NREGS || src >= NREGS)
        return fault(in, pc, "invalid register r%u",
                     dst >= NREGS ? dst : src);
      uint64_t a = r[dst] + (uint64_t)(int64_t)ip->off;
      if (mode == BPF_MEM) {
        if (ip->imm != 0)
          return fault(in, pc,
                       "reserved imm field set in instruction 0x%02x", code);
        void *p = mem(in, pc, a, len, true);
        if (!p) return false;
        store(p, len, r[src]);
        pc++;
        break;
      }
      int32_t aop = ip->imm;
      int base = aop & ~BPF_FETCH;
      bool fetch = (aop & BPF_FETCH) != 0;
      bool known;
      switch (aop) {
      case BPF_ADD: case BPF_ADD | BPF_FETCH:
      case BPF_OR: case BPF_OR | BPF_FETCH:
      case BPF_AND: case BPF_AND | BPF_FETCH:
      case BPF_XOR: case BPF_XOR | BPF_FETCH:
      case BPF_XCHG: case BPF_CMPXCHG: known = true; break;
      default: known = false; break;
      }
      if (!known)
        return fault(in, pc, "unknown atomic operation 0x%x", (unsigned)aop);
      if (fetch && aop != BPF_CMPXCHG && src == FP)
        return fault(in, pc, "write to read-only r10");
      void *p = mem(in, pc, a, len, true);
      if (!p) return false;
      int op = aop == BPF_XCHG || aop == BPF_CMPXCHG ? aop : base;
      uint64_t old = atomic_rmw(p, len, op, r[src], r[0]);
      if (aop == BPF_CMPXCHG)
        r[0] = old;
      else if (fetch)
        r[src] = old;
      pc++;
      break;
    }

    case BPF_LD: {
      if (code != LDDW) return fault(in, pc, "unknown opcode 0x%02x", code);
      if (dst >= NREGS) return fault(in, pc, "invalid register r%u", dst);
      if (dst == FP) return fault(in, pc, "write to read-only r10");
      if (pc + 1 >= n)
        return fault(in, pc, "ld_imm64 truncated by the end of the program");
      const struct bpf_insn *hi = ip + 1;
      if (ip->off != 0 || hi->code != 0 || hi->dst_reg != 0 ||
          hi->src_reg != 0 || hi->off != 0)
        return fault(in, pc, "malformed ld_imm64");
      uint64_t v;
      if (src == 0) {
        v = (uint64_t)(uint32_t)ip->imm | (uint64_t)(uint32_t)hi->imm << 32;
      } else if (src == BPF_PSEUDO_MAP_IDX) {
        if (hi->imm != 0)
          return fault(in, pc, "malformed map ld_imm64 (second imm %d)",
                       hi->imm);
        if (!in->env.map)
          return fault(in, pc, "map reference %u without a map resolver",
                       (unsigned)ip->imm);
        in->failed = false;
        v = 0;
        if (!in->env.map(in, in->env.user, (uint32_t)ip->imm, &v) ||
            in->failed) {
          if (!in->failed)
            return fault(in, pc, "invalid map reference %u",
                         (unsigned)ip->imm);
          in->err_insn = pc;
          return false;
        }
      } else {
        return fault(in, pc, "unsupported ld_imm64 source %u", src);
      }
      r[dst] = v;
      pc += 2;
      break;
    }

    case BPF_JMP:
    case BPF_JMP32: {
      bool is32 = BPF_CLASS(code) == BPF_JMP32;
      unsigned op = BPF_OP(code);
      bool x = BPF_SRC(code) == BPF_X;
      if (op > BPF_JSLE) return fault(in, pc, "unknown opcode 0x%02x", code);
      if (op == BPF_JA) {
        if (x || dst != 0 || src != 0 || (is32 ? ip->off : ip->imm) != 0)
          return fault(in, pc, "invalid jump instruction 0x%02x", code);
        if (!target(in, insns, n, pc, is32 ? ip->imm : ip->off, &pc))
          return false;
        break;
      }
      if (op == BPF_CALL || op == BPF_EXIT) {
        if (is32 || x) return fault(in, pc, "unknown opcode 0x%02x", code);
        if (dst != 0 || ip->off != 0 ||
            (op == BPF_EXIT && (src != 0 || ip->imm != 0)))
          return fault(in, pc, "reserved fields set in instruction 0x%02x",
                       code);
        if (op == BPF_EXIT) {
          if (depth == 0) {
            *ret = r[0];
            return true;
          }
          depth--;
          memcpy(&r[6], frames[depth].saved, sizeof frames[depth].saved);
          pc = frames[depth].ret_pc;
          leave_frame(in, depth);
          break;
        }
        if (src == BPF_PSEUDO_CALL) {
          size_t to;
          if (!target(in, insns, n, pc, ip->imm, &to)) return false;
          if (depth + 1 >= in->max_frames)
            return fault(in, pc, "calls nested too deeply (over %zu frames)",
                         in->max_frames);
          memcpy(frames[depth].saved, &r[6], sizeof frames[depth].saved);
          frames[depth].ret_pc = pc + 1;
          depth++;
          r[FP] = enter_frame(in, depth);
          pc = to;
          break;
        }
        if (src != 0)
          return fault(in, pc, "unsupported call kind %u", src);
        if (!in->env.helper)
          return fault(in, pc, "call to helper %d without helpers", ip->imm);
        uint64_t v = 0;
        in->failed = false;
        if (!in->env.helper(in, in->env.user, ip->imm, &r[1], &v) ||
            in->failed) {
          if (!in->failed)
            return fault(in, pc, "helper %d failed", ip->imm);
          in->err_insn = pc;
          return false;
        }
        r[0] = v;
        for (int i = 1; i <= 5; i++) r[i] = CLOBBER;
        pc++;
        break;
      }
      if (dst >= NREGS) return fault(in, pc, "invalid register r%u", dst);
      uint64_t b;
      if (x) {
        if (src >= NREGS) return fault(in, pc, "invalid register r%u", src);
        if (ip->imm != 0)
          return fault(in, pc,
                       "reserved imm field set in instruction 0x%02x", code);
        b = r[src];
      } else {
        if (src != 0)
          return fault(in, pc,
                       "reserved src field set in instruction 0x%02x", code);
        b = (uint64_t)(int64_t)ip->imm;
      }
      int c = condition(op, r[dst], b, is32);
      if (c < 0) return fault(in, pc, "unknown opcode 0x%02x", code);
      if (c) {
        if (!target(in, insns, n, pc, ip->off, &pc)) return false;
      } else {
        pc++;
      }
      break;
    }

    default: /* not reached: the class has three bits, all handled */
      return fault(in, pc, "unknown opcode 0x%02x", code);
    }
  }
}

bool interp_run(Interp *in, const struct bpf_insn *insns, size_t n,
                uint64_t arg, uint64_t budget, uint64_t *ret) {
  if (in->running) {
    /* A helper re-entered the same Interp: refuse without touching the
     * outer run's state. */
    return false;
  }
  in->running = true;
  in->failed = false;
  in->out_of_budget = false;
  in->stopped = false;
  in->err[0] = '\0';
  in->err_insn = 0;
  uint64_t r0 = 0;
  bool ok = insns || n == 0 ? execute(in, insns, n, arg, budget, &r0)
                            : fault(in, 0, "no program");
  if (ok && ret) *ret = r0;
  in->nregions = 0;
  in->last_hit = 0;
  in->stack_lo = 0;
  in->stack_span = 0;
  in->running = false;
  return ok;
}
