/* printf: see printf.h for what is printed and why. */
#include "runtime/common/printf.h"
#include "runtime/common/out.h"

#include <stdbool.h>
#include <string.h>

/* A '*' argument or a static field: stap takes the low 32 bits as an
 * int and clamps them to [0, FMT_MAX_FIELD]. */
static int clamp_field(int64_t v) {
  int32_t i = (int32_t)(uint32_t)(uint64_t)v;
  if (i < 0) return 0;
  return i > FMT_MAX_FIELD ? FMT_MAX_FIELD : i;
}

size_t fmt_mem_len(int precision) {
  return precision > 0 ? (size_t)precision : 1;
}

/* Integers: sign, then the "0x"/"0" prefix, zero fill, digits. */
static void put_number(Out *o, uint64_t num, unsigned base, bool upper, bool is_signed,
                       bool alt, int flags, int width, int prec) {
  const char *digs = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  bool left = flags & FMT_LEFT, zero = (flags & FMT_ZERO) && !left;
  char sign = 0;
  if (is_signed) {
    if ((int64_t)num < 0) {
      sign = '-';
      num = 0 - num;
    } else if (flags & FMT_PLUS) {
      sign = '+';
    } else if (flags & FMT_SPACE) {
      sign = ' ';
    }
  }
  char tmp[24];
  int nd = 0;
  do {
    tmp[nd++] = digs[num % base];
    num /= base;
  } while (num);
  int prefix = alt ? (base == 16 ? 2 : base == 8 ? 1 : 0) : 0;
  int body = prec > nd ? prec : nd;
  long pad = (long)width - (sign != 0) - prefix - body;
  if (!left && !zero) put_n(o, ' ', pad);
  if (sign) put(o, sign);
  if (prefix) put(o, '0');
  if (prefix == 2) put(o, upper ? 'X' : 'x');
  if (zero) put_n(o, '0', pad);
  put_n(o, '0', body - nd);
  while (nd) put(o, tmp[--nd]);
  if (left) put_n(o, ' ', pad);
}

static bool printable_ascii(unsigned char c) {
  return c >= 0x20 && c < 0x7f;
}

static void put_char(Out *o, unsigned char c, int flags, int width) {
  char esc[4];
  int n = 0;
  if (!(flags & FMT_ALT) || (printable_ascii(c) && c != '\'' && c != '\\')) {
    esc[n++] = (char)c;
  } else {
    char e = 0;
    switch (c) {
    case '\a': e = 'a'; break;
    case '\b': e = 'b'; break;
    case '\f': e = 'f'; break;
    case '\n': e = 'n'; break;
    case '\r': e = 'r'; break;
    case '\t': e = 't'; break;
    case '\v': e = 'v'; break;
    case '\'': e = '\''; break;
    case '\\': e = '\\'; break;
    default: break;
    }
    esc[n++] = '\\';
    if (e) {
      esc[n++] = e;
    } else {
      esc[n++] = (char)('0' + (c >> 6));
      esc[n++] = (char)('0' + ((c >> 3) & 7));
      esc[n++] = (char)('0' + (c & 7));
    }
  }
  long pad = (long)width - n;
  if (!(flags & FMT_LEFT)) put_n(o, ' ', pad);
  put_bytes(o, esc, (size_t)n);
  if (flags & FMT_LEFT) put_n(o, ' ', pad);
}

/* %s, %m and %M. */
static void put_memory(Out *o, FmtConv conv, const char *s, size_t avail, int flags,
                       int width, int prec) {
  size_t n, cols;
  if (conv == FMT_STRING) {
    if (!s) {
      s = "<NULL>";
      avail = 6;
    }
    size_t max = prec >= 0 ? (size_t)prec : FMT_MAX_FIELD;
    if (avail > max) avail = max;
    for (n = 0; n < avail && s[n]; n++) {
    }
    cols = n;
  } else {
    n = fmt_mem_len(prec);
    cols = conv == FMT_MEMORY_HEX ? 2 * n : n;
  }
  long pad = (long)width - (long)cols;
  if (!(flags & FMT_LEFT)) put_n(o, ' ', pad);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = s && i < avail ? (unsigned char)s[i] : 0;
    if (conv == FMT_MEMORY_HEX) {
      put(o, "0123456789abcdef"[c >> 4]);
      put(o, "0123456789abcdef"[c & 15]);
    } else {
      put(o, (char)c);
    }
  }
  if (flags & FMT_LEFT) put_n(o, ' ', pad);
  if (flags & FMT_ZERO) put(o, '\0');
}

static bool binary_size(int n) {
  return n == 1 || n == 2 || n == 4 || n == 8;
}

/* %b: the value's low bytes as the host stores them. */
static void put_binary(Out *o, int64_t num, int flags, int width, int prec) {
  int size = binary_size(prec) ? prec : -1;
  if (width < 0) {
    if (size < 0) size = 8;
    width = size;
  } else if (size < 0) {
    size = binary_size(width) ? width : 8;
  }
  unsigned char bytes[8];
  switch (size) {
  case 1: {
    uint8_t v = (uint8_t)num;
    memcpy(bytes, &v, 1);
    break;
  }
  case 2: {
    uint16_t v = (uint16_t)num;
    memcpy(bytes, &v, 2);
    break;
  }
  case 4: {
    uint32_t v = (uint32_t)num;
    memcpy(bytes, &v, 4);
    break;
  }
  default:
    memcpy(bytes, &num, 8);
    break;
  }
  long pad = (long)width - size;
  if (!(flags & FMT_LEFT)) put_n(o, '\0', pad);
  put_bytes(o, (const char *)bytes, (size_t)size);
  if (flags & FMT_LEFT) put_n(o, '\0', pad);
}

size_t fmt_render(char *buf, size_t cap, const FmtDirective *d, int nd,
                  const FmtArg *args, int nargs) {
  Out o = {buf, cap, 0};
  static const FmtArg none = {0, "", 0};
  int ai = 0;
#define NEXT_ARG() (ai < nargs ? &args[ai++] : (ai++, &none))
  for (int k = 0; k < nd; k++) {
    const FmtDirective *f = &d[k];
    if (f->conv == FMT_LITERAL) {
      put_bytes(&o, f->text, f->len);
      continue;
    }
    int width = -1, prec = -1;
    if (f->width == FMT_STAR) width = clamp_field(NEXT_ARG()->num);
    else if (f->width >= 0) width = clamp_field(f->width);
    if (f->precision == FMT_STAR) prec = clamp_field(NEXT_ARG()->num);
    else if (f->precision >= 0) prec = clamp_field(f->precision);
    const FmtArg *a = NEXT_ARG();
    uint64_t num = (uint64_t)a->num;
    int flags = f->flags;
    bool alt = flags & FMT_ALT;
    switch (f->conv) {
    case FMT_SIGNED: put_number(&o, num, 10, false, true, false, flags, width, prec); break;
    case FMT_UNSIGNED: put_number(&o, num, 10, false, false, false, flags, width, prec); break;
    case FMT_OCTAL: put_number(&o, num, 8, false, false, alt, flags, width, prec); break;
    case FMT_HEX: put_number(&o, num, 16, false, false, alt, flags, width, prec); break;
    case FMT_HEX_UPPER: put_number(&o, num, 16, true, false, alt, flags, width, prec); break;
    case FMT_POINTER: put_number(&o, num, 16, false, false, true, flags, width, prec); break;
    case FMT_CHAR: put_char(&o, (unsigned char)num, flags, width); break;
    case FMT_STRING:
    case FMT_MEMORY:
    case FMT_MEMORY_HEX: {
      size_t avail = a->len;
      if (f->conv == FMT_STRING && a->str && avail == 0) avail = strlen(a->str);
      put_memory(&o, f->conv, a->str, avail, flags, width, prec);
      break;
    }
    case FMT_BINARY: put_binary(&o, a->num, flags, width, prec); break;
    case FMT_LITERAL: break;
    }
  }
#undef NEXT_ARG
  if (cap > 0) buf[o.len < cap ? o.len : cap - 1] = '\0';
  return o.len;
}
