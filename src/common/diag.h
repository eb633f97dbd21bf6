/* diag: source files and the diagnostics that point into them.
 *
 * Every message about a script names FILE:LINE:COL, quotes the source line
 * and puts a caret under the column, in stap's shape:
 *
 *     parse error: expected ')'
 *             saw: operator '}' at foo.stp:3:1
 *          source: }
 *                  ^
 *
 * A Diag counts what it printed and stops printing after max_errors (the
 * rest are counted as suppressed), so garbage input cannot flood the
 * terminal. */
#ifndef CTAP_COMMON_DIAG_H
#define CTAP_COMMON_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct SourceFile {
  const char *name; /* as shown in messages: a path or "<input>" */
  const char *text; /* contents, NUL-terminated (may contain other NULs) */
  size_t len;       /* bytes in text */
  bool is_tapset;   /* part of the tapset library (relaxed rules apply) */
  int index;        /* position in the session's file list */
} SourceFile;

typedef struct SrcLoc {
  const SourceFile *file; /* NULL for locations outside any file */
  uint32_t line;          /* 1-based */
  uint32_t col;           /* 1-based byte column */
} SrcLoc;

typedef struct Diag {
  FILE *out;       /* where messages go (stderr); NULL counts silently */
  int errors;      /* errors reported, printed or not */
  int printed;     /* errors printed */
  int max_errors;  /* print at most this many errors */
  int warnings;    /* warnings printed */
  bool no_warn;    /* -w: suppress warnings */
  void *warned;    /* warnings already given (a HashMap), printed once */
} Diag;

void diag_init(Diag *d, FILE *out);
void diag_free(Diag *d);

/* Report an error.  `kind` starts the message ("parse error"); `saw`
 * describes the offending token ("operator '}'") or is NULL for errors
 * that are about a place rather than a token. */
void diag_error(Diag *d, const char *kind, SrcLoc loc, const char *saw,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void diag_verror(Diag *d, const char *kind, SrcLoc loc, const char *saw,
                 const char *fmt, va_list ap);
void diag_warning(Diag *d, SrcLoc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Print the "source:" line and caret for loc (used by both of the above). */
void diag_print_source(FILE *out, SrcLoc loc);

/* Read a whole file into a SourceFile allocated with malloc; returns NULL
 * and sets errno on failure.  Free with source_free(). */
SourceFile *source_read(const char *path, const char *shown_name);
SourceFile *source_from_string(const char *text, size_t len,
                               const char *shown_name);
void source_free(SourceFile *f);

#endif
