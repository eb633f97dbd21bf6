/* util: small helpers with no better home: version comparison and globs,
 * shared by the preprocessor and (later) probe-point matching. */
#ifndef CTAP_COMMON_UTIL_H
#define CTAP_COMMON_UTIL_H

#include <stdbool.h>

/* strverscmp(3) order, as stap compares kernel_v and systemtap_v. */
int util_vercmp(const char *a, const char *b);
/* Does s contain a glob metacharacter (* ? [)? */
bool util_has_glob(const char *s);
/* fnmatch(3) with no flags. */
bool util_glob_match(const char *pattern, const char *s);

#endif
