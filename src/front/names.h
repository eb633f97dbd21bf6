/* names: the distinct strings of a compilation, each stored once.
 *
 * The lexer interns every identifier, number spelling, `@word` and string
 * literal it reads, so that a name written a thousand times takes one
 * arena copy and the tokens that carry it need no allocation of their own.
 * Interned strings are NUL-terminated (a string literal may also contain
 * NULs: it is identified by its bytes and length) and live in the arena
 * given to names_init; the table itself is malloc'd and freed by
 * names_free.  Equal strings give the same pointer, but nothing relies on
 * that: it only saves memory. */
#ifndef CTAP_FRONT_NAMES_H
#define CTAP_FRONT_NAMES_H

#include <stddef.h>

#include "common/arena.h"

typedef struct Names {
  const char **slots; /* cap slots: interned strings, NULL if empty */
  size_t cap;         /* a power of two, or 0 before the first name */
  size_t len;         /* occupied slots */
  Arena *arena;       /* where the copies go */
} Names;

void names_init(Names *n, Arena *arena);
void names_free(Names *n);
/* The interned copy of the len bytes at s. */
const char *names_intern(Names *n, const char *s, size_t len);

#endif
