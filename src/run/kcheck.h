/* kcheck: what an object needs of the running kernel (kcheck.c). */
#ifndef CTAP_RUN_KCHECK_H
#define CTAP_RUN_KCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
/* Where a kprobe on function fn (BoProbe target and offset) goes when
 * the running kernel has several functions of that name: the number of
 * addresses in *addrs (every one of them for offset 0, else the one at
 * _text + offset); 0 when fn is the only one (a kprobe by name); -1 when
 * none is the one the object means (or the addresses are hidden). */
int kcheck_kfunc_addrs(const char *fn, uint64_t offset, const uint64_t **addrs);
/* Does the running kernel have kprobes at all? */
bool kcheck_has_kprobes(void);
/* Why a kprobe (or, with fentry, a BPF trampoline) on function fn did not
 * attach (errno err): a sentence in buf. */
const char *kcheck_kfunc_reason(const char *fn, bool fentry, int err, char *buf, size_t size);
/* Release what the checks read of the running kernel. */
void kcheck_free(void);

#endif
