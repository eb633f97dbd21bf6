/* call: pass 3's function calls.  Script functions are inlined (their
 * parameters and locals get scratch slots at each call), recursive ones
 * in user programs are subprograms with frames in scratch; the print family
 * sends records that staprun renders; builtins map to BPF helpers or to
 * the control block; sprintf and friends in user programs call staprun's
 * renderer. */
#include <stddef.h>
#include <string.h>

#include "bpf/gen.h"
#include "front/ast.h"
#include "runtime/common/format.h"
#include "target/arch.h"

#define E (g->e)

static Expr *arg(Expr *x, size_t i) { return x->args.items[i]; }

/* ---- Records ---- */

/* Bytes a format's arguments take in a record (see fill_args), or 0. */
static uint32_t args_size(Gen *g, const char *fmt, size_t len) {
  FmtDirective d[64];
  size_t bad;
  int nd = fmt_parse(fmt, len, d, 64, &bad);
  if (nd < 0 || nd > 64) return 0;
  uint32_t size = 0;
  for (int i = 0; i < nd; i++) {
    if (d[i].conv == FMT_LITERAL) continue;
    int n = fmt_args(&d[i]);
    size += 8 * (uint32_t)(n - 1);
    bool wide = d[i].conv == FMT_STRING || d[i].conv == FMT_MEMORY ||
                d[i].conv == FMT_MEMORY_HEX;
    size += wide ? g->S : 8;
  }
  return size;
}

/* Lay out a format's arguments after a record header at scratch `rec`
 * (reserved by the caller: args_size bytes); returns the record's size.  Each directive's arguments: '*' widths and
 * numbers take 8 bytes, strings (and %m memory) maxstringlen. */
static uint32_t fill_args(Gen *g, const char *fn, const char *fmt, size_t len, Expr **args,
                          size_t nargs, uint32_t rec, SrcLoc loc) {
  FmtDirective d[64];
  size_t bad;
  int nd = fmt_parse(fmt, len, d, 64, &bad);
  if (nd < 0 || nd > 64) {
    gen_error(g, loc, "invalid format");
    return 0;
  }
  uint32_t off = rec;
  size_t ai = 0;
  for (int i = 0; i < nd; i++) {
    if (d[i].conv == FMT_LITERAL) continue;
    int n = fmt_args(&d[i]);
    for (int k = 0; k < n; k++) {
      if (ai >= nargs) {
        gen_error(g, loc, "too few arguments for the format");
        return 0;
      }
      Expr *a = args[ai++];
      bool last = k == n - 1;
      uint32_t mark = g->top;
      if (last && d[i].conv == FMT_STRING) {
        if (a->vtype == VT_STRING) {
          str_into(g, a, scr(off));
        } else {
          gen_error(g, a->loc, "%%s needs a string");
          return 0;
        }
        off += g->S;
      } else if (last && (d[i].conv == FMT_MEMORY || d[i].conv == FMT_MEMORY_HEX)) {
        /* the bytes at the address: precision of them, of kernel
         * memory, or with '#' (%#m) of the process's */
        int prec = d[i].precision >= 0 ? d[i].precision : 1;
        if (prec > (int)g->S) prec = (int)g->S;
        uint32_t at = gen_tmp(g, 8), ok = emit_label(E);
        gen_long(g, a);
        emit_stx(E, BPF_DW, R_SCR, (int16_t)at, R0);
        emit_mov(E, R3, R0);
        emit_mov(E, R1, R_SCR);
        emit_alu_imm(E, BPF_ADD, R1, (int32_t)off);
        emit_mov_imm(E, R2, prec);
        emit_call(E, d[i].flags & FMT_ALT ? BPF_FUNC_probe_read_user : BPF_FUNC_probe_read_kernel);
        emit_jmp(E, BPF_JEQ, R0, 0, 0, false, ok);
        emit_ldx(E, BPF_DW, R1, R_SCR, (int16_t)at);
        gen_runtime_error(g, BO_ERR_READ,
                          gen_site(g, loc, arena_printf(g->arena, "identifier '%s'", fn)), R1);
        emit_bind(E, ok);
        off += g->S;
      } else {
        gen_long(g, a);
        emit_stx(E, BPF_DW, R_SCR, (int16_t)off, R0);
        off += 8;
      }
      g->top = mark;
    }
  }
  return off - rec;
}

static void send_record(Gen *g, uint32_t rec, uint32_t size) {
  emit_map(E, R1, g->ringbuf_map);
  emit_mov(E, R2, R_SCR);
  emit_alu_imm(E, BPF_ADD, R2, (int32_t)rec);
  emit_mov_imm(E, R3, size);
  emit_mov_imm(E, R4, 0);
  emit_call(E, BPF_FUNC_ringbuf_output);
  /* lost output is counted in the control block */
  uint32_t ok = emit_label(E);
  emit_jmp(E, BPF_JSGE, R0, 0, 0, false, ok);
  emit_mov_imm(E, R1, 1);
  emit_insn(E, BPF_STX | BPF_ATOMIC | BPF_DW, R_GLOB, R1, (int16_t)offsetof(BoControl, lost),
            BPF_ADD);
  emit_bind(E, ok);
}

void gen_send_record(Gen *g, uint32_t rec, uint32_t size) { send_record(g, rec, size); }

/* Escape '%' in literal text for a format. */
static void fmt_literal(StrBuf *sb, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%') sb_putc(sb, '%');
    sb_putc(sb, s[i]);
  }
}

/* The format of print, println, printd, printdln (and their s-forms):
 * returns the arguments it formats in *first. */
static bool print_format(Gen *g, Expr *x, const char *name, StrBuf *fmt, size_t *first) {
  bool delim = strstr(name, "printd") != NULL;
  bool ln = strstr(name, "ln") != NULL;
  *first = 0;
  Expr *dl = NULL;
  if (delim) {
    dl = arg(x, 0);
    if (dl->kind != E_STR) {
      gen_error(g, dl->loc, "the delimiter must be a literal string on the bpf runtime");
      return false;
    }
    *first = 1;
  }
  for (size_t i = *first; i < x->args.len; i++) {
    if (i > *first && dl) fmt_literal(fmt, dl->str, dl->len);
    sb_puts(fmt, arg(x, i)->vtype == VT_STRING ? "%s" : "%d");
  }
  if (ln) sb_putc(fmt, '\n');
  return true;
}

/* The format of a print-family call (base: its name without the 's'
 * of the sprint forms): printf's literal first argument, or the one
 * print_format builds into fmt.  Sets *first to the first argument the
 * format consumes; false (reported) if there is no usable format. */
static bool call_format(Gen *g, Expr *x, const char *base, StrBuf *fmt, const char **text,
                        size_t *len, size_t *first) {
  if (strcmp(base, "printf") == 0) {
    Expr *f = arg(x, 0);
    if (f->kind != E_STR) {
      gen_error(g, f->loc, "%s's format must be a literal string", x->name);
      return false;
    }
    *text = f->str;
    *len = f->len;
    *first = 1;
    return true;
  }
  if (!print_format(g, x, base, fmt, first)) return false;
  *text = sb_cstr(fmt);
  *len = fmt->len;
  return true;
}

/* print(@hist_*(...)): staprun renders the histogram; a kernel program
 * sends it the statistic as it is at the print, merged over the CPUs
 * (stats.c), in a record in order with the rest of the output. */
static void gen_print_hist(Gen *g, Expr *h) {
  GGlobal *gg = array_of(g, h->l);
  if (!gg) return;
  uint32_t mark = g->top;
  uint32_t key = build_key(g, gg, h->l->kind == E_INDEX ? &h->l->args : NULL);
  if (!g->user) {
    uint32_t size = (uint32_t)stat_size(&gg->hist);
    uint32_t rec = gen_tmp(g, 8 + size);
    gen_stat_snapshot(g, gg, key, rec + 8);
    emit_st(E, BPF_W, R_SCR, (int16_t)rec, BO_REC_HIST);
    emit_st(E, BPF_W, R_SCR, (int16_t)(rec + 4), (int32_t)gg->map);
    send_record(g, rec, 8 + size);
    g->top = mark;
    return;
  }
  emit_map(E, R1, gg->map);
  emit_mov(E, R2, R_SCR);
  emit_alu_imm(E, BPF_ADD, R2, (int32_t)key);
  emit_mov_imm(E, R3, gen_site(g, h->loc, "operator '@hist'"));
  emit_call(E, BO_H_PRINT_HIST);
  g->top = mark;
}

/* printf / print family: one record. */
static void gen_print(Gen *g, Expr *x, const char *name) {
  if (x->args.len == 1 && arg(x, 0)->kind == E_HIST && strcmp(name, "printf") != 0) {
    gen_print_hist(g, arg(x, 0));
    return;
  }
  StrBuf fmt;
  sb_init(&fmt);
  size_t first = 0, len;
  const char *text;
  if (!call_format(g, x, name, &fmt, &text, &len, &first)) {
    sb_free(&fmt);
    return;
  }
  uint32_t id = gen_format(g, text, len);
  uint32_t mark = g->top;
  uint32_t rec = gen_tmp(g, 8 + args_size(g, text, len));
  uint32_t size = fill_args(g, x->name, text, len, (Expr **)x->args.items + first, x->args.len - first,
                            rec + 8, x->loc);
  emit_st(E, BPF_W, R_SCR, (int16_t)rec, BO_REC_PRINTF);
  emit_st(E, BPF_W, R_SCR, (int16_t)(rec + 4), (int32_t)id);
  send_record(g, rec, 8 + size);
  g->top = mark;
  sb_free(&fmt);
}

/* sprintf / sprint family into dst. */
static void gen_sprint(Gen *g, Expr *x, const char *name, Loc dst) {
  StrBuf fmt;
  sb_init(&fmt);
  size_t first = 0, len;
  const char *text;
  if (!call_format(g, x, name + 1, &fmt, &text, &len, &first)) {
    sb_free(&fmt);
    return;
  }
  /* a lone "%s" is a copy */
  if (len == 2 && memcmp(text, "%s", 2) == 0 && x->args.len == first + 1) {
    str_into(g, arg(x, first), dst);
    sb_free(&fmt);
    return;
  }
  if (!g->user) {
    /* a kernel program renders the format itself (sprintf.c) */
    FmtDirective d[64];
    size_t bad;
    int nd = fmt_parse(text, len, d, 64, &bad);
    const char *why = nd < 0 ? "an invalid format" : nd > 64 ? "a format of over 64 directives"
                                                          : gen_render_unsupported(d, nd);
    if (why) {
      gen_error(g, x->loc, "%s in %s is not available in a kernel-context probe on the bpf "
                "runtime", why, name);
    } else {
      uint32_t mark = g->top;
      uint32_t rec = gen_tmp(g, args_size(g, text, len));
      fill_args(g, x->name, text, len, (Expr **)x->args.items + first, x->args.len - first, rec, x->loc);
      gen_render(g, d, nd, rec, dst);
      g->top = mark;
    }
    sb_free(&fmt);
    return;
  }
  uint32_t id = gen_format(g, text, len);
  uint32_t mark = g->top;
  uint32_t rec = gen_tmp(g, args_size(g, text, len));
  fill_args(g, x->name, text, len, (Expr **)x->args.items + first, x->args.len - first, rec, x->loc);
  ptr_of(g, R1, dst);
  emit_mov_imm(E, R2, id);
  emit_mov(E, R3, R_SCR);
  emit_alu_imm(E, BPF_ADD, R3, (int32_t)rec);
  emit_call(E, BO_H_SPRINTF);
  g->top = mark;
  sb_free(&fmt);
}

/* ---- Script functions ----
 *
 * A call is inlined: the parameters and locals get scratch slots at each
 * call, and MAXNESTING is checked where the depth is known at compile
 * time.  A recursive function (one on a cycle of calls) cannot be
 * inlined: in a user program it is a subprogram, called with a BPF-to-BPF
 * call (r1 its frame in scratch, r2 the globals, r3 the scratch's start);
 * its frame begins at its caller's free scratch and holds the depth of
 * the call, the result, the parameters (written by the caller), the
 * locals and temporaries.  It returns r0 = 0, 1 after an error (waiting
 * at ERR_OFF for the caller's handler) or 2 after `next`.  Kernel
 * programs cannot have them: the verifier forbids recursion. */

static bool calls_reach(Vec *calls, const Function *from, const Function *to, Vec *seen,
                        Arena *a) {
  for (size_t i = 0; i < seen->len; i++)
    if (seen->items[i] == from) return false;
  vec_push(seen, a, (void *)from);
  for (size_t i = 0; i < calls->len; i += 2) {
    if (calls->items[i] != from) continue;
    const Function *c = calls->items[i + 1];
    if (c == to || calls_reach(calls, c, to, seen, a)) return true;
  }
  return false;
}

typedef struct CallScan {
  Gen *g;
  const Function *from;
  Vec *calls; /* pairs: caller, callee */
} CallScan;

static void scan_call(Expr *e, void *ctx) {
  CallScan *cs = ctx;
  if (e->kind != E_CALL || !e->ref) return;
  const Function *f = e->ref;
  if (f->builtin || !f->item || !f->item->body) return;
  vec_push(cs->calls, cs->g->arena, (void *)cs->from);
  vec_push(cs->calls, cs->g->arena, (void *)f);
}

void gen_find_recursion(Gen *g) {
  Vec calls = {0};
  CallScan cs = {.g = g, .calls = &calls};
  for (size_t i = 0; i < g->prog->functions.len; i++) {
    Function *f = g->prog->functions.items[i];
    if (f->builtin || !f->item || !f->item->body) continue;
    cs.from = f;
    ast_walk_stmt(f->item->body, scan_call, &cs);
  }
  for (size_t i = 0; i < g->prog->functions.len; i++) {
    Function *f = g->prog->functions.items[i];
    Vec seen = {0};
    if (calls.len && calls_reach(&calls, f, f, &seen, g->arena))
      vec_push(&g->recursive, g->arena, f);
  }
}

static bool is_recursive(Gen *g, const Function *f) {
  for (size_t i = 0; i < g->recursive.len; i++)
    if (g->recursive.items[i] == f) return true;
  return false;
}

/* The error site of MAXNESTING: the called function's declaration. */
static uint32_t nesting_site(Gen *g, const Function *f) {
  return gen_site(g, f->item->loc, arena_printf(g->arena, "identifier '%s'", f->name));
}

/* The depth of a call to f from here, the probe's body being depth 0,
 * checked against MAXNESTING (an error at f's declaration past it); with
 * want, left in r3.  False if the call is too deep whatever happens (the
 * error is raised, the call not made). */
static bool call_depth(Gen *g, const Function *f, bool want) {
  int64_t k = g->ninl - (g->in_sub ? 1 : 0); /* inlined calls around here */
  int64_t max = g->lim.maxnesting > INT32_MAX - 64 ? INT32_MAX - 64 : g->lim.maxnesting;
  if (!g->in_sub) {
    if (k + 1 > max) {
      gen_runtime_error(g, BO_ERR_MAXNESTING, nesting_site(g, f), -1);
      return false;
    }
    if (want) emit_mov_imm(E, R3, k + 1);
    return true;
  }
  emit_ldx(E, BPF_DW, R3, R_SCR, FR_DEPTH);
  emit_alu_imm(E, BPF_ADD, R3, (int32_t)(k + 1));
  check_error(g, BPF_JLE, R3, (int32_t)max, BO_ERR_MAXNESTING, nesting_site(g, f));
  return true;
}

static void gen_inline(Gen *g, Expr *x, Function *f, Loc *str_dst) {
  if (g->ninl == (int)(sizeof g->inl / sizeof *g->inl)) {
    gen_error(g, x->loc, "function calls nest too deeply to inline them (over %d)", g->ninl);
    return;
  }
  uint32_t ret_off = f->ret == VT_STRING ? gen_tmp(g, g->S) : 0;
  uint32_t mark = g->top;
  size_t slots = g->nslots;
  /* Evaluate the arguments into fresh parameter slots. */
  uint32_t *poff = arena_alloc(g->arena, sizeof *poff * (f->params.len + 1));
  for (size_t i = 0; i < f->params.len && i < x->args.len; i++) {
    Symbol *p = f->params.items[i];
    poff[i] = gen_tmp(g, p->type == VT_STRING ? g->S : 8);
    uint32_t m2 = g->top;
    if (p->type == VT_STRING) {
      str_into(g, arg(x, i), scr(poff[i]));
    } else {
      gen_long(g, arg(x, i));
      emit_stx(E, BPF_DW, R_SCR, (int16_t)poff[i], R0);
    }
    g->top = m2;
  }
  if (!call_depth(g, f, false)) {
    g->top = mark;
    return;
  }
  for (size_t i = 0; i < f->params.len; i++) gen_bind(g, f->params.items[i], poff[i]);
  for (size_t i = 0; i < f->locals.len; i++) {
    Symbol *l = f->locals.items[i];
    gen_bind(g, l, gen_tmp(g, l->type == VT_STRING ? g->S : 8));
  }
  gen_zero_locals(g, &f->locals);
  Inline *in = &g->inl[g->ninl++];
  in->fn = f;
  in->ret_label = emit_label(E);
  in->ret_off = ret_off;
  int saved_loops = g->nloops;
  g->nloops = 0; /* break/continue do not cross a function */
  Loop loops[64];
  memcpy(loops, g->loops, sizeof loops);
  gen_stmt(g, f->item->body);
  memcpy(g->loops, loops, sizeof loops);
  g->nloops = saved_loops;
  if (!emit_reachable(E)) { /* the body ends in a return */
  } else if (f->ret == VT_STRING) {
    emit_st(E, BPF_B, R_SCR, (int16_t)ret_off, 0);
  } else {
    emit_mov_imm(E, R0, 0);
  }
  emit_bind(E, in->ret_label);
  g->ninl--;
  g->nslots = slots;
  g->top = mark;
  if (str_dst) {
    if (f->ret == VT_STRING) copy_str(g, *str_dst, scr(ret_off));
    else emit_st(E, BPF_B, str_dst->reg, (int16_t)str_dst->off, 0);
  }
}

/* A subprogram's frame: the offsets of the parameters in *poff; returns
 * the size of the part its caller writes. */
static uint32_t frame_layout(Gen *g, const Function *f, uint32_t *poff) {
  uint32_t off = FR_RET + (f->ret == VT_STRING ? g->S : 8);
  for (size_t i = 0; i < f->params.len; i++) {
    const Symbol *p = f->params.items[i];
    poff[i] = off;
    off += p->type == VT_STRING ? g->S : 8;
  }
  return off;
}

static Sub *sub_of(Gen *g, const Function *f) {
  for (size_t i = 0; i < g->subs.len; i++) {
    Sub *s = g->subs.items[i];
    if (s->fn == f) return s;
  }
  Sub *s = arena_alloc(g->arena, sizeof *s);
  s->fn = f;
  s->label = emit_label(E);
  vec_push(&g->subs, g->arena, s);
  return s;
}

/* A call of recursive function f: its subprogram. */
static void gen_subcall(Gen *g, Expr *x, Function *f, Loc *str_dst) {
  Sub *sub = sub_of(g, f);
  uint32_t mark = g->top;
  uint32_t *poff = arena_alloc(g->arena, sizeof *poff * (f->params.len + 1));
  uint32_t frame = gen_tmp(g, frame_layout(g, f, poff));
  for (size_t i = 0; i < f->params.len && i < x->args.len; i++) {
    Symbol *p = f->params.items[i];
    uint32_t m2 = g->top;
    if (p->type == VT_STRING) {
      str_into(g, arg(x, i), scr(frame + poff[i]));
    } else {
      gen_long(g, arg(x, i));
      emit_stx(E, BPF_DW, R_SCR, (int16_t)(frame + poff[i]), R0);
    }
    g->top = m2;
  }
  if (!call_depth(g, f, true)) {
    g->top = mark;
    return;
  }
  emit_stx(E, BPF_DW, R_SCR, (int16_t)(frame + FR_DEPTH), R3);
  emit_mov(E, R1, R_SCR);
  emit_alu_imm(E, BPF_ADD, R1, (int32_t)frame);
  emit_mov(E, R2, R_GLOB);
  emit_mov(E, R3, g->base_reg);
  emit_pseudo_call(E, sub->label);
  uint32_t ok = emit_label(E);
  emit_jmp(E, BPF_JEQ, R0, 0, 0, false, ok);
  g->handler->used = true;
  emit_jmp(E, BPF_JEQ, R0, 0, 1, false, g->handler->label);
  emit_ja(E, g->out_label); /* next */
  emit_bind(E, ok);
  if (f->ret == VT_STRING) {
    if (str_dst) copy_str(g, *str_dst, scr(frame + FR_RET));
  } else {
    emit_ldx(E, BPF_DW, R0, R_SCR, (int16_t)(frame + FR_RET));
    if (str_dst) emit_st(E, BPF_B, str_dst->reg, (int16_t)str_dst->off, 0);
  }
  g->top = mark;
}

static void gen_subprogram(Gen *g, Sub *sub) {
  const Function *f = sub->fn;
  emit_bind(E, sub->label);
  gen_line(g, f->item->loc);
  emit_mov(E, R_SCR, R1);
  emit_mov(E, R_GLOB, R2);
  emit_mov(E, R_CTX, R3);
  g->top = g->high = 0;
  uint32_t *poff = arena_alloc(g->arena, sizeof *poff * (f->params.len + 1));
  gen_tmp(g, frame_layout(g, f, poff));
  g->nslots = 0;
  for (size_t i = 0; i < f->params.len; i++) gen_bind(g, f->params.items[i], poff[i]);
  for (size_t i = 0; i < f->locals.len; i++) {
    Symbol *l = f->locals.items[i];
    gen_bind(g, l, gen_tmp(g, l->type == VT_STRING ? g->S : 8));
  }
  gen_zero_locals(g, &f->locals);
  Handler h = {.label = emit_label(E)};
  g->handler = &h;
  g->base_reg = R_CTX;
  g->in_sub = true;
  g->out_label = emit_label(E);
  g->nloops = 0;
  g->ninl = 1;
  g->inl[0] = (Inline){.fn = f, .ret_label = emit_label(E), .ret_off = FR_RET};
  gen_stmt(g, f->item->body);
  if (!emit_reachable(E)) { /* the body ends in a return */
  } else if (f->ret == VT_STRING) {
    emit_st(E, BPF_B, R_SCR, FR_RET, 0);
  } else {
    emit_mov_imm(E, R0, 0);
  }
  emit_bind(E, g->inl[0].ret_label);
  if (f->ret != VT_STRING) emit_stx(E, BPF_DW, R_SCR, FR_RET, R0);
  emit_mov_imm(E, R0, 0);
  emit_exit(E);
  if (h.used) {
    emit_bind(E, h.label);
    emit_mov_imm(E, R0, 1);
    emit_exit(E);
  }
  emit_bind(E, g->out_label);
  emit_mov_imm(E, R0, 2);
  emit_exit(E);
  g->ninl = 0;
  sub->high = g->high;
}

/* The most scratch a user program's recursion may take. */
enum { MAX_USER_SCRATCH = 64 << 20 };

/* Send the error at ERR_OFF to staprun.  In the kernel, the one past
 * MAXERRORS also stops every probe at once, as stap's session does,
 * rather than when staprun reads it. */
static void send_error(Gen *g) {
  if (!g->user) {
    uint32_t send = emit_label(E);
    emit_mov_imm(E, R1, 1);
    emit_insn(E, BPF_STX | BPF_ATOMIC | BPF_DW, R_GLOB, R1,
              (int16_t)offsetof(BoControl, errors), BPF_ADD | BPF_FETCH);
    emit_jmp(E, BPF_JLT, R1, 0, (int32_t)g->lim.maxerrors, false, send);
    emit_st(E, BPF_DW, R_GLOB, (int16_t)offsetof(BoControl, state), BO_STATE_STOPPING);
    emit_bind(E, send);
  }
  emit_st(E, BPF_W, R_SCR, ERR_OFF, BO_REC_ERROR);
  emit_st(E, BPF_W, R_SCR, ERR_OFF + 12, 0);
  uint32_t sized = emit_label(E);
  emit_mov_imm(E, R3, 24);
  emit_ldx(E, BPF_W, R1, R_SCR, ERR_KIND);
  emit_jmp(E, BPF_JNE, R1, 0, BO_ERR_USER, false, sized);
  emit_mov_imm(E, R3, 24 + g->S);
  emit_bind(E, sized);
  emit_map(E, R1, g->ringbuf_map);
  emit_mov(E, R2, R_SCR);
  emit_alu_imm(E, BPF_ADD, R2, ERR_OFF);
  emit_mov_imm(E, R4, 0);
  emit_call(E, BPF_FUNC_ringbuf_output);
}

void gen_program_end(Gen *g, Handler *top) {
  emit_bind(E, g->out_label);
  emit_mov_imm(E, R0, 0);
  emit_exit(E);
  if (top->used) {
    /* An error nothing caught: send it to staprun, end the handler; or
     * with --suppress-handler-errors only end it (try { ... } catch
     * { next }), counted for the closing report. */
    emit_bind(E, top->label);
    if (g->suppress_errors) {
      emit_mov_imm(E, R1, 1);
      emit_insn(E, BPF_STX | BPF_ATOMIC | BPF_DW, R_GLOB, R1,
                (int16_t)offsetof(BoControl, suppressed), BPF_ADD);
    } else {
      send_error(g);
    }
    emit_ja(E, g->out_label);
  }
  if (!g->subs.len) return;
  /* The subprograms, each once (they may call more). */
  uint32_t main_high = g->high, frame_high = 0, out = g->out_label;
  for (size_t i = 0; i < g->subs.len && !g->failed; i++) {
    Sub *s = g->subs.items[i];
    gen_subprogram(g, s);
    if (s->high > frame_high) frame_high = s->high;
  }
  g->high = main_high;
  g->out_label = out;
  g->handler = top;
  g->base_reg = R_SCR;
  g->in_sub = false;
  /* At most MAXNESTING frames above the probe's scratch. */
  uint64_t need = main_high + (uint64_t)g->lim.maxnesting * frame_high;
  const Function *f = ((Sub *)g->subs.items[0])->fn;
  if (g->lim.maxnesting > BO_MAX_RECURSION) {
    gen_error(g, f->item->loc, "recursive function '%s' cannot run with MAXNESTING=%u on the "
              "bpf runtime (at most %u)", f->name, g->lim.maxnesting, BO_MAX_RECURSION);
    return;
  }
  if (need > MAX_USER_SCRATCH) {
    gen_error(g, f->item->loc, "recursive function '%s' would need %llu bytes of scratch "
              "with MAXNESTING=%u (at most %u)", f->name, (unsigned long long)need,
              g->lim.maxnesting, (unsigned)MAX_USER_SCRATCH);
    return;
  }
  if (need > g->user_scratch_max) g->user_scratch_max = (uint32_t)need;
}

/* ---- Builtins ---- */

static void control_load(Gen *g, size_t off) { emit_ldx(E, BPF_DW, R0, R_GLOB, (int16_t)off); }

/* exit(): stop the kernel probes, and tell staprun. */
static void gen_exit(Gen *g) {
  emit_mov_imm(E, R1, BO_STATE_STOPPING);
  emit_stx(E, BPF_DW, R_GLOB, 0, R1);
  uint32_t mark = g->top, rec = gen_tmp(g, 8);
  emit_st(E, BPF_W, R_SCR, (int16_t)rec, BO_REC_EXIT);
  emit_st(E, BPF_W, R_SCR, (int16_t)(rec + 4), 0);
  send_record(g, rec, 8);
  g->top = mark;
  emit_mov_imm(E, R0, 0);
}

static const char *arch_of(const Gen *g) {
  return g->target->kernel ? g->target->kernel->arch : NULL;
}

/* Bytes user_int8_error ... user_ulong_error read, or 0 for any other name. */
static int user_read_size(const char *n) {
  static const struct { const char *name; int size; } reads[] = {
      {"user_int8_error", 1}, {"user_int16_error", 2}, {"user_int32_error", 4},
      {"user_int64_error", 8}, {"user_long_error", 8},  {"user_ulong_error", 8}};
  for (size_t i = 0; i < sizeof reads / sizeof *reads; i++)
    if (!strcmp(n, reads[i].name)) return reads[i].size;
  return 0;
}

/* probe_type(): the low-level mechanism behind the probe, in stap's words
 * where it is the same one. */
static const char *probe_type_name(const Gen *g) {
  const Probe *p = g->probe;
  switch (p->family) {
  case PF_BEGIN: return "begin";
  case PF_END: return "end";
  case PF_ERROR: return "error";
  case PF_NEVER: return "never";
  case PF_TIMER: return "timer";
  case PF_PROFILE: return "profile_timer";
  case PF_KFUNC: case PF_KSTATEMENT:
    return g->fentry ? (p->is_return ? "fexit" : "fentry") : p->is_return ? "kretprobe" : "kprobe";
  case PF_UFUNC: return p->is_return ? "uretprobe" : "uprobe";
  case PF_PERF: return "perf";
  case PF_TRACEPOINT: case PF_SYSCALL: case PF_PROCESS_BEGIN: case PF_PROCESS_END:
    return "tracepoint";
  }
  return "";
}

/* A builtin with a long result; false if it is not one. */
static bool builtin_long(Gen *g, Expr *x, const char *n) {
  if (gen_string_long(g, x, n)) return true; /* strings.c */
  if (gen_stack_long(g, x, n)) return true;  /* stack.c */
  if (!strcmp(n, "ngroups")) {
    gen_regex_ngroups(g, x);
  } else if (!strcmp(n, "pid") || !strcmp(n, "tid")) {
    emit_call(E, BPF_FUNC_get_current_pid_tgid);
    if (n[0] == 'p') emit_alu_imm(E, BPF_RSH, R0, 32);
    else {
      emit_alu_imm(E, BPF_LSH, R0, 32);
      emit_alu_imm(E, BPF_RSH, R0, 32);
    }
  } else if (!strcmp(n, "uid") || !strcmp(n, "gid") || !strcmp(n, "euid") ||
             !strcmp(n, "egid")) {
    emit_call(E, BPF_FUNC_get_current_uid_gid);
    if (n[0] == 'g' || n[1] == 'g') emit_alu_imm(E, BPF_RSH, R0, 32);
    else {
      emit_alu_imm(E, BPF_LSH, R0, 32);
      emit_alu_imm(E, BPF_RSH, R0, 32);
    }
  } else if (!strcmp(n, "cpu")) {
    emit_call(E, BPF_FUNC_get_smp_processor_id);
  } else if (!strcmp(n, "gettimeofday_ns")) {
    emit_call(E, BPF_FUNC_ktime_get_ns);
    emit_ldx(E, BPF_DW, R1, R_GLOB, (int16_t)offsetof(BoControl, realtime_offset));
    emit_alu(E, BPF_ADD, R0, R1);
  } else if (!strcmp(n, "ktime_get_ns") || !strcmp(n, "local_clock_ns") ||
             !strcmp(n, "cpu_clock_ns") || !strcmp(n, "get_cycles")) {
    emit_call(E, BPF_FUNC_ktime_get_ns);
  } else if (!strcmp(n, "jiffies")) {
    emit_call(E, BPF_FUNC_jiffies64);
  } else if (!strcmp(n, "target")) {
    control_load(g, offsetof(BoControl, target_pid));
  } else if (!strcmp(n, "stp_pid")) {
    control_load(g, offsetof(BoControl, stp_pid));
  } else if (!strcmp(n, "task_current") && !g->user) {
    emit_call(E, BPF_FUNC_get_current_task);
  } else if (!strcmp(n, "is_return")) {
    emit_mov_imm(E, R0, g->probe->is_return);
  } else if (!strcmp(n, "randint")) {
    uint32_t mark = g->top, t = gen_tmp(g, 8);
    gen_long(g, arg(x, 0));
    emit_stx(E, BPF_DW, R_SCR, (int16_t)t, R0);
    check_error(g, BPF_JSGT, R0, 0, BO_ERR_DIVZERO, gen_site(g, x->loc, "identifier 'randint'"));
    emit_call(E, BPF_FUNC_get_prandom_u32);
    emit_ldx(E, BPF_DW, R1, R_SCR, (int16_t)t);
    emit_alu(E, BPF_MOD, R0, R1);
    g->top = mark;
  } else if (!strcmp(n, "strlen")) {
    uint32_t mark = g->top;
    Loc l = str_loc(g, arg(x, 0));
    gen_strlen_at(g, l);
    g->top = mark;
  } else if (!strcmp(n, "exit")) {
    gen_exit(g);
  } else if (!strcmp(n, "is_myproc")) {
    /* the current task's real uid is that of the user running staprun */
    uint32_t no = emit_label(E);
    emit_call(E, BPF_FUNC_get_current_uid_gid);
    emit_alu_imm(E, BPF_LSH, R0, 32);
    emit_alu_imm(E, BPF_RSH, R0, 32);
    emit_ldx(E, BPF_DW, R1, R_GLOB, (int16_t)offsetof(BoControl, stp_uid));
    emit_mov(E, R2, R0);
    emit_mov_imm(E, R0, 0);
    emit_jmp(E, BPF_JNE, R2, R1, 0, true, no);
    emit_mov_imm(E, R0, 1);
    emit_bind(E, no);
  } else if (!strcmp(n, "returnval")) {
    /* $return, where the probe has one (a .return probe) */
    const TargetVar *rv = NULL;
    for (size_t i = 0; i < g->probe->vars.len && !rv; i++) {
      const TargetVar *v = g->probe->vars.items[i];
      if (!strcmp(v->name, "return")) rv = v;
    }
    if (!rv || !g->probe->is_return) {
      gen_error(g, x->loc, "returnval() has no return value in probe %s", g->probe->point);
      return true;
    }
    Expr t = {.kind = E_TARGET, .name = "$return", .ref = (void *)rv, .loc = x->loc,
              .vtype = VT_LONG};
    gen_long(g, &t);
  } else if (!strcmp(n, "HZ")) {
    emit_mov_imm(E, R0, target_config_hz(g->target));
  } else if (!strcmp(n, "mem_page_size") && arch_page_size(arch_of(g)) > 0) {
    emit_mov_imm(E, R0, arch_page_size(arch_of(g)));
  } else if (!strcmp(n, "registers_valid")) {
    /* the probe has the registers of what it stopped (struct pt_regs) */
    ProbeFamily f = g->probe->family;
    emit_mov_imm(E, R0, !g->user && !g->hook && (f == PF_KFUNC || f == PF_KSTATEMENT ||
                                                 f == PF_UFUNC || f == PF_PROFILE || f == PF_PERF));
  } else if (!strcmp(n, "user_mode")) {
    /* uprobes stop user code; a sample (perf, timer.profile) may have
     * stopped either: its registers' privilege level says */
    ProbeFamily f = g->probe->family;
    int cs = arch_user_mode_offset(arch_of(g));
    if ((f == PF_PROFILE || f == PF_PERF) && !g->user && cs >= 0) {
      uint32_t done = emit_label(E);
      emit_ldx(E, BPF_DW, R0, R_CTX, (int16_t)cs);
      emit_alu_imm(E, BPF_AND, R0, 3);
      emit_jmp(E, BPF_JEQ, R0, 0, 0, false, done);
      emit_mov_imm(E, R0, 1);
      emit_bind(E, done);
    } else {
      emit_mov_imm(E, R0, f == PF_UFUNC && !g->user);
    }
  } else if (!strncmp(n, "user_", 5) && user_read_size(n) > 0) {
    /* user_int8_error ... user_ulong_error (long: 64 bits) */
    gen_long(g, arg(x, 0));
    emit_mov(E, R1, R0);
    read_user(g, user_read_size(n), strcmp(n, "user_ulong_error") != 0, x->loc,
              arena_printf(g->arena, "identifier '%s'", n));
  } else if (!strcmp(n, "kernel_long") || !strcmp(n, "kernel_int") ||
             !strcmp(n, "kernel_short") || !strcmp(n, "kernel_char") ||
             !strcmp(n, "kernel_pointer")) {
    int size = n[7] == 'l' || n[7] == 'p' ? 8 : n[7] == 'i' ? 4 : n[7] == 's' ? 2 : 1;
    gen_long(g, arg(x, 0));
    emit_mov(E, R1, R0);
    read_kernel(g, size, n[7] != 'p', x->loc, arena_printf(g->arena, "identifier '%s'", n));
  } else {
    return false;
  }
  return true;
}

/* A builtin with a string result into dst; false if it is not one. */
static bool builtin_str(Gen *g, Expr *x, const char *n, Loc dst) {
  if (gen_quote_builtin(g, x, n, dst)) return true; /* quote.c */
  if (gen_string_str(g, x, n, dst)) return true;    /* strings.c */
  if (gen_stack_str(g, x, n, dst)) return true;     /* stack.c */
  if (!strcmp(n, "matched")) {
    gen_regex_matched(g, x, dst);
  } else if (!strcmp(n, "probe_type")) {
    const char *s = probe_type_name(g);
    put_literal(g, dst, s, strlen(s));
  } else if (!strcmp(n, "module_name")) {
    put_literal(g, dst, g->module_name, strlen(g->module_name));
  } else if (!strcmp(n, "probemod")) {
    /* the module of a kernel function probe ("kernel" for vmlinux's) */
    const Probe *p = g->probe;
    if (p->family != PF_KFUNC && p->family != PF_KSTATEMENT) {
      gen_error(g, x->loc, "probemod() has no module to name in probe %s", p->point);
      return true;
    }
    const char *m = p->module ? p->module : "kernel";
    put_literal(g, dst, m, strlen(m));
  } else if (!strcmp(n, "execname")) {
    ptr_of(g, R1, dst);
    emit_mov_imm(E, R2, 16);
    emit_call(E, BPF_FUNC_get_current_comm);
  } else if (!strcmp(n, "pp") || !strcmp(n, "pn") || !strcmp(n, "ppfunc") ||
             !strcmp(n, "probefunc")) {
    const char *s = g->probe->point;
    if (n[1] == 'p' && n[2] == 'f') s = g->probe->target ? g->probe->target : "";
    if (n[0] == 'p' && n[1] == 'r') s = g->probe->symbol ? g->probe->symbol
                                       : g->probe->target ? g->probe->target : "";
    put_literal(g, dst, s, strlen(s));
  } else if (!strcmp(n, "kernel_string") || !strcmp(n, "user_string") ||
             !strcmp(n, "kernel_string_n") || !strcmp(n, "user_string_n")) {
    bool user = n[0] == 'u';
    uint32_t mark = g->top, t = gen_tmp(g, 16);
    if (x->args.len > 1) {
      gen_long(g, arg(x, 1)); /* n bytes and the NUL: clamped below */
      emit_alu_imm(E, BPF_ADD, R0, 1);
    } else {
      emit_mov_imm(E, R0, g->S);
    }
    emit_stx(E, BPF_DW, R_SCR, (int16_t)(t + 8), R0);
    gen_long(g, arg(x, 0));
    emit_stx(E, BPF_DW, R_SCR, (int16_t)t, R0);
    emit_mov(E, R3, R0);
    emit_ldx(E, BPF_DW, R2, R_SCR, (int16_t)(t + 8));
    /* into [1, maxstringlen]: the bound the verifier needs, too */
    uint32_t b1 = emit_label(E), b2 = emit_label(E);
    emit_jmp(E, BPF_JLE, R2, 0, (int32_t)g->S, false, b1);
    emit_mov_imm(E, R2, g->S);
    emit_bind(E, b1);
    emit_jmp(E, BPF_JGE, R2, 0, 1, false, b2);
    emit_mov_imm(E, R2, 1);
    emit_bind(E, b2);
    ptr_of(g, R1, dst);
    emit_call(E, user ? BPF_FUNC_probe_read_user_str : BPF_FUNC_probe_read_kernel_str);
    uint32_t ok = emit_label(E);
    emit_jmp(E, BPF_JSGE, R0, 0, 0, false, ok);
    emit_ldx(E, BPF_DW, R1, R_SCR, (int16_t)t);
    gen_runtime_error(g, user ? BO_ERR_USTR : BO_ERR_KSTR,
                      gen_site(g, x->loc, arena_printf(g->arena, "identifier '%s'", n)), R1);
    emit_bind(E, ok);
    g->top = mark;
  } else {
    return false;
  }
  return true;
}

void gen_call(Gen *g, Expr *x, Loc *str_dst) {
  if (g->failed) return;
  const char *n = x->name;
  if (sema_print_function(n)) {
    if (n[0] != 's') {
      gen_print(g, x, n);
      emit_mov_imm(E, R0, 0);
    } else if (str_dst) {
      gen_sprint(g, x, n, *str_dst);
    } else {
      uint32_t mark = g->top;
      gen_sprint(g, x, n, scr(gen_tmp(g, g->S)));
      g->top = mark;
    }
    return;
  }
  if (!strcmp(n, "error")) {
    /* error(msg): a runtime error with the script's message, which it
     * reports alone, with no "near" site */
    str_into(g, arg(x, 0), (Loc){.reg = g->base_reg, .off = ERR_MSG});
    emit_st(E, BPF_W, g->base_reg, ERR_KIND, BO_ERR_USER);
    emit_st(E, BPF_W, g->base_reg, ERR_SITE, (int32_t)BO_NO_SITE);
    emit_st(E, BPF_DW, g->base_reg, ERR_ARG, 0);
    gen_raise(g);
    emit_mov_imm(E, R0, 0);
    return;
  }
  if (!strcmp(n, "warn") || !strcmp(n, "log") || !strcmp(n, "system")) {
    /* warn(msg): staprun prints "WARNING: msg"; log(msg) prints msg as
     * a line; system(cmd) has staprun run cmd */
    uint32_t kind = n[0] == 'w' ? BO_REC_WARN : n[0] == 'l' ? BO_REC_LOG : BO_REC_SYSTEM;
    uint32_t mark = g->top;
    uint32_t rec = gen_tmp(g, 24 + g->S);
    str_into(g, arg(x, 0), scr(rec + 24));
    emit_st(E, BPF_W, R_SCR, (int16_t)rec, (int32_t)kind);
    emit_st(E, BPF_W, R_SCR, (int16_t)(rec + 4), 0);
    copy_str(g, scr(rec + 8), scr(rec + 24));
    send_record(g, rec, 8 + g->S);
    g->top = mark;
    return;
  }
  if (!strcmp(n, "abort")) {
    /* exit(), and the handler ends at once: no catch takes it */
    gen_exit(g);
    emit_ja(E, g->out_label);
    return;
  }
  Function *f = x->ref;
  if (f && !f->builtin && f->item && f->item->body) {
    if (!is_recursive(g, f)) {
      gen_inline(g, x, f, str_dst);
    } else if (g->user) {
      gen_subcall(g, x, f, str_dst);
    } else {
      gen_error(g, x->loc, "recursive function '%s' cannot run in probe %s on the bpf "
                "runtime: the kernel's verifier forbids recursion (begin, end, error and "
                "timer probes may call it)", f->name, g->probe->point);
    }
    return;
  }
  if (str_dst) {
    if (builtin_str(g, x, n, *str_dst)) return;
  } else if (builtin_long(g, x, n)) {
    return;
  }
  gen_error(g, x->loc, "function '%s' is not available on the bpf runtime", n);
}
