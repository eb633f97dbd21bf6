/* kconfig: the target kernel's .config, from its build tree, /boot, or
 * (for the running kernel) /proc/config.gz. */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "target/target.h"

void kconfig_init(KConfig *c, const TargetKernel *k, Arena *a) {
  memset(c, 0, sizeof *c);
  c->kernel = k;
  c->arena = a;
}

void kconfig_free(KConfig *c) { hashmap_free(&c->values); }

/* CONFIG_X=value lines; '# CONFIG_X is not set' leaves X unset. */
static void parse_line(KConfig *c, char *line) {
  line[strcspn(line, "\r\n")] = 0;
  if (strncmp(line, "CONFIG_", 7) != 0) return;
  char *eq = strchr(line, '=');
  if (!eq) return;
  *eq = 0;
  char *val = eq + 1;
  size_t n = strlen(val);
  if (n >= 2 && val[0] == '"' && val[n - 1] == '"') {
    val[n - 1] = 0;
    val++;
  }
  char *key = arena_strdup(c->arena, line);
  hashmap_put(&c->values, key, strlen(key), arena_strdup(c->arena, val));
}

static bool load_gz(KConfig *c, const char *path) {
  gzFile gz = gzopen(path, "rb");
  if (!gz) return false;
  char buf[4096];
  while (gzgets(gz, buf, sizeof buf)) parse_line(c, buf);
  gzclose(gz);
  return true;
}

static bool load_plain(KConfig *c, const char *path) {
  FILE *fp = fopen(path, "r");
  if (!fp) return false;
  char buf[4096];
  while (fgets(buf, sizeof buf, fp)) parse_line(c, buf);
  fclose(fp);
  return true;
}

static void load(KConfig *c) {
  c->loaded = true;
  const TargetKernel *k = c->kernel;
  const char *plain[] = {
      arena_printf(c->arena, "%s/.config", k->build_dir),
      arena_printf(c->arena, "/boot/config-%s", k->release),
  };
  for (size_t i = 0; i < 2; i++)
    if (load_plain(c, plain[i])) {
      c->source = plain[i];
      return;
    }
  if (k->is_running && load_gz(c, "/proc/config.gz")) c->source = "/proc/config.gz";
}

const char *kconfig_get(void *kconfig, const char *name) {
  KConfig *c = kconfig;
  if (!c->loaded) load(c);
  return hashmap_get(&c->values, name, strlen(name));
}
