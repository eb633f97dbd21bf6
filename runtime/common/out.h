/* out: a bounded output buffer for the renderers of runtime/common
 * (printf.c, stat.c).  Bytes past cap are counted but not stored, so a
 * renderer returns its full length as snprintf does; the caller puts the
 * NUL at min(len, cap - 1).  Freestanding C. */
#ifndef CTAP_RUNTIME_OUT_H
#define CTAP_RUNTIME_OUT_H

#include <stddef.h>
#include <stdint.h>

typedef struct Out {
  char *buf;
  size_t cap, len;
} Out;

static inline void put(Out *o, char c) {
  if (o->len + 1 < o->cap) o->buf[o->len] = c;
  o->len++;
}

/* c, n times (nothing when n <= 0) */
static inline void put_n(Out *o, char c, int64_t n) {
  for (; n > 0; n--) put(o, c);
}

static inline void put_bytes(Out *o, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) put(o, s[i]);
}

static inline void put_str(Out *o, const char *s) {
  while (*s) put(o, *s++);
}

#endif
