/* strbuf: a growable byte string (heap, not arena), for building output and
 * messages whose size is not known in advance.  Always NUL-terminated. */
#ifndef CTAP_COMMON_STRBUF_H
#define CTAP_COMMON_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct StrBuf {
  char *data; /* NUL-terminated contents, NULL until first append */
  size_t len; /* bytes in data, excluding the NUL */
  size_t cap; /* allocated bytes */
} StrBuf;

void sb_init(StrBuf *sb);
void sb_free(StrBuf *sb);
void sb_clear(StrBuf *sb);
void sb_reserve(StrBuf *sb, size_t extra);
static inline void sb_putc(StrBuf *sb, char c) {
  if (sb->len + 2 > sb->cap) sb_reserve(sb, 1);
  sb->data[sb->len++] = c;
  sb->data[sb->len] = 0;
}
void sb_append(StrBuf *sb, const char *s, size_t n);
void sb_puts(StrBuf *sb, const char *s);
/* Append each string argument in turn, up to a NULL: a cheap sb_printf
 * for plain concatenation. */
void sb_cat(StrBuf *sb, ...) __attribute__((sentinel));
void sb_printf(StrBuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sb_vprintf(StrBuf *sb, const char *fmt, va_list ap);
const char *sb_cstr(StrBuf *sb); /* "" for an empty buffer */

#endif
