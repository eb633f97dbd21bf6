/* regex: SystemTap's regular expressions (the `=~` and `!~` operators and
 * matched(), ngroups()), shared by the translator (pass 2 checks a
 * pattern, pass 3 turns it into a DFA for BPF) and staprun (user probes
 * match with it).  Userspace C: it allocates with malloc.
 *
 * The dialect is stap's, POSIX extended regular expressions:
 *   - alternation `|`, grouping `( )` (every group is a subexpression;
 *     an empty group or alternative is allowed), repetition `*` `+` `?`
 *     `{m}` `{m,}` `{m,n}` (counts up to RE_DUP_MAX; stacked repetitions
 *     such as `a**` or `a{1}{2}` apply one after the other);
 *   - anchors `^` and `$` anywhere in the pattern (zero-width: the start
 *     and the end of the string); a repetition of an anchor is an error;
 *   - `.` any byte but NUL (a newline included); bracket expressions
 *     `[abc]` `[^a-z]` with ranges, `]` first taken literally, the classes
 *     `[:alpha:]` `[:digit:]` `[:alnum:]` `[:upper:]` `[:lower:]`
 *     `[:space:]` `[:blank:]` `[:punct:]` `[:print:]` `[:graph:]`
 *     `[:cntrl:]` `[:xdigit:]`, collating symbols `[.c.]` and equivalence
 *     classes `[=c=]` of one byte; a backslash inside brackets escapes
 *     the next byte (stap's `[\]]`);
 *   - a backslash before any byte stands for that byte (`\.`, `\\`, `\d`
 *     is `d`: there are no back-references nor Perl classes);
 *   - bytes compare as unsigned, case-sensitively; the pattern and the
 *     subject end at a NUL.
 * A match is searched anywhere in the subject.  The match is POSIX's
 * leftmost-longest (the earliest start, then the longest match from it),
 * and the subexpressions are POSIX's: from left to right each matches the
 * longest it can while the whole match stays what it is; of equal
 * alternatives the first wins; a repeated group reports its last
 * iteration (a group inside it that the last iteration skipped keeps
 * what an earlier one matched, as stap and glibc have it); a group that
 * took no part is unset (-1). */
#ifndef CTAP_RUNTIME_REGEX_H
#define CTAP_RUNTIME_REGEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RE_DUP_MAX 255

typedef struct Regex Regex;

/* A pattern's error: the message and the byte offset it refers to. */
typedef struct ReError {
  size_t pos;
  char msg[160];
} ReError;

/* Compile pattern pat[0..len) (stopping at a NUL).  NULL with *err set
 * for a bad pattern (or no memory). */
Regex *re_compile(const char *pat, size_t len, ReError *err);
void re_free(Regex *re);
/* The number of parenthesized subexpressions. */
int re_ngroups(const Regex *re);

/* Search s[0..n) (stopping at a NUL): true with the leftmost-longest
 * match in [*start, *end). */
bool re_search(const Regex *re, const char *s, size_t n, size_t *start, size_t *end);
/* The subexpressions of the match [start, end) re_search found in s:
 * groups[2k] and groups[2k + 1] for k = 0 (the whole match) ..
 * re_ngroups(re), -1 for a group that took no part.  False if out of
 * memory. */
bool re_groups(const Regex *re, const char *s, size_t n, size_t start, size_t end,
               long *groups);

/* The pattern as a deterministic automaton over bytes, for generated
 * code: a byte maps to its class (classes[0] = 0: the NUL ending the
 * subject, in a class of its own), a state and a class to the next state
 * (table[state * nclasses + class]).  State RE_DFA_DEAD means no match,
 * RE_DFA_ACCEPT a match (both are final: their rows lead to themselves);
 * matching starts in `start` (RE_DFA_START, or RE_DFA_ACCEPT when every
 * subject matches) at the first byte and takes one step per byte, the NUL
 * included, until a final state.  Every state reaches a final one at the
 * NUL at the latest. */
enum { RE_DFA_DEAD = 0, RE_DFA_ACCEPT = 1, RE_DFA_START = 2 };
typedef struct ReDfa {
  uint32_t nstates, nclasses, start;
  uint8_t classes[256];
  uint16_t *table;
} ReDfa;
/* Build it with at most max_states states (at most 65535); false with
 * *err set when more are needed (or no memory). */
bool re_dfa(const Regex *re, uint32_t max_states, ReDfa *out, ReError *err);
void re_dfa_free(ReDfa *d);
/* Run it over s[0..n) (as if a NUL followed): true for a match. */
bool re_dfa_match(const ReDfa *d, const char *s, size_t n);

#endif
