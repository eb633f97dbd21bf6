/* preproc: see preproc.h. */
#include "front/preproc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

enum {
  PP_MAX_DEPTH = 100,           /* nested expansions */
  PP_MAX_EXPANDED = 1000000,    /* tokens produced by expansion, counting
                                   macro bodies, arguments and their uses */
};

/* A source of tokens: a lexer (the file, or a $N argument's text) or a
 * token list (a macro body, or one argument of an invocation). */
struct PPSource {
  Lexer *lexer;        /* non-NULL for lexer sources */
  const Token *toks;   /* token-list sources: ntoks tokens */
  size_t ntoks, pos;   /* their number, and the next one to deliver */
  Macro *macro;        /* the macro whose body this is, or NULL */
  TokList *args;       /* the invocation's arguments, one per parameter */
  bool is_arg;         /* text of a $N argument */
  PPSource *up;        /* the source below; the next free one when free */
};

/* Conditional states. */
enum { COND_THEN = 1, COND_ELSE = 2 };

/* Room for one more element in an arena array of *cap elements of size
 * bytes, len of them used: doubles, abandoning the old storage. */
static void *grow_array(Arena *a, void *items, size_t len, size_t *cap, size_t size) {
  size_t ncap = *cap ? *cap * 2 : 4;
  void *n = arena_alloc(a, ncap * size);
  if (len) memcpy(n, items, len * size);
  *cap = ncap;
  return n;
}

/* Token lists (macro bodies, arguments) are collected on the PP's stack
 * and stored in the arena at their exact length once complete; lists
 * nest (an argument may invoke a macro), so one stack serves them all.
 * store_list(pp, mark) ends the list begun when the stack held mark
 * tokens. */

static void push_token(PP *pp, const Token *t) {
  if (pp->nstack == pp->stack_cap) {
    pp->stack_cap = pp->stack_cap ? pp->stack_cap * 2 : 64;
    pp->stack = xrealloc(pp->stack, pp->stack_cap * sizeof *pp->stack);
  }
  pp->stack[pp->nstack++] = *t;
}

/* The list, its tokens now stored: each fresh one becomes its own
 * origin. */
static TokList store_list(PP *pp, size_t mark) {
  TokList l = {NULL, pp->nstack - mark};
  if (l.len) {
    l.toks = arena_alloc(pp->arena, l.len * sizeof *l.toks);
    memcpy(l.toks, pp->stack + mark, l.len * sizeof *l.toks);
    for (size_t i = 0; i < l.len; i++)
      if (!l.toks[i].origin) l.toks[i].origin = &l.toks[i];
  }
  pp->nstack = mark;
  return l;
}

static PPSource *new_source(PP *pp) {
  PPSource *s = pp->free_sources;
  if (s) {
    pp->free_sources = s->up;
    memset(s, 0, sizeof *s);
    return s;
  }
  return arena_alloc(pp->arena, sizeof *s);
}

void pp_init(PP *pp, Lexer *lx, const PPEnv *env, HashMap *defines,
             Arena *arena, Diag *diag) {
  memset(pp, 0, sizeof *pp);
  pp->arena = arena;
  pp->diag = diag;
  pp->env = env;
  pp->names = lx->names;
  pp->defines = defines;
  PPSource *s = new_source(pp);
  s->lexer = lx;
  pp->top = s;
  pp->depth = 1;
}

void pp_free(PP *pp) {
  free(pp->stack);
  if (pp->arg_files) {
    for (int i = 0; i < pp->env->nargs && !pp->owner; i++)
      if (pp->arg_files[i]) source_free(pp->arg_files[i]);
    free(pp->arg_files);
  }
}

static void pp_error(PP *pp, const Token *t, const char *fmt, const char *a) {
  char *saw = token_describe(t, pp->arena);
  diag_error(pp->diag, "parse error", t->loc, saw, fmt, a);
}

static void push(PP *pp, PPSource *s) {
  s->up = pp->top;
  pp->top = s;
  pp->depth++;
}

static void pop(PP *pp) {
  PPSource *s = pp->top;
  pp->top = s->up;
  pp->depth--;
  s->up = pp->free_sources;
  pp->free_sources = s;
}

/* Push a source over a token list. */
static PPSource *push_list(PP *pp, const TokList *l) {
  PPSource *s = new_source(pp);
  s->toks = l->toks;
  s->ntoks = l->len;
  push(pp, s);
  return s;
}

/* Next token from the source stack, with no expansion.  Exhausted
 * sources are popped; the bottom lexer's EOF is returned. */
static void raw_next(PP *pp, Token *t) {
  if (pp->has_pending) {
    *t = pp->pending;
    pp->has_pending = false;
    return;
  }
  for (;;) {
    PPSource *s = pp->top;
    if (s->lexer) {
      lexer_next(s->lexer, t);
      if (t->kind == TK_EOF && s->up) {
        pop(pp);
        continue;
      }
      return;
    }
    if (s->pos < s->ntoks) {
      *t = s->toks[s->pos++];
      return;
    }
    pop(pp);
  }
}

/* A fresh token of the given kind where `at` was. */
static Token make_token(TokKind kind, const Token *at) {
  return (Token){.kind = kind, .loc = at->loc, .space_before = at->space_before};
}

/* $N, @N, $#, @#: true with the substitute in *r, or false when the
 * argument's text is pushed as a source to read tokens from. */
static bool substitute_arg(PP *pp, const Token *t, Token *r) {
  const PPEnv *env = pp->env;
  for (PPSource *s = pp->top; s; s = s->up)
    if (s->is_arg) {
      pp_error(pp, t, "command line argument %s refers to another argument",
               "text");
      *r = make_token(TK_ERROR, t);
      return true;
    }
  bool str = t->text[0] == '@';
  if (t->num == 0) {
    *r = make_token(str ? TK_STRING : TK_NUMBER, t);
    r->num = env->nargs;
    r->text = arena_printf(pp->arena, "%d", env->nargs);
    r->len = (uint32_t)strlen(r->text);
    return true;
  }
  if (t->num > env->nargs) {
    char *what = arena_printf(pp->arena, "%s%lld (%d given)", t->text,
                              (long long)t->num, env->nargs);
    pp_error(pp, t, "missing command line argument %s", what);
    *r = make_token(TK_ERROR, t);
    return true;
  }
  const char *arg = env->args[t->num - 1];
  if (str) {
    *r = make_token(TK_STRING, t);
    r->text = arg;
    r->len = (uint32_t)strlen(arg);
    return true;
  }
  if (!pp->arg_files)
    pp->arg_files = xcalloc((size_t)env->nargs, sizeof *pp->arg_files);
  SourceFile **f = &pp->arg_files[t->num - 1];
  if (!*f) {
    char *name = arena_printf(pp->arena, "<argument $%lld>", (long long)t->num);
    *f = source_from_string(arg, strlen(arg), name);
    if (pp->owner) vec_push(pp->owner, pp->arena, *f);
  }
  Lexer *lx = arena_alloc(pp->arena, sizeof *lx);
  lexer_init(lx, *f, pp->arena, pp->names, pp->diag);
  PPSource *s = new_source(pp);
  s->lexer = lx;
  s->is_arg = true;
  push(pp, s);
  return false;
}

static bool is_op(const Token *t, Op op) { return t->kind == TK_OP && t->op == op; }

/* define -> '@define' NAME [ '(' [ NAME { ',' NAME } ] ')' ] '%(' BODY '%)' */
static void parse_define(PP *pp, const Token *at) {
  Token name;
  raw_next(pp, &name);
  if (name.kind != TK_IDENT && name.kind != TK_KEYWORD) {
    pp_error(pp, &name, "expected macro name after %s", "@define");
    return;
  }
  Macro *m = arena_alloc(pp->arena, sizeof *m);
  m->name = name.text;
  m->loc = name.loc;
  Token t;
  raw_next(pp, &t);
  if (is_op(&t, OP_LPAREN)) {
    m->has_parens = true;
    for (;;) {
      raw_next(pp, &t);
      if (t.kind != TK_IDENT) {
        pp_error(pp, &t, "expected %s", "macro parameter name");
        return;
      }
      for (size_t i = 0; i < m->params.len; i++)
        if (strcmp(m->params.items[i], t.text) == 0) {
          pp_error(pp, &t, "duplicate macro parameter '%s'", t.text);
          return;
        }
      vec_push(&m->params, pp->arena, (void *)t.text);
      raw_next(pp, &t);
      if (is_op(&t, OP_RPAREN)) break;
      if (!is_op(&t, OP_COMMA)) {
        pp_error(pp, &t, "expected %s", "',' or ')'");
        return;
      }
    }
    raw_next(pp, &t);
  }
  if (!is_op(&t, OP_PP_IF)) {
    pp_error(pp, &t, "expected %s", "'%(' to begin the macro body");
    return;
  }
  int depth = 0;
  size_t mark = pp->nstack;
  for (;;) {
    raw_next(pp, &t);
    if (t.kind == TK_EOF) {
      pp->nstack = mark;
      pp_error(pp, at, "unterminated macro body (missing '%s')", "%)");
      return;
    }
    if (is_op(&t, OP_PP_IF)) depth++;
    if (is_op(&t, OP_PP_END) && depth-- == 0) break;
    push_token(pp, &t);
  }
  m->body = store_list(pp, mark);
  Macro *old = hashmap_get(pp->defines, m->name, strlen(m->name));
  if (old && old->loc.file == m->loc.file) {
    pp_error(pp, &name, "attempt to redefine macro '@%s' in the same file", m->name);
    return;
  }
  hashmap_put(pp->defines, m->name, strlen(m->name), m);
}

static void expand_next(PP *pp, Token *t);

/* Account for n more expanded tokens; false (reported once) past the
 * bound, after which nothing more is expanded. */
static bool count_expansion(PP *pp, size_t n, const Token *at) {
  if (pp->overflow) return false;
  pp->expanded += n;
  if (pp->expanded <= PP_MAX_EXPANDED) return true;
  pp->overflow = true;
  pp_error(pp, at, "macro expansion too large (more than %s tokens)", "1000000");
  return false;
}

/* The argument list of an invocation: '(' [ tokens { ',' tokens } ] ')',
 * split at top-level commas; tokens are expanded as they are read.
 * Returns one list per parameter, or NULL after an error. */
static TokList *collect_args(PP *pp, Macro *m, const Token *at) {
  TokList *args = NULL;
  size_t nargs = 0, cap = 0;
  Token t;
  expand_next(pp, &t);
  if (!is_op(&t, OP_LPAREN)) {
    pp_error(pp, &t, "expected '(' after macro '@%s'", m->name);
    return NULL;
  }
  size_t mark = pp->nstack; /* the current argument's tokens */
  int depth = 0;
  for (;;) {
    expand_next(pp, &t);
    if (t.kind == TK_EOF) {
      pp->nstack = mark;
      pp_error(pp, at, "unterminated argument list of macro '@%s'", m->name);
      return NULL;
    }
    if (t.kind == TK_OP) {
      if (t.op == OP_LPAREN || t.op == OP_LBRACKET || t.op == OP_LBRACE)
        depth++;
      else if (t.op == OP_RBRACKET || t.op == OP_RBRACE)
        depth--;
      else if (t.op == OP_RPAREN && depth-- == 0)
        break;
      else if (t.op == OP_COMMA && depth == 0) {
        if (nargs == cap) args = grow_array(pp->arena, args, nargs, &cap, sizeof *args);
        args[nargs++] = store_list(pp, mark);
        continue;
      }
    }
    if (!count_expansion(pp, 1, at)) {
      pp->nstack = mark;
      return NULL;
    }
    push_token(pp, &t);
  }
  if (pp->nstack > mark || nargs || m->params.len == 1) {
    if (nargs == cap) args = grow_array(pp->arena, args, nargs, &cap, sizeof *args);
    args[nargs++] = store_list(pp, mark);
  }
  if (nargs != m->params.len) {
    char *msg = arena_printf(pp->arena, "'@%s' takes %zu argument%s, given %zu",
                             m->name, m->params.len,
                             m->params.len == 1 ? "" : "s", nargs);
    pp_error(pp, at, "macro %s", msg);
    return NULL;
  }
  return args;
}

/* The innermost macro body being read, for @param lookup. */
static PPSource *current_body(PP *pp) {
  PPSource *s = pp->top;
  return s && s->macro ? s : NULL;
}

/* The next token after argument substitution and macro expansion. */
static void expand_next(PP *pp, Token *t) {
  for (;;) {
    raw_next(pp, t);
    if (t->kind == TK_ARG) {
      if (pp->skipping) return;
      Token arg = *t;
      if (substitute_arg(pp, &arg, t)) return;
      continue;
    }
    if (t->kind != TK_AT) return;
    Token at = *t;
    if (strcmp(at.text, "define") == 0) {
      parse_define(pp, &at);
      continue;
    }
    PPSource *body = current_body(pp);
    if (body) {
      Macro *m = body->macro;
      size_t i = 0;
      while (i < m->params.len && strcmp(m->params.items[i], at.text) != 0) i++;
      if (i < m->params.len) {
        TokList *arg = &body->args[i];
        if (!count_expansion(pp, arg->len, &at)) {
          *t = make_token(TK_ERROR, &at);
          return;
        }
        push_list(pp, arg);
        continue;
      }
    }
    if (pp->skipping) return;
    if (pp->overflow) {
      *t = make_token(TK_ERROR, &at);
      return;
    }
    Macro *m = hashmap_get(pp->defines, at.text, at.len);
    if (!m && pp->library) m = pp->library(pp->library_ctx, at.text);
    if (!m) return;
    if (pp->depth + pp->collecting > PP_MAX_DEPTH) {
      pp_error(pp, &at, "macro expansion too deep (is '@%s' recursive?)", m->name);
      *t = make_token(TK_ERROR, &at);
      return;
    }
    TokList *args = NULL;
    if (m->has_parens) {
      pp->collecting++;
      args = collect_args(pp, m, &at);
      pp->collecting--;
      if (!args) {
        *t = make_token(TK_ERROR, &at);
        return;
      }
    }
    if (!count_expansion(pp, m->body.len, &at)) {
      /* Drain nothing more from macros: leave the stack to the file. */
      while (pp->top->up) pop(pp);
      *t = make_token(TK_ERROR, &at);
      return;
    }
    PPSource *s = push_list(pp, &m->body);
    s->macro = m;
    s->args = args;
  }
}

/* ---- Conditions ---- */

typedef struct CondVal {
  bool is_str;        /* a string (literal or kernel_v & co) */
  bool eq_only;       /* arch, runtime, systemtap_privilege: == and != */
  bool named;         /* a name (arch, CONFIG_X, ...): may match a glob */
  bool is_version;    /* compare with strverscmp */
  const char *s;      /* string value */
  int64_t n;          /* number value */
  bool ok;            /* no error */
} CondVal;

typedef struct CondParser {
  PP *pp;      /* where tokens come from */
  Token tok;   /* current token */
  bool failed; /* an error was reported: stop evaluating */
  int depth;   /* nested parentheses and '!' */
} CondParser;

enum { COND_MAX_DEPTH = 100 };

static void cond_advance(CondParser *c) { expand_next(c->pp, &c->tok); }

static void cond_fail(CondParser *c, const char *what) {
  if (!c->failed && c->tok.kind != TK_ERROR)
    pp_error(c->pp, &c->tok, "expected %s in preprocessor condition", what);
  c->failed = true;
}

/* operand -> IDENT | NUMBER | '-' NUMBER | STRING */
static CondVal cond_operand(CondParser *c) {
  CondVal v = {.ok = true};
  const PPEnv *env = c->pp->env;
  Token t = c->tok;
  if (t.kind == TK_NUMBER) {
    v.n = t.num;
  } else if (is_op(&t, OP_MINUS)) {
    cond_advance(c);
    if (c->tok.kind != TK_NUMBER) {
      cond_fail(c, "number");
      v.ok = false;
      return v;
    }
    v.n = -c->tok.num;
  } else if (t.kind == TK_STRING) {
    v.is_str = true;
    v.s = t.text;
  } else if (t.kind == TK_IDENT) {
    const char *id = t.text;
    v.is_str = true;
    v.named = true;
    if (strcmp(id, "kernel_v") == 0) {
      v.s = env->kernel_version;
      v.is_version = true;
    } else if (strcmp(id, "kernel_vr") == 0) {
      v.s = env->kernel_release;
      v.is_version = true;
    } else if (strcmp(id, "systemtap_v") == 0) {
      v.s = env->compat_version;
      v.is_version = true;
    } else if (strcmp(id, "arch") == 0) {
      v.s = env->arch;
      v.eq_only = true;
    } else if (strcmp(id, "runtime") == 0) {
      v.s = env->runtime;
      v.eq_only = true;
    } else if (strcmp(id, "systemtap_privilege") == 0) {
      v.s = env->privilege;
      v.eq_only = true;
    } else if (strcmp(id, "guru_mode") == 0) {
      v.is_str = false;
      v.n = env->guru;
    } else if (strncmp(id, "CONFIG_", 7) == 0) {
      const char *val = env->config ? env->config(env->config_ctx, id) : NULL;
      v.s = val ? val : "";
    } else {
      pp_error(c->pp, &t, "unknown name '%s' in preprocessor condition", id);
      c->failed = true;
      v.ok = false;
    }
  } else {
    cond_fail(c, "a name, number or string");
    v.ok = false;
    return v;
  }
  cond_advance(c);
  return v;
}

static bool compare(int cmp, Op op) {
  switch (op) {
  case OP_EQ: return cmp == 0;
  case OP_NE: return cmp != 0;
  case OP_LT: return cmp < 0;
  case OP_LE: return cmp <= 0;
  case OP_GT: return cmp > 0;
  case OP_GE: return cmp >= 0;
  default: return false;
  }
}

/* comparison -> operand OP operand, OP one of == != < <= > >= */
static bool cond_comparison(CondParser *c) {
  CondVal l = cond_operand(c);
  if (!l.ok) return false;
  Op op = c->tok.kind == TK_OP ? c->tok.op : OP_NONE;
  if (op != OP_EQ && op != OP_NE && op != OP_LT && op != OP_LE &&
      op != OP_GT && op != OP_GE) {
    cond_fail(c, "a comparison operator");
    return false;
  }
  if (l.eq_only && op != OP_EQ && op != OP_NE) {
    cond_fail(c, "'==' or '!='");
    return false;
  }
  cond_advance(c);
  Token rt = c->tok;
  CondVal r = cond_operand(c);
  if (!r.ok) return false;
  if (l.is_str && !r.is_str && !l.is_version) {
    /* CONFIG_HZ == 100: compare the option's value as a number. */
    char *end;
    long long n = strtoll(l.s, &end, 0);
    if (*l.s && !*end) return compare(n < r.n ? -1 : n > r.n, op);
    return op == OP_NE;
  }
  if (l.is_str != r.is_str) {
    if (!c->failed)
      pp_error(c->pp, &rt, "expected %s in preprocessor condition",
               l.is_str ? "a string" : "a number");
    c->failed = true;
    return false;
  }
  if (!l.is_str) return compare(l.n < r.n ? -1 : l.n > r.n, op);
  if (l.named && (op == OP_EQ || op == OP_NE) && util_has_glob(r.s))
    return util_glob_match(r.s, l.s) == (op == OP_EQ);
  int cmp = l.is_version ? util_vercmp(l.s, r.s) : strcmp(l.s, r.s);
  return compare(cmp, op);
}

static bool cond_or(CondParser *c);
static bool cond_atom_inner(CondParser *c);

/* atom -> '(' or ')' | '!' atom | comparison */
static bool cond_atom(CondParser *c) {
  bool nested = is_op(&c->tok, OP_LPAREN) || is_op(&c->tok, OP_NOT);
  if (nested && ++c->depth > COND_MAX_DEPTH) {
    if (!c->failed)
      pp_error(c->pp, &c->tok, "preprocessor condition nested too deeply (more than %s levels)", "100");
    c->failed = true;
    return false;
  }
  bool v = cond_atom_inner(c);
  if (nested) c->depth--;
  return v;
}

static bool cond_atom_inner(CondParser *c) {
  if (is_op(&c->tok, OP_LPAREN)) {
    cond_advance(c);
    bool v = cond_or(c);
    if (!is_op(&c->tok, OP_RPAREN)) {
      cond_fail(c, "')'");
      return false;
    }
    cond_advance(c);
    return v;
  }
  if (is_op(&c->tok, OP_NOT)) {
    cond_advance(c);
    return !cond_atom(c);
  }
  return cond_comparison(c);
}

/* and -> atom { '&&' atom } */
static bool cond_and(CondParser *c) {
  bool v = cond_atom(c);
  while (!c->failed && is_op(&c->tok, OP_ANDAND)) {
    cond_advance(c);
    bool r = cond_atom(c);
    v = v && r;
  }
  return v;
}

/* or -> and { '||' and } */
static bool cond_or(CondParser *c) {
  bool v = cond_and(c);
  while (!c->failed && is_op(&c->tok, OP_OROR)) {
    cond_advance(c);
    bool r = cond_and(c);
    v = v || r;
  }
  return v;
}

/* Skip a dropped branch up to the '%:' or '%)' that ends it (into *t). */
static void skip_branch(PP *pp, bool stop_at_else, Token *t) {
  bool was = pp->skipping;
  pp->skipping = true;
  int depth = 0;
  for (;;) {
    expand_next(pp, t);
    if (t->kind == TK_EOF) break;
    if (t->kind != TK_OP) continue;
    if (t->op == OP_PP_IF) depth++;
    else if (t->op == OP_PP_END && depth-- == 0) break;
    else if (t->op == OP_PP_ELSE && depth == 0) {
      if (stop_at_else) break;
      pp_error(pp, t, "invalid conditional: duplicate '%s'", "%:");
    }
  }
  pp->skipping = was;
}

static void cond_push(PP *pp, int state, const Token *at) {
  if (pp->nconds == pp->conds_cap)
    pp->conds = grow_array(pp->arena, pp->conds, pp->nconds, &pp->conds_cap, sizeof *pp->conds);
  pp->conds[pp->nconds++] = (PPCond){state, *at};
}

/* conditional -> '%(' cond '%?' tokens [ '%:' tokens ] '%)' */
static void begin_conditional(PP *pp, const Token *at) {
  CondParser c = {pp, {0}, false, 0};
  cond_advance(&c);
  bool v = cond_or(&c);
  if (!c.failed && !is_op(&c.tok, OP_PP_THEN)) cond_fail(&c, "'%?'");
  Token t;
  if (c.failed) {
    /* Drop the whole conditional: neither branch can be trusted. */
    t = c.tok;
    while (t.kind != TK_EOF && !is_op(&t, OP_PP_THEN) && !is_op(&t, OP_PP_END))
      expand_next(pp, &t);
    if (is_op(&t, OP_PP_THEN)) {
      skip_branch(pp, true, &t);
      if (is_op(&t, OP_PP_ELSE)) skip_branch(pp, false, &t);
    }
    return;
  }
  if (v) {
    cond_push(pp, COND_THEN, at);
    return;
  }
  skip_branch(pp, true, &t);
  if (is_op(&t, OP_PP_ELSE)) cond_push(pp, COND_ELSE, at);
  else if (t.kind == TK_EOF)
    pp_error(pp, at, "unterminated conditional (missing '%s')", "%)");
}

/* pp_next() past its fast path. */
static __attribute__((noinline)) void pp_next_slow(PP *pp, Token *t) {
  for (;;) {
    expand_next(pp, t);
    if (t->kind == TK_EOF) {
      if (pp->nconds) {
        pp_error(pp, &pp->conds[0].at, "unterminated conditional (missing '%s')", "%)");
        pp->nconds = 0;
      }
      return;
    }
    if (t->kind != TK_OP) return;
    Token other; /* the '%(' itself, or the end of a skipped branch */
    switch (t->op) {
    case OP_PP_IF:
      other = *t;
      begin_conditional(pp, &other);
      continue;
    case OP_PP_ELSE:
      if (pp->nconds && pp->conds[pp->nconds - 1].state == COND_THEN) {
        skip_branch(pp, false, &other);
        if (other.kind == TK_EOF) continue; /* reported at EOF */
        pp->nconds--;
        continue;
      }
      if (pp->nconds)
        pp_error(pp, t, "invalid conditional: duplicate '%s'", "%:");
      else
        pp_error(pp, t, "'%s' without a matching '%%(' and '%%?'", "%:");
      continue;
    case OP_PP_END:
      if (pp->nconds) {
        pp->nconds--;
        continue;
      }
      pp_error(pp, t, "'%s' without a matching '%%('", "%)");
      continue;
    case OP_PP_THEN:
      pp_error(pp, t, "'%s' without a matching '%%('", "%?");
      continue;
    default:
      return;
    }
  }
}

void pp_next(PP *pp, Token *t) {
  /* Fast path: straight from the file, nothing open, an ordinary token. */
  if (!pp->top->up && !pp->nconds) {
    lexer_next(pp->top->lexer, t);
    if (t->kind != TK_ARG && t->kind != TK_AT &&
        !(t->kind == TK_OP && t->op >= OP_PP_IF && t->op <= OP_PP_END))
      return;
    pp->pending = *t;
    pp->has_pending = true;
  }
  pp_next_slow(pp, t);
}
