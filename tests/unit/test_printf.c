/* Unit tests of runtime/common/printf: every conversion, flag, width
 * and precision combination against C's snprintf where SystemTap prints
 * as C does, and against SystemTap's own expected output where it does
 * not (each such case names its source). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "runtime/common/printf.h"

#define UNIT "printf"
#include "unit.h"

enum { MAXD = 64 };
static char out[16384];

static void show(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c < 0x7f && c != '\\') putchar(c);
    else printf("\\x%02x", c);
  }
}

/* Render fmt with args into out (cap bytes); -1 if fmt does not parse. */
static long render_cap(const char *fmt, const FmtArg *a, int n, size_t cap) {
  FmtDirective d[MAXD];
  size_t bad;
  int nd = fmt_parse(fmt, strlen(fmt), d, MAXD, &bad);
  if (nd < 0 || nd > MAXD) return -1;
  memset(out, 'Z', sizeof out);
  return (long)fmt_render(out, cap, d, nd, a, n);
}

static int expect_n(const char *name, const char *fmt, const FmtArg *a, int n, const char *exp,
                    size_t explen) {
  long len = render_cap(fmt, a, n, sizeof out);
  int ok = len == (long)explen && memcmp(out, exp, explen) == 0 && out[explen] == 0;
  if (name) check(name, ok);
  if (!ok) {
    printf("  format \"%s\": expected \"", fmt);
    show(exp, explen);
    printf("\", got \"");
    if (len >= 0) show(out, (size_t)len);
    printf("\"\n");
  }
  return ok;
}

#define N(x) ((FmtArg){(int64_t)(x), NULL, 0})
#define S(s) ((FmtArg){0, (s), strlen(s)})
#define MEM(s) ((FmtArg){0, (s), sizeof(s) - 1})
#define ARGS(...) ((const FmtArg[]){__VA_ARGS__}), \
                  (int)(sizeof((const FmtArg[]){__VA_ARGS__}) / sizeof(FmtArg))
/* exp is a string literal (it may hold NUL bytes). */
#define EXPECT(name, fmt, exp, ...) expect_n(name, fmt, ARGS(__VA_ARGS__), exp, sizeof(exp) - 1)

static const int64_t values[] = {
    0, 1, -1, 7, -7, 42, -42, 255, 4096, 0x1234abcd, 9000000000000LL, -9000000000000LL,
    INT64_MAX, INT64_MIN, INT64_MIN + 1, (int64_t)0x8000000000000001ULL >> 1,
};

/* The integer conversions against C, skipping the combinations where
 * stap differs (tested with fixed strings below). */
static void test_integers_like_c(void) {
  const char *convs = "diuoxX";
  const int widths[] = {-1, 1, 5, 25};
  const int precs[] = {-1, 0, 1, 3, 22};
  long compared = 0, bad = 0;
  for (const char *cv = convs; *cv; cv++) {
    bool is_signed = *cv == 'd' || *cv == 'i';
    for (int fl = 0; fl < 32; fl++) {
      char flags[8];
      int nf = 0;
      for (int b = 0; b < 5; b++)
        if (fl & (1 << b)) flags[nf++] = "-+ #0"[b];
      flags[nf] = 0;
      bool alt = strchr(flags, '#'), zero = strchr(flags, '0'), left = strchr(flags, '-');
      for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++)
        for (size_t pi = 0; pi < sizeof precs / sizeof precs[0]; pi++)
          for (size_t vi = 0; vi < sizeof values / sizeof values[0]; vi++) {
            int w = widths[wi], p = precs[pi];
            int64_t v = values[vi];
            if (alt && (is_signed || *cv == 'u')) continue; /* C: undefined */
            if (alt && v == 0) continue;                   /* stap: "0x0", "00" */
            if (alt && *cv == 'o' && p >= 0) continue;     /* stap: "0" + digits */
            if (zero && !left && p >= 0) continue;         /* stap keeps '0' */
            if (p == 0 && v == 0) continue;                /* stap prints "0" */
            char sf[48], cf[48], ws[16] = "", ps[16] = "";
            if (w >= 0) snprintf(ws, sizeof ws, "%d", w);
            if (p >= 0) snprintf(ps, sizeof ps, ".%d", p);
            snprintf(sf, sizeof sf, "%%%s%s%s%c", flags, ws, ps, *cv);
            snprintf(cf, sizeof cf, "%%%s%s%sll%c", flags, ws, ps, *cv);
            char cbuf[128];
            int clen = is_signed ? snprintf(cbuf, sizeof cbuf, cf, (long long)v)
                                 : snprintf(cbuf, sizeof cbuf, cf, (unsigned long long)v);
            compared++;
            if (!expect_n(NULL, sf, ARGS(N(v)), cbuf, (size_t)clen) && ++bad > 10) goto done;
          }
    }
  }
done:
  printf("  %ld integer cases compared with snprintf\n", compared);
  check("integers-like-c", bad == 0 && compared > 10000);
}

static void test_strings_chars_like_c(void) {
  const char *strs[] = {"", "a", "hello", "12345678901234567890"};
  const int widths[] = {-1, 1, 3, 8, 30}; /* (a width "0" would be the '0' flag) */
  const int precs[] = {-1, 0, 2, 5, 40};
  long bad = 0, compared = 0;
  for (size_t si = 0; si < 4; si++)
    for (int left = 0; left < 2; left++)
      for (size_t wi = 0; wi < 5; wi++)
        for (size_t pi = 0; pi < 5; pi++) {
          char sf[48], ws[16] = "", ps[16] = "";
          if (widths[wi] >= 0) snprintf(ws, sizeof ws, "%d", widths[wi]);
          if (precs[pi] >= 0) snprintf(ps, sizeof ps, ".%d", precs[pi]);
          snprintf(sf, sizeof sf, "[%%%s%s%ss]", left ? "-" : "", ws, ps);
          char cbuf[128];
          int clen = snprintf(cbuf, sizeof cbuf, sf, strs[si]);
          compared++;
          bad += !expect_n(NULL, sf, ARGS(S(strs[si])), cbuf, (size_t)clen);
        }
  check("strings-like-c", bad == 0);
  bad = 0;
  for (int c = 0x20; c < 0x7f; c++)
    for (int left = 0; left < 2; left++)
      for (int w = -1; w <= 3; w++) {
        char sf[32], ws[16] = "";
        if (w >= 0) snprintf(ws, sizeof ws, "%d", w);
        snprintf(sf, sizeof sf, "%%%s%sc|", left ? "-" : "", ws);
        char cbuf[16];
        int clen = snprintf(cbuf, sizeof cbuf, sf, c);
        compared++;
        bad += !expect_n(NULL, sf, ARGS(N(c)), cbuf, (size_t)clen);
      }
  check("chars-like-c", bad == 0);
  printf("  %ld string and character cases compared with snprintf\n", compared);
}

static void test_stap_integers(void) {
  /* stap(1), printf examples. */
  EXPECT("stap1-example", "%c is %s; %x or %X or %p; %d or %u\n",
         "a is alice; 1234abcd or 1234ABCD or 0x1234abcd; -1 or 18446744073709551615\n", N(97),
         S("alice"), N(0x1234abcd), N(0x1234abcd), N(0x1234abcd), N(-1), N(-1));
  EXPECT("stap1-alt-example", "%#o %#x %#X\n", "01 0x2 0X3\n", N(1), N(2), N(3));
  /* testsuite systemtap.printf/int1.exp (i=1 j=10 k=9000000000000 m=-1
   * n=-1024). */
#define INT1 N(1), N(10), N(9000000000000LL), N(-1), N(-1024)
  EXPECT("int1-d", "%d,%d,%d,%d,%d", "1,10,9000000000000,-1,-1024", INT1);
  EXPECT("int1-16d", "%16d,%16d,%16d,%16d,%16d",
         "               1,              10,   9000000000000,              -1,           -1024",
         INT1);
  EXPECT("int1-016d", "%016d,%016d,%016d,%016d,%016d",
         "0000000000000001,0000000000000010,0009000000000000,-000000000000001,-000000000001024",
         INT1);
  EXPECT("int1-u", "%u,%u,%u,%u,%u", "1,10,9000000000000,18446744073709551615,18446744073709550592",
         INT1);
  EXPECT("int1-016u", "%016u,%016u,%016u,%016u,%016u",
         "0000000000000001,0000000000000010,0009000000000000,18446744073709551615,"
         "18446744073709550592",
         INT1);
  EXPECT("int1-x", "%x,%x,%x,%x,%x", "1,a,82f79cd9000,ffffffffffffffff,fffffffffffffc00", INT1);
  EXPECT("int1-2x", "%2x,%2x,%2x,%2x,%2x", " 1, a,82f79cd9000,ffffffffffffffff,fffffffffffffc00",
         INT1);
  EXPECT("int1-016X", "%016X,%016X,%016X,%016X,%016X",
         "0000000000000001,000000000000000A,0000082F79CD9000,FFFFFFFFFFFFFFFF,FFFFFFFFFFFFFC00",
         INT1);
  EXPECT("int1-alt-x", "%#x,%#x,%#x,%#x,%#x",
         "0x1,0xa,0x82f79cd9000,0xffffffffffffffff,0xfffffffffffffc00", INT1);
  EXPECT("int1-o", "%o,%o,%o,%o,%o",
         "1,12,202757163310000,1777777777777777777777,1777777777777777776000", INT1);
  EXPECT("int1-alt-o", "%#o,%#o,%#o,%#o,%#o",
         "01,012,0202757163310000,01777777777777777777777,01777777777777777776000", INT1);
#undef INT1
  /* stap's number() (4.8 runtime, called by the generated code with
   * STP_SPECIAL for '#'): the prefix is written for 0 too. */
  EXPECT("alt-hex-zero", "%#x|%#X|%#o", "0x0|0X0|00", N(0), N(0), N(0));
  EXPECT("alt-hex-zero-width", "%#6x|%-#6x|%#06x", "   0x0|0x0   |0x0000", N(0), N(0), N(0));
  EXPECT("alt-octal-precision", "%#.3o|%#.1o", "0010|010", N(8), N(8));
  /* Precision 0 still prints the digit 0. */
  EXPECT("precision-0-of-0", "[%.0d][%.0x][%5.0u]", "[0][0][    0]", N(0), N(0), N(0));
  /* '0' stays in effect with a precision. */
  EXPECT("zero-flag-with-precision", "[%08.3d][%08.3d][%-08.3d]", "[00000005][-0000005][005     ]",
         N(5), N(-5), N(5));
  EXPECT("int64-limits", "%d %d %i %+d % d",
         "-9223372036854775808 9223372036854775807 -9223372036854775808 +0  0", N(INT64_MIN),
         N(INT64_MAX), N(INT64_MIN), N(0), N(0));
  EXPECT("unsigned-ignores-sign-flags", "%+u|% x|%+o|% X", "5|ff|10|FF", N(5), N(255), N(8),
         N(255));
  EXPECT("minus-1-everywhere", "%u %x %X %o",
         "18446744073709551615 ffffffffffffffff FFFFFFFFFFFFFFFF 1777777777777777777777", N(-1),
         N(-1), N(-1), N(-1));
  EXPECT("int64-min-hex", "%x %#X", "8000000000000000 0X8000000000000000", N(INT64_MIN),
         N(INT64_MIN));
  EXPECT("alt-on-decimal-ignored", "%#d %#u", "5 5", N(5), N(5));
  EXPECT("length-modifier-l", "%ld %lx", "-3 ff", N(-3), N(255));
}

static void test_pointer(void) {
  /* testsuite systemtap.printf/ptr-1.3.stp and .exp: since stap 1.3 %p
   * is %#x (the stap 4.8 runtime's comment and its pass-3 code:
   * number(str, end, v, 16, width, precision, STP_SPECIAL)). */
  static const char exp_ptr13[] =
    "0x0\n"
    "0x1\n"
    "0x12345678\n"
    "0x12345678abcdef00\n"
    "0x12345678\n"
    "\n"
    "                 0x0X\n"
    "                 0x1X\n"
    "          0x12345678X\n"
    "  0x12345678abcdef00X\n"
    "          0x12345678X\n"
    "\n"
    "0x0                 X\n"
    "0x1                 X\n"
    "0x12345678          X\n"
    "0x12345678abcdef00  X\n"
    "0x12345678          X\n"
    "\n"
    "0x00000000000000000000X\n"
    "0x00000000000000000001X\n"
    "0x00000000000012345678X\n"
    "0x000012345678abcdef00X\n"
    "0x00000000000012345678X\n"
    "\n"
    "          0x00000000X\n"
    "          0x00000001X\n"
    "          0x12345678X\n"
    "  0x12345678abcdef00X\n"
    "          0x12345678X\n"
    "\n"
    "0x00000000          X\n"
    "0x00000001          X\n"
    "0x12345678          X\n"
    "0x12345678abcdef00  X\n"
    "0x12345678          X\n"
    "\n"
    "     0x0\n"
    "     0x1\n"
    "0x12345678\n"
    "0x12345678abcdef00\n"
    "0x12345678\n"
    "\n"
    "0x0     X\n"
    "0x1     X\n"
    "0x12345678X\n"
    "0x12345678abcdef00X\n"
    "0x12345678X\n"
    "\n"
    "0x00000000\n"
    "0x00000001\n"
    "0x12345678\n"
    "0x12345678abcdef00\n"
    "0x12345678\n"
    "\n"
    "0x00000000000000000000\n"
    "0x00000000000000000001\n"
    "0x00000000000012345678\n"
    "0x000012345678abcdef00\n"
    "0x00000000000012345678\n"
    "\n"
    "0x00000000000000000000X\n"
    "0x00000000000000000001X\n"
    "0x00000000000012345678X\n"
    "0x000012345678abcdef00X\n"
    "0x00000000000012345678X\n"
  ;
  static const char *fmts[] = {"%p\n",     "%20pX\n",   "%-20pX\n", "%.20pX\n",
                               "%20.8pX\n", "%-20.8pX\n", "%8p\n",   "%-8pX\n",
                               "%.8p\n",   "%8.20p\n",  "%-8.20pX\n"};
  static const int64_t vals[] = {0, 1, 0x12345678, 0x12345678abcdef00LL, 0x0000000012345678};
  char all[4096];
  size_t n = 0;
  int ok = 1;
  for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++) {
    if (f) all[n++] = '\n';
    for (size_t v = 0; v < 5; v++) {
      long len = render_cap(fmts[f], ARGS(N(vals[v])), sizeof out);
      if (len < 0 || n + (size_t)len >= sizeof all) {
        ok = 0;
        break;
      }
      memcpy(all + n, out, (size_t)len);
      n += (size_t)len;
    }
  }
  ok = ok && n == strlen(exp_ptr13) && memcmp(all, exp_ptr13, n) == 0;
  check("pointer-ptr-1.3-exp", ok);
  if (!ok) printf("  got:\n%.*s", (int)n, all);
  EXPECT("pointer-kernel-address", "%p", "0xffffffff81000000", N(0xffffffff81000000ULL));
  EXPECT("pointer-zero-flag", "%020p|%-020p|", "0x0000000000000000ff|0xff                |",
         N(255), N(255));
  EXPECT("pointer-minus-1", "%p", "0xffffffffffffffff", N(-1));
}

static void test_star(void) {
  EXPECT("star-width", "[%*d]", "[    3]", N(5), N(3));
  EXPECT("star-width-left", "[%-*d]", "[3    ]", N(5), N(3));
  EXPECT("star-precision", "[%.*d][%.*s]", "[007][ab]", N(3), N(7), N(2), S("abc"));
  EXPECT("star-both", "[%*.*d]", "[   007]", N(6), N(3), N(7));
  EXPECT("star-both-string", "[%-*.*s]", "[ab   ]", N(5), N(2), S("abc"));
  /* stap 4.8's generated code: width = clamp_t(int, arg, 0,
   * STP_BUFFER_SIZE), so a negative '*' width is 0, not left-justified. */
  EXPECT("star-negative-width-is-0", "[%*d][%*s]", "[3][x]", N(-5), N(3), N(-4), S("x"));
  /* ... and a negative '*' precision is 0, not "none". */
  EXPECT("star-negative-precision-is-0", "[%.*s][%.*d]", "[][7]", N(-1), S("abc"), N(-3), N(7));
  /* clamp_t(int, ...): the low 32 bits as an int. */
  EXPECT("star-low-32-bits", "[%*d][%*d]", "[    3][3]", N(0x100000005LL), N(3),
         N(0xffffffffLL), N(3));
  long len = render_cap("%*d", ARGS(N(100000), N(1)), sizeof out);
  check("star-width-clamped", len == FMT_MAX_FIELD && out[FMT_MAX_FIELD - 1] == '1' &&
                                  out[0] == ' ');
  len = render_cap("%100000d", ARGS(N(1)), sizeof out);
  check("static-width-clamped", len == FMT_MAX_FIELD);
  len = render_cap("%.100000d", ARGS(N(1)), sizeof out);
  check("static-precision-clamped", len == FMT_MAX_FIELD && out[0] == '0');
}

static void test_char(void) {
  EXPECT("char-nul", "[%c]", "[\0]", N(0));
  EXPECT("char-low-byte", "%c%c", "AB", N(0x141), N(-190));
  EXPECT("char-width", "[%3c][%-3c][%03c]", "[  A][A  ][  A]", N('A'), N('A'), N('A'));
  /* testsuite systemtap.printf/char1.exp */
  EXPECT("char1", "%c%c%c%c%c%c", "stapok", N(115), N(116), N(97), N(112), N('o'), N('k'));
  /* stap(1): printf("%#c %#c %#c\n", 0, 9, 42) prints \000 \t * */
  EXPECT("char-alt-stap1", "%#c %#c %#c\n", "\\000 \\t *\n", N(0), N(9), N(42));
  /* testsuite systemtap.printf/char2.exp */
  EXPECT("char2-printable", "%#c%#c%#c%#c%#c%#c%#c%#c%#c%#c%#c%#c", "abc-ABC 123!", N('a'), N('b'),
         N('c'), N('-'), N('A'), N('B'), N('C'), N(' '), N('1'), N('2'), N('3'), N('!'));
  EXPECT("char2-escapes", "%#c%#c%#c%#c%#c%#c%#c%#c%#c", "\\a\\b\\f\\n\\r\\t\\v\\'\\\\", N('\a'),
         N('\b'), N('\f'), N('\n'), N('\r'), N('\t'), N('\v'), N('\''), N('\\'));
  EXPECT("char2-octal", "%#c%#c%#c%#c%#c%#c", "\\000\\033\\177\\222\\333\\377", N(0), N(033),
         N(0177), N(0222), N(0333), N(0377));
  EXPECT("char-alt-double-quote-plain", "%#c", "\"", N('"'));
  EXPECT("char-alt-width", "[%#5c][%-#5c][%#2c][%#6c]", "[   \\n][\\n   ][\\n][  \\001]", N('\n'),
         N('\n'), N('\n'), N(1));
}

static void test_string(void) {
  EXPECT("string-basic", "<%s> <%5s> <%-5s> <%.2s>", "<abc> <  abc> <abc  > <ab>", S("abc"),
         S("abc"), S("abc"), S("abc"));
  /* A pointer below PAGE_SIZE prints "<NULL>" in stap's runtime. */
  EXPECT("string-null", "[%s][%8s]", "[<NULL>][  <NULL>]", N(0), N(0));
  /* stap's runtime appends a NUL byte after %s, %m or %M with '0'. */
  EXPECT("string-zero-flag-nul", "[%05s][%-05s][%0s]", "[   ab\0][ab   \0][x\0]", S("ab"), S("ab"),
         S("x"));
  EXPECT("string-stops-at-nul", "[%s]", "[ab]", MEM("ab\0cd"));
  EXPECT("string-len-bounds", "[%s]", "[abc]", ((FmtArg){0, "abcdef", 3}));
  EXPECT("string-len-0-is-strlen", "[%s]", "[abcdef]", ((FmtArg){0, "abcdef", 0}));
  /* testsuite systemtap.printf/string2: 100-character strings whole. */
  char s100[101];
  for (int i = 0; i < 100; i++) s100[i] = (char)('0' + (i + 1) % 10);
  s100[100] = 0;
  char exp[112];
  snprintf(exp, sizeof exp, "t is <%s>", s100);
  expect_n("string2-100-chars", "t is <%s>", ARGS(S(s100)), exp, strlen(exp));
}

static void test_memory(void) {
  check("mem-len", fmt_mem_len(FMT_NONE) == 1 && fmt_mem_len(0) == 1 && fmt_mem_len(1) == 1 &&
                       fmt_mem_len(6) == 6);
  /* testsuite systemtap.printf/memory1.stp: each %m result equals the
   * sprintf("%.Ns") of the same string, with filename "/etc/passwd". */
#define FN MEM("/etc/passwd")
  EXPECT("memory1-default", "%m", "/", FN);
  EXPECT("memory1-static-precision", "%.5m", "/etc/", FN);
  EXPECT("memory1-dynamic-precision", "%.*m", "/etc/", N(5), FN);
  EXPECT("memory1-dynamic-precision-equal", "%.*m", "/etc/passwd", N(11), FN);
  EXPECT("memory1-static-width", "%5m", "    /", FN);
  EXPECT("memory1-dynamic-width", "%*m", "    /", N(5), FN);
  EXPECT("memory1-width-smaller", "%4.5m", "/etc/", FN);
  EXPECT("memory1-width-larger", "%15.5m", "          /etc/", FN);
  EXPECT("memory1-dyn-width-smaller", "%*.5m", "/etc/", N(4), FN);
  EXPECT("memory1-dyn-width-larger", "%*.5m", "          /etc/", N(15), FN);
  EXPECT("memory1-width-smaller-dyn-precision", "%4.*m", "/etc/passwd", N(11), FN);
  EXPECT("memory1-width-larger-dyn-precision", "%15.*m", "    /etc/passwd", N(11), FN);
  EXPECT("memory1-both-dynamic", "%*.*m|%*.*m", "/etc/passwd|    /etc/passwd", N(4), N(11), FN,
         N(15), N(11), FN);
  /* memory1.stp: sprintf("%*.*M", 14, 6, $filename) is two spaces then
   * the first six bytes as %02x. */
  EXPECT("memory1-hex", "%*.*M", "  2f6574632f70", N(14), N(6), FN);
#undef FN
  /* stap(1): "%10.4m prints 4 bytes of the memory in a 10-character-wide
   * field", "%10.4M ... as 8 hexadecimal characters in a 10-character-
   * wide field"; %M's default is 1 byte (2 hex chars). */
  EXPECT("memory-stap1-m", "[%10.4m]", "[      ABCD]", MEM("ABCDEF"));
  EXPECT("memory-stap1-M", "[%10.4M][%M]", "[  41424344][41]", MEM("ABCDEF"), MEM("ABCDEF"));
  EXPECT("memory-precision-0-is-1-byte", "[%.0m][%.*M]", "[A][41]", MEM("AB"), N(0), MEM("AB"));
  EXPECT("memory-left", "[%-6.2M][%-4.2m]", "[4142  ][AB  ]", MEM("AB"), MEM("AB"));
  EXPECT("memory-binary-bytes", "%.4m|%.4M", "\0\xff\n\x80|00ff0a80", MEM("\0\xff\n\x80"),
         MEM("\0\xff\n\x80"));
  EXPECT("memory-user-flag", "%#.2m|%#.2M", "AB|4142", MEM("AB"), MEM("AB"));
  EXPECT("memory-zero-flag-nul", "[%0.2m][%0.1M]", "[AB\0][41\0]", MEM("AB"), MEM("AB"));
  EXPECT("memory-short-read-zeros", "%.4m|%.3M", "ab\0\0|ff0000", MEM("ab"), MEM("\xff"));
}

static void test_binary(void) {
  uint16_t probe = 1;
  bool little = *(const unsigned char *)&probe == 1;
  /* langref 9.2: printf("%1b%1b%1blo %1b%1brld\n", 72,101,108,87,111) */
  EXPECT("binary-hello", "%1b%1b%1blo %1b%1brld\n", "Hello World\n", N(72), N(101), N(108),
         N(87), N(111));
  /* langref 9.2: printf("%3d: %1b%1b%1b\n", i, i, i-32, i-64), i = 97 */
  EXPECT("binary-langref-table", "%3d: %1b%1b%1b\n", " 97: aA!\n", N(97), N(97), N(65), N(33));
  /* langref 9.2: printf("%b%b", 0xc0dedbad, 0x12345678) | hexdump -C
   * shows ad db de c0 00 00 00 00 78 56 34 12 00 00 00 00 (x86). */
  if (little)
    EXPECT("binary-langref-hexdump", "%b%b",
           "\xad\xdb\xde\xc0\0\0\0\0\x78\x56\x34\x12\0\0\0\0", N(0xc0dedbad), N(0x12345678));
  else
    EXPECT("binary-langref-hexdump", "%b%b",
           "\0\0\0\0\xc0\xde\xdb\xad\0\0\0\0\x12\x34\x56\x78", N(0xc0dedbad), N(0x12345678));
  /* stap(1): printf("%4b", p) writes the 4 bytes of p. */
  if (little)
    EXPECT("binary-stap1-4b", "%4b", "\xcd\xab\x34\x12", N(0x1234abcd));
  else
    EXPECT("binary-stap1-4b", "%4b", "\x12\x34\xab\xcd", N(0x1234abcd));

  /* Width and precision (testsuite systemtap.printf/bin6.stp's cases;
   * the sizes are the 4.8 runtime's rule: precision if 1/2/4/8, else
   * width if 1/2/4/8, else 8; extra width pads with NULs). */
  const int64_t v = 0x0807060504030201LL;
  struct {
    const char *fmt;
    int star[2], nstar;
    const char *exp;
    size_t len;
  } t[] = {
#define B(f, e) {f, {0, 0}, 0, e, sizeof(e) - 1}
#define B1(f, a, e) {f, {a, 0}, 1, e, sizeof(e) - 1}
#define B2(f, a, b, e) {f, {a, b}, 2, e, sizeof(e) - 1}
      B("%b", "\1\2\3\4\5\6\7\10"),
      B("%1b", "\1"),
      B("%2b", "\1\2"),
      B("%4b", "\1\2\3\4"),
      B("%8b", "\1\2\3\4\5\6\7\10"),
      B1("%*b", 1, "\1"),
      B1("%*b", 2, "\1\2"),
      B1("%*b", 4, "\1\2\3\4"),
      B1("%*b", 8, "\1\2\3\4\5\6\7\10"),
      B("%.8b", "\1\2\3\4\5\6\7\10"),
      B("%.4b", "\1\2\3\4"),
      B("%.2b", "\1\2"),
      B("%.1b", "\1"),
      B1("%.*b", 8, "\1\2\3\4\5\6\7\10"),
      B1("%.*b", 4, "\1\2\3\4"),
      B1("%.*b", 2, "\1\2"),
      B1("%.*b", 1, "\1"),
      B("%1.8b", "\1\2\3\4\5\6\7\10"),
      B("%2.4b", "\1\2\3\4"),
      B("%4.2b", "\0\0\1\2"),
      B("%8.1b", "\0\0\0\0\0\0\0\1"),
      B2("%*.*b", 1, 8, "\1\2\3\4\5\6\7\10"),
      B2("%*.*b", 2, 4, "\1\2\3\4"),
      B2("%*.*b", 4, 2, "\0\0\1\2"),
      B2("%*.*b", 8, 1, "\0\0\0\0\0\0\0\1"),
      B("%-8.1b", "\1\0\0\0\0\0\0\0"),
      B("%-4.2b", "\1\2\0\0"),
      B1("%*b", 12, "\0\0\0\0\1\2\3\4\5\6\7\10"),
      B1("%-*b", 10, "\1\2\3\4\5\6\7\10\0\0"),
      B1("%*b", 3, "\1\2\3\4\5\6\7\10"),
      B1("%*b", 0, "\1\2\3\4\5\6\7\10"),
      B1("%*b", -4, "\1\2\3\4\5\6\7\10"),
      B1("%.*b", 3, "\1\2\3\4\5\6\7\10"),
      B("%.3b", "\1\2\3\4\5\6\7\10"),
#undef B
#undef B1
#undef B2
  };
  if (!little) {
    printf("SKIP: unit/printf/binary-width-precision (the table is little-endian)\n");
    return;
  }
  int ok = 1;
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    FmtArg a[3] = {N(t[i].star[0]), N(t[i].star[1]), N(0)};
    a[t[i].nstar] = N(v);
    ok &= expect_n(NULL, t[i].fmt, a, t[i].nstar + 1, t[i].exp, t[i].len);
  }
  check("binary-width-precision", ok);
}

static void test_misc(void) {
  EXPECT("percent", "100%% sure %%d", "100% sure %d", N(0));
  EXPECT("literal-only", "plain text", "plain text", N(0));
  EXPECT("mixed", "%s=%d (%#x)%c", "pid=42 (0x2a)\n", S("pid"), N(42), N(42), N('\n'));
  /* Missing arguments render as 0 and "". */
  FmtDirective d[8];
  size_t bad;
  int nd = fmt_parse("%d|%s|%x|%c", 11, d, 8, &bad);
  size_t len = fmt_render(out, sizeof out, d, nd, NULL, 0);
  check("missing-args", len == 6 && memcmp(out, "0||0|\0", 6) == 0 && out[6] == 0);
}

static void test_truncation(void) {
  FmtDirective d[8];
  size_t bad;
  const char *fmt = "hello %d, %s!";
  int nd = fmt_parse(fmt, strlen(fmt), d, 8, &bad);
  FmtArg a[] = {N(12345), S("world")};
  const char *full = "hello 12345, world!";
  size_t flen = strlen(full);
  check("truncate-cap-0", fmt_render(NULL, 0, d, nd, a, 2) == flen);
  char buf[64];
  memset(buf, 'Z', sizeof buf);
  check("truncate-cap-1", fmt_render(buf, 1, d, nd, a, 2) == flen && buf[0] == 0 && buf[1] == 'Z');
  memset(buf, 'Z', sizeof buf);
  check("truncate-cap-5", fmt_render(buf, 5, d, nd, a, 2) == flen && memcmp(buf, "hell", 5) == 0 &&
                              buf[5] == 'Z');
  memset(buf, 'Z', sizeof buf);
  check("truncate-cap-exact", fmt_render(buf, flen + 1, d, nd, a, 2) == flen &&
                                  strcmp(buf, full) == 0 && buf[flen + 1] == 'Z');
  memset(buf, 'Z', sizeof buf);
  check("truncate-cap-one-short", fmt_render(buf, flen, d, nd, a, 2) == flen &&
                                      memcmp(buf, full, flen - 1) == 0 && buf[flen - 1] == 0);
  /* Cut inside a padded field and inside %b bytes. */
  memset(buf, 'Z', sizeof buf);
  nd = fmt_parse("%10d", 4, d, 8, &bad);
  FmtArg one = N(7);
  check("truncate-in-padding", fmt_render(buf, 4, d, nd, &one, 1) == 10 &&
                                   memcmp(buf, "   ", 4) == 0);
  memset(buf, 'Z', sizeof buf);
  nd = fmt_parse("%b", 2, d, 8, &bad);
  FmtArg word = N(0x4141414141414141LL);
  check("truncate-in-binary", fmt_render(buf, 4, d, nd, &word, 1) == 8 &&
                                  memcmp(buf, "AAA", 4) == 0 && buf[4] == 'Z');
}

int main(void) {
  test_integers_like_c();
  test_strings_chars_like_c();
  test_stap_integers();
  test_pointer();
  test_star();
  test_char();
  test_string();
  test_memory();
  test_binary();
  test_misc();
  test_truncation();
  return failures ? 1 : 0;
}
