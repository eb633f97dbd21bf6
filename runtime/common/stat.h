/* stat: SystemTap statistics (the values `<<<` accumulates) and their
 * histograms, shared by the runtimes: the layout generated BPF code
 * updates in a per-CPU map, the merge staprun does across CPUs, the
 * extractors (@count ... @variance) and stap's rendering of @hist_linear
 * and @hist_log.  Freestanding C.
 *
 * Everything here reproduces SystemTap 4.8's runtime results bit for bit
 * (its stat-common.c/stat.c behaviour, checked against stap(1)'s
 * @variance example and the testsuite's systemtap.maps/{linear,
 * linear_large,log,log_edge,elision,absentstats} expected output).
 * Arithmetic wraps modulo 2^64 as it does in the kernel. */
#ifndef CTAP_RUNTIME_STAT_H
#define CTAP_RUNTIME_STAT_H

#include <stddef.h>
#include <stdint.h>

/* Which histogram a statistic keeps. */
typedef enum StatHistKind { STATH_NONE, STATH_LINEAR, STATH_LOG } StatHistKind;
#define STATH_LOG_BUCKETS 128
/* Most buckets a linear histogram may have, its two out-of-range ones
 * included (stap's STP_MAX_BUCKETS). */
#ifndef STAT_HIST_MAX_BUCKETS
#define STAT_HIST_MAX_BUCKETS 128
#endif
/* print(@hist_*) defaults: bar width and zero-row elision (stap's
 * -DHIST_WIDTH and -DHIST_ELISION). */
#define STAT_HIST_WIDTH 50
#define STAT_HIST_ELISION 2

typedef struct StatHist {
  StatHistKind kind;
  int64_t lo, hi, step;   /* STATH_LINEAR */
  int shift;              /* @variance's bit-shift (0..62; stap allows one
                             value per statistic), used by stat_add */
} StatHist;

/* One statistic.  An empty one (count 0) has every field 0.
 *
 * A StatValue is either a sample copy (only stat_add writes it: the
 * per-CPU values generated code updates) or a merge result (a zeroed
 * StatValue that stat_merge folded copies into; parts > 0).
 *
 * @variance follows stap exactly, which is not the textbook formula: each
 * copy runs Welford's algorithm in integers on x << shift, and the copies
 * are combined with the "total variance" formula.  Per sample x (after
 * count, sum, min, max are updated; s = shift):
 *   first sample:  avg_s = x << s, m2 = 0
 *   later samples: delta = (int32_t)((x << s) - avg_s)   (stap keeps delta
 *                      in an int: the low 32 bits, sign-extended)
 *                  avg_s += delta / count                  (count already
 *                      incremented; division truncates toward 0)
 *                  m2 += delta * ((x << s) - avg_s)
 * sumsq (sum of x*x) is kept too but @variance does not use it.
 * Combining copies i with n_i samples, running mean a_i = avg_s and
 * vs_i = m2 / (n_i - 1) (0 when n_i is 1), N = total count:
 *   A = (sum << s) / N
 *   S1 = sum_i n_i * (a_i - A)^2,  S2 = sum_i (n_i - 1) * vs_i
 *   @variance = ((S1 + S2) / (N - 1)) >> (2 * s)
 * (x / 0 is 0 and x / -1 is -x as stap's _stp_div64; the final shift is
 * arithmetic and, as on x86, by (2 * s) & 63.)  stat_merge keeps
 * S1 expanded, sum n_i*a_i^2 - 2*A*sum n_i*a_i + A^2*N, which is equal
 * modulo 2^64, so any merge order gives stap's result. */
typedef struct StatValue {
  int64_t count, sum, min, max, sumsq;
  int64_t avg_s, m2;      /* sample copies: the Welford state above */
  int64_t parts;          /* merge results: non-empty copies folded in */
  int64_t agg_na, agg_na2, agg_s2; /* merge results: sum n_i*a_i,
                             sum n_i*a_i^2 and S2 */
  int64_t buckets[];      /* stat_buckets(h) of them */
} StatValue;

/* Extractors, as the script names them. */
typedef enum StatWhich {
  STAT_W_COUNT, STAT_W_SUM, STAT_W_MIN, STAT_W_MAX, STAT_W_AVG, STAT_W_VARIANCE,
} StatWhich;

/* Buckets of a histogram (0 for none, and 0 for an invalid linear one:
 * step <= 0, or more than STAT_HIST_MAX_BUCKETS).
 *   linear: (hi - lo) / step + 3 (division truncates): bucket 0 counts
 *           x < lo, bucket i (1 .. n-2) counts lo + (i-1)*step <= x <
 *           lo + i*step, and bucket n-1 everything above.  hi itself is
 *           in range (stap(1): "from start to stop (inclusive)"):
 *           @hist_linear(x, 0, 1500, 50) has 33 buckets, 0..1500 in 31.
 *   log:    STATH_LOG_BUCKETS. */
int stat_buckets(const StatHist *h);
/* Bytes of a StatValue with its buckets. */
size_t stat_size(const StatHist *h);
/* The bucket x falls in (-1 for STATH_NONE).  Generated code computes
 * the same index:
 *   log:    x == 0: 64
 *           x > 0:  65 + p, p = floor(log2(x)) (bit index of the highest
 *                   set bit): 1 -> 65, 2..3 -> 66, 4..7 -> 67, ...,
 *                   2^62..INT64_MAX -> 127
 *           x < 0:  63 - p, p = floor(log2(-x)) with -x taken as an
 *                   unsigned 64-bit magnitude: -1 -> 63, -3..-2 -> 62,
 *                   -7..-4 -> 61, ..., INT64_MIN -> 0
 *           Bucket b's label (what print shows): 0 for 64, 2^(b-65) above
 *           it, -(2^(63-b)) below it.
 *   linear: d = x - lo (64-bit, wrapping: so with lo < 0 a huge x can
 *           wrap negative, as in stap); d < 0: 0; else
 *           i = (uint64_t)d / step + 1, and n-1 if i >= n-1
 *           (n = stat_buckets(h)). */
int stat_bucket(const StatHist *h, int64_t x);
/* v <<< x (v a sample copy). */
void stat_add(StatValue *v, const StatHist *h, int64_t x);
/* dst += src (aggregating per-CPU copies).  dst starts zeroed (or is a
 * sample copy, which is first turned into a merge result); src is a
 * sample copy or a merge result.  count, sum, sumsq and buckets add;
 * min and max combine over non-empty copies only; empty copies change
 * nothing. */
void stat_merge(StatValue *dst, const StatValue *src, const StatHist *h);
/* @count ... @variance (variance_shift: @variance's optional 2nd
 * argument, else 0; it must be the h->shift the samples were added
 * with).  @avg is sum / count truncated toward 0.
 * An empty statistic (count 0): @count and @sum are 0 in stap; @min,
 * @max, @avg and @variance are a run-time error in stap ("ERROR: empty
 * aggregate", testsuite systemtap.maps/absentstats: "As of stap 1.5,
 * @count and @sum are allowed, the rest fail"), which the caller must
 * raise; stat_extract returns 0 for them.  One sample: @variance is 0. */
int64_t stat_extract(const StatValue *v, StatWhich w, int variance_shift);
/* print(@hist_linear(s, ...)) / print(@hist_log(s)) as stap prints them,
 * into buf (NUL-terminated when cap > 0); returns the full length.
 * An empty statistic prints nothing and returns 0: stap reports "empty
 * aggregate" for print(@hist_*(s)) and for @hist_*(s)[i] of an empty s
 * (the caller raises it).  Layout:
 *   - rows run from the first to the last non-zero bucket, widened by
 *     up to 2 buckets each side (whatever the elision), except that a
 *     log histogram whose lowest value is >= 0 does not widen below its
 *     0 bucket (it shows negative rows only when it has negative
 *     values); a linear one then drops an empty out-of-range bucket at
 *     either end.
 *   - value column width V = max(5, digits of the widest label), with '-'
 *     counted; linear: max(digits(lo) + 1 if the "<" row shows,
 *     digits(lo + step*last_row_index) + 1 if the ">" row shows) (stap
 *     measures one step past the last row's label).
 *   - header: "value" right-aligned in V, " |", width '-', " count\n".
 *   - row: label right-aligned in V ("<lo" for the underflow bucket,
 *     ">" + the last in-range label for the overflow bucket), " |",
 *     count/scale '@'s, then the count right-aligned so that the text
 *     after '|' is width + 1 + digits(max count) wide; scale is 1 when
 *     the largest count <= width, else ceil(max / width).
 *   - elision (elision >= 0): a row is left out when it and every row
 *     within `elision` rows of it (inside the shown range) are 0; where
 *     rows were left out, the next printed row is preceded by V spaces
 *     and " ~\n".  elision < 0 prints every row.
 *   - a final "\n". */
size_t stat_print_hist(char *buf, size_t cap, const StatValue *v, const StatHist *h);
/* The same with stap's -DHIST_WIDTH (width > 0) and -DHIST_ELISION. */
size_t stat_print_hist_opts(char *buf, size_t cap, const StatValue *v, const StatHist *h,
                            int width, int elision);

#endif
