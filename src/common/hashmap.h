/* hashmap: string keys to pointers, open addressing with linear probing.
 * Keys are not copied: they must outlive the map (arena strings do). */
#ifndef CTAP_COMMON_HASHMAP_H
#define CTAP_COMMON_HASHMAP_H

#include <stddef.h>

typedef struct HashEntry {
  const char *key; /* NULL for an empty slot */
  size_t keylen;   /* bytes in key */
  void *value;     /* what the key maps to */
} HashEntry;

typedef struct HashMap {
  HashEntry *slots; /* cap slots */
  size_t cap;       /* a power of two, or 0 */
  size_t len;       /* occupied slots */
} HashMap;

void *hashmap_get(const HashMap *m, const char *key, size_t keylen);
/* Insert or replace; returns the previous value or NULL. */
void *hashmap_put(HashMap *m, const char *key, size_t keylen, void *value);
void hashmap_free(HashMap *m);

#endif
