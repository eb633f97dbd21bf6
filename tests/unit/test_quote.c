/* Unit tests of src/bpf/quote.c, the BPF code of text_strn and
 * kernel_buffer_quoted_error: the generated code runs in the interpreter
 * (src/run/interp) and must give what SystemTap's _stp_text_str gives,
 * as restated below from stap 4.8's documented behaviour (escapes, \u
 * and \U for valid UTF-8, the budget, the cut with "..." that drops a
 * split escape whole).  The code runs as a user program's (its loop in
 * place; a kernel program's bpf_loop runs the same body).  Fixed cases, then random inputs mixing printable
 * text, escapes, valid and invalid UTF-8 for several maxstringlens.  The
 * kernel's verifier is tested by tests/run. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/gen.h"
#include "front/ast.h"
#include "run/interp.h"

#define UNIT "quote"
#include "unit.h"

enum { SCRATCH = 1 << 16 };

static unsigned char scratch[SCRATCH];
static unsigned char source[4096]; /* a buffer's bytes */

static bool helper(Interp *in, void *user, int32_t id, const uint64_t a[5], uint64_t *ret) {
  (void)user;
  switch (id) {
  case BPF_FUNC_probe_read_kernel:
    if (!interp_check(in, a[0], a[1], true)) break;
    memmove((void *)(uintptr_t)a[0], (const void *)(uintptr_t)a[2], a[1]); /* source or scratch */
    *ret = 0;
    return true;
  case BPF_FUNC_probe_read_kernel_str: {
    if (!a[1] || !interp_check(in, a[0], a[1], true)) break;
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
    break;
  }
  interp_fail(in, "helper %d: bad call", id);
  return false;
}

/* ---- the reference: _stp_text_str's behaviour ---- */

/* One character at in (size bytes readable): its length, *c its value. */
static int ref_decode(const unsigned char *in, int size, int *c) {
  int b = in[0], n;
  *c = b;
  if ((b & 0xE0) == 0xC0 && size >= 2) n = 2, b &= 0x1F;
  else if ((b & 0xF0) == 0xE0 && size >= 3) n = 3, b &= 0x0F;
  else if ((b & 0xF8) == 0xF0 && size >= 4) n = 4, b &= 0x07;
  else return 1;
  for (int i = 1; i < n; i++) {
    if ((in[i] & 0xC0) != 0x80) return 1;
    b = b << 6 | (in[i] & 0x3F);
  }
  static const int least[5] = {0, 0, 0x80, 0x800, 0x10000};
  if ((b >= 0xD800 && b <= 0xDFFF) || b > 0x10FFFF || b < least[n]) return 1;
  *c = b;
  return n;
}

static void ref_text(char *out, const unsigned char *in, int inlen, int outlen, int quoted,
                     int buffer, int S) {
  char *o = out, *esc = NULL;
  int esc_len = 0, c = 0;
  if (inlen <= 0 || inlen > S - 1) inlen = S - 1;
  if (outlen <= 0 || outlen > S - 1) outlen = S - 1;
  if (quoted) {
    outlen = (outlen < 5 ? 5 : outlen) - 2;
    *o++ = '"';
  }
  while (inlen > 0) {
    int n = ref_decode(in, inlen, &c), num;
    if ((c == 0 && !buffer) || outlen <= 0) break;
    in += n;
    inlen -= n;
    if (n == 1 && c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      *o++ = (char)c;
      num = 1;
    } else {
      static const char shorts[] = "\a\bt\n\v\f\r";
      bool shrt = n == 1 && ((c >= 7 && c <= 13) || c == '"' || c == '\\');
      (void)shorts;
      num = n > 1 ? (c <= 0xFFFF ? 6 : 10) : shrt ? 2 : 4;
      if (!esc && outlen - 3 < num) esc = o, esc_len = num;
      if (outlen < num) break;
      *o++ = '\\';
      if (n > 1) {
        *o++ = c <= 0xFFFF ? 'u' : 'U';
        for (int i = num - 3; i >= 0; i--) *o++ = "0123456789ABCDEF"[(c >> (4 * i)) & 15];
      } else if (shrt) {
        *o++ = c == '"' || c == '\\' ? (char)c : "abtnvfr"[c - 7];
      } else if (c == 0) {
        *o++ = '0';
      } else {
        *o++ = (char)('0' + ((c >> 6) & 3));
        *o++ = (char)('0' + ((c >> 3) & 7));
        *o++ = (char)('0' + (c & 7));
      }
    }
    outlen -= num;
  }
  if (quoted) {
    if (c && inlen > 0) {
      char *cut = o - 3 + outlen;
      o = esc && esc < cut && cut < esc + esc_len ? esc : cut;
      memcpy(o, "\"...", 4);
      o += 4;
    } else {
      *o++ = '"';
    }
  }
  *o = 0;
}

/* ---- the generated code ---- */

static Expr *num_expr(Arena *a, int64_t v) {
  Expr *e = arena_alloc(a, sizeof *e);
  e->kind = E_NUM;
  e->num = v;
  e->vtype = VT_LONG;
  return e;
}

/* text_strn(input, len, quoted) with buffer false, else
 * kernel_buffer_quoted_error(source, inlen, len); true if it matches the
 * reference. */
static bool same(uint32_t S, bool buffer, const unsigned char *input, size_t ilen, int64_t inlen,
                 int64_t len, int quoted) {
  char want[8192];
  Arena arena;
  arena_init(&arena);
  Expr call = {.kind = E_CALL, .vtype = VT_STRING};
  if (buffer) {
    memcpy(source, input, ilen);
    memset(source + ilen, 0, sizeof source - ilen);
    vec_push(&call.args, &arena, num_expr(&arena, (int64_t)(uintptr_t)source));
    vec_push(&call.args, &arena, num_expr(&arena, inlen));
    vec_push(&call.args, &arena, num_expr(&arena, len));
    int64_t ol = len < 0 ? 0 : len > S ? S : len;
    ref_text(want, source, (int)(inlen > 100000 ? 100000 : inlen < -100000 ? -100000 : inlen),
             (int)ol, 1, 1, (int)S);
    call.name = "kernel_buffer_quoted_error";
  } else {
    char tmp[4096];
    memcpy(tmp, input, ilen);
    tmp[ilen] = 0;
    Expr *s = arena_alloc(&arena, sizeof *s);
    s->kind = E_STR;
    s->str = arena_strndup(&arena, tmp, ilen);
    s->len = ilen;
    s->vtype = VT_STRING;
    vec_push(&call.args, &arena, s);
    vec_push(&call.args, &arena, num_expr(&arena, len));
    vec_push(&call.args, &arena, num_expr(&arena, quoted));
    int64_t ol = len < 0 ? 0 : len > S ? S : len;
    unsigned char in[4096] = {0};
    memcpy(in, input, ilen < S - 1 ? ilen : S - 1); /* the string as the program has it */
    ref_text(want, in, 0, (int)ol, quoted, 0, (int)S);
    call.name = "text_strn";
  }
  memset(scratch, 0xAA, sizeof scratch);
  Emit e;
  emit_init(&e, false);
  Handler h = {0};
  /* as a user program: the loop in place (a kernel program runs the same
   * body through bpf_loop, which the interpreter has not) */
  Gen g = {.arena = &arena, .S = S, .e = &e, .user = true, .handler = &h, .base_reg = R_SCR};
  g.lim.maxstringlen = S;
  uint32_t dst = ERR_MSG + S;
  g.top = g.high = dst + S;
  h.label = emit_label(&e);
  emit_mov(&e, R_SCR, R1);
  bool ok = gen_quote_builtin(&g, &call, call.name, scr(dst));
  emit_mov_imm(&e, R0, 0);
  emit_exit(&e);
  emit_bind(&e, h.label);
  emit_mov_imm(&e, R0, 1);
  emit_exit(&e);
  ok = ok && !g.failed && emit_finish(&e) && g.high < SCRATCH;
  InterpEnv env = {.helper = helper};
  Interp *in = interp_new(&env);
  uint64_t ret = 0;
  ok = ok && interp_add_region(in, scratch, sizeof scratch, true) &&
       interp_add_region(in, source, sizeof source, false) &&
       interp_run(in, e.insns, e.n, (uint64_t)(uintptr_t)scratch, 1u << 24, &ret) && ret == 0;
  if (!ok) printf("    run failed (%s)\n", interp_error(in));
  const char *got = (const char *)scratch + dst;
  if (ok && strcmp(got, want) != 0) {
    printf("    S=%u %s len=%" PRId64 " quoted=%d input \"", S, call.name, len, quoted);
    for (size_t i = 0; i < ilen; i++) printf(input[i] >= 0x20 && input[i] < 0x7f ? "%c" : "\\x%02x", input[i]);
    printf("\"\n      want %s\n      got  %s\n", want, got);
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

static bool text(uint32_t S, const char *s, int64_t len, int quoted) {
  return same(S, false, (const unsigned char *)s, strlen(s), 0, len, quoted);
}

static void fixed(void) {
  bool ok = true;
  ok &= text(128, "/dev/zero", 0, 1);
  ok &= text(128, "", 0, 1);
  ok &= text(128, "", 0, 0);
  ok &= text(128, "a\"b\\c\n\td\001\x7f", 0, 1);
  ok &= text(128, "\a\b\f\r\v'", 0, 0);
  ok &= text(128, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 0, 1);         /* é € 😀 */
  ok &= text(128, "\xc3(\x80\xe2\x82\xed\xa0\x80\xf4\x90\x80\x80\xc0\x80", 0, 1); /* invalid */
  ok &= text(128, "\xe2\x82", 0, 1);                                     /* cut short */
  ok &= text(128, "abcdefghijklmnopqrstuvwxyz", 10, 1);
  ok &= text(128, "abcdefghijklmnopqrstuvwxyz", 10, 0);
  ok &= text(128, "abcdefg\n\n\n\nhij", 12, 1);
  ok &= text(128, "ab\xf0\x9f\x98\x80xyz", 12, 1);
  ok &= text(128, "abc", 1, 1);
  ok &= text(128, "abcdefgh", -5, 1);
  ok &= text(16, "0123456789abcdefghijklmnop", 0, 1);
  ok &= text(16, "01234567\t", 0, 1);
  ok &= text(16, "012345678901234", 0, 0);
  unsigned char zeros[16] = {0};
  ok &= same(128, true, zeros, 16, 16, 50, 1);
  ok &= same(128, true, (const unsigned char *)"hi\0there\n", 10, 10, 50, 1);
  ok &= same(128, true, (const unsigned char *)"hello world", 11, 5, 50, 1);
  ok &= same(128, true, (const unsigned char *)"hello world", 11, 0, 8, 1);
  check("fixed", ok);
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static int pick(int n) { return (int)(rnd() % (uint64_t)n); }

/* Text that exercises every path. */
static size_t random_input(unsigned char *s, size_t max, bool nul_ok) {
  size_t n = 0, want = (size_t)pick(4) == 0 ? (size_t)pick((int)max) : (size_t)pick(20);
  static const char *const utf8[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc2\x80",
                                     "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf"};
  static const char *const bad[] = {"\x80", "\xc3", "\xc3(", "\xe2\x82", "\xed\xa0\x80",
                                    "\xf4\x90\x80\x80", "\xc0\x80", "\xe0\x80\x80",
                                    "\xf0\x80\x80\x80", "\xff", "\xf8\x88\x80\x80"};
  while (n < want && n + 4 < max) {
    const char *piece;
    char one[2] = {0};
    switch (pick(6)) {
    case 0: case 1: one[0] = (char)(0x20 + pick(0x5f)); piece = one; break;
    case 2: one[0] = (char)(1 + pick(0x1f)); piece = one; break;
    case 3: piece = utf8[pick(6)]; break;
    case 4: piece = bad[pick(11)]; break;
    default: one[0] = "\"\\\x7f\n\t"[pick(5)]; piece = one; break;
    }
    size_t l = strlen(piece);
    memcpy(s + n, piece, l);
    n += l;
    if (nul_ok && pick(10) == 0) s[n++] = 0;
  }
  return n;
}

static void random_inputs(uint32_t S, int count) {
  int bad = 0;
  unsigned char s[4096];
  for (int t = 0; t < count && bad < 10; t++) {
    bool buffer = pick(4) == 0;
    size_t n = random_input(s, S + 40, buffer);
    int64_t len = pick(3) == 0 ? 0 : pick(8) == 0 ? -pick(10) : pick((int)S + 8);
    if (buffer) {
      if (len <= 0) len = 1 + pick(60);
      int64_t inlen = pick(6) == 0 ? -1 : pick((int)n + 3);
      if (!same(S, true, s, n, inlen, len, 1)) bad++;
    } else {
      for (size_t i = 0; i < n; i++)
        if (!s[i]) s[i] = 'z';
      if (!same(S, false, s, n < S - 1 ? n : S - 1, 0, len, pick(3) != 0)) bad++;
    }
  }
  char name[64];
  snprintf(name, sizeof name, "random-%u", S);
  check(name, bad == 0);
}

int main(void) {
  fixed();
  random_inputs(128, 2000);
  random_inputs(32, 2000);
  random_inputs(16, 1000);
  return failures != 0;
}
