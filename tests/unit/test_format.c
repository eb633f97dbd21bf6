/* Unit tests of runtime/common/format: directive boundaries, flags,
 * widths, precisions and what is rejected. */
#include <stdio.h>
#include <string.h>

#include "runtime/common/format.h"

#define UNIT "format"
#include "unit.h"

static int parse(const char *s, FmtDirective *d, int max, size_t *bad) {
  return fmt_parse(s, strlen(s), d, max, bad);
}

int main(void) {
  FmtDirective d[8];
  size_t bad = 0;

  int n = parse("a%-08.3lxb%%", d, 8, &bad);
  check("pieces", n == 4 && d[0].conv == FMT_LITERAL && d[0].len == 1 &&
                      d[1].conv == FMT_HEX && d[2].len == 1 && d[3].len == 1 &&
                      d[3].text[0] == '%');
  check("flags-width-precision", d[1].flags == (FMT_LEFT | FMT_ZERO) &&
                                     d[1].width == 8 && d[1].precision == 3);

  n = parse("%*.*s", d, 8, &bad);
  check("stars", n == 1 && d[0].width == FMT_STAR && d[0].precision == FMT_STAR &&
                     fmt_args(&d[0]) == 3);
  n = parse("%5.s", d, 8, &bad);
  check("empty-precision-is-zero", n == 1 && d[0].precision == 0 && d[0].width == 5);
  n = parse("%d%i%u%o%x%X%c%s%p%b%m%M", d, 8, &bad);
  check("every-conversion-counted", n == 12 && d[7].conv == FMT_STRING);

  check("reject-unknown", parse("ab %q", d, 8, &bad) == -1 && bad == 3);
  check("reject-trailing-percent", parse("100%", d, 8, &bad) == -1 && bad == 3);
  check("reject-width-on-percent", parse("%5%", d, 8, &bad) == -1 && bad == 0);
  check("reject-long-long", parse("%lld", d, 8, &bad) == -1);
  check("reject-binary-width-3", parse("%3b", d, 8, &bad) == -1);
  check("accept-binary-widths", parse("%1b%2b%4b%8b", d, 8, &bad) == 4);
  return failures ? 1 : 0;
}
