/* stack: pass 3's stack and symbol builtins (tapset/backtrace.stp,
 * tapset/symbols.stp).
 *
 * A kernel program takes a stack with bpf_get_stack: at most MAXBACKTRACE
 * return addresses, innermost first, of the kernel stack or (with
 * BPF_F_USER_STACK) of the current task's user stack.  Every kind of
 * kernel program this backend makes may call it (kprobes and uprobes,
 * tracepoints, raw tracepoints, perf events, fentry/fexit and tp_btf); a
 * user program (begin, end, error, timers, run by staprun) has no stack,
 * as stap's begin and end probes have none: callers() is "" there and
 * print_backtrace() prints nothing.
 *
 *   callers(n), ucallers(n): the first n frames (n < 0: all) as
 *     hexadecimal addresses "0x..." separated by spaces, cut at
 *     MAXSTRINGLEN; a bpf_loop body (loop.c) writes each address;
 *   print_backtrace(), print_ubacktrace(): the frames in a BO_REC_STACK
 *     record, which staprun symbolizes and prints (src/run/symbols.c);
 *   print_syms(list), print_usyms(list): the address list in a
 *     BO_REC_SYMS record, printed the same way, from any program;
 *   symname, symdata, modname and the user forms: staprun's BO_H_SYMBOL
 *     in a user program; a kernel program has no symbol table, so there
 *     they are a pass-3 error that says what to do instead;
 *   addr(), uaddr(), caller_addr(): the probe's instruction pointer,
 *     the task's user one, the address the probed function returns to.
 *
 * In a kernel.function probe the kernel's stack starts where the program
 * was called from: a kprobe's registers stand one byte into the function
 * (after the breakpoint), and an fentry/fexit program's stack holds the
 * program, its trampoline, then the function's own frame.  stap's first
 * frame is the function at offset 0, so the frames above the one inside
 * the function (within 16 bytes of bpf_get_func_ip's address) are left
 * out and that one becomes the function's address; in a .return probe it
 * is left out too, so that the stack starts in the caller, as a
 * kretprobe's does. */
#include <stddef.h>
#include <string.h>

#include "bpf/gen.h"
#include "front/ast.h"
#include "target/arch.h"

#define E (g->e)

/* The most frames MAXBACKTRACE may ask for. */
enum { MAX_BACKTRACE = 1024 };
/* How many of a kernel.function probe's first frames may be the BPF
 * machinery's (program, trampoline) before the function's own. */
enum { MACHINERY_FRAMES = 8 };
/* A frame this close past the function's address is the function's own
 * (its fentry call's return address, a kprobe's breakpoint). */
enum { ENTRY_WINDOW = 16 };

static Expr *arg_of(Expr *x, size_t i) { return x->args.items[i]; }
static int16_t o16(uint32_t off) { return (int16_t)off; }

/* MAXBACKTRACE, checked once per use. */
static bool depth_ok(Gen *g, Expr *x) {
  if (g->maxbacktrace <= MAX_BACKTRACE) return true;
  gen_error(g, x->loc, "MAXBACKTRACE=%u is more than the %d frames a stack may have on the bpf "
            "runtime", g->maxbacktrace, MAX_BACKTRACE);
  return false;
}

/* Does this program have a stack to take?  User programs and the
 * begin/end/error probes run through staprun's hook have none; every
 * other program is a kernel one whose type bpf_get_stack serves. */
static bool has_stack(Gen *g, Expr *x) {
  if (g->user || g->hook) return false;
  switch (g->probe->family) {
  case PF_KFUNC: case PF_KSTATEMENT: case PF_UFUNC: case PF_PROFILE: case PF_PERF:
  case PF_TRACEPOINT: case PF_SYSCALL: case PF_PROCESS_BEGIN: case PF_PROCESS_END:
    return true;
  default:
    gen_error(g, x->loc, "%s() cannot take a stack in probe %s on the bpf runtime", x->name,
              g->probe->point);
    return false;
  }
}

/* In a kernel.function probe's kernel stack at scratch buf (count u64
 * frames at scratch `count`), leave out the frames above the function's
 * own: set the u64 at scratch `first` to the first frame to show. */
static void skip_machinery(Gen *g, uint32_t buf, uint32_t first, uint32_t count) {
  uint32_t done = emit_label(E), found[MACHINERY_FRAMES];
  uint32_t n = g->maxbacktrace < MACHINERY_FRAMES ? g->maxbacktrace : MACHINERY_FRAMES;
  emit_mov(E, R1, R_CTX);
  emit_call(E, BPF_FUNC_get_func_ip);
  emit_mov(E, R4, R0);
  emit_jmp(E, BPF_JEQ, R4, 0, 0, false, done);
  emit_ldx(E, BPF_DW, R3, R_SCR, o16(count));
  for (uint32_t k = 0; k < n; k++) {
    found[k] = emit_label(E);
    emit_jmp(E, BPF_JLE, R3, 0, (int32_t)k, false, done);
    emit_ldx(E, BPF_DW, R2, R_SCR, o16(buf + 8 * k));
    emit_alu(E, BPF_SUB, R2, R4);
    emit_jmp(E, BPF_JLT, R2, 0, ENTRY_WINDOW, false, found[k]);
  }
  emit_ja(E, done);
  for (uint32_t k = 0; k < n; k++) {
    emit_bind(E, found[k]);
    if (g->probe->is_return) {
      emit_st(E, BPF_DW, R_SCR, o16(first), (int32_t)k + 1);
    } else {
      emit_stx(E, BPF_DW, R_SCR, o16(buf + 8 * k), R4);
      emit_st(E, BPF_DW, R_SCR, o16(first), (int32_t)k);
    }
    emit_ja(E, done);
  }
  emit_bind(E, done);
}

/* The stack (user: the task's user stack) into scratch at buf
 * (8 * MAXBACKTRACE bytes): the count of frames as a u64 at scratch
 * `count`, the first one to show at `first`. */
static void take_stack(Gen *g, bool user, uint32_t buf, uint32_t first, uint32_t count) {
  emit_st(E, BPF_DW, R_SCR, o16(first), 0);
  emit_st(E, BPF_DW, R_SCR, o16(count), 0);
  if (!g->maxbacktrace) return;
  uint32_t ok = emit_label(E);
  emit_mov(E, R1, R_CTX);
  emit_mov(E, R2, R_SCR);
  emit_alu_imm(E, BPF_ADD, R2, (int32_t)buf);
  emit_mov_imm(E, R3, 8 * (int64_t)g->maxbacktrace);
  emit_mov_imm(E, R4, user ? BPF_F_USER_STACK : 0);
  emit_call(E, BPF_FUNC_get_stack);
  emit_jmp(E, BPF_JSLE, R0, 0, 0, false, ok); /* an error: no frames */
  emit_alu_imm(E, BPF_RSH, R0, 3);
  emit_stx(E, BPF_DW, R_SCR, o16(count), R0);
  if (!user && g->probe->family == PF_KFUNC) skip_machinery(g, buf, first, count);
  emit_bind(E, ok);
}

/* ---- callers(n), ucallers(n) ---- */

/* Scratch slots of one address list being written. */
typedef struct Frames {
  uint32_t buf;   /* the frames (8 * MAXBACKTRACE bytes) */
  uint32_t first; /* u64: the first frame to write */
  uint32_t end;   /* u64: one past the last */
  uint32_t pos;   /* u64: bytes written so far */
  uint32_t hex;   /* 16 bytes: an address's digits, right-aligned */
  uint32_t out;   /* the list: maxstringlen + 24 bytes */
} Frames;

/* One frame (r5: the iteration) of the list, as " 0x..." ("0x..." for
 * the first): its 16 hexadecimal digits, then as many of them as the
 * address has (at least one), copied after "0x".  The digits and their
 * count are computed without branches, so the verifier sees one path. */
static void frame_body(Gen *g, void *arg, uint32_t next, uint32_t stop) {
  Frames *f = arg;
  (void)next;
  emit_ldx(E, BPF_DW, R1, R_SCR, o16(f->first));
  emit_alu(E, BPF_ADD, R1, R5);
  emit_ldx(E, BPF_DW, R2, R_SCR, o16(f->end));
  emit_jmp(E, BPF_JGE, R1, R2, 0, true, stop);
  emit_jmp(E, BPF_JGE, R1, 0, (int32_t)g->maxbacktrace, false, stop);
  emit_alu_imm(E, BPF_LSH, R1, 3);
  emit_mov(E, R2, R_SCR);
  emit_alu_imm(E, BPF_ADD, R2, (int32_t)f->buf);
  emit_alu(E, BPF_ADD, R2, R1);
  emit_ldx(E, BPF_DW, R3, R2, 0);
  /* digit k (from the most significant): '0' + d, plus 39 past '9' */
  for (int k = 0; k < 16; k++) {
    emit_mov(E, R4, R3);
    if (k < 15) emit_alu_imm(E, BPF_RSH, R4, 60 - 4 * k);
    emit_alu_imm(E, BPF_AND, R4, 15);
    emit_mov_imm(E, R0, 9);
    emit_alu(E, BPF_SUB, R0, R4);
    emit_alu_imm(E, BPF_RSH, R0, 63);
    emit_alu_imm(E, BPF_MUL, R0, 39);
    emit_alu(E, BPF_ADD, R0, R4);
    emit_alu_imm(E, BPF_ADD, R0, '0');
    emit_stx(E, BPF_B, R_SCR, o16(f->hex + (uint32_t)k), R0);
  }
  /* r4 = the digits that count: 1 + one for each nonzero v >> 4k */
  emit_mov_imm(E, R4, 1);
  for (int k = 1; k < 16; k++) {
    emit_mov(E, R0, R3);
    emit_alu_imm(E, BPF_RSH, R0, 4 * k);
    emit_mov_imm(E, R1, 0);
    emit_alu(E, BPF_SUB, R1, R0);
    emit_alu(E, BPF_OR, R1, R0);
    emit_alu_imm(E, BPF_RSH, R1, 63);
    emit_alu(E, BPF_ADD, R4, R1);
  }
  /* where it goes: a full list ends the loop */
  uint32_t no_space = emit_label(E);
  emit_ldx(E, BPF_DW, R1, R_SCR, o16(f->pos));
  emit_jmp(E, BPF_JGE, R1, 0, (int32_t)g->S - 1, false, stop);
  emit_mov(E, R2, R_SCR);
  emit_alu_imm(E, BPF_ADD, R2, (int32_t)f->out);
  emit_alu(E, BPF_ADD, R2, R1);
  emit_jmp(E, BPF_JEQ, R5, 0, 0, false, no_space);
  emit_st(E, BPF_B, R2, 0, ' ');
  emit_alu_imm(E, BPF_ADD, R2, 1);
  emit_alu_imm(E, BPF_ADD, R1, 1);
  emit_bind(E, no_space);
  emit_st(E, BPF_H, R2, 0, '0' | 'x' << 8);
  emit_alu_imm(E, BPF_ADD, R1, 2);
  emit_alu(E, BPF_ADD, R1, R4);
  emit_stx(E, BPF_DW, R_SCR, o16(f->pos), R1);
  /* the digits: the last r4 of the 16 */
  emit_mov(E, R1, R2);
  emit_alu_imm(E, BPF_ADD, R1, 2);
  emit_mov_imm(E, R0, 16);
  emit_alu(E, BPF_SUB, R0, R4);
  emit_mov(E, R3, R_SCR);
  emit_alu_imm(E, BPF_ADD, R3, (int32_t)f->hex);
  emit_alu(E, BPF_ADD, R3, R0);
  emit_mov(E, R2, R4);
  emit_call(E, BPF_FUNC_probe_read_kernel);
}

/* callers(n) / ucallers(n) into dst. */
static void gen_callers(Gen *g, Expr *x, bool user, Loc dst) {
  if (!has_stack(g, x) || !depth_ok(g, x) || !g->maxbacktrace) {
    if (!g->failed) put_literal(g, dst, "", 0);
    return;
  }
  uint32_t mark = g->top, n = gen_tmp(g, 8);
  gen_long(g, arg_of(x, 0));
  emit_stx(E, BPF_DW, R_SCR, o16(n), R0);
  Frames f = {.buf = gen_tmp(g, 8 * g->maxbacktrace), .first = gen_tmp(g, 8),
              .end = gen_tmp(g, 8), .pos = gen_tmp(g, 8), .hex = gen_tmp(g, 16),
              .out = gen_tmp(g, g->S + 24)};
  take_stack(g, user, f.buf, f.first, f.end);
  /* end = min(count, first + n) for n >= 0 */
  uint32_t all = emit_label(E);
  emit_ldx(E, BPF_DW, R1, R_SCR, o16(n));
  emit_jmp(E, BPF_JSLT, R1, 0, 0, false, all);
  emit_ldx(E, BPF_DW, R2, R_SCR, o16(f.first));
  emit_alu(E, BPF_ADD, R1, R2);
  emit_ldx(E, BPF_DW, R2, R_SCR, o16(f.end));
  emit_jmp(E, BPF_JGE, R1, R2, 0, true, all);
  emit_stx(E, BPF_DW, R_SCR, o16(f.end), R1);
  emit_bind(E, all);
  emit_st(E, BPF_DW, R_SCR, o16(f.pos), 0);
  gen_bpf_loop(g, g->maxbacktrace, frame_body, &f);
  /* the NUL, where the list ends or at maxstringlen - 1 */
  gen_string_end(g, f.pos, f.out, dst);
  g->top = mark;
}

/* ---- records for staprun ---- */

/* r0 = the current task's tgid, or 0 where there is none to name (a
 * user program, whose "task" is staprun). */
static void current_tgid(Gen *g) {
  if (g->user || g->hook) {
    emit_mov_imm(E, R0, 0);
    return;
  }
  emit_call(E, BPF_FUNC_get_current_pid_tgid);
  emit_alu_imm(E, BPF_RSH, R0, 32);
}

/* print_backtrace() / print_ubacktrace(): a BO_REC_STACK record. */
static void gen_print_backtrace(Gen *g, Expr *x, bool user) {
  if (!has_stack(g, x) || !depth_ok(g, x)) return;
  uint32_t mark = g->top, size = 8 + (uint32_t)sizeof(BoStack) + 8 * g->maxbacktrace;
  uint32_t rec = gen_tmp(g, size), first = gen_tmp(g, 8), count = gen_tmp(g, 8);
  uint32_t frames = rec + 8 + (uint32_t)sizeof(BoStack);
  emit_st(E, BPF_W, R_SCR, o16(rec), BO_REC_STACK);
  emit_st(E, BPF_W, R_SCR, o16(rec + 4), user ? BO_STACK_USER : BO_STACK_KERNEL);
  current_tgid(g);
  emit_stx(E, BPF_W, R_SCR, o16(rec + 8 + offsetof(BoStack, tgid)), R0);
  take_stack(g, user, frames, first, count);
  emit_ldx(E, BPF_DW, R1, R_SCR, o16(first));
  emit_stx(E, BPF_H, R_SCR, o16(rec + 8 + offsetof(BoStack, first)), R1);
  emit_ldx(E, BPF_DW, R1, R_SCR, o16(count));
  emit_stx(E, BPF_H, R_SCR, o16(rec + 8 + offsetof(BoStack, count)), R1);
  gen_send_record(g, rec, size);
  g->top = mark;
}

/* print_syms(list) / print_usyms(list): a BO_REC_SYMS record, from any
 * program (a user program's goes straight to staprun). */
static void gen_print_syms(Gen *g, Expr *x, bool user) {
  uint32_t mark = g->top, size = 16 + g->S, rec = gen_tmp(g, size);
  str_into(g, arg_of(x, 0), scr(rec + 16));
  emit_st(E, BPF_W, R_SCR, o16(rec), BO_REC_SYMS);
  emit_st(E, BPF_W, R_SCR, o16(rec + 4), user ? BO_STACK_USER : BO_STACK_KERNEL);
  current_tgid(g);
  emit_stx(E, BPF_W, R_SCR, o16(rec + 8), R0);
  emit_st(E, BPF_W, R_SCR, o16(rec + 12), 0);
  gen_send_record(g, rec, size);
  g->top = mark;
}

/* ---- symbols ---- */

/* What BO_H_SYMBOL writes for builtin n, or -1 if n is none of them. */
static int symbol_kind(const char *n) {
  static const struct { const char *name; int what; } fns[] = {
      {"symname", BO_SYM_NAME},
      {"symdata", BO_SYM_DATA},
      {"modname", BO_SYM_MODULE},
      {"usymname", BO_SYM_NAME | BO_SYM_USER},
      {"usymdata", BO_SYM_DATA | BO_SYM_USER},
      {"umodname", BO_SYM_MODULE | BO_SYM_USER},
  };
  for (size_t i = 0; i < sizeof fns / sizeof *fns; i++)
    if (!strcmp(n, fns[i].name)) return fns[i].what;
  return -1;
}

/* symname(addr) and the rest into dst: staprun's BO_H_SYMBOL. */
static void gen_symbol(Gen *g, Expr *x, int what, Loc dst) {
  if (!g->user) {
    gen_error(g, x->loc, "%s() cannot run in probe %s on the bpf runtime: a kernel-context "
              "probe has no symbol tables; keep the address (in a global, or a stack from "
              "backtrace()) and name it in an end or timer probe, or print stacks with "
              "print_stack(), print_syms() or print_backtrace()", x->name, g->probe->point);
    return;
  }
  gen_long(g, arg_of(x, 0));
  emit_mov(E, R2, R0);
  emit_mov_imm(E, R1, what);
  ptr_of(g, R3, dst);
  emit_call(E, BO_H_SYMBOL);
  if (what & BO_SYM_MODULE)
    check_error(g, BPF_JEQ, R0, 0, what & BO_SYM_USER ? BO_ERR_UMODNAME : BO_ERR_MODNAME,
                gen_site(g, x->loc, arena_printf(g->arena, "identifier '%s'", x->name)));
}

/* ---- addresses ---- */

/* addr(): the probe's instruction pointer. */
static void gen_addr(Gen *g) {
  ProbeFamily f = g->probe->family;
  int ip = arch_ip_offset(g->target->kernel ? g->target->kernel->arch : NULL);
  if (g->user || g->hook) {
    emit_mov_imm(E, R0, 0);
  } else if (f == PF_KFUNC || f == PF_KSTATEMENT) {
    emit_mov(E, R1, R_CTX);
    emit_call(E, BPF_FUNC_get_func_ip);
  } else if ((f == PF_UFUNC || f == PF_PROFILE || f == PF_PERF) && ip >= 0) {
    /* a uprobe's context is its struct pt_regs; a perf event's starts
     * with one (struct bpf_perf_event_data) */
    emit_ldx(E, BPF_DW, R0, R_CTX, (int16_t)ip);
  } else {
    emit_mov_imm(E, R0, 0);
  }
}

/* caller_addr(): the address the probed function returns to.  In a
 * kernel.function probe, the frame after the function's own (a .return
 * probe's first); at a uprobe on a function's entry, the return address
 * its stack pointer points to; at its return, the registers' ip; 0
 * elsewhere. */
static void gen_caller_addr(Gen *g) {
  ProbeFamily f = g->probe->family;
  const char *arch = g->target->kernel ? g->target->kernel->arch : NULL;
  int ip = arch_ip_offset(arch), sp = arch_sp_offset(arch);
  uint32_t mark = g->top, done = emit_label(E);
  if (g->user || g->hook) {
    emit_mov_imm(E, R0, 0);
  } else if (f == PF_KFUNC && g->maxbacktrace >= 2) {
    uint32_t buf = gen_tmp(g, 8 * g->maxbacktrace), first = gen_tmp(g, 8),
             count = gen_tmp(g, 8), none = emit_label(E);
    take_stack(g, false, buf, first, count);
    emit_ldx(E, BPF_DW, R1, R_SCR, o16(first));
    if (!g->probe->is_return) emit_alu_imm(E, BPF_ADD, R1, 1);
    emit_ldx(E, BPF_DW, R2, R_SCR, o16(count));
    emit_jmp(E, BPF_JGE, R1, R2, 0, true, none);
    emit_jmp(E, BPF_JGE, R1, 0, (int32_t)g->maxbacktrace, false, none);
    emit_alu_imm(E, BPF_LSH, R1, 3);
    emit_mov(E, R2, R_SCR);
    emit_alu_imm(E, BPF_ADD, R2, (int32_t)buf);
    emit_alu(E, BPF_ADD, R2, R1);
    emit_ldx(E, BPF_DW, R0, R2, 0);
    emit_ja(E, done);
    emit_bind(E, none);
    emit_mov_imm(E, R0, 0);
  } else if (f == PF_UFUNC && g->probe->is_return && ip >= 0) {
    emit_ldx(E, BPF_DW, R0, R_CTX, (int16_t)ip);
  } else if (f == PF_UFUNC && sp >= 0) {
    uint32_t t = gen_tmp(g, 8);
    emit_mov(E, R1, R_SCR);
    emit_alu_imm(E, BPF_ADD, R1, (int32_t)t);
    emit_mov_imm(E, R2, 8);
    emit_ldx(E, BPF_DW, R3, R_CTX, (int16_t)sp);
    emit_call(E, BPF_FUNC_probe_read_user);
    emit_ldx(E, BPF_DW, R1, R_SCR, o16(t));
    emit_mov(E, R2, R0);
    emit_mov_imm(E, R0, 0);
    emit_jmp(E, BPF_JNE, R2, 0, 0, false, done);
    emit_mov(E, R0, R1);
  } else {
    emit_mov_imm(E, R0, 0);
  }
  emit_bind(E, done);
  g->top = mark;
}

/* uaddr(): where the task's user code was: its user stack's first frame. */
static void gen_uaddr(Gen *g) {
  if (g->user || g->hook) {
    emit_mov_imm(E, R0, 0);
    return;
  }
  uint32_t mark = g->top, t = gen_tmp(g, 8), ok = emit_label(E);
  emit_mov(E, R1, R_CTX);
  emit_mov(E, R2, R_SCR);
  emit_alu_imm(E, BPF_ADD, R2, (int32_t)t);
  emit_mov_imm(E, R3, 8);
  emit_mov_imm(E, R4, BPF_F_USER_STACK);
  emit_call(E, BPF_FUNC_get_stack);
  emit_ldx(E, BPF_DW, R1, R_SCR, o16(t));
  emit_jmp(E, BPF_JEQ, R0, 0, 8, false, ok);
  emit_mov_imm(E, R1, 0);
  emit_bind(E, ok);
  emit_mov(E, R0, R1);
  g->top = mark;
}

bool gen_stack_long(Gen *g, Expr *x, const char *n) {
  if (!strcmp(n, "print_backtrace") || !strcmp(n, "print_ubacktrace")) {
    gen_print_backtrace(g, x, n[6] == 'u');
  } else if (!strcmp(n, "print_syms") || !strcmp(n, "print_usyms")) {
    gen_print_syms(g, x, n[6] == 'u');
  } else if (!strcmp(n, "addr")) {
    gen_addr(g);
    return true;
  } else if (!strcmp(n, "uaddr")) {
    gen_uaddr(g);
    return true;
  } else if (!strcmp(n, "caller_addr")) {
    gen_caller_addr(g);
    return true;
  } else {
    return false;
  }
  emit_mov_imm(E, R0, 0);
  return true;
}

bool gen_stack_str(Gen *g, Expr *x, const char *n, Loc dst) {
  int what = symbol_kind(n);
  if (what >= 0) {
    gen_symbol(g, x, what, dst);
  } else if (!strcmp(n, "callers") || !strcmp(n, "ucallers")) {
    gen_callers(g, x, n[0] == 'u', dst);
  } else {
    return false;
  }
  return true;
}
