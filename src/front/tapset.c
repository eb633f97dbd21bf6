/* tapset: see tapset.h. */
#include "front/tapset.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Add the .stp and .stpm files directly in dir, in name order. */
static void scan_dir(TapsetLib *lib, Arena *a, const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  Vec names = {0};
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    if (ends_with(de->d_name, ".stp") || ends_with(de->d_name, ".stpm"))
      vec_push(&names, a, arena_strdup(a, de->d_name));
  closedir(d);
  if (names.len) qsort(names.items, names.len, sizeof *names.items, cmp_str);
  for (size_t i = 0; i < names.len; i++) {
    const char *name = names.items[i];
    char *path = arena_printf(a, "%s/%s", dir, name);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    vec_push(ends_with(name, ".stpm") ? &lib->macros : &lib->scripts, a, path);
  }
}

void tapset_scan(TapsetLib *lib, Arena *a, const char *const *dirs, int ndirs,
                 const char *runtime, const char *arch) {
  const char *rt = runtime && strcmp(runtime, "bpf") == 0 ? "bpf" : "linux";
  for (int i = 0; i < ndirs; i++) {
    const char *d = dirs[i];
    vec_push(&lib->dirs, a, (void *)d);
    scan_dir(lib, a, d);
    scan_dir(lib, a, arena_printf(a, "%s/%s", d, rt));
    scan_dir(lib, a, arena_printf(a, "%s/%s", d, arch));
    scan_dir(lib, a, arena_printf(a, "%s/%s/%s", d, rt, arch));
  }
}
