/* format: see format.h. */
#include "runtime/common/format.h"

static int digits(const char *s, size_t len, size_t *i) {
  int v = 0;
  while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
    if (v < 100000) v = v * 10 + (s[*i] - '0');
    (*i)++;
  }
  return v;
}

int fmt_parse(const char *fmt, size_t len, FmtDirective *out, int max, size_t *bad) {
  int n = 0;
  size_t i = 0;
  while (i < len) {
    FmtDirective d = {FMT_LITERAL, 0, FMT_NONE, FMT_NONE, fmt + i, 0};
    if (fmt[i] != '%') {
      while (i < len && fmt[i] != '%') i++;
      d.len = (size_t)(fmt + i - d.text);
    } else if (i + 1 < len && fmt[i + 1] == '%') {
      d.text = fmt + i + 1;
      d.len = 1;
      i += 2;
    } else {
      size_t start = i++;
      for (;; i++) {
        if (i >= len) break;
        char c = fmt[i];
        if (c == '-') d.flags |= FMT_LEFT;
        else if (c == '+') d.flags |= FMT_PLUS;
        else if (c == ' ') d.flags |= FMT_SPACE;
        else if (c == '#') d.flags |= FMT_ALT;
        else if (c == '0') d.flags |= FMT_ZERO;
        else break;
      }
      if (i < len && fmt[i] == '*') {
        d.width = FMT_STAR;
        i++;
      } else if (i < len && fmt[i] >= '1' && fmt[i] <= '9') {
        d.width = digits(fmt, len, &i);
      }
      if (i < len && fmt[i] == '.') {
        i++;
        if (i < len && fmt[i] == '*') {
          d.precision = FMT_STAR;
          i++;
        } else {
          d.precision = digits(fmt, len, &i);
        }
      }
      if (i < len && fmt[i] == 'l') i++;
      char c = i < len ? fmt[i] : 0;
      switch (c) {
      case 'd': case 'i': d.conv = FMT_SIGNED; break;
      case 'u': d.conv = FMT_UNSIGNED; break;
      case 'o': d.conv = FMT_OCTAL; break;
      case 'x': d.conv = FMT_HEX; break;
      case 'X': d.conv = FMT_HEX_UPPER; break;
      case 'c': d.conv = FMT_CHAR; break;
      case 's': d.conv = FMT_STRING; break;
      case 'p': d.conv = FMT_POINTER; break;
      case 'b': d.conv = FMT_BINARY; break;
      case 'm': d.conv = FMT_MEMORY; break;
      case 'M': d.conv = FMT_MEMORY_HEX; break;
      default:
        *bad = start;
        return -1;
      }
      if (d.conv == FMT_BINARY && d.width >= 0 && d.width != 1 && d.width != 2 &&
          d.width != 4 && d.width != 8) {
        *bad = start;
        return -1;
      }
      i++;
    }
    if (out && n < max) out[n] = d;
    n++;
  }
  return n;
}

int fmt_args(const FmtDirective *d) {
  if (d->conv == FMT_LITERAL) return 0;
  return 1 + (d->width == FMT_STAR) + (d->precision == FMT_STAR);
}
