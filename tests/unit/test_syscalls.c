/* Unit tests of the target's syscall description (src/target/sysabi.c and
 * target.c's syscall part): the x86_64 numbers by the names tracefs and
 * stap give, the arguments' C types as load sizes and signedness (from a
 * build tree's include/linux/syscalls.h written here), the other
 * architectures' and compat calls that header also declares left out and
 * the calls x86_64 defines itself added, and the registers and task
 * layout syscall programs need (from this machine's BTF, skipped without
 * it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/arena.h"
#include "target/target.h"

#define UNIT "syscalls"
#include "unit.h"

static void numbers(Arena *a) {
  TargetKernel k = {.release = "0.0.0-unit", .version = "0.0.0", .root = "",
                    .build_dir = "/nonexistent", .source_dir = "/nonexistent",
                    .arch = "x86_64"};
  Target t;
  target_init(&t, a, &k, NULL);
  static const struct { const char *name; int nr; } want[] = {
      {"read", 0},          {"write", 1},         {"newstat", 4},       {"newfstat", 5},
      {"newlstat", 6},      {"sendfile64", 40},   {"newuname", 63},     {"getppid", 110},
      {"umount", 166},      {"openat", 257},      {"rseq", 334},        {"uretprobe", 335},
      {"uprobe", 336},      {"clone3", 435},      {"cachestat", 451},   {"mseal", 462},
      {"file_setattr", 469},
  };
  bool ok = true;
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
    int nr = target_syscall_nr(&t, want[i].name);
    if (nr != want[i].nr) {
      printf("    %s: %d, want %d\n", want[i].name, nr, want[i].nr);
      ok = false;
    }
  }
  check("x86_64-numbers", ok);
  check("unknown-name", target_syscall_nr(&t, "uname") < 0 && target_syscall_nr(&t, "chown16") < 0 &&
                            target_syscall_nr(&t, "") < 0 && target_syscall_nr(&t, NULL) < 0);
  check("x86_64-known", target_syscall_table_known(&t));
  target_free(&t);

  TargetKernel other = k;
  other.arch = "riscv64";
  target_init(&t, a, &other, NULL);
  check("other-arch-unknown", !target_syscall_table_known(&t) && target_syscall_nr(&t, "read") < 0 &&
                                  target_syscall_abi(&t) == NULL);
  target_free(&t);
}

static const TargetVar *arg(Target *t, const char *sc, const char *name) {
  Vec v = {0};
  target_syscalls_matching(t, sc, &v);
  if (v.len != 1) return NULL;
  const Vec *args = target_syscall_args(t, v.items[0]);
  for (size_t i = 0; i < args->len; i++) {
    const TargetVar *a = args->items[i];
    if (strcmp(a->name, name) == 0) return a;
  }
  return NULL;
}

static void header_types(Arena *a) {
  char dir[] = "/tmp/ctap-unit-sysXXXXXX";
  if (!mkdtemp(dir)) {
    check("header-setup", 0);
    return;
  }
  char path[256];
  snprintf(path, sizeof path, "%s/include", dir);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/include/linux", dir);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/include/linux/syscalls.h", dir);
  FILE *f = fopen(path, "w");
  fputs("asmlinkage long sys_openat(int dfd, const char __user *filename, int flags,\n"
        "\t\t\t   umode_t mode);\n"
        "asmlinkage long sys_read(unsigned int fd, char __user *buf, size_t count);\n"
        "asmlinkage long sys_lseek(unsigned int fd, off_t offset,\n"
        "\t\t\t  unsigned int whence);\n"
        "asmlinkage long sys_kill(pid_t pid, int sig);\n"
        "asmlinkage long sys_setuid(uid_t uid);\n"
        "asmlinkage long sys_landlock_add_rule(int ruleset_fd, enum landlock_rule_type rule_type,\n"
        "\t\tconst void __user *rule_attr, __u32 flags);\n"
        "asmlinkage long sys_chown16(const char __user *filename,\n"
        "\t\t\t\told_uid_t user, old_gid_t group);\n"
        "asmlinkage long sys_fcntl64(unsigned int fd,\n"
        "\t\t\t\tunsigned int cmd, unsigned long arg);\n",
        f);
  fclose(f);
  TargetKernel k = {.release = "0.0.0-unit", .version = "0.0.0", .root = "",
                    .build_dir = dir, .source_dir = dir, .arch = "x86_64"};
  Target t;
  target_init(&t, a, &k, NULL);
  static const struct { const char *sc, *name; int size; bool sign; } want[] = {
      {"openat", "dfd", 4, true},       {"openat", "filename", 8, false},
      {"openat", "flags", 4, true},     {"openat", "mode", 2, false},
      {"read", "fd", 4, false},         {"read", "buf", 8, false},
      {"read", "count", 8, false},      {"lseek", "offset", 8, true},
      {"kill", "pid", 4, true},         {"setuid", "uid", 4, false},
      {"landlock_add_rule", "rule_type", 4, false},
      {"landlock_add_rule", "flags", 4, false},
  };
  bool ok = true;
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
    const TargetVar *v = arg(&t, want[i].sc, want[i].name);
    if (!v || v->size != want[i].size || v->is_signed != want[i].sign) {
      printf("    %s $%s: size %d signed %d, want %d %d\n", want[i].sc, want[i].name,
             v ? v->size : -1, v ? v->is_signed : -1, want[i].size, want[i].sign);
      ok = false;
    }
  }
  check("arg-types", ok);
  const TargetVar *fd = arg(&t, "read", "fd");
  check("arg-slots", fd && fd->offset == 16 && arg(&t, "read", "count")->offset == 32);
  Vec all = {0};
  target_syscalls_matching(&t, "*", &all);
  bool others = false;
  for (size_t i = 0; i < all.len; i++) {
    const TargetSyscall *s = all.items[i];
    others |= !strcmp(s->name, "chown16") || !strcmp(s->name, "fcntl64");
  }
  /* the header's six, and x86_64's own mmap, arch_prctl, iopl,
   * modify_ldt and rt_sigreturn */
  checkf("other-arch-calls-left-out", all.len == 11 && !others, "%zu syscalls", all.len);
  const TargetVar *off = arg(&t, "mmap", "off"), *opt = arg(&t, "arch_prctl", "option");
  check("arch-own-calls", off && off->size == 8 && !off->is_signed && opt && opt->size == 4 &&
                              opt->is_signed && arg(&t, "modify_ldt", "ptr"));
  target_free(&t);
  unlink(path);
  snprintf(path, sizeof path, "%s/include/linux", dir);
  rmdir(path);
  snprintf(path, sizeof path, "%s/include", dir);
  rmdir(path);
  rmdir(dir);
}

static void abi(Arena *a) {
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
    printf("SKIP: unit/" UNIT "/abi (no /sys/kernel/btf/vmlinux)\n");
    return;
  }
  TargetKernel k;
  const char *err;
  if (!target_kernel_resolve(&k, a, NULL, NULL, &err) || strcmp(k.arch, "x86_64") != 0) {
    printf("SKIP: unit/" UNIT "/abi (not an x86_64 kernel)\n");
    return;
  }
  Target t;
  target_init(&t, a, &k, NULL);
  const TargetSyscallAbi *s = target_syscall_abi(&t);
  /* struct pt_regs: di si dx r10 r8 r9, orig_ax; thread_info first in
   * task_struct, status after flags and syscall_work (5.11 on) */
  checkf("abi-x86_64", s && s->arg_offset[0] == 112 && s->arg_offset[1] == 104 &&
                           s->arg_offset[2] == 96 && s->arg_offset[3] == 56 &&
                           s->arg_offset[4] == 72 && s->arg_offset[5] == 64 &&
                           s->nr_offset == 120 && s->compat_offset == 16 && s->compat_mask == 2,
         "abi %p", (const void *)s);
  check("abi-cached", target_syscall_abi(&t) == s);
  target_free(&t);
}

int main(void) {
  Arena a;
  arena_init(&a);
  numbers(&a);
  header_types(&a);
  abi(&a);
  arena_destroy(&a);
  return failures != 0;
}
