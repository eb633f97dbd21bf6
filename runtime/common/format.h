/* format: stap's printf format strings, parsed once into directives.
 *
 * Freestanding C (no libc beyond what a kernel module has) so that the
 * translator checks formats in pass 1 with the same code that the runtimes
 * use to print them.  Syntax: %[flags][width][.precision][l]conversion with
 * flags from "-+ #0", width and precision a number or '*', and
 * conversions d i u o x X c s p b m M, plus %% for a percent sign. */
#ifndef CTAP_RUNTIME_FORMAT_H
#define CTAP_RUNTIME_FORMAT_H

#include <stddef.h>

typedef enum FmtConv {
  FMT_LITERAL,  /* text copied as is (%% contributes a '%') */
  FMT_SIGNED,   /* d i */
  FMT_UNSIGNED, /* u */
  FMT_OCTAL,    /* o */
  FMT_HEX,      /* x */
  FMT_HEX_UPPER,/* X */
  FMT_CHAR,     /* c */
  FMT_STRING,   /* s */
  FMT_POINTER,  /* p */
  FMT_BINARY,   /* b: the value's bytes, width 1, 2, 4 or 8 (default 8) */
  FMT_MEMORY,   /* m: bytes of memory at the address, precision = length */
  FMT_MEMORY_HEX,/* M: the same, as hex digits */
} FmtConv;

enum {
  FMT_LEFT = 1,   /* '-' */
  FMT_PLUS = 2,   /* '+' */
  FMT_SPACE = 4,  /* ' ' */
  FMT_ALT = 8,    /* '#' */
  FMT_ZERO = 16,  /* '0' */
};

enum { FMT_NONE = -1, FMT_STAR = -2 }; /* width/precision not given, or '*' */

typedef struct FmtDirective {
  FmtConv conv;       /* what to print */
  int flags;          /* FMT_LEFT ... */
  int width;          /* >= 0, FMT_NONE or FMT_STAR */
  int precision;      /* >= 0, FMT_NONE or FMT_STAR */
  const char *text;   /* FMT_LITERAL: the text (may include a "%%" pair) */
  size_t len;         /* FMT_LITERAL: bytes of text */
} FmtDirective;

/* Parse fmt[0..len).  Fills at most max directives into out (out may be
 * NULL to count) and returns how many there are, or -1 for an invalid
 * format with *bad set to the offset of the offending '%'.  A "%%" is a
 * FMT_LITERAL of its own holding just the second '%'. */
int fmt_parse(const char *fmt, size_t len, FmtDirective *out, int max, size_t *bad);

/* How many arguments a directive consumes ('*' width and precision
 * included). */
int fmt_args(const FmtDirective *d);

#endif
