/* arena: see arena.h.  Chunks grow geometrically up to 1 MiB; a request
 * larger than a chunk gets a chunk of its own. */
#include "common/arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ArenaChunk {
  ArenaChunk *next; /* older chunk */
  size_t cap;       /* bytes in data[] */
  _Alignas(16) unsigned char data[];
};

enum { ARENA_MIN_CHUNK = 64 * 1024, ARENA_MAX_CHUNK = 4 * 1024 * 1024 };

static void oom(size_t n) {
  fprintf(stderr, "ERROR: out of memory (allocating %zu bytes)\n", n);
  abort();
}

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) oom(n);
  return p;
}

void *xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (!p) oom(n);
  return p;
}

void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) oom(n * size);
  return p;
}

char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(xmalloc(n), s, n);
}

void arena_init(Arena *a) {
  a->head = NULL;
  a->next = a->limit = NULL;
  a->total = 0;
}

static ArenaChunk *chunk_new(size_t cap) {
  ArenaChunk *c = xcalloc(1, sizeof *c + cap);
  c->cap = cap;
  return c;
}

void arena_destroy(Arena *a) {
  ArenaChunk *c = a->head;
  while (c) {
    ArenaChunk *next = c->next;
    free(c);
    c = next;
  }
  arena_init(a);
}

/* The current chunk is full: start a new one, twice the size of the last
 * up to ARENA_MAX_CHUNK.  A request bigger than that gets a chunk of its
 * own behind the current one, which stays in use. */
void *arena_alloc_slow(Arena *a, size_t size) {
  ArenaChunk *c = a->head;
  size_t cap = c ? c->cap * 2 : ARENA_MIN_CHUNK;
  if (cap > ARENA_MAX_CHUNK) cap = ARENA_MAX_CHUNK;
  /* Chunks start zeroed and the arena never reuses memory, so no
   * allocation needs a memset of its own. */
  if (size > cap) {
    ArenaChunk *big = chunk_new(size);
    if (c) {
      big->next = c->next;
      c->next = big;
    } else {
      a->head = big;
    }
    a->total += size;
    return big->data;
  }
  ArenaChunk *n = chunk_new(cap);
  n->next = c;
  a->head = n;
  a->next = n->data + size;
  a->limit = n->data + cap;
  a->total += size;
  return n->data;
}

char *arena_strndup(Arena *a, const char *s, size_t n) {
  char *p = arena_alloc(a, n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

char *arena_strdup(Arena *a, const char *s) {
  return arena_strndup(a, s, strlen(s));
}

char *arena_printf(Arena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *p = arena_alloc(a, (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}
