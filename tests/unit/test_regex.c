/* Unit tests of runtime/common/regex: the dialect of stap's `=~` (POSIX
 * extended regular expressions, stap(1) and the language reference's
 * 5.6.6), POSIX's leftmost-longest match and subexpression rules (each
 * subexpression from the left takes the longest it can; the last
 * iteration of a repetition counts), stap's error messages for bad
 * patterns, and that the DFA kernel programs use agrees with the
 * matcher staprun uses.
 *
 * Expectations are written out by hand from those rules.  Where stap 4.8
 * itself differs (checked against its generated matchers), the case says
 * so: its matched() positions end one past a `$` match (the same
 * string), its groups follow its tagged DFA's preferences rather than
 * POSIX's, and it takes the first match to end, not the leftmost. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/common/regex.h"

#define UNIT "regex"
#include "unit.h"

/* pattern, subject, expected groups "s,e s,e ..." (0 = the whole match,
 * -1,-1 a group that took no part) or NULL for no match */
typedef struct Case {
  const char *pat, *sub, *want;
} Case;

/* What pattern does with subject, in Case.want's notation (or "error:
 * MSG (at N)"); into buf. */
static const char *run(const char *pat, const char *sub, char *buf, size_t cap) {
  ReError err;
  Regex *re = re_compile(pat, strlen(pat), &err);
  if (!re) {
    snprintf(buf, cap, "error: %s (at %zu)", err.msg, err.pos);
    return buf;
  }
  size_t s, e;
  if (!re_search(re, sub, strlen(sub), &s, &e)) {
    re_free(re);
    return NULL;
  }
  int ng = re_ngroups(re);
  long *g = malloc(sizeof *g * 2 * (size_t)(ng + 1));
  size_t n = 0;
  buf[0] = 0;
  if (g && re_groups(re, sub, strlen(sub), s, e, g))
    for (int k = 0; k <= ng && n < cap; k++)
      n += (size_t)snprintf(buf + n, cap - n, "%s%ld,%ld", k ? " " : "", g[2 * k], g[2 * k + 1]);
  free(g);
  re_free(re);
  return buf;
}

static void check_cases(const char *name, const Case *c, size_t n) {
  int bad = 0;
  char buf[512];
  for (size_t i = 0; i < n; i++) {
    const char *got = run(c[i].pat, c[i].sub, buf, sizeof buf);
    bool ok = got && c[i].want ? !strcmp(got, c[i].want) : got == c[i].want;
    if (!ok) {
      if (!bad++) check(name, 0);
      printf("    /%s/ on \"%s\": expected %s, got %s\n", c[i].pat, c[i].sub,
             c[i].want ? c[i].want : "no match", got ? got : "no match");
    }
  }
  if (!bad) check(name, 1);
}

/* Literals, anchors anywhere (zero-width), the empty pattern. */
static const Case anchors[] = {
    {"abc", "xxabcxx", "2,5"},
    {"abc", "ab", NULL},
    {"^abc", "abcd", "0,3"},
    {"^abc", "xabc", NULL},
    {"abc$", "xabc", "1,4"},  /* stap: 1,5 */
    {"abc$", "abcx", NULL},
    {"^$", "", "0,0"},
    {"^$", "a", NULL},
    {"$", "abc", "3,3"},
    {"^", "abc", "0,0"},
    {"a^b", "ab", NULL},
    {"a$b", "ab", NULL},
    {"(^a|b)", "ba", "0,1 0,1"},
    {"(a|b$)", "bb", "1,2 1,2"},
    {"x*^a", "a", "0,1"},
    {"a$x*", "ba", "1,2"},
    {"$$", "ab", "2,2"},      /* stap's $ reads the NUL: no match there */
    {"^^a$$", "a", "0,1"},
    {"", "abc", "0,0"},
    {"", "", "0,0"},
    {"()", "abc", "0,0 0,0"},
    {"a|", "b", "0,0"},
    {"|a", "a", "0,1"},
    {"a||b", "b", "0,1"},
};

/* Any byte, bracket expressions, classes, escapes. */
static const Case sets[] = {
    {".", "\n", "0,1"},
    {"a.c", "a\nc", "0,3"},
    {".", "", NULL},
    {"a.c", "abbc", NULL},
    {".", "\xff", "0,1"},
    {"[\x80-\xff]+", "ab\x80\xfe" "c", "2,4"},
    {"[abc]+", "xxcabz", "2,5"},
    {"[^abc]+", "abcxyzab", "3,6"},
    {"[^a]", "\n", "0,1"},
    {"[a-c]+", "dabcad", "1,5"},
    {"[]a]+", "x]a]x", "1,4"},
    {"[^]a]+", "]]xy]", "2,4"},
    {"[a-]+", "x-a-y", "1,4"},
    {"[-a]+", "x-a-y", "1,4"},
    {"[a\\]b]+", "x]ba", "1,4"},   /* stap: a backslash escapes in brackets */
    {"[\\\\]", "a\\b", "1,2"},
    {"[.]", "a.b", "1,2"},
    {"[*+?{|()^$]+", "a*+?{|()^$b", "1,10"},
    {"[[:digit:]]+", "ab123cd", "2,5"},
    {"[[:alpha:]]+", "12abC34", "2,5"},
    {"[[:alnum:]]+", "--a1B2--", "2,6"},
    {"[[:upper:]]+", "abCDe", "2,4"},
    {"[[:lower:]]+", "ABcdE", "2,4"},
    {"[[:space:]]+", "a \t\nb", "1,4"},
    {"[[:blank:]]+", "a \t\nb", "1,3"},
    {"[[:punct:]]+", "ab!?.cd", "2,5"},
    {"[[:xdigit:]]+", "xyz0fAgh", "3,6"},
    {"[[:cntrl:]]+", "a\x01\x1f" "b", "1,3"},
    {"[[:print:]]+", "\x01" "ab c\x02", "1,5"},
    {"[[:graph:]]+", "\x01 ab c", "2,4"},
    {"[^[:digit:]]+", "12ab34", "2,4"},
    {"[[:digit:][:upper:]]+", "abC1De", "2,5"},
    {"[[.a.]]", "xa", "1,2"},     /* POSIX; stap 4.8 matches nothing */
    {"[[=b=]]", "xb", "1,2"},
    {"\\.", "a.b", "1,2"},
    {"\\*", "a*b", "1,2"},
    {"\\\\", "a\\b", "1,2"},
    {"\\d", "d1", "0,1"},          /* no Perl classes: \d is d */
    {"\\n", "n\n", "0,1"},         /* nor escapes: the lexer decodes "\n" */
    {"a\\|b", "a|b", "0,3"},
    {"\\(a\\)", "(a)", "0,3"},
    {"(a*)b\\1", "aab", NULL},     /* no back-references: \1 is 1 */
    {"(a*)b\\1", "aab1", "0,4 0,2"},
    {"ABC", "abc", NULL},          /* case matters */
};

/* Repetition: leftmost, then longest. */
static const Case repeats[] = {
    {"a*", "aaa", "0,3"},
    {"a*", "baaa", "0,0"},
    {"a+", "baaa", "1,4"},
    {"a?", "baaa", "0,0"},
    {"ba?", "baaa", "0,2"},
    {"a{2}", "aaaa", "0,2"},
    {"a{2,}", "aaaaa", "0,5"},
    {"a{2,3}", "aaaaa", "0,3"},
    {"a{2,3}", "aaa", "0,3"},
    {"a{2,3}", "a", NULL},
    {"a{0}b", "ab", "1,2"},
    {"a{0,1}b", "aab", "1,3"},
    {"(ab){2}", "abababab", "0,4 2,4"},
    {"a**", "aa", "0,2"},
    {"a+?", "aa", "0,2"},          /* stacked, not lazy */
    {"a{1}{2}", "aaa", "0,2"},
    {"[0-9]{1,3}(\\.[0-9]{1,3}){3}", "ip 10.0.255.1!", "3,13 11,13"},
    {"bcd|abcde", "abcde", "0,5"},  /* leftmost; stap: 1,4 */
    {"b+|ab", "abbb", "0,2"},
    {"x*", "", "0,0"},
};

/* Subexpressions (POSIX; stap's own preferences differ where noted). */
static const Case groups[] = {
    {"^([a-z]+)-([0-9]+)$", "abc-123", "0,7 0,3 4,7"},
    {"\\.(txt|log)$", "notes.txt", "5,9 6,9"},
    {"(.*)-(.*)", "a-b-c", "0,5 0,3 4,5"},
    {"(.*)-([^-]*)$", "a-b-c", "0,5 0,3 4,5"},
    {"(a|ab)(c|bcd)(d*)", "abcd", "0,4 0,2 2,3 3,4"}, /* stap: 0,1 1,4 4,4 */
    {"(ab|a)(c|bcd)(d*)", "abcd", "0,4 0,2 2,3 3,4"},
    {"(a|ab)(bc|c)", "abc", "0,3 0,2 2,3"},
    {"(a|ab)(b*)", "ab", "0,2 0,2 2,2"},
    {"(wee|week)(knights|night)", "weeknights", "0,10 0,3 3,10"},
    {"(a*)(a*)", "aaa", "0,3 0,3 3,3"},
    {"(a?)((ab)?)(b?)", "ab", "0,2 0,1 1,1 -1,-1 1,2"},
    {"(a*)+", "b", "0,0 0,0"},
    {"(a*)*", "b", "0,0 0,0"},
    {"(a*)*", "aa", "0,2 0,2"},
    {"(a*)+", "aa", "0,2 0,2"},
    {"(a|b)*", "abab", "0,4 3,4"},
    {"x(a|ab)*y", "xaababy", "0,7 4,6"},
    {"(a)|b", "b", "0,1 -1,-1"},
    {"(a)|(b)", "b", "0,1 -1,-1 0,1"},
    {"(a)?b", "b", "0,1 -1,-1"},
    {"(a*)?b", "b", "0,1 0,0"},
    {"(a){0}b", "ab", "1,2 -1,-1"},
    {"(a){2,3}", "aaaa", "0,3 2,3"},
    {"(a){1,3}a", "aa", "0,2 0,1"},
    {"((a)|(b))+", "ab", "0,2 1,2 0,1 1,2"},
    /* a group inside a repeated one keeps an earlier iteration's match
     * when the last iteration skips it, as stap and glibc have it */
    {"((a)|b)*", "ab", "0,2 1,2 0,1"},
    {"(a(b)?)+", "aba", "0,3 2,3 1,2"},
    {"(()|a)+", "a", "0,1 0,1 -1,-1"},
    {"(a|())*x", "ax", "0,2 0,1 -1,-1"},
};

/* Bad patterns: stap's messages, and where. */
typedef struct Bad {
  const char *pat, *msg;
  size_t pos;
} Bad;
static const Bad bad[] = {
    {"(", "expected ), found end of regex", 1},
    {"(()", "expected ), found end of regex", 3},
    {"a)", "unbalanced ')'", 1},
    {"[a", "unclosed character class", 0},
    {"[]", "unclosed character class", 0},
    {"[b-a]", "inverted character range b-a", 3},
    {"[[:foo:]]", "unknown character class 'foo'", 3},
    {"[[:alpha:", "unclosed character class '[:alpha:'", 9},
    {"[[.ab.]]", "unsupported collating element 'ab'", 3},
    {"[a-[:digit:]]", "a character class cannot end a range", 1},
    {"*a", "unexpected '*'", 0},
    {"a|*", "unexpected '*'", 2},
    {"(*)", "unexpected '*'", 1},
    {"+", "unexpected '+'", 0},
    {"?", "unexpected '?'", 0},
    {"{a}", "unexpected '{'", 0},
    {"^*", "postfix closure '*' applied to anchoring operator", 1},
    {"$+", "postfix closure '+' applied to anchoring operator", 1},
    {"a{", "expected number", 2},
    {"a{x}", "expected number", 2},
    {"a{,3}", "expected number", 2},
    {"a{1,", "expected '}' or number", 4},
    {"a{2", "unexpected end of regex", 3},
    {"a{1,2x", "expected '}'", 5},
    {"a{3,2}", "invalid repetition {3,2}: the maximum is below the minimum", 1},
    {"a{256}", "256 is too large (at most 255)", 2},
    {"a{99999}", "99999 is too large (at most 255)", 2},
    {"\\", "unexpected end of regex", 1},
    {"(a{255}){255}", "regular expression too large", 13},
};

static void test_errors(void) {
  int fails = 0;
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ReError err = {0};
    Regex *re = re_compile(bad[i].pat, strlen(bad[i].pat), &err);
    bool ok = !re && !strcmp(err.msg, bad[i].msg) && err.pos == bad[i].pos;
    if (!ok) {
      if (!fails++) check("errors", 0);
      printf("    /%s/: expected \"%s\" at %zu, got %s \"%s\" at %zu\n", bad[i].pat, bad[i].msg,
             bad[i].pos, re ? "no error" : "", re ? "" : err.msg, err.pos);
    }
    re_free(re);
  }
  if (!fails) check("errors", 1);
  /* nesting is bounded (the recursion that walks the pattern) */
  char deep[2 * 600 + 1];
  memset(deep, '(', 600);
  memset(deep + 600, ')', 600);
  deep[1200] = 0;
  ReError err;
  Regex *re = re_compile(deep, strlen(deep), &err);
  checkf("nested-too-deeply", !re && strstr(err.msg, "nested too deeply"), "%s",
         re ? "compiled" : err.msg);
  re_free(re);
  memset(deep, 'a', 300);
  memset(deep + 300, '*', 600);
  deep[900] = 0;
  re = re_compile(deep, strlen(deep), &err);
  checkf("stacked-repetition-bounded", !re && strstr(err.msg, "nested too deeply"), "%s",
         re ? "compiled" : err.msg);
  re_free(re);
}

/* The pattern and the subject end at a NUL. */
static void test_nul(void) {
  ReError err;
  Regex *re = re_compile("a\0b", 3, &err);
  size_t s = 9, e = 9;
  bool ok = re && re_search(re, "xa", 2, &s, &e) && s == 1 && e == 2;
  re_free(re);
  re = re_compile("c", 1, &err);
  ok = ok && re && !re_search(re, "ab\0c", 4, &s, &e);
  re_free(re);
  re = re_compile("b$", 2, &err);
  ok = ok && re && re_search(re, "ab\0c", 4, &s, &e) && s == 1 && e == 2;
  re_free(re);
  check("nul-ends-pattern-and-subject", ok);
}

static void test_ngroups(void) {
  static const struct { const char *pat; int n; } t[] = {
      {"", 0}, {"abc", 0}, {"(a)", 1}, {"(a)(b(c))", 3}, {"a|(b)", 1},
      {"(a){3}", 1}, {"\\(a\\)", 0}, {"[(]", 0}, {"((((()))))", 5},
  };
  bool ok = true;
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    ReError err;
    Regex *re = re_compile(t[i].pat, strlen(t[i].pat), &err);
    if (!re || re_ngroups(re) != t[i].n) {
      ok = false;
      printf("    /%s/: %d groups, expected %d\n", t[i].pat, re ? re_ngroups(re) : -1, t[i].n);
    }
    re_free(re);
  }
  check("ngroups", ok);
}

/* Subjects: every string over alphabet of up to maxlen bytes, in turn. */
static bool next_subject(char *s, size_t *n, const char *alphabet, size_t maxlen) {
  size_t k = strlen(alphabet);
  for (size_t i = *n; i-- > 0;) {
    const char *p = strchr(alphabet, s[i]);
    if ((size_t)(p - alphabet) + 1 < k) {
      s[i] = p[1];
      for (size_t j = i + 1; j < *n; j++) s[j] = alphabet[0];
      return true;
    }
  }
  if (*n == maxlen) return false;
  (*n)++;
  for (size_t j = 0; j < *n; j++) s[j] = alphabet[0];
  s[*n] = 0;
  return true;
}

/* The DFA (kernel programs) and the matcher (user programs) agree on
 * whether every short subject matches; the groups lie inside the match. */
static void test_dfa_agrees(void) {
  static const char *pats[] = {
      "a", "ab|ba", "^a", "a$", "^$", "^a*$", "(a|b)*abb", "[^a]b+", "a.b", "(^|b)a",
      "a($|b)", "a{2,3}", "(ab){1,2}$", "^(a|ab)(b*)$", "b*$", "x*^a", "a$b*",
      "(a*)*b", "((a)|b)+", "[[:alpha:]]{3}", "\n", ".\n.", "^[^\n]*$", "(^a|b$|^$)",
      "(a|b|c)*c(a|b|c)", "$^", "(|a)+b", "^(ab|ba)*$", "a?b?c?$",
  };
  char s[16];
  int fails = 0;
  long groups[64];
  for (size_t i = 0; i < sizeof pats / sizeof *pats; i++) {
    ReError err;
    Regex *re = re_compile(pats[i], strlen(pats[i]), &err);
    ReDfa d;
    if (!re || !re_dfa(re, 4096, &d, &err)) {
      if (!fails++) check("dfa-agrees", 0);
      printf("    /%s/: %s\n", pats[i], err.msg);
      re_free(re);
      continue;
    }
    size_t n = 0;
    s[0] = 0;
    do {
      size_t ms, me;
      bool m = re_search(re, s, n, &ms, &me);
      bool ok = m == re_dfa_match(&d, s, n);
      if (m && ok && re_groups(re, s, n, ms, me, groups)) {
        ok = groups[0] == (long)ms && groups[1] == (long)me;
        for (int k = 1; k <= re_ngroups(re); k++)
          ok = ok && (groups[2 * k] < 0 ? groups[2 * k + 1] < 0
                                        : groups[2 * k] <= groups[2 * k + 1] &&
                                              groups[2 * k + 1] <= (long)n);
      }
      if (!ok && fails++ < 10) {
        if (fails == 1) check("dfa-agrees", 0);
        printf("    /%s/ on \"%s\": matcher %d, dfa %d\n", pats[i], s, m, re_dfa_match(&d, s, n));
      }
    } while (next_subject(s, &n, "ab\n", 6));
    re_dfa_free(&d);
    re_free(re);
  }
  if (!fails) check("dfa-agrees", 1);
}

/* The DFA's shape: the final states, a start that accepts everything,
 * the size bound, byte classes. */
static void test_dfa_shape(void) {
  ReError err;
  ReDfa d;
  Regex *re = re_compile("a*", 2, &err);
  check("dfa-start-accepts", re && re_dfa(re, 100, &d, &err) && d.start == RE_DFA_ACCEPT &&
                                 re_dfa_match(&d, "", 0) && re_dfa_match(&d, "b", 1));
  re_dfa_free(&d);
  re_free(re);
  re = re_compile("[0-9]+x", 7, &err);
  bool ok = re && re_dfa(re, 100, &d, &err) && d.start == RE_DFA_START;
  /* classes: NUL alone, digits, x, everything else */
  ok = ok && d.nclasses == 4 && d.classes[0] == 0 && d.classes['0'] == d.classes['9'] &&
       d.classes['x'] != d.classes['0'] && d.classes['a'] == d.classes[0xff] &&
       d.classes['a'] != d.classes['x'];
  for (uint32_t c = 0; ok && c < d.nclasses; c++)
    ok = d.table[RE_DFA_DEAD * d.nclasses + c] == RE_DFA_DEAD &&
         d.table[RE_DFA_ACCEPT * d.nclasses + c] == RE_DFA_ACCEPT;
  /* every state ends at the NUL */
  for (uint32_t st = RE_DFA_START; ok && st < d.nstates; st++)
    ok = d.table[st * d.nclasses] < RE_DFA_START;
  check("dfa-classes-and-final-states", ok);
  re_dfa_free(&d);
  re_free(re);
  /* the 13th byte from the end is an a: 2^13 states */
  re = re_compile("a[ab]{12}$", 10, &err);
  ok = re && !re_dfa(re, 4096, &d, &err) && strstr(err.msg, "more than 4096 states");
  checkf("dfa-state-bound", ok, "%s", err.msg);
  re_free(re);
}

/* A long subject: the match at its very end. */
static void test_long_subject(void) {
  static char s[4097];
  memset(s, 'a', 4095);
  s[4095] = 'b';
  ReError err;
  Regex *re = re_compile("(a|b)*b$", 8, &err);
  size_t ms, me;
  long g[4];
  ReDfa d;
  bool ok = re && re_search(re, s, 4096, &ms, &me) && ms == 0 && me == 4096 &&
            re_groups(re, s, 4096, ms, me, g) && g[2] == 4094 && g[3] == 4095 &&
            re_dfa(re, 100, &d, &err) && re_dfa_match(&d, s, 4096);
  if (ok) re_dfa_free(&d);
  check("long-subject", ok);
  re_free(re);
}

int main(void) {
  check_cases("anchors", anchors, sizeof anchors / sizeof *anchors);
  check_cases("sets-and-escapes", sets, sizeof sets / sizeof *sets);
  check_cases("repetition", repeats, sizeof repeats / sizeof *repeats);
  check_cases("subexpressions", groups, sizeof groups / sizeof *groups);
  test_errors();
  test_nul();
  test_ngroups();
  test_dfa_agrees();
  test_dfa_shape();
  test_long_subject();
  return failures != 0;
}
