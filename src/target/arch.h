/* arch: what BPF programs need of an architecture's calling conventions
 * ("x86_64", as uname -m and Target's kernel arch spell it): where struct
 * pt_regs keeps function arguments, syscall arguments and return values.
 * x86_64 only for now: elsewhere every offset is -1 and the probes
 * needing one say so. */

#include <stdbool.h>
#ifndef CTAP_TARGET_ARCH_H
#define CTAP_TARGET_ARCH_H

/* Offset in struct pt_regs of the i-th integer argument of a function
 * call at its entry (0-based), or -1. */
int arch_func_arg_offset(const char *arch, int i);
/* ... of the i-th syscall argument, or -1. */
int arch_syscall_arg_offset(const char *arch, int i);
/* ... of a function's or syscall's return value. */
int arch_return_offset(const char *arch);
/* ... of the instruction pointer: where the registers were stopped
 * (a uprobe's probe address, a sample's), or -1. */
int arch_ip_offset(const char *arch);
/* ... of the stack pointer (at a function's entry it points to the
 * return address), or -1. */
int arch_sp_offset(const char *arch);
/* ... of the code segment, whose low two bits are the privilege level
 * (3 in user mode), or -1. */
int arch_user_mode_offset(const char *arch);
/* The page size, in bytes: 4096 on x86_64 (0 when not known). */
long arch_page_size(const char *arch);

#endif
