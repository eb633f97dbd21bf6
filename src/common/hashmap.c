/* hashmap: see hashmap.h.  FNV-1a hashing; grows at 70% load. */
#include "common/hashmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"

static uint64_t hash(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= 1099511628211ull;
  }
  return h;
}

static HashEntry *find(const HashMap *m, const char *key, size_t keylen) {
  size_t mask = m->cap - 1;
  for (size_t i = hash(key, keylen) & mask;; i = (i + 1) & mask) {
    HashEntry *e = &m->slots[i];
    if (!e->key || (e->keylen == keylen && memcmp(e->key, key, keylen) == 0))
      return e;
  }
}

void *hashmap_get(const HashMap *m, const char *key, size_t keylen) {
  if (!m->cap) return NULL;
  HashEntry *e = find(m, key, keylen);
  return e->key ? e->value : NULL;
}

static void grow(HashMap *m) {
  HashMap bigger = {xcalloc(m->cap ? m->cap * 2 : 16, sizeof(HashEntry)),
                    m->cap ? m->cap * 2 : 16, 0};
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].key) {
      *find(&bigger, m->slots[i].key, m->slots[i].keylen) = m->slots[i];
      bigger.len++;
    }
  free(m->slots);
  *m = bigger;
}

void *hashmap_put(HashMap *m, const char *key, size_t keylen, void *value) {
  if ((m->len + 1) * 10 > m->cap * 7) grow(m);
  HashEntry *e = find(m, key, keylen);
  void *old = e->key ? e->value : NULL;
  if (!e->key) {
    e->key = key;
    e->keylen = keylen;
    m->len++;
  }
  e->value = value;
  return old;
}

void hashmap_free(HashMap *m) {
  free(m->slots);
  m->slots = NULL;
  m->cap = m->len = 0;
}
