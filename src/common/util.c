/* util: see util.h. */
#include "common/util.h"

#include <fnmatch.h>
#include <string.h>

int util_vercmp(const char *a, const char *b) { return strverscmp(a, b); }

bool util_has_glob(const char *s) { return strpbrk(s, "*?[") != NULL; }

bool util_glob_match(const char *pattern, const char *s) {
  return fnmatch(pattern, s, 0) == 0;
}
