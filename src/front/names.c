/* names: see names.h.  Open addressing with linear probing over 8-byte
 * slots; each copy is preceded in the arena by its length and hash, so a
 * probe compares hashes without a table of its own for them. */
#include "front/names.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { NAMES_MIN_CAP = 512 };

/* What precedes each interned copy in the arena. */
typedef struct NameHead {
  uint32_t len;  /* bytes in the string */
  uint32_t hash; /* hash_bytes() of them */
} NameHead;

static const NameHead *head_of(const char *s) { return (const NameHead *)s - 1; }

static uint64_t load64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static uint32_t load32(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* A multiplicative hash that reads names a word at a time (most are
 * shorter than 16 bytes), then mixes the high bits of the product, which
 * depend on every byte, into the low bits the table uses. */
static uint32_t hash_bytes(const char *s, size_t n) {
  const uint64_t k = 0x9e3779b97f4a7c15ull;
  const unsigned char *p = (const unsigned char *)s;
  uint64_t h = (uint64_t)n * k;
  if (n >= 8) {
    for (; n > 8; p += 8, n -= 8) h = (h ^ load64(p)) * k;
    h = (h ^ load64(p + n - 8)) * k; /* the last 8 bytes, overlapping */
  } else if (n >= 4) {
    h = (h ^ (load32(p) | (uint64_t)load32(p + n - 4) << 32)) * k;
  } else if (n) {
    h = (h ^ (p[0] | (uint64_t)p[n / 2] << 8 | (uint64_t)p[n - 1] << 16)) * k;
  }
  h ^= h >> 32;
  h *= k;
  return (uint32_t)(h >> 32);
}

void names_init(Names *n, Arena *arena) {
  n->slots = NULL;
  n->cap = n->len = 0;
  n->arena = arena;
}

void names_free(Names *n) {
  free(n->slots);
  n->slots = NULL;
  n->cap = n->len = 0;
}

static void grow(Names *n) {
  size_t cap = n->cap ? n->cap * 2 : NAMES_MIN_CAP, mask = cap - 1;
  const char **slots = xcalloc(cap, sizeof *slots);
  for (size_t i = 0; i < n->cap; i++) {
    const char *s = n->slots[i];
    if (!s) continue;
    size_t j = head_of(s)->hash & mask;
    while (slots[j]) j = (j + 1) & mask;
    slots[j] = s;
  }
  free(n->slots);
  n->slots = slots;
  n->cap = cap;
}

/* A name not in the table yet (out of line: most names are found). */
static __attribute__((noinline)) const char *insert(Names *n, const char *s,
                                                    size_t len, uint32_t hash) {
  if ((n->len + 1) * 4 > n->cap * 3) grow(n);
  size_t mask = n->cap - 1, i = hash & mask;
  while (n->slots[i]) i = (i + 1) & mask;
  NameHead *h = arena_alloc(n->arena, sizeof *h + len + 1);
  h->len = (uint32_t)len;
  h->hash = hash;
  char *copy = memcpy(h + 1, s, len);
  copy[len] = 0;
  n->slots[i] = copy;
  n->len++;
  return copy;
}

const char *names_intern(Names *n, const char *s, size_t len) {
  uint32_t hash = hash_bytes(s, len);
  size_t mask = n->cap - 1;
  /* (An empty table has cap 0: the loop does not run.) */
  for (size_t i = hash & mask; n->cap && n->slots[i]; i = (i + 1) & mask) {
    const char *t = n->slots[i];
    const NameHead *h = head_of(t);
    if (h->hash == hash && h->len == len && memcmp(t, s, len) == 0) return t;
  }
  return insert(n, s, len, hash);
}
