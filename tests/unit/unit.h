/* unit: the result lines every unit test prints ("PASS: unit/UNIT/name",
 * "FAIL: ..."; tests/unit/run.sh reads them) and the failure count main
 * returns.  Define UNIT as the test's name ("bo") before including. */
#ifndef CTAP_TESTS_UNIT_H
#define CTAP_TESTS_UNIT_H

#include <stdio.h>

#ifndef UNIT
#error "define UNIT before including unit.h"
#endif

static int failures;

static void check(const char *name, int ok) {
  printf("%s: unit/" UNIT "/%s\n", ok ? "PASS" : "FAIL", name);
  if (!ok) failures++;
}

#endif
