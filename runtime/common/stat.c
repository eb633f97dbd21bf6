/* stat: see stat.h for the semantics (SystemTap 4.8's, exactly). */
#include "runtime/common/stat.h"
#include "runtime/common/out.h"

#include <stdbool.h>

enum { LOG_ZERO = STATH_LOG_BUCKETS / 2 }; /* the bucket of 0 */

/* Wrapping 64-bit arithmetic, as the kernel's. */
static int64_t add64(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static int64_t sub64(int64_t a, int64_t b) { return (int64_t)((uint64_t)a - (uint64_t)b); }
static int64_t mul64(int64_t a, int64_t b) { return (int64_t)((uint64_t)a * (uint64_t)b); }
static int64_t shl64(int64_t a, int s) { return (int64_t)((uint64_t)a << (s & 63)); }

/* Arithmetic right shift without relying on implementation-defined >>. */
static int64_t sar64(int64_t a, int s) {
  s &= 63;
  uint64_t u = (uint64_t)a >> s;
  if (a < 0 && s) u |= ~(UINT64_MAX >> s);
  return (int64_t)u;
}

/* stap's _stp_div64: x / 0 is 0, x / -1 is -x (wrapping), else C's. */
static int64_t div64(int64_t x, int64_t y) {
  if (y == 0) return 0;
  if (y == -1) return sub64(0, x);
  return x / y;
}

int stat_buckets(const StatHist *h) {
  switch (h->kind) {
  case STATH_LOG:
    return STATH_LOG_BUCKETS;
  case STATH_LINEAR: {
    if (h->step <= 0) return 0;
    int64_t n = sub64(h->hi, h->lo) / h->step;
    if (n < 0 || n > STAT_HIST_MAX_BUCKETS - 3) return 0;
    return (int)n + 3;
  }
  case STATH_NONE:
    break;
  }
  return 0;
}

size_t stat_size(const StatHist *h) {
  return sizeof(StatValue) + (size_t)stat_buckets(h) * sizeof(int64_t);
}

/* Index of the highest set bit of u != 0. */
static int top_bit(uint64_t u) {
  int p = 0;
  if (u >> 32) { u >>= 32; p += 32; }
  if (u >> 16) { u >>= 16; p += 16; }
  if (u >> 8) { u >>= 8; p += 8; }
  if (u >> 4) { u >>= 4; p += 4; }
  if (u >> 2) { u >>= 2; p += 2; }
  if (u >> 1) p += 1;
  return p;
}

int stat_bucket(const StatHist *h, int64_t x) {
  switch (h->kind) {
  case STATH_LOG:
    if (x == 0) return LOG_ZERO;
    if (x > 0) return LOG_ZERO + 1 + top_bit((uint64_t)x);
    return LOG_ZERO - 1 - top_bit(0 - (uint64_t)x);
  case STATH_LINEAR: {
    int n = stat_buckets(h);
    if (n == 0) return -1;
    int64_t d = sub64(x, h->lo);
    if (d < 0) return 0;
    uint64_t i = (uint64_t)d / (uint64_t)h->step + 1;
    return i >= (uint64_t)(n - 1) ? n - 1 : (int)i;
  }
  case STATH_NONE:
    break;
  }
  return -1;
}

void stat_add(StatValue *v, const StatHist *h, int64_t x) {
  int64_t xs = shl64(x, h->shift);
  if (v->count == 0) {
    v->count = 1;
    v->sum = v->min = v->max = x;
    v->avg_s = xs;
    v->m2 = 0;
  } else {
    v->count++;
    v->sum = add64(v->sum, x);
    if (x > v->max) v->max = x;
    if (x < v->min) v->min = x;
    int64_t delta = (int32_t)(uint32_t)(uint64_t)sub64(xs, v->avg_s);
    v->avg_s = add64(v->avg_s, div64(delta, v->count));
    v->m2 = add64(v->m2, mul64(delta, sub64(xs, v->avg_s)));
  }
  v->sumsq = add64(v->sumsq, mul64(x, x));
  int b = stat_bucket(h, x);
  if (b >= 0) v->buckets[b]++;
}

/* A copy's terms of the total-variance sums (see stat.h). */
typedef struct Terms {
  int64_t parts, na, na2, s2;
} Terms;

static Terms terms_of(const StatValue *v) {
  Terms t = {0, 0, 0, 0};
  if (v->count == 0) return t;
  if (v->parts > 0) {
    t.parts = v->parts;
    t.na = v->agg_na;
    t.na2 = v->agg_na2;
    t.s2 = v->agg_s2;
    return t;
  }
  int64_t n = v->count, a = v->avg_s;
  int64_t vs = n > 1 ? div64(v->m2, n - 1) : 0;
  t.parts = 1;
  t.na = mul64(n, a);
  t.na2 = mul64(mul64(n, a), a);
  t.s2 = mul64(n - 1, vs);
  return t;
}

void stat_merge(StatValue *dst, const StatValue *src, const StatHist *h) {
  if (src->count == 0) return;
  Terms d = terms_of(dst), s = terms_of(src);
  if (dst->count == 0) {
    dst->min = src->min;
    dst->max = src->max;
  } else {
    if (src->min < dst->min) dst->min = src->min;
    if (src->max > dst->max) dst->max = src->max;
  }
  dst->count = add64(dst->count, src->count);
  dst->sum = add64(dst->sum, src->sum);
  dst->sumsq = add64(dst->sumsq, src->sumsq);
  dst->avg_s = dst->m2 = 0;
  dst->parts = d.parts + s.parts;
  dst->agg_na = add64(d.na, s.na);
  dst->agg_na2 = add64(d.na2, s.na2);
  dst->agg_s2 = add64(d.s2, s.s2);
  int nb = stat_buckets(h);
  for (int i = 0; i < nb; i++) dst->buckets[i] = add64(dst->buckets[i], src->buckets[i]);
}

int64_t stat_extract(const StatValue *v, StatWhich w, int variance_shift) {
  switch (w) {
  case STAT_W_COUNT: return v->count;
  case STAT_W_SUM: return v->sum;
  case STAT_W_MIN: return v->count ? v->min : 0;
  case STAT_W_MAX: return v->count ? v->max : 0;
  case STAT_W_AVG: return div64(v->sum, v->count);
  case STAT_W_VARIANCE: {
    if (v->count == 0) return 0;
    Terms t = terms_of(v);
    int64_t n = v->count;
    int64_t a = div64(shl64(v->sum, variance_shift), n);
    /* S1 = na2 - 2*a*na + a*a*n */
    int64_t s1 = sub64(t.na2, mul64(mul64(2, a), t.na));
    s1 = add64(s1, mul64(mul64(a, a), n));
    int64_t var_s = div64(add64(s1, t.s2), n - 1);
    return sar64(var_s, 2 * variance_shift);
  }
  }
  return 0;
}

/* ---- printing ---- */

/* Characters of x in decimal, '-' included. */
static int dec_width(int64_t x) {
  uint64_t u = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
  int n = x < 0 ? 1 : 0;
  do {
    n++;
    u /= 10;
  } while (u);
  return n;
}

static void put_dec(Out *o, int64_t x) {
  char tmp[24];
  int n = 0;
  uint64_t u = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (x < 0) put(o, '-');
  while (n) put(o, tmp[--n]);
}

/* The label of log bucket b. */
static int64_t log_label(int b) {
  if (b == LOG_ZERO) return 0;
  if (b > LOG_ZERO) return (int64_t)((uint64_t)1 << (b - LOG_ZERO - 1));
  return sar64(INT64_MIN, b);
}

static int imax(int a, int b) { return a > b ? a : b; }

size_t stat_print_hist_opts(char *buf, size_t cap, const StatValue *v, const StatHist *h,
                            int width, int elision) {
  Out o = {buf, cap, 0};
  int nb = stat_buckets(h);
  int low = -1, high = -1;
  int64_t maxc = 0;
  if (width <= 0) width = STAT_HIST_WIDTH;
  if (v->count == 0 || nb == 0) goto done;
  for (int i = 0; i < nb; i++) {
    if (v->buckets[i] > 0) {
      if (low < 0) low = i;
      high = i;
    }
    if (v->buckets[i] > maxc) maxc = v->buckets[i];
  }
  if (low < 0) goto done;

  /* Up to two empty rows each side of the data. */
  for (int k = 0; k < 2; k++) {
    if (low > 0 && !(h->kind == STATH_LOG && low == LOG_ZERO)) low--;
    if (high < nb - 1) high++;
  }
  bool under = false, over = false;
  if (h->kind == STATH_LINEAR) {
    if (low == 0 && v->buckets[0] == 0) low++;
    if (high == nb - 1 && v->buckets[high] == 0) high--;
    under = low == 0;
    over = high == nb - 1;
  }

  int64_t scale = maxc <= width ? 1 : maxc / width + (maxc % width != 0);
  int cnt_space = dec_width(maxc);
  int val_space;
  if (h->kind == STATH_LINEAR) {
    val_space = imax(dec_width(h->lo) + under,
                     dec_width(add64(h->lo, mul64(h->step, high))) + over);
  } else {
    val_space = imax(dec_width(log_label(high)), dec_width(log_label(low)));
  }
  val_space = imax(val_space, 5);

  put_n(&o, ' ', val_space - 5);
  put_str(&o, "value |");
  put_n(&o, '-', width);
  put_str(&o, " count\n");

  int reach = elision < nb ? elision : nb;
  bool eliding = false;
  for (int i = low; i <= high; i++) {
    if (elision >= 0) {
      int from = i - reach > low ? i - reach : low;
      int to = i + reach < high ? i + reach : high;
      bool empty = true;
      for (int k = from; k <= to; k++)
        if (v->buckets[k] != 0) empty = false;
      if (empty) {
        eliding = true;
        continue;
      }
      if (eliding) {
        put_n(&o, ' ', val_space);
        put_str(&o, " ~\n");
        eliding = false;
      }
    }
    int64_t label;
    char prefix = 0;
    if (h->kind == STATH_LINEAR) {
      if (i == 0) {
        label = h->lo;
        prefix = '<';
      } else if (i == nb - 1) {
        label = add64(h->lo, mul64(i - 2, h->step));
        prefix = '>';
      } else {
        label = add64(h->lo, mul64(i - 1, h->step));
      }
    } else {
      label = log_label(i);
    }
    int pad = val_space - dec_width(label);
    if (prefix) {
      put_n(&o, ' ', pad - 1);
      put(&o, prefix);
    } else {
      put_n(&o, ' ', pad);
    }
    put_dec(&o, label);
    put_str(&o, " |");
    int64_t bar = v->buckets[i] / scale;
    put_n(&o, '@', bar);
    put_n(&o, ' ', width - bar + 1 + cnt_space - dec_width(v->buckets[i]));
    put_dec(&o, v->buckets[i]);
    put(&o, '\n');
  }
  put(&o, '\n');
done:
  if (cap > 0) buf[o.len < cap ? o.len : cap - 1] = '\0';
  return o.len;
}

size_t stat_print_hist(char *buf, size_t cap, const StatValue *v, const StatHist *h) {
  return stat_print_hist_opts(buf, cap, v, h, STAT_HIST_WIDTH, STAT_HIST_ELISION);
}
