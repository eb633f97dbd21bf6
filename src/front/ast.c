/* ast: constructors and names for the syntax tree (see ast.h). */
#include "front/ast.h"

Expr *ast_expr(Arena *a, ExprKind kind, SrcLoc loc) {
  Expr *e = arena_alloc(a, sizeof *e);
  e->kind = kind;
  e->loc = loc;
  return e;
}

Stmt *ast_stmt(Arena *a, StmtKind kind, SrcLoc loc) {
  Stmt *s = arena_alloc(a, sizeof *s);
  s->kind = kind;
  s->loc = loc;
  s->sort_key = SORT_NONE;
  s->sort_stat = -1;
  return s;
}

const char *stat_op_name(StatOp s) {
  static const char *const names[] = {
      [STAT_COUNT] = "count", [STAT_SUM] = "sum", [STAT_MIN] = "min",
      [STAT_MAX] = "max", [STAT_AVG] = "avg", [STAT_VARIANCE] = "variance",
      [STAT_HIST_LINEAR] = "hist_linear", [STAT_HIST_LOG] = "hist_log",
  };
  return names[s];
}

int ast_binop_prec(Op op) {
  switch (op) {
  case OP_OROR: return PREC_OROR;
  case OP_ANDAND: return PREC_ANDAND;
  case OP_BOR: return PREC_BOR;
  case OP_BXOR: return PREC_BXOR;
  case OP_BAND: return PREC_BAND;
  case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE:
  case OP_MATCH: case OP_NMATCH:
    return PREC_CMP;
  case OP_SHL: case OP_SHR: case OP_USHR: return PREC_SHIFT;
  case OP_DOT: return PREC_CONCAT;
  case OP_PLUS: case OP_MINUS: return PREC_ADD;
  case OP_MUL: case OP_DIV: case OP_MOD: return PREC_MUL;
  default: return 0;
  }
}

int ast_expr_prec(const Expr *e) {
  switch (e->kind) {
  case E_ASSIGN: return PREC_ASSIGN;
  case E_TERNARY: return PREC_TERNARY;
  case E_BINARY: return ast_binop_prec(e->op);
  case E_IN: return PREC_IN;
  case E_UNARY: return PREC_UNARY;
  case E_CREMENT: return e->post ? PREC_POSTFIX : PREC_UNARY;
  case E_TARGET: case E_CAST: case E_VARREF: case E_AUTOCAST:
    return e->addr_of ? PREC_UNARY : PREC_PRIMARY;
  default: return PREC_PRIMARY;
  }
}

void ast_walk_expr(Expr *e, AstExprFn fn, void *ctx) {
  if (!e) return;
  fn(e, ctx);
  ast_walk_expr(e->l, fn, ctx);
  ast_walk_expr(e->r, fn, ctx);
  ast_walk_expr(e->base, fn, ctx); /* or cond: the same field */
  if (ast_has_chain(e->kind)) {
    for (size_t i = 0; i < e->comps.len; i++)
      ast_walk_expr(((TargetComp *)e->comps.items[i])->index, fn, ctx);
  } else {
    for (size_t i = 0; i < e->args.len; i++) ast_walk_expr(e->args.items[i], fn, ctx);
  }
}

void ast_walk_stmt(Stmt *s, AstExprFn fn, void *ctx) {
  if (!s) return;
  for (size_t i = 0; i < s->stmts.len; i++) ast_walk_stmt(s->stmts.items[i], fn, ctx);
  ast_walk_expr(s->e, fn, ctx);
  ast_walk_expr(s->cond, fn, ctx);
  ast_walk_expr(s->init, fn, ctx);
  ast_walk_expr(s->step, fn, ctx);
  for (size_t i = 0; i < s->keys.len; i++) ast_walk_expr(s->keys.items[i], fn, ctx);
  ast_walk_expr(s->array, fn, ctx);
  ast_walk_stmt(s->body, fn, ctx);
  ast_walk_stmt(s->els, fn, ctx);
}

static void walk_points(Vec *points, AstExprFn fn, void *ctx) {
  for (size_t i = 0; i < points->len; i++) {
    ProbePoint *pp = points->items[i];
    ast_walk_expr(pp->cond, fn, ctx);
  }
}

void ast_walk_item(Item *it, AstExprFn fn, void *ctx) {
  ast_walk_expr(it->init, fn, ctx);
  walk_points(&it->points, fn, ctx);
  ast_walk_stmt(it->body, fn, ctx);
  ast_walk_stmt(it->epilogue, fn, ctx);
}

bool ast_is_regex_op(Op op) { return op == OP_MATCH || op == OP_NMATCH; }

static void clone_vec_expr(Arena *a, Vec *v) {
  Vec out = {0};
  for (size_t i = 0; i < v->len; i++) vec_push(&out, a, ast_clone_expr(a, v->items[i]));
  *v = out;
}

Expr *ast_clone_expr(Arena *a, const Expr *e) {
  if (!e) return NULL;
  Expr *c = arena_alloc(a, sizeof *c);
  *c = *e;
  c->l = ast_clone_expr(a, e->l);
  c->r = ast_clone_expr(a, e->r);
  c->base = ast_clone_expr(a, e->base);
  if (ast_has_chain(e->kind)) {
    Vec out = {0};
    for (size_t i = 0; i < e->comps.len; i++) {
      TargetComp *tc = arena_alloc(a, sizeof *tc);
      *tc = *(TargetComp *)e->comps.items[i];
      tc->index = ast_clone_expr(a, tc->index);
      vec_push(&out, a, tc);
    }
    c->comps = out;
  } else {
    clone_vec_expr(a, &c->args);
  }
  return c;
}

Stmt *ast_clone_stmt(Arena *a, const Stmt *s) {
  if (!s) return NULL;
  Stmt *c = arena_alloc(a, sizeof *c);
  *c = *s;
  Vec stmts = {0};
  for (size_t i = 0; i < s->stmts.len; i++) vec_push(&stmts, a, ast_clone_stmt(a, s->stmts.items[i]));
  c->stmts = stmts;
  c->e = ast_clone_expr(a, s->e);
  c->cond = ast_clone_expr(a, s->cond);
  c->init = ast_clone_expr(a, s->init);
  c->step = ast_clone_expr(a, s->step);
  clone_vec_expr(a, &c->keys);
  c->array = ast_clone_expr(a, s->array);
  c->body = ast_clone_stmt(a, s->body);
  c->els = ast_clone_stmt(a, s->els);
  return c;
}
