/* uparams: see uparams.h. */
#include "target/uparams.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "target/arch.h"

/* Strip typedefs and qualifiers: the DIE the value really has. */
static bool real_type(Dwarf_Die *die, Dwarf_Die *out) {
  Dwarf_Attribute at;
  Dwarf_Die cur;
  if (!dwarf_attr_integrate(die, DW_AT_type, &at) || !dwarf_formref_die(&at, &cur)) return false;
  for (int depth = 0; depth < 16; depth++) {
    int tag = dwarf_tag(&cur);
    if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
        tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type)
      break;
    if (!dwarf_attr_integrate(&cur, DW_AT_type, &at) || !dwarf_formref_die(&at, &cur))
      return false; /* const void */
  }
  *out = cur;
  return true;
}

/* The C spelling, size and sign of die's type, if it is passed in an
 * integer register (integers, enums, pointers); false otherwise. */
static bool int_class(Dwarf_Die *die, Arena *a, const char **ctype, int *size, bool *sign) {
  Dwarf_Die t;
  if (!real_type(die, &t)) return false;
  const char *name = dwarf_diename(&t);
  Dwarf_Word enc = 0;
  Dwarf_Attribute at;
  switch (dwarf_tag(&t)) {
  case DW_TAG_pointer_type:
  case DW_TAG_reference_type:
    *ctype = "void *";
    *size = 8;
    *sign = false;
    return true;
  case DW_TAG_enumeration_type:
    *ctype = arena_printf(a, "enum %s", name ? name : "");
    *size = dwarf_bytesize(&t) > 0 ? dwarf_bytesize(&t) : 4;
    *sign = false;
    return true;
  case DW_TAG_base_type:
    if (dwarf_attr_integrate(&t, DW_AT_encoding, &at)) dwarf_formudata(&at, &enc);
    if (enc == DW_ATE_float || enc == DW_ATE_complex_float) return false;
    *size = dwarf_bytesize(&t);
    if (*size != 1 && *size != 2 && *size != 4 && *size != 8) return false;
    *sign = enc == DW_ATE_signed || enc == DW_ATE_signed_char;
    *ctype = arena_strdup(a, name ? name : "long");
    return true;
  default:
    return false;
  }
}

/* The subprogram DIE of function `func` with code, in any CU. */
static bool find_function(Dwarf *dw, const char *func, uint64_t addr, Dwarf_Die *out) {
  Dwarf_Off off = 0, next;
  size_t hsize;
  while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
    Dwarf_Die cu, child;
    if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &child) == 0) {
      do {
        if (dwarf_tag(&child) != DW_TAG_subprogram) continue;
        const char *n = dwarf_diename(&child);
        Dwarf_Addr lo;
        if (!n || strcmp(n, func) != 0 || dwarf_lowpc(&child, &lo) != 0) continue;
        if (addr && lo != addr) continue;
        *out = child;
        return true;
      } while (dwarf_siblingof(&child, &child) == 0);
    }
    off = next;
  }
  return false;
}

const char *uparams_of(const char *path, const char *func, uint64_t addr, const char *arch,
                       Arena *a, Vec *out, TargetVar **ret) {
  *ret = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return arena_printf(a, "cannot open '%s'", path);
  Dwarf *dw = dwarf_begin(fd, DWARF_C_READ);
  if (!dw) {
    close(fd);
    return arena_printf(a, "'%s' has no debugging information (DWARF)", path);
  }
  Dwarf_Die fn, p;
  const char *err = NULL;
  if (!find_function(dw, func, addr, &fn)) {
    err = arena_printf(a, "'%s' has no debugging information for function '%s'", path, func);
  } else {
    /* Integer-class parameters take the ABI's argument registers in
     * order; one that does not (a float, a struct) ends what can be
     * located at the entry without location lists. */
    int reg = 0;
    if (dwarf_child(&fn, &p) == 0) {
      do {
        if (dwarf_tag(&p) != DW_TAG_formal_parameter) continue;
        const char *name = dwarf_diename(&p);
        TargetVar *v = arena_alloc(a, sizeof *v);
        if (!name || !int_class(&p, a, &v->ctype, &v->size, &v->is_signed)) break;
        v->offset = arch_func_arg_offset(arch, reg++);
        if (v->offset < 0) break;
        v->name = arena_strdup(a, name);
        vec_push(out, a, v);
      } while (dwarf_siblingof(&p, &p) == 0);
    }
    TargetVar *r = arena_alloc(a, sizeof *r);
    if (int_class(&fn, a, &r->ctype, &r->size, &r->is_signed)) {
      r->name = "return";
      r->offset = arch_return_offset(arch);
      *ret = r;
    }
  }
  dwarf_end(dw);
  close(fd);
  return err;
}
