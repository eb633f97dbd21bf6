/* arena: bump allocation for objects that live as long as a compilation.
 *
 * Every AST node, token and interned string of a stap run comes from one
 * arena and is released in one arena_destroy(); nothing is freed piecemeal,
 * so passes may share pointers freely.  Allocations are 16-byte aligned and
 * zero-filled (8-byte aligned).  Out of memory aborts with a message: a compiler cannot
 * continue without memory and every caller would do the same. */
#ifndef CTAP_COMMON_ARENA_H
#define CTAP_COMMON_ARENA_H

#include <stddef.h>

typedef struct ArenaChunk ArenaChunk;

typedef struct Arena {
  ArenaChunk *head; /* newest chunk; big one-off chunks go behind it */
  unsigned char *next, *limit; /* free space in head */
  size_t total;     /* bytes handed out, for -v memory reports */
} Arena;

void arena_init(Arena *a);
void arena_destroy(Arena *a);
void *arena_alloc_slow(Arena *a, size_t size);
/* Zero-filled, 8-byte aligned storage that lives until arena_destroy. */
static inline void *arena_alloc(Arena *a, size_t size) {
  size = (size + 7) & ~(size_t)7;
  if ((size_t)(a->limit - a->next) < size) return arena_alloc_slow(a, size);
  void *p = a->next;
  a->next += size;
  a->total += size;
  return p;
}
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_strdup(Arena *a, const char *s);
char *arena_printf(Arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* xmalloc family: malloc that aborts on failure, for non-arena buffers. */
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);

#endif
