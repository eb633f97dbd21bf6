/* regex: stap's regular expressions (see regex.h for the dialect).
 *
 * A pattern is parsed into a tree (concatenations and alternations are
 * n-ary; `+`, `?` and counted repetitions are rewritten with copies of
 * their operand, so the tree has only sets of bytes, anchors, groups,
 * stars, concatenations and alternations), and the tree into a Thompson
 * NFA in which every node owns an entry and an exit state.  Then:
 *
 *   - re_search simulates the NFA once over the subject, restarting it
 *     at every position, and keeps for each NFA state only the thread
 *     that started first (it reaches whatever the later ones reach), so
 *     the first start that leads to a match, and the longest match from
 *     it, come out in one pass;
 *   - re_groups walks the tree over the match top-down: a concatenation
 *     gives its first part the longest span that still lets the rest
 *     match, a star takes the longest iterations from the left, an
 *     alternation the first alternative that matches the span.  "Can
 *     node N match s[i..j)" is answered by running N's part of the NFA
 *     forwards from i, which yields every j at once, or backwards (over
 *     the reversed edges) from j, which yields every i (bitsets,
 *     memoized), so a match costs about its length times the pattern's
 *     size per node;
 *   - re_dfa builds the searching automaton by subset construction over
 *     byte classes (bytes no set tells apart share a class); its states
 *     are sets of the NFA's byte-consuming and `$` states.  Anchors are
 *     zero-width conditions: `^` holds only in the first closure, `$`
 *     only when the NUL is read. */
#include "runtime/common/regex.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N_EMPTY, N_SET, N_BOL, N_EOL, N_CAT, N_ALT, N_STAR, N_GROUP };
/* N_STAR: an X+ or X{m,} tail, never an empty iteration of its own;
 * N_ALT: an optional tail of X{m,n}, empty when its span is. */
enum { F_NOEMPTY = 1, F_TAIL = 2 };

enum { MAX_NODES = 20000, MAX_DEPTH = 400, MAX_STATES = 60000 };

typedef struct Set {
  uint64_t w[4];
} Set;

static bool set_has(const Set *s, unsigned b) { return s->w[b >> 6] >> (b & 63) & 1; }
static void set_add(Set *s, unsigned b) { s->w[b >> 6] |= UINT64_C(1) << (b & 63); }

typedef struct Node {
  uint8_t kind, flags;
  int16_t depth;      /* nesting below it, for the recursion bound */
  int32_t a, n;       /* N_CAT, N_ALT: kids[a .. a+n); N_STAR, N_GROUP: child a */
  int32_t arg;        /* N_SET: the set; N_GROUP: its number */
  int32_t in, out;    /* its NFA states: it has those in [in, hi) */
  int32_t hi;
} Node;

/* NFA states.  S_SET consumes a byte of set y and goes to x; S_BOL and
 * S_EOL go to x where their anchor holds. */
enum { S_EPS, S_SPLIT, S_SET, S_BOL, S_EOL };
typedef struct NState {
  uint8_t op;
  int32_t x, y;
} NState;

struct Regex {
  Node *nodes;
  int32_t nnodes, nodes_cap;
  int32_t *kids;
  int32_t nkids, kids_cap;
  Set *sets;
  int32_t nsets, sets_cap;
  NState *st;
  int32_t nst, st_cap;
  /* the states' predecessors: pred[pred_at[k] .. pred_at[k+1]) with the
   * kind of the edge (S_EPS for SPLIT's too) */
  int32_t *pred_at, *pred;
  uint8_t *pred_op;
  int32_t root;
  int ngroups;
};

/* ---- Growing arrays ---- */

static bool grow(void **p, int32_t *cap, int32_t need, size_t size) {
  if (need <= *cap) return true;
  int32_t c = *cap ? *cap : 16;
  while (c < need) c *= 2;
  void *q = realloc(*p, (size_t)c * size);
  if (!q) return false;
  *p = q;
  *cap = c;
  return true;
}

/* ---- Parser ---- */

typedef struct Parser {
  Regex *re;
  const unsigned char *p;
  size_t len, pos;
  ReError *err;
  bool failed;
  int parens;
} Parser;

__attribute__((format(printf, 3, 4))) static int fail_at(Parser *P, size_t pos,
                                                         const char *fmt, ...) {
  if (!P->failed) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(P->err->msg, sizeof P->err->msg, fmt, ap);
    va_end(ap);
    P->err->pos = pos;
    P->failed = true;
  }
  return -1;
}

static int new_node(Parser *P, int kind, int32_t a, int32_t n, int32_t arg) {
  Regex *re = P->re;
  if (re->nnodes >= MAX_NODES) return fail_at(P, P->pos, "regular expression too large");
  if (!grow((void **)&re->nodes, &re->nodes_cap, re->nnodes + 1, sizeof *re->nodes))
    return fail_at(P, P->pos, "out of memory");
  int depth = 0;
  if (kind == N_STAR || kind == N_GROUP) depth = re->nodes[a].depth + 1;
  if (kind == N_CAT || kind == N_ALT)
    for (int32_t i = 0; i < n; i++)
      if (re->nodes[re->kids[a + i]].depth + 1 > depth) depth = re->nodes[re->kids[a + i]].depth + 1;
  if (depth > MAX_DEPTH) return fail_at(P, P->pos, "regular expression nested too deeply");
  re->nodes[re->nnodes] = (Node){.kind = (uint8_t)kind, .depth = (int16_t)depth, .a = a, .n = n,
                                 .arg = arg, .in = -1, .out = -1};
  return re->nnodes++;
}

/* A node over list[0..n) (N_CAT or N_ALT); one item is itself. */
static int new_list(Parser *P, int kind, const int32_t *list, int32_t n) {
  if (n == 1) return list[0];
  Regex *re = P->re;
  if (!grow((void **)&re->kids, &re->kids_cap, re->nkids + n, sizeof *re->kids))
    return fail_at(P, P->pos, "out of memory");
  int32_t a = re->nkids;
  memcpy(re->kids + a, list, (size_t)n * sizeof *list);
  re->nkids += n;
  return new_node(P, kind, a, n, 0);
}

static int new_pair(Parser *P, int kind, int32_t x, int32_t y) {
  int32_t l[2] = {x, y};
  return new_list(P, kind, l, 2);
}

static int new_set(Parser *P, const Set *s) {
  Regex *re = P->re;
  if (!grow((void **)&re->sets, &re->sets_cap, re->nsets + 1, sizeof *re->sets))
    return fail_at(P, P->pos, "out of memory");
  re->sets[re->nsets] = *s;
  return new_node(P, N_SET, 0, 0, re->nsets++);
}

/* A copy of the tree at n (groups keep their numbers). */
static int clone(Parser *P, int32_t n) {
  Node c = P->re->nodes[n];
  if (c.kind == N_STAR || c.kind == N_GROUP) {
    int a = clone(P, c.a);
    if (a < 0) return -1;
    int k = new_node(P, c.kind, a, 0, c.arg);
    if (k >= 0) P->re->nodes[k].flags = c.flags;
    return k;
  }
  if (c.kind == N_CAT || c.kind == N_ALT) {
    int32_t *l = malloc((size_t)c.n * sizeof *l);
    if (!l) return fail_at(P, P->pos, "out of memory");
    for (int32_t i = 0; i < c.n; i++)
      if ((l[i] = clone(P, P->re->kids[c.a + i])) < 0) {
        free(l);
        return -1;
      }
    int k = new_list(P, c.kind, l, c.n);
    free(l);
    if (k >= 0) P->re->nodes[k].flags = c.flags;
    return k;
  }
  if (c.kind == N_SET) {
    Set copy = P->re->sets[c.arg]; /* new_set may move the sets */
    return new_set(P, &copy);
  }
  return new_node(P, c.kind, 0, 0, c.arg);
}

/* x{m,n} (n < 0: no upper bound) as copies of x:
 * x x ... x (m times), then x* (a tail: no empty iteration when m > 0),
 * or (x (x (...)?)?)? with n - m copies (tails after the first). */
static int repeat(Parser *P, int32_t x, long m, long n) {
  if (m == 0 && n < 0) return new_node(P, N_STAR, x, 0, 0);
  if (n == 0) return new_node(P, N_EMPTY, 0, 0, 0);
  int32_t parts[RE_DUP_MAX + 2];
  int32_t np = 0;
  for (long i = 0; i < m; i++) {
    int c = i == 0 ? x : clone(P, x);
    if (c < 0) return -1;
    parts[np++] = c;
  }
  int tail = -1;
  if (n < 0) {
    int c = clone(P, x);
    if (c < 0 || (tail = new_node(P, N_STAR, c, 0, 0)) < 0) return -1;
    P->re->nodes[tail].flags = F_NOEMPTY;
  } else {
    for (long k = n - m; k-- > 0;) {
      int c = m == 0 && k == 0 ? x : clone(P, x);
      if (c < 0) return -1;
      if (tail >= 0 && (c = new_pair(P, N_CAT, c, tail)) < 0) return -1;
      int e = new_node(P, N_EMPTY, 0, 0, 0);
      if (e < 0 || (tail = new_pair(P, N_ALT, c, e)) < 0) return -1;
      if (m > 0 || k > 0) P->re->nodes[tail].flags = F_TAIL;
    }
  }
  if (tail >= 0) parts[np++] = tail;
  return new_list(P, N_CAT, parts, np);
}

static bool in_class(const char *name, size_t len, unsigned c) {
#define IS(s) (len == sizeof(s) - 1 && memcmp(name, s, len) == 0)
  bool upper = c >= 'A' && c <= 'Z', lower = c >= 'a' && c <= 'z', digit = c >= '0' && c <= '9';
  if (IS("alpha")) return upper || lower;
  if (IS("digit")) return digit;
  if (IS("alnum")) return upper || lower || digit;
  if (IS("upper")) return upper;
  if (IS("lower")) return lower;
  if (IS("space")) return c == ' ' || (c >= '\t' && c <= '\r');
  if (IS("blank")) return c == ' ' || c == '\t';
  if (IS("punct")) return c > ' ' && c < 127 && !upper && !lower && !digit;
  if (IS("print")) return c >= ' ' && c < 127;
  if (IS("graph")) return c > ' ' && c < 127;
  if (IS("cntrl")) return c < ' ' || c == 127;
  if (IS("xdigit")) return digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
#undef IS
  return false;
}

static bool class_name_ok(const char *name, size_t len) {
  static const char *const names[] = {"alpha", "digit", "alnum", "upper", "lower", "space",
                                      "blank", "punct", "print", "graph", "cntrl", "xdigit"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0) return true;
  return false;
}

/* One element of a bracket expression at P->pos: a byte (returns it) or
 * a [:class:] added to *s (returns 256); -1 on error. */
static int bracket_elem(Parser *P, Set *s, size_t open) {
  const unsigned char *p = P->p;
  if (P->pos >= P->len) return fail_at(P, open, "unclosed character class");
  unsigned c = p[P->pos];
  if (c == '[' && P->pos + 1 < P->len && strchr(":.=", p[P->pos + 1])) {
    char kind = (char)p[P->pos + 1];
    size_t b = P->pos + 2, e = b;
    while (e + 1 < P->len && !(p[e] == (unsigned char)kind && p[e + 1] == ']')) e++;
    if (e + 1 >= P->len)
      return fail_at(P, P->len, "unclosed character class '[%c%.*s'", kind, (int)(P->len - b),
                     (const char *)p + b);
    P->pos = e + 2;
    if (kind == ':') {
      if (!class_name_ok((const char *)p + b, e - b))
        return fail_at(P, b, "unknown character class '%.*s'", (int)(e - b), (const char *)p + b);
      for (unsigned k = 1; k < 256; k++)
        if (in_class((const char *)p + b, e - b, k)) set_add(s, k);
      return 256;
    }
    if (e - b != 1)
      return fail_at(P, b, "unsupported collating element '%.*s'", (int)(e - b),
                     (const char *)p + b);
    return p[b];
  }
  if (c == '\\') {
    if (++P->pos >= P->len) return fail_at(P, open, "unclosed character class");
    c = p[P->pos];
  }
  P->pos++;
  return (int)c;
}

static int parse_bracket(Parser *P) {
  size_t open = P->pos++;
  Set s = {{0}};
  bool neg = false;
  if (P->pos < P->len && P->p[P->pos] == '^') {
    neg = true;
    P->pos++;
  }
  for (bool first = true;; first = false) {
    if (P->pos >= P->len) return fail_at(P, open, "unclosed character class");
    if (P->p[P->pos] == ']' && !first) {
      P->pos++;
      break;
    }
    size_t at = P->pos;
    int lo = first && P->p[P->pos] == ']' ? (P->pos++, ']') : bracket_elem(P, &s, open);
    if (lo < 0) return -1;
    if (lo < 256 && P->pos + 1 < P->len && P->p[P->pos] == '-' && P->p[P->pos + 1] != ']') {
      P->pos++;
      int hi = bracket_elem(P, &s, open);
      if (hi < 0) return -1;
      if (hi == 256) return fail_at(P, at, "a character class cannot end a range");
      if (hi < lo) return fail_at(P, P->pos - 1, "inverted character range %c-%c", lo, hi);
      for (int k = lo; k <= hi; k++) set_add(&s, (unsigned)k);
    } else if (lo < 256) {
      set_add(&s, (unsigned)lo);
    }
  }
  if (neg)
    for (int k = 0; k < 4; k++) s.w[k] = ~s.w[k];
  s.w[0] &= ~UINT64_C(1); /* never the NUL */
  return new_set(P, &s);
}

/* A count of a {m,n}: digits at P->pos. */
static long parse_count(Parser *P, const char *what) {
  if (P->pos >= P->len || P->p[P->pos] < '0' || P->p[P->pos] > '9')
    return fail_at(P, P->pos, "%s", what);
  size_t at = P->pos;
  long v = 0;
  while (P->pos < P->len && P->p[P->pos] >= '0' && P->p[P->pos] <= '9') {
    if (v <= 100000) v = v * 10 + (P->p[P->pos] - '0');
    P->pos++;
  }
  if (v > RE_DUP_MAX)
    return fail_at(P, at, "%.*s is too large (at most %d)", (int)(P->pos - at),
                   (const char *)P->p + at, RE_DUP_MAX);
  return v;
}

static int parse_alt(Parser *P);

static int parse_atom(Parser *P) {
  unsigned c = P->p[P->pos];
  switch (c) {
  case '(': {
    size_t open = P->pos++;
    if (++P->parens > MAX_DEPTH) return fail_at(P, open, "regular expression nested too deeply");
    int g = ++P->re->ngroups;
    int x = parse_alt(P);
    if (x < 0) return -1;
    if (P->pos >= P->len) return fail_at(P, P->pos, "expected ), found end of regex");
    P->pos++;
    P->parens--;
    return new_node(P, N_GROUP, x, 0, g);
  }
  case '[':
    return parse_bracket(P);
  case '.': {
    P->pos++;
    Set s;
    memset(&s, 0xff, sizeof s);
    s.w[0] &= ~UINT64_C(1);
    return new_set(P, &s);
  }
  case '^':
    P->pos++;
    return new_node(P, N_BOL, 0, 0, 0);
  case '$':
    P->pos++;
    return new_node(P, N_EOL, 0, 0, 0);
  case '*': case '+': case '?': case '{':
    return fail_at(P, P->pos, "unexpected '%c'", c);
  case '\\':
    if (++P->pos >= P->len) return fail_at(P, P->pos, "unexpected end of regex");
    c = P->p[P->pos];
    break;
  default:
    break;
  }
  P->pos++;
  Set s = {{0}};
  set_add(&s, c);
  return new_set(P, &s);
}

/* atom { '*' | '+' | '?' | '{' m [ ',' [ n ] ] '}' } */
static int parse_quantified(Parser *P) {
  int x = parse_atom(P);
  while (x >= 0 && P->pos < P->len && strchr("*+?{", P->p[P->pos])) {
    unsigned char q = P->p[P->pos];
    int kind = P->re->nodes[x].kind;
    if (kind == N_BOL || kind == N_EOL)
      return fail_at(P, P->pos, "postfix closure '%c' applied to anchoring operator", q);
    P->pos++;
    long m = 0, n = -1;
    if (q == '+') m = 1;
    else if (q == '?') n = 1;
    else if (q == '{') {
      size_t at = P->pos - 1;
      if ((m = parse_count(P, "expected number")) < 0) return -1;
      n = m;
      if (P->pos < P->len && P->p[P->pos] == ',') {
        P->pos++;
        n = -1;
        if ((P->pos >= P->len || P->p[P->pos] != '}') &&
            (n = parse_count(P, "expected '}' or number")) < 0)
          return -1;
      }
      if (P->pos >= P->len) return fail_at(P, P->pos, "unexpected end of regex");
      if (P->p[P->pos] != '}') return fail_at(P, P->pos, "expected '}'");
      P->pos++;
      if (n >= 0 && n < m)
        return fail_at(P, at, "invalid repetition {%ld,%ld}: the maximum is below the minimum",
                       m, n);
    }
    x = repeat(P, x, m, n);
  }
  return x;
}

/* Parse items until end, '|' or ')' into a list node.  list is scratch. */
static int parse_seq(Parser *P) {
  int32_t *items = NULL, n = 0, cap = 0;
  while (P->pos < P->len && P->p[P->pos] != '|' && P->p[P->pos] != ')') {
    int x = parse_quantified(P);
    if (x < 0 || !grow((void **)&items, &cap, n + 1, sizeof *items)) {
      free(items);
      return x < 0 ? -1 : fail_at(P, P->pos, "out of memory");
    }
    items[n++] = x;
  }
  int r = n ? new_list(P, N_CAT, items, n) : new_node(P, N_EMPTY, 0, 0, 0);
  free(items);
  return r;
}

static int parse_alt(Parser *P) {
  int32_t *alts = NULL, n = 0, cap = 0;
  for (;;) {
    int x = parse_seq(P);
    if (x < 0 || !grow((void **)&alts, &cap, n + 1, sizeof *alts)) {
      free(alts);
      return x < 0 ? -1 : fail_at(P, P->pos, "out of memory");
    }
    alts[n++] = x;
    if (P->pos >= P->len || P->p[P->pos] != '|') break;
    P->pos++;
  }
  int r = new_list(P, N_ALT, alts, n);
  free(alts);
  return r;
}

/* ---- NFA ---- */

static int32_t new_state(Regex *re, int op, int32_t x, int32_t y) {
  if (re->nst >= MAX_STATES ||
      !grow((void **)&re->st, &re->st_cap, re->nst + 1, sizeof *re->st))
    return -1;
  re->st[re->nst] = (NState){.op = (uint8_t)op, .x = x, .y = y};
  return re->nst++;
}

static bool build_node(Regex *re, int32_t k);

/* Give node k (and its subtree) its states, which are those allocated
 * meanwhile; false if out of room. */
static bool build(Regex *re, int32_t k) {
  if (!build_node(re, k)) return false;
  re->nodes[k].hi = re->nst;
  return true;
}

static bool build_node(Regex *re, int32_t k) {
  int32_t in = new_state(re, S_EPS, -1, 0), out = new_state(re, S_EPS, -1, 0);
  if (in < 0 || out < 0) return false;
  re->nodes[k].in = in;
  re->nodes[k].out = out;
  Node nd = re->nodes[k];
  switch (nd.kind) {
  case N_EMPTY:
    re->st[in].x = out;
    return true;
  case N_SET: case N_BOL: case N_EOL: {
    int op = nd.kind == N_SET ? S_SET : nd.kind == N_BOL ? S_BOL : S_EOL;
    int32_t s = new_state(re, op, out, nd.arg);
    if (s < 0) return false;
    re->st[in].x = s;
    return true;
  }
  case N_GROUP: case N_STAR: {
    if (!build(re, nd.a)) return false;
    const Node *c = &re->nodes[nd.a];
    if (nd.kind == N_GROUP) {
      re->st[in].x = c->in;
      re->st[c->out].x = out;
    } else {
      re->st[in] = (NState){.op = S_SPLIT, .x = c->in, .y = out};
      re->st[c->out].x = in;
    }
    return true;
  }
  case N_CAT: {
    int32_t prev = in;
    for (int32_t i = 0; i < nd.n; i++) {
      int32_t c = re->kids[nd.a + i];
      if (!build(re, c)) return false;
      re->st[prev].x = re->nodes[c].in;
      prev = re->nodes[c].out;
    }
    re->st[prev].x = out;
    return true;
  }
  case N_ALT: {
    /* a chain of SPLITs: the first alternative, else the next... */
    for (int32_t i = 0; i < nd.n; i++) {
      int32_t c = re->kids[nd.a + i];
      if (!build(re, c)) return false;
      re->st[re->nodes[c].out].x = out;
    }
    int32_t s = in;
    for (int32_t i = 0; i + 1 < nd.n; i++) {
      re->st[s].op = S_SPLIT;
      re->st[s].x = re->nodes[re->kids[nd.a + i]].in;
      if (i + 2 == nd.n) {
        re->st[s].y = re->nodes[re->kids[nd.a + i + 1]].in;
      } else {
        int32_t next = new_state(re, S_SPLIT, -1, -1);
        if (next < 0) return false;
        re->st[s].y = next;
        s = next;
      }
    }
    return true;
  }
  }
  return false;
}

/* The edges of the NFA backwards, for re_groups. */
static bool predecessors(Regex *re) {
  int32_t n = re->nst;
  re->pred_at = calloc((size_t)n + 2, sizeof *re->pred_at);
  re->pred = malloc(2 * (size_t)n * sizeof *re->pred);
  re->pred_op = malloc(2 * (size_t)n * sizeof *re->pred_op);
  if (!re->pred_at || !re->pred || !re->pred_op) return false;
  /* count into pred_at[t + 2], sum into pred_at[t + 1], fill */
  for (int pass = 0; pass < 2; pass++)
    for (int32_t k = 0; k < n; k++) {
      const NState *t = &re->st[k];
      int32_t to[2] = {t->x, t->op == S_SPLIT ? t->y : -1};
      uint8_t op = t->op == S_SPLIT ? S_EPS : t->op;
      for (int e = 0; e < 2; e++) {
        if (to[e] < 0) continue;
        if (pass == 0) {
          re->pred_at[to[e] + 2]++;
        } else {
          int32_t at = re->pred_at[to[e] + 1]++;
          re->pred[at] = k;
          re->pred_op[at] = op;
        }
      }
      if (pass == 0 && k == n - 1)
        for (int32_t i = 2; i <= n + 1; i++) re->pred_at[i] += re->pred_at[i - 1];
    }
  return true;
}

Regex *re_compile(const char *pat, size_t len, ReError *err) {
  Regex *re = calloc(1, sizeof *re);
  if (!re) {
    snprintf(err->msg, sizeof err->msg, "out of memory");
    err->pos = 0;
    return NULL;
  }
  const char *nul = memchr(pat, 0, len);
  if (nul) len = (size_t)(nul - pat);
  Parser P = {.re = re, .p = (const unsigned char *)pat, .len = len, .err = err};
  int root = parse_alt(&P);
  if (root >= 0 && P.pos < P.len) root = fail_at(&P, P.pos, "unbalanced ')'");
  if (root >= 0) {
    re->root = root;
    if (!build(re, root)) root = fail_at(&P, 0, "regular expression too large");
    else if (!predecessors(re)) root = fail_at(&P, 0, "out of memory");
  }
  if (root < 0) {
    re_free(re);
    return NULL;
  }
  return re;
}

void re_free(Regex *re) {
  if (!re) return;
  free(re->nodes);
  free(re->kids);
  free(re->sets);
  free(re->st);
  free(re->pred_at);
  free(re->pred);
  free(re->pred_op);
  free(re);
}

int re_ngroups(const Regex *re) { return re->ngroups; }

/* ---- Simulation ---- */

/* Threads of the NFA: byte-consuming states, with where they started. */
typedef struct Sim {
  const Regex *re;
  const unsigned char *s;
  size_t n;
  uint32_t *mark; /* per state: the generation that added it */
  uint32_t *mark2; /* backwards: that listed it */
  uint32_t gen;
  int32_t *stack;
  int32_t *list[2];
  size_t *from[2];
  size_t cnt[2];
} Sim;

static bool sim_init(Sim *m, const Regex *re, const char *s, size_t n) {
  memset(m, 0, sizeof *m);
  m->re = re;
  m->s = (const unsigned char *)s;
  m->n = n;
  size_t ns = (size_t)re->nst;
  m->mark = calloc(ns, sizeof *m->mark);
  m->mark2 = calloc(ns, sizeof *m->mark2);
  m->stack = malloc((2 * ns + 1) * sizeof *m->stack); /* a state pushes at most 2 */
  for (int i = 0; i < 2; i++) {
    m->list[i] = malloc(ns * sizeof *m->list[i]);
    m->from[i] = malloc(ns * sizeof *m->from[i]);
  }
  return m->mark && m->mark2 && m->stack && m->list[0] && m->list[1] && m->from[0] &&
         m->from[1];
}

static void sim_free(Sim *m) {
  free(m->mark);
  free(m->mark2);
  free(m->stack);
  for (int i = 0; i < 2; i++) {
    free(m->list[i]);
    free(m->from[i]);
  }
}

/* Add the closure of state `from` at position p (threads that began at
 * `start`) to list l; states this generation already has are skipped.
 * Reaching `stop` is reported (it is not followed). */
static bool closure(Sim *m, int32_t from, size_t p, size_t start, int l, int32_t stop) {
  const NState *st = m->re->st;
  bool hit = false;
  size_t sp = 0;
  m->stack[sp++] = from;
  while (sp) {
    int32_t k = m->stack[--sp];
    if (k < 0 || m->mark[k] == m->gen) continue;
    m->mark[k] = m->gen;
    if (k == stop) {
      hit = true;
      continue;
    }
    switch (st[k].op) {
    case S_EPS:
      m->stack[sp++] = st[k].x;
      break;
    case S_SPLIT:
      m->stack[sp++] = st[k].y; /* x first */
      m->stack[sp++] = st[k].x;
      break;
    case S_SET:
      m->list[l][m->cnt[l]] = k;
      m->from[l][m->cnt[l]++] = start;
      break;
    case S_BOL:
      if (p == 0) m->stack[sp++] = st[k].x;
      break;
    case S_EOL:
      if (p == m->n) m->stack[sp++] = st[k].x;
      break;
    }
  }
  return hit;
}

static size_t subject_len(const char *s, size_t n) {
  const char *z = memchr(s, 0, n);
  return z ? (size_t)(z - s) : n;
}

bool re_search(const Regex *re, const char *s, size_t n, size_t *start, size_t *end) {
  n = subject_len(s, n);
  Sim m;
  if (!sim_init(&m, re, s, n)) {
    sim_free(&m);
    return false;
  }
  const Node *root = &re->nodes[re->root];
  bool found = false;
  size_t bs = 0, be = 0;
  int cur = 0;
  m.gen = 1;
  for (size_t p = 0;; p++) {
    /* cur holds the threads at p, earliest start first; a new one starts
     * here unless a match began earlier */
    if (!found && closure(&m, root->in, p, p, cur, root->out)) {
      found = true;
      bs = be = p;
    }
    if (p == n || (m.cnt[cur] == 0 && found)) break;
    int nx = 1 - cur;
    m.cnt[nx] = 0;
    m.gen++;
    for (size_t i = 0; i < m.cnt[cur]; i++) {
      const NState *t = &re->st[m.list[cur][i]];
      size_t from = m.from[cur][i];
      if (found && from > bs) continue;
      if (!set_has(&re->sets[t->y], m.s[p])) continue;
      if (closure(&m, t->x, p + 1, from, nx, root->out) &&
          (!found || from < bs || (from == bs && p + 1 > be))) {
        found = true;
        bs = from;
        be = p + 1;
      }
    }
    cur = nx;
  }
  sim_free(&m);
  if (found) {
    *start = bs;
    *end = be;
  }
  return found;
}

/* ---- Submatches ---- */

typedef struct Ex {
  Sim m;
  size_t words;        /* per bitset of positions 0..n */
  uint64_t **ends;     /* [node * (n+1) + i]: where node's runs from i end */
  uint64_t **starts;   /* [node * (n+1) + j]: where its runs to j begin */
  uint64_t **rest;     /* [kid * (n+1) + j]: where runs of a concatenation's
                          remainder from that kid on to j begin */
  int32_t *parent;     /* per node: the concatenation it is a kid of */
  int32_t *last;       /* per node: its concatenation's last kid */
  long *groups;
} Ex;

/* Walk back from state `from` at position p: the states that lead to it
 * without a byte, those in [lo, hi) only; the byte-consuming ones go to
 * list l.  True if state `in` is among them. */
static bool back_closure(Sim *m, int32_t from, size_t p, int l, int32_t in, int32_t lo,
                         int32_t hi) {
  const Regex *re = m->re;
  bool hit = false;
  size_t sp = 0;
  m->stack[sp++] = from;
  while (sp) {
    int32_t k = m->stack[--sp];
    if (m->mark[k] == m->gen) continue;
    m->mark[k] = m->gen;
    if (k == in) hit = true;
    for (int32_t e = re->pred_at[k]; e < re->pred_at[k + 1]; e++) {
      int32_t f = re->pred[e];
      if (f < lo || f >= hi) continue;
      switch (re->pred_op[e]) {
      case S_EPS: m->stack[sp++] = f; break;
      case S_BOL: if (p == 0) m->stack[sp++] = f; break;
      case S_EOL: if (p == m->n) m->stack[sp++] = f; break;
      case S_SET:
        if (m->mark2[f] != m->gen) {
          m->mark2[f] = m->gen;
          m->list[l][m->cnt[l]++] = f;
        }
        break;
      }
    }
  }
  return hit;
}

/* Where a run of the part of the NFA from state `in` (its states in
 * [lo, hi)) to state `stop` that ends at j can begin: a bitset. */
static uint64_t *run_starts(Ex *x, uint64_t **slot, int32_t in, int32_t stop, int32_t lo,
                            int32_t hi, size_t j) {
  if (*slot) return *slot;
  uint64_t *b = calloc(x->words, sizeof *b);
  if (!b) return NULL;
  Sim *m = &x->m;
  const Regex *re = m->re;
  int cur = 0;
  m->cnt[0] = 0;
  m->gen++;
  if (back_closure(m, stop, j, cur, in, lo, hi)) b[j >> 6] |= UINT64_C(1) << (j & 63);
  for (size_t p = j; p > 0 && m->cnt[cur]; p--) {
    int nx = 1 - cur;
    m->cnt[nx] = 0;
    m->gen++;
    for (size_t k = 0; k < m->cnt[cur]; k++) {
      int32_t f = m->list[cur][k];
      if (set_has(&re->sets[re->st[f].y], m->s[p - 1]) &&
          back_closure(m, f, p - 1, nx, in, lo, hi))
        b[(p - 1) >> 6] |= UINT64_C(1) << ((p - 1) & 63);
    }
    cur = nx;
  }
  *slot = b;
  return b;
}

/* Where the part of the NFA from state `in` to state `stop` can take a
 * run that begins at i: a bitset of end positions. */
static uint64_t *run_ends(Ex *x, uint64_t **slot, int32_t in, int32_t stop, size_t i) {
  if (*slot) return *slot;
  uint64_t *b = calloc(x->words, sizeof *b);
  if (!b) return NULL;
  Sim *m = &x->m;
  const Regex *re = m->re;
  int cur = 0;
  m->cnt[0] = 0;
  m->gen++;
  if (closure(m, in, i, i, cur, stop)) b[i >> 6] |= UINT64_C(1) << (i & 63);
  for (size_t p = i; p < m->n && m->cnt[cur]; p++) {
    int nx = 1 - cur;
    m->cnt[nx] = 0;
    m->gen++;
    for (size_t k = 0; k < m->cnt[cur]; k++) {
      const NState *t = &re->st[m->list[cur][k]];
      if (set_has(&re->sets[t->y], m->s[p]) && closure(m, t->x, p + 1, i, nx, stop))
        b[(p + 1) >> 6] |= UINT64_C(1) << ((p + 1) & 63);
    }
    cur = nx;
  }
  *slot = b;
  return b;
}

static bool has(const uint64_t *b, size_t j) { return b[j >> 6] >> (j & 63) & 1; }

static uint64_t *node_ends(Ex *x, int32_t k, size_t i) {
  const Node *nd = &x->m.re->nodes[k];
  return run_ends(x, &x->ends[(size_t)k * (x->m.n + 1) + i], nd->in, nd->out, i);
}

static uint64_t *node_starts(Ex *x, int32_t k, size_t j) {
  const Node *nd = &x->m.re->nodes[k];
  return run_starts(x, &x->starts[(size_t)k * (x->m.n + 1) + j], nd->in, nd->out, nd->in,
                    nd->hi, j);
}

/* The remainder of a concatenation from its kid k on. */
static uint64_t *rest_starts(Ex *x, int32_t k, size_t j) {
  const Node *nd = &x->m.re->nodes[k];
  return run_starts(x, &x->rest[(size_t)k * (x->m.n + 1) + j], nd->in,
                    x->m.re->nodes[x->parent[k]].out, nd->in, x->m.re->nodes[x->last[k]].hi, j);
}

/* Node k matches s[i..j): set the groups inside it.  `first`: a star's
 * iterations start here (an empty star may still take one empty
 * iteration, as the group in `(a*)*` then matches the empty string). */
static bool extract(Ex *x, int32_t k, size_t i, size_t j) {
  const Regex *re = x->m.re;
  const Node *nd = &re->nodes[k];
  switch (nd->kind) {
  case N_GROUP:
    x->groups[2 * nd->arg] = (long)i;
    x->groups[2 * nd->arg + 1] = (long)j;
    return extract(x, nd->a, i, j);
  case N_CAT:
    for (int32_t t = 0; t < nd->n; t++) {
      int32_t c = re->kids[nd->a + t];
      if (t + 1 == nd->n) return extract(x, c, i, j);
      uint64_t *mine = node_ends(x, c, i), *rest = rest_starts(x, re->kids[nd->a + t + 1], j);
      if (!mine || !rest) return false;
      size_t m = j;
      while (!(has(mine, m) && has(rest, m)))
        if (m-- == i) return true; /* cannot happen: the whole matched */
      if (!extract(x, c, i, m)) return false;
      i = m;
    }
    return true;
  case N_ALT:
    if ((nd->flags & F_TAIL) && i == j) return true;
    for (int32_t t = 0; t < nd->n; t++) {
      int32_t c = re->kids[nd->a + t];
      uint64_t *e = node_ends(x, c, i);
      if (!e) return false;
      if (has(e, j)) return extract(x, c, i, j);
    }
    return true;
  case N_STAR: {
    if (i == j) {
      if (nd->flags & F_NOEMPTY) return true;
      uint64_t *e = node_ends(x, nd->a, i);
      if (!e) return false;
      return has(e, i) ? extract(x, nd->a, i, i) : true;
    }
    uint64_t *rest = node_starts(x, k, j);
    if (!rest) return false;
    while (i < j) {
      uint64_t *e = node_ends(x, nd->a, i);
      if (!e) return false;
      size_t m = j;
      while (m > i && !(has(e, m) && has(rest, m))) m--;
      if (m == i) return true; /* cannot happen */
      if (!extract(x, nd->a, i, m)) return false;
      i = m;
    }
    return true;
  }
  default:
    return true;
  }
}

bool re_groups(const Regex *re, const char *s, size_t n, size_t start, size_t end,
               long *groups) {
  n = subject_len(s, n);
  for (int g = 0; g <= re->ngroups; g++) groups[2 * g] = groups[2 * g + 1] = -1;
  groups[0] = (long)start;
  groups[1] = (long)end;
  Ex x = {.groups = groups, .words = (n + 1 + 63) / 64};
  size_t slots = (size_t)re->nnodes * (n + 1);
  bool ok = sim_init(&x.m, re, s, n);
  uint64_t ***tables[3] = {&x.ends, &x.starts, &x.rest};
  for (int t = 0; t < 3; t++) *tables[t] = calloc(slots, sizeof **tables[t]);
  x.parent = malloc((size_t)re->nnodes * sizeof *x.parent);
  x.last = malloc((size_t)re->nnodes * sizeof *x.last);
  ok = ok && x.ends && x.starts && x.rest && x.parent && x.last && end <= n && start <= end;
  if (ok) {
    for (int32_t k = 0; k < re->nnodes; k++) x.parent[k] = x.last[k] = -1;
    for (int32_t k = 0; k < re->nnodes; k++)
      if (re->nodes[k].kind == N_CAT)
        for (int32_t t = 0; t < re->nodes[k].n; t++) {
          int32_t c = re->kids[re->nodes[k].a + t];
          x.parent[c] = k;
          x.last[c] = re->kids[re->nodes[k].a + re->nodes[k].n - 1];
        }
    ok = extract(&x, re->root, start, end);
  }
  for (int t = 0; t < 3; t++) {
    if (*tables[t])
      for (size_t i = 0; i < slots; i++) free((*tables[t])[i]);
    free(*tables[t]);
  }
  free(x.parent);
  free(x.last);
  sim_free(&x.m);
  return ok;
}

/* ---- DFA ---- */

/* The closure of NFA state `from` for the DFA: the byte-consuming and
 * `$` states (the rest are passed through: `^` where bol, `$` where eol),
 * added to out (deduplicated by mark/gen); true if the match is reached. */
static bool dfa_closure(const Regex *re, int32_t from, bool bol, bool eol, uint32_t *mark,
                        uint32_t gen, int32_t *stack, int32_t *out, size_t *n) {
  int32_t stop = re->nodes[re->root].out;
  bool hit = false;
  size_t sp = 0;
  stack[sp++] = from;
  while (sp) {
    int32_t k = stack[--sp];
    if (k < 0 || mark[k] == gen) continue;
    mark[k] = gen;
    if (k == stop) {
      hit = true;
      continue;
    }
    const NState *t = &re->st[k];
    switch (t->op) {
    case S_EPS: stack[sp++] = t->x; break;
    case S_SPLIT: stack[sp++] = t->y; stack[sp++] = t->x; break;
    case S_SET: out[(*n)++] = k; break;
    case S_BOL: if (bol) stack[sp++] = t->x; break;
    case S_EOL:
      if (eol) stack[sp++] = t->x;
      else out[(*n)++] = k;
      break;
    }
  }
  return hit;
}

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return x < y ? -1 : x > y;
}

typedef struct DState {
  size_t off, n;  /* its NFA states: pool[off .. off+n) */
  uint64_t hash;
} DState;

static uint64_t hash_states(const int32_t *s, size_t n) {
  uint64_t h = 1469598103934665603u;
  for (size_t i = 0; i < n; i++) h = (h ^ (uint32_t)s[i]) * 1099511628211u;
  return h;
}

typedef struct Dfa {
  const Regex *re;
  uint32_t max;
  uint32_t *mark, gen;
  int32_t *stack, *set;
  int32_t *pool;
  size_t pool_n, pool_cap;
  DState *ds;
  int32_t nds, ds_cap;
  int32_t *hidx;  /* open addressing: state + 1, or 0 */
  size_t hcap;
  ReError *err;
} Dfa;

/* The state of NFA states b->set[0..n): found or added; -1 if too many
 * (or no memory). */
static int32_t dfa_state(Dfa *b, size_t n) {
  int32_t *set = b->set;
  qsort(set, n, sizeof *set, cmp_i32);
  uint64_t h = hash_states(set, n);
  size_t slot = h & (b->hcap - 1);
  for (; b->hidx[slot]; slot = (slot + 1) & (b->hcap - 1)) {
    const DState *e = &b->ds[b->hidx[slot] - 1];
    if (e->hash == h && e->n == n && !memcmp(b->pool + e->off, set, n * sizeof *set))
      return b->hidx[slot] - 1;
  }
  if ((uint32_t)b->nds >= b->max) {
    snprintf(b->err->msg, sizeof b->err->msg,
             "its automaton needs more than %u states",
             b->max);
    return -1;
  }
  if (b->pool_n + n > b->pool_cap) {
    size_t c = b->pool_cap ? b->pool_cap : 256;
    while (c < b->pool_n + n) c *= 2;
    int32_t *q = realloc(b->pool, c * sizeof *q);
    if (!q) return -1;
    b->pool = q;
    b->pool_cap = c;
  }
  if (!grow((void **)&b->ds, &b->ds_cap, b->nds + 1, sizeof *b->ds)) return -1;
  memcpy(b->pool + b->pool_n, set, n * sizeof *set);
  b->ds[b->nds] = (DState){b->pool_n, n, h};
  b->pool_n += n;
  int32_t d = b->nds++;
  b->hidx[slot] = d + 1;
  if ((size_t)b->nds * 2 > b->hcap) {
    size_t nc = b->hcap * 2;
    int32_t *nh = calloc(nc, sizeof *nh);
    if (!nh) return -1;
    for (int32_t i = 0; i < b->nds; i++) {
      if (i < RE_DFA_START) continue;
      size_t sl = b->ds[i].hash & (nc - 1);
      while (nh[sl]) sl = (sl + 1) & (nc - 1);
      nh[sl] = i + 1;
    }
    free(b->hidx);
    b->hidx = nh;
    b->hcap = nc;
  }
  return d;
}

/* Where state d goes on a byte of class cls (rep: a byte of it; 0: the
 * NUL); -1 on error. */
static int32_t dfa_step(Dfa *b, int32_t d, int32_t cls, unsigned rep) {
  const Regex *re = b->re;
  const DState *D = &b->ds[d];
  const int32_t *mine = b->pool + D->off;
  size_t n = 0;
  bool hit = false;
  b->gen++;
  if (cls == 0) {
    /* the end: `$` holds (and `^` too, in the start state) */
    for (size_t i = 0; i < D->n && !hit; i++)
      if (mine[i] >= 0 && re->st[mine[i]].op == S_EOL)
        hit = dfa_closure(re, re->st[mine[i]].x, d == RE_DFA_START, true, b->mark, b->gen,
                          b->stack, b->set, &n);
    return hit ? RE_DFA_ACCEPT : RE_DFA_DEAD;
  }
  for (size_t i = 0; i < D->n && !hit; i++) {
    if (mine[i] < 0) continue;
    const NState *t = &re->st[mine[i]];
    if (t->op == S_SET && set_has(&re->sets[t->y], rep))
      hit = dfa_closure(re, t->x, false, false, b->mark, b->gen, b->stack, b->set, &n);
  }
  /* the search goes on from every position */
  if (!hit)
    hit = dfa_closure(re, re->nodes[re->root].in, false, false, b->mark, b->gen, b->stack,
                      b->set, &n);
  if (hit) return RE_DFA_ACCEPT;
  if (n == 0) return RE_DFA_DEAD;
  return dfa_state(b, n);
}

bool re_dfa(const Regex *re, uint32_t max_states, ReDfa *out, ReError *err) {
  memset(out, 0, sizeof *out);
  if (max_states > 65535) max_states = 65535;
  err->pos = 0;
  snprintf(err->msg, sizeof err->msg, "out of memory");
  /* byte classes: bytes that every set of the pattern treats alike */
  int32_t ncls = 1;
  unsigned rep[256] = {0};
  for (unsigned c = 1; c < 256; c++) {
    int32_t k = 1;
    for (; k < ncls; k++) {
      int32_t i = 0;
      for (; i < re->nsets; i++)
        if (set_has(&re->sets[i], c) != set_has(&re->sets[i], rep[k])) break;
      if (i == re->nsets) break;
    }
    if (k == ncls) rep[ncls++] = c;
    out->classes[c] = (uint8_t)k;
  }
  out->nclasses = (uint32_t)ncls;
  size_t ns = (size_t)re->nst;
  Dfa b = {.re = re, .max = max_states < 3 ? 3 : max_states, .err = err, .hcap = 1024};
  b.mark = calloc(ns, sizeof *b.mark);
  b.stack = malloc((2 * ns + 1) * sizeof *b.stack);
  b.set = malloc((ns + 1) * sizeof *b.set);
  b.hidx = calloc(b.hcap, sizeof *b.hidx);
  uint16_t *table = NULL;
  int32_t table_cap = 0;
  bool ok = false;
  if (!b.mark || !b.stack || !b.set || !b.hidx) goto done;
  /* 0 dead and 1 accept hold no NFA state (and are never looked up) */
  if (!grow((void **)&b.ds, &b.ds_cap, 2, sizeof *b.ds)) goto done;
  b.ds[0] = b.ds[1] = (DState){0, 0, 0};
  b.nds = 2;
  size_t n = 0;
  b.gen++;
  if (dfa_closure(re, re->nodes[re->root].in, true, false, b.mark, b.gen, b.stack, b.set, &n)) {
    out->start = RE_DFA_ACCEPT; /* every subject matches */
  } else {
    /* the start is a state of its own (-1 marks it): only there does `^`
     * hold at the end */
    out->start = RE_DFA_START;
    b.set[n++] = -1;
    if (dfa_state(&b, n) != RE_DFA_START) goto done;
  }
  for (int32_t d = 0; d < b.nds; d++) {
    if (!grow((void **)&table, &table_cap, (d + 1) * ncls, sizeof *table)) goto done;
    for (int32_t c = 0; c < ncls; c++) {
      int32_t t = d < RE_DFA_START ? d : dfa_step(&b, d, c, rep[c]);
      if (t < 0) goto done;
      table[(size_t)d * (size_t)ncls + (size_t)c] = (uint16_t)t;
    }
  }
  out->nstates = (uint32_t)b.nds;
  out->table = table;
  table = NULL;
  ok = true;
done:
  free(b.mark);
  free(b.stack);
  free(b.set);
  free(b.pool);
  free(b.ds);
  free(b.hidx);
  free(table);
  return ok;
}
void re_dfa_free(ReDfa *d) {
  free(d->table);
  d->table = NULL;
}

bool re_dfa_match(const ReDfa *d, const char *s, size_t n) {
  uint32_t st = d->start;
  for (size_t i = 0; st >= RE_DFA_START; i++) {
    unsigned char c = i < n ? (unsigned char)s[i] : 0;
    st = d->table[(size_t)st * d->nclasses + d->classes[c]];
    if (c == 0) break;
  }
  return st == RE_DFA_ACCEPT;
}
