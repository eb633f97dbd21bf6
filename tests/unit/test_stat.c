/* Unit tests of runtime/common/stat: bucket mapping, extractors (with
 * stap's integer Welford @variance), merging per-CPU copies and the
 * @hist_linear / @hist_log renderings.
 *
 * Expected histogram texts are SystemTap's own expected output from its
 * testsuite (systemtap.maps/{log_edge,linear,linear_large,
 * linear_nearlyempty,elision,log}.exp, HIST_ELISION 2 unless noted) and
 * the language reference's @hist_linear example (langref 8.4.1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/common/stat.h"

#define UNIT "stat"
#include "unit.h"

static const char exp_elide0_neg[] =
  " value |-------------------------------------------------- count\n"
  "       ~\n"
  " -4096 |@                                                  1\n"
  "       ~\n"
  "    -2 |@                                                  1\n"
  "\n"
;
static const char exp_elide1_neg[] =
  " value |-------------------------------------------------- count\n"
  "       ~\n"
  " -8192 |                                                   0\n"
  " -4096 |@                                                  1\n"
  " -2048 |                                                   0\n"
  "       ~\n"
  "    -4 |                                                   0\n"
  "    -2 |@                                                  1\n"
  "    -1 |                                                   0\n"
  "\n"
;
static const char exp_elide_0[] =
  "value |-------------------------------------------------- count\n"
  "    0 |@                                                  1\n"
  "   50 |                                                   0\n"
  "  100 |                                                   0\n"
  "\n"
;
static const char exp_elide_1500[] =
  "value |-------------------------------------------------- count\n"
  " 1400 |                                                   0\n"
  " 1450 |                                                   0\n"
  " 1500 |@                                                  1\n"
  "\n"
;
static const char exp_elide_m10[] =
  "value |-------------------------------------------------- count\n"
  "  -30 |                                                   0\n"
  "  -20 |                                                   0\n"
  "  -10 |@                                                  1\n"
  "    0 |                                                   0\n"
  "   10 |                                                   0\n"
  "\n"
;
static const char exp_elide_neg[] =
  " value |-------------------------------------------------- count\n"
  "-16384 |                                                   0\n"
  " -8192 |                                                   0\n"
  " -4096 |@                                                  1\n"
  " -2048 |                                                   0\n"
  " -1024 |                                                   0\n"
  "       ~\n"
  "    -8 |                                                   0\n"
  "    -4 |                                                   0\n"
  "    -2 |@                                                  1\n"
  "    -1 |                                                   0\n"
  "     0 |                                                   0\n"
  "\n"
;
static const char exp_elideneg_neg[] =
  " value |-------------------------------------------------- count\n"
  "-16384 |                                                   0\n"
  " -8192 |                                                   0\n"
  " -4096 |@                                                  1\n"
  " -2048 |                                                   0\n"
  " -1024 |                                                   0\n"
  "  -512 |                                                   0\n"
  "  -256 |                                                   0\n"
  "  -128 |                                                   0\n"
  "   -64 |                                                   0\n"
  "   -32 |                                                   0\n"
  "   -16 |                                                   0\n"
  "    -8 |                                                   0\n"
  "    -4 |                                                   0\n"
  "    -2 |@                                                  1\n"
  "    -1 |                                                   0\n"
  "     0 |                                                   0\n"
  "\n"
;
static const char exp_langref[] =
  "value |-------------------------------------------------- count\n"
  "    0 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ 1650\n"
  "  200 |                                                      8\n"
  "  400 |                                                      0\n"
  "  600 |                                                      0\n"
  "      ~\n"
  " 1000 |                                                      0\n"
  " 1200 |                                                      0\n"
  " 1400 |                                                      1\n"
  " 1600 |                                                      0\n"
  " 1800 |                                                      0\n"
  "\n"
;
static const char exp_linear[] =
  "value |-------------------------------------------------- count\n"
  "    0 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@       177\n"
  "   50 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@         170\n"
  "  100 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@                      117\n"
  "  150 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@                     122\n"
  "  200 |@@@@@@@@@@@@@@@@@@@@@@@                             94\n"
  "  250 |@@@@@@@@@@@@@@@@@@@@@@@                             94\n"
  "  300 |@@@@@@@@@@@@@@@@@@@                                 79\n"
  "  350 |@@@@@@@@@@@@@@@@@@@                                 79\n"
  "  400 |@@@@@@@@@@@@@@@@                                    65\n"
  "  450 |@@@@@@@@@@@@@@@@                                    67\n"
  "  500 |@@@@@@@@@@@@@                                       55\n"
  "  550 |@@@@@@@@@@@@@                                       54\n"
  "  600 |@@@@@@@@@@@@                                        51\n"
  "  650 |@@@@@@@@@@@                                         45\n"
  "  700 |@@@@@@@@@@                                          41\n"
  "  750 |@@@@@@@@@@                                          40\n"
  "  800 |@@@@@@@@                                            34\n"
  "  850 |@@@@@@@@                                            33\n"
  "  900 |@@@@@@@                                             31\n"
  "  950 |@@@@@@                                              27\n"
  " 1000 |@@@@@                                               23\n"
  " 1050 |@@@@@@                                              24\n"
  " 1100 |@@@@                                                19\n"
  " 1150 |@@@@                                                18\n"
  " 1200 |@@@                                                 12\n"
  " 1250 |@@                                                   9\n"
  " 1300 |@                                                    7\n"
  " 1350 |@                                                    7\n"
  " 1400 |                                                     3\n"
  " 1450 |                                                     3\n"
  " 1500 |                                                     0\n"
  "\n"
;
static const char exp_linear_large[] =
  "      value |-------------------------------------------------- count\n"
  "          0 |@@@                                                3\n"
  "  100000000 |@@                                                 2\n"
  "  200000000 |                                                   0\n"
  "  300000000 |                                                   0\n"
  "  400000000 |                                                   0\n"
  "  500000000 |@@@@@                                              5\n"
  "  600000000 |                                                   0\n"
  "  700000000 |                                                   0\n"
  "  800000000 |                                                   0\n"
  "  900000000 |                                                   0\n"
  " 1000000000 |@@@@                                               4\n"
  ">1000000000 |@                                                  1\n"
  "\n"
;
static const char exp_log_edge[] =
  "value |-------------------------------------------------- count\n"
  "   -4 |                                                   0\n"
  "   -2 |                                                   0\n"
  "   -1 |@                                                  1\n"
  "    0 |                                                   0\n"
  "    1 |@                                                  1\n"
  "    2 |                                                   0\n"
  "    4 |                                                   0\n"
  "\n"
;
static const char exp_log_edge2[] =
  "value |-------------------------------------------------- count\n"
  "    0 |@                                                  1\n"
  "    1 |                                                   0\n"
  "    2 |                                                   0\n"
  "\n"
;
static const char exp_log_edge3[] =
  "              value |-------------------------------------------------- count\n"
  "1152921504606846976 |                                                   0\n"
  "2305843009213693952 |                                                   0\n"
  "4611686018427387904 |@                                                  1\n"
  "\n"
;
static const char exp_log_edge4[] =
  "value |-------------------------------------------------- count\n"
  "    0 |                                                   0\n"
  "    1 |@                                                  1\n"
  "    2 |@@                                                 2\n"
  "    4 |@                                                  1\n"
  "    8 |                                                   0\n"
  "   16 |                                                   0\n"
  "\n"
;
static const char exp_nearlyempty[] =
  "value |-------------------------------------------------- count\n"
  "  300 |                                                   0\n"
  "  350 |                                                   0\n"
  "  400 |@                                                  1\n"
  "  450 |                                                   0\n"
  "  500 |                                                   0\n"
  "      ~\n"
  "  850 |                                                   0\n"
  "  900 |                                                   0\n"
  "  950 |@                                                  1\n"
  " 1000 |                                                   0\n"
  " 1050 |                                                   0\n"
  "\n"
;

static StatValue *new_stat(const StatHist *h) {
  StatValue *v = calloc(1, stat_size(h));
  if (!v) abort();
  return v;
}

static StatHist linear(int64_t lo, int64_t hi, int64_t step) {
  StatHist h = {STATH_LINEAR, lo, hi, step, 0};
  return h;
}

static const StatHist log_h = {STATH_LOG, 0, 0, 0, 0};

/* Render v and compare with exp exactly; show both on failure. */
static void check_hist_opts(const char *name, const StatValue *v, const StatHist *h, int width,
                            int elision, const char *exp) {
  size_t len = stat_print_hist_opts(NULL, 0, v, h, width, elision);
  char *buf = malloc(len + 1);
  if (!buf) abort();
  memset(buf, 'Z', len + 1);
  size_t len2 = stat_print_hist_opts(buf, len + 1, v, h, width, elision);
  int ok = len == len2 && len == strlen(exp) && memcmp(buf, exp, len) == 0 && buf[len] == 0;
  check(name, ok);
  if (!ok) printf("  expected:\n%s  got (%zu bytes):\n%.*s", exp, len, (int)len, buf);
  free(buf);
}

static void check_hist(const char *name, const StatValue *v, const StatHist *h, const char *exp) {
  check_hist_opts(name, v, h, STAT_HIST_WIDTH, STAT_HIST_ELISION, exp);
}

static StatValue *filled(const StatHist *h, const int64_t *xs, size_t n) {
  StatValue *v = new_stat(h);
  for (size_t i = 0; i < n; i++) stat_add(v, h, xs[i]);
  return v;
}

/* linear.stp's samples: key * m for key 0..99, m 1..12, 12, 13..15. */
static StatValue *linear_stp(const StatHist *h) {
  static const int m[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12, 13, 14, 15};
  StatValue *v = new_stat(h);
  for (int key = 0; key < 100; key++)
    for (int i = 0; i < 16; i++) stat_add(v, h, (int64_t)key * m[i]);
  return v;
}

/* Reference @variance over copies, stap's aggregation written out
 * directly (each copy's Welford state, then S1 = sum n_i (a_i - A)^2
 * without expanding it), in wrapping arithmetic. */
typedef struct Copy {
  const int64_t *xs;
  int n;
} Copy;

static int64_t ref_div(int64_t x, int64_t y) {
  if (y == 0) return 0;
  if (y == -1) return (int64_t)(0 - (uint64_t)x);
  return x / y;
}

static int64_t ref_variance(const Copy *c, int nc, int shift) {
  uint64_t N = 0, sum = 0, s1 = 0, s2 = 0;
  int64_t avg[8], vs[8];
  for (int i = 0; i < nc; i++) {
    uint64_t a = 0, m2 = 0;
    for (int k = 0; k < c[i].n; k++) {
      uint64_t xs = (uint64_t)c[i].xs[k] << shift;
      if (k == 0) {
        a = xs;
        m2 = 0;
      } else {
        int64_t delta = (int32_t)(uint32_t)(xs - a);
        a += (uint64_t)ref_div(delta, k + 1);
        m2 += (uint64_t)delta * (xs - a);
      }
      sum += (uint64_t)c[i].xs[k];
    }
    N += (uint64_t)c[i].n;
    avg[i] = (int64_t)a;
    vs[i] = c[i].n > 1 ? ref_div((int64_t)m2, c[i].n - 1) : 0;
  }
  int64_t A = ref_div((int64_t)(sum << shift), (int64_t)N);
  for (int i = 0; i < nc; i++) {
    if (!c[i].n) continue;
    uint64_t d = (uint64_t)avg[i] - (uint64_t)A;
    s1 += (uint64_t)c[i].n * d * d;
    s2 += (uint64_t)(c[i].n - 1) * (uint64_t)vs[i];
  }
  int64_t var_s = ref_div((int64_t)(s1 + s2), (int64_t)N - 1);
  int sh = (2 * shift) & 63;
  return var_s < 0 ? ~(~var_s >> sh) : var_s >> sh;
}

static void test_buckets(void) {
  StatHist h = linear(0, 1500, 50);
  check("buckets-linear-0-1500-50", stat_buckets(&h) == 33);
  h = linear(1, 3, 1); /* stap(1): 1 below, 3 payload (1, 2, 3), 1 above */
  check("buckets-linear-stap1-example", stat_buckets(&h) == 5);
  h = linear(0, 10240, 200);
  check("buckets-linear-truncates", stat_buckets(&h) == 54);
  h = linear(-100, 100, 10);
  check("buckets-linear-negative-lo", stat_buckets(&h) == 23);
  h = linear(0, 125, 1);
  check("buckets-linear-max", stat_buckets(&h) == STAT_HIST_MAX_BUCKETS);
  h = linear(0, 126, 1);
  check("buckets-linear-too-many", stat_buckets(&h) == 0);
  h = linear(0, 10, 0);
  check("buckets-linear-step-0", stat_buckets(&h) == 0);
  h = linear(0, 10, -1);
  check("buckets-linear-step-negative", stat_buckets(&h) == 0);
  h = linear(10, 0, 1);
  check("buckets-linear-hi-below-lo", stat_buckets(&h) == 0);
  check("buckets-log", stat_buckets(&log_h) == STATH_LOG_BUCKETS);
  StatHist none = {STATH_NONE, 0, 0, 0, 0};
  check("buckets-none", stat_buckets(&none) == 0 && stat_bucket(&none, 5) == -1);
  check("size", stat_size(&none) == sizeof(StatValue) &&
                    stat_size(&log_h) == sizeof(StatValue) + 128 * sizeof(int64_t));
}

static void test_bucket_log(void) {
  /* log_edge.exp: -1 is bucket 63, 0 is 64, 1 is 65, 2 and 3 are 66,
   * 4 is 67, 0x7fffffffffffffff is 127; log.exp: INT64_MIN is bucket 0
   * (labelled -9223372036854775808). */
  struct { int64_t x; int b; } t[] = {
      {0, 64}, {1, 65}, {2, 66}, {3, 66}, {4, 67}, {7, 67}, {8, 68},
      {-1, 63}, {-2, 62}, {-3, 62}, {-4, 61}, {-7, 61}, {-8, 60},
      {INT64_MAX, 127}, {(int64_t)1 << 62, 127}, {((int64_t)1 << 62) - 1, 126},
      {INT64_MIN, 0}, {INT64_MIN + 1, 1}, {-((int64_t)1 << 62), 1},
      {-((int64_t)1 << 62) + 1, 2}, {1024, 75}, {-4096, 51},
  };
  int ok = 1;
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    if (stat_bucket(&log_h, t[i].x) != t[i].b) {
      printf("  log bucket of %lld: %d, expected %d\n", (long long)t[i].x,
             stat_bucket(&log_h, t[i].x), t[i].b);
      ok = 0;
    }
  }
  check("bucket-log-boundaries", ok);
}

static void test_bucket_linear(void) {
  StatHist h = linear(0, 1500, 50);
  struct { int64_t x; int b; } t[] = {
      {0, 1}, {49, 1}, {50, 2}, {-1, 0}, {1449, 29}, {1450, 30}, {1499, 30},
      {1500, 31}, {1549, 31}, {1550, 32}, {INT64_MAX, 32}, {INT64_MIN, 0},
      {1, 1}, {2, 1}, {3, 1}, {4, 1},
  };
  int ok = 1;
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    if (stat_bucket(&h, t[i].x) != t[i].b) {
      printf("  linear bucket of %lld: %d, expected %d\n", (long long)t[i].x,
             stat_bucket(&h, t[i].x), t[i].b);
      ok = 0;
    }
  }
  check("bucket-linear-boundaries", ok);
  /* stap(1)'s example: x <<< -100, 1, 2, 3, 100 into (1, 3, 1). */
  h = linear(1, 3, 1);
  check("bucket-linear-stap1-example", stat_bucket(&h, -100) == 0 && stat_bucket(&h, 1) == 1 &&
                                           stat_bucket(&h, 2) == 2 && stat_bucket(&h, 3) == 3 &&
                                           stat_bucket(&h, 100) == 4 && stat_bucket(&h, 4) == 4);
  h = linear(-100, 100, 10);
  check("bucket-linear-negative-lo",
        stat_bucket(&h, -101) == 0 && stat_bucket(&h, -100) == 1 && stat_bucket(&h, -91) == 1 &&
            stat_bucket(&h, -10) == 10 && stat_bucket(&h, -1) == 10 && stat_bucket(&h, 0) == 11 &&
            stat_bucket(&h, 100) == 21 && stat_bucket(&h, 109) == 21 &&
            stat_bucket(&h, 110) == 22 && stat_bucket(&h, INT64_MIN) == 0);
  /* x - lo wraps as in stap: INT64_MAX - (-100) is negative. */
  check("bucket-linear-wraps-like-stap", stat_bucket(&h, INT64_MAX) == 0);
}

static void test_extract(void) {
  StatHist h = linear(0, 1500, 50);
  StatValue *v = linear_stp(&h);
  /* linear.exp: count=1600 sum=653400 min=0 max=1485 avg=408 */
  check("extract-count", stat_extract(v, STAT_W_COUNT, 0) == 1600);
  check("extract-sum", stat_extract(v, STAT_W_SUM, 0) == 653400);
  check("extract-min", stat_extract(v, STAT_W_MIN, 0) == 0);
  check("extract-max", stat_extract(v, STAT_W_MAX, 0) == 1485);
  check("extract-avg", stat_extract(v, STAT_W_AVG, 0) == 408);
  int64_t sumsq = 0;
  for (int key = 0; key < 100; key++) {
    static const int m[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12, 13, 14, 15};
    for (int i = 0; i < 16; i++) sumsq += (int64_t)key * m[i] * key * m[i];
  }
  check("sumsq", v->sumsq == sumsq);
  /* The integer Welford mean never leaves 0 on this data (each delta /
   * count truncates to 0), so S1 is large: 450768, where the exact
   * sample variance would be 117325. */
  check("extract-variance-linear-stp", stat_extract(v, STAT_W_VARIANCE, 0) == 450768);
  free(v);

  /* stap(1), STATISTICS: x <<< 1..5; @variance(x) is 12, @variance(x, 1)
   * is 2 (python's statistics.variance says 2.5). */
  int64_t one_to_five[] = {1, 2, 3, 4, 5};
  v = filled(&log_h, one_to_five, 5);
  check("variance-stap1-example", stat_extract(v, STAT_W_VARIANCE, 0) == 12);
  free(v);
  StatHist h1 = log_h;
  h1.shift = 1;
  v = filled(&h1, one_to_five, 5);
  check("variance-stap1-example-shift-1", stat_extract(v, STAT_W_VARIANCE, 1) == 2);
  check("avg-with-shift", stat_extract(v, STAT_W_AVG, 1) == 3);
  free(v);

  /* Empty: stap allows @count and @sum (0) and errors on the rest; we
   * return 0 for all. */
  v = new_stat(&log_h);
  int ok = 1;
  for (int w = STAT_W_COUNT; w <= STAT_W_VARIANCE; w++) ok &= stat_extract(v, (StatWhich)w, 0) == 0;
  check("extract-empty-all-0", ok);
  char buf[8] = "xxxxxxx";
  check("print-empty-is-nothing", stat_print_hist(buf, sizeof buf, v, &log_h) == 0 && buf[0] == 0);
  free(v);

  int64_t one[] = {-7};
  v = filled(&log_h, one, 1);
  check("extract-one-sample", stat_extract(v, STAT_W_COUNT, 0) == 1 &&
                                  stat_extract(v, STAT_W_SUM, 0) == -7 &&
                                  stat_extract(v, STAT_W_MIN, 0) == -7 &&
                                  stat_extract(v, STAT_W_MAX, 0) == -7 &&
                                  stat_extract(v, STAT_W_AVG, 0) == -7 &&
                                  stat_extract(v, STAT_W_VARIANCE, 0) == 0);
  free(v);

  int64_t neg[] = {-1, -2};
  v = filled(&log_h, neg, 2);
  check("avg-truncates-toward-zero", stat_extract(v, STAT_W_AVG, 0) == -1);
  free(v);

  int64_t minmax[] = {5, -3, 9, 0, -3};
  v = filled(&log_h, minmax, 5);
  check("min-max", stat_extract(v, STAT_W_MIN, 0) == -3 && stat_extract(v, STAT_W_MAX, 0) == 9);
  free(v);

  /* stap keeps Welford's delta in an int: a 5e9 step is cut to its low
   * 32 bits. */
  int64_t big[] = {0, 5000000000LL};
  v = filled(&log_h, big, 2);
  Copy c = {big, 2};
  check("variance-32-bit-delta-like-stap", v->avg_s == 352516352 &&
                                               stat_extract(v, STAT_W_VARIANCE, 0) ==
                                                   ref_variance(&c, 1, 0));
  free(v);
}

static void test_merge(void) {
  StatHist h = linear(-100, 100, 10);
  static const int64_t a[] = {3, 17, -45, 99, 12, 12, 0};
  static const int64_t b[] = {-100, 250, 8};
  static const int64_t c[] = {64, 31, 7, 7, 7, 90, -3, 42, 11};
  static const int64_t d[] = {5};
  Copy all[] = {{a, 7}, {b, 3}, {c, 9}, {d, 1}};
  int64_t total_sum = 0, total_sq = 0, mn = INT64_MAX, mx = INT64_MIN;
  int64_t n = 0;
  for (int i = 0; i < 4; i++)
    for (int k = 0; k < all[i].n; k++) {
      int64_t x = all[i].xs[k];
      total_sum += x;
      total_sq += x * x;
      if (x < mn) mn = x;
      if (x > mx) mx = x;
      n++;
    }
  for (int shift = 0; shift <= 3; shift += 3) {
    h.shift = shift;
    StatValue *ca = filled(&h, a, 7), *cb = filled(&h, b, 3), *cc = filled(&h, c, 9),
              *cd = filled(&h, d, 1), *empty = new_stat(&h);
    /* Order 1: a zeroed destination, copies one by one, an empty one
     * in between. */
    StatValue *m1 = new_stat(&h);
    stat_merge(m1, empty, &h);
    stat_merge(m1, ca, &h);
    stat_merge(m1, empty, &h);
    stat_merge(m1, cb, &h);
    stat_merge(m1, cc, &h);
    stat_merge(m1, cd, &h);
    /* Order 2: a sample copy as destination, then a merge result. */
    StatValue *m2 = new_stat(&h);
    stat_merge(m2, cb, &h);
    stat_merge(m2, cd, &h);
    StatValue *m3 = filled(&h, c, 9);
    stat_merge(m3, m2, &h);
    stat_merge(m3, ca, &h);
    int64_t ref = ref_variance(all, 4, shift);
    char name[64];
    for (int k = 0; k < 2; k++) {
      StatValue *m = k ? m3 : m1;
      int ok = m->count == n && m->sum == total_sum && m->sumsq == total_sq && m->min == mn &&
               m->max == mx && m->parts == 4;
      int nb = stat_buckets(&h);
      for (int i = 0; i < nb; i++)
        ok &= m->buckets[i] == ca->buckets[i] + cb->buckets[i] + cc->buckets[i] + cd->buckets[i];
      snprintf(name, sizeof name, "merge-order-%d-shift-%d-totals", k + 1, shift);
      check(name, ok);
      snprintf(name, sizeof name, "merge-order-%d-shift-%d-variance", k + 1, shift);
      check(name, stat_extract(m, STAT_W_VARIANCE, shift) == ref);
      snprintf(name, sizeof name, "merge-order-%d-shift-%d-avg", k + 1, shift);
      check(name, stat_extract(m, STAT_W_AVG, shift) == total_sum / n);
    }
    /* One copy merged alone gives the copy's own @variance. */
    StatValue *solo = new_stat(&h);
    stat_merge(solo, cc, &h);
    snprintf(name, sizeof name, "merge-single-copy-shift-%d", shift);
    check(name, stat_extract(solo, STAT_W_VARIANCE, shift) ==
                    stat_extract(cc, STAT_W_VARIANCE, shift) &&
                    stat_extract(cc, STAT_W_VARIANCE, shift) == ref_variance(&all[2], 1, shift));
    free(ca), free(cb), free(cc), free(cd), free(empty), free(m1), free(m2), free(m3), free(solo);
  }

  /* min/max combine only over non-empty copies: an empty copy's 0s do
   * not count. */
  h.shift = 0;
  static const int64_t pos[] = {5, 9}, negs[] = {-8, -3};
  StatValue *p = filled(&h, pos, 2), *q = filled(&h, negs, 2), *e = new_stat(&h);
  StatValue *m = new_stat(&h);
  stat_merge(m, e, &h);
  stat_merge(m, p, &h);
  stat_merge(m, e, &h);
  check("merge-min-skips-empty", m->min == 5 && m->max == 9 && m->count == 2);
  StatValue *mq = new_stat(&h);
  stat_merge(mq, q, &h);
  stat_merge(mq, e, &h);
  check("merge-max-skips-empty", mq->min == -8 && mq->max == -3);
  StatValue *me = new_stat(&h);
  stat_merge(me, e, &h);
  check("merge-empty-stays-empty", me->count == 0 && me->parts == 0 &&
                                       stat_extract(me, STAT_W_VARIANCE, 0) == 0);
  free(p), free(q), free(e), free(m), free(mq), free(me);
}

static void test_hist(void) {
  /* log_edge.stp */
  int64_t e1[] = {-1, 1};
  StatValue *v = filled(&log_h, e1, 2);
  check_hist("hist-log-edge-plus-minus-1", v, &log_h, exp_log_edge);
  free(v);
  int64_t e2[] = {0};
  v = filled(&log_h, e2, 1);
  check_hist("hist-log-edge-0", v, &log_h, exp_log_edge2);
  free(v);
  int64_t e3[] = {INT64_MAX};
  v = filled(&log_h, e3, 1);
  check_hist("hist-log-edge-int64-max", v, &log_h, exp_log_edge3);
  free(v);
  int64_t e4[] = {1, 2, 3, 4};
  v = filled(&log_h, e4, 4);
  check_hist("hist-log-edge-1-2-3-4", v, &log_h, exp_log_edge4);
  free(v);

  /* linear.stp: bars scaled by ceil(177 / 50) = 4. */
  StatHist h = linear(0, 1500, 50);
  v = linear_stp(&h);
  check_hist("hist-linear-scaled", v, &h, exp_linear);
  free(v);

  /* linear_large.stp: the overflow row. */
  h = linear(0, 1000000000, 100000000);
  int64_t large[] = {10000000,   10000000,   10000000,   100000000,  100000000,
                     500000000,  500000000,  500000000,  500000000,  500000000,
                     1000000000, 1000000000, 1000000000, 1000000000, 10000000000LL};
  v = filled(&h, large, 15);
  check("hist-linear-large-stats", stat_extract(v, STAT_W_SUM, 0) == 16730000000LL &&
                                       stat_extract(v, STAT_W_AVG, 0) == 1115333333);
  check_hist("hist-linear-large-overflow-row", v, &h, exp_linear_large);
  free(v);

  /* linear_nearlyempty.stp and elision.stp: zero runs become "~". */
  h = linear(0, 1500, 50);
  int64_t ne[] = {444, 999};
  v = filled(&h, ne, 2);
  check_hist("hist-linear-elided-run", v, &h, exp_nearlyempty);
  free(v);
  int64_t x1500[] = {1500};
  v = filled(&h, x1500, 1);
  check_hist("hist-linear-hi-is-in-range", v, &h, exp_elide_1500);
  free(v);
  int64_t x0[] = {0};
  v = filled(&h, x0, 1);
  check_hist("hist-linear-no-empty-underflow-row", v, &h, exp_elide_0);
  free(v);
  h = linear(-100, 100, 10);
  int64_t m10[] = {-10};
  v = filled(&h, m10, 1);
  check_hist("hist-linear-negative", v, &h, exp_elide_m10);
  free(v);

  /* elision.stp's last case at HIST_ELISION 2, 0, 1 and -1. */
  int64_t ng[] = {-2, -4096};
  v = filled(&log_h, ng, 2);
  check_hist("hist-log-negative-elision-2", v, &log_h, exp_elide_neg);
  check_hist_opts("hist-log-negative-elision-0", v, &log_h, 50, 0, exp_elide0_neg);
  check_hist_opts("hist-log-negative-elision-1", v, &log_h, 50, 1, exp_elide1_neg);
  check_hist_opts("hist-log-negative-no-elision", v, &log_h, 50, -1, exp_elideneg_neg);
  free(v);

  /* The language reference's @hist_linear(reads, 0, 10240, 200). */
  h = linear(0, 10240, 200);
  v = new_stat(&h);
  for (int i = 0; i < 1650; i++) stat_add(v, &h, i % 200);
  for (int i = 0; i < 8; i++) stat_add(v, &h, 200 + i);
  stat_add(v, &h, 1450); /* the chart shows it in the 1400 row */
  check_hist("hist-linear-langref-example", v, &h, exp_langref);

  /* Truncation: the full length is returned, cap - 1 bytes kept. */
  size_t full = stat_print_hist(NULL, 0, v, &h);
  char small[21];
  memset(small, 'Z', sizeof small);
  size_t got = stat_print_hist(small, sizeof small, v, &h);
  check("hist-truncated", got == full && got == strlen(exp_langref) &&
                              memcmp(small, exp_langref, 20) == 0 && small[20] == 0);
  char one = 'Z';
  check("hist-cap-1", stat_print_hist(&one, 1, v, &h) == full && one == 0);
  free(v);

  /* HIST_WIDTH 10: scale ceil(25 / 10) = 3, so 8 and 1 '@'s. */
  h = linear(0, 20, 10);
  v = new_stat(&h);
  for (int i = 0; i < 25; i++) stat_add(v, &h, 1);
  for (int i = 0; i < 3; i++) stat_add(v, &h, 12);
  check_hist_opts("hist-width-10", v, &h, 10, 2,
                  "value |---------- count\n"
                  "    0 |@@@@@@@@   25\n"
                  "   10 |@           3\n"
                  "   20 |            0\n"
                  "\n");
  /* Under- and overflow rows, "<lo" and ">hi" labels. */
  stat_add(v, &h, -5);
  stat_add(v, &h, 31);
  stat_add(v, &h, 1000);
  check_hist_opts("hist-linear-under-over", v, &h, 10, 2,
                  "value |---------- count\n"
                  "   <0 |            1\n"
                  "    0 |@@@@@@@@   25\n"
                  "   10 |@           3\n"
                  "   20 |            0\n"
                  "  >20 |            2\n"
                  "\n");
  free(v);
  /* The value column: stap measures lo + step * (last row index), one
   * step past the last label: 90000 is 5 wide but 100000 is measured. */
  h = linear(0, 90000, 10000);
  v = new_stat(&h);
  stat_add(v, &h, 85000);
  check_hist_opts("hist-linear-value-width-quirk", v, &h, 10, 2,
                  " value |---------- count\n"
                  " 60000 |           0\n"
                  " 70000 |           0\n"
                  " 80000 |@          1\n"
                  " 90000 |           0\n"
                  "\n");
  free(v);

  /* log.stp: every power of two both ways and twenty 0s: all 128 rows. */
  v = new_stat(&log_h);
  uint64_t val = 1;
  for (int i = 0; i < 63; i++, val <<= 1) stat_add(v, &log_h, (int64_t)val);
  val = 1;
  for (int i = 0; i < 64; i++, val <<= 1) stat_add(v, &log_h, (int64_t)(0 - val));
  for (int i = 0; i < 20; i++) stat_add(v, &log_h, 0);
  size_t len = stat_print_hist(NULL, 0, v, &log_h);
  char *buf = malloc(len + 1);
  if (!buf) abort();
  stat_print_hist(buf, len + 1, v, &log_h);
  /* Lines of log.exp. */
  const char *lines[] = {
      "               value |-------------------------------------------------- count\n",
      "-9223372036854775808 |@                                                   1\n",
      "-4611686018427387904 |@                                                   1\n",
      " -576460752303423488 |@                                                   1\n",
      "                  -1 |@                                                   1\n",
      "                   0 |@@@@@@@@@@@@@@@@@@@@                               20\n",
      "                   1 |@                                                   1\n",
      "          2147483648 |@                                                   1\n",
      " 4611686018427387904 |@                                                   1\n",
  };
  int at[] = {0, 1, 2, 5, 64, 65, 66, 97, 128};
  int ok = 1;
  const char *p = buf;
  int line = 0, li = 0;
  while (*p) {
    const char *nl = strchr(p, '\n');
    if (!nl) break;
    if (li < 9 && line == at[li]) {
      ok &= strncmp(p, lines[li], (size_t)(nl - p + 1)) == 0 &&
            strlen(lines[li]) == (size_t)(nl - p + 1);
      li++;
    } else if (line > 0 && line <= 128) {
      ok &= nl - p == 75; /* 20 + " |" + 50 + " " + 2 */
    }
    line++;
    p = nl + 1;
  }
  check("hist-log-full-range", ok && li == 9 && line == 130 && len == strlen(buf) &&
                                   buf[len - 1] == '\n' && buf[len - 2] == '\n');
  free(buf);
  free(v);
}

int main(void) {
  test_buckets();
  test_bucket_log();
  test_bucket_linear();
  test_extract();
  test_merge();
  test_hist();
  return failures ? 1 : 0;
}
