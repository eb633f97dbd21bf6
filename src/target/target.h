/* target: everything pass 2 asks about the kernel being instrumented, in
 * one interface: its identity (release, arch, build tree), its .config,
 * its function symbols, tracepoints and syscalls with their arguments, and
 * its types (BTF through libbpf).
 *
 * Sources, each read on first use: for the running kernel
 * /sys/kernel/btf/vmlinux, /proc/kallsyms, tracefs and /proc/config.gz; for
 * another kernel (-r) its build tree (.config, vmlinux, System.map,
 * include/linux/syscalls.h) and its image (/boot/vmlinuz-R, whose .BTF is
 * recovered from the compressed payload); --kernel-btf FILE overrides the
 * BTF source.  DWARF (a debuginfo vmlinux, dwarf.c) only for choosing
 * functions by source file. */
#ifndef CTAP_TARGET_TARGET_H
#define CTAP_TARGET_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/hashmap.h"
#include "common/vec.h"

struct btf;

typedef struct TargetKernel {
  const char *release;   /* "6.1.0-28-amd64" */
  const char *version;   /* "6.1.0": the release up to its first '-' */
  const char *build_dir; /* its build tree (may not exist) */
  const char *source_dir;/* its headers: the build tree, or the tree its
                            Makefile includes (Debian's -common package) */
  const char *root;      /* the filesystem it is installed in ("" for /) */
  const char *arch;      /* "x86_64" */
  bool is_running;       /* the release of the running kernel */
} TargetKernel;

/* Resolve -r (NULL: the running kernel; a path: a build tree; else a
 * release) and -a.  Returns false with a message in *err on failure. */
bool target_kernel_resolve(TargetKernel *k, Arena *a, const char *r_opt,
                           const char *arch_opt, const char **err);

/* The kernel's .config, read on first use. */
typedef struct KConfig {
  const TargetKernel *kernel;
  bool loaded;
  HashMap values; /* "CONFIG_X" -> "y" */
  Arena *arena;
  const char *source; /* where it was read from, or NULL */
} KConfig;

void kconfig_init(KConfig *c, const TargetKernel *k, Arena *a);
/* CONFIG_NAME's value, or NULL if unset or if no .config was found. */
const char *kconfig_get(void *kconfig, const char *name);
void kconfig_free(KConfig *c);

/* A context variable of a probe point: a function parameter, a
 * tracepoint field, a syscall argument. */
typedef struct TargetVar {
  const char *name;  /* without '$' */
  const char *ctype; /* C spelling: "unsigned int", "char *" */
  int btf_id;        /* its BTF type, or 0 if unknown */
  bool is_field;     /* a tracepoint's record field, not one of its
                        arguments (TP_PROTO) */
  int offset, size;  /* record fields and syscall arguments: where they
                        are in the trace record, and how many bytes to
                        load there: a syscall argument's slot is 8 bytes,
                        its value the C type's (4 for `int dfd`, the low
                        half of the slot on these little-endian targets) */
  bool is_signed;    /* sign-extend when loading: from the C type for
                        syscall arguments (tracefs says 0 for all) */
  bool data_loc;     /* a __data_loc field: a u32 (length << 16 | offset) */
} TargetVar;

typedef struct TargetEvent {
  const char *system; /* "sched" */
  const char *event;  /* "sched_switch" */
  Vec vars;           /* TargetVar*: its arguments, then its fields */
  bool vars_loaded;
  Vec fields;         /* TargetVar*: record fields from BTF (another kernel) */
  bool fields_from_btf;
} TargetEvent;

typedef struct TargetSyscall {
  const char *name; /* "read" */
  Vec args;         /* TargetVar*: use target_syscall_args() */
  bool args_loaded; /* tracefs formats are read on first use */
} TargetSyscall;

typedef struct Target {
  Arena *arena;
  const TargetKernel *kernel;
  const char *btf_file;     /* --kernel-btf, or NULL */
  struct btf *btf;          /* loaded on first use */
  bool btf_tried;
  const char *btf_error;    /* why there is no BTF */
  const char *btf_source;   /* where it came from */
  HashMap btf_funcs;        /* FUNC name -> BTF id */
  Vec btf_trace_stubs;      /* names of the __bpf_trace_<class> FUNCs */
  HashMap btf_structs, btf_unions, btf_enums, btf_plain; /* name -> id */
  unsigned *btf_ptr_to;     /* type id -> id of a pointer to it, or 0 */
  unsigned btf_ntypes;      /* entries in btf_ptr_to */
  bool btf_types_indexed;
  bool btf_funcs_indexed;
  HashMap funcs;            /* kernel text symbols: name -> name */
  Vec func_names;           /* the same, sorted */
  bool funcs_loaded;
  bool funcs_from_btf;      /* no symbol table: BTF's FUNCs (not all) */
  const char *funcs_error;
  HashMap events;           /* "system:event" -> TargetEvent* */
  Vec event_list;           /* TargetEvent*, sorted */
  bool events_loaded;
  HashMap syscalls;         /* name -> TargetSyscall* */
  Vec syscall_list;         /* TargetSyscall*, sorted by name */
  bool syscalls_loaded;
  struct TargetSyscallAbi *sysabi; /* target_syscall_abi(), once tried */
  bool sysabi_tried;
  const char *tracefs;      /* tracefs mount, or NULL */
  KConfig *kconfig;         /* the kernel's .config (CONFIG_HZ, ...) */
  HashMap module_paths;     /* module name -> .ko path; "btf:M" -> its BTF */
  bool modules_indexed;
  Vec module_btfs;          /* struct btf*: split BTF of modules, to free */
  const char *dwarf_path;   /* the debuginfo vmlinux (dwarf.c), or NULL */
  const char *dwarf_error;  /* where it was looked for, when there is none */
  bool dwarf_tried;
  struct TargetDwarf *dwarf; /* functions by declaration file, built on first use */
  const char *dwarf_index_error;
} Target;

void target_init(Target *t, Arena *a, const TargetKernel *k, const char *btf_file);
void target_free(Target *t);

/* The kernel's BTF, or NULL with the reason in *err. */
struct btf *target_btf(Target *t, const char **err);
/* CONFIG_HZ of its .config, or 250 when it has none. */
long target_config_hz(Target *t);
/* The BTF type of a C spelling ("struct file *", "const char *",
 * "size_t"), or 0. */
int target_type_id(Target *t, const char *ctype);
/* The BTF id of a pointer to type id, or 0 if BTF has none. */
int target_pointer_to(Target *t, int id);
/* The C spelling of a BTF type ("struct file *"). */
const char *target_type_name(Target *t, int btf_id);

bool target_function_exists(Target *t, const char *name);
/* Names of kernel functions matching a glob, sorted, into out. */
void target_functions_matching(Target *t, const char *glob, Vec *out);
/* A function's parameters from BTF (false if BTF lacks the function). */
bool target_function_params(Target *t, const char *name, Vec *params, int *ret_id);

/* The target's DWARF debuginfo (dwarf.c): the first vmlinux with
 * .debug_info among /usr/lib/debug/boot/vmlinux-R,
 * /usr/lib/debug/lib/modules/R/vmlinux, the same two under the kernel's
 * root (the kernel cache's CACHE/R/root), BUILD_DIR/vmlinux,
 * /boot/vmlinux-R and /lib/modules/R/vmlinux; or NULL with *err saying
 * where it looked. */
const char *target_dwarf_vmlinux(Target *t, const char **err);
/* A kernel function as the kernel's DWARF describes it. */
typedef struct TargetFunc {
  const char *name;
  const char *file;   /* its declaration's file, relative to the source
                         tree when the compiler named it so ("net/socket.c") */
  int line;           /* its declaration's line */
  uint64_t entry;     /* its code's address less _text's, when other
                         functions share its name (static ones of other
                         files, init_once); 0: the only one, found by name */
} TargetFunc;
/* The kernel functions (TargetFunc *) matching glob whose declaration, by
 * DWARF, is in a file matching file_glob (a path as the compiler named it,
 * relative to the source tree: "net/socket.c", a glob) and, when line > 0,
 * at a line from line to line_end; sorted by name, appended to out.  Only
 * names that are also kernel text functions (target_function_exists), and
 * not init code (.init.text: gone once the kernel has booted).  A name
 * that several functions share gives each chosen one (with its entry).
 * False with *err when the kernel has no DWARF. */
bool target_functions_by_file(Target *t, const char *glob, const char *file_glob, int line,
                              int line_end, Vec *out, const char **err);

/* The .ko file of a module of the target kernel, or NULL. */
const char *target_module_path(Target *t, const char *module);
/* A module function's parameters, from the module's split BTF. */
bool target_module_function_params(Target *t, const char *module, const char *fn, Vec *params);

void target_events_matching(Target *t, const char *system_glob,
                            const char *event_glob, Vec *out);
/* The fields of an event (loaded on first use). */
const Vec *target_event_vars(Target *t, TargetEvent *ev);

void target_syscalls_matching(Target *t, const char *glob, Vec *out);
const Vec *target_syscall_args(Target *t, TargetSyscall *sc);

/* What a BPF program taking every system call from the raw tracepoints
 * sys_enter(regs, id) and sys_exit(regs, ret) needs (sysabi.c): where
 * struct pt_regs keeps the arguments and, at exit, the number; how to
 * tell a 32-bit (compat) syscall, whose numbers are another table's
 * (the syscalls:* tracepoints ignore those, and so must we). */
typedef struct TargetSyscallAbi {
  int arg_offset[6];     /* struct pt_regs: the arguments */
  int nr_offset;         /* struct pt_regs: the number (orig_ax) */
  int compat_offset;     /* task_struct: the u32 thread_info.status */
  unsigned compat_mask;  /* its bit for a compat syscall (TS_COMPAT) */
} TargetSyscallAbi;

/* The target's ABI, or NULL: an architecture without a syscall table
 * here, or no BTF (for the task_struct layout, and the programs are BTF
 * raw tracepoints). */
const TargetSyscallAbi *target_syscall_abi(Target *t);
/* The number of syscall NAME (as tracefs and syscall.NAME spell it:
 * "newuname" is uname's) in the target's architecture, or -1. */
int target_syscall_nr(Target *t, const char *name);
/* Does this file know the target architecture's syscall numbers? */
bool target_syscall_table_known(Target *t);
/* Prototypes ("asmlinkage long sys_mmap(...);") of the calls the target
 * architecture defines itself, which include/linux/syscalls.h does not
 * declare; NULL-terminated, or NULL. */
const char *const *target_syscall_arch_prototypes(Target *t);

#endif
