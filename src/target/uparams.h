/* uparams: the parameters of a function in a user-space executable, from
 * its DWARF, for process(PATH).function probes: those an entry probe can
 * read from the argument registers (integers, enums, pointers, in order),
 * and the return value's type. */
#ifndef CTAP_TARGET_UPARAMS_H
#define CTAP_TARGET_UPARAMS_H

#include <stdint.h>

#include "common/arena.h"
#include "common/vec.h"
#include "target/target.h"

/* Append func's parameters to out (TargetVar*, offset = the register's
 * offset in struct pt_regs, size and sign of the C type) and set *ret to
 * its return value ($return) when that is an integer.  addr, when not 0,
 * picks the definition at that address; arch names the registers.  Returns NULL or an error
 * message (no DWARF, no such function). */
const char *uparams_of(const char *path, const char *func, uint64_t addr, const char *arch,
                       Arena *a, Vec *out, TargetVar **ret);

#endif
