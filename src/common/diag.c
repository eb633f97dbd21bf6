/* diag: see diag.h. */
#include "common/diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/hashmap.h"
#include "common/strbuf.h"

/* A source line longer than this is shown as a window around the column. */
enum { DIAG_LINE_WINDOW = 160 };

void diag_init(Diag *d, FILE *out) {
  memset(d, 0, sizeof *d);
  d->out = out;
  d->max_errors = 20;
}

static void print_loc(FILE *out, SrcLoc loc) {
  if (loc.file)
    fprintf(out, "%s:%u:%u", loc.file->name, loc.line, loc.col);
  else
    fputs("<command line>", out);
}

void diag_print_source(FILE *out, SrcLoc loc) {
  const SourceFile *f = loc.file;
  if (!f || loc.line == 0) return;
  /* Find the start of the line. */
  const char *p = f->text, *end = f->text + f->len;
  for (uint32_t line = 1; line < loc.line && p < end; p++)
    if (*p == '\n') line++;
  const char *eol = p;
  while (eol < end && *eol != '\n') eol++;
  size_t col = loc.col ? loc.col - 1 : 0;
  if (col > (size_t)(eol - p)) col = (size_t)(eol - p);
  const char *from = p, *to = eol;
  if (to - from > DIAG_LINE_WINDOW) {
    from = p + col > p + DIAG_LINE_WINDOW / 2 ? p + col - DIAG_LINE_WINDOW / 2 : p;
    to = from + DIAG_LINE_WINDOW < eol ? from + DIAG_LINE_WINDOW : eol;
  }
  StrBuf src, caret;
  sb_init(&src);
  sb_init(&caret);
  for (const char *q = from; q < to; q++) {
    unsigned char c = (unsigned char)*q;
    bool tab = c == '\t';
    sb_putc(&src, tab || (c >= 0x20 && c != 0x7f) ? (char)c : '?');
    if (q < p + col) sb_putc(&caret, tab ? '\t' : ' ');
  }
  fprintf(out, "     source: %s\n", sb_cstr(&src));
  fprintf(out, "             %s^\n", sb_cstr(&caret));
  sb_free(&src);
  sb_free(&caret);
}

void diag_verror(Diag *d, const char *kind, SrcLoc loc, const char *saw,
                 const char *fmt, va_list ap) {
  d->errors++;
  if (!d->out || d->printed >= d->max_errors) return;
  d->printed++;
  fprintf(d->out, "%s: ", kind);
  vfprintf(d->out, fmt, ap);
  if (saw) {
    fprintf(d->out, "\n        saw: %s at ", saw);
  } else {
    fputs("\n         at: ", d->out);
  }
  print_loc(d->out, loc);
  fputc('\n', d->out);
  diag_print_source(d->out, loc);
  fputc('\n', d->out);
}

void diag_error(Diag *d, const char *kind, SrcLoc loc, const char *saw,
                const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_verror(d, kind, loc, saw, fmt, ap);
  va_end(ap);
}

void diag_warning(Diag *d, SrcLoc loc, const char *fmt, ...) {
  if (d->no_warn || !d->out) return;
  va_list ap;
  va_start(ap, fmt);
  StrBuf msg;
  sb_init(&msg);
  sb_vprintf(&msg, fmt, ap);
  va_end(ap);
  /* The same warning at the same place (one handler expanded into many
   * probes) is given once. */
  StrBuf key;
  sb_init(&key);
  sb_printf(&key, "%p:%u:%u:%s", (const void *)loc.file, loc.line, loc.col, sb_cstr(&msg));
  if (!d->warned) d->warned = xcalloc(1, sizeof(HashMap));
  if (hashmap_get(d->warned, key.data, key.len)) {
    sb_free(&key);
    sb_free(&msg);
    return;
  }
  hashmap_put(d->warned, key.data, key.len, d); /* the map owns key.data */
  d->warnings++;
  fprintf(d->out, "WARNING: %s", sb_cstr(&msg));
  sb_free(&msg);
  if (loc.file) {
    fputs(": ", d->out);
    print_loc(d->out, loc);
    fputc('\n', d->out);
    diag_print_source(d->out, loc);
  } else {
    fputc('\n', d->out);
  }
}

SourceFile *source_from_string(const char *text, size_t len,
                               const char *shown_name) {
  size_t nlen = strlen(shown_name) + 1;
  SourceFile *f = xmalloc(sizeof *f + len + 1 + nlen);
  char *buf = (char *)(f + 1);
  memcpy(buf, text, len);
  buf[len] = 0;
  memcpy(buf + len + 1, shown_name, nlen);
  f->text = buf;
  f->len = len;
  f->name = buf + len + 1;
  f->is_tapset = false;
  f->index = -1;
  return f;
}

SourceFile *source_read(const char *path, const char *shown_name) {
  FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (!fp) return NULL;
  StrBuf sb;
  sb_init(&sb);
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, fp)) > 0) sb_append(&sb, buf, n);
  int err = ferror(fp) ? errno : 0;
  if (fp != stdin) fclose(fp);
  if (err) {
    sb_free(&sb);
    errno = err;
    return NULL;
  }
  SourceFile *f = source_from_string(sb_cstr(&sb), sb.len,
                                     shown_name ? shown_name : path);
  sb_free(&sb);
  return f;
}

void source_free(SourceFile *f) { free(f); }

void diag_free(Diag *d) {
  HashMap *m = d->warned;
  if (!m) return;
  for (size_t i = 0; i < m->cap; i++) free((void *)m->slots[i].key);
  hashmap_free(m);
  free(m);
  d->warned = NULL;
}
