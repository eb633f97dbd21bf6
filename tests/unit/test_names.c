/* Unit tests of src/front/names.c, the set of interned strings: a string
 * interned again gives the first copy; strings are told apart by their
 * bytes and length (NULs included), copied NUL-terminated, and kept
 * through the table's growth. */
#include <stdio.h>
#include <string.h>

#include "common/arena.h"
#include "front/names.h"

#define UNIT "names"
#include "unit.h"

enum { MANY = 20000 };

int main(void) {
  Arena arena;
  arena_init(&arena);
  Names n;
  names_init(&n, &arena);

  const char *a = names_intern(&n, "counts_1", 8);
  char buf[] = "counts_1 and more";
  check("same-bytes-same-copy", names_intern(&n, buf, 8) == a);
  check("copy-is-nul-terminated", strcmp(a, "counts_1") == 0);
  check("copy-is-not-the-source", a != buf);
  check("other-bytes-other-copy", names_intern(&n, "counts_2", 8) != a);
  check("prefix-is-another-name", names_intern(&n, "counts_", 7) != a);

  const char *nul = names_intern(&n, "a\0b", 3);
  const char *a1 = names_intern(&n, "a", 1);
  check("nul-inside-counts", nul != a1 && memcmp(nul, "a\0b", 4) == 0);
  check("nul-inside-again", names_intern(&n, "a\0b", 3) == nul);

  const char *empty = names_intern(&n, "", 0);
  check("empty", empty[0] == 0 && names_intern(&n, "x", 0) == empty);

  /* Long names that differ only in their middle bytes. */
  const char *l1 = names_intern(&n, "prefix_prefix_AAAAAAAA_suffix_suffix", 36);
  const char *l2 = names_intern(&n, "prefix_prefix_AAAABAAA_suffix_suffix", 36);
  check("long-middle-differs", l1 != l2 && strcmp(l2, "prefix_prefix_AAAABAAA_suffix_suffix") == 0);

  /* Enough names to grow the table several times; every one still maps
   * to its first copy afterwards. */
  static const char *first[MANY];
  char name[32];
  for (int i = 0; i < MANY; i++) {
    int len = snprintf(name, sizeof name, "n%d", i);
    first[i] = names_intern(&n, name, (size_t)len);
  }
  int kept = 0;
  for (int i = 0; i < MANY; i++) {
    int len = snprintf(name, sizeof name, "n%d", i);
    const char *again = names_intern(&n, name, (size_t)len);
    kept += again == first[i] && strcmp(again, name) == 0;
  }
  checkf("kept-through-growth", kept == MANY, "%d of %d", kept, MANY);
  check("earlier-names-kept", names_intern(&n, "counts_1", 8) == a && names_intern(&n, "a", 1) == a1);

  names_free(&n);
  arena_destroy(&arena);
  return failures != 0;
}
