/* printer: see printer.h. */
#include "front/printer.h"

#include <string.h>

static void put_indent(StrBuf *out, int indent) {
  for (int i = 0; i < indent; i++) sb_puts(out, "  ");
}

void printer_string_literal(StrBuf *out, const char *s, size_t len) {
  sb_putc(out, '"');
  size_t run = 0; /* start of the current run of plain bytes */
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    const char *esc = NULL;
    switch (c) {
    case '"': esc = "\\\""; break;
    case '\\': esc = "\\\\"; break;
    case '\n': esc = "\\n"; break;
    case '\t': esc = "\\t"; break;
    case '\r': esc = "\\r"; break;
    case '\a': esc = "\\a"; break;
    case '\b': esc = "\\b"; break;
    case '\f': esc = "\\f"; break;
    case '\v': esc = "\\v"; break;
    default:
      if (c >= 0x20 && c != 0x7f) continue;
    }
    sb_append(out, s + run, i - run);
    run = i + 1;
    if (esc) sb_puts(out, esc);
    else sb_printf(out, "\\%03o", c);
  }
  sb_append(out, s + run, len - run);
  sb_putc(out, '"');
}

static void print_expr_prec(StrBuf *out, const Expr *e, int min_prec);

static void print_list(StrBuf *out, const Vec *v) {
  for (size_t i = 0; i < v->len; i++) {
    if (i) sb_puts(out, ", ");
    print_expr_prec(out, v->items[i], PREC_ASSIGN);
  }
}

static void print_chain(StrBuf *out, const Expr *e) {
  for (size_t i = 0; i < e->comps.len; i++) {
    const TargetComp *c = e->comps.items[i];
    if (c->is_index) {
      sb_putc(out, '[');
      print_expr_prec(out, c->index, PREC_ASSIGN);
      sb_putc(out, ']');
    } else {
      sb_cat(out, "->", c->name, NULL);
    }
  }
  if (e->pretty) sb_puts(out, e->pretty == 1 ? "$" : "$$");
}

/* Would op followed directly by c lex as a longer operator ("- -x" must
 * not become "--x", "!~x" is a regex operator)? */
static bool glues_to(Op op, char c) {
  const char *sp = op_spelling(op);
  char last = sp[strlen(sp) - 1];
  return ((last == '-' || last == '+') && (c == '-' || c == '+')) ||
         (last == '!' && c == '~');
}

static void print_expr_inner(StrBuf *out, const Expr *e) {
  switch (e->kind) {
  case E_NUM:
    sb_puts(out, e->text);
    break;
  case E_STR:
    printer_string_literal(out, e->str, e->len);
    break;
  case E_VAR:
    sb_puts(out, e->name);
    break;
  case E_WILD:
    sb_putc(out, '*');
    break;
  case E_INDEX:
    print_expr_prec(out, e->base, PREC_PRIMARY);
    sb_putc(out, '[');
    print_list(out, &e->args);
    sb_putc(out, ']');
    break;
  case E_CALL:
    sb_cat(out, e->name, "(", NULL);
    print_list(out, &e->args);
    sb_putc(out, ')');
    break;
  case E_UNARY:
  case E_CREMENT:
    if (e->kind == E_CREMENT && e->post) {
      print_expr_prec(out, e->l, PREC_PRIMARY);
      sb_puts(out, op_spelling(e->op));
      break;
    }
    sb_puts(out, op_spelling(e->op));
    {
      StrBuf operand;
      sb_init(&operand);
      print_expr_prec(&operand, e->l, PREC_UNARY);
      if (glues_to(e->op, sb_cstr(&operand)[0])) sb_putc(out, ' ');
      sb_append(out, sb_cstr(&operand), operand.len);
      sb_free(&operand);
    }
    break;
  case E_BINARY: {
    int p = ast_binop_prec(e->op);
    const Expr *l = e->l;
    /* A regex match and a comparison do not chain: keep parentheses. */
    bool regex_mix = p == PREC_CMP && l->kind == E_BINARY &&
                     ast_binop_prec(l->op) == PREC_CMP &&
                     (ast_is_regex_op(e->op) || ast_is_regex_op(l->op));
    print_expr_prec(out, l, regex_mix ? p + 1 : p);
    sb_cat(out, " ", op_spelling(e->op), " ", NULL);
    print_expr_prec(out, e->r, p + 1);
    break;
  }
  case E_TERNARY:
    print_expr_prec(out, e->cond, PREC_OROR);
    sb_puts(out, " ? ");
    print_expr_prec(out, e->l, PREC_ASSIGN);
    sb_puts(out, " : ");
    print_expr_prec(out, e->r, PREC_TERNARY);
    break;
  case E_ASSIGN:
    print_expr_prec(out, e->l, PREC_TERNARY);
    sb_cat(out, " ", op_spelling(e->op), " ", NULL);
    print_expr_prec(out, e->r, PREC_ASSIGN);
    break;
  case E_IN: {
    const Expr *only = e->args.len == 1 ? e->args.items[0] : NULL;
    if (only && only->kind != E_WILD) {
      print_expr_prec(out, only, PREC_CMP);
    } else {
      sb_putc(out, '[');
      print_list(out, &e->args);
      sb_putc(out, ']');
    }
    sb_puts(out, " in ");
    print_expr_prec(out, e->base, PREC_PRIMARY);
    break;
  }
  case E_ATFUNC:
    sb_cat(out, "@", e->name, "(", NULL);
    print_list(out, &e->args);
    sb_putc(out, ')');
    break;
  case E_STAT: /* @count(s), @variance(s, shift) */
  case E_HIST: /* @hist_log(s), @hist_linear(s, lo, hi, step) */
    sb_cat(out, "@", stat_op_name(e->stat), "(", NULL);
    print_expr_prec(out, e->l, PREC_ASSIGN);
    for (size_t i = 0; i < e->args.len; i++) {
      sb_puts(out, ", ");
      print_expr_prec(out, e->args.items[i], PREC_ASSIGN);
    }
    sb_putc(out, ')');
    break;
  case E_TARGET:
    if (e->addr_of) sb_putc(out, '&');
    sb_puts(out, e->name);
    print_chain(out, e);
    break;
  case E_CAST:
    if (e->addr_of) sb_putc(out, '&');
    sb_puts(out, "@cast(");
    print_expr_prec(out, e->l, PREC_ASSIGN);
    sb_puts(out, ", ");
    printer_string_literal(out, e->str, strlen(e->str));
    if (e->module) {
      sb_puts(out, ", ");
      printer_string_literal(out, e->module, strlen(e->module));
    }
    sb_putc(out, ')');
    print_chain(out, e);
    break;
  case E_AUTOCAST: {
    if (e->addr_of) sb_putc(out, '&');
    /* (v)[i] is an autocast; v[i] would index array v */
    const TargetComp *first = e->comps.len ? e->comps.items[0] : NULL;
    bool var_index = e->l->kind == E_VAR && first && first->is_index;
    print_expr_prec(out, e->l, var_index ? PREC_PRIMARY + 1 : PREC_PRIMARY);
    print_chain(out, e);
    break;
  }
  case E_VARREF:
    if (e->addr_of) sb_putc(out, '&');
    sb_puts(out, "@var(");
    printer_string_literal(out, e->str, strlen(e->str));
    if (e->module) {
      sb_puts(out, ", ");
      printer_string_literal(out, e->module, strlen(e->module));
    }
    sb_putc(out, ')');
    print_chain(out, e);
    break;
  case E_DEFINED:
  case E_ENTRY:
  case E_PROBEWRITE:
    sb_puts(out, e->kind == E_DEFINED ? "@defined(" : e->kind == E_ENTRY
                                                          ? "@entry("
                                                          : "@probewrite(");
    print_expr_prec(out, e->l, PREC_ASSIGN);
    sb_putc(out, ')');
    break;
  case E_PERF:
  case E_CONST:
    sb_puts(out, e->kind == E_PERF ? "@perf(" : "@const(");
    printer_string_literal(out, e->str, strlen(e->str));
    sb_putc(out, ')');
    break;
  case E_EMBEDDED:
    sb_cat(out, "%{", e->str, "%}", NULL);
    break;
  }
}

static void print_expr_prec(StrBuf *out, const Expr *e, int min_prec) {
  bool parens = ast_expr_prec(e) < min_prec;
  if (parens) sb_putc(out, '(');
  print_expr_inner(out, e);
  if (parens) sb_putc(out, ')');
}

void printer_expr(StrBuf *out, const Expr *e) { print_expr_prec(out, e, PREC_ASSIGN); }

static void print_stmt(StrBuf *out, const Stmt *s, int indent);

/* The body of if/while/for/foreach: a block opens on the same line. */
static void print_body(StrBuf *out, const Stmt *s, int indent) {
  if (s->kind == S_BLOCK) {
    sb_puts(out, " {\n");
    for (size_t i = 0; i < s->stmts.len; i++) print_stmt(out, s->stmts.items[i], indent + 1);
    put_indent(out, indent);
    sb_putc(out, '}');
  } else {
    sb_putc(out, '\n');
    print_stmt(out, s, indent + 1);
  }
}

/* Ends a statement printed by print_body: blocks need a newline. */
static void end_body(StrBuf *out, const Stmt *s) {
  if (s->kind == S_BLOCK) sb_putc(out, '\n');
}

static void print_foreach_head(StrBuf *out, const Stmt *s) {
  sb_puts(out, "foreach (");
  if (s->value_var) sb_cat(out, s->value_var, " = ", NULL);
  if (s->keys_bracketed) sb_putc(out, '[');
  for (size_t i = 0; i < s->keys.len; i++) {
    const Expr *k = s->keys.items[i];
    if (i) sb_puts(out, ", ");
    sb_puts(out, k->name);
    if (s->sort_key == (int)i) sb_putc(out, s->sort_dir > 0 ? '+' : '-');
  }
  if (s->keys_bracketed) sb_putc(out, ']');
  sb_puts(out, " in ");
  print_expr_prec(out, s->array, PREC_PRIMARY);
  if (s->sort_key == SORT_VALUE) {
    if (s->sort_stat >= 0) sb_cat(out, " @", stat_op_name((StatOp)s->sort_stat), NULL);
    sb_putc(out, s->sort_dir > 0 ? '+' : '-');
  }
  if (s->e) {
    sb_puts(out, " limit ");
    print_expr_prec(out, s->e, PREC_ASSIGN);
  }
  sb_putc(out, ')');
}

static void print_if(StrBuf *out, const Stmt *s, int indent) {
  sb_puts(out, "if (");
  printer_expr(out, s->cond);
  sb_putc(out, ')');
  print_body(out, s->body, indent);
  if (!s->els) {
    end_body(out, s->body);
    return;
  }
  if (s->body->kind == S_BLOCK) {
    sb_puts(out, " else");
  } else {
    put_indent(out, indent);
    sb_puts(out, "else");
  }
  if (s->els->kind == S_IF) {
    sb_putc(out, ' ');
    print_if(out, s->els, indent);
    return;
  }
  print_body(out, s->els, indent);
  end_body(out, s->els);
}

static void print_stmt(StrBuf *out, const Stmt *s, int indent) {
  put_indent(out, indent);
  switch (s->kind) {
  case S_BLOCK:
    sb_puts(out, "{\n");
    for (size_t i = 0; i < s->stmts.len; i++) print_stmt(out, s->stmts.items[i], indent + 1);
    put_indent(out, indent);
    sb_puts(out, "}\n");
    break;
  case S_NULL:
    sb_puts(out, ";\n");
    break;
  case S_EXPR:
    printer_expr(out, s->e);
    sb_puts(out, ";\n");
    break;
  case S_IF:
    print_if(out, s, indent);
    break;
  case S_WHILE:
    sb_puts(out, "while (");
    printer_expr(out, s->cond);
    sb_putc(out, ')');
    print_body(out, s->body, indent);
    end_body(out, s->body);
    break;
  case S_FOR:
    sb_puts(out, "for (");
    if (s->init) printer_expr(out, s->init);
    sb_puts(out, "; ");
    if (s->cond) printer_expr(out, s->cond);
    sb_puts(out, "; ");
    if (s->step) printer_expr(out, s->step);
    sb_putc(out, ')');
    print_body(out, s->body, indent);
    end_body(out, s->body);
    break;
  case S_FOREACH:
    print_foreach_head(out, s);
    print_body(out, s->body, indent);
    end_body(out, s->body);
    break;
  case S_BREAK:
    sb_puts(out, "break;\n");
    break;
  case S_CONTINUE:
    sb_puts(out, "continue;\n");
    break;
  case S_NEXT:
    sb_puts(out, "next;\n");
    break;
  case S_RETURN:
    sb_puts(out, "return");
    if (s->e) {
      sb_putc(out, ' ');
      printer_expr(out, s->e);
    }
    sb_puts(out, ";\n");
    break;
  case S_DELETE:
    sb_puts(out, "delete ");
    print_expr_prec(out, s->e, PREC_UNARY);
    sb_puts(out, ";\n");
    break;
  case S_TRY:
    sb_puts(out, "try");
    print_body(out, s->body, indent);
    sb_puts(out, " catch");
    if (s->catch_var) sb_cat(out, " (", s->catch_var, ")", NULL);
    print_body(out, s->els, indent);
    sb_putc(out, '\n');
    break;
  }
}

void printer_stmt(StrBuf *out, const Stmt *s, int indent) { print_stmt(out, s, indent); }

void printer_probe_point(StrBuf *out, const ProbePoint *pp) {
  for (size_t i = 0; i < pp->comps.len; i++) {
    const ProbeComp *c = pp->comps.items[i];
    if (i) sb_putc(out, '.');
    sb_puts(out, c->name);
    if (c->arg) {
      sb_putc(out, '(');
      printer_expr(out, c->arg);
      sb_putc(out, ')');
    }
  }
  if (pp->sufficient) sb_putc(out, '!');
  else if (pp->optional) sb_putc(out, '?');
  if (pp->cond) {
    sb_puts(out, " if (");
    printer_expr(out, pp->cond);
    sb_putc(out, ')');
  }
}

static void print_points(StrBuf *out, const Vec *v) {
  for (size_t i = 0; i < v->len; i++) {
    if (i) sb_puts(out, ", ");
    printer_probe_point(out, v->items[i]);
  }
}

/* A decimal integer, as printf's %lld prints it (without its cost). */
static void put_int(StrBuf *out, long long v) {
  char buf[24], *p = buf + sizeof buf;
  unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
  do *--p = (char)('0' + u % 10);
  while (u /= 10);
  if (v < 0) *--p = '-';
  sb_append(out, p, (size_t)(buf + sizeof buf - p));
}

static const char *type_name(DeclType t) {
  return t == T_LONG ? "long" : t == T_STRING ? "string" : NULL;
}

static void print_item(StrBuf *out, const Item *it) {
  switch (it->kind) {
  case I_GLOBAL:
    sb_cat(out, it->private_ ? "private " : "", "global ", it->name, NULL);
    if (it->wrap) sb_putc(out, '%');
    if (it->array_size) {
      sb_putc(out, '[');
      put_int(out, it->array_size);
      sb_putc(out, ']');
    }
    if (it->init) {
      sb_puts(out, " = ");
      printer_expr(out, it->init);
    }
    sb_putc(out, '\n');
    break;
  case I_FUNCTION:
    sb_cat(out, it->private_ ? "private " : "", "function ", it->name, NULL);
    if (it->ret_type) sb_cat(out, ":", type_name(it->ret_type), NULL);
    sb_putc(out, '(');
    for (size_t i = 0; i < it->params.len; i++) {
      const Param *p = it->params.items[i];
      if (i) sb_puts(out, ", ");
      sb_puts(out, p->name);
      if (p->type) sb_cat(out, ":", type_name(p->type), NULL);
    }
    sb_putc(out, ')');
    if (it->has_priority) {
      sb_putc(out, ':');
      put_int(out, it->priority);
    }
    if (it->code) {
      sb_cat(out, " %{", it->code, "%}\n", NULL);
    } else {
      print_body(out, it->body, 0);
      sb_putc(out, '\n');
    }
    break;
  case I_PROBE:
    sb_puts(out, "probe ");
    if (it->alias) {
      print_points(out, &it->alias_names);
      sb_puts(out, it->alias == ALIAS_PROLOGUE ? " = " : " += ");
    }
    print_points(out, &it->points);
    print_body(out, it->body, 0);
    if (it->epilogue) {
      sb_putc(out, ',');
      print_body(out, it->epilogue, 0);
    }
    sb_putc(out, '\n');
    break;
  case I_EMBEDDED:
    sb_cat(out, "%{", it->code, "%}\n", NULL);
    break;
  }
}

void printer_file(StrBuf *out, const File *f) {
  for (size_t i = 0; i < f->items.len; i++) print_item(out, f->items.items[i]);
}
