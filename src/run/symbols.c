/* symbols: see symbols.h. */
#include "run/symbols.h"

#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A function: where it starts and (user symbols) its size. */
typedef struct Sym {
  uint64_t addr;
  uint64_t size;       /* 0: up to the next symbol */
  uint32_t name;       /* offset in the table's names */
  uint32_t module;     /* kernel: index in Symbols.modules */
  uint32_t rank;       /* among symbols at one address, the lowest is
                          shown (user: see user_rank; kernel: line) */
} Sym;

/* A sorted table of functions, one per address. */
typedef struct SymTab {
  Sym *syms;
  size_t n, cap;
  char *names;
  size_t names_len, names_cap;
} SymTab;

/* A loadable segment of an ELF file: where its file bytes go. */
typedef struct Segment {
  uint64_t offset, vaddr, filesz;
} Segment;

/* An executable or library, read once: known by its path, device and
 * inode (a file replaced at its path, or another mount namespace's, is
 * another). */
typedef struct ElfFile {
  char *path;
  uint64_t dev, inode; /* as /proc/PID/maps gives them */
  bool ok;             /* its symbols could be read */
  SymTab tab;
  Segment *segs;
  size_t nsegs;
} ElfFile;

/* One line of /proc/PID/maps that maps a file. */
typedef struct Mapping {
  uint64_t start, end, offset;
  uint64_t dev, inode; /* the file's device (major << 32 | minor), inode */
  char *path;
} Mapping;

struct Symbols {
  /* the kernel's, read on first need */
  bool kernel_read;
  SymTab kernel;
  char **modules;      /* index 0: "kernel" */
  size_t nmodules;
  /* executables and libraries, by path */
  ElfFile **files;
  size_t nfiles;
  /* the last process's mappings, until symbols_refresh */
  int maps_tgid;       /* 0: none read */
  Mapping *maps;
  size_t nmaps;
};

/* ---- tables ---- */

static bool tab_add(SymTab *t, uint64_t addr, uint64_t size, const char *name, uint32_t module,
                    uint32_t rank) {
  size_t len = strlen(name) + 1;
  if (t->names_len + len > UINT32_MAX) return false;
  if (t->names_len + len > t->names_cap) {
    size_t cap = t->names_cap ? t->names_cap * 2 : 1 << 16;
    while (cap < t->names_len + len) cap *= 2;
    char *p = realloc(t->names, cap);
    if (!p) return false;
    t->names = p;
    t->names_cap = cap;
  }
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 1024;
    Sym *p = realloc(t->syms, cap * sizeof *p);
    if (!p) return false;
    t->syms = p;
    t->cap = cap;
  }
  memcpy(t->names + t->names_len, name, len);
  t->syms[t->n++] = (Sym){.addr = addr, .size = size, .name = (uint32_t)t->names_len,
                          .module = module, .rank = rank};
  t->names_len += len;
  return true;
}

static int cmp_sym(const void *a, const void *b) {
  const Sym *x = a, *y = b;
  if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
  return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* Sort, and keep the best-ranked symbol of each address. */
static void tab_sort(SymTab *t) {
  if (!t->n) return;
  qsort(t->syms, t->n, sizeof *t->syms, cmp_sym);
  size_t k = 0;
  for (size_t i = 0; i < t->n; i++)
    if (!k || t->syms[i].addr != t->syms[k - 1].addr) t->syms[k++] = t->syms[i];
  t->n = k;
}

/* How far past the last symbol of a table (whose size is not known) an
 * address may be and still be named by it. */
enum { LAST_SYMBOL_REACH = 1 << 16 };

/* The symbol holding addr, or NULL; *size its size (up to the next
 * symbol where it has none; 0 for the last one). */
static const Sym *tab_find(const SymTab *t, uint64_t addr, uint64_t *size) {
  size_t lo = 0, hi = t->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (t->syms[mid].addr <= addr) lo = mid + 1;
    else hi = mid;
  }
  if (!lo) return NULL;
  const Sym *s = &t->syms[lo - 1];
  uint64_t to_next = lo < t->n ? t->syms[lo].addr - s->addr : 0;
  *size = s->size ? s->size : to_next;
  if (addr - s->addr >= (*size ? *size : LAST_SYMBOL_REACH)) return NULL;
  return s;
}

static void tab_free(SymTab *t) {
  free(t->syms);
  free(t->names);
}

/* ---- the kernel ---- */

/* The index of kernel module name (added if new), or UINT32_MAX. */
static uint32_t module_index(Symbols *sy, const char *name, size_t len) {
  for (size_t i = sy->nmodules; i-- > 0;)
    if (strlen(sy->modules[i]) == len && !memcmp(sy->modules[i], name, len)) return (uint32_t)i;
  char **p = realloc(sy->modules, (sy->nmodules + 1) * sizeof *p);
  if (!p) return UINT32_MAX;
  sy->modules = p;
  if (!(p[sy->nmodules] = strndup(name, len))) return UINT32_MAX;
  return (uint32_t)sy->nmodules++;
}

bool symbols_kallsyms_line(char *line, KsymLine *out) {
  char *end;
  out->addr = strtoull(line, &end, 16);
  if (end == line || end[0] != ' ' || !end[1] || end[2] != ' ') return false;
  out->type = end[1];
  out->name = end + 3;
  out->name[strcspn(out->name, "\n")] = 0;
  out->module = NULL;
  char *tab = strchr(out->name, '\t');
  if (tab) {
    *tab = 0;
    if (tab[1] == '[') {
      out->module = tab + 2;
      out->module[strcspn(out->module, "]")] = 0;
    }
  }
  return true;
}

/* /proc/kallsyms' text symbols. */
static void read_kernel(Symbols *sy) {
  sy->kernel_read = true;
  if (module_index(sy, "kernel", 6) != 0) return;
  FILE *f = fopen("/proc/kallsyms", "re");
  if (!f) return;
  char *line = NULL;
  size_t cap = 0;
  uint32_t nline = 0;
  bool real = false; /* an address that is not 0: we may see them */
  while (getline(&line, &cap, f) > 0) {
    KsymLine k;
    if (!symbols_kallsyms_line(line, &k)) continue;
    if (k.type != 't' && k.type != 'T' && k.type != 'w' && k.type != 'W') continue;
    uint32_t module = 0;
    if (k.module) {
      module = module_index(sy, k.module, strlen(k.module));
      if (module == UINT32_MAX) break;
    }
    if (k.addr) real = true;
    if (!*k.name || !tab_add(&sy->kernel, k.addr, 0, k.name, module, nline++)) continue;
  }
  free(line);
  fclose(f);
  if (!real) {
    /* kallsyms hides the addresses from us: nothing is known */
    tab_free(&sy->kernel);
    memset(&sy->kernel, 0, sizeof sy->kernel);
    return;
  }
  tab_sort(&sy->kernel);
}

void symbols_kernel(Symbols *sy, uint64_t addr, SymInfo *out) {
  memset(out, 0, sizeof *out);
  if (!sy->kernel_read) read_kernel(sy);
  uint64_t size;
  const Sym *s = tab_find(&sy->kernel, addr, &size);
  if (!s) return;
  out->name = sy->kernel.names + s->name;
  out->module = s->module < sy->nmodules ? sy->modules[s->module] : NULL;
  out->offset = addr - s->addr;
  out->size = size;
}

/* ---- executables and libraries ---- */

/* Which of several functions at one address to show (lower first): a
 * name without a leading '_' (read, not __read or __libc_read), then
 * global before weak before local, then the shorter. */
static uint32_t user_rank(const char *name, unsigned bind) {
  uint32_t r = name[0] == '_' ? 1u << 30 : 0;
  r |= (bind == STB_GLOBAL ? 0u : bind == STB_WEAK ? 1u : 2u) << 28;
  size_t len = strlen(name);
  return r | (uint32_t)(len < (1u << 20) ? len : (1u << 20) - 1);
}

/* The functions of symbol table scn. */
static void read_elf_syms(ElfFile *ef, Elf *elf, Elf_Scn *scn) {
  GElf_Shdr sh;
  Elf_Data *data;
  if (!gelf_getshdr(scn, &sh) || !sh.sh_entsize || !(data = elf_getdata(scn, NULL))) return;
  size_t n = sh.sh_size / sh.sh_entsize;
  for (size_t i = 0; i < n; i++) {
    GElf_Sym sym;
    if (!gelf_getsym(data, (int)i, &sym)) continue;
    int type = GELF_ST_TYPE(sym.st_info);
    if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
        !sym.st_value)
      continue;
    const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
    if (!name || !*name) continue;
    if (!tab_add(&ef->tab, sym.st_value, sym.st_size, name, 0,
                 user_rank(name, GELF_ST_BIND(sym.st_info))))
      return;
  }
}

/* Read the file's loadable segments and functions: through process
 * tgid's root (its mount namespace's view of the path), else as the path
 * is here. */
static void read_elf(ElfFile *ef, int tgid) {
  char root[4200];
  int fd = -1;
  if (snprintf(root, sizeof root, "/proc/%d/root%s", tgid, ef->path) < (int)sizeof root)
    fd = open(root, O_RDONLY | O_CLOEXEC);
  if (fd < 0) fd = open(ef->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  Elf *elf = elf_version(EV_CURRENT) != EV_NONE ? elf_begin(fd, ELF_C_READ_MMAP, NULL) : NULL;
  size_t nph = 0;
  if (elf && elf_kind(elf) == ELF_K_ELF && elf_getphdrnum(elf, &nph) == 0) {
    ef->segs = calloc(nph + 1, sizeof *ef->segs);
    for (size_t i = 0; ef->segs && i < nph; i++) {
      GElf_Phdr ph;
      if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD)
        ef->segs[ef->nsegs++] = (Segment){ph.p_offset, ph.p_vaddr, ph.p_filesz};
    }
    Elf_Scn *symtab = NULL, *dynsym = NULL;
    for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
      GElf_Shdr sh;
      if (!gelf_getshdr(scn, &sh)) continue;
      if (sh.sh_type == SHT_SYMTAB) symtab = scn;
      if (sh.sh_type == SHT_DYNSYM) dynsym = scn;
    }
    if (symtab) read_elf_syms(ef, elf, symtab);
    if (!ef->tab.n && dynsym) read_elf_syms(ef, elf, dynsym);
    tab_sort(&ef->tab);
    ef->ok = true;
  }
  if (elf) elf_end(elf);
  close(fd);
}

static ElfFile *elf_file(Symbols *sy, int tgid, const Mapping *m) {
  for (size_t i = 0; i < sy->nfiles; i++) {
    const ElfFile *ef = sy->files[i];
    if (ef->dev == m->dev && ef->inode == m->inode && !strcmp(ef->path, m->path))
      return sy->files[i];
  }
  ElfFile **p = realloc(sy->files, (sy->nfiles + 1) * sizeof *p);
  if (!p) return NULL;
  sy->files = p;
  ElfFile *ef = calloc(1, sizeof *ef);
  if (!ef || !(ef->path = strdup(m->path))) {
    free(ef);
    return NULL;
  }
  ef->dev = m->dev;
  ef->inode = m->inode;
  read_elf(ef, tgid);
  sy->files[sy->nfiles++] = ef;
  return ef;
}

/* ---- processes ---- */

static void maps_free(Symbols *sy) {
  for (size_t i = 0; i < sy->nmaps; i++) free(sy->maps[i].path);
  free(sy->maps);
  sy->maps = NULL;
  sy->nmaps = 0;
  sy->maps_tgid = 0;
}

void symbols_refresh(Symbols *sy) { maps_free(sy); }

/* Process tgid's file mappings: "START-END PERMS OFFSET MAJ:MIN INODE PATH". */
static void read_maps(Symbols *sy, int tgid) {
  maps_free(sy);
  sy->maps_tgid = tgid;
  char name[64];
  snprintf(name, sizeof name, "/proc/%d/maps", tgid);
  FILE *f = fopen(name, "re");
  if (!f) return;
  char *line = NULL;
  size_t cap = 0, mcap = 0;
  while (getline(&line, &cap, f) > 0) {
    uint64_t start, end, offset, major, minor, inode;
    int path_at = 0;
    if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64 " %" SCNx64 ":%" SCNx64 " %" SCNu64 " %n",
               &start, &end, &offset, &major, &minor, &inode, &path_at) != 6 || !path_at)
      continue;
    char *path = line + path_at;
    path[strcspn(path, "\n")] = 0;
    if (path[0] != '/') continue; /* anonymous, [stack], [vdso] ... */
    if (sy->nmaps == mcap) {
      mcap = mcap ? mcap * 2 : 32;
      Mapping *p = realloc(sy->maps, mcap * sizeof *p);
      if (!p) break;
      sy->maps = p;
    }
    char *copy = strdup(path);
    if (!copy) break;
    sy->maps[sy->nmaps++] = (Mapping){start, end, offset, major << 32 | minor, inode, copy};
  }
  free(line);
  fclose(f);
}

void symbols_user(Symbols *sy, int tgid, uint64_t addr, SymInfo *out) {
  memset(out, 0, sizeof *out);
  if (tgid <= 0) return;
  if (sy->maps_tgid != tgid) read_maps(sy, tgid);
  const Mapping *m = NULL;
  for (size_t i = 0; i < sy->nmaps && !m; i++)
    if (addr >= sy->maps[i].start && addr < sy->maps[i].end) m = &sy->maps[i];
  if (!m) return;
  out->module = m->path;
  out->offset = addr - m->start;
  out->size = m->end - m->start;
  ElfFile *ef = elf_file(sy, tgid, m);
  if (!ef || !ef->ok) return;
  /* the address in the file, then in the ELF's own addresses */
  uint64_t foff = addr - m->start + m->offset, vaddr = 0;
  bool in = false;
  for (size_t i = 0; i < ef->nsegs && !in; i++) {
    const Segment *s = &ef->segs[i];
    if (foff >= s->offset && foff - s->offset < s->filesz) {
      vaddr = foff - s->offset + s->vaddr;
      in = true;
    }
  }
  uint64_t size;
  const Sym *s = in ? tab_find(&ef->tab, vaddr, &size) : NULL;
  if (!s) return;
  out->name = ef->tab.names + s->name;
  out->offset = vaddr - s->addr;
  out->size = size;
}

/* ---- formatting ---- */

/* The text after "name+" or "module+": "0xOFF/0xSIZE". */
static int off_size(char *buf, size_t cap, const SymInfo *si) {
  return snprintf(buf, cap, "0x%" PRIx64 "/0x%" PRIx64, si->offset, si->size);
}

size_t symbols_format(char *buf, size_t cap, uint64_t addr, const SymInfo *si, SymForm form) {
  char os[48];
  off_size(os, sizeof os, si);
  int n = 0;
  switch (form) {
  case SYM_NAME:
    n = si->name ? snprintf(buf, cap, "%s", si->name)
                 : snprintf(buf, cap, "0x%016" PRIx64, addr);
    break;
  case SYM_MODULE: {
    const char *m = si->module;
    if (m && m[0] == '/' && strrchr(m, '/')) m = strrchr(m, '/') + 1;
    n = snprintf(buf, cap, "%s", m ? m : "");
    break;
  }
  case SYM_DATA:
    if (si->name && si->module) n = snprintf(buf, cap, "%s+%s [%s]", si->name, os, si->module);
    else if (si->name) n = snprintf(buf, cap, "%s+%s", si->name, os);
    else if (si->module) n = snprintf(buf, cap, "0x%016" PRIx64 " [%s+%s]", addr, si->module, os);
    else n = snprintf(buf, cap, "0x%016" PRIx64, addr);
    break;
  case SYM_LINE:
    if (si->name && si->module)
      n = snprintf(buf, cap, " 0x%016" PRIx64 " : %s+%s [%s]\n", addr, si->name, os, si->module);
    else if (si->name) n = snprintf(buf, cap, " 0x%016" PRIx64 " : %s+%s\n", addr, si->name, os);
    else if (si->module) n = snprintf(buf, cap, " 0x%016" PRIx64 " [%s+%s]\n", addr, si->module, os);
    else n = snprintf(buf, cap, " 0x%016" PRIx64 "\n", addr);
    break;
  }
  return n < 0 ? 0 : (size_t)n;
}

Symbols *symbols_new(void) { return calloc(1, sizeof(Symbols)); }

void symbols_free(Symbols *sy) {
  if (!sy) return;
  tab_free(&sy->kernel);
  for (size_t i = 0; i < sy->nmodules; i++) free(sy->modules[i]);
  free(sy->modules);
  for (size_t i = 0; i < sy->nfiles; i++) {
    tab_free(&sy->files[i]->tab);
    free(sy->files[i]->segs);
    free(sy->files[i]->path);
    free(sy->files[i]);
  }
  free(sy->files);
  maps_free(sy);
  free(sy);
}
