/* usym: function symbols of a user-space executable or library (ELF
 * .symtab, else .dynsym), for process(PATH).function probes. */
#ifndef CTAP_TARGET_USYM_H
#define CTAP_TARGET_USYM_H

#include <stdint.h>

#include "common/arena.h"
#include "common/vec.h"

typedef struct USym {
  const char *name;  /* symbol name */
  uint64_t addr;     /* st_value */
  uint64_t size;     /* st_size */
} USym;

/* Append the defined function symbols of the ELF file at path whose names
 * match glob (USym*, sorted by name, duplicates dropped).  Returns NULL or
 * an error message naming the file. */
const char *usym_functions(const char *path, const char *glob, Arena *a, Vec *out);

/* The executable a process() probe names: an absolute path as is, else
 * looked up in $PATH.  NULL if not found. */
const char *usym_resolve_path(const char *path, Arena *a);

#endif
