/* dump: pass 2's output: `stap -p2` (the resolved program) and the
 * variable lists of `stap -L`. */
#include <string.h>

#include "front/printer.h"
#include "sema/sema_int.h"

/* "char *" -> "char*", as stap spells target types. */
static void put_ctype(StrBuf *out, const char *ctype) {
  for (const char *p = ctype; *p; p++)
    if (!(*p == ' ' && p[1] == '*')) sb_putc(out, *p);
}

static void put_symbol(StrBuf *out, const Symbol *s) {
  sb_puts(out, s->name);
  if (s->decl && s->decl->wrap) sb_putc(out, '%');
  if (s->decl && s->decl->array_size) sb_printf(out, "[%lld]", (long long)s->decl->array_size);
  sb_cat(out, ":", vtype_name(s->type), NULL);
  if (s->arity > 0) {
    sb_puts(out, " [");
    for (int i = 0; i < s->arity; i++) sb_cat(out, i ? ", " : "", vtype_name(s->index[i]), NULL);
    sb_putc(out, ']');
  }
}

void sema_probe_vars(StrBuf *out, const Probe *p) {
  for (size_t i = 0; i < p->locals.len; i++) {
    const Symbol *l = p->locals.items[i];
    if (!l->written) continue;
    sb_cat(out, " ", l->name, ":", vtype_name(l->type), NULL);
  }
  for (size_t i = 0; i < p->vars.len; i++) {
    const TargetVar *v = p->vars.items[i];
    sb_cat(out, " $", v->name, ":", NULL);
    put_ctype(out, v->ctype);
  }
}

void sema_dump(StrBuf *out, const Program *p) {
  if (p->globals.len) sb_puts(out, "# globals\n");
  for (size_t i = 0; i < p->globals.len; i++) {
    const Symbol *g = p->globals.items[i];
    put_symbol(out, g);
    if (g->decl && g->decl->init) {
      sb_puts(out, " = ");
      printer_expr(out, g->decl->init);
    }
    sb_putc(out, '\n');
  }
  if (p->functions.len) sb_puts(out, "# functions\n");
  for (size_t i = 0; i < p->functions.len; i++) {
    const Function *f = p->functions.items[i];
    sb_cat(out, f->name, ":", vtype_name(f->ret), " (", NULL);
    for (size_t k = 0; k < f->params.len; k++) {
      const Symbol *s = f->params.items[k];
      sb_cat(out, k ? ", " : "", s->name, ":", vtype_name(s->type), NULL);
    }
    sb_puts(out, ")");
    if (f->builtin) {
      sb_puts(out, " /* builtin */\n");
      continue;
    }
    sb_putc(out, '\n');
    for (size_t k = 0; k < f->locals.len; k++) {
      sb_puts(out, "  # local ");
      put_symbol(out, f->locals.items[k]);
      sb_putc(out, '\n');
    }
    if (f->item->code) sb_printf(out, "%%{%s%%}\n", f->item->code);
    else printer_stmt(out, f->item->body, 0);
  }
  if (p->probes.len) sb_puts(out, "# probes\n");
  for (size_t i = 0; i < p->probes.len; i++) {
    const Probe *pr = p->probes.items[i];
    sb_cat(out, pr->point, " /* <- ", pr->user_point, " */", NULL);
    if (pr->cond) {
      sb_puts(out, " if (");
      printer_expr(out, pr->cond);
      sb_putc(out, ')');
    }
    sb_putc(out, '\n');
    for (size_t k = 0; k < pr->locals.len; k++) {
      sb_puts(out, "  # local ");
      put_symbol(out, pr->locals.items[k]);
      sb_putc(out, '\n');
    }
    printer_stmt(out, pr->body, 0);
  }
}
