/* release: the target kernel's identity from uname, -r and -a. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "target/target.h"

/* Read the first line of a file into the arena, or NULL. */
static const char *read_line(Arena *a, const char *path) {
  FILE *fp = fopen(path, "r");
  if (!fp) return NULL;
  char buf[256];
  const char *r = NULL;
  if (fgets(buf, sizeof buf, fp)) {
    buf[strcspn(buf, "\r\n")] = 0;
    if (buf[0]) r = arena_strdup(a, buf);
  }
  fclose(fp);
  return r;
}

bool target_kernel_resolve(TargetKernel *k, Arena *a, const char *r_opt,
                           const char *arch_opt, const char **err) {
  struct utsname u;
  memset(k, 0, sizeof *k);
  if (uname(&u) != 0) {
    *err = "uname failed";
    return false;
  }
  if (!r_opt) {
    k->release = arena_strdup(a, u.release);
    k->build_dir = arena_printf(a, "/lib/modules/%s/build", u.release);
  } else if (strchr(r_opt, '/')) {
    k->build_dir = arena_strdup(a, r_opt);
    k->release = read_line(a, arena_printf(a, "%s/include/config/kernel.release", r_opt));
    if (!k->release) {
      *err = arena_printf(a, "kernel release isn't found in \"%s\"", r_opt);
      return false;
    }
  } else {
    k->release = arena_strdup(a, r_opt);
    k->build_dir = arena_printf(a, "/lib/modules/%s/build", r_opt);
  }
  k->is_running = strcmp(k->release, u.release) == 0;
  /* A build tree at ROOT/lib/modules/R/build belongs to the system (or
   * unpacked packages) at ROOT, whose /boot holds the image. */
  const char *tail = arena_printf(a, "/lib/modules/%s/build", k->release);
  size_t n = strlen(k->build_dir), m = strlen(tail);
  k->root = n >= m && strcmp(k->build_dir + n - m, tail) == 0
                ? arena_strndup(a, k->build_dir, n - m)
                : "";
  k->version = arena_strndup(a, k->release, strcspn(k->release, "-"));
  k->arch = arena_strdup(a, arch_opt ? arch_opt : u.machine);
  return true;
}
