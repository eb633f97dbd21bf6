/* user: running user programs (begin, end, error and timer probes) in the
 * BPF interpreter, and the helpers they call: the kernel's (map access
 * through the bpf syscall, the clock, the current task) and staprun's own
 * (foreach iteration with sorting, statistics aggregated over CPUs,
 * histograms, sprintf, clearing a map, naming code addresses).
 *
 * Map values handed to a program are copies; programs store every change
 * back with an update (the code generator does so in user programs).
 * The globals map is shared memory (mmapped), so the control block and
 * scalar globals are live.  A per-CPU map's value seen here is CPU 0's;
 * statistics are read aggregated over every CPU. */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "run/session.h"
#include "run/symbols.h"
#include "runtime/common/printf.h"
#include "runtime/common/regex.h"
#include "runtime/common/stat.h"

struct Iter {
  unsigned char *keys;   /* n keys of ks bytes */
  size_t n, pos, ks;
};

static void *run_buf(Session *s, size_t n) {
  void *p = calloc(1, n ? n : 1);
  if (!p) return NULL;
  if (s->nbufs == s->bufs_cap) {
    s->bufs_cap = s->bufs_cap ? s->bufs_cap * 2 : 16;
    s->bufs = realloc(s->bufs, s->bufs_cap * sizeof *s->bufs);
  }
  s->bufs[s->nbufs++] = p;
  return p;
}

static const BoMap *map_of(Session *s, uint64_t handle, int *fd) {
  /* map handles are index + 1 (never 0, so that a NULL check fails) */
  if (handle == 0 || handle > s->obj.nmaps) return NULL;
  *fd = s->map_fds[handle - 1];
  return &s->obj.maps[handle - 1];
}

static bool percpu(const BoMap *m) {
  return m->type == BPF_MAP_TYPE_PERCPU_ARRAY || m->type == BPF_MAP_TYPE_PERCPU_HASH ||
         m->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static size_t vsize(const BoMap *m) { return ((size_t)m->value_size + 7) & ~(size_t)7; }

/* The array or statistic a map holds (a table built on first use). */
static const BoGlobal *global_of_map(Session *s, uint64_t handle) {
  if (!s->map_globals) {
    s->map_globals = calloc(s->obj.nmaps + 1, sizeof *s->map_globals);
    if (!s->map_globals) return NULL;
    for (uint32_t i = 0; i < s->obj.nglobals; i++) {
      const BoGlobal *g = &s->obj.globals[i];
      if ((g->arity > 0 || g->type == BO_STATS) && g->map < s->obj.nmaps)
        s->map_globals[g->map] = g;
    }
  }
  return handle >= 1 && handle <= s->obj.nmaps ? s->map_globals[handle - 1] : NULL;
}

static StatHist hist_of(const BoGlobal *g) {
  StatHist h = {.kind = g ? (StatHistKind)g->hist : STATH_NONE};
  if (g) {
    h.lo = g->hist_lo;
    h.hi = g->hist_hi;
    h.step = g->hist_step;
  }
  return h;
}

/* The statistic under key, merged over CPUs, into a zeroed out. */
static bool stat_read(Session *s, const BoMap *m, int fd, const void *key, StatValue *out,
                      const StatHist *h) {
  size_t vs = vsize(m);
  unsigned char *all = calloc((size_t)s->ncpus, vs);
  if (!all) return false;
  bool found = bpf_map_lookup_elem(fd, key, all) == 0;
  if (found)
    for (int c = 0; c < s->ncpus; c++) stat_merge(out, (const StatValue *)(all + vs * c), h);
  free(all);
  return found;
}

/* The statistic named by helper arguments (map, key), merged over CPUs,
 * with its histogram in *h; NULL for invalid arguments.  Free it. */
static StatValue *stat_arg(Session *s, Interp *in, const uint64_t a[5], StatHist *h) {
  int fd = -1;
  const BoMap *m = map_of(s, a[0], &fd);
  if (!m || !interp_check(in, a[1], m->key_size, false)) return NULL;
  *h = hist_of(global_of_map(s, a[0]));
  StatValue *sv = calloc(1, stat_size(h));
  if (sv) stat_read(s, m, fd, (const void *)(uintptr_t)a[1], sv, h);
  return sv;
}

static void print_hist(Session *s, const StatValue *sv, const StatHist *h) {
  size_t n = stat_print_hist(NULL, 0, sv, h);
  char *buf = malloc(n + 1);
  if (buf) {
    stat_print_hist(buf, n + 1, sv, h);
    fwrite(buf, 1, n, s->out);
  }
  free(buf);
}

void session_print_hist(Session *s, uint32_t map, const void *value, size_t len) {
  int fd = -1;
  if (!map_of(s, (uint64_t)map + 1, &fd)) return;
  StatHist h = hist_of(global_of_map(s, (uint64_t)map + 1));
  size_t size = stat_size(&h);
  if (len < size) return;
  StatValue *sv = malloc(size); /* aligned, as the record may not be */
  if (!sv) return;
  memcpy(sv, value, size);
  print_hist(s, sv, &h);
  free(sv);
}

/* ---- the keys of a map, once ---- */

/* One pass over a hash map's buckets with BPF_MAP_LOOKUP_BATCH (with
 * `del`, BPF_MAP_LOOKUP_AND_DELETE_BATCH, which deletes what it finds):
 * every key in the map as the pass finds it, each once, in the map's own
 * order, into *keys (*n of them; free it).  The pass ends even while the
 * kernel probes keep adding keys (a bucket already passed is not visited
 * again), which a walk with get_next_key does not promise.  False if the
 * kernel cannot do it for this map (the caller walks instead) or memory
 * runs out. */
static bool user_batch_keys(Session *s, const BoMap *m, int fd, bool del, unsigned char **keys,
                            size_t *n) {
  size_t ks = m->key_size, vs = vsize(m) * (size_t)(percpu(m) ? s->ncpus : 1);
  size_t chunk = m->max_entries < 256 ? (m->max_entries ? m->max_entries : 1) : 256;
  size_t cap = chunk, got = 0;
  /* a bucket never holds more than the map can */
  size_t chunk_max = (size_t)m->max_entries * 2 + 64;
  unsigned char *k = malloc(cap * ks), *v = malloc(chunk * vs);
  uint64_t in = 0, out = 0; /* the kernel's cursor (a bucket number) */
  bool first = true, ok = k && v;
  while (ok) {
    if (got + chunk > cap) {
      size_t ncap = cap * 2 > got + chunk ? cap * 2 : got + chunk;
      unsigned char *nk = realloc(k, ncap * ks);
      if (!(ok = nk != NULL)) break;
      k = nk;
      cap = ncap;
    }
    uint32_t count = (uint32_t)chunk;
    int r = del ? bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in, &out, k + got * ks, v,
                                                  &count, NULL)
                : bpf_map_lookup_batch(fd, first ? NULL : &in, &out, k + got * ks, v, &count,
                                       NULL);
    int err = r < 0 ? errno : 0;
    if (r < 0 && err == ENOSPC && count == 0) {
      /* one bucket holds more than chunk keys: a larger chunk */
      unsigned char *nv = chunk * 2 <= chunk_max ? realloc(v, chunk * 2 * vs) : NULL;
      if (!(ok = nv != NULL)) break;
      v = nv;
      chunk *= 2;
      continue;
    }
    if (r < 0 && err != ENOENT) {
      ok = false; /* not for this map or kernel */
      break;
    }
    got += count;
    if (r < 0) break; /* ENOENT: the last buckets were passed */
    first = false;
    in = out;
  }
  free(v);
  if (!ok) {
    free(k);
    return false;
  }
  *keys = k;
  *n = got;
  return true;
}

/* Every key of map fd (m), each at most once, in the map's own order:
 * *n keys of m->key_size bytes (free them), or NULL when out of memory.
 * Where the kernel has no batches, a get_next_key walk, bounded: a key
 * deleted under it restarts it from the first key. */
static unsigned char *user_keys(Session *s, const BoMap *m, int fd, size_t *n) {
  unsigned char *keys;
  if (user_batch_keys(s, m, fd, false, &keys, n)) return keys;
  size_t ks = m->key_size, cap = 64, max = (size_t)m->max_entries * 2 + 16;
  *n = 0;
  keys = malloc(cap * ks);
  if (!keys) return NULL;
  unsigned char *prev = NULL, *next = malloc(ks);
  while (next && *n < max && bpf_map_get_next_key(fd, prev, next) == 0) {
    if (*n == cap) {
      unsigned char *nk = realloc(keys, cap * 2 * ks);
      if (!nk) break;
      keys = nk;
      cap *= 2;
    }
    memcpy(keys + *n * ks, next, ks);
    prev = keys + *n * ks;
    (*n)++;
  }
  free(next);
  return keys;
}

/* delete ARR: every element there is now, once.  Kernel probes may add
 * elements meanwhile (each bpf() call of this very deletion may fire
 * one); those stay, as after stap's delete.  False when out of memory. */
static bool user_clear(Session *s, const BoMap *m, int fd) {
  unsigned char *keys;
  size_t n;
  if (user_batch_keys(s, m, fd, true, &keys, &n)) {
    free(keys);
    return true;
  }
  if (!(keys = user_keys(s, m, fd, &n))) return false;
  for (size_t i = 0; i < n; i++) bpf_map_delete_elem(fd, keys + i * m->key_size);
  free(keys);
  return true;
}

/* ---- foreach ---- */

typedef struct SortItem {
  const unsigned char *key;
  int64_t num;      /* value or stat extractor */
  const char *str;  /* string value */
} SortItem;

/* How a foreach sorts (qsort_r's argument). */
typedef struct SortSpec {
  const BoGlobal *g;
  int field, dir;
} SortSpec;

static int cmp_key(const SortSpec *sp, const SortItem *a, const SortItem *b, int field) {
  const BoGlobal *g = sp->g;
  size_t off = 0;
  for (int i = 0; i < field; i++) off += g->index_size[i];
  if (g->index[field] == BO_STRING)
    return strncmp((const char *)a->key + off, (const char *)b->key + off, g->index_size[field]);
  int64_t x, y;
  memcpy(&x, a->key + off, 8);
  memcpy(&y, b->key + off, 8);
  return x < y ? -1 : x > y;
}

static int cmp_items(const void *pa, const void *pb, void *spec) {
  const SortItem *a = pa, *b = pb;
  const SortSpec *sp = spec;
  int c = 0;
  if (sp->field == BO_SORT_VALUE) {
    if (a->str) c = strcmp(a->str, b->str);
    else c = a->num < b->num ? -1 : a->num > b->num;
  } else {
    c = cmp_key(sp, a, b, sp->field - BO_SORT_KEY0);
  }
  if (sp->dir == BO_SORT_DESC) c = -c;
  if (c) return c;
  /* ties: by the keys, ascending */
  for (uint32_t i = 0; i < sp->g->arity && !c; i++) c = cmp_key(sp, a, b, (int)i);
  return c;
}

static uint64_t foreach_start(Session *s, uint64_t handle, uint64_t spec, int64_t limit) {
  int fd = -1;
  const BoMap *m = map_of(s, handle, &fd);
  const BoGlobal *g = global_of_map(s, handle);
  if (!m || !g) return 0;
  Iter *it = calloc(1, sizeof *it);
  if (!it) return 0;
  size_t ks = m->key_size;
  it->ks = ks;
  it->keys = user_keys(s, m, fd, &it->n);
  if (!it->keys) {
    free(it);
    return 0;
  }
  int field = (int)(spec & 0xff), dir = (int)(spec >> 8 & 0xff), which = (int)(spec >> 16 & 0xff);
  if (field != BO_SORT_NONE || limit >= 0) {
    SortItem *items = calloc(it->n + 1, sizeof *items);
    size_t vs = vsize(m);
    unsigned char *val = malloc(vs * (size_t)(percpu(m) ? s->ncpus : 1));
    StatHist h = hist_of(g);
    for (size_t i = 0; i < it->n; i++) {
      items[i].key = it->keys + i * ks;
      if (field != BO_SORT_VALUE) continue;
      if (g->type == BO_STATS) {
        StatValue *sv = calloc(1, stat_size(&h));
        stat_read(s, m, fd, items[i].key, sv, &h);
        items[i].num = stat_extract(sv, (StatWhich)which, 0);
        free(sv);
      } else if (bpf_map_lookup_elem(fd, items[i].key, val) == 0) {
        if (g->type == BO_STRING) items[i].str = strndup((const char *)val, m->value_size);
        else memcpy(&items[i].num, val, 8);
      }
      if (g->type == BO_STRING && !items[i].str) items[i].str = strdup("");
    }
    free(val);
    if (field != BO_SORT_NONE) {
      SortSpec sp = {.g = g, .field = field, .dir = dir};
      qsort_r(items, it->n, sizeof *items, cmp_items, &sp);
    }
    unsigned char *sorted = malloc(it->n * ks + 1);
    for (size_t i = 0; i < it->n; i++) {
      memcpy(sorted + i * ks, items[i].key, ks);
      free((void *)items[i].str);
    }
    free(items);
    free(it->keys);
    it->keys = sorted;
    if (limit >= 0 && (size_t)limit < it->n) it->n = (size_t)limit;
  }
  if (s->niters == s->iters_cap) {
    s->iters_cap = s->iters_cap ? s->iters_cap * 2 : 8;
    s->iters = realloc(s->iters, s->iters_cap * sizeof *s->iters);
  }
  s->iters[s->niters++] = it;
  /* the iterator id: its index + 1, with the key size kept alongside */
  return s->niters;
}

/* ---- regular expressions (BO_H_REGEX, see bo.h's BoRegex) ---- */

typedef struct UserRegex {
  struct { uint64_t off; Regex *re; } *cache; /* compiled, by map offset */
  size_t ncache;
  /* the last match: its pattern, subject, whole match and groups */
  const Regex *re;
  bool matched;
  char *subject;
  size_t start, end;
  long *groups;         /* 2 * (ngroups + 1), once asked for */
  bool have_groups;
} UserRegex;

/* The pattern at offset off of the patterns' map (handle), compiled. */
static const Regex *user_regex(Session *s, Interp *in, uint64_t handle, uint64_t off) {
  UserRegex *u = s->regex;
  for (size_t i = 0; i < u->ncache; i++)
    if (u->cache[i].off == off) return u->cache[i].re;
  int fd;
  const BoMap *m = map_of(s, handle, &fd);
  if (!m || !m->init || off > m->value_size || m->value_size - off < sizeof(BoRegex)) return NULL;
  BoRegex h;
  memcpy(&h, (const char *)m->init + off, sizeof h);
  uint64_t at = off + h.pattern_off;
  if (at > m->value_size || m->value_size - at <= h.pattern_len) return NULL;
  ReError err;
  Regex *re = re_compile((const char *)m->init + at, h.pattern_len, &err);
  if (!re) {
    interp_fail(in, "regular expression at %" PRIu64 ": %s", off, err.msg);
    return NULL;
  }
  void *c = realloc(u->cache, (u->ncache + 1) * sizeof *u->cache);
  if (!c) {
    re_free(re);
    return NULL;
  }
  u->cache = c;
  u->cache[u->ncache].off = off;
  u->cache[u->ncache++].re = re;
  return re;
}

static bool regex_helper(Session *s, Interp *in, const uint64_t a[5], uint64_t *ret) {
  size_t S = s->obj.limits.maxstringlen;
  if (!s->regex && !(s->regex = calloc(1, sizeof *s->regex))) return false;
  UserRegex *u = s->regex;
  switch (a[0]) {
  case BO_RE_MATCH: {
    const Regex *re = user_regex(s, in, a[1], a[2]);
    if (!re) return false;
    if (!u->subject && !(u->subject = malloc(S))) return false;
    const char *str = (const char *)(uintptr_t)a[3];
    size_t n = 0;
    while (n + 1 < S && interp_check(in, a[3] + n, 1, false) && str[n]) n++;
    if (n && !interp_check(in, a[3], n, false)) return false;
    memcpy(u->subject, str, n);
    u->subject[n] = 0;
    u->re = re;
    u->have_groups = false;
    u->matched = re_search(re, u->subject, n, &u->start, &u->end);
    *ret = u->matched;
    return true;
  }
  case BO_RE_MATCHED: {
    int64_t k = (int64_t)a[1];
    char *dst = (char *)(uintptr_t)a[2], *msg = (char *)(uintptr_t)a[3];
    if (!interp_check(in, a[2], S, true) || !interp_check(in, a[3], S, true)) return false;
    *ret = (uint64_t)-1;
    if (!u->matched) {
      snprintf(msg, S, "Attempted to get subexpression %" PRId64 " from failed match", k);
      return true;
    }
    if (k < 0 || k > re_ngroups(u->re)) {
      snprintf(msg, S, "Attempted to get nonexistent subexpression %" PRId64, k);
      return true;
    }
    if (!u->have_groups) {
      long *gr = realloc(u->groups, 2 * ((size_t)re_ngroups(u->re) + 1) * sizeof *gr);
      if (!gr) return false;
      u->groups = gr;
      if (!re_groups(u->re, u->subject, S, u->start, u->end, gr)) return false;
      u->have_groups = true;
    }
    long b = u->groups[2 * k], e = u->groups[2 * k + 1];
    size_t len = b < 0 || e < b ? 0 : (size_t)(e - b);
    if (len > S - 1) len = S - 1;
    memcpy(dst, u->subject + (b < 0 ? 0 : b), len);
    dst[len] = 0;
    *ret = 0;
    return true;
  }
  case BO_RE_NGROUPS: {
    char *msg = (char *)(uintptr_t)a[1];
    if (!interp_check(in, a[1], S, true)) return false;
    if (!u->matched) {
      snprintf(msg, S, "Attempted to get subexpression count from failed match");
      *ret = (uint64_t)-1;
      return true;
    }
    *ret = (uint64_t)re_ngroups(u->re) + 1;
    return true;
  }
  }
  return false;
}

static void regex_free(Session *s) {
  UserRegex *u = s->regex;
  if (!u) return;
  for (size_t i = 0; i < u->ncache; i++) re_free(u->cache[i].re);
  free(u->cache);
  free(u->subject);
  free(u->groups);
  free(u);
  s->regex = NULL;
}

/* ---- symbols (BO_H_SYMBOL) ---- */

/* What is known of a code address, as BO_SYM_* says, into dst
 * (maxstringlen bytes): 0, or -1 for a module no one holds. */
static bool symbol_helper(Session *s, Interp *in, const uint64_t a[5], uint64_t *ret) {
  size_t S = s->obj.limits.maxstringlen;
  if (!interp_check(in, a[2], S, true)) return false;
  char *dst = (char *)(uintptr_t)a[2];
  unsigned what = (unsigned)a[0];
  Symbols *sy = session_symbols(s);
  SymInfo si = {0};
  if (sy && what & BO_SYM_USER) symbols_user(sy, session_user_task(s), a[1], &si);
  else if (sy) symbols_kernel(sy, a[1], &si);
  SymForm form = (what & 3) == BO_SYM_NAME ? SYM_NAME : (what & 3) == BO_SYM_DATA ? SYM_DATA
                                                                                 : SYM_MODULE;
  *ret = 0;
  if (form == SYM_MODULE && !si.module) {
    dst[0] = 0;
    *ret = (uint64_t)-1;
    return true;
  }
  symbols_format(dst, S, a[1], &si, form);
  return true;
}

/* ---- the helper dispatcher ---- */

static bool helper(Interp *in, void *user, int32_t id, const uint64_t a[5], uint64_t *ret) {
  Session *s = user;
  int fd = -1;
  const BoMap *m;
  *ret = 0;
  switch (id) {
  case BPF_FUNC_map_lookup_elem: {
    if (!(m = map_of(s, a[0], &fd))) break;
    if (a[0] - 1 == s->obj.globals_map) {
      *ret = (uint64_t)(uintptr_t)s->globals;
      return true;
    }
    if (a[0] - 1 == s->obj.scratch_map) {
      *ret = (uint64_t)(uintptr_t)s->scratch;
      return true;
    }
    if (!interp_check(in, a[1], m->key_size, false)) break;
    size_t vs = vsize(m);
    unsigned char *v = run_buf(s, vs * (size_t)(percpu(m) ? s->ncpus : 1));
    if (!v) break;
    if (bpf_map_lookup_elem(fd, (void *)(uintptr_t)a[1], v) == 0) {
      interp_add_region(in, v, vs, true);
      *ret = (uint64_t)(uintptr_t)v;
    }
    return true;
  }
  case BPF_FUNC_map_update_elem: {
    if (!(m = map_of(s, a[0], &fd))) break;
    if (!interp_check(in, a[1], m->key_size, false) ||
        !interp_check(in, a[2], m->value_size, false))
      break;
    long r;
    if (percpu(m)) {
      size_t vs = vsize(m);
      unsigned char *all = calloc((size_t)s->ncpus, vs);
      bpf_map_lookup_elem(fd, (void *)(uintptr_t)a[1], all);
      memcpy(all, (void *)(uintptr_t)a[2], m->value_size);
      r = bpf_map_update_elem(fd, (void *)(uintptr_t)a[1], all, a[3]);
      free(all);
    } else {
      r = bpf_map_update_elem(fd, (void *)(uintptr_t)a[1], (void *)(uintptr_t)a[2], a[3]);
    }
    *ret = (uint64_t)(r < 0 ? -errno : 0);
    return true;
  }
  case BPF_FUNC_map_delete_elem:
    if (!(m = map_of(s, a[0], &fd)) || !interp_check(in, a[1], m->key_size, false)) break;
    *ret = (uint64_t)(bpf_map_delete_elem(fd, (void *)(uintptr_t)a[1]) < 0 ? -errno : 0);
    return true;
  case BPF_FUNC_ringbuf_output:
    if (!interp_check(in, a[1], a[2], false)) break;
    session_record(s, (const void *)(uintptr_t)a[1], a[2]);
    return true;
  case BPF_FUNC_probe_read_kernel_str: {
    if (!a[1] || !interp_check(in, a[0], a[1], true)) break;
    char *dst = (char *)(uintptr_t)a[0];
    size_t n = 0;
    while (n + 1 < a[1] && interp_check(in, a[2] + n, 1, false) &&
           ((const char *)(uintptr_t)a[2])[n])
      n++;
    if (n && !interp_check(in, a[2], n, false)) {
      *ret = (uint64_t)-EFAULT;
      return true;
    }
    memmove(dst, (const char *)(uintptr_t)a[2], n);
    dst[n] = 0;
    *ret = n + 1;
    return true;
  }
  case BPF_FUNC_probe_read_kernel:
    if (!interp_check(in, a[0], a[1], true)) break;
    if (!interp_check(in, a[2], a[1], false)) {
      memset((void *)(uintptr_t)a[0], 0, a[1]);
      *ret = (uint64_t)-EFAULT;
      return true;
    }
    memmove((void *)(uintptr_t)a[0], (const void *)(uintptr_t)a[2], a[1]);
    return true;
  case BPF_FUNC_probe_read_user_str:
    *ret = (uint64_t)-EFAULT;
    return true;
  case BPF_FUNC_ktime_get_ns: {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    *ret = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return true;
  }
  case BPF_FUNC_jiffies64: {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    *ret = (uint64_t)ts.tv_sec * 250 + (uint64_t)ts.tv_nsec / 4000000;
    return true;
  }
  case BPF_FUNC_get_current_pid_tgid:
    *ret = (uint64_t)getpid() << 32 | (uint32_t)gettid();
    return true;
  case BPF_FUNC_get_current_uid_gid:
    *ret = (uint64_t)getgid() << 32 | getuid();
    return true;
  case BPF_FUNC_get_current_comm: {
    if (!interp_check(in, a[0], a[1], true)) break;
    char name[17] = "";
    prctl(PR_GET_NAME, name);
    size_t n = strnlen(name, a[1] ? a[1] - 1 : 0);
    memcpy((void *)(uintptr_t)a[0], name, n);
    ((char *)(uintptr_t)a[0])[n] = 0;
    return true;
  }
  case BPF_FUNC_get_smp_processor_id: {
    int c = sched_getcpu();
    *ret = (uint64_t)(c < 0 ? 0 : c);
    return true;
  }
  case BPF_FUNC_get_prandom_u32:
    *ret = (uint32_t)random();
    return true;
  case BO_H_FOREACH_START:
    *ret = foreach_start(s, a[0], a[1], (int64_t)a[2]);
    return true;
  case BO_H_FOREACH_NEXT: {
    if (a[0] == 0 || a[0] > s->niters) break;
    Iter *it = s->iters[a[0] - 1];
    if (!it || it->pos >= it->n) return true;
    if (!interp_check(in, a[1], it->ks, true)) break;
    memcpy((void *)(uintptr_t)a[1], it->keys + it->pos * it->ks, it->ks);
    it->pos++;
    *ret = 1;
    return true;
  }
  case BO_H_FOREACH_END:
    if (a[0] && a[0] <= s->niters && s->iters[a[0] - 1]) {
      free(s->iters[a[0] - 1]->keys);
      free(s->iters[a[0] - 1]);
      s->iters[a[0] - 1] = NULL;
    }
    return true;
  case BO_H_MAP_CLEAR: {
    if (!(m = map_of(s, a[0], &fd))) break;
    if (m->type == BPF_MAP_TYPE_ARRAY || m->type == BPF_MAP_TYPE_PERCPU_ARRAY) {
      /* a scalar statistic: its one element (every CPU's copy) zeroed */
      void *zero = calloc(percpu(m) ? (size_t)s->ncpus : 1, vsize(m));
      uint32_t k0 = 0;
      bool ok = zero && bpf_map_update_elem(fd, &k0, zero, BPF_ANY) == 0;
      free(zero);
      if (!ok) break;
      return true;
    }
    if (!user_clear(s, m, fd)) break;
    return true;
  }
  case BO_H_STAT_GET: {
    if (!interp_check(in, a[3], 8, true)) break;
    StatHist h;
    StatValue *sv = stat_arg(s, in, a, &h);
    if (!sv) break;
    int which = (int)(a[2] & 0xff), shift = (int)(a[2] >> 8 & 0xff);
    /* an empty aggregate: the program raises the error (a try may
     * catch it) */
    if (sv->count == 0 && which != STAT_W_COUNT && which != STAT_W_SUM) {
      *ret = (uint64_t)-1;
    } else {
      int64_t v = stat_extract(sv, (StatWhich)which, shift);
      memcpy((void *)(uintptr_t)a[3], &v, 8);
    }
    free(sv);
    return true;
  }
  case BO_H_PRINT_HIST: {
    StatHist h;
    StatValue *sv = stat_arg(s, in, a, &h);
    if (!sv) break;
    print_hist(s, sv, &h);
    free(sv);
    return true;
  }
  case BO_H_SPRINTF: {
    size_t S = s->obj.limits.maxstringlen;
    if (!interp_check(in, a[0], S, true)) break;
    /* the arguments: at most the rest of scratch */
    size_t avail = (size_t)(s->scratch + s->obj.scratch_size - (unsigned char *)(uintptr_t)a[2]);
    if (!interp_check(in, a[2], 1, false) || avail > s->obj.scratch_size) break;
    session_render(s, (uint32_t)a[1], (const unsigned char *)(uintptr_t)a[2], avail,
                   (char *)(uintptr_t)a[0], S);
    return true;
  }
  case BO_H_REGEX:
    if (!regex_helper(s, in, a, ret)) break;
    return true;
  case BO_H_SYMBOL:
    if (!symbol_helper(s, in, a, ret)) break;
    return true;
  default:
    interp_fail(in, "helper %d is not available to user probes", id);
    return false;
  }
  interp_fail(in, "helper %d: invalid arguments", id);
  return false;
}

static bool map_ref(Interp *in, void *user, uint32_t index, uint64_t *value) {
  Session *s = user;
  (void)in;
  if (index >= s->obj.nmaps) return false;
  *value = (uint64_t)index + 1;
  return true;
}

/* A signal has come since the program started: it stops (InterpEnv). */
static bool user_interrupted(void *user) { return session_signalled(user); }

/* "probe POINT at FILE:LINE:COL" for instruction insn of user program
 * prog: the probe point whose program it is and the script line the
 * instruction came from (what the object knows of them) into buf. */
static const char *user_where(Session *s, uint32_t prog, size_t insn, char *buf, size_t cap) {
  const BoProg *p = &s->obj.progs[prog];
  const char *point = NULL;
  for (uint32_t i = 0; i < s->obj.nprobes && !point; i++)
    if (s->obj.probes[i].prog == prog) point = s->obj.probes[i].point;
  const BoLine *line = NULL;
  for (uint32_t i = 0; i < p->nlines && p->lines[i].insn <= insn; i++) line = &p->lines[i];
  int n = snprintf(buf, cap, "probe %s", point ? point : p->name);
  if (line && line->file < s->obj.nfiles && n >= 0 && (size_t)n < cap)
    snprintf(buf + n, cap - (size_t)n, " at %s:%u:%u", s->obj.files[line->file], line->line,
             line->col);
  return buf;
}

void session_run_user(Session *s, uint32_t prog) {
  if (prog >= s->obj.nprogs) return;
  const BoProg *p = &s->obj.progs[prog];
  if (!s->interp) {
    /* recursive script functions are BPF-to-BPF calls: MAXNESTING of
     * them (at most BO_MAX_RECURSION), in frames of their own (the
     * outermost is the probe's) */
    size_t frames = (size_t)s->obj.limits.maxnesting + 2;
    if (frames > INTERP_FRAMES_LIMIT) frames = INTERP_FRAMES_LIMIT;
    InterpEnv env = {.user = s, .helper = helper, .map = map_ref, .max_frames = frames,
                     .interrupted = user_interrupted};
    s->interp = interp_new(&env);
    if (!s->interp) {
      fprintf(stderr, "ERROR: out of memory for the user probes' interpreter\n");
      s->errors++;
      s->exiting = true;
      return;
    }
  }
  interp_add_region(s->interp, s->globals, s->globals_size, true);
  interp_add_region(s->interp, s->scratch, s->obj.scratch_size, true);
  if (s->symbols) symbols_refresh(s->symbols); /* the processes' mappings change */
  uint64_t r;
  /* MAXACTION bounds loops in the generated code; the budget only stops
   * a corrupt program */
  bool ok = interp_run(s->interp, p->insns, p->ninsns, 0, 100000000, &r);
  if (!ok && interp_interrupted(s->interp)) {
    /* a signal: the program stops, as does the session, without error */
    s->exiting = true;
  } else if (!ok) {
    char where[512];
    fflush(s->out);
    fprintf(stderr, "ERROR: %s failed: %s\n",
            user_where(s, prog, interp_error_insn(s->interp), where, sizeof where),
            interp_error(s->interp));
    s->errors++;
    s->exiting = true;
  }
  for (size_t i = 0; i < s->nbufs; i++) free(s->bufs[i]);
  s->nbufs = 0;
  for (size_t i = 0; i < s->niters; i++)
    if (s->iters[i]) {
      free(s->iters[i]->keys);
      free(s->iters[i]);
    }
  s->niters = 0;
}

void session_free_user(Session *s) {
  regex_free(s);
  symbols_free(s->symbols);
  s->symbols = NULL;
  interp_free(s->interp);
  free(s->map_globals);
  free(s->bufs);
  free(s->iters);
}
