/* parser: see parser.h.  Errors unwind with longjmp to the top-level loop,
 * which skips to the next declaration; everything allocated so far lives
 * in the arena, so unwinding leaks nothing. */
#include "front/parser.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "front/printer.h"
#include "runtime/common/format.h"

enum { LOOKAHEAD = 4, MAX_BRACE_EXPANSION = 10000 };

typedef struct Parser {
  PP *pp;                 /* where tokens come from */
  Arena *arena;           /* the tree goes here */
  Diag *diag;             /* errors go here */
  const SourceFile *file; /* the file being parsed */
  Token look[LOOKAHEAD];  /* tokens read ahead: a ring */
  Token *cur;             /* the next token's slot in look */
  int nlook;              /* tokens read ahead, from cur on */
  uint64_t taken;         /* tokens consumed so far: the next token's
                             sequence number */
  uint64_t item_seq;      /* sequence number of the first token of the
                             item being parsed */
  const Token *item_origin; /* that token's origin */
  void **stack;           /* the elements of the lists being collected,
                             the file's items at the bottom */
  size_t nstack;          /* entries in stack */
  size_t nitems;          /* the file's items so far (stack[0..nitems)) */
  size_t stack_cap;       /* room in stack (malloc'd) */
  int depth;              /* current nesting */
  bool allow_embedded;    /* embedded C is allowed (tapset or guru mode) */
  jmp_buf fail;           /* where errors unwind to */
} Parser;

/* ---- Tokens ----
 * Tokens are values in a small ring, read only when looked at (so that a
 * lexical error is reported when the parser reaches it, not before).  A
 * pointer from peek() is good until the next call to next(); a token
 * needed after that is copied (next() returns a copy of the token it
 * consumes). */

/* The ring slot n tokens after the next one. */
static inline Token *slot(Parser *P, int n) {
  Token *s = P->cur + n;
  return s < P->look + LOOKAHEAD ? s : s - LOOKAHEAD;
}

static inline const Token *peek(Parser *P) {
  if (!P->nlook) {
    pp_next(P->pp, P->cur);
    P->nlook = 1;
  }
  return P->cur;
}

static const Token *peek_n(Parser *P, int n) {
  for (; P->nlook <= n; P->nlook++) pp_next(P->pp, slot(P, P->nlook));
  return slot(P, n);
}

static inline Token next(Parser *P) {
  Token t = *peek(P);
  P->cur = slot(P, 1);
  P->nlook--;
  P->taken++;
  return t;
}

static inline bool is_op(const Token *t, Op op) { return t->kind == TK_OP && t->op == op; }
static inline bool is_kw(const Token *t, Keyword kw) { return t->kind == TK_KEYWORD && t->kw == kw; }
static inline bool at_op(Parser *P, Op op) { return is_op(peek(P), op); }
static inline bool at_kw(Parser *P, Keyword kw) { return is_kw(peek(P), kw); }

static inline bool accept_op(Parser *P, Op op) {
  if (!at_op(P, op)) return false;
  next(P);
  return true;
}

/* Report "expected WHAT" at token t and unwind. */
static _Noreturn void fail_at(Parser *P, const Token *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static _Noreturn void fail_at(Parser *P, const Token *t, const char *fmt, ...) {
  if (t->kind != TK_ERROR) {
    va_list ap;
    va_start(ap, fmt);
    diag_verror(P->diag, "parse error", t->loc, token_describe(t, P->arena), fmt, ap);
    va_end(ap);
  }
  longjmp(P->fail, 1);
}

static _Noreturn void expected(Parser *P, const char *what) {
  fail_at(P, peek(P), "expected %s", what);
}

static _Noreturn void expected_op(Parser *P, Op op) {
  fail_at(P, peek(P), "expected '%s'", op_spelling(op));
}

static inline Token expect_op(Parser *P, Op op) {
  if (!at_op(P, op)) expected_op(P, op);
  return next(P);
}

static Token expect_ident(Parser *P, const char *what) {
  const Token *t = peek(P);
  if (t->kind != TK_IDENT || t->text[0] == '$') expected(P, what);
  return next(P);
}

static void enter(Parser *P) {
  if (++P->depth > PARSER_MAX_DEPTH)
    fail_at(P, peek(P), "nesting too deep (more than %d levels)",
            PARSER_MAX_DEPTH);
}

static void leave(Parser *P) { P->depth--; }

static void need_embedded(Parser *P, const Token *t) {
  if (!P->allow_embedded)
    fail_at(P, t, "embedded code in unprivileged script; need stap -g");
}

/* ---- Lists ----
 * A list is collected on the parser's stack and copied to the arena at
 * its exact length once complete, so that no list leaves grown and
 * abandoned copies behind.  Lists nest: an inner list is complete before
 * the outer one takes its next element.  list_end(P, mark) ends the list
 * begun when the stack held mark entries. */

static void list_push(Parser *P, void *item) {
  if (P->nstack == P->stack_cap) {
    P->stack_cap = P->stack_cap ? P->stack_cap * 2 : 64;
    P->stack = xrealloc(P->stack, P->stack_cap * sizeof *P->stack);
  }
  P->stack[P->nstack++] = item;
}

/* A complete item joins the file's list (the stack holds nothing else
 * when an item is complete). */
static void add_item(Parser *P, Item *it) {
  list_push(P, it);
  P->nitems = P->nstack;
}

static Vec list_end(Parser *P, size_t mark) {
  Vec v = {0};
  size_t n = P->nstack - mark;
  if (n) {
    v.items = arena_alloc(P->arena, n * sizeof *v.items);
    memcpy(v.items, P->stack + mark, n * sizeof *v.items);
    v.len = v.cap = n;
  }
  P->nstack = mark;
  return v;
}

/* ---- Expressions ---- */

static Expr *parse_expression(Parser *P);
static Expr *parse_unary(Parser *P);
static Stmt *parse_statement(Parser *P);
static Stmt *parse_block(Parser *P);

static Expr *new_expr(Parser *P, ExprKind kind, const Token *t) {
  return ast_expr(P->arena, kind, t->loc);
}

/* strings -> STRING { STRING } (adjacent literals are glued) */
static Expr *parse_strings(Parser *P) {
  Token t = next(P);
  Expr *e = new_expr(P, E_STR, &t);
  if (peek(P)->kind != TK_STRING) {
    e->str = t.text;
    e->len = t.len;
    return e;
  }
  StrBuf sb;
  sb_init(&sb);
  sb_append(&sb, t.text, t.len);
  while (peek(P)->kind == TK_STRING) {
    Token u = next(P);
    sb_append(&sb, u.text, u.len);
  }
  e->str = arena_strndup(P->arena, sb_cstr(&sb), sb.len);
  e->len = (uint32_t)sb.len;
  sb_free(&sb);
  return e;
}

/* literal -> NUMBER | '-' NUMBER | strings */
static Expr *parse_literal(Parser *P, const char *what) {
  const Token *t = peek(P);
  if (t->kind == TK_STRING) return parse_strings(P);
  if (t->kind == TK_NUMBER) {
    Token n = next(P);
    Expr *e = new_expr(P, E_NUM, &n);
    e->num = n.num;
    e->text = n.text;
    return e;
  }
  if (is_op(t, OP_MINUS) && peek_n(P, 1)->kind == TK_NUMBER) {
    Token minus = next(P);
    Token n = next(P);
    Expr *e = new_expr(P, E_NUM, &minus);
    e->num = (int64_t)(0 - (uint64_t)n.num);
    e->text = arena_printf(P->arena, "-%s", n.text);
    return e;
  }
  expected(P, what);
}

/* Split a pretty-print suffix off a target name or member: "$x$$" is
 * "$x" with suffix 2, "$$parms$" is "$$parms" with suffix 1. */
static int pretty_suffix(Parser *P, const Token *t, const char **name) {
  size_t n = t->len, lead = 0, k = n;
  while (lead < n && t->text[lead] == '$') lead++;
  while (k > lead && t->text[k - 1] == '$') k--;
  if (k == lead) k = n; /* nothing but '$': no suffix */
  int dollars = (int)(n - k);
  if (dollars > 2) fail_at(P, t, "expected '$' or '$$' as a pretty-print suffix");
  *name = dollars ? arena_strndup(P->arena, t->text, k) : t->text;
  return dollars;
}

/* A '$' or '$$' written right after a ']' or ')' of a target chain. */
static int trailing_dollars(Parser *P) {
  const Token *t = peek(P);
  if (t->kind != TK_IDENT || t->space_before) return 0;
  for (uint32_t i = 0; i < t->len; i++)
    if (t->text[i] != '$') return 0;
  if (t->len > 2) fail_at(P, t, "expected '$' or '$$' as a pretty-print suffix");
  int n = (int)t->len;
  next(P);
  return n;
}

/* chain -> { '->' member | '[' expression ']' } [ '$' | '$$' ] */
static void parse_chain(Parser *P, Expr *e) {
  if (e->pretty) return;
  size_t mark = P->nstack;
  for (;;) {
    const Token *t = peek(P);
    if (is_op(t, OP_ARROW)) {
      SrcLoc at = t->loc;
      next(P);
      const Token *m = peek(P);
      if ((m->kind != TK_IDENT && m->kind != TK_KEYWORD) || m->text[0] == '$')
        expected(P, "a member name after '->'");
      Token member = next(P);
      TargetComp *c = arena_alloc(P->arena, sizeof *c);
      c->loc = at;
      e->pretty = pretty_suffix(P, &member, &c->name);
      list_push(P, c);
      if (e->pretty) {
        e->comps = list_end(P, mark);
        return;
      }
    } else if (is_op(t, OP_LBRACKET)) {
      SrcLoc at = t->loc;
      next(P);
      TargetComp *c = arena_alloc(P->arena, sizeof *c);
      c->is_index = true;
      c->loc = at;
      c->index = parse_expression(P);
      expect_op(P, OP_RBRACKET);
      list_push(P, c);
    } else {
      break;
    }
  }
  e->comps = list_end(P, mark);
  e->pretty = trailing_dollars(P);
}

/* index -> '[' ( '*' | expression ) { ',' ( '*' | expression ) } ']' */
static void parse_indices(Parser *P, Vec *out) {
  Token open = expect_op(P, OP_LBRACKET);
  size_t mark = P->nstack;
  for (;;) {
    const Token *t = peek(P);
    if (is_op(t, OP_MUL) &&
        (is_op(peek_n(P, 1), OP_COMMA) || is_op(peek_n(P, 1), OP_RBRACKET))) {
      Token star = next(P);
      list_push(P, new_expr(P, E_WILD, &star));
    } else {
      list_push(P, parse_expression(P));
    }
    if (P->nstack - mark > PARSER_MAX_INDICES)
      fail_at(P, &open, "too many array indices (at most %d)", PARSER_MAX_INDICES);
    if (accept_op(P, OP_RBRACKET)) break;
    if (!accept_op(P, OP_COMMA)) expected(P, "',' or ']'");
  }
  *out = list_end(P, mark);
}

/* args -> '(' [ expression { ',' expression } ] ')' */
static void parse_call_args(Parser *P, Vec *out) {
  expect_op(P, OP_LPAREN);
  if (accept_op(P, OP_RPAREN)) return;
  size_t mark = P->nstack;
  for (;;) {
    list_push(P, parse_expression(P));
    if (accept_op(P, OP_RPAREN)) break;
    if (!accept_op(P, OP_COMMA)) expected(P, "',' or ')'");
  }
  *out = list_end(P, mark);
}

static const char *expect_string(Parser *P, const char *what) {
  if (peek(P)->kind != TK_STRING) expected(P, what);
  return parse_strings(P)->str;
}

/* at_op -> '@count' '(' expr ')' | ... | '@cast' '(' expr ',' STRING
 *          [ ',' STRING ] ')' chain | '@var' '(' STRING [ ',' STRING ] ')'
 *          chain | '@defined' '(' expr ')' | '@entry' '(' expr ')'
 *          | ( '@perf' | '@const' ) '(' STRING ')' | '@probewrite' '(' expr ')'
 *          | '@hist_linear' '(' expr ',' expr ',' expr ',' expr ')' [index]
 *          | '@hist_log' '(' expr ')' [index]
 *          | ( '@kregister' | '@uregister' | '@kderef' | '@uderef' ) args */
static Expr *parse_at(Parser *P) {
  Token t = *peek(P); /* (consumed below, used after) */
  static const struct {
    const char *name;
    StatOp op;
  } stats[] = {{"count", STAT_COUNT}, {"sum", STAT_SUM}, {"min", STAT_MIN},
               {"max", STAT_MAX}, {"avg", STAT_AVG},
               {"variance", STAT_VARIANCE}};
  for (size_t i = 0; i < sizeof stats / sizeof *stats; i++)
    if (strcmp(t.text, stats[i].name) == 0) {
      next(P);
      Expr *e = new_expr(P, E_STAT, &t);
      e->stat = stats[i].op;
      expect_op(P, OP_LPAREN);
      e->l = parse_expression(P);
      /* @variance(s, bit_shift) */
      if (e->stat == STAT_VARIANCE && accept_op(P, OP_COMMA)) {
        size_t mark = P->nstack;
        list_push(P, parse_literal(P, "a bit shift number"));
        e->args = list_end(P, mark);
      }
      expect_op(P, OP_RPAREN);
      return e;
    }
  bool linear = strcmp(t.text, "hist_linear") == 0;
  if (linear || strcmp(t.text, "hist_log") == 0) {
    next(P);
    Expr *e = new_expr(P, E_HIST, &t);
    e->stat = linear ? STAT_HIST_LINEAR : STAT_HIST_LOG;
    expect_op(P, OP_LPAREN);
    e->l = parse_expression(P);
    size_t mark = P->nstack;
    for (int i = 0; linear && i < 3; i++) {
      expect_op(P, OP_COMMA);
      list_push(P, parse_expression(P));
    }
    e->args = list_end(P, mark);
    expect_op(P, OP_RPAREN);
    if (!at_op(P, OP_LBRACKET)) return e;
    Expr *ix = new_expr(P, E_INDEX, peek(P));
    ix->base = e;
    parse_indices(P, &ix->args);
    if (ix->args.len != 1) fail_at(P, &t, "a histogram takes one bucket index");
    return ix;
  }
  if (strcmp(t.text, "cast") == 0) {
    next(P);
    Expr *e = new_expr(P, E_CAST, &t);
    expect_op(P, OP_LPAREN);
    e->l = parse_expression(P);
    expect_op(P, OP_COMMA);
    e->str = expect_string(P, "a type name string");
    if (accept_op(P, OP_COMMA)) e->module = expect_string(P, "a module name string");
    expect_op(P, OP_RPAREN);
    parse_chain(P, e);
    return e;
  }
  if (strcmp(t.text, "var") == 0) {
    next(P);
    Expr *e = new_expr(P, E_VARREF, &t);
    expect_op(P, OP_LPAREN);
    e->str = expect_string(P, "a variable name string");
    if (accept_op(P, OP_COMMA)) e->module = expect_string(P, "a module name string");
    expect_op(P, OP_RPAREN);
    parse_chain(P, e);
    return e;
  }
  bool perf = strcmp(t.text, "perf") == 0;
  if (perf || strcmp(t.text, "const") == 0) {
    next(P);
    Expr *e = new_expr(P, perf ? E_PERF : E_CONST, &t);
    expect_op(P, OP_LPAREN);
    e->str = expect_string(P, perf ? "a perf counter name string" : "a constant name string");
    expect_op(P, OP_RPAREN);
    return e;
  }
  static const struct {
    const char *name;
    ExprKind kind;
  } wrappers[] = {{"defined", E_DEFINED}, {"entry", E_ENTRY},
                  {"probewrite", E_PROBEWRITE}};
  for (size_t i = 0; i < sizeof wrappers / sizeof *wrappers; i++)
    if (strcmp(t.text, wrappers[i].name) == 0) {
      next(P);
      Expr *e = new_expr(P, wrappers[i].kind, &t);
      expect_op(P, OP_LPAREN);
      e->l = parse_expression(P);
      expect_op(P, OP_RPAREN);
      return e;
    }
  static const struct {
    const char *name;
    size_t nargs;
  } funcs[] = {{"kregister", 1}, {"uregister", 1}, {"kderef", 2}, {"uderef", 2}};
  for (size_t i = 0; i < sizeof funcs / sizeof *funcs; i++)
    if (strcmp(t.text, funcs[i].name) == 0) {
      next(P);
      Expr *e = new_expr(P, E_ATFUNC, &t);
      e->name = t.text;
      parse_call_args(P, &e->args);
      if (e->args.len != funcs[i].nargs)
        fail_at(P, &t, "@%s takes %zu argument%s", t.text, funcs[i].nargs,
                funcs[i].nargs == 1 ? "" : "s");
      return e;
    }
  fail_at(P, &t, "unknown macro or operator '@%s'", t.text);
}

/* The print family are functions only: their names are not variables. */
static bool is_print_function(const Token *t) {
  /* All of them are "print" or "sprint" and a suffix. */
  if (t->len < 5 || (t->text[0] != 'p' && t->text[0] != 's') ||
      memcmp(t->text + (t->text[0] == 's'), "print", 5) != 0)
    return false;
  static const char *const names[] = {"print", "println", "printf", "printd",
                                      "printdln", "sprint", "sprintln",
                                      "sprintf", "sprintd", "sprintdln"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (strcmp(t->text, names[i]) == 0) return true;
  return false;
}

/* call -> NAME args; printf and sprintf take a literal format first,
 * checked here as stap checks it in pass 1 */
static Expr *parse_call(Parser *P, const Token *name) {
  Expr *e = new_expr(P, E_CALL, name);
  e->name = name->text;
  bool format = (name->len == 6 && memcmp(name->text, "printf", 6) == 0) ||
                (name->len == 7 && memcmp(name->text, "sprintf", 7) == 0);
  if (format) {
    if (peek_n(P, 1)->kind != TK_STRING) {
      next(P);
      expected(P, "literal string as format");
    }
  }
  parse_call_args(P, &e->args);
  if (format) {
    const Expr *f = e->args.items[0];
    size_t bad = 0;
    if (fmt_parse(f->str, f->len, NULL, 0, &bad) < 0) {
      size_t end = bad + 1;
      while (end < f->len && strchr("-+ #0123456789.*l", f->str[end])) end++;
      if (end < f->len) end++;
      StrBuf spec;
      sb_init(&spec);
      printer_string_literal(&spec, f->str + bad, end - bad);
      char *shown = arena_strdup(P->arena, sb_cstr(&spec));
      sb_free(&spec);
      Token at = {.kind = TK_STRING, .text = f->str, .len = f->len, .loc = f->loc};
      fail_at(P, &at, "invalid or missing conversion specifier %s in format", shown);
    }
  }
  return e;
}

/* primary -> '(' expression ')' | literal | EMBEDDED | at_op
 *          | TARGET chain | NAME args | NAME index | NAME */
static Expr *parse_primary(Parser *P) {
  const Token *t = peek(P);
  switch (t->kind) {
  case TK_NUMBER:
  case TK_STRING:
    return parse_literal(P, "expression");
  case TK_EMBEDDED: {
    need_embedded(P, t);
    Token code = next(P);
    Expr *e = new_expr(P, E_EMBEDDED, &code);
    e->str = code.text;
    e->len = code.len;
    return e;
  }
  case TK_AT:
    return parse_at(P);
  case TK_IDENT: {
    Token id = next(P);
    if (id.text[0] == '$') {
      Expr *e = new_expr(P, E_TARGET, &id);
      e->pretty = pretty_suffix(P, &id, &e->name);
      if (strcmp(e->name, "$") == 0 || strcmp(e->name, "$$") == 0)
        fail_at(P, &id, "expected a target variable name after '$'");
      parse_chain(P, e);
      return e;
    }
    if (at_op(P, OP_LPAREN)) return parse_call(P, &id);
    if (is_print_function(&id)) expect_op(P, OP_LPAREN);
    Expr *v = new_expr(P, E_VAR, &id);
    v->name = id.text;
    if (!at_op(P, OP_LBRACKET)) return v;
    Expr *e = new_expr(P, E_INDEX, peek(P));
    e->base = v;
    parse_indices(P, &e->args);
    return e;
  }
  case TK_OP:
    if (t->op == OP_LPAREN) {
      next(P);
      Expr *e = parse_expression(P);
      expect_op(P, OP_RPAREN);
      e->paren = true;
      return e;
    }
    break;
  default:
    break;
  }
  expected(P, "expression");
}

/* ++ and -- apply to variables, array elements and target values. */
static void check_crement_operand(Parser *P, const Token *op, const Expr *e) {
  switch (e->kind) {
  case E_VAR: case E_INDEX: case E_TARGET: case E_CAST: case E_VARREF:
  case E_AUTOCAST:
    if (!e->addr_of) return;
    break;
  default:
    break;
  }
  fail_at(P, op, "'%s' needs a variable, array element or target value",
          op_spelling(op->op));
}

/* postfix -> primary [ autocast ] [ '++' | '--' ]
 * autocast -> chain, on a primary that has none of its own */
static Expr *parse_postfix(Parser *P) {
  Expr *e = parse_primary(P);
  const Token *t = peek(P);
  bool chained = e->kind == E_TARGET || e->kind == E_CAST ||
                 e->kind == E_VARREF || e->kind == E_HIST ||
                 (e->kind == E_INDEX && e->base->kind == E_HIST);
  if (!chained && (is_op(t, OP_ARROW) ||
                   (is_op(t, OP_LBRACKET) && (e->kind != E_VAR || e->paren)))) {
    Expr *a = new_expr(P, E_AUTOCAST, t);
    a->l = e;
    parse_chain(P, a);
    e = a;
    t = peek(P);
  }
  if (is_op(t, OP_INC) || is_op(t, OP_DEC)) {
    Token op = next(P);
    check_crement_operand(P, &op, e);
    Expr *c = new_expr(P, E_CREMENT, &op);
    c->op = op.op;
    c->post = true;
    c->l = e;
    return c;
  }
  return e;
}

/* unary -> ( '+' | '-' | '!' | '~' | '++' | '--' ) unary | '&' unary
 *        | postfix */
static Expr *parse_unary(Parser *P) {
  const Token *t = peek(P);
  if (t->kind != TK_OP) return parse_postfix(P);
  switch (t->op) {
  case OP_PLUS: case OP_MINUS: case OP_NOT: case OP_TILDE:
  case OP_INC: case OP_DEC: {
    Token op = next(P);
    enter(P);
    Expr *e = new_expr(P, op.op == OP_INC || op.op == OP_DEC ? E_CREMENT : E_UNARY, &op);
    e->op = op.op;
    e->l = parse_unary(P);
    if (e->kind == E_CREMENT) check_crement_operand(P, &op, e->l);
    leave(P);
    return e;
  }
  case OP_BAND: {
    Token amp = next(P);
    Expr *e = parse_postfix(P);
    if ((e->kind != E_TARGET && e->kind != E_CAST && e->kind != E_VARREF &&
         e->kind != E_AUTOCAST) || e->addr_of || e->pretty)
      fail_at(P, &amp, "'&' applies only to a target variable or @cast member");
    e->addr_of = true;
    return e;
  }
  default:
    return parse_postfix(P);
  }
}


static Expr *parse_at(Parser *P);

/* array_name -> NAME | '@hist_linear' (...) | '@hist_log' (...) */
static Expr *parse_array_name(Parser *P) {
  const Token *h = peek(P);
  if (h->kind == TK_AT && (strcmp(h->text, "hist_linear") == 0 ||
                           strcmp(h->text, "hist_log") == 0)) {
    Token at = *h;
    Expr *e = parse_at(P);
    if (e->kind != E_HIST) fail_at(P, &at, "expected a histogram after 'in'");
    return e;
  }
  Token t = expect_ident(P, "an array name after 'in'");
  Expr *e = new_expr(P, E_VAR, &t);
  e->name = t.text;
  return e;
}

/* bracket_in -> '[' index_list ']' 'in' array_name */
static Expr *parse_bracket_in(Parser *P) {
  Expr *e = new_expr(P, E_IN, peek(P));
  parse_indices(P, &e->args);
  if (!at_kw(P, KW_IN)) expected(P, "'in'");
  next(P);
  e->base = parse_array_name(P);
  return e;
}

/* The level of the binary operator at t ('in' included), or 0. */
static int binary_level(const Token *t) {
  if (t->kind == TK_OP) return ast_binop_prec(t->op);
  return is_kw(t, KW_IN) ? PREC_IN : 0;
}

/* binary(level) -> operand { OP binary(level(OP) + 1) } for operators of
 * at least that level, left-associative (precedence climbing over the
 * levels of ast.h); 'in' takes an array name on its right:
 * operand -> bracket_in | unary */
static Expr *parse_binary(Parser *P, int level) {
  Expr *l = at_op(P, OP_LBRACKET) ? parse_bracket_in(P) : parse_unary(P);
  for (;;) {
    const Token *t = peek(P);
    int prec = binary_level(t);
    if (!prec || prec < level) return l;
    Token op = next(P);
    if (prec == PREC_IN) {
      Expr *e = new_expr(P, E_IN, &op);
      size_t mark = P->nstack;
      list_push(P, l);
      e->args = list_end(P, mark);
      e->base = parse_array_name(P);
      l = e;
      continue;
    }
    Expr *e = new_expr(P, E_BINARY, &op);
    e->op = op.op;
    e->l = l;
    /* As in stap, a regex match and a comparison do not chain. */
    if (prec == PREC_CMP && l->kind == E_BINARY && !l->paren &&
        ast_binop_prec(l->op) == PREC_CMP &&
        (ast_is_regex_op(op.op) || ast_is_regex_op(l->op)))
      fail_at(P, &op, "a regular expression match does not chain with a "
                      "comparison; add parentheses");
    /* The pattern of =~ and !~ is compiled ahead: it must be a literal. */
    if ((op.op == OP_MATCH || op.op == OP_NMATCH) && peek(P)->kind != TK_STRING)
      expected(P, "literal string as regular expression");
    e->r = parse_binary(P, prec + 1);
    l = e;
  }
}

/* ternary -> binary(||) [ '?' expression ':' ternary ] */
static Expr *parse_ternary(Parser *P) {
  Expr *c = parse_binary(P, PREC_OROR);
  if (!at_op(P, OP_QUESTION)) return c;
  Token q = next(P);
  Expr *e = new_expr(P, E_TERNARY, &q);
  e->cond = c;
  e->l = parse_expression(P);
  expect_op(P, OP_COLON);
  enter(P);
  e->r = parse_ternary(P);
  leave(P);
  return e;
}

static bool is_assign_op(Op op) {
  switch (op) {
  case OP_ASSIGN: case OP_ADD_ASSIGN: case OP_SUB_ASSIGN: case OP_MUL_ASSIGN:
  case OP_DIV_ASSIGN: case OP_MOD_ASSIGN: case OP_SHL_ASSIGN:
  case OP_SHR_ASSIGN: case OP_AND_ASSIGN: case OP_OR_ASSIGN:
  case OP_XOR_ASSIGN: case OP_CAT_ASSIGN: case OP_AGGREGATE:
    return true;
  default:
    return false;
  }
}

/* expression -> ternary [ assign_op expression ] */
static Expr *parse_expression(Parser *P) {
  enter(P);
  Expr *l = parse_ternary(P);
  const Token *t = peek(P);
  if (t->kind == TK_OP && is_assign_op(t->op)) {
    Token op = next(P);
    Expr *e = new_expr(P, E_ASSIGN, &op);
    e->op = op.op;
    e->l = l;
    e->r = parse_expression(P);
    l = e;
  }
  leave(P);
  return l;
}

/* ---- Statements ---- */

static Stmt *new_stmt(Parser *P, StmtKind kind, const Token *t) {
  return ast_stmt(P->arena, kind, t->loc);
}

/* A statement at the next token, which it consumes. */
static Stmt *take_stmt(Parser *P, StmtKind kind) {
  Stmt *s = new_stmt(P, kind, peek(P));
  next(P);
  return s;
}

/* block -> '{' { statement } '}' */
static Stmt *parse_block(Parser *P) {
  Token open = expect_op(P, OP_LBRACE);
  Stmt *s = new_stmt(P, S_BLOCK, &open);
  size_t mark = P->nstack;
  while (!at_op(P, OP_RBRACE)) {
    if (peek(P)->kind == TK_EOF) expected(P, "'}'");
    list_push(P, parse_statement(P));
  }
  s->stmts = list_end(P, mark);
  next(P);
  return s;
}

static int sort_marker(Parser *P) {
  if (accept_op(P, OP_PLUS)) return 1;
  if (accept_op(P, OP_MINUS)) return -1;
  return 0;
}

static void set_sort(Parser *P, Stmt *s, const Token *at, int key, int dir) {
  if (!dir) return;
  if (s->sort_key != SORT_NONE)
    fail_at(P, at, "multiple sort directives in foreach");
  s->sort_key = key;
  s->sort_dir = dir;
}

/* foreach_key -> NAME [ '+' | '-' ] */
static void parse_foreach_key(Parser *P, Stmt *s) {
  Token t = expect_ident(P, "a foreach key variable");
  Expr *k = new_expr(P, E_VAR, &t);
  k->name = t.text;
  vec_push(&s->keys, P->arena, k);
  set_sort(P, s, &t, (int)s->keys.len - 1, sort_marker(P));
}

/* foreach -> 'foreach' '(' [ NAME [sort] '=' ] keys 'in' array [sort]
 *            [ 'limit' expression ] ')' statement; sort -> [ stat ] ( '+' | '-' )
 * keys -> foreach_key | '[' foreach_key { ',' foreach_key } ']'
 * array -> NAME [ index ] | '@hist_linear' (...) | '@hist_log' (...) */
static Stmt *parse_foreach(Parser *P) {
  Token kw = next(P);
  Stmt *s = new_stmt(P, S_FOREACH, &kw);
  expect_op(P, OP_LPAREN);
  const Token *t = peek(P);
  if (t->kind == TK_IDENT) {
    const Token *u = peek_n(P, 1);
    bool value = is_op(u, OP_ASSIGN) ||
                 ((is_op(u, OP_PLUS) || is_op(u, OP_MINUS)) &&
                  is_op(peek_n(P, 2), OP_ASSIGN));
    if (value) {
      Token v = next(P);
      s->value_var = v.text;
      set_sort(P, s, &v, SORT_VALUE, sort_marker(P));
      expect_op(P, OP_ASSIGN);
    }
  }
  if (accept_op(P, OP_LBRACKET)) {
    s->keys_bracketed = true;
    for (;;) {
      parse_foreach_key(P, s);
      if (s->keys.len > PARSER_MAX_INDICES)
        fail_at(P, peek(P), "too many foreach keys (at most %d)", PARSER_MAX_INDICES);
      if (accept_op(P, OP_RBRACKET)) break;
      if (!accept_op(P, OP_COMMA)) expected(P, "',' or ']'");
    }
  } else {
    parse_foreach_key(P, s);
  }
  if (!at_kw(P, KW_IN)) expected(P, "'in'");
  next(P);
  Token a = *peek(P); /* (consumed below, used after) */
  s->array = parse_array_name(P);
  if (s->array->kind == E_VAR && at_op(P, OP_LBRACKET)) {
    Expr *ix = new_expr(P, E_INDEX, peek(P));
    ix->base = s->array;
    parse_indices(P, &ix->args);
    s->array = ix;
  }
  const Token *st = peek(P);
  if (st->kind == TK_AT) {
    /* in arr @sum- : sort statistics by one extractor's value */
    for (int i = STAT_COUNT; i <= STAT_VARIANCE && s->sort_stat < 0; i++)
      if (strcmp(st->text, stat_op_name((StatOp)i)) == 0) s->sort_stat = i;
    if (s->sort_stat < 0)
      expected(P, "'@count', '@sum', '@min', '@max', '@avg' or '@variance'");
    next(P);
    int dir = sort_marker(P);
    if (!dir) expected(P, "'+' or '-' after the sort extractor");
    set_sort(P, s, &a, SORT_VALUE, dir);
  } else {
    set_sort(P, s, &a, SORT_VALUE, sort_marker(P));
  }
  if (at_kw(P, KW_LIMIT)) {
    next(P);
    s->e = parse_expression(P);
  }
  expect_op(P, OP_RPAREN);
  s->body = parse_statement(P);
  return s;
}

/* statement -> block | ';' | if | while | for | foreach | 'break' | 'continue'
 *            | 'next' | 'return' [ expression ] | 'delete' unary
 *            | try | expression ; each optionally followed by ';' */
static Stmt *parse_statement_inner(Parser *P) {
  const Token *t = peek(P);
  if (is_op(t, OP_LBRACE)) return parse_block(P);
  if (is_op(t, OP_SEMI)) return take_stmt(P, S_NULL);
  if (t->kind == TK_KEYWORD) {
    Stmt *s;
    switch (t->kw) {
    case KW_IF: /* if -> 'if' '(' expression ')' statement [ 'else' statement ] */
      s = take_stmt(P, S_IF);
      expect_op(P, OP_LPAREN);
      s->cond = parse_expression(P);
      expect_op(P, OP_RPAREN);
      s->body = parse_statement(P);
      if (at_kw(P, KW_ELSE)) {
        next(P);
        s->els = parse_statement(P);
      }
      return s;
    case KW_WHILE: /* while -> 'while' '(' expression ')' statement */
      s = take_stmt(P, S_WHILE);
      expect_op(P, OP_LPAREN);
      s->cond = parse_expression(P);
      expect_op(P, OP_RPAREN);
      s->body = parse_statement(P);
      return s;
    case KW_FOR: /* for -> 'for' '(' [e] ';' [e] ';' [e] ')' statement */
      s = take_stmt(P, S_FOR);
      expect_op(P, OP_LPAREN);
      if (!at_op(P, OP_SEMI)) s->init = parse_expression(P);
      expect_op(P, OP_SEMI);
      if (!at_op(P, OP_SEMI)) s->cond = parse_expression(P);
      expect_op(P, OP_SEMI);
      if (!at_op(P, OP_RPAREN)) s->step = parse_expression(P);
      expect_op(P, OP_RPAREN);
      s->body = parse_statement(P);
      return s;
    case KW_FOREACH:
      return parse_foreach(P);
    case KW_BREAK:
    case KW_CONTINUE:
    case KW_NEXT:
      s = take_stmt(P, t->kw == KW_BREAK ? S_BREAK
                       : t->kw == KW_CONTINUE ? S_CONTINUE : S_NEXT);
      accept_op(P, OP_SEMI);
      return s;
    case KW_RETURN:
      s = take_stmt(P, S_RETURN);
      if (!at_op(P, OP_SEMI) && !at_op(P, OP_RBRACE)) s->e = parse_expression(P);
      accept_op(P, OP_SEMI);
      return s;
    case KW_DELETE:
      s = take_stmt(P, S_DELETE);
      s->e = parse_unary(P);
      accept_op(P, OP_SEMI);
      return s;
    case KW_TRY: /* try -> 'try' block 'catch' [ '(' NAME ')' ] block */
      s = take_stmt(P, S_TRY);
      s->body = parse_block(P);
      if (!at_kw(P, KW_CATCH)) expected(P, "'catch'");
      next(P);
      if (accept_op(P, OP_LPAREN)) {
        Token v = expect_ident(P, "a variable name");
        s->catch_var = v.text;
        s->catch_loc = v.loc;
        expect_op(P, OP_RPAREN);
      }
      s->els = parse_block(P);
      return s;
    default:
      expected(P, "statement");
    }
  }
  Stmt *s = new_stmt(P, S_EXPR, t);
  s->e = parse_expression(P);
  accept_op(P, OP_SEMI);
  return s;
}

static Stmt *parse_statement(Parser *P) {
  enter(P);
  Stmt *s = parse_statement_inner(P);
  leave(P);
  return s;
}

/* ---- Probe points ---- */

/* One alternative of a probe point sequence being expanded. */
typedef struct CompList {
  Vec comps; /* ProbeComp*, at their exact length */
} CompList;

/* The alternative of components a followed by components b. */
static CompList *comp_list(Parser *P, const Vec *a, const Vec *b) {
  CompList *c = arena_alloc(P->arena, sizeof *c);
  size_t n = a->len + b->len;
  c->comps.items = arena_alloc(P->arena, n * sizeof *c->comps.items);
  if (a->len) memcpy(c->comps.items, a->items, a->len * sizeof *a->items);
  if (b->len) memcpy(c->comps.items + a->len, b->items, b->len * sizeof *b->items);
  c->comps.len = c->comps.cap = n;
  return c;
}

static bool glues(const Token *t) {
  return !t->space_before &&
         (t->kind == TK_IDENT || t->kind == TK_KEYWORD || t->kind == TK_NUMBER ||
          is_op(t, OP_MUL));
}

/* component -> name [ '(' literal ')' ]; name -> piece { piece } where
 * pieces (identifiers, keywords, numbers, '*') are written together */
static ProbeComp *parse_component(Parser *P) {
  const Token *t = peek(P);
  if (!(t->kind == TK_IDENT || t->kind == TK_KEYWORD || is_op(t, OP_MUL)))
    expected(P, "probe point component");
  Token first = next(P);
  ProbeComp *c = arena_alloc(P->arena, sizeof *c);
  c->loc = first.loc;
  if (!glues(peek(P))) {
    c->name = first.text; /* one piece: its (interned) text as it is */
  } else {
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, first.text, first.len);
    while (glues(peek(P))) {
      Token u = next(P);
      sb_append(&sb, u.text, u.len);
    }
    c->name = arena_strndup(P->arena, sb_cstr(&sb), sb.len);
    sb_free(&sb);
  }
  if (accept_op(P, OP_LPAREN)) {
    c->arg = parse_literal(P, "a string or number as probe point parameter");
    expect_op(P, OP_RPAREN);
  }
  return c;
}

/* The alternatives of pieces and sequences are pushed on the list stack;
 * out_mark is where the list they join began. */
static void parse_pp_sequence(Parser *P, size_t out_mark);

/* piece -> '{' sequence { ',' sequence } '}' | component ; pushes the
 * alternatives, each a CompList */
static void parse_pp_piece(Parser *P) {
  if (!at_op(P, OP_LBRACE)) {
    void *c = parse_component(P);
    Vec one = {&c, 1, 1};
    list_push(P, comp_list(P, &one, &(Vec){0}));
    return;
  }
  next(P);
  enter(P);
  size_t mark = P->nstack;
  for (;;) {
    parse_pp_sequence(P, mark);
    if (accept_op(P, OP_RBRACE)) break;
    if (!accept_op(P, OP_COMMA)) expected(P, "',' or '}' in brace expansion");
  }
  leave(P);
}

/* sequence -> piece { '.' piece }, expanded to the product of pieces */
static void parse_pp_sequence(Parser *P, size_t out_mark) {
  size_t acc = P->nstack; /* the alternatives so far */
  parse_pp_piece(P);
  while (at_op(P, OP_DOT)) {
    Token dot = next(P);
    size_t alts = P->nstack; /* the next piece's */
    parse_pp_piece(P);
    size_t nacc = alts - acc, nalts = P->nstack - alts, prod = P->nstack;
    if (nacc * nalts > MAX_BRACE_EXPANSION)
      fail_at(P, &dot, "brace expansion too large (more than %d probe points)",
              MAX_BRACE_EXPANSION);
    for (size_t i = 0; i < nacc; i++)
      for (size_t j = 0; j < nalts; j++) {
        CompList *a = P->stack[acc + i], *b = P->stack[alts + j];
        list_push(P, comp_list(P, &a->comps, &b->comps));
      }
    /* The products replace the alternatives so far. */
    memmove(P->stack + acc, P->stack + prod, nacc * nalts * sizeof *P->stack);
    P->nstack = acc + nacc * nalts;
  }
  if (P->nstack - out_mark > MAX_BRACE_EXPANSION)
    fail_at(P, peek(P), "brace expansion too large (more than %d probe points)",
            MAX_BRACE_EXPANSION);
}

/* probe_point -> sequence [ '?' | '!' ] [ 'if' '(' expression ')' ]; pushes
 * its expansion's probe points */
static void parse_probe_point(Parser *P) {
  size_t seqs = P->nstack;
  parse_pp_sequence(P, seqs);
  bool optional = false, sufficient = false;
  if (accept_op(P, OP_QUESTION)) optional = true;
  else if (accept_op(P, OP_NOT)) optional = sufficient = true;
  Expr *cond = NULL;
  if (at_kw(P, KW_IF)) {
    next(P);
    expect_op(P, OP_LPAREN);
    cond = parse_expression(P);
    expect_op(P, OP_RPAREN);
  }
  for (size_t i = seqs; i < P->nstack; i++) { /* each CompList becomes a point */
    CompList *l = P->stack[i];
    ProbePoint *pp = arena_alloc(P->arena, sizeof *pp);
    pp->comps = l->comps;
    pp->optional = optional;
    pp->sufficient = sufficient;
    pp->cond = cond;
    pp->loc = ((ProbeComp *)l->comps.items[0])->loc;
    P->stack[i] = pp;
  }
}

static Vec parse_probe_points(Parser *P) {
  size_t mark = P->nstack;
  do parse_probe_point(P);
  while (accept_op(P, OP_COMMA));
  return list_end(P, mark);
}

/* probe -> 'probe' probe_points block
 *        | 'probe' alias_names ( '=' | '+=' ) probe_points block */
static Item *parse_probe(Parser *P) {
  Token kw = next(P);
  Item *it = arena_alloc(P->arena, sizeof *it);
  it->kind = I_PROBE;
  it->loc = kw.loc;
  /* Parse the first list permissively, then decide what it was. */
  Token start = *peek(P); /* (consumed below, used after) */
  Vec first = parse_probe_points(P);
  if (at_op(P, OP_ASSIGN) || at_op(P, OP_ADD_ASSIGN)) {
    it->alias = at_op(P, OP_ASSIGN) ? ALIAS_PROLOGUE : ALIAS_EPILOGUE;
    if (first.len != 1) fail_at(P, peek(P), "a probe alias defines exactly one name");
    next(P);
    for (size_t i = 0; i < first.len; i++) {
      ProbePoint *pp = first.items[i];
      if (pp->optional || pp->cond)
        fail_at(P, &start, "a probe alias name cannot be optional or conditional");
    }
    it->alias_names = first;
    it->points = parse_probe_points(P);
    it->body = parse_block(P);
    /* probe a = b { prologue }, { epilogue } */
    if (it->alias == ALIAS_PROLOGUE && at_op(P, OP_COMMA) &&
        is_op(peek_n(P, 1), OP_LBRACE)) {
      next(P);
      it->epilogue = parse_block(P);
    }
    return it;
  }
  it->points = first;
  it->body = parse_block(P);
  return it;
}

/* ---- Declarations ---- */

static DeclType parse_type(Parser *P) {
  /* 'long' and 'string' are not reserved words, only type names here. */
  const Token *t = peek(P);
  if (t->kind == TK_IDENT && strcmp(t->text, "long") == 0) { next(P); return T_LONG; }
  if (t->kind == TK_IDENT && strcmp(t->text, "string") == 0) { next(P); return T_STRING; }
  expected(P, "type 'long' or 'string'");
}

/* global_var -> NAME [ '%' ] [ '[' NUMBER ']' ] [ '=' literal ] */
static void parse_global_var(Parser *P, bool private_) {
  Token t = expect_ident(P, "a global variable name");
  Item *it = arena_alloc(P->arena, sizeof *it);
  it->kind = I_GLOBAL;
  it->loc = t.loc;
  it->name = t.text;
  it->private_ = private_;
  it->file = P->file;
  if (accept_op(P, OP_MOD)) it->wrap = true;
  if (accept_op(P, OP_LBRACKET)) {
    if (peek(P)->kind != TK_NUMBER) expected(P, "array size");
    Token n = next(P);
    if (n.num <= 0) fail_at(P, &n, "array size must be positive");
    it->array_size = n.num;
    expect_op(P, OP_RBRACKET);
  }
  if (at_op(P, OP_ASSIGN)) {
    if (it->array_size || it->wrap)
      fail_at(P, peek(P), "only scalar globals can be initialized");
    next(P);
    it->init = parse_literal(P, "a literal string or number as initializer");
  }
  add_item(P, it);
}

static void parse_global(Parser *P, bool private_) {
  do parse_global_var(P, private_);
  while (accept_op(P, OP_COMMA));
}

/* function -> 'function' NAME [ ':' type ] '(' [ param { ',' param } ] ')'
 *             [ ':' NUMBER ] ( block | EMBEDDED ); param -> NAME [ ':' type ] */
static Item *parse_function(Parser *P, bool private_) {
  next(P);
  Token name = expect_ident(P, "a function name");
  Item *it = arena_alloc(P->arena, sizeof *it);
  it->kind = I_FUNCTION;
  it->loc = name.loc;
  it->name = name.text;
  it->private_ = private_;
  if (accept_op(P, OP_COLON)) it->ret_type = parse_type(P);
  expect_op(P, OP_LPAREN);
  if (!accept_op(P, OP_RPAREN)) {
    size_t mark = P->nstack;
    for (;;) {
      Token pt = expect_ident(P, "a parameter name");
      for (size_t i = mark; i < P->nstack; i++)
        if (strcmp(((Param *)P->stack[i])->name, pt.text) == 0)
          fail_at(P, &pt, "duplicate parameter name '%s'", pt.text);
      Param *p = arena_alloc(P->arena, sizeof *p);
      p->name = pt.text;
      p->loc = pt.loc;
      if (accept_op(P, OP_COLON)) p->type = parse_type(P);
      list_push(P, p);
      if (accept_op(P, OP_RPAREN)) break;
      if (!accept_op(P, OP_COMMA)) expected(P, "',' or ')'");
    }
    it->params = list_end(P, mark);
  }
  if (accept_op(P, OP_COLON)) {
    const Token *n = peek(P);
    if (n->kind != TK_NUMBER) expected(P, "function priority number");
    if (n->num <= 0) fail_at(P, n, "function priority must be greater than 0");
    it->has_priority = true;
    it->priority = n->num;
    next(P);
  }
  const Token *b = peek(P);
  if (b->kind == TK_EMBEDDED) {
    need_embedded(P, b);
    it->code = b->text;
    next(P);
  } else {
    it->body = parse_block(P);
  }
  return it;
}

/* Is t, the next token, the one the failed item started with?  The same
 * delivery, or another delivery of the same stored token (a macro body's
 * first token, say, expanded again). */
static bool is_item_start(const Parser *P, const Token *t) {
  return P->item_origin ? t->origin == P->item_origin : P->taken == P->item_seq;
}

static bool starts_item(const Token *t) {
  return is_kw(t, KW_PROBE) || is_kw(t, KW_GLOBAL) || is_kw(t, KW_FUNCTION) ||
         is_kw(t, KW_PRIVATE) || t->kind == TK_EMBEDDED || t->kind == TK_EOF;
}

/* item -> probe | 'global' ... | function | 'private' ( 'global' ... |
 *         function | global_var ... ) | EMBEDDED */
static void parse_item(Parser *P) {
  const Token *t = peek(P);
  Item *it = NULL;
  bool private_ = false;
  if (is_kw(t, KW_PRIVATE)) {
    next(P);
    private_ = true;
    t = peek(P);
    if (is_kw(t, KW_FUNCTION)) {
      it = parse_function(P, true);
    } else {
      if (is_kw(t, KW_GLOBAL)) next(P);
      else if (t->kind != TK_IDENT) expected(P, "'global', 'function' or a variable name after 'private'");
      parse_global(P, true);
      return;
    }
  } else if (is_kw(t, KW_PROBE)) {
    it = parse_probe(P);
  } else if (is_kw(t, KW_GLOBAL)) {
    next(P);
    parse_global(P, private_);
    return;
  } else if (is_kw(t, KW_FUNCTION)) {
    it = parse_function(P, false);
  } else if (is_op(t, OP_SEMI)) {
    next(P); /* a stray ';' between declarations */
    return;
  } else if (t->kind == TK_EMBEDDED) {
    need_embedded(P, t);
    it = arena_alloc(P->arena, sizeof *it);
    it->kind = I_EMBEDDED;
    it->loc = t->loc;
    it->code = t->text;
    next(P);
  } else {
    expected(P, "'probe', 'global', 'private', 'function', or '%{'");
  }
  it->file = P->file;
  add_item(P, it);
}

File *parser_parse_file(PP *pp, const SourceFile *src, bool allow_embedded,
                        Arena *arena, Diag *diag) {
  Parser P = {.pp = pp, .arena = arena, .diag = diag, .file = src,
              .allow_embedded = allow_embedded};
  P.cur = P.look;
  File *f = arena_alloc(arena, sizeof *f);
  f->source = src;
  for (;;) {
    if (setjmp(P.fail)) {
      /* Skip to the next declaration (not the one that failed). */
      P.depth = 0;
      P.nstack = P.nitems; /* the failed item's unfinished lists */
      if (diag->printed >= diag->max_errors) break;
      for (;;) {
        const Token *t = peek(&P);
        if (t->kind == TK_EOF) break;
        if (starts_item(t) && !is_item_start(&P, t)) break;
        next(&P);
      }
    }
    const Token *t = peek(&P);
    if (t->kind == TK_EOF) break;
    P.item_seq = P.taken;
    P.item_origin = t->origin;
    parse_item(&P);
  }
  f->items = list_end(&P, 0);
  free(P.stack);
  return f;
}
