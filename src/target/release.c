/* release: the target kernel's identity from uname, -r and -a; -r RELEASE
 * names /lib/modules/RELEASE/build, or the kernel cache's copy of it. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

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
    /* .../lib/modules/R/build names its release R; else the tree says. */
    const char *m = strstr(r_opt, "/lib/modules/");
    const char *end = m ? strchr(m + 13, '/') : NULL;
    if (end && strncmp(end, "/build", 6) == 0 && (end[6] == 0 || (end[6] == '/' && !end[7])))
      k->release = arena_strndup(a, m + 13, (size_t)(end - m - 13));
    else
      k->release = read_line(a, arena_printf(a, "%s/include/config/kernel.release", r_opt));
    if (!k->release) {
      *err = arena_printf(a, "kernel release isn't found in \"%s\"", r_opt);
      return false;
    }
  } else {
    k->release = arena_strdup(a, r_opt);
    k->build_dir = arena_printf(a, "/lib/modules/%s/build", r_opt);
    /* not installed here: the kernels scripts/fetch-debian-kernel.sh
     * unpacks into its cache ($CTAP_KERNEL_CACHE) */
    const char *cache = getenv("CTAP_KERNEL_CACHE");
    const char *cached = arena_printf(a, "%s/%s/root/lib/modules/%s/build",
                                      cache && *cache ? cache : "/var/cache/ctap-kernels",
                                      r_opt, r_opt);
    if (access(k->build_dir, F_OK) != 0 && access(cached, F_OK) == 0) k->build_dir = cached;
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
  /* A split header tree: the build dir's Makefile includes the real one. */
  k->source_dir = k->build_dir;
  const char *inc = read_line(a, arena_printf(a, "%s/Makefile", k->build_dir));
  if (inc && strncmp(inc, "include ", 8) == 0) {
    /* "include /usr/src/linux-headers-R-common/Makefile", or relative to
     * the Makefile's own folder: "include $(dir ...)../X-common/Makefile" */
    const char *mk = inc + 8;
    const char *paren = strrchr(mk, ')');
    bool relative = paren != NULL;
    if (relative) mk = paren + 1;
    size_t n = strlen(mk);
    if (n > 9 && strcmp(mk + n - 9, "/Makefile") == 0) {
      const char *dir = arena_strndup(a, mk, n - 9);
      char *real = realpath(k->build_dir, NULL);
      if (relative || dir[0] != '/')
        k->source_dir = arena_printf(a, "%s/%s", real ? real : k->build_dir, dir);
      else
        k->source_dir = arena_printf(a, "%s%s", k->root, dir);
      free(real);
    }
  }
  k->arch = arena_strdup(a, arch_opt ? arch_opt : u.machine);
  return true;
}
