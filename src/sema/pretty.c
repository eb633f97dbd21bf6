/* pretty: the '$' and '$$' suffixes of target expressions ($p$, $p$$,
 * @cast(...)$, $$parms$), which pass 2 turns into a sprintf over the
 * members, as stapprobes(3stap) describes:
 *
 *   $p$   "{.a=%d, .b=%u, .c={...}, .d=[...]}"   one level of members
 *   $p$$  "{.a=%d, .b=%u, .c={.x=0x%x}, ...}"    nested structs too
 *
 * A pointer to a struct or union prints the members it points to; a
 * pointer member prints its address (0x%x); signed integers and enums
 * print with %d, unsigned with %u; a char array its text ("%s"); other
 * arrays "[...]"; members of unnamed structs and unions appear among the
 * members of the named one; a bitfield, which the runtime cannot read
 * alone, prints as "?".  The expression becomes the sprintf call, whose
 * arguments are the expression with one more ->member each. */
#include <string.h>

#include <bpf/btf.h>

#include "common/strbuf.h"
#include "sema/sema_int.h"

typedef struct Pretty {
  Sema *S;
  struct btf *b;
  StrBuf fmt;
  Vec args;
  size_t budget;   /* members left: a format stays printable */
} Pretty;

static int resolve(const struct btf *b, int id) {
  for (int i = 0; i < 32 && id; i++) {
    const struct btf_type *t = btf__type_by_id(b, (unsigned)id);
    if (!t || !(btf_is_mod(t) || btf_is_typedef(t) || btf_is_type_tag(t))) return id;
    id = (int)t->type;
  }
  return id;
}

/* base with one more ->member step. */
static Expr *member_of(Pretty *P, const Expr *base, const char *name) {
  Expr *e = ast_clone_expr(P->S->arena, base);
  e->pretty = 0;
  TargetComp *c = arena_alloc(P->S->arena, sizeof *c);
  c->name = name;
  c->loc = base->loc;
  Vec comps = {0};
  for (size_t i = 0; i < e->comps.len; i++) vec_push(&comps, P->S->arena, e->comps.items[i]);
  vec_push(&comps, P->S->arena, c);
  e->comps = comps;
  return e;
}

static void members(Pretty *P, const Expr *base, int id, int depth);

/* The value of base, of type id. */
static void value(Pretty *P, const Expr *base, int id, int depth, bool top) {
  id = resolve(P->b, id);
  const struct btf_type *t = btf__type_by_id(P->b, (unsigned)id);
  if (!t) {
    sb_puts(&P->fmt, "?");
    return;
  }
  if (btf_is_composite(t)) {
    if (depth <= 0) sb_puts(&P->fmt, "{...}");
    else members(P, base, id, depth);
    return;
  }
  if (btf_is_ptr(t) && top) {
    int to = resolve(P->b, (int)t->type);
    const struct btf_type *pt = btf__type_by_id(P->b, (unsigned)to);
    if (pt && btf_is_composite(pt)) {
      members(P, base, to, depth);
      return;
    }
  }
  if (btf_is_array(t)) {
    int el = resolve(P->b, (int)btf_array(t)->type);
    const struct btf_type *et = btf__type_by_id(P->b, (unsigned)el);
    if (et && btf_is_int(et) && et->size == 1) {
      sb_puts(&P->fmt, "\"%s\"");
      Expr *call = ast_expr(P->S->arena, E_CALL, base->loc);
      call->name = "kernel_string";
      Expr *a = ast_clone_expr(P->S->arena, base);
      a->pretty = 0;
      vec_push(&call->args, P->S->arena, a);
      vec_push(&P->args, P->S->arena, call);
    } else {
      sb_puts(&P->fmt, "[...]");
    }
    return;
  }
  bool is_signed = btf_is_enum(t) || btf_is_enum64(t) ||
                   (btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_SIGNED));
  if (btf_is_ptr(t)) sb_puts(&P->fmt, "0x%x");
  else if (btf_is_int(t) || btf_is_enum(t) || btf_is_enum64(t))
    sb_puts(&P->fmt, is_signed ? "%d" : "%u");
  else {
    sb_puts(&P->fmt, "?");
    return;
  }
  Expr *a = ast_clone_expr(P->S->arena, base);
  a->pretty = 0;
  vec_push(&P->args, P->S->arena, a);
}

/* The members of struct or union id (base points to it or is it). */
static void member_list(Pretty *P, const Expr *base, int id, int depth, bool *first) {
  const struct btf_type *t = btf__type_by_id(P->b, (unsigned)id);
  const struct btf_member *m = btf_members(t);
  for (unsigned i = 0; i < btf_vlen(t); i++) {
    const char *name = btf__name_by_offset(P->b, m[i].name_off);
    int mt = resolve(P->b, (int)m[i].type);
    if (!name || !*name) {
      const struct btf_type *in = btf__type_by_id(P->b, (unsigned)mt);
      if (in && btf_is_composite(in)) member_list(P, base, mt, depth, first);
      continue;
    }
    if (!*first) sb_puts(&P->fmt, ", ");
    *first = false;
    sb_printf(&P->fmt, ".%s=", name);
    if (!P->budget || btf_member_bitfield_size(t, i)) {
      sb_puts(&P->fmt, "?");
      continue;
    }
    P->budget--;
    value(P, member_of(P, base, name), mt, depth - 1, false);
  }
}

static void members(Pretty *P, const Expr *base, int id, int depth) {
  bool first = true;
  sb_putc(&P->fmt, '{');
  member_list(P, base, id, depth, &first);
  sb_putc(&P->fmt, '}');
}

/* The arguments one sprintf may take in a kernel probe. */
enum { PRETTY_MAX_MEMBERS = 32 };

void sema_expand_pretty(Sema *S, Expr *e, int final) {
  Pretty P = {.S = S, .b = target_btf(S->target, NULL), .budget = PRETTY_MAX_MEMBERS};
  sb_init(&P.fmt);
  Expr *f = ast_expr(S->arena, E_STR, e->loc);
  vec_push(&P.args, S->arena, f);
  Expr *base = ast_clone_expr(S->arena, e);
  base->pretty = 0;
  if (P.b && final) {
    value(&P, base, final, e->pretty == 2 ? 8 : 1, true);
  } else { /* no type: the value as a number */
    sb_puts(&P.fmt, "0x%x");
    vec_push(&P.args, S->arena, base);
  }
  f->str = arena_strndup(S->arena, sb_cstr(&P.fmt), P.fmt.len);
  f->len = (uint32_t)P.fmt.len;
  sb_free(&P.fmt);
  SrcLoc loc = e->loc;
  memset(e, 0, sizeof *e);
  e->loc = loc;
  if (P.args.len == 1) {
    *e = *f;
    return;
  }
  e->kind = E_CALL;
  e->name = "sprintf";
  e->args = P.args;
}
