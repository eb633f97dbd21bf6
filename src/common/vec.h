/* vec: a growable array of pointers in an arena, the one container the
 * AST uses for lists (statements, arguments, probe points).  Growing
 * abandons the old storage in the arena (bounded by twice the final
 * size); nothing is ever freed on its own, which also makes a parser that
 * unwinds on errors leak-free. */
#ifndef CTAP_COMMON_VEC_H
#define CTAP_COMMON_VEC_H

#include <stddef.h>

#include "common/arena.h"

typedef struct Vec {
  void **items; /* the elements */
  size_t len;   /* number of elements */
  size_t cap;   /* allocated slots */
} Vec;

void vec_push(Vec *v, Arena *a, void *item);
void *vec_last(const Vec *v); /* NULL if empty */

#endif
