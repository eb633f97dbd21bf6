/* probes: probe point expansion (pass 2).  A probe point is matched
 * against probe aliases first (exactly, then by prefix with the rest as a
 * suffix), recursively, composing alias bodies around the user's; what is
 * not an alias must be a built-in family.  Every concrete probe gets its
 * own copy of the composed body. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front/printer.h"
#include "sema/sema_int.h"
#include "target/uparams.h"
#include "target/usym.h"

enum { MAX_ALIAS_DEPTH = 32 };

/* What is being expanded: the user's probe and what aliases added. */
typedef struct Ctx {
  Item *item;       /* the user's probe */
  const char *user_point; /* the user's probe point, printed */
  Expr *cond;       /* the user's condition */
  bool optional;    /* '?' or '!' somewhere on the way */
} Ctx;

static const ProbeComp *comp(const Vec *comps, size_t i) {
  return i < comps->len ? comps->items[i] : NULL;
}

static bool comp_is(const Vec *comps, size_t i, const char *name) {
  const ProbeComp *c = comp(comps, i);
  return c && strcmp(c->name, name) == 0;
}

static const char *comps_text(Sema *S, const Vec *comps) {
  ProbePoint pp = {.comps = *comps};
  StrBuf sb;
  sb_init(&sb);
  printer_probe_point(&sb, &pp);
  const char *r = arena_strdup(S->arena, sb_cstr(&sb));
  sb_free(&sb);
  return r;
}

Stmt *probes_parse_body(Sema *S, const char *text) {
  char *src = arena_printf(S->arena, "probe __ctap_generated { %s }", text);
  SourceFile *f = source_from_string(src, strlen(src), "<generated>");
  sema_register_new_files(S);
  File *file = front_parse(S->front, f, true, true);
  S->files_seen = S->front->files.len; /* a generated body: nothing to register */
  if (!file->items.len) return NULL;
  return ((Item *)file->items.items[0])->body;
}

static Stmt *block_of(Sema *S, Stmt *a, Stmt *b, Stmt *c, SrcLoc loc) {
  Stmt *blk = ast_stmt(S->arena, S_BLOCK, loc);
  if (a) vec_push(&blk->stmts, S->arena, a);
  if (b) vec_push(&blk->stmts, S->arena, b);
  if (c) vec_push(&blk->stmts, S->arena, c);
  return blk;
}

static Probe *new_probe(Sema *S, Ctx *cx, ProbeFamily fam, const char *point, Stmt *body) {
  Probe *p = arena_alloc(S->arena, sizeof *p);
  p->family = fam;
  p->point = point;
  p->user_point = cx->user_point;
  p->item = cx->item;
  p->optional = cx->optional;
  p->body = ast_clone_stmt(S->arena, body);
  p->cond = ast_clone_expr(S->arena, cx->cond);
  vec_push(&S->prog->probes, S->arena, p);
  return p;
}

static bool num_arg(Sema *S, const ProbeComp *c, int64_t *out) {
  if (!c->arg || c->arg->kind != E_NUM) {
    sema_error(S, c->loc, arena_printf(S->arena, "identifier '%s'", c->name),
               "probe point component '%s' needs a number, as in %s(100)", c->name, c->name);
    return false;
  }
  *out = c->arg->num;
  return true;
}

static const char *str_arg(Sema *S, const ProbeComp *c) {
  if (!c->arg || c->arg->kind != E_STR) {
    sema_error(S, c->loc, arena_printf(S->arena, "identifier '%s'", c->name),
               "probe point component '%s' needs a string, as in %s(\"name\")", c->name, c->name);
    return NULL;
  }
  return c->arg->str;
}

/* begin, end, error [(N)], never */
static int expand_special(Sema *S, Ctx *cx, const Vec *comps, Stmt *body) {
  const ProbeComp *c = comp(comps, 0);
  if (comps->len != 1) return 0;
  ProbeFamily fam = strcmp(c->name, "begin") == 0 ? PF_BEGIN
                    : strcmp(c->name, "end") == 0 ? PF_END
                    : strcmp(c->name, "error") == 0 ? PF_ERROR : PF_NEVER;
  if (fam == PF_NEVER && c->arg) return 0;
  Probe *p = new_probe(S, cx, fam, comps_text(S, comps), body);
  if (c->arg && !num_arg(S, c, &p->sequence)) return -1;
  return 1;
}

/* timer.(s|ms|us|ns|hz|jiffies)(N)[.randomize(N)], timer.profile[.tick] */
static int expand_timer(Sema *S, Ctx *cx, const Vec *comps, Stmt *body) {
  const ProbeComp *unit = comp(comps, 1);
  if (!unit) return 0;
  if (strcmp(unit->name, "profile") == 0) {
    if (comps->len > 3 || (comps->len == 3 && !comp_is(comps, 2, "tick"))) return 0;
    new_probe(S, cx, PF_PROFILE, comps_text(S, comps), body);
    return 1;
  }
  static const struct {
    const char *name;
    int64_t ns;
  } units[] = {{"s", 1000000000}, {"sec", 1000000000}, {"ms", 1000000}, {"msec", 1000000},
               {"us", 1000}, {"usec", 1000}, {"ns", 1}, {"nsec", 1}, {"hz", 0},
               {"jiffies", -1}};
  size_t u = 0;
  while (u < sizeof units / sizeof *units && strcmp(units[u].name, unit->name) != 0) u++;
  if (u == sizeof units / sizeof *units) return 0;
  int64_t n, rnd = 0;
  if (!num_arg(S, unit, &n)) return -1;
  if (n <= 0) {
    sema_error(S, unit->loc, arena_printf(S->arena, "number '%lld'", (long long)n),
               "timer interval must be positive");
    return -1;
  }
  if (comps->len == 3) {
    const ProbeComp *r = comp(comps, 2);
    if (strcmp(r->name, "randomize") != 0) return 0;
    if (!num_arg(S, r, &rnd)) return -1;
    /* stapprobes: M is smaller than N; hertz timers are not randomized */
    if (units[u].ns == 0) {
      sema_error(S, r->loc, arena_printf(S->arena, "identifier '%s'", r->name),
                 "randomization is not supported for hertz timers");
      return -1;
    }
    if (rnd < 0 || rnd >= n) {
      sema_error(S, r->arg ? r->arg->loc : r->loc, arena_printf(S->arena, "number '%lld'", (long long)rnd),
                 "invalid randomize for a timer: it must be from 0 to less than the "
                 "interval (%lld)", (long long)n);
      return -1;
    }
  } else if (comps->len > 3) {
    return 0;
  }
  int64_t per = units[u].ns;
  int64_t hz = target_config_hz(S->target);
  int64_t period = per > 0 ? n * per : per == 0 ? 1000000000 / n : n * (1000000000 / hz);
  int64_t rperiod = per > 0 ? rnd * per : per == 0 ? 0 : rnd * (1000000000 / hz);
  Probe *p = new_probe(S, cx, PF_TIMER, comps_text(S, comps), body);
  p->period_ns = period;
  p->randomize_ns = rperiod;
  return 1;
}

static void add_return_var(Sema *S, Probe *p, const char *ctype, int btf_id) {
  TargetVar *v = arena_alloc(S->arena, sizeof *v);
  v->name = "return";
  v->ctype = ctype;
  v->btf_id = btf_id;
  vec_push(&p->vars, S->arena, v);
}

/* "vfs_read@fs/read_write.c:12" -> "vfs_read" (the file and line are
 * expand_kfunc's, from DWARF). */
static const char *function_part(Sema *S, const char *spec) {
  return arena_strndup(S->arena, spec, strcspn(spec, "@"));
}

/* The source-file part of a function spec, "FUNC@FILE[:LINE[-LINE]|:*]". */
typedef struct FileSpec {
  const char *file; /* a glob over the declaration's file */
  int line, line_end; /* 0: any line */
} FileSpec;

/* Split spec's "@FILE[:LINE[-LINE]|:*]"; false (an error reported) when
 * the line is not a number, a range or '*'. */
static bool file_part(Sema *S, const ProbeComp *fc, const char *spec, FileSpec *fs) {
  const char *file = strchr(spec, '@') + 1;
  const char *colon = strrchr(file, ':');
  fs->file = colon ? arena_strndup(S->arena, file, (size_t)(colon - file)) : file;
  fs->line = fs->line_end = 0;
  if (!colon || strcmp(colon, ":*") == 0) return true;
  char *end;
  long lo = strtol(colon + 1, &end, 10), hi = lo;
  if (*end == '-' && end[1] >= '0' && end[1] <= '9') hi = strtol(end + 1, &end, 10);
  if (colon[1] < '0' || colon[1] > '9' || *end || lo <= 0 || hi < lo || hi > 100000000) {
    sema_error(S, fc->loc, arena_printf(S->arena, "string \"%s\"", spec),
               "bad line number in \"%s\": expected FUNCTION@FILE:LINE or "
               "FUNCTION@FILE:FIRST-LAST", spec);
    return false;
  }
  fs->line = (int)lo;
  fs->line_end = (int)hi;
  return true;
}

/* kernel.function("pattern")[.call|.return|.exported]; the pattern's
 * "@FILE[:LINE]" keeps the functions declared there, which only DWARF
 * knows.  Without it a single function's name is still checked, but a
 * glob cannot be narrowed: a clear error. */
static int expand_kfunc(Sema *S, Ctx *cx, const Vec *comps, Stmt *body, size_t at,
                        bool statement) {
  const ProbeComp *fc = comp(comps, at);
  const char *spec = str_arg(S, fc);
  if (!spec) return -1;
  bool ret = false;
  const char *suffix = ""; /* the point's .call, .exported, .return */
  for (size_t i = at + 1; i < comps->len; i++) {
    const char *n = ((ProbeComp *)comps->items[i])->name;
    if (statement && strcmp(n, "absolute") == 0) continue;
    if (!statement && strcmp(n, "return") == 0) ret = true;
    else if (statement || (strcmp(n, "call") != 0 && strcmp(n, "exported") != 0)) return 0;
    suffix = arena_printf(S->arena, "%s.%s", suffix, n);
  }
  const char *glob = function_part(S, spec);
  const char *why = NULL;
  if (statement && strchr(spec, ':')) {
    bool dwarf = target_dwarf_vmlinux(S->target, &why) != NULL;
    sema_error(S, fc->loc, arena_printf(S->arena, "string \"%s\"", spec),
               dwarf ? "kernel.statement at a source line is not supported; probe the "
                       "function's entry instead, as in kernel.statement(\"%s\")"
                     : "kernel.statement with a source line needs DWARF debuginfo; this "
                       "target describes the kernel with BTF, which has no line table",
               glob);
    return -1;
  }
  Vec names = {0}, funcs = {0}; /* by name only (const char *), or TargetFunc * */
  if (strchr(spec, '@')) {
    FileSpec fs;
    if (!file_part(S, fc, spec, &fs)) return -1;
    if (!target_functions_by_file(S->target, glob, fs.file, fs.line, fs.line_end, &funcs,
                                  &why)) {
      if (strpbrk(glob, "*?[")) {
        sema_error(S, fc->loc, arena_printf(S->arena, "string \"%s\"", spec),
                   "choosing functions by source file (\"%s\") needs the kernel's DWARF "
                   "debuginfo (%s); install it (Debian: linux-image-%s-dbg), or name the "
                   "functions instead, as in \"sock_*\"",
                   spec, why, S->target->kernel->release);
        return -1;
      }
      target_functions_matching(S->target, glob, &names); /* the name alone */
    }
  } else {
    target_functions_matching(S->target, glob, &names);
  }
  for (size_t i = 0; i < names.len; i++) {
    TargetFunc *f = arena_alloc(S->arena, sizeof *f);
    f->name = names.items[i];
    vec_push(&funcs, S->arena, f);
  }
  for (size_t i = 0; i < funcs.len; i++) {
    const TargetFunc *f = funcs.items[i];
    const char *fn = f->name;
    /* as stap names it: where DWARF says it is declared, when it is known */
    const char *point =
        f->file ? arena_printf(S->arena, "kernel.%s(\"%s@%s:%d\")%s",
                               statement ? "statement" : "function", fn, f->file, f->line, suffix)
                : arena_printf(S->arena, "kernel.%s(\"%s\")%s",
                               statement ? "statement" : "function", fn, suffix);
    Probe *p = new_probe(S, cx, statement ? PF_KSTATEMENT : PF_KFUNC, point, body);
    p->target = fn;
    p->address = (int64_t)f->entry;
    p->is_return = ret;
    int ret_id = 0;
    if (target_function_params(S->target, fn, &p->vars, &ret_id) && ret)
      add_return_var(S, p, target_type_name(S->target, ret_id), ret_id);
    else if (ret && !p->vars.len)
      add_return_var(S, p, "long", 0);
  }
  return (int)funcs.len;
}

/* kernel.trace("system:event") or kernel.trace("event") */
static int expand_trace(Sema *S, Ctx *cx, const Vec *comps, Stmt *body) {
  if (comps->len != 2) return 0;
  const char *spec = str_arg(S, comp(comps, 1));
  if (!spec) return -1;
  const char *colon = strchr(spec, ':');
  const char *sys = colon ? arena_strndup(S->arena, spec, (size_t)(colon - spec)) : "*";
  const char *ev = colon ? colon + 1 : spec;
  Vec evs = {0};
  target_events_matching(S->target, sys, ev, &evs);
  for (size_t i = 0; i < evs.len; i++) {
    TargetEvent *e = evs.items[i];
    const char *name = arena_printf(S->arena, "%s:%s", e->system, e->event);
    Probe *p = new_probe(S, cx, PF_TRACEPOINT,
                         arena_printf(S->arena, "kernel.trace(\"%s\")", name), body);
    p->target = name;
    const Vec *vars = target_event_vars(S->target, e);
    for (size_t k = 0; k < vars->len; k++) vec_push(&p->vars, S->arena, vars->items[k]);
  }
  return (int)evs.len;
}

/* syscall.NAME[.return], NAME a glob */
static int expand_syscall(Sema *S, Ctx *cx, const Vec *comps, Stmt *body) {
  const ProbeComp *nc = comp(comps, 1);
  if (!nc || nc->arg) return 0;
  bool ret = comps->len == 3 && comp_is(comps, 2, "return");
  if (comps->len > 3 || (comps->len == 3 && !ret)) return 0;
  Vec scs = {0};
  target_syscalls_matching(S->target, nc->name, &scs);
  for (size_t i = 0; i < scs.len; i++) {
    TargetSyscall *sc = scs.items[i];
    Stmt *pro = syscall_prologue(S, sc, ret);
    if (!pro) return -1;
    const char *point = arena_printf(S->arena, "syscall.%s%s", sc->name, ret ? ".return" : "");
    Probe *p = new_probe(S, cx, PF_SYSCALL, point, block_of(S, pro, body, NULL, nc->loc));
    p->target = sc->name;
    p->is_return = ret;
    const Vec *sargs = target_syscall_args(S->target, sc);
    for (size_t k = 0; k < sargs->len; k++) vec_push(&p->vars, S->arena, sargs->items[k]);
    if (ret) add_return_var(S, p, "long", 0);
  }
  return (int)scs.len;
}

/* One probe per function of the ELF file at path matching spec, at
 * PREFIX.KIND("sym")[.return]: a program's (process("path")) or a
 * module's (module("m"), with the parameters its BTF gives). */
static int expand_usyms(Sema *S, Ctx *cx, const ProbeComp *pc, const char *path,
                        const char *spec, const char *prefix, const char *kind,
                        const char *module, bool ret, Stmt *body) {
  Vec syms = {0};
  const char *err = usym_functions(path, function_part(S, spec), S->arena, &syms);
  if (err) {
    sema_error(S, pc->loc, "probe point", "%s", err);
    return -1;
  }
  for (size_t i = 0; i < syms.len; i++) {
    USym *u = syms.items[i];
    Probe *p = new_probe(S, cx, module ? PF_KFUNC : PF_UFUNC,
                         arena_printf(S->arena, "%s.%s(\"%s\")%s", prefix, kind, u->name,
                                      ret ? ".return" : ""),
                         body);
    p->is_return = ret;
    if (module) {
      p->target = u->name;
      p->module = module;
      target_module_function_params(S->target, module, u->name, &p->vars);
    } else {
      p->target = path;
      p->symbol = u->name;
      /* Parameters from DWARF, when the executable has it (without, the
       * probe has no $variables); a return probe has them too (their
       * values at entry, which the bpf runtime takes there) and $return. */
      TargetVar *rv;
      const char *arch = S->target->kernel ? S->target->kernel->arch : NULL;
      if (!uparams_of(path, u->name, u->addr, arch, S->arena, &p->vars, &rv) && ret && rv) {
        vec_push(&p->vars, S->arena, rv);
        continue;
      }
    }
    if (ret) add_return_var(S, p, "long", 0);
  }
  return (int)syms.len;
}

/* module("m").function("pattern")[.call|.return]: the module's .ko on
 * disk gives the functions (its symbol table) and their parameters (its
 * split BTF). */
static int expand_module(Sema *S, Ctx *cx, const Vec *comps, Stmt *body) {
  const ProbeComp *mc = comp(comps, 0), *fc = comp(comps, 1);
  const char *m = str_arg(S, mc);
  const char *spec = m ? str_arg(S, fc) : NULL;
  if (!spec) return -1;
  bool ret = comps->len == 3 && comp_is(comps, 2, "return");
  if (comps->len > 3 || (comps->len == 3 && !ret && !comp_is(comps, 2, "call"))) return 0;
  const char *path = target_module_path(S->target, m);
  if (!path) {
    if (cx->optional) return 0;
    sema_error(S, mc->loc, arena_printf(S->arena, "string \"%s\"", m),
               "module '%s' is not among the target kernel's modules", m);
    return -1;
  }
  return expand_usyms(S, cx, mc, path, spec, arena_printf(S->arena, "module(\"%s\")", m),
                      "function", m, ret, body);
}

/* process[("path")].begin/end, process("path").function("sym")[.return] */
static int expand_process(Sema *S, Ctx *cx, const Vec *comps, Stmt *body) {
  const ProbeComp *pc = comp(comps, 0), *what = comp(comps, 1);
  if (!what) return 0;
  const char *path = NULL;
  if (pc->arg && pc->arg->kind == E_STR) {
    path = usym_resolve_path(pc->arg->str, S->arena);
    if (!path) {
      sema_error(S, pc->loc, arena_printf(S->arena, "string \"%s\"", pc->arg->str),
                 "cannot find executable '%s'", pc->arg->str);
      return -1;
    }
  }
  if ((strcmp(what->name, "begin") == 0 || strcmp(what->name, "end") == 0) && comps->len == 2) {
    Probe *p = new_probe(S, cx, what->name[0] == 'b' ? PF_PROCESS_BEGIN : PF_PROCESS_END,
                         path ? arena_printf(S->arena, "process(\"%s\").%s", path, what->name)
                              : comps_text(S, comps),
                         body);
    p->target = path;
    return 1;
  }
  if (strcmp(what->name, "statement") == 0 && path && comps->len == 2) {
    /* statement(ADDR), or statement("func") at the function's entry; a
     * source line needs DWARF. */
    if (what->arg && what->arg->kind == E_NUM) {
      Probe *p = new_probe(S, cx, PF_UFUNC, arena_printf(S->arena, "process(\"%s\").statement(0x%llx)",
                                                          path, (unsigned long long)what->arg->num), body);
      p->target = path;
      p->address = what->arg->num;
      return 1;
    }
    const char *spec = str_arg(S, what);
    if (!spec) return -1;
    if (strchr(spec, ':')) {
      sema_error(S, what->loc, arena_printf(S->arena, "string \"%s\"", spec),
                 "a statement by source line needs the program's DWARF debuginfo; "
                 "give a function name or an address");
      return -1;
    }
    return expand_usyms(S, cx, pc, path, spec, arena_printf(S->arena, "process(\"%s\")", path),
                        "statement", NULL, false, body);
  }
  if (strcmp(what->name, "function") != 0 || !path) return 0;
  bool ret = comps->len == 3 && comp_is(comps, 2, "return");
  if (comps->len > 3 || (comps->len == 3 && !ret && !comp_is(comps, 2, "call"))) return 0;
  const char *glob = str_arg(S, what);
  if (!glob) return -1;
  return expand_usyms(S, cx, pc, path, glob, arena_printf(S->arena, "process(\"%s\")", path),
                      "function", NULL, ret, body);
}

/* perf.(hw|sw).NAME[.sample(N)][.process]: .process counts the -c/-x
 * target process only. */
static int expand_perf(Sema *S, Ctx *cx, const Vec *comps, Stmt *body) {
  const ProbeComp *type = comp(comps, 1), *name = comp(comps, 2);
  if (!type || !name || strpbrk(name->name, "*?[")) return 0;
  static const char *const hw[] = {"cpu_cycles", "cycles", "instructions", "cache_references",
                                   "cache_misses", "branch_instructions", "branches",
                                   "branch_misses", "bus_cycles", "stalled_cycles_frontend",
                                   "stalled_cycles_backend", "ref_cpu_cycles", NULL};
  static const char *const sw[] = {"cpu_clock", "task_clock", "page_faults", "faults",
                                   "context_switches", "cs", "cpu_migrations", "migrations",
                                   "page_faults_min", "minor_faults", "page_faults_maj",
                                   "major_faults", "alignment_faults", "emulation_faults", NULL};
  const char *const *known = strcmp(type->name, "hw") == 0 ? hw
                             : strcmp(type->name, "sw") == 0 ? sw : NULL;
  if (!known) return 0;
  size_t k = 0;
  while (known[k] && strcmp(known[k], name->name) != 0) k++;
  if (!known[k]) return 0;
  int64_t sample = 1000000;
  bool target = false;
  for (size_t i = 3; i < comps->len; i++) {
    const ProbeComp *c = comp(comps, i);
    if (strcmp(c->name, "sample") == 0 && !target) {
      if (!num_arg(S, c, &sample)) return -1;
    } else if (strcmp(c->name, "process") == 0 && i == comps->len - 1) {
      if (c->arg) {
        sema_error(S, c->loc, "probe point", "perf counters of processes by name "
                   "(.process(\"NAME\")) are not available on the bpf runtime; "
                   ".process counts the target process (-c, -x)");
        return -1;
      }
      target = true;
    } else {
      return 0;
    }
  }
  Probe *p = new_probe(S, cx, PF_PERF, comps_text(S, comps), body);
  p->perf_event = arena_printf(S->arena, "%s.%s", type->name, name->name);
  p->period_ns = sample;
  p->perf_target = target;
  return 1;
}

/* The built-in families; 0 when comps names none of them. */
static int expand_builtin(Sema *S, Ctx *cx, const Vec *comps, Stmt *body) {
  const ProbeComp *c0 = comp(comps, 0);
  const char *f = c0->name;
  if (!strcmp(f, "begin") || !strcmp(f, "end") || !strcmp(f, "error") || !strcmp(f, "never"))
    return expand_special(S, cx, comps, body);
  if (!strcmp(f, "timer") && !c0->arg) return expand_timer(S, cx, comps, body);
  if (!strcmp(f, "kernel") && !c0->arg && comps->len >= 2) {
    if (comp_is(comps, 1, "function")) return expand_kfunc(S, cx, comps, body, 1, false);
    if (comp_is(comps, 1, "statement")) return expand_kfunc(S, cx, comps, body, 1, true);
    if (comp_is(comps, 1, "trace")) return expand_trace(S, cx, comps, body);
    return 0;
  }
  if (!strcmp(f, "module") && comps->len >= 2 && comp_is(comps, 1, "function"))
    return expand_module(S, cx, comps, body);
  if (!strcmp(f, "syscall") && !c0->arg) return expand_syscall(S, cx, comps, body);
  if (!strcmp(f, "process")) return expand_process(S, cx, comps, body);
  if (!strcmp(f, "perf") && !c0->arg) return expand_perf(S, cx, comps, body);
  return 0;
}

static bool comp_matches(const ProbeComp *user, const ProbeComp *alias) {
  if (fnmatch(user->name, alias->name, 0) != 0) return false;
  if (!user->arg && !alias->arg) return true;
  if (!user->arg || !alias->arg || user->arg->kind != alias->arg->kind) return false;
  if (user->arg->kind == E_NUM) return user->arg->num == alias->arg->num;
  return strcmp(user->arg->str, alias->arg->str) == 0;
}

static int expand_point(Sema *S, Ctx *cx, const Vec *comps, Stmt *body, int depth);

/* Expand every target point of alias A for a user point that matched its
 * name over `matched` components. */
static int expand_alias(Sema *S, Ctx *cx, const Item *A, const Vec *comps, size_t matched,
                        Stmt *body, int depth) {
  Stmt *composed = A->alias == ALIAS_PROLOGUE
                       ? block_of(S, A->body, body, A->epilogue, A->loc)
                       : block_of(S, body, A->body, NULL, A->loc);
  int total = 0;
  for (size_t i = 0; i < A->points.len; i++) {
    ProbePoint *tp = A->points.items[i];
    Vec target = {0};
    for (size_t k = 0; k < tp->comps.len; k++) vec_push(&target, S->arena, tp->comps.items[k]);
    for (size_t k = matched; k < comps->len; k++) vec_push(&target, S->arena, comps->items[k]);
    Ctx inner = *cx;
    inner.optional = cx->optional || tp->optional;
    int n = expand_point(S, &inner, &target, composed, depth + 1);
    if (n < 0) return n;
    total += n;
    if (n > 0 && tp->sufficient) break;
  }
  return total;
}


static int expand_point(Sema *S, Ctx *cx, const Vec *comps, Stmt *body, int depth) {
  if (depth > MAX_ALIAS_DEPTH) {
    sema_error(S, ((ProbeComp *)comps->items[0])->loc, "probe point",
               "probe alias expansion too deep (a recursive alias?)");
    return -1;
  }
  if (front_load_alias_files(S->front, ((ProbeComp *)comps->items[0])->name))
    sema_register_new_files(S);
  /* Aliases whose whole name matches, else those matching a prefix. */
  for (int pass = 0; pass < 2; pass++) {
    int total = 0;
    bool any = false;
    for (size_t a = 0; a < S->aliases.len; a++) {
      const Item *A = S->aliases.items[a];
      const ProbePoint *name = A->alias_names.items[0];
      size_t n = name->comps.len;
      if (pass == 0 ? n != comps->len : n >= comps->len) continue;
      size_t k = 0;
      while (k < n && comp_matches(comps->items[k], name->comps.items[k])) k++;
      if (k != n) continue;
      any = true;
      int r = expand_alias(S, cx, A, comps, n, body, depth);
      if (r < 0) return r;
      total += r;
    }
    if (any) return total;
  }
  return expand_builtin(S, cx, comps, body);
}

static void collect_names(Sema *S, Vec *out) {
  static const char *const families[] = {"begin", "end", "error", "never", "timer", "kernel",
                                         "module", "syscall", "process", "perf"};
  for (size_t i = 0; i < sizeof families / sizeof *families; i++)
    vec_push(out, S->arena, (void *)families[i]);
  for (size_t a = 0; a < S->aliases.len; a++) {
    const Item *A = S->aliases.items[a];
    const ProbePoint *pp = A->alias_names.items[0];
    vec_push(out, S->arena, (void *)comps_text(S, &pp->comps));
  }
}

void probes_expand_item(Sema *S, Item *it) {
  for (size_t i = 0; i < it->points.len; i++) {
    ProbePoint *pp = it->points.items[i];
    StrBuf sb;
    sb_init(&sb);
    printer_probe_point(&sb, &(ProbePoint){.comps = pp->comps});
    Ctx cx = {it, arena_strdup(S->arena, sb_cstr(&sb)), pp->cond, pp->optional};
    sb_free(&sb);
    int before = S->diag->errors;
    int n = expand_point(S, &cx, &pp->comps, it->body, 0);
    if (n == 0 && !pp->optional && S->diag->errors == before) {
      Vec names = {0};
      collect_names(S, &names);
      const char *first = ((ProbeComp *)pp->comps.items[0])->name;
      const char *sugg = sema_suggest(cx.user_point, &names);
      if (!sugg) sugg = sema_suggest(first, &names);
      sema_error(S, pp->loc, arena_printf(S->arena, "identifier '%s'", first),
                 "no match for probe point %s%s%s%s", cx.user_point,
                 sugg ? " (similar: " : "", sugg ? sugg : "", sugg ? ")" : "");
    }
    if (n > 0 && pp->sufficient) break;
  }
}
