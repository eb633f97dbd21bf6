/* kcheck: what an object needs of the running kernel (kcheck.c). */
#ifndef CTAP_RUN_KCHECK_H
#define CTAP_RUN_KCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "bpf/bo.h"

/* Before loading: each CO-RE relocation's member in the running kernel's
 * BTF.  left_out[i] (one per program, false on entry) is set for the
 * programs that cannot load; false (the errors said) when one of them
 * serves a probe that is not optional. */
bool kcheck_core(const BoObject *o, bool *left_out);
/* Choose, for each kernel.function probe, its fentry/fexit program or
 * its kprobe (the other is set in left_out); returns how many groups use
 * fentry. */
int kcheck_kfunc(const BoObject *o, bool *left_out);
/* Why a kprobe on function fn did not attach (errno err): a sentence in
 * buf. */
const char *kcheck_kprobe_reason(const char *fn, int err, char *buf, size_t size);

#endif
