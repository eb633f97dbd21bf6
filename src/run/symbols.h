/* symbols: staprun's symbolizer: what is known of a code address, for
 * print_backtrace, print_syms, symname, symdata, modname and their user
 * forms.
 *
 * Kernel addresses are named from /proc/kallsyms (its text symbols, read
 * once, on first need; a symbol's size is the distance to the next one;
 * a module's symbols carry its name, the kernel's own "kernel").  Without
 * the privilege to see real addresses there (kptr_restrict) nothing is
 * known of kernel addresses.  User addresses are named from the process's
 * /proc/PID/maps (the mapping that holds the address: its file and the
 * address's offset in it) and that file's ELF symbol table (.symtab,
 * else .dynsym), read once per file (its path, device and inode; opened
 * through /proc/PID/root, the process's view of the path).  A process
 * that has exited gives nothing. */
#ifndef CTAP_RUN_SYMBOLS_H
#define CTAP_RUN_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Symbols Symbols;

/* What is known of an address: each part may be missing. */
typedef struct SymInfo {
  const char *name;   /* the function holding it, or NULL */
  const char *module; /* "kernel", a kernel module's name, or the path of
                         a process's executable or library; or NULL */
  uint64_t offset;    /* from the function's start (no name: from the
                         start of the module's mapping) */
  uint64_t size;      /* the function's size (no name: the mapping's) */
} SymInfo;

/* How symbols_format writes an address. */
typedef enum SymForm {
  SYM_NAME,   /* symname: the name, else 0x and 16 hexadecimal digits */
  SYM_DATA,   /* symdata: "vfs_read+0x1b/0x160 [kernel]"; parts not
                 known left out ("0x... [mod+0x10/0x2000]"), the address
                 alone when nothing is known */
  SYM_LINE,   /* print_backtrace's line: " 0x%016x : " and the data, or
                 the address alone (with its module), and a newline */
  SYM_MODULE, /* modname: the module ("kernel"), umodname's file name */
} SymForm;

Symbols *symbols_new(void);
void symbols_free(Symbols *sy);
/* Forget the processes' mappings read so far (they change): the next
 * user lookup reads them again.  Called per record and per user
 * program run. */
void symbols_refresh(Symbols *sy);
/* What is known of kernel address addr (*out zeroed when nothing). */
void symbols_kernel(Symbols *sy, uint64_t addr, SymInfo *out);
/* ... of address addr in process tgid's user space (0: none). */
void symbols_user(Symbols *sy, int tgid, uint64_t addr, SymInfo *out);
/* One line of /proc/kallsyms, "ADDRESS TYPE NAME[\t[MODULE]]", taken
 * apart: NUL-terminated in place, module NULL for the kernel's own
 * symbols.  False for a line that is not one. */
typedef struct KsymLine {
  uint64_t addr;      /* 0 where kallsyms hides addresses */
  char type;          /* 't', 'T', 'w', 'd', ... */
  char *name;
  char *module;       /* without its brackets, or NULL */
} KsymLine;
bool symbols_kallsyms_line(char *line, KsymLine *out);

/* addr and what is known of it as form says into buf (cap bytes, NUL-
 * terminated, cut short if need be); returns the length it needs.
 * SYM_MODULE with no module writes nothing and returns 0. */
size_t symbols_format(char *buf, size_t cap, uint64_t addr, const SymInfo *si, SymForm form);

#endif
