/* vec: see vec.h. */
#include "common/vec.h"

#include <string.h>

void vec_push(Vec *v, Arena *a, void *item) {
  if (v->len == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 4;
    void **items = arena_alloc(a, cap * sizeof *items);
    if (v->len) memcpy(items, v->items, v->len * sizeof *items);
    v->items = items;
    v->cap = cap;
  }
  v->items[v->len++] = item;
}

void *vec_last(const Vec *v) { return v->len ? v->items[v->len - 1] : NULL; }
