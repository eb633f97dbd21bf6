/* dump: pass 2's output: `stap -p2` (the resolved program) and the
 * variable lists of `stap -L`. */
#include <stdlib.h>
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


static int cmp_cstr(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void put_sorted_lines(StrBuf *out, Vec *lines) {
  if (lines->len) qsort(lines->items, lines->len, sizeof(void *), cmp_cstr);
  for (size_t i = 0; i < lines->len; i++) sb_cat(out, lines->items[i], "\n", NULL);
}

static const char *decl_type(DeclType t) {
  return t == T_LONG ? "long" : t == T_STRING ? "string" : "unknown";
}

/* One line for a library item, or false to leave it out. */
typedef bool (*ItemLine)(const Item *it, StrBuf *line);

static bool function_line(const Item *it, StrBuf *sb) {
  if (it->kind != I_FUNCTION || it->private_ || it->name[0] == '_') return false;
  sb_cat(sb, it->name, ":", decl_type(it->ret_type), " (", NULL);
  for (size_t p = 0; p < it->params.len; p++) {
    const Param *pa = it->params.items[p];
    sb_cat(sb, p ? ", " : "", pa->name, ":", decl_type(pa->type), NULL);
  }
  sb_putc(sb, ')');
  return true;
}

static bool alias_line(const Item *it, StrBuf *sb) {
  if (it->kind != I_PROBE || !it->alias) return false;
  printer_probe_point(sb, it->alias_names.items[0]);
  sb_puts(sb, it->alias == ALIAS_PROLOGUE ? " = " : " += ");
  for (size_t p = 0; p < it->points.len; p++) {
    if (p) sb_puts(sb, ", ");
    printer_probe_point(sb, it->points.items[p]);
  }
  return true;
}

/* The whole library's items that line() describes, sorted. */
static void dump_library(Front *front, StrBuf *out, ItemLine line) {
  front_parse_library_files(front, &front->lib.scripts); /* the whole library */
  Vec lines = {0};
  StrBuf sb;
  sb_init(&sb);
  for (size_t i = 0; i < front->files.len; i++) {
    const File *f = front->files.items[i];
    if (!f->source->is_tapset) continue;
    for (size_t k = 0; k < f->items.len; k++) {
      sb_clear(&sb);
      if (line(f->items.items[k], &sb))
        vec_push(&lines, front->arena, arena_strdup(front->arena, sb_cstr(&sb)));
    }
  }
  sb_free(&sb);
  put_sorted_lines(out, &lines);
}

void sema_dump_functions(Front *front, StrBuf *out) { dump_library(front, out, function_line); }

void sema_dump_aliases(Front *front, StrBuf *out) { dump_library(front, out, alias_line); }

void sema_dump_probe_types(StrBuf *out) {
  static const char *const types[] = {
      "begin", "begin(number)", "end", "end(number)", "error", "error(number)", "never",
      "kernel.function(string)", "kernel.function(string).call",
      "kernel.function(string).exported", "kernel.function(string).return",
      "kernel.statement(number)", "kernel.statement(number).absolute",
      "kernel.statement(string)", "kernel.trace(string)",
      "module(string).function(string)", "module(string).function(string).return",
      "perf.hw.NAME", "perf.hw.NAME.sample(number)", "perf.sw.NAME",
      "perf.sw.NAME.sample(number)", "process(string).begin", "process(string).end",
      "process(string).function(string)", "process(string).function(string).call",
      "process(string).function(string).return", "process(string).statement(number)",
      "process(string).statement(string)", "process.begin", "process.end",
      "syscall.NAME", "syscall.NAME.return",
      "timer.hz(number)", "timer.jiffies(number)", "timer.jiffies(number).randomize(number)",
      "timer.ms(number)", "timer.ms(number).randomize(number)", "timer.ns(number)",
      "timer.ns(number).randomize(number)", "timer.profile", "timer.profile.tick",
      "timer.s(number)", "timer.s(number).randomize(number)", "timer.us(number)",
      "timer.us(number).randomize(number)",
  };
  for (size_t i = 0; i < sizeof types / sizeof *types; i++) sb_cat(out, types[i], "\n", NULL);
}
