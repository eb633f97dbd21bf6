/* session: the state of one running object, shared by the loader and
 * event loop (run.c), the user programs' helpers (user.c) and the output
 * renderer (output.c). */
#ifndef CTAP_RUN_SESSION_H
#define CTAP_RUN_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bpf/bo.h"
#include "run/interp.h"
#include "run/run.h"
#include "runtime/common/format.h"

struct bpf_object;

typedef struct Iter Iter;

typedef struct Session {
  BoObject obj;
  const RunOptions *opt;
  struct bpf_object *bpf;
  int *map_fds;           /* per BoMap */
  bool *left_out;         /* per BoProg: not loaded (kcheck.c) */
  BoControl *control;     /* the globals map, mmapped: control block first */
  unsigned char *globals; /* the same mapping */
  size_t globals_size;
  unsigned char *scratch; /* user programs' scratch */
  int ncpus;
  FILE *out;
  Interp *interp;
  /* runtime state */
  bool exiting;           /* exit() called, a signal, or the command ended */
  int errors;             /* runtime errors so far */
  uint64_t skipped;       /* skipped probe runs: the control block's count,
                             and at the end the kernel's (run.c) */
  uint64_t lost_reported;
  bool failed;            /* ended by errors: error probes instead of end */
  const volatile sig_atomic_t *signals; /* run.c: SIGINT, SIGTERM and
                             SIGHUP received so far (NULL: none counted) */
  sig_atomic_t signals_seen; /* how many of those the session has acted on:
                             one more stops a running user program */
  size_t rb_budget;       /* records the current ring buffer read may still
                             handle before it returns (to the timers) */
  /* formats, parsed once */
  FmtDirective **fmts;
  int *nfmts;
  /* user program helpers' per-run state */
  void **bufs;            /* value copies handed out in this run */
  size_t nbufs, bufs_cap;
  const BoGlobal **map_globals; /* per BoMap: the global it holds, or NULL */
  Iter **iters;
  size_t niters, iters_cap;
  struct UserRegex *regex; /* user.c: compiled patterns, the last match */
  struct Symbols *symbols; /* symbols.c: kernel and user symbols, made on
                             first need (session_symbols) */
} Session;

/* Has a signal come that the session has not acted on yet? */
static inline bool session_signalled(const Session *s) {
  return s->signals && *s->signals != s->signals_seen;
}

/* output.c: handle one record (from the ring buffer or a user program). */
void session_record(Session *s, const void *data, size_t size);
/* Render format id with args laid out as in a printf record into buf
 * (cap bytes, NUL-terminated); returns the length. */
size_t session_render(Session *s, uint32_t id, const unsigned char *args, size_t args_len,
                      char *buf, size_t cap);
/* A runtime error: print it, count it, end the session after MAXERRORS. */
void session_error(Session *s, const char *msg, uint32_t site);

/* output.c: the session's symbolizer (NULL when out of memory). */
struct Symbols *session_symbols(Session *s);
/* The process whose user addresses a user program names: the target
 * (-c, -x), or 0 for none. */
int session_user_task(const Session *s);

/* user.c: run user program `prog`. */
void session_run_user(Session *s, uint32_t prog);
/* Print the histogram of the statistic in map (an index) from value (len
 * bytes: its StatValue, merged over the CPUs): a BO_REC_HIST record. */
void session_print_hist(Session *s, uint32_t map, const void *value, size_t len);
void session_free_user(Session *s);

#endif
