/* Unit tests of src/bpf/sprintf.c, the rendering kernel programs emit for
 * sprintf: the generated code runs in the interpreter (src/run/interp)
 * and must give exactly what runtime/common/printf.c's fmt_render gives
 * for the same format and arguments, cut at maxstringlen - 1 and at the
 * first NUL as a string is.  Fixed cases first, then random formats (every
 * conversion, flag, static and '*' width and precision) with edge values,
 * for two maxstringlens.  The kernel's verifier is tested by tests/run. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/gen.h"
#include "run/interp.h"
#include "runtime/common/printf.h"

#define UNIT "sprintf"
#include "unit.h"

enum { SCRATCH = 1 << 16, MAXARGS = 64 };

static unsigned char scratch[SCRATCH];

/* The helpers the rendering calls, on memory the interpreter knows. */
static bool helper(Interp *in, void *user, int32_t id, const uint64_t a[5], uint64_t *ret) {
  (void)user;
  switch (id) {
  case BPF_FUNC_probe_read_kernel:
    if (!interp_check(in, a[0], a[1], true) || !interp_check(in, a[2], a[1], false)) {
      interp_fail(in, "probe_read_kernel out of bounds");
      return false;
    }
    memmove((void *)(uintptr_t)a[0], (const void *)(uintptr_t)a[2], a[1]);
    *ret = 0;
    return true;
  case BPF_FUNC_probe_read_kernel_str: {
    if (!a[1] || !interp_check(in, a[0], a[1], true)) {
      interp_fail(in, "probe_read_kernel_str out of bounds");
      return false;
    }
    const char *src = (const char *)(uintptr_t)a[2];
    char *dst = (char *)(uintptr_t)a[0];
    size_t n = 0;
    while (n + 1 < a[1] && interp_check(in, a[2] + n, 1, false) && src[n]) n++;
    memmove(dst, src, n);
    dst[n] = 0;
    *ret = n + 1;
    return true;
  }
  default:
    interp_fail(in, "unexpected helper %d", id);
    return false;
  }
}

/* One argument as the test gives it. */
typedef struct Arg {
  int64_t num;
  const char *str; /* %s, %m, %M */
} Arg;

/* Render fmt with args both ways; true if they agree (else print both). */
static bool same(uint32_t S, const char *fmt, const Arg *args, int nargs) {
  FmtDirective d[MAXARGS];
  size_t bad;
  int nd = fmt_parse(fmt, strlen(fmt), d, MAXARGS, &bad);
  if (nd < 0 || nd > MAXARGS || gen_render_unsupported(d, nd)) {
    printf("    bad test format %s\n", fmt);
    return false;
  }
  /* the arguments laid out as call.c's fill_args does, after dst */
  memset(scratch, 0xAA, sizeof scratch);
  uint32_t dst = 64, off = dst + S, used = 0;
  FmtArg fa[MAXARGS];
  for (int i = 0; i < nd; i++) {
    if (d[i].conv == FMT_LITERAL) continue;
    int n = fmt_args(&d[i]);
    for (int k = 0; k < n; k++, used++) {
      const Arg *a = &args[used];
      bool last = k == n - 1;
      bool wide = last && (d[i].conv == FMT_STRING || d[i].conv == FMT_MEMORY ||
                           d[i].conv == FMT_MEMORY_HEX);
      fa[used] = (FmtArg){.num = a->num};
      if (wide) {
        memset(scratch + off, 0, S);
        size_t len = strlen(a->str);
        if (d[i].conv == FMT_STRING && len > S - 1) len = S - 1; /* str_into cuts */
        memcpy(scratch + off, a->str, len);
        fa[used].str = (const char *)scratch + off;
        fa[used].len = d[i].conv == FMT_STRING ? 0 : S;
        off += S;
      } else {
        memcpy(scratch + off, &a->num, 8);
        off += 8;
      }
    }
  }
  if ((int)used != nargs) {
    printf("    bad test: %s takes %u arguments, not %d\n", fmt, used, nargs);
    return false;
  }
  char want[8192 + 64];
  /* fmt_render reads the arguments before the program overwrites any */
  fmt_render(want, sizeof want, d, nd, fa, (int)used);
  want[S - 1] = 0;

  Arena arena;
  arena_init(&arena);
  Emit e;
  emit_init(&e, false);
  Gen g = {.arena = &arena, .S = S, .e = &e, .user = false};
  g.lim.maxstringlen = S;
  g.top = g.high = (off + 7) & ~7u;
  emit_mov(&e, R_SCR, R1);
  gen_render(&g, d, nd, dst + S, scr(dst));
  emit_mov_imm(&e, R0, 0);
  emit_exit(&e);
  bool ok = emit_finish(&e) && g.high + 2 * S + 64 < SCRATCH;
  InterpEnv env = {.helper = helper};
  Interp *in = interp_new(&env);
  uint64_t ret;
  ok = ok && interp_add_region(in, scratch, sizeof scratch, true) &&
       interp_run(in, e.insns, e.n, (uint64_t)(uintptr_t)scratch, 1u << 24, &ret);
  if (!ok) printf("    %s: %s\n", fmt, interp_error(in));
  const char *got = (const char *)scratch + dst;
  if (ok && strcmp(got, want) != 0) {
    printf("    S=%u format \"%s\":\n      want \"%s\"\n      got  \"%s\"\n", S, fmt, want, got);
    ok = false;
  }
  interp_free(in);
  hashmap_free(&g.site_index);
  emit_free(&e);
  free(e.insns);
  free(e.relocs);
  free(e.lines);
  arena_destroy(&arena);
  return ok;
}

/* The arguments of a case: N(number), T(text). */
#define N(v) ((Arg){.num = (int64_t)(v), .str = NULL})
#define T(s) ((Arg){.num = 0, .str = (s)})
#define ARGS(...) ((const Arg[]){__VA_ARGS__}), (int)(sizeof((const Arg[]){__VA_ARGS__}) / sizeof(Arg))

static void fixed(void) {
  bool ok = true;
  ok &= same(128, "", NULL, 0);
  ok &= same(128, "plain text, 100%% sure", NULL, 0);
  ok &= same(128, "%d, %p, %u", ARGS(N(3), N(0x200000000000), N(100)));
  ok &= same(128, "%d|%5d|%-5d|%05d|%+d|% d|%+ d", ARGS(N(-42), N(-42), N(-42), N(-42), N(7), N(7), N(7)));
  ok &= same(128, "%d %d %u %x %X %o", ARGS(N(INT64_MIN), N(INT64_MAX), N(-1), N(-1), N(-1), N(-1)));
  ok &= same(128, "%#x %#X %#o %#o %#.3o %p %p", ARGS(N(0), N(255), N(0), N(8), N(8), N(0), N(-1)));
  ok &= same(128, "%.0d|%.3d|%08.3d|%-8.3d|%+.3d|%8.5x|%-#10x|%#010x", ARGS(N(0), N(5), N(5), N(5), N(5), N(255), N(255), N(255)));
  ok &= same(128, "%20p|%-20p|%020p", ARGS(N(0xffffffff81000000), N(1), N(1)));
  ok &= same(128, "%c|%3c|%-3c|%03c|%#c|%#c|%#c|%#c|%#5c", ARGS(N('A'), N('B'), N('C'), N('D'), N('\n'), N(200), N('\''), N('\\'), N(1)));
  ok &= same(128, "%s|%10s|%-10s|%.2s|%.0s|%10.3s|%-10.3s|", ARGS(T("hello"), T("hello"), T("hello"), T("hello"), T("hello"), T("hello"), T("hello")));
  ok &= same(128, "%*d|%-*d|%.*d|%*.*s|%*d|%.*d", ARGS(N(6), N(7), N(6), N(7), N(4), N(7), N(8), N(3), T("hello"), N(-5), N(7), N(-5), N(7)));
  ok &= same(128, "%*d|%.*s", ARGS(N(0x100000005), N(7), N(99999), T("x")));
  ok &= same(128, "a%0sb%dc", ARGS(T("q"), N(3)));
  ok &= same(128, "a%-4bc|%4bc|%1b%1b|%.2b|%8.1b", ARGS(N(65), N(65), N(65), N(66), N(0x4142), N(65)));
  ok &= same(128, "%c%c%c", ARGS(N('A'), N(0), N('B')));
  ok &= same(128, "%.3M|%5.2m|%-6.1M|%m|%M", ARGS(T("xyz"), T("ab"), T("q"), T("r"), T("\x01")));
  ok &= same(128, "%.4m|", ARGS(T("ab")));
  ok &= same(128, "%100d|%d", ARGS(N(1), N(2)));
  ok &= same(128, "%-200s|", ARGS(T("x")));
  ok &= same(16, "%d, %d, %d, %d", ARGS(N(123456), N(123456), N(123456), N(123456)));
  ok &= same(16, "%s%s", ARGS(T("0123456789abcdefXYZ"), T("tail")));
  ok &= same(16, "0123456789abcdefghij%d", ARGS(N(1)));
  ok &= same(16, "%.20d", ARGS(N(1)));
  ok &= same(16, "%8s%8s", ARGS(T("abc"), T("de")));
  ok &= same(4096, "%4000d|%s", ARGS(N(7), T("end")));
  check("fixed", ok);
}

/* ---- random formats ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static int pick(int n) { return (int)(rnd() % (uint64_t)n); }

static int64_t value(void) {
  static const int64_t edge[] = {0, 1, -1, 7, -7, 10, 99, 100, 255, 256, 0x7f, 0x80,
                                 INT64_MIN, INT64_MAX, INT32_MIN, INT32_MAX, 0xffffffff,
                                 1000000007, -1000000007, 0x200000000000};
  switch (pick(3)) {
  case 0: return edge[pick((int)(sizeof edge / sizeof *edge))];
  case 1: return (int64_t)(rnd() % 1000) - 500;
  default: return (int64_t)rnd();
  }
}

static void random_formats(uint32_t S, int count) {
  static const char convs[] = "diuoxXpcsbmM";
  static char strs[8][160];
  int bad = 0;
  for (int t = 0; t < count; t++) {
    char fmt[512];
    size_t fl = 0;
    Arg args[MAXARGS];
    int na = 0, ns = 0;
    int nd = 1 + pick(5);
    for (int i = 0; i < nd && na < MAXARGS - 3; i++) {
      if (pick(3) == 0) {
        static const char *lits[] = {"x", ", ", "[", "%%", "abcdefghij", " = ", "\n"};
        fl += (size_t)snprintf(fmt + fl, sizeof fmt - fl, "%s", lits[pick(7)]);
      }
      char c = convs[pick((int)sizeof convs - 1)];
      fmt[fl++] = '%';
      for (const char *f = "-+ #0"; *f; f++)
        if (pick(4) == 0) fmt[fl++] = *f;
      int w = pick(4), p = pick(4);
      bool mem = c == 'm' || c == 'M', bin = c == 'b';
      if (bin) {
        if (w == 1) fl += (size_t)snprintf(fmt + fl, sizeof fmt - fl, "%d", 1 << pick(4));
        if (p == 1) fl += (size_t)snprintf(fmt + fl, sizeof fmt - fl, ".%d", pick(9));
      } else {
        if (w == 1) fl += (size_t)snprintf(fmt + fl, sizeof fmt - fl, "%d", pick(30));
        if (w == 2) fl += (size_t)snprintf(fmt + fl, sizeof fmt - fl, "%d", pick(300));
        if (w == 3) {
          fmt[fl++] = '*';
          args[na++].num = pick(4) ? pick(40) - 5 : value();
        }
        if (p == 1) fl += (size_t)snprintf(fmt + fl, sizeof fmt - fl, ".%d", pick(25));
        if (p == 2 && !mem) {
          fl += (size_t)snprintf(fmt + fl, sizeof fmt - fl, ".*");
          args[na++].num = pick(4) ? pick(40) - 5 : value();
        }
      }
      fmt[fl++] = c;
      fmt[fl] = 0;
      if (c == 's' || mem) {
        char *s = strs[ns++ % 8];
        int len = pick(4) == 0 ? pick(150) : pick(12);
        for (int k = 0; k < len; k++) s[k] = (char)(pick(8) == 0 ? 1 + pick(255) : 'a' + pick(26));
        s[len] = 0;
        args[na++].str = s;
      } else {
        args[na++].num = value();
      }
    }
    if (!same(S, fmt, args, na) && ++bad > 10) break;
  }
  char name[64];
  snprintf(name, sizeof name, "random-%u", S);
  check(name, bad == 0);
}

int main(void) {
  fixed();
  random_formats(128, 3000);
  random_formats(16, 1000);
  return failures != 0;
}
