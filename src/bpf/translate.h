/* bpf: passes 3 and 4 for the bpf runtime.
 *
 * Pass 3 (bpf_translate) turns the resolved program of pass 2 into BPF
 * programs directly, without a C compiler: probes that need the kernel
 * (syscalls, tracepoints, perf events, uprobes) become kernel programs;
 * begin, end, error and timer probes become user programs that staprun
 * interprets over the same maps.  Pass 4 is bo_write (bo.h). */
#ifndef CTAP_BPF_TRANSLATE_H
#define CTAP_BPF_TRANSLATE_H

#include "bpf/bo.h"
#include "common/arena.h"
#include "common/diag.h"
#include "common/strbuf.h"
#include "common/vec.h"
#include "sema/sema.h"

typedef struct BpfOptions {
  const char *module_name; /* -m NAME, or NULL for stap_<hash> */
  const Vec *defines;      /* -D NAME=VALUE: the limits */
  bool suppress_errors;    /* --suppress-handler-errors: a handler's
                              uncaught error ends it quietly, counted in
                              BoControl.suppressed only */
  uint32_t ringbuf_size;   /* -s: bytes of the output ring buffer (a power
                              of 2 pages), or 0 for the default */
} BpfOptions;

/* Translate; errors go to diag (stap's "semantic error:" shape, naming the
 * script location).  Returns the object (arena-owned) or NULL. */
BoObject *bpf_translate(Program *p, Target *t, Arena *a, Diag *d, const BpfOptions *o);

/* -p3: a readable listing of every program, instructions interleaved
 * with the script lines they came from. */
void bpf_listing(StrBuf *out, const BoObject *obj);

#endif
