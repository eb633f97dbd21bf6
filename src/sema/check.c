/* check: binding and type inference (pass 2).  Each probe body and each
 * used function body is walked once to bind identifiers (locals, globals,
 * functions, $targets), then repeatedly to infer types until nothing
 * changes; the last walk reports what stayed unresolved. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "runtime/common/format.h"
#include "runtime/common/regex.h"
#include "sema/sema_int.h"

enum { MAX_ROUNDS = 64 };

/* ---- Scopes ---- */

static Vec *scope_locals(Sema *S) {
  return S->cur_func ? &S->cur_func->locals : &S->cur_probe->locals;
}

static Symbol *find_local(Sema *S, const char *name) {
  if (S->cur_func)
    for (size_t i = 0; i < S->cur_func->params.len; i++) {
      Symbol *p = S->cur_func->params.items[i];
      if (strcmp(p->name, name) == 0) return p;
    }
  Vec *l = scope_locals(S);
  for (size_t i = 0; i < l->len; i++) {
    Symbol *s = l->items[i];
    if (strcmp(s->name, name) == 0) return s;
  }
  return NULL;
}

static const char *ident(Sema *S, const char *name) {
  return arena_printf(S->arena, "identifier '%s'", name);
}

/* A variable reference: a local or parameter, else a global, else a new
 * local.  as_array: used with indices (which locals cannot be). */
static Symbol *bind_var(Sema *S, Expr *e, const char *name, bool as_array) {
  Symbol *s = find_local(S, name);
  if (!s) s = sema_global(S, name, e->loc.file);
  if (s) return s;
  if (as_array) {
    sema_error(S, e->loc, ident(S, name),
               "unresolved array '%s', missing global declaration?", name);
    return NULL;
  }
  s = sema_new_symbol(S, name, SYM_LOCAL, e->loc);
  s->arity = 0;
  s->from_library = e->loc.file && e->loc.file->is_tapset;
  vec_push(scope_locals(S), S->arena, s);
  return s;
}

static void set_arity(Sema *S, Symbol *s, int arity, SrcLoc loc) {
  if (!s) return;
  if (s->arity < 0) {
    s->arity = arity;
  } else if (s->arity != arity) {
    const char *is = s->arity ? arena_printf(S->arena, "an array with %d index%s", s->arity,
                                             s->arity == 1 ? "" : "es")
                              : "a scalar";
    if (arity)
      sema_error(S, loc, ident(S, s->name), "'%s' used as an array with %d index%s, but it is %s",
                 s->name, arity, arity == 1 ? "" : "es", is);
    else
      sema_error(S, loc, ident(S, s->name), "'%s' used as a scalar, but it is %s", s->name, is);
    s->arity = arity; /* report once */
  }
}

/* ---- Types ---- */

static void unify(Sema *S, VType *slot, SrcLoc *slot_loc, VType t, SrcLoc loc,
                  const char *what) {
  if (t == VT_UNKNOWN) return;
  if (*slot == VT_UNKNOWN) {
    *slot = t;
    if (slot_loc) *slot_loc = loc;
    S->changed = true;
    return;
  }
  if (*slot != t) {
    sema_error(S, loc, what, "type mismatch (%s vs. %s)", vtype_name(t), vtype_name(*slot));
    if (slot_loc && slot_loc->file)
      diag_error(S->diag, "semantic error", *slot_loc, what,
                 "type was first inferred here (%s)", vtype_name(*slot));
    *slot = t; /* report once */
  }
}

static void sym_type(Sema *S, Symbol *s, VType t, SrcLoc loc) {
  if (s) unify(S, &s->type, &s->type_loc, t, loc, ident(S, s->name));
}

static VType infer(Sema *S, Expr *e, VType want);
static VType value_type(Sema *S, int id, bool *ok);
static void check_stmt(Sema *S, Stmt *st);

static Function *cur_function_for_call(Sema *S, Expr *e) {
  Vec *fns = sema_functions_named(S, e->name);
  Function *best = NULL;
  for (size_t i = 0; fns && i < fns->len; i++) {
    Function *f = fns->items[i];
    if (f->params.len != e->args.len) continue;
    /* A private function is seen only from its own file. */
    if (f->item->private_ && f->item->file != e->loc.file) continue;
    /* The user's own definition wins over the library's (priority 0 < 1). */
    if (!best || (best->item->file->is_tapset && !f->item->file->is_tapset)) best = f;
  }
  if (!best) {
    if (fns && fns->len) {
      Function *f = fns->items[0];
      sema_error(S, e->loc, arena_printf(S->arena, "identifier '%s'", e->name),
                 "function '%s' takes %zu argument%s, given %zu", e->name, f->params.len,
                 f->params.len == 1 ? "" : "s", e->args.len);
    } else {
      Vec names = {0};
      HashMap *m = &S->functions;
      for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key) vec_push(&names, S->arena, (void *)m->slots[i].key);
      const char *sugg = sema_suggest(e->name, &names);
      sema_error(S, e->loc, arena_printf(S->arena, "identifier '%s'", e->name),
                 "unresolved function '%s'%s%s%s", e->name, sugg ? " (similar: " : "",
                 sugg ? sugg : "", sugg ? ")" : "");
    }
  }
  return best;
}

static const char *const print_family[] = {"print", "println", "printf", "printd", "printdln",
                                           "sprint", "sprintln", "sprintf", "sprintd",
                                           "sprintdln", NULL};

static int print_function(const char *name) {
  for (int i = 0; print_family[i]; i++)
    if (strcmp(print_family[i], name) == 0) return i;
  return -1;
}

bool sema_print_function(const char *name) { return print_function(name) >= 0; }

static VType conv_type(FmtConv c) {
  return c == FMT_STRING ? VT_STRING : c == FMT_LITERAL ? VT_UNKNOWN : VT_LONG;
}

/* print(...), printf(fmt, ...) and the rest of the family. */
static VType infer_print(Sema *S, Expr *e, int which) {
  const char *name = print_family[which];
  bool returns_string = name[0] == 's';
  bool formatted = strstr(name, "printf") != NULL;
  bool delimited = strstr(name, "printd") != NULL;
  size_t first = 0;
  if ((formatted || delimited) && e->args.len == 0) {
    sema_error(S, e->loc, ident(S, name), "%s needs a %s", name,
               formatted ? "format string" : "delimiter string");
    return VT_UNKNOWN;
  }
  if (formatted) {
    Expr *f = e->args.items[0];
    FmtDirective d[64];
    size_t bad;
    int n = fmt_parse(f->str, f->len, d, 64, &bad);
    size_t arg = 1;
    for (int i = 0; i < n && i < 64; i++) {
      int need = fmt_args(&d[i]);
      for (int k = 0; k < need; k++, arg++) {
        if (arg >= e->args.len) {
          sema_error(S, e->loc, ident(S, name),
                     "too few arguments to %s: the format needs more than %zu", name,
                     e->args.len - 1);
          return returns_string ? VT_STRING : VT_LONG;
        }
        VType want = k < need - 1 ? VT_LONG : conv_type(d[i].conv);
        Expr *a = e->args.items[arg];
        VType got = infer(S, a, want);
        if (got != VT_UNKNOWN && want != VT_UNKNOWN && got != want && S->final_round)
          sema_error(S, a->loc, "argument",
                     "type mismatch: format %s wants %s, argument %zu is %s",
                     d[i].conv == FMT_STRING ? "%s" : "conversion", vtype_name(want), arg,
                     vtype_name(got));
      }
    }
    if (arg < e->args.len)
      sema_error(S, ((Expr *)e->args.items[arg])->loc, ident(S, name),
                 "too many arguments to %s: the format uses %zu", name, arg - 1);
    infer(S, f, VT_STRING);
    return returns_string ? VT_STRING : VT_LONG;
  }
  if (delimited) {
    infer(S, e->args.items[0], VT_STRING);
    first = 1;
  }
  for (size_t i = first; i < e->args.len; i++) {
    Expr *a = e->args.items[i];
    VType t = infer(S, a, VT_UNKNOWN);
    if (t == VT_STATS && a->kind != E_HIST)
      sema_error(S, a->loc, "argument", "statistics cannot be printed; use @count, @sum, ...");
  }
  return returns_string ? VT_STRING : VT_LONG;
}

/* ---- $target variables ---- */

static const TargetVar *find_var(Sema *S, const char *name) {
  if (!S->cur_probe) return NULL;
  for (size_t i = 0; i < S->cur_probe->vars.len; i++) {
    const TargetVar *v = S->cur_probe->vars.items[i];
    if (strcmp(v->name, name) == 0) return v;
  }
  return NULL;
}

static int skip_mods(struct btf *b, int id) {
  for (int i = 0; i < 32 && id; i++) {
    const struct btf_type *t = btf__type_by_id(b, (unsigned)id);
    if (!t) return 0;
    int k = btf_kind(t);
    if (k != BTF_KIND_TYPEDEF && k != BTF_KIND_CONST && k != BTF_KIND_VOLATILE &&
        k != BTF_KIND_RESTRICT && k != BTF_KIND_TYPE_TAG)
      return id;
    id = (int)t->type;
  }
  return id;
}

/* Find member `name` in struct/union `id` (searching anonymous members). */
static int find_member(struct btf *b, int id, const char *name) {
  const struct btf_type *t = btf__type_by_id(b, (unsigned)id);
  if (!t || (btf_kind(t) != BTF_KIND_STRUCT && btf_kind(t) != BTF_KIND_UNION)) return 0;
  const struct btf_member *m = btf_members(t);
  for (unsigned i = 0; i < btf_vlen(t); i++) {
    const char *mn = btf__name_by_offset(b, m[i].name_off);
    if (mn && strcmp(mn, name) == 0) return (int)m[i].type;
    if (!mn || !*mn) {
      int r = find_member(b, skip_mods(b, (int)m[i].type), name);
      if (r) return r;
    }
  }
  return 0;
}

/* The script type of a final BTF type: numbers and pointers are longs,
 * char arrays strings, anything else cannot be a value.  (A chain that
 * ends in an array gives its address instead: see chain_value.) */
static VType value_type(Sema *S, int id, bool *ok) {
  struct btf *b = target_btf(S->target, NULL);
  *ok = true;
  if (!b || !id) return VT_LONG;
  id = skip_mods(b, id);
  const struct btf_type *t = btf__type_by_id(b, (unsigned)id);
  switch (btf_kind(t)) {
  case BTF_KIND_INT: case BTF_KIND_PTR: case BTF_KIND_ENUM: case BTF_KIND_ENUM64:
    return VT_LONG;
  case BTF_KIND_ARRAY: {
    int el = skip_mods(b, (int)btf_array(t)->type);
    const struct btf_type *et = btf__type_by_id(b, (unsigned)el);
    if (btf_kind(et) == BTF_KIND_INT && et->size == 1) return VT_STRING;
    *ok = false;
    return VT_LONG;
  }
  default:
    *ok = false;
    return VT_LONG;
  }
}

/* Follow ->member and [index] steps from BTF type id through e's chain;
 * returns the final type or 0 (reported). */
static int follow_chain(Sema *S, Expr *e, int id) {
  struct btf *b = target_btf(S->target, NULL);
  for (size_t i = 0; i < e->comps.len; i++) {
    TargetComp *c = e->comps.items[i];
    if (c->is_index) infer(S, c->index, VT_LONG);
    if (!b || !id) continue;
    int cur = skip_mods(b, id);
    const struct btf_type *t = btf__type_by_id(b, (unsigned)cur);
    if (c->is_index) {
      if (btf_kind(t) == BTF_KIND_PTR) id = (int)t->type;
      else if (btf_kind(t) == BTF_KIND_ARRAY) id = (int)btf_array(t)->type;
      else {
        sema_error(S, c->loc, "operator '['", "cannot index type %s",
                   target_type_name(S->target, cur));
        return 0;
      }
    } else {
      if (btf_kind(t) == BTF_KIND_PTR) {
        cur = skip_mods(b, (int)t->type);
        t = btf__type_by_id(b, (unsigned)cur);
      }
      int m = find_member(b, cur, c->name);
      if (!m) {
        sema_error(S, c->loc, arena_printf(S->arena, "identifier '%s'", c->name),
                   "%s has no member '%s'", target_type_name(S->target, cur), c->name);
        return 0;
      }
      id = m;
    }
    c->btf_id = id;
  }
  return id;
}

/* An array reached through a pointer ($p->comm, @cast(...)->buf) is its
 * address, as stap gives it (kernel_string($p->comm) reads it); a char
 * array in a tracepoint's own record is its text. */
static bool array_is_address(Sema *S, const Expr *e, int final) {
  struct btf *b = target_btf(S->target, NULL);
  if (!b || !final) return false;
  const struct btf_type *t = btf__type_by_id(b, (unsigned)skip_mods(b, final));
  if (!t || !btf_is_array(t)) return false;
  const TargetVar *v = e->kind == E_TARGET ? e->ref : NULL;
  return e->comps.len || !v || !v->is_field;
}

static VType chain_value(Sema *S, Expr *e, int id) {
  if (e->pretty) {
    /* $x$, $x$$: the members as text (pretty.c) */
    if (S->cur_func) return VT_STRING;
    sema_expand_pretty(S, e, follow_chain(S, e, id));
    return infer(S, e, VT_STRING);
  }
  int final = follow_chain(S, e, id);
  if (e->addr_of || array_is_address(S, e, final)) return VT_LONG;
  bool ok;
  VType t = value_type(S, final, &ok);
  if (!ok && S->final_round)
    sema_error(S, e->loc, "target", "'%s' is a %s, not a number or string; use ->member, or "
               "a '$' suffix to print it", e->kind == E_TARGET ? e->name : "@cast",
               target_type_name(S->target, final));
  return t;
}

/* The BTF type an expression's value has, when pass 2 knows it. */
static int expr_btf_type(const Expr *e) {
  switch (e->kind) {
  case E_TARGET: case E_CAST: case E_VARREF: case E_AUTOCAST: {
    if (e->addr_of || e->pretty) return 0;
    if (e->comps.len) return ((TargetComp *)vec_last(&e->comps))->btf_id;
    return e->btf_id > 0 ? e->btf_id : 0;
  }
  case E_ENTRY:
    return expr_btf_type(e->l);
  default:
    return 0;
  }
}

/* $$parms, $$vars, $$locals, $$return become sprintf("a=0x%x b=0x%x",
 * $a, $b) over this probe's variables, as stap expands them (with a '$'
 * or '$$' suffix, sprintf("a=%s b=%s", $a$, $b$)); there are no locals
 * without DWARF. */
static void expand_dollar_dollar(Sema *S, Expr *e) {
  bool parms = !strcmp(e->name, "$$parms") || !strcmp(e->name, "$$vars");
  bool ret = !strcmp(e->name, "$$return");
  StrBuf fmt;
  sb_init(&fmt);
  Vec args = {0};
  Expr *f = ast_expr(S->arena, E_STR, e->loc);
  vec_push(&args, S->arena, f);
  /* a tracepoint's are its arguments (TP_PROTO), as stap's; its record
   * fields only when it has no arguments here */
  bool args_only = false;
  for (size_t i = 0; S->cur_probe && i < S->cur_probe->vars.len; i++)
    args_only |= S->cur_probe->family == PF_TRACEPOINT &&
                 !((const TargetVar *)S->cur_probe->vars.items[i])->is_field;
  for (size_t i = 0; S->cur_probe && i < S->cur_probe->vars.len; i++) {
    const TargetVar *v = S->cur_probe->vars.items[i];
    bool is_ret = !strcmp(v->name, "return");
    if (is_ret ? !ret : !parms) continue;
    if (args_only && v->is_field) continue;
    int id = v->btf_id ? v->btf_id : target_type_id(S->target, v->ctype);
    bool ok = true;
    VType vt = id ? value_type(S, id, &ok) : strchr(v->ctype, '[') ? VT_STRING : VT_LONG;
    if (fmt.len) sb_putc(&fmt, ' ');
    if (!ok && !e->pretty) {
      sb_printf(&fmt, "%s={...}", v->name);
      continue;
    }
    /* with a suffix, each variable with it: $$parms$ is $a$, $b$ ... */
    sb_printf(&fmt, e->pretty ? "%s=%%s" : vt == VT_STRING ? "%s=\"%%s\"" : "%s=0x%%x",
              v->name);
    Expr *a = ast_expr(S->arena, E_TARGET, e->loc);
    a->name = arena_printf(S->arena, "$%s", v->name);
    a->pretty = e->pretty;
    vec_push(&args, S->arena, a);
  }
  f->str = arena_strndup(S->arena, sb_cstr(&fmt), fmt.len);
  f->len = (uint32_t)fmt.len;
  sb_free(&fmt);
  SrcLoc loc = e->loc;
  memset(e, 0, sizeof *e);
  e->loc = loc;
  if (args.len == 1) {
    *e = *f; /* nothing to format: the empty string */
    return;
  }
  e->kind = E_CALL;
  e->name = "sprintf";
  e->args = args;
}

static VType infer_target(Sema *S, Expr *e) {
  if (strncmp(e->name, "$$", 2) == 0) {
    static const char *const ok[] = {"$$vars", "$$locals", "$$parms", "$$return"};
    for (size_t i = 0; i < 4; i++)
      if (strcmp(e->name, ok[i]) == 0) {
        if (S->cur_func) return VT_STRING; /* reported elsewhere */
        expand_dollar_dollar(S, e);
        return infer(S, e, VT_STRING);
      }
    sema_error(S, e->loc, ident(S, e->name), "unknown target variable '%s'", e->name);
    return VT_UNKNOWN;
  }
  if (S->cur_func) {
    sema_error(S, e->loc, ident(S, e->name),
               "target variable '%s' used in a function; pass it from the probe", e->name);
    return VT_UNKNOWN;
  }
  const TargetVar *v = find_var(S, e->name + 1);
  if (!v) {
    if (e->btf_id != -1) {
      e->btf_id = -1; /* reported */
      Vec names = {0};
      for (size_t i = 0; i < S->cur_probe->vars.len; i++)
        vec_push(&names, S->arena,
                 arena_printf(S->arena, "$%s", ((TargetVar *)S->cur_probe->vars.items[i])->name));
      const char *sugg = sema_suggest(e->name, &names);
      sema_error(S, e->loc, ident(S, e->name),
                 "unable to find target variable '%s' at %s%s%s%s", e->name,
                 S->cur_probe->point, sugg ? " (similar: " : "", sugg ? sugg : "",
                 sugg ? ")" : "");
    }
    return VT_UNKNOWN;
  }
  e->ref = (void *)v;
  int id = v->btf_id ? v->btf_id : target_type_id(S->target, v->ctype);
  e->btf_id = id;
  if (!e->comps.len && !e->pretty && !id) {
    /* No BTF: decide from the C spelling. */
    bool str = strchr(v->ctype, '[') && strstr(v->ctype, "char");
    return str ? VT_STRING : VT_LONG;
  }
  return chain_value(S, e, id);
}

/* Is e resolvable here?  (@defined) */
static bool defined_here(Sema *S, Expr *e) {
  if (e->kind == E_TARGET) {
    if (strncmp(e->name, "$$", 2) == 0) return true;
    if (!find_var(S, e->name + 1)) return false;
    /* Resolvable if checking it (its -> chain) raises nothing. */
    Diag *saved = S->diag;
    Diag quiet;
    diag_init(&quiet, NULL);
    S->diag = &quiet;
    infer(S, e, VT_UNKNOWN);
    S->diag = saved;
    return quiet.errors == 0;
  }
  return true;
}

/* Replace e in place by the number v. */
static void become_number(Sema *S, Expr *e, int64_t v) {
  SrcLoc loc = e->loc;
  memset(e, 0, sizeof *e);
  e->kind = E_NUM;
  e->loc = loc;
  e->num = v;
  e->text = v ? "1" : "0";
  e->vtype = VT_LONG;
  (void)S;
}

/* @cast(p, "T"[, "module"]): p is a T* (T a struct, union or typedef). */
static VType infer_cast(Sema *S, Expr *e) {
  infer(S, e->l, VT_LONG);
  if (!target_btf(S->target, NULL)) return e->pretty ? VT_STRING : VT_LONG;
  const char *tn = e->str;
  int id = target_type_id(S->target, tn);
  if (!id && strncmp(tn, "struct ", 7) && strncmp(tn, "union ", 6)) {
    id = target_type_id(S->target, arena_printf(S->arena, "struct %s", tn));
    if (!id) id = target_type_id(S->target, arena_printf(S->arena, "union %s", tn));
  }
  if (!id) {
    sema_error(S, e->loc, arena_printf(S->arena, "string \"%s\"", e->str),
               "type '%s' not found in the kernel's BTF", e->str);
    return VT_UNKNOWN;
  }
  int ptr = target_pointer_to(S->target, id);
  e->btf_id = ptr ? ptr : id;
  return chain_value(S, e, e->btf_id);
}

static VType infer_index(Sema *S, Expr *e, Symbol *s) {
  for (size_t i = 0; i < e->args.len && i < PARSER_MAX_INDICES; i++) {
    Expr *ix = e->args.items[i];
    if (ix->kind == E_WILD) continue;
    VType t = infer(S, ix, s ? s->index[i] : VT_UNKNOWN);
    if (s) unify(S, &s->index[i], NULL, t, ix->loc,
                 arena_printf(S->arena, "index %zu of '%s'", i + 1, s->name));
  }
  return s ? s->type : VT_UNKNOWN;
}

static Symbol *array_symbol(Sema *S, Expr *base, size_t arity) {
  if (base->kind != E_VAR) return NULL;
  Symbol *s = base->ref;
  if (!s) {
    s = bind_var(S, base, base->name, true);
    base->ref = s;
    if (s && s->kind != SYM_GLOBAL) {
      sema_error(S, base->loc, ident(S, base->name),
                 "'%s' is a local variable; arrays must be declared global", base->name);
      s = NULL;
      base->ref = NULL;
    }
    set_arity(S, s, (int)arity, base->loc);
  }
  return s;
}

static bool is_lvalue(const Expr *e) {
  return e->kind == E_VAR || e->kind == E_INDEX || e->kind == E_TARGET ||
         e->kind == E_CAST || e->kind == E_AUTOCAST || e->kind == E_VARREF;
}

static void mark_written(Sema *S, Expr *lhs) {
  Symbol *s = lhs->kind == E_VAR ? lhs->ref
              : lhs->kind == E_INDEX && lhs->base->kind == E_VAR ? lhs->base->ref : NULL;
  if (s) s->written = s->stored = true;
  if ((lhs->kind == E_TARGET || lhs->kind == E_CAST || lhs->kind == E_AUTOCAST) &&
      !S->opt->guru && !(lhs->loc.file && lhs->loc.file->is_tapset))
    sema_error(S, lhs->loc, "target", "writing to a target variable needs guru mode (-g)");
}

/* The pattern of =~ and !~ (a literal: the parser sees to it) must
 * compile, as stap reports it in pass 2. */
static void check_regex(Sema *S, Expr *pat) {
  if (pat->kind != E_STR) return;
  ReError err;
  Regex *re = re_compile(pat->str, pat->len, &err);
  if (re) {
    re_free(re);
    return;
  }
  sema_error(S, pat->loc, arena_printf(S->arena, "string \"%s\"", pat->str),
             "regex compilation error (at position %zu): %s", err.pos, err.msg);
}

static VType infer(Sema *S, Expr *e, VType want) {
  VType t = VT_UNKNOWN;
  switch (e->kind) {
  case E_NUM: t = VT_LONG; break;
  case E_STR: t = VT_STRING; break;
  case E_WILD: break;
  case E_EMBEDDED: t = want != VT_UNKNOWN ? want : VT_LONG; break;
  case E_VAR: {
    Symbol *s = e->ref;
    if (!s) {
      s = bind_var(S, e, e->name, false);
      e->ref = s;
      set_arity(S, s, 0, e->loc);
    }
    if (s) {
      if (!S->storing) s->read = true;
      if (!S->storing && !S->crementing) s->value_read = true;
      sym_type(S, s, want, e->loc);
      t = s->type;
    }
    break;
  }
  case E_INDEX:
    if (e->base->kind == E_HIST) {
      infer(S, e->base, VT_STATS);
      infer(S, e->args.items[0], VT_LONG);
      t = VT_LONG;
      break;
    } else {
      Symbol *s = array_symbol(S, e->base, e->args.len);
      bool storing = S->storing, crementing = S->crementing;
      S->storing = S->crementing = false; /* the indices are read */
      if (s) {
        if (!storing) s->read = true;
        if (!storing && !crementing) s->value_read = true;
        sym_type(S, s, want, e->loc);
      }
      t = infer_index(S, e, s);
    }
    break;
  case E_CALL: {
    int pf = print_function(e->name);
    if (pf >= 0) {
      t = infer_print(S, e, pf);
      break;
    }
    Function *f = e->ref;
    if (!f) {
      f = cur_function_for_call(S, e);
      e->ref = f;
      if (f && !f->used) {
        f->used = true;
        vec_push(&S->used, S->arena, f);
      }
      if (!f) {
        for (size_t i = 0; i < e->args.len; i++) infer(S, e->args.items[i], VT_UNKNOWN);
        break;
      }
    }
    for (size_t i = 0; i < e->args.len; i++) {
      Symbol *p = f->params.items[i];
      Expr *a = e->args.items[i];
      VType at = infer(S, a, p->type);
      if (at == VT_STATS) sema_error(S, a->loc, "argument", "statistics cannot be passed to functions");
      unify(S, &p->type, &p->type_loc, at, a->loc, ident(S, p->name));
    }
    unify(S, &f->ret, &f->ret_loc, want, e->loc, arena_printf(S->arena, "function '%s'", f->name));
    t = f->ret;
    break;
  }
  case E_UNARY:
    infer(S, e->l, VT_LONG);
    t = VT_LONG;
    break;
  case E_CREMENT:
    S->crementing = true; /* stap: x++ writes x and does not read it */
    infer(S, e->l, VT_LONG);
    S->crementing = false;
    mark_written(S, e->l);
    t = VT_LONG;
    break;
  case E_BINARY:
    switch (e->op) {
    case OP_DOT:
      infer(S, e->l, VT_STRING);
      infer(S, e->r, VT_STRING);
      t = VT_STRING;
      break;
    case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE: {
      VType l = infer(S, e->l, VT_UNKNOWN);
      VType r = infer(S, e->r, l);
      if (l == VT_UNKNOWN) l = infer(S, e->l, r);
      if (l != VT_UNKNOWN && r != VT_UNKNOWN && l != r)
        sema_error(S, e->loc, arena_printf(S->arena, "operator '%s'", op_spelling(e->op)),
                   "type mismatch: comparing %s with %s", vtype_name(l), vtype_name(r));
      if (l == VT_STATS || r == VT_STATS)
        sema_error(S, e->loc, "operator", "statistics cannot be compared; use @count, @sum, ...");
      t = VT_LONG;
      break;
    }
    case OP_MATCH: case OP_NMATCH:
      infer(S, e->l, VT_STRING);
      infer(S, e->r, VT_STRING);
      if (S->final_round) check_regex(S, e->r);
      t = VT_LONG;
      break;
    default:
      infer(S, e->l, VT_LONG);
      infer(S, e->r, VT_LONG);
      t = VT_LONG;
    }
    break;
  case E_TERNARY: {
    infer(S, e->cond, VT_LONG);
    if (e->cond->kind == E_NUM) {
      /* A constant condition (@defined, a literal): the other branch is
       * never looked at, as in stap. */
      Expr *keep = e->cond->num ? e->l : e->r;
      *e = *keep;
      return infer(S, e, want);
    }
    VType l = infer(S, e->l, want);
    VType r = infer(S, e->r, l != VT_UNKNOWN ? l : want);
    if (l == VT_UNKNOWN) l = infer(S, e->l, r);
    if (l != VT_UNKNOWN && r != VT_UNKNOWN && l != r)
      sema_error(S, e->loc, "operator '?'", "type mismatch: %s vs. %s in the branches",
                 vtype_name(l), vtype_name(r));
    t = l != VT_UNKNOWN ? l : r;
    break;
  }
  case E_ASSIGN: {
    if (!is_lvalue(e->l)) {
      sema_error(S, e->loc, arena_printf(S->arena, "operator '%s'", op_spelling(e->op)),
                 "the left side of '%s' cannot be assigned", op_spelling(e->op));
      break;
    }
    if (e->op == OP_AGGREGATE) {
      S->storing = true;
      infer(S, e->l, VT_STATS);
      S->storing = false;
      VType r = infer(S, e->r, VT_LONG);
      if (r == VT_STRING)
        sema_error(S, e->r->loc, "operator '<<<'", "only numbers can be aggregated with '<<<'");
      mark_written(S, e->l);
      t = VT_LONG;
      break;
    }
    VType want_r = e->op == OP_ASSIGN ? VT_UNKNOWN : e->op == OP_CAT_ASSIGN ? VT_STRING : VT_LONG;
    S->storing = e->op == OP_ASSIGN; /* x = ... does not read x */
    VType l = infer(S, e->l, want_r);
    S->storing = false;
    VType r = infer(S, e->r, l != VT_UNKNOWN ? l : want_r);
    if (l == VT_UNKNOWN) {
      S->storing = e->op == OP_ASSIGN;
      l = infer(S, e->l, r);
      S->storing = false;
    }
    if (l == VT_STATS) sema_error(S, e->loc, "operator", "statistics are updated with '<<<', not '%s'", op_spelling(e->op));
    else if (l != VT_UNKNOWN && r != VT_UNKNOWN && l != r) {
      Symbol *sym = e->l->kind == E_VAR ? e->l->ref
                    : e->l->kind == E_INDEX && e->l->base->kind == E_VAR ? e->l->base->ref : NULL;
      if (sym) sym_type(S, sym, r, e->r->loc);
      else sema_error(S, e->loc, arena_printf(S->arena, "operator '%s'", op_spelling(e->op)),
                      "type mismatch: assigning a %s to a %s", vtype_name(r), vtype_name(l));
    }
    mark_written(S, e->l);
    t = l != VT_UNKNOWN ? l : r;
    break;
  }
  case E_IN: {
    if (e->base->kind == E_HIST) {
      infer(S, e->base, VT_STATS);
      infer(S, e->args.items[0], VT_LONG);
    } else {
      Symbol *s = array_symbol(S, e->base, e->args.len);
      if (s) s->read = s->value_read = true;
      infer_index(S, e, s);
    }
    t = VT_LONG;
    break;
  }
  case E_STAT:
  case E_HIST: {
    VType o = infer(S, e->l, VT_STATS);
    if (o != VT_UNKNOWN && o != VT_STATS)
      sema_error(S, e->loc, arena_printf(S->arena, "operator '@%s'", stat_op_name(e->stat)),
                 "@%s needs statistics (values added with '<<<'), not a %s",
                 stat_op_name(e->stat), vtype_name(o));
    for (size_t i = 0; i < e->args.len; i++) infer(S, e->args.items[i], VT_LONG);
    t = e->kind == E_STAT ? VT_LONG : VT_STATS;
    break;
  }
  case E_TARGET: t = infer_target(S, e); break;
  case E_CAST: t = infer_cast(S, e); break;
  case E_AUTOCAST: {
    infer(S, e->l, VT_LONG);
    /* The chain continues from the operand's type when it has one:
     * @entry($file)->f_inode, (cond ? $a : $b)->x. */
    int id = expr_btf_type(e->l);
    t = id ? chain_value(S, e, id) : e->pretty ? VT_STRING : VT_LONG;
    break;
  }
  case E_VARREF: {
    struct btf *b = target_btf(S->target, NULL);
    int id = b ? btf__find_by_name_kind(b, arena_strndup(S->arena, e->str, strcspn(e->str, "@")),
                                        BTF_KIND_VAR)
               : 0;
    if (b && id <= 0) {
      sema_error(S, e->loc, arena_printf(S->arena, "string \"%s\"", e->str),
                 "kernel variable '%s' has no type in the kernel's BTF (BTF "
                 "describes per-CPU variables only; other globals need DWARF)", e->str);
      break;
    }
    int type = id > 0 ? (int)btf__type_by_id(b, (unsigned)id)->type : 0;
    e->btf_id = type;
    t = chain_value(S, e, type);
    break;
  }
  case E_DEFINED:
    become_number(S, e, defined_here(S, e->l));
    t = VT_LONG;
    break;
  case E_ENTRY:
    if (!S->cur_probe || !S->cur_probe->is_return)
      sema_error(S, e->loc, "operator '@entry'", "@entry is only valid in .return probes");
    t = infer(S, e->l, want);
    break;
  case E_PERF: case E_PROBEWRITE: case E_CONST: case E_ATFUNC:
    for (size_t i = 0; i < e->args.len; i++) infer(S, e->args.items[i], VT_LONG);
    if (e->kind == E_PROBEWRITE) infer(S, e->l, VT_UNKNOWN);
    t = VT_LONG;
    break;
  }
  if (t == VT_UNKNOWN && want != VT_UNKNOWN && e->kind != E_VAR) t = VT_UNKNOWN;
  e->vtype = t;
  return t;
}

static void check_foreach(Sema *S, Stmt *st) {
  Expr *arr = st->array;
  Symbol *s = NULL;
  if (arr->kind == E_HIST) {
    infer(S, arr, VT_STATS);
    if (st->keys.len == 1) {
      Expr *k = st->keys.items[0];
      infer(S, k, VT_LONG);
    }
  } else {
    Expr *base = arr->kind == E_INDEX ? arr->base : arr;
    s = array_symbol(S, base, st->keys.len);
    if (s) s->read = s->value_read = true;
    if (arr->kind == E_INDEX) infer_index(S, arr, s);
    for (size_t i = 0; i < st->keys.len && s; i++) {
      Expr *k = st->keys.items[i];
      VType kt = infer(S, k, s->index[i]);
      unify(S, &s->index[i], NULL, kt, k->loc, arena_printf(S->arena, "index %zu of '%s'", i + 1, s->name));
      if (k->ref) ((Symbol *)k->ref)->written = true;
    }
  }
  if (st->value_var) {
    Expr v = {.kind = E_VAR, .loc = st->loc, .name = st->value_var};
    Symbol *vs = bind_var(S, &v, st->value_var, false);
    if (vs && s) {
      vs->written = true;
      sym_type(S, vs, s->type == VT_STATS ? VT_UNKNOWN : s->type, st->loc);
      if (s->type != VT_UNKNOWN && s->type != VT_STATS) unify(S, &s->type, &s->type_loc, vs->type, st->loc, ident(S, s->name));
    }
  }
  if (st->e) infer(S, st->e, VT_LONG);
  check_stmt(S, st->body);
}

static void check_stmt(Sema *S, Stmt *st) {
  if (!st) return;
  switch (st->kind) {
  case S_BLOCK:
    for (size_t i = 0; i < st->stmts.len; i++) check_stmt(S, st->stmts.items[i]);
    break;
  case S_NULL: case S_BREAK: case S_CONTINUE:
    break;
  case S_NEXT:
    break;
  case S_EXPR:
    infer(S, st->e, VT_UNKNOWN);
    break;
  case S_IF:
    infer(S, st->cond, VT_LONG);
    if (st->cond->kind == E_NUM) {
      /* if (@defined($x)) ...: only the branch taken is checked. */
      Stmt *keep = st->cond->num ? st->body : st->els;
      if (keep) {
        *st = *keep;
        check_stmt(S, st);
      } else {
        st->kind = S_NULL;
      }
      break;
    }
    check_stmt(S, st->body);
    check_stmt(S, st->els);
    break;
  case S_WHILE:
    infer(S, st->cond, VT_LONG);
    check_stmt(S, st->body);
    break;
  case S_FOR:
    if (st->init) infer(S, st->init, VT_UNKNOWN);
    if (st->cond) infer(S, st->cond, VT_LONG);
    if (st->step) infer(S, st->step, VT_UNKNOWN);
    check_stmt(S, st->body);
    break;
  case S_FOREACH:
    check_foreach(S, st);
    break;
  case S_RETURN:
    if (!S->cur_func) {
      sema_error(S, st->loc, "keyword 'return'", "'return' outside a function");
      break;
    }
    if (st->e) {
      VType t = infer(S, st->e, S->cur_func->ret);
      unify(S, &S->cur_func->ret, &S->cur_func->ret_loc, t, st->e->loc,
            arena_printf(S->arena, "function '%s'", S->cur_func->name));
    }
    break;
  case S_DELETE: {
    Expr *e = st->e;
    if (e->kind == E_VAR) {
      if (!e->ref) {
        e->ref = bind_var(S, e, e->name, false);
      }
      if (e->ref) ((Symbol *)e->ref)->written = true;
    } else if (e->kind == E_INDEX) {
      Symbol *s = array_symbol(S, e->base, e->args.len);
      if (s) s->written = true;
      infer_index(S, e, s);
    } else {
      sema_error(S, e->loc, "delete", "'delete' takes a variable, an array or an array element");
    }
    break;
  }
  case S_TRY:
    check_stmt(S, st->body);
    if (st->catch_var) {
      Expr v = {.kind = E_VAR, .loc = st->catch_loc, .name = st->catch_var};
      Symbol *s = bind_var(S, &v, st->catch_var, false);
      st->catch_ref = s;
      if (s) {
        s->written = true;
        sym_type(S, s, VT_STRING, st->catch_loc);
      }
    }
    check_stmt(S, st->els);
    break;
  }
}

/* 'next' belongs in probes (or overloaded functions); check once. */
static void check_next(Sema *S, Stmt *st, bool in_probe) {
  if (!st) return;
  if (st->kind == S_NEXT && !in_probe && !S->cur_func)
    sema_error(S, st->loc, "keyword 'next'", "'next' outside a probe or function");
  for (size_t i = 0; i < st->stmts.len; i++) check_next(S, st->stmts.items[i], in_probe);
  check_next(S, st->body, in_probe);
  check_next(S, st->els, in_probe);
}

static void check_function(Sema *S, Function *f) {
  if (f->builtin || !f->item->body) return;
  S->cur_func = f;
  S->cur_probe = NULL;
  check_stmt(S, f->item->body);
  S->cur_func = NULL;
}

static void check_probe(Sema *S, Probe *p) {
  S->cur_probe = p;
  S->cur_func = NULL;
  if (p->cond) infer(S, p->cond, VT_LONG);
  check_stmt(S, p->body);
  S->cur_probe = NULL;
}

/* The functions probes reach, in the order they were first called (the
 * list grows while it is walked). */
static void each_used_function(Sema *S, void (*fn)(Sema *, Function *)) {
  for (size_t i = 0; i < S->used.len; i++) fn(S, S->used.items[i]);
}

static void report_unresolved_fn(Sema *S, Function *f) {
  for (size_t i = 0; i < f->params.len; i++) {
    Symbol *p = f->params.items[i];
    if (p->type == VT_UNKNOWN)
      sema_error(S, p->loc, ident(S, p->name), "unresolved type of parameter '%s' of '%s'",
                 p->name, f->name);
  }
  for (size_t i = 0; i < f->locals.len; i++) {
    Symbol *l = f->locals.items[i];
    if (l->type == VT_UNKNOWN)
      sema_error(S, l->loc, ident(S, l->name), "unresolved type of '%s'", l->name);
  }
}


void check_program(Sema *S) {
  Program *prog = S->prog;
  for (size_t i = 0; i < prog->probes.len; i++) check_next(S, ((Probe *)prog->probes.items[i])->body, true);
  for (int round = 0; round < MAX_ROUNDS; round++) {
    S->changed = false;
    int errors = S->diag->errors;
    for (size_t i = 0; i < prog->probes.len; i++) check_probe(S, prog->probes.items[i]);
    each_used_function(S, check_function);
    if (S->diag->errors > errors) return;
    if (!S->changed) break;
  }
  S->final_round = true;
  for (size_t i = 0; i < prog->probes.len; i++) check_probe(S, prog->probes.items[i]);
  each_used_function(S, check_function);
  if (S->diag->errors) return;
  /* What stayed untyped. */
  for (size_t i = 0; i < prog->probes.len; i++) {
    Probe *p = prog->probes.items[i];
    for (size_t k = 0; k < p->locals.len; k++) {
      Symbol *l = p->locals.items[k];
      if (l->type == VT_UNKNOWN && !l->from_library && (l->read || !l->written))
        sema_error(S, l->loc, ident(S, l->name), "unresolved type of '%s'", l->name);
      else if (l->type == VT_UNKNOWN)
        l->type = VT_LONG; /* only assigned from the library: unused */
    }
  }
  each_used_function(S, report_unresolved_fn);
  for (size_t i = 0; i < prog->globals.len; i++) {
    Symbol *g = prog->globals.items[i];
    if (g->type == VT_UNKNOWN && (g->read || g->written))
      sema_error(S, g->loc, ident(S, g->name), "unresolved type of global '%s'", g->name);
    for (int k = 0; k < g->arity; k++)
      if (g->index[k] == VT_UNKNOWN)
        sema_error(S, g->loc, ident(S, g->name), "unresolved type of index %d of '%s'", k + 1, g->name);
  }
  /* Used functions, and the globals anything uses. */
  prog->functions = S->used;
  Vec kept = {0};
  for (size_t i = 0; i < prog->globals.len; i++) {
    Symbol *g = prog->globals.items[i];
    bool used = g->read || (g->written && !(g->decl && g->decl->init && !g->read));
    if (used || S->opt->unoptimized || (g->decl && g->decl->init && !g->from_library)) {
      vec_push(&kept, S->arena, g);
    } else if (!g->from_library) {
      diag_warning(S->diag, g->loc, "Eliding unused variable '%s'", g->name);
    }
  }
  prog->globals = kept;
}

/* ---- Elision (unless -u) ---- */

static bool has_effect(const Expr *e);

/* Does the statement change anything outside its function (globals,
 * output, target memory), or may it raise?  Locals do not count. */
static bool stmt_has_effect(const Stmt *st) {
  if (!st) return false;
  for (size_t i = 0; i < st->stmts.len; i++)
    if (stmt_has_effect(st->stmts.items[i])) return true;
  if (st->kind == S_DELETE || st->kind == S_NEXT) return true;
  if (st->e && has_effect(st->e)) return true;
  if (has_effect(st->cond) || has_effect(st->init) || has_effect(st->step)) return true;
  return stmt_has_effect(st->body) || stmt_has_effect(st->els);
}

/* A script function is pure when its body only computes; a builtin when
 * its declaration says so. */
static bool function_pure(Function *f) {
  if (f->purity >= 2) return f->purity == 2;
  if (f->purity == 1) return false; /* recursion: assume the worst */
  if (f->builtin) {
    f->purity = f->item->code && strstr(f->item->code, "/* pure */") ? 2 : 3;
  } else {
    f->purity = 1;
    f->purity = f->item->body && !stmt_has_effect(f->item->body) ? 2 : 3;
  }
  return f->purity == 2;
}

/* Could evaluating e have an effect?  Assignments count unless to a local;
 * calls unless string formatting or a pure function. */
static bool has_effect(const Expr *e) {
  if (!e) return false;
  switch (e->kind) {
  case E_ASSIGN: case E_CREMENT: {
    const Expr *l = e->l;
    const Symbol *sym = l->kind == E_VAR ? l->ref : NULL;
    if (!sym || sym->kind == SYM_GLOBAL) return true; /* globals, arrays, targets */
    break;
  }
  case E_EMBEDDED:
    return true;
  case E_BINARY:
    if (e->op == OP_DIV || e->op == OP_MOD) return true; /* may raise an error */
    break;
  case E_CALL: {
    bool pure = strcmp(e->name, "sprintf") == 0 || strcmp(e->name, "sprint") == 0 ||
                strcmp(e->name, "sprintln") == 0 || strcmp(e->name, "sprintd") == 0 ||
                strcmp(e->name, "sprintdln") == 0;
    Function *f = e->ref;
    if (f && function_pure(f)) pure = true;
    if (!pure) return true;
    break;
  }
  default:
    break;
  }
  if (has_effect(e->l) || has_effect(e->r) || has_effect(e->base)) return true;
  if (!ast_has_chain(e->kind))
    for (size_t i = 0; i < e->args.len; i++)
      if (has_effect(e->args.items[i])) return true;
  return false;
}

/* Drop "x = pure" statements whose x is never read; warn about the user's
 * own (stap prunes what probe aliases set and the handler never uses). */
static void elide_stmt(Sema *S, Stmt *st) {
  if (!st) return;
  if (st->kind == S_BLOCK) {
    size_t w = 0;
    for (size_t i = 0; i < st->stmts.len; i++) {
      Stmt *c = st->stmts.items[i];
      if (c->kind == S_EXPR && c->e->kind == E_ASSIGN && c->e->op == OP_ASSIGN &&
          c->e->l->kind == E_VAR) {
        Symbol *s = c->e->l->ref;
        if (s && s->kind == SYM_LOCAL && !s->read && !has_effect(c->e->r)) {
          if (!s->from_library)
            diag_warning(S->diag, c->e->loc, "Eliding assignment to '%s'", s->name);
          continue;
        }
      }
      elide_stmt(S, c);
      st->stmts.items[w++] = c;
    }
    st->stmts.len = w;
    return;
  }
  elide_stmt(S, st->body);
  elide_stmt(S, st->els);
}

static void prune_locals(Vec *locals) {
  size_t w = 0;
  for (size_t i = 0; i < locals->len; i++) {
    Symbol *s = locals->items[i];
    if (s->referenced) locals->items[w++] = s;
  }
  locals->len = w;
}

/* Mark the locals an expression reads ("x = e" reads e, not x). */
static void mark_reads(Expr *e) {
  if (!e) return;
  if (e->kind == E_VAR && e->ref) ((Symbol *)e->ref)->read = ((Symbol *)e->ref)->referenced = true;
  if (e->kind == E_ASSIGN && e->op == OP_ASSIGN && e->l->kind == E_VAR) {
    if (e->l->ref) ((Symbol *)e->l->ref)->referenced = true;
    mark_reads(e->r);
    return;
  }
  mark_reads(e->l);
  mark_reads(e->r);
  mark_reads(e->base);
  if (ast_has_chain(e->kind)) {
    for (size_t i = 0; i < e->comps.len; i++) mark_reads(((TargetComp *)e->comps.items[i])->index);
  } else {
    for (size_t i = 0; i < e->args.len; i++) mark_reads(e->args.items[i]);
  }
}

static void mark_reads_stmt(Stmt *st) {
  if (!st) return;
  for (size_t i = 0; i < st->stmts.len; i++) mark_reads_stmt(st->stmts.items[i]);
  mark_reads(st->e);
  mark_reads(st->cond);
  mark_reads(st->init);
  mark_reads(st->step);
  mark_reads(st->array);
  for (size_t i = 0; i < st->keys.len; i++) mark_reads(st->keys.items[i]);
  mark_reads_stmt(st->body);
  mark_reads_stmt(st->els);
}

/* The functions a call reaches, into seen (each once). */
typedef struct Reach {
  Arena *arena;
  Vec seen;
} Reach;

static void reach_calls(Expr *e, void *ctx) {
  Reach *r = ctx;
  if (e->kind != E_CALL || !e->ref) return;
  Function *f = e->ref;
  for (size_t i = 0; i < r->seen.len; i++)
    if (r->seen.items[i] == f) return;
  vec_push(&r->seen, r->arena, f);
  if (f->item && f->item->body) ast_walk_stmt(f->item->body, reach_calls, r);
}

/* Elide to a fixed point: dropping "argstr = sprintf(..., fd)" can leave
 * "fd = $fd" unread in turn.  Then the functions are those still called
 * (the prologue's _dfd_str when dfd_str is gone, say). */
void check_elide(Sema *S) {
  if (S->opt->unoptimized || S->opt->listing) return;
  for (size_t i = 0; i < S->prog->probes.len; i++) {
    Probe *p = S->prog->probes.items[i];
    for (size_t before = (size_t)-1; before != p->locals.len;) {
      before = p->locals.len;
      for (size_t k = 0; k < p->locals.len; k++) ((Symbol *)p->locals.items[k])->read = false;
      mark_reads_stmt(p->body);
      mark_reads(p->cond);
      elide_stmt(S, p->body);
      for (size_t k = 0; k < p->locals.len; k++) ((Symbol *)p->locals.items[k])->referenced = false;
      mark_reads_stmt(p->body);
      mark_reads(p->cond);
      prune_locals(&p->locals);
    }
  }
  Reach r = {.arena = S->arena};
  for (size_t i = 0; i < S->prog->probes.len; i++) {
    Probe *p = S->prog->probes.items[i];
    ast_walk_stmt(p->body, reach_calls, &r);
    if (p->cond) ast_walk_expr(p->cond, reach_calls, &r);
  }
  Vec kept = {0};
  for (size_t i = 0; i < S->prog->functions.len; i++)
    for (size_t k = 0; k < r.seen.len; k++)
      if (r.seen.items[k] == S->prog->functions.items[i]) {
        vec_push(&kept, S->arena, S->prog->functions.items[i]);
        break;
      }
  S->prog->functions = kept;
}
