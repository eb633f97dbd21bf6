/* call: pass 3's function calls.  Script functions are inlined (their
 * parameters and locals get scratch slots at each call); the print family
 * sends records that staprun renders; builtins map to BPF helpers or to
 * the control block; sprintf and friends in user programs call staprun's
 * renderer. */
#include <stddef.h>
#include <string.h>

#include "bpf/gen.h"
#include "front/ast.h"
#include "runtime/common/format.h"

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
static uint32_t fill_args(Gen *g, const char *fmt, size_t len, Expr **args, size_t nargs,
                          uint32_t rec, SrcLoc loc) {
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
        /* the bytes at the address: precision of them */
        int prec = d[i].precision >= 0 ? d[i].precision : 1;
        if (prec > (int)g->S) prec = (int)g->S;
        gen_long(g, a);
        emit_mov(E, R3, R0);
        emit_mov(E, R1, R_SCR);
        emit_alu_imm(E, BPF_ADD, R1, (int32_t)off);
        emit_mov_imm(E, R2, prec);
        emit_call(E, BPF_FUNC_probe_read_kernel);
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

/* print(@hist_*(...)): staprun renders the histogram. */
static void gen_print_hist(Gen *g, Expr *h) {
  if (!g->user) {
    gen_error(g, h->loc, "printing a histogram in a kernel-context probe is not "
              "available on the bpf runtime");
    return;
  }
  GGlobal *gg = array_of(g, h->l);
  if (!gg) return;
  uint32_t mark = g->top;
  uint32_t key = build_key(g, gg, h->l->kind == E_INDEX ? &h->l->args : NULL);
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
  uint32_t size = fill_args(g, text, len, (Expr **)x->args.items + first, x->args.len - first,
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
    gen_error(g, x->loc, "%s in a kernel-context probe is not yet available on the bpf "
              "runtime", name);
    sb_free(&fmt);
    return;
  }
  uint32_t id = gen_format(g, text, len);
  uint32_t mark = g->top;
  uint32_t rec = gen_tmp(g, args_size(g, text, len));
  fill_args(g, text, len, (Expr **)x->args.items + first, x->args.len - first, rec, x->loc);
  ptr_of(g, R1, dst);
  emit_mov_imm(E, R2, id);
  emit_mov(E, R3, R_SCR);
  emit_alu_imm(E, BPF_ADD, R3, (int32_t)rec);
  emit_call(E, BO_H_SPRINTF);
  g->top = mark;
  sb_free(&fmt);
}

/* ---- Inlined script functions ---- */

static void gen_inline(Gen *g, Expr *x, Function *f, Loc *str_dst) {
  for (int i = 0; i < g->ninl; i++)
    if (g->inl[i].fn == f) {
      gen_error(g, x->loc, "recursive function '%s' is not available on the bpf runtime "
                "(functions are inlined)", f->name);
      return;
    }
  if (g->ninl == (int)(sizeof g->inl / sizeof *g->inl)) {
    gen_error(g, x->loc, "function calls nest too deeply (MAXNESTING)");
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
  if (f->ret == VT_STRING) emit_st(E, BPF_B, R_SCR, (int16_t)ret_off, 0);
  else emit_mov_imm(E, R0, 0);
  emit_bind(E, in->ret_label);
  g->ninl--;
  g->nslots = slots;
  g->top = mark;
  if (str_dst) {
    if (f->ret == VT_STRING) copy_str(g, *str_dst, scr(ret_off));
    else emit_st(E, BPF_B, str_dst->reg, (int16_t)str_dst->off, 0);
  }
}

/* ---- Builtins ---- */

static void control_load(Gen *g, size_t off) { emit_ldx(E, BPF_DW, R0, R_GLOB, (int16_t)off); }

/* A builtin with a long result; false if it is not one. */
static bool builtin_long(Gen *g, Expr *x, const char *n) {
  if (!strcmp(n, "pid") || !strcmp(n, "tid")) {
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
    /* Stop the kernel probes, and tell staprun. */
    emit_mov_imm(E, R1, BO_STATE_STOPPING);
    emit_stx(E, BPF_DW, R_GLOB, 0, R1);
    uint32_t mark = g->top, rec = gen_tmp(g, 8);
    emit_st(E, BPF_W, R_SCR, (int16_t)rec, BO_REC_EXIT);
    emit_st(E, BPF_W, R_SCR, (int16_t)(rec + 4), 0);
    send_record(g, rec, 8);
    g->top = mark;
    emit_mov_imm(E, R0, 0);
  } else if (!strcmp(n, "kernel_long") || !strcmp(n, "kernel_int") ||
             !strcmp(n, "kernel_short") || !strcmp(n, "kernel_char") ||
             !strcmp(n, "kernel_pointer")) {
    int size = n[7] == 'l' || n[7] == 'p' ? 8 : n[7] == 'i' ? 4 : n[7] == 's' ? 2 : 1;
    gen_long(g, arg(x, 0));
    emit_mov(E, R1, R0);
    read_kernel(g, size, n[7] != 'p', x->loc);
  } else {
    return false;
  }
  return true;
}

/* A builtin with a string result into dst; false if it is not one. */
static bool builtin_str(Gen *g, Expr *x, const char *n, Loc dst) {
  if (!strcmp(n, "execname")) {
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
    gen_runtime_error(g, BO_ERR_READ, gen_site(g, x->loc, arena_printf(g->arena,
                      "identifier '%s'", n)), R1);
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
  if (!strcmp(n, "error") || !strcmp(n, "warn")) {
    /* error(msg): a runtime error with the script's message */
    uint32_t mark = g->top;
    uint32_t rec = gen_tmp(g, 24 + g->S);
    str_into(g, arg(x, 0), scr(rec + 24));
    emit_st(E, BPF_W, R_SCR, (int16_t)rec, n[0] == 'e' ? BO_REC_ERROR : BO_REC_WARN);
    if (n[0] == 'e') {
      emit_st(E, BPF_W, R_SCR, (int16_t)(rec + 4), BO_ERR_USER);
      emit_st(E, BPF_W, R_SCR, (int16_t)(rec + 8),
              (int32_t)gen_site(g, x->loc, "identifier 'error'"));
      emit_st(E, BPF_W, R_SCR, (int16_t)(rec + 12), 0);
      emit_st(E, BPF_DW, R_SCR, (int16_t)(rec + 16), 0);
      send_record(g, rec, 24 + g->S);
      g->top = mark;
      emit_ja(E, g->out_label);
      return;
    }
    /* warn(msg): staprun prints "WARNING: msg" */
    emit_st(E, BPF_W, R_SCR, (int16_t)(rec + 4), 0);
    copy_str(g, scr(rec + 8), scr(rec + 24));
    send_record(g, rec, 8 + g->S);
    g->top = mark;
    return;
  }
  Function *f = x->ref;
  if (f && !f->builtin && f->item && f->item->body) {
    gen_inline(g, x, f, str_dst);
    return;
  }
  if (str_dst) {
    if (builtin_str(g, x, n, *str_dst)) return;
  } else if (builtin_long(g, x, n)) {
    return;
  }
  gen_error(g, x->loc, "function '%s' is not available on the bpf runtime", n);
}
