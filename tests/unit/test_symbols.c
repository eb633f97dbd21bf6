/* Unit tests of src/run/symbols: how an address and what is known of it
 * are written (symname, symdata, modname, print_backtrace's lines, in
 * stap's shapes), user addresses named from this very process's
 * mappings and its executable's symbol table, and a kernel address from
 * /proc/kallsyms where this process may read real addresses there. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/symbols.h"

#define UNIT "symbols"
#include "unit.h"

/* A function of this executable to name. */
__attribute__((noinline, used)) int ctap_symbols_target(int x) {
  __asm__ volatile("" ::: "memory");
  return x * 3 + 1;
}

static char buf[512];

static void expect(const char *name, uint64_t addr, const SymInfo *si, SymForm form,
                   const char *exp) {
  size_t n = symbols_format(buf, sizeof buf, addr, si, form);
  checkf(name, n == strlen(exp) && strcmp(buf, exp) == 0, "got [%s], expected [%s]", buf, exp);
}

static void formats(void) {
  uint64_t a = 0xffffffff81234567ull;
  SymInfo full = {.name = "vfs_read", .module = "kernel", .offset = 0x1b, .size = 0x160};
  SymInfo zero = {.name = "vfs_read", .module = "kernel", .offset = 0, .size = 0x160};
  SymInfo noname = {.module = "/usr/lib/libc.so.6", .offset = 0x1234, .size = 0x2000};
  SymInfo nomod = {.name = "f", .offset = 2, .size = 8};
  SymInfo none = {0};
  expect("name", a, &full, SYM_NAME, "vfs_read");
  expect("name-unknown", 0x401000, &none, SYM_NAME, "0x0000000000401000");
  expect("data", a, &full, SYM_DATA, "vfs_read+0x1b/0x160 [kernel]");
  expect("data-offset-0", a, &zero, SYM_DATA, "vfs_read+0x0/0x160 [kernel]");
  expect("data-no-name", 0x7f0000001234ull, &noname, SYM_DATA,
         "0x00007f0000001234 [/usr/lib/libc.so.6+0x1234/0x2000]");
  expect("data-no-module", 2, &nomod, SYM_DATA, "f+0x2/0x8");
  expect("data-nothing", 0, &none, SYM_DATA, "0x0000000000000000");
  expect("line", a, &full, SYM_LINE, " 0xffffffff81234567 : vfs_read+0x1b/0x160 [kernel]\n");
  expect("line-no-name", 0x7f0000001234ull, &noname, SYM_LINE,
         " 0x00007f0000001234 [/usr/lib/libc.so.6+0x1234/0x2000]\n");
  expect("line-no-module", 2, &nomod, SYM_LINE, " 0x0000000000000002 : f+0x2/0x8\n");
  expect("line-nothing", 0xbe55, &none, SYM_LINE, " 0x000000000000be55\n");
  expect("module-kernel", a, &full, SYM_MODULE, "kernel");
  expect("module-path", 1, &noname, SYM_MODULE, "libc.so.6");
  expect("module-none", 1, &none, SYM_MODULE, "");
  /* cut short: the length it needs, cap - 1 bytes kept */
  char small[8];
  size_t n = symbols_format(small, sizeof small, a, &full, SYM_DATA);
  check("cut", n == strlen("vfs_read+0x1b/0x160 [kernel]") && strcmp(small, "vfs_rea") == 0);
}

static void user(Symbols *sy) {
  char exe[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[len > 0 ? len : 0] = 0;
  uint64_t fn = (uint64_t)(uintptr_t)&ctap_symbols_target;
  SymInfo si;
  symbols_user(sy, getpid(), fn + 3, &si);
  checkf("user-function", si.name && !strcmp(si.name, "ctap_symbols_target") && si.offset == 3 &&
         si.size > 3 && si.module && !strcmp(si.module, exe),
         "name %s offset %llu size %llu module %s", si.name ? si.name : "(none)",
         (unsigned long long)si.offset, (unsigned long long)si.size,
         si.module ? si.module : "(none)");
  int stack_var = 0;
  symbols_user(sy, getpid(), (uint64_t)(uintptr_t)&stack_var, &si);
  check("user-stack-unnamed", !si.name && !si.module);
  symbols_user(sy, getpid(), 0, &si);
  check("user-zero", !si.name && !si.module);
  symbols_user(sy, 0, fn, &si);
  check("user-no-task", !si.name && !si.module);
  /* a process that is no more (pid_max is at most 2^22) */
  symbols_refresh(sy);
  symbols_user(sy, 0x7ffffff0, fn, &si);
  check("user-exited", !si.name && !si.module);
  symbols_user(sy, getpid(), fn, &si);
  check("user-again", si.name && !strcmp(si.name, "ctap_symbols_target") && si.offset == 0);
}

/* vfs_read's address in /proc/kallsyms, or 0 (not shown to us). */
static uint64_t kallsyms_vfs_read(void) {
  FILE *f = fopen("/proc/kallsyms", "r");
  if (!f) return 0;
  char line[512];
  uint64_t addr = 0;
  while (!addr && fgets(line, sizeof line, f)) {
    unsigned long long a;
    char type, name[256];
    if (sscanf(line, "%llx %c %255s", &a, &type, name) == 3 && !strcmp(name, "vfs_read"))
      addr = a;
  }
  fclose(f);
  return addr;
}

static void kernel(Symbols *sy) {
  uint64_t a = kallsyms_vfs_read();
  if (!a) {
    printf("SKIP: unit/" UNIT "/kernel (no real addresses in /proc/kallsyms)\n");
    return;
  }
  SymInfo si;
  symbols_kernel(sy, a + 5, &si);
  checkf("kernel", si.name && !strcmp(si.name, "vfs_read") && si.offset == 5 && si.size > 5 &&
         si.module && !strcmp(si.module, "kernel"),
         "name %s offset %llu module %s", si.name ? si.name : "(none)",
         (unsigned long long)si.offset, si.module ? si.module : "(none)");
  symbols_kernel(sy, 16, &si);
  check("kernel-low", !si.name && !si.module);
}

int main(void) {
  formats();
  Symbols *sy = symbols_new();
  user(sy);
  kernel(sy);
  symbols_free(sy);
  return failures ? 1 : 0;
}
