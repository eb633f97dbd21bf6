/* arch: see arch.h. */
#include "target/arch.h"

#include <string.h>

/* x86_64's struct pt_regs (arch/x86/include/asm/ptrace.h, the layout BPF
 * programs see) */
enum { R10 = 56, R9 = 64, R8 = 72, RAX = 80, RCX = 88, RDX = 96, RSI = 104, RDI = 112,
       IP = 128, CS = 136, SP = 152 };
static const int x86_func_args[] = {RDI, RSI, RDX, RCX, R8, R9};
static const int x86_syscall_args[] = {RDI, RSI, RDX, R10, R8, R9};

static bool x86_64(const char *arch) { return arch && strcmp(arch, "x86_64") == 0; }

int arch_func_arg_offset(const char *arch, int i) {
  return x86_64(arch) && i >= 0 && i < 6 ? x86_func_args[i] : -1;
}

int arch_syscall_arg_offset(const char *arch, int i) {
  return x86_64(arch) && i >= 0 && i < 6 ? x86_syscall_args[i] : -1;
}

int arch_return_offset(const char *arch) { return x86_64(arch) ? RAX : -1; }

int arch_ip_offset(const char *arch) { return x86_64(arch) ? IP : -1; }

int arch_sp_offset(const char *arch) { return x86_64(arch) ? SP : -1; }

int arch_user_mode_offset(const char *arch) { return x86_64(arch) ? CS : -1; }

long arch_page_size(const char *arch) { return x86_64(arch) ? 4096 : 0; }
