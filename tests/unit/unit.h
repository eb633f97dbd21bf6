/* unit: the result lines every unit test prints ("PASS: unit/UNIT/name",
 * "FAIL: ..."; tests/unit/run.sh reads them) and the failure count main
 * returns.  Define UNIT as the test's name ("bo") before including. */
#ifndef CTAP_TESTS_UNIT_H
#define CTAP_TESTS_UNIT_H

#include <stdarg.h>
#include <stdio.h>

#ifndef UNIT
#error "define UNIT before including unit.h"
#endif

static int failures;

static void check(const char *name, int ok) {
  printf("%s: unit/" UNIT "/%s\n", ok ? "PASS" : "FAIL", name);
  if (!ok) failures++;
}

/* check, with a line of detail under a failure */
__attribute__((format(printf, 3, 4), unused))
static void checkf(const char *name, int ok, const char *fmt, ...) {
  check(name, ok);
  if (ok) return;
  va_list ap;
  va_start(ap, fmt);
  printf("    ");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
}

#endif
