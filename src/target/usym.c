/* usym: see usym.h. */
#include "target/usym.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp_usym(const void *a, const void *b) {
  return strcmp((*(USym *const *)a)->name, (*(USym *const *)b)->name);
}

static void scan(Elf *elf, Elf_Scn *scn, const char *glob, Arena *a, Vec *out, bool rel) {
  GElf_Shdr sh;
  if (!gelf_getshdr(scn, &sh) || !sh.sh_entsize) return;
  Elf_Data *data = elf_getdata(scn, NULL);
  if (!data) return;
  size_t n = sh.sh_size / sh.sh_entsize;
  for (size_t i = 0; i < n; i++) {
    GElf_Sym sym;
    if (!gelf_getsym(data, (int)i, &sym)) continue;
    /* In a relocatable file (a module) 0 is a valid section offset. */
    if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
        (!sym.st_value && !rel))
      continue;
    const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
    if (!name || !*name || fnmatch(glob, name, 0) != 0) continue;
    USym *u = arena_alloc(a, sizeof *u);
    u->name = arena_strdup(a, name);
    u->addr = sym.st_value;
    u->size = sym.st_size;
    vec_push(out, a, u);
  }
}

const char *usym_functions(const char *path, const char *glob, Arena *a, Vec *out) {
  if (elf_version(EV_CURRENT) == EV_NONE) return "libelf initialization failed";
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return arena_printf(a, "cannot open '%s'", path);
  Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
  if (!elf || elf_kind(elf) != ELF_K_ELF) {
    if (elf) elf_end(elf);
    close(fd);
    return arena_printf(a, "'%s' is not an ELF file", path);
  }
  Elf_Scn *symtab = NULL, *dynsym = NULL;
  for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) continue;
    if (sh.sh_type == SHT_SYMTAB) symtab = scn;
    if (sh.sh_type == SHT_DYNSYM) dynsym = scn;
  }
  size_t before = out->len;
  GElf_Ehdr eh;
  bool rel = gelf_getehdr(elf, &eh) && eh.e_type == ET_REL;
  if (symtab) scan(elf, symtab, glob, a, out, rel);
  if (dynsym) scan(elf, dynsym, glob, a, out, rel);
  elf_end(elf);
  close(fd);
  size_t n = out->len - before;
  if (n > 1) {
    qsort(out->items + before, n, sizeof(void *), cmp_usym);
    size_t w = before + 1;
    for (size_t r = before + 1; r < out->len; r++)
      if (strcmp(((USym *)out->items[r])->name, ((USym *)out->items[w - 1])->name) != 0)
        out->items[w++] = out->items[r];
    out->len = w;
  }
  return NULL;
}

const char *usym_resolve_path(const char *path, Arena *a) {
  struct stat st;
  if (strchr(path, '/')) {
    if (stat(path, &st) != 0) return NULL;
    char *real = realpath(path, NULL);
    const char *r = arena_strdup(a, real ? real : path);
    free(real);
    return r;
  }
  const char *env = getenv("PATH");
  char *dirs = arena_strdup(a, env ? env : "/usr/local/bin:/usr/bin:/bin");
  for (char *save, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    char *p = arena_printf(a, "%s/%s", d, path);
    if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0) {
      char *real = realpath(p, NULL);
      const char *r = arena_strdup(a, real ? real : p);
      free(real);
      return r;
    }
  }
  return NULL;
}
