/* display: the globals a script writes but never reads are shown at
 * session shutdown, as stap(1) and the language reference say ("Global
 * variables which are written but never read will be displayed
 * automatically at session shutdown").  Pass 2 adds an end probe, last
 * of all (the largest sequence), printing each such global of the user's
 * files in stap's shape:
 *   x=0x7            a number (%#x)
 *   s="text"         a string
 *   a["k",0x2]=0x5   each element of an array, by value, largest first
 *   t @count=0x2 @min=0x1 @max=0x4 @sum=0x5 @avg=0x2
 *                    a statistic (of an array: each element's, by count)
 * The probe is script text, parsed and expanded like the user's, then
 * checked with the rest (sema.c). */
#include <stdint.h>
#include <string.h>

#include "common/strbuf.h"
#include "sema/sema_int.h"

/* The statistic expression e's extractors, as printf arguments. */
static void stats_line(StrBuf *sb, const char *prefix_fmt, const char *prefix_args,
                       const char *e) {
  sb_printf(sb,
            "    if (@count(%s)) printf(\"%s @count=%%#x @min=%%#x @max=%%#x @sum=%%#x "
            "@avg=%%#x\\n\"%s, @count(%s), @min(%s), @max(%s), @sum(%s), @avg(%s))\n"
            "    else printf(\"%s @count=0x0\\n\"%s)\n",
            e, prefix_fmt, prefix_args, e, e, e, e, e, prefix_fmt, prefix_args);
}

/* The display of global g into sb. */
static void display_global(StrBuf *sb, const Symbol *g) {
  const char *n = g->name;
  const char *val = g->type == VT_STRING ? "\\\"%s\\\"" : "%#x";
  if (g->arity <= 0) {
    if (g->type == VT_STATS) stats_line(sb, n, "", n);
    else sb_printf(sb, "  printf(\"%s=%s\\n\", %s)\n", n, val, n);
    return;
  }
  StrBuf keys, fmt, args;
  sb_init(&keys);
  sb_init(&fmt);
  sb_init(&args);
  for (int i = 0; i < g->arity; i++) {
    /* the keys are locals of the one probe: named after their array */
    sb_printf(&keys, "%s__ctap_%s_%d", i ? ", " : "", n, i);
    sb_printf(&fmt, "%s%s", i ? "," : "", g->index[i] == VT_STRING ? "\\\"%s\\\"" : "%#x");
    sb_printf(&args, ", __ctap_%s_%d", n, i);
  }
  sb_printf(sb, "  foreach ([%s] in %s-) {\n", sb_cstr(&keys), n);
  StrBuf el;
  sb_init(&el);
  sb_printf(&el, "%s[%s]", n, sb_cstr(&keys));
  const char *e = sb_cstr(&el);
  if (g->type == VT_STATS) {
    StrBuf pf;
    sb_init(&pf);
    sb_printf(&pf, "%s[%s]", n, sb_cstr(&fmt));
    stats_line(sb, sb_cstr(&pf), sb_cstr(&args), e);
    sb_free(&pf);
  } else {
    sb_printf(sb, "    printf(\"%s[%s]=%s\\n\"%s, %s)\n", n, sb_cstr(&fmt), val, sb_cstr(&args), e);
  }
  sb_puts(sb, "  }\n");
  sb_free(&el);
  sb_free(&keys);
  sb_free(&fmt);
  sb_free(&args);
}

bool sema_display_globals(Sema *S) {
  StrBuf sb;
  sb_init(&sb);
  for (size_t i = 0; i < S->prog->globals.len; i++) {
    const Symbol *g = S->prog->globals.items[i];
    /* a private global is not visible from the probe's own file */
    if (g->from_library || !g->stored || g->value_read || g->type == VT_UNKNOWN ||
        (g->decl && g->decl->private_))
      continue;
    display_global(&sb, g);
  }
  if (!sb.len) {
    sb_free(&sb);
    return false;
  }
  char *text = arena_printf(S->arena, "probe end(%lld) {\n%s}\n", (long long)INT64_MAX, sb_cstr(&sb));
  sb_free(&sb);
  SourceFile *src = source_from_string(text, strlen(text), "<global display>");
  sema_register_new_files(S);
  File *f = front_parse(S->front, src, false, false);
  S->files_seen = S->front->files.len;
  if (f->items.len != 1) return false;
  probes_expand_item(S, f->items.items[0]);
  return true;
}
